"""Result records: one JSON file per experiment, and the models saved beside them.

* :mod:`mnlib.results.records` - what a record holds (its fields, its id from
  its configuration, :data:`CODE_VERSION`, per-image correctness), written,
  read and loaded as a table;
* :mod:`mnlib.results.saved` - trained models saved atomically, records
  checked before reuse and set aside when stale, the best saved model;
* :mod:`mnlib.results.jsonfiles` - JSON files written atomically.

Every name is importable from :mod:`mnlib.results` (``results.write``,
``results.best_model``...). The tables built from records are in
:mod:`mnlib.tables`. Introduced in chapter 3 (the width multiplier).
"""

from mnlib.results.jsonfiles import jsonable, read_json, write_json
from mnlib.results.records import (
    AVERAGED,
    CODE_VERSION,
    FIELDS,
    IDENTITY,
    OPTIONAL,
    PER_RUN,
    PROFILES,
    REQUIRED,
    canonical_key,
    configuration,
    correct,
    environment,
    find,
    load,
    pack_correct,
    read,
    run_id,
    write,
)
from mnlib.results.saved import SUFFIXES, best_model, save_model, set_aside, unusable

__all__ = [
    "AVERAGED",
    "CODE_VERSION",
    "FIELDS",
    "IDENTITY",
    "OPTIONAL",
    "PER_RUN",
    "PROFILES",
    "REQUIRED",
    "SUFFIXES",
    "best_model",
    "canonical_key",
    "configuration",
    "correct",
    "environment",
    "find",
    "jsonable",
    "load",
    "pack_correct",
    "read",
    "read_json",
    "run_id",
    "save_model",
    "set_aside",
    "unusable",
    "write",
    "write_json",
]
