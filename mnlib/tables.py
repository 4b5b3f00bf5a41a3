"""Tables from result records: one study's rows, seeds summarised, published figures beside them.

:func:`study` reads a results folder (:func:`mnlib.results.load`) and keeps
one study's records; :func:`summarize` turns the seeds of each configuration
into a mean and a spread; :func:`with_reference` puts the paper's or the
report's figure beside each row; :func:`shown` writes "diverged" where a
run's numbers mean nothing. A record written by other code (another
:data:`mnlib.results.CODE_VERSION`) is marked stale, in its own column and in
its label. Introduced in chapter 3 (the width multiplier).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from mnlib import results

__all__ = ["study", "summarize", "with_reference", "shown", "DIVERGED", "STALE"]

#: What a table shows in place of a diverged run's numbers (:func:`shown`).
DIVERGED = "diverged"
#: What a stale record's label ends with.
STALE = " (stale)"
#: The measurements a diverged run does not have (NaN in :func:`study`).
MEASURED = ("top1", "top5", "inference_images_per_second")


def _matches(value, wanted) -> bool:
    """Whether a table cell equals ``wanted`` (None matches a missing value; dicts compare by content)."""
    if wanted is None:
        return value is None or (isinstance(value, float) and math.isnan(value))
    try:
        return bool(value == wanted)
    except (TypeError, ValueError):  # e.g. an array against a scalar
        return False


def study(folder, **where) -> pd.DataFrame:
    """The records of one study: :func:`mnlib.results.load`, with derived columns, filtered.

    Args:
        folder: the results folder.
        **where: values a row must have, in any column of the result, e.g.
            ``dataset="synthetic", classes=10, profile="smoke", resolution=64``,
            ``model="mobilenet"``, ``alpha=0.5`` or ``model_args={"alpha": 0.5}``.
            ``None`` matches a missing value.

    Returns:
        The matching rows of :func:`mnlib.results.load`, with ``alpha`` (1.0 where a model
        has no such argument), ``shallow`` and ``augment`` as booleans
        (False and True where absent), ``params_m`` and ``mult_adds_m``
        (millions), ``diverged`` (bool: the run's loss became NaN or
        infinite; its ``top1``, ``top5`` and speed are then NaN, never a
        number, and :func:`shown` writes "diverged"), ``stale`` (bool: the
        record was written by another :data:`mnlib.results.CODE_VERSION`,
        or before versions were recorded), and ``label``, a short name of
        the model such as ``"0.75 MobileNet-64"``, ``"shallow 1
        MobileNet-64"``, ``"1 MobileNet-64, no augmentation"``, ``"VGG16-64,
        pretrained, frozen"`` or ``"VGG16-64, pretrained, fine-tuned"``,
        with ``" (stale)"`` at the end for a stale record. Several seeds of
        one configuration are several rows: :func:`summarize` makes them one.

    Raises:
        ValueError: a ``where`` names a column that the table does not have.
    """
    frame = results.load(folder).copy()
    for column, default in (("alpha", 1.0), ("shallow", False), ("augment", True)):
        values = frame[column] if column in frame.columns else pd.Series(default, index=frame.index, dtype=object)
        frame[column] = [default if v is None or v != v else type(default)(v) for v in values]
        frame[column] = frame[column].astype(type(default))
    frame["params_m"] = pd.to_numeric(frame["params"], errors="coerce").astype(float) / 1e6
    frame["mult_adds_m"] = pd.to_numeric(frame["mult_adds"], errors="coerce").astype(float) / 1e6
    frame["diverged"] = [isinstance(v, (bool, np.bool_)) and bool(v) for v in _column(frame, "diverged")]
    frame["stale"] = [v != results.CODE_VERSION for v in _column(frame, "code_version")]
    for column in MEASURED:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float).where(~frame["diverged"])
    frame["label"] = [_label(row) for _, row in frame.iterrows()]
    for field, value in where.items():
        if field not in frame.columns:
            raise ValueError(f"records have no field {field!r}; they have {list(frame.columns)}.")
        frame = frame[[_matches(v, value) for v in frame[field]]]
    return frame.reset_index(drop=True)


def _column(frame: pd.DataFrame, name: str) -> list:
    """The values of ``frame[name]`` (None for each row if there is no such column)."""
    return list(frame[name]) if name in frame.columns else [None] * len(frame)


_NAMES = {"mobilenet": "MobileNet", "vgg16": "VGG16", "inception_v3": "InceptionV3"}


def _label(row) -> str:
    """A short name of a run's network: ``"0.75 MobileNet-64"``, ``"shallow 1 MobileNet-64"``,
    ``"VGG16-64, pretrained, frozen"``, ``"VGG16-64, pretrained, fine-tuned"``,
    ``"1 MobileNet-64, no augmentation"``, ``"... (stale)"``."""
    args = row["model_args"] if isinstance(row["model_args"], dict) else {}
    training = row["training"] if isinstance(row["training"], dict) else {}
    name = _NAMES.get(row["model"], str(row["model"]))
    if row["model"] == "mobilenet":
        name = ("shallow " if row["shallow"] else "") + f"{row['alpha']:g} {name}"
    label = f"{name}-{row['resolution']}"
    if args.get("weights") is not None:
        label += ", pretrained, " + ("fine-tuned" if training.get("fine_tune") else "frozen")
    label += "" if row["augment"] else ", no augmentation"
    return label + (STALE if row["stale"] else "")


def _check_columns(frame: pd.DataFrame, columns, what: str) -> None:
    """Raise ValueError naming the ``columns`` that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} {missing} are not columns of the table; it has {list(frame.columns)}.")


