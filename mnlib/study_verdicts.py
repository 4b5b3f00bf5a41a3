"""A study's networks compared on the same test images: each accuracy with its interval, each step with its verdict.

Chapters 3 and 4 train one network per width α or input size ρ (and
chapter 3 the shallow network and, in the full profile, one without
augmentation), every network scored on the same evaluation images. Their
records carry the per-image correctness (:func:`mnlib.results.correct`), so

* :func:`accuracies` gives each network's top-1 with its 95 % interval:
  Wilson's (:func:`mnlib.stats.accuracy_interval`) over the test images for
  one seed, Student's t over the seeds' accuracies
  (:func:`mnlib.stats.spread`) for several;
* :func:`compare` prints the verdict of :func:`mnlib.stats.paired`
  (McNemar's test on the images one network gets right and the other wrong)
  for two networks, seed by seed, and for several seeds the interval of the
  difference over seeds; :func:`steps` does it for each neighbour of an
  ordered grid (α 1 → 0.75 → ...).

The words of every verdict come from :mod:`mnlib.stats`; this module only
chooses which networks are compared. Introduced in chapter 3 (the width
multiplier); chapter 4 uses it for the resolution multiplier.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mnlib import results, stats

__all__ = ["SEED_NOTE", "OLD_RECORD", "DIVERGED", "per_image", "accuracies", "compare", "steps"]

#: Printed under a comparison that rests on one seed per network.
SEED_NOTE = (
    "One seed per network: these verdicts compare two trained networks on the same images; "
    "they leave out how much another seed would move each accuracy."
)

#: Said in place of an interval or a verdict when a record has no per-image correctness.
OLD_RECORD = "no per-image correctness in its record (an older mnlib): train it again to compare it"

#: Said in place of an interval or a verdict for a run whose loss became NaN or infinite.
DIVERGED = "diverged (its loss became NaN or infinite): no accuracy to show"


def _check_records(records) -> None:
    if not isinstance(records, pd.DataFrame):
        raise ValueError(f"records must be a DataFrame of mnlib.tables.study; got {type(records).__name__}.")
    missing = [c for c in ("label", "seed", "top1") if c not in records.columns]
    if missing:
        raise ValueError(f"records lack the columns {missing}; they have {list(records.columns)}.")


def _runs(records: pd.DataFrame, label: str) -> pd.DataFrame:
    runs = records[records["label"] == label]
    if runs.empty:
        raise ValueError(f"no record is labelled {label!r}; the labels are {sorted(set(records['label']))}.")
    return runs.sort_values("seed")


def _diverged(runs: pd.DataFrame) -> pd.Series:
    """Which runs diverged (the ``diverged`` column of :func:`mnlib.tables.study`; none if it is absent)."""
    if "diverged" not in runs.columns:
        return pd.Series(False, index=runs.index)
    return runs["diverged"].map(lambda value: value is True or (isinstance(value, np.bool_) and bool(value)))


def _diverged_at(records: pd.DataFrame, label: str, seed: int) -> bool:
    runs = _runs(records, label)
    return bool(_diverged(runs[runs["seed"] == seed]).any())


def per_image(records: pd.DataFrame, label: str, seed: int) -> np.ndarray | None:
    """Which test images the network ``label`` trained with ``seed`` got right (booleans), or None.

    Args:
        records: rows of :func:`mnlib.tables.study`, one per run.
        label: the network, as in the ``label`` column (``"0.75 MobileNet-64"``).
        seed: the run's seed.

    Returns:
        :func:`mnlib.results.correct` of that run's record: one boolean per
        evaluation image, in the evaluation split's order; None if the run is
        not there or its record predates per-image correctness.

    Raises:
        ValueError: ``records`` is not a study table, or no run has ``label``.
    """
    _check_records(records)
    runs = _runs(records, label)
    runs = runs[runs["seed"] == seed]
    return None if runs.empty else results.correct(runs.iloc[0])


def accuracies(records: pd.DataFrame, labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Each network's top-1 with its 95 % interval, one row per label.

    Args:
        records: rows of :func:`mnlib.tables.study`, one per run (several seeds
            of a network are several rows).
        labels: the networks, in the order of the rows; default: every
            label, in order of first appearance.

    Returns:
        A DataFrame indexed by ``label`` with ``top1`` (the mean over seeds),
        ``top1_low`` and ``top1_high`` (for one seed, Wilson's interval over
        the ``images`` test images; for several, Student's t interval over the
        ``seeds`` accuracies), ``interval`` (the same as text), ``seeds``,
        ``images`` and ``chance``, the verdict of :func:`mnlib.stats.chance`
        on the first seed's run (is the network above guessing?).

    Raises:
        ValueError: ``records`` is not a study table, or a label has no run.

    A network whose first record has no per-image correctness (written by an
    older mnlib) gets NaN and :data:`OLD_RECORD` in place of its figures; one
    whose every run diverged, NaN and :data:`DIVERGED`. Seeds that diverged
    are left out of the mean and said so (``seeds`` counts the others).
    """
    _check_records(records)
    labels = list(dict.fromkeys(records["label"])) if labels is None else list(labels)
    rows = []
    for label in labels:
        runs = _runs(records, label)
        trained = runs[~_diverged(runs)]
        row = dict(label=label, top1=float("nan"), top1_low=float("nan"), top1_high=float("nan"),
                   interval=OLD_RECORD, seeds=len(runs), images=0, chance=OLD_RECORD)  # fmt: skip
        first = None if trained.empty else results.correct(trained.iloc[0])
        if trained.empty:
            row.update(interval=DIVERGED, chance=DIVERGED)
        elif first is not None:
            row.update(_accuracy(trained, first), seeds=len(trained))
            if len(trained) < len(runs):
                row["interval"] += f"; {len(runs) - len(trained)} more seed(s) diverged"
        rows.append(row)
    return pd.DataFrame(rows).set_index("label")


