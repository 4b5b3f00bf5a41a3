"""Tables from result records: one study's rows, seeds summarised, published figures beside them.

:func:`study` reads a results folder (:func:`mnlib.results.load`) and keeps
one study's records; :func:`summarize` turns the seeds of each configuration
into a mean and a spread; :func:`with_reference` puts the paper's or the
report's figure beside each row. All three are also importable from
:mod:`mnlib.results`. Introduced in chapter 3 (the width multiplier).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from mnlib import results

__all__ = ["study", "summarize", "with_reference"]


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
        (millions), and ``label``, a short name of the model such as
        ``"0.75 MobileNet-64"``, ``"shallow 1 MobileNet-64"`` or
        ``"1 MobileNet-64, no augmentation"``. Several seeds of one
        configuration are several rows: :func:`summarize` makes them one.

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
    frame["label"] = [_label(row) for _, row in frame.iterrows()]
    for field, value in where.items():
        if field not in frame.columns:
            raise ValueError(f"records have no field {field!r}; they have {list(frame.columns)}.")
        frame = frame[[_matches(v, value) for v in frame[field]]]
    return frame.reset_index(drop=True)


_NAMES = {"mobilenet": "MobileNet", "vgg16": "VGG16", "inception_v3": "InceptionV3"}


def _label(row) -> str:
    """A short name of a run's network: ``"0.75 MobileNet-64"``, ``"shallow 1 MobileNet-64"``,
    ``"VGG16-64, pretrained"``, ``"1 MobileNet-64, no augmentation"``."""
    args = row["model_args"] if isinstance(row["model_args"], dict) else {}
    name = _NAMES.get(row["model"], str(row["model"]))
    if row["model"] == "mobilenet":
        name = ("shallow " if row["shallow"] else "") + f"{row['alpha']:g} {name}"
    label = f"{name}-{row['resolution']}"
    if args.get("weights") is not None:
        label += ", pretrained"
    return label + ("" if row["augment"] else ", no augmentation")


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
        ``seeds``, the number of runs in the group (last column).

    Raises:
        ValueError: a ``by`` or ``metrics`` column is not in ``frame``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(
            f"summarize takes a table of runs (a DataFrame of mnlib.results.study); got {type(frame).__name__}."
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
        for column in metrics:
            values = pd.to_numeric(group[column], errors="coerce").astype(float)
            row[column], row[f"{column}_sd"] = values.mean(), values.std(ddof=1)
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