def summarize(frame: pd.DataFrame, by: Sequence[str] | None = None, metrics: Sequence[str] = ("top1", "top5")):
    """One row per configuration: the seeds of an experiment as a mean and a spread.

    Args:
        frame: rows of :func:`study` (or :func:`mnlib.results.load`), one per run.
        by: the columns whose values make a group; dicts (``model_args``,
            ``training``) are compared by content. Default: every
            :data:`mnlib.results.IDENTITY` column but ``seed``, so the rows of a group
            differ only by their seed.
        metrics: numeric columns to average (None counts as missing).

    Returns:
        A DataFrame with one row per group, in order of first appearance:
        the group's first row without the columns that describe a single
        run (``id``, ``file``, ``created``, ``seed``, ``history``,
        ``environment``, ``device``, ``notebook``, ``model_file``), with each
        metric replaced by its mean over the group and followed by
        ``<metric>_sd`` (sample standard deviation, NaN for one seed),
        ``seconds`` and ``inference_images_per_second`` as means, and
        ``seeds``, the number of runs in the group (last column). A group
        where any run diverged has ``diverged`` True and NaN metrics (a mean
        over the seeds that happened to converge would hide it); a group
        with a stale run has ``stale`` True.

    Raises:
        ValueError: a ``by`` or ``metrics`` column is not in ``frame``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(
            f"summarize takes a table of runs (a DataFrame of mnlib.tables.study); got {type(frame).__name__}."
        )
    by = [c for c in results.IDENTITY if c != "seed" and c in frame.columns] if by is None else list(by)
    metrics = list(metrics)
    _check_columns(frame, by, "by columns")
    _check_columns(frame, metrics, "metrics")
    averaged = [c for c in results.AVERAGED if c in frame.columns and c not in metrics]
    kept = [c for c in frame.columns if c not in results.PER_RUN]
    columns = []
    for column in kept:
        columns += [column, f"{column}_sd"] if column in metrics else [column]
    columns.append("seeds")

    groups: dict[str, list[int]] = {}
    for position, (_, row) in enumerate(frame[by].iterrows()):
        groups.setdefault(results.canonical_key([row[c] for c in by]), []).append(position)
    rows = []
    for positions in groups.values():
        group = frame.iloc[positions]
        row = {c: group[c].iloc[0] for c in kept}
        for flag in ("diverged", "stale"):
            if flag in group.columns:
                row[flag] = bool(group[flag].fillna(False).astype(bool).any())
        for column in metrics:
            values = pd.to_numeric(group[column], errors="coerce").astype(float)
            row[column], row[f"{column}_sd"] = values.mean(), values.std(ddof=1)
            if row.get("diverged"):
                row[column] = row[f"{column}_sd"] = float("nan")
        for column in averaged:
            row[column] = pd.to_numeric(group[column], errors="coerce").astype(float).mean()
        row["seeds"] = len(positions)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def with_reference(
    table: pd.DataFrame,
    column: str,
    values: Mapping | pd.Series | Callable,
    *,
    key: str,
    scale: float = 1.0,
) -> pd.DataFrame:
    """``table`` with a column of published figures, looked up by the value of a key column.

    Args:
        table: any table, e.g. from :func:`summarize`.
        column: the name of the new column, e.g. ``"paper top-1 (ImageNet)"``.
        values: the figures, by key: a dict or a pandas Series (``{0.75: 68.4,
            ...}``), or a function of the key (e.g. the paper's size of
            closest ρ); NaN where a key has none.
        key: the column of ``table`` (or the name of its index) to look up,
            e.g. ``"alpha"`` or ``"resolution"``.
        scale: each figure is multiplied by it (``0.01`` for percentages).

    Returns:
        A copy of ``table`` with ``column`` added (or replaced), as floats.

    Raises:
        ValueError: ``key`` is neither a column nor the index's name, or
            ``values`` is none of the three.
    """
    if key in table.columns:
        keys = table[key]
    elif key == table.index.name:
        keys = table.index.to_series(index=table.index)
    else:
        raise ValueError(f"key {key!r} is not a column of the table (it has {list(table.columns)}) nor its index.")
    if isinstance(values, (Mapping, pd.Series)):
        lookup = values.get
    elif callable(values):
        lookup = values
    else:
        raise ValueError(f"values is a dict, a pandas Series or a function of the key; got {type(values).__name__}.")
    figures = []
    for value in keys:
        figure = lookup(value)
        figures.append(float("nan") if figure is None else float(figure) * scale)
    result = table.copy()
    result[column] = figures
    return result


def shown(table: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """``table`` as the book shows it: :data:`DIVERGED` in place of a diverged run's numbers.

    Args:
        table: rows of :func:`study` or :func:`summarize` (with their
            ``diverged`` column; a table without one is returned as a copy).
        columns: the columns to mark; default: every column of ``table``
            among ``top1``, ``top5``, their ``_sd`` and
            ``inference_images_per_second``.

    Returns:
        A copy of ``table``; in the rows whose ``diverged`` is True, the
        ``columns`` hold the text ``"diverged"`` (they become text columns).

    Raises:
        ValueError: a ``columns`` entry is not a column of ``table``.
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"shown takes a table (a DataFrame of study or summarize); got {type(table).__name__}.")
    if columns is None:
        measured = [*MEASURED, "top1_sd", "top5_sd"]
        columns = [c for c in table.columns if c in measured]
    columns = list(columns)
    _check_columns(table, columns, "columns")
    result = table.copy()
    if "diverged" not in result.columns:
        return result
    diverged = result["diverged"].fillna(False).astype(bool).to_numpy()
    for column in columns:
        result[column] = [DIVERGED if flag else value for flag, value in zip(diverged, result[column])]
    return result