def _accuracy(runs: pd.DataFrame, first: np.ndarray) -> dict:
    """The accuracy fields of :func:`accuracies` for one network's runs; ``first``: the first run's correctness."""
    images, top1 = len(first), float(first.mean())
    classes = int(runs["classes"].iloc[0]) if "classes" in runs.columns else None
    verdict = stats.chance(top1, classes, images).verdict if classes else ""
    if len(runs) == 1:
        low, high = stats.accuracy_interval(int(first.sum()), images)
        text = stats.accuracy_text(top1, images)
    else:
        spread = stats.spread([float(v) for v in runs["top1"]])
        top1, low, high = spread.mean, spread.low, spread.high
        text = f"{100 * top1:.1f} % (mean of {spread.n} seeds; 95 % interval {100 * low:.1f} to {100 * high:.1f} %)"
    return dict(top1=top1, top1_low=low, top1_high=high, interval=text, images=images, chance=verdict)


def compare(records: pd.DataFrame, a: str, b: str, *, title: str | None = None) -> list[str]:
    """The verdict lines of network ``a`` against network ``b`` on the same test images.

    Args:
        records: rows of :func:`mnlib.tables.study`.
        a, b: two labels of ``records``.
        title: how the lines name the pair (default ``"a vs b"``), e.g. ``"α 1 → 0.75"``.

    Returns:
        One line per seed that both networks ran with:
        ``"<title>, seed s: <verdict>"``, the sentence of
        :func:`mnlib.stats.paired` (exact McNemar's test on the images one
        gets right and the other wrong); with two or more such seeds, a line
        with the mean difference of top-1 over seeds and its Student's t
        interval (:func:`mnlib.stats.spread`); with one, :data:`SEED_NOTE`.
        If no seed is common to both, one line that says so; a seed whose
        record lacks per-image correctness gets :data:`OLD_RECORD`, one where
        a network diverged :data:`DIVERGED`.

    Raises:
        ValueError: as :func:`per_image`.
    """
    _check_records(records)
    title = title or f"{a} vs {b}"
    seeds = sorted(set(_runs(records, a)["seed"]) & set(_runs(records, b)["seed"]))
    if not seeds:
        return [f"{title}: no seed was run for both, so they cannot be compared on the same images."]
    lines, differences = [], []
    for seed in seeds:
        gone = [name for name in (a, b) if _diverged_at(records, name, seed)]
        if gone:
            lines.append(f"{title}, seed {seed}: {' and '.join(gone)} {DIVERGED}.")
            continue
        a_correct, b_correct = per_image(records, a, seed), per_image(records, b, seed)
        if a_correct is None or b_correct is None:
            lines.append(f"{title}, seed {seed}: {OLD_RECORD}.")
            continue
        result = stats.paired(a_correct, b_correct, names=(a, b))
        differences.append(result.difference)
        lines.append(f"{title}, seed {seed}: {result.verdict}")
    if len(differences) == 1:
        lines.append(SEED_NOTE)
    elif len(differences) > 1:
        spread = stats.spread(differences)
        lines.append(
            f"{title}, over {spread.n} seeds: {a} minus {b} = {100 * spread.mean:+.1f} points on average "
            f"(95 % interval {100 * spread.low:+.1f} to {100 * spread.high:+.1f} points, seed to seed)."
        )
    return lines


def steps(records: pd.DataFrame, labels: Sequence[str], names: Sequence[str] | None = None) -> list[str]:
    """:func:`compare` for each network of an ordered grid against the next one.

    Args:
        records: rows of :func:`mnlib.tables.study`.
        labels: the networks in the grid's order (e.g. widest first).
        names: how each network is named in the titles (e.g. ``"α 0.75"``);
            default the labels.

    Returns:
        The lines of each step, ``"name_i → name_i+1, seed s: <verdict>"``,
        in order; :data:`SEED_NOTE` once at the end where the steps rest on one seed.
    """
    labels = list(labels)
    names = labels if names is None else list(names)
    if len(names) != len(labels):
        raise ValueError(f"names must be one per label ({len(labels)}); got {len(names)}.")
    lines = []
    for (a, b), (name_a, name_b) in zip(zip(labels, labels[1:]), zip(names, names[1:])):
        lines += [line for line in compare(records, a, b, title=f"{name_a} → {name_b}") if line != SEED_NOTE]
    if any(len(set(_runs(records, label)["seed"])) == 1 for label in labels) and len(labels) > 1:
        lines.append(SEED_NOTE)
    return lines
