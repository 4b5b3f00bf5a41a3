"""Architectures and set-ups compared on the same images: the runs, their table, their verdicts.

Chapters 5 and 6 train the report's three architectures (MobileNet, VGG16,
InceptionV3) in up to three set-ups (from scratch; pretrained with the body
frozen; pretrained, then fine-tuned) and compare them. A run is a
:class:`Run` (architecture, set-up, input size); :class:`Study` holds what
every run of a chapter shares, gives ``mnlib.train.run``'s arguments for
one of them (:meth:`Study.arguments`) and trains a list of them
(:meth:`Study.train`); :func:`table` lays their records out with each
accuracy's Wilson interval. :func:`chance_lines` says which accuracies are
above chance and :func:`paired_lines` compares two runs on the same test
images (``mnlib.stats.paired``): every verdict a page prints comes from
:mod:`mnlib.stats`.

Introduced in chapter 5 (MobileNet against VGG16 and InceptionV3); chapter
6 uses it on Stanford Dogs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mnlib import baselines, checks, results, stats

__all__ = [
    "SETUPS",
    "NAMES",
    "NOT_RUN",
    "Run",
    "Study",
    "setups",
    "table",
    "shown",
    "beside",
    "pairs",
    "curves",
    "chance_lines",
    "paired_lines",
    "full_profile_seconds",
]

#: The set-ups a run can have, in the order the tables show them.
SETUPS: tuple[str, ...] = ("from scratch", "pretrained, frozen", "pretrained, fine-tuned")

#: How the tables name each architecture of ``mnlib.baselines.BASELINES``.
NAMES: dict[str, str] = {"mobilenet": "MobileNet 1.0", "vgg16": "VGG16", "inception_v3": "InceptionV3"}

#: The note of a pretrained run whose ImageNet weights could not be had.
NOT_RUN = "not run: ImageNet weights unavailable offline"


@dataclass(frozen=True)
class Run:
    """One run of a comparison: ``model`` (in ``BASELINES``), ``setup`` (in :data:`SETUPS`), ``resolution`` (px)."""

    model: str
    setup: str
    resolution: int

    def __post_init__(self):
        checks.choice("model", self.model, baselines.BASELINES)
        checks.choice("setup", self.setup, SETUPS)
        checks.integer("resolution", self.resolution, minimum=32)

    @property
    def label(self) -> str:
        """e.g. ``"VGG16, from scratch, 64 px"``: how tables and verdicts name the run."""
        return f"{NAMES[self.model]}, {self.setup}, {self.resolution} px"


def setups(*, pretrained: bool, fine_tune_epochs: int) -> tuple[str, ...]:
    """The set-ups a chapter trains: from scratch always; the pretrained ones if asked; fine-tuned if epochs > 0."""
    checks.boolean("pretrained", pretrained)
    checks.integer("fine_tune_epochs", fine_tune_epochs, minimum=0)
    if not pretrained:
        return SETUPS[:1]
    return SETUPS if fine_tune_epochs else SETUPS[:2]


@dataclass(frozen=True)
class Study:
    """What every run of one chapter's comparison shares.

    Attributes:
        notebook: the chapter's notebook name, stored in each record.
        settings: the profile's ``mnlib.train.StudySettings`` (dataset,
            epochs, batch size, results folder).
        classes: number of classes of the runs.
        seed: the seed of every run.
        fine_tune_epochs: epochs of the fine-tuning phase of a fine-tuned run.
        fine_tune_layers: layers opened at the top of each body, by architecture.
        save_models: architectures whose trained model is saved with the record.
    """

    notebook: str
    settings: object
    classes: int
    seed: int = 0
    fine_tune_epochs: int = 0
    fine_tune_layers: dict = field(default_factory=dict)
    save_models: tuple[str, ...] = ()

    def arguments(self, run: Run, *, classes: int | None = None) -> dict:
        """``mnlib.train.run``'s keyword arguments for ``run`` (``classes``: a class count other than the study's).

        A run from scratch trains at its architecture's peak learning rate,
        ``mnlib.baselines.SCRATCH_LEARNING_RATES`` (absent: the optimizer's
        default); a fine-tuned run opens ``fine_tune_layers[model]`` layers.
        """
        tuned = run.setup == "pretrained, fine-tuned"
        tune = {"epochs": self.fine_tune_epochs, "layers": self.fine_tune_layers[run.model]} if tuned else None
        scratch = run.setup == "from scratch"
        s = self.settings
        return dict(
            notebook=self.notebook,
            dataset=s.dataset,
            classes=self.classes if classes is None else classes,
            resolution=run.resolution,
            epochs=s.epochs,
            batch_size=s.batch_size,
            seed=self.seed,
            profile=s.profile,
            results_dir=s.results_dir,
            model=run.model,
            fine_tune=tune,
            save_model=run.model in self.save_models,
            model_args={} if scratch else {"weights": "imagenet"},
            learning_rate=baselines.SCRATCH_LEARNING_RATES.get(run.model) if scratch else None,
        )

    def check(self, runs, *, classes: int | None = None) -> None:
        """Check every run's arguments (``mnlib.train.check``) before the first one trains."""
        from mnlib import train

        for run in runs:
            train.check(**self.arguments(run, classes=classes))

    def train(self, runs, train_images, test_images, *, class_names, available, classes=None) -> dict:
        """Train (or load) every run whose weights can be had; return ``{Run: record}``.

        ``available`` maps ``(model, resolution)`` to whether its ImageNet
        weights can be had; runs from scratch always train.
        """
        from mnlib import train

        records = {}
        for run in runs:
            if run.setup == "from scratch" or available.get((run.model, run.resolution)):
                arguments = self.arguments(run, classes=classes)
                records[run] = train.run(train_images, test_images, class_names=class_names, **arguments)
        return records


def _images(record, images: int) -> int:
    """How many test images a record's accuracy was measured on: its per-image correctness, else ``images``."""
    correct = results.correct(record)
    return images if correct is None else int(correct.size)


def _row(run: Run, record, images: int) -> dict:
    row = {"network": NAMES[run.model], "set-up": run.setup, "px": run.resolution}
    if record is None:
        return row | {"note": NOT_RUN}
    seconds = record["history"]["seconds"]
    mult_adds = record.get("mult_adds")
    return row | {
        "M params": record["params"] / 1e6,
        "M trainable": record["trainable_params"] / 1e6,
        "M Mult-Adds": None if mult_adds is None else mult_adds / 1e6,
        "fed (px)": record["input_resolution"],
        "epochs": len(seconds),
        "top-1": record["top1"],
        "top-1, 95 % interval": stats.accuracy_text(record["top1"], _images(record, images)),
        "top-5": record["top5"],
        "s / epoch": sum(seconds) / len(seconds),
        "inference img/s": record["inference_images_per_second"],
        "device": record.get("environment", {}).get("device"),
        "note": "",
    }


def table(runs, records: dict, *, images: int) -> pd.DataFrame:
    """One row per run, in the order given: its record's figures, or why it was not run.

    Columns: parameters (all, trainable) and Mult-Adds of one image in
    millions, the size fed, epochs, top-1 (a fraction, and as text with its
    95 % Wilson interval, ``mnlib.stats.accuracy_text``), top-5, seconds
    per epoch, inference images per second, device, and a note. ``images``
    is the number of test images (for a record without per-image
    correctness). Indexed by network, set-up and px.
    """
    checks.integer("images", images, minimum=1)
    rows = [_row(run, records.get(run), images) for run in runs]
    frame = pd.DataFrame(rows).set_index(["network", "set-up", "px"])
    return frame.astype({c: "Int64" for c in ("fed (px)", "epochs") if c in frame}, errors="ignore")


def shown(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """``frame``'s ``columns`` (those it has) as printed: rounded to 3 places, blank where a run has no figure."""
    frame = frame[[c for c in columns if c in frame.columns]]
    return frame.round(3).astype(object).where(frame.notna(), "")


def beside(frame: pd.DataFrame, columns: dict, *, by: str | None = "network") -> pd.DataFrame:
    """``frame`` with published figures beside its rows: a copy with one column per entry of ``columns``.

    Args:
        frame: a :func:`table`.
        columns: ``{column: {key: value}}``; a row gets ``value`` where its
            key matches, and is left empty otherwise.
        by: the index level whose value is the key (e.g. ``"network"``:
            ``{"VGG16": 0.715}``), or None for the whole index tuple
            (``{("VGG16", "pretrained, frozen", 128): 0.258}``).
    """
    keys = frame.index if by is None else frame.index.get_level_values(by)
    added = {name: [values.get(key) for key in keys] for name, values in columns.items()}
    return frame.assign(**{name: pd.Series(v, index=frame.index, dtype=object) for name, v in added.items()})


def pairs(runs) -> list[tuple[Run, Run]]:
    """The comparisons a grid of runs invites, each on the same test images.

    First every two architectures within one set-up and size (in the order
    of ``runs``), then every pretrained run against its architecture from
    scratch at the same size.
    """
    runs = list(runs)
    within = [
        (a, b)
        for i, a in enumerate(runs)
        for b in runs[i + 1 :]
        if (a.setup, a.resolution) == (b.setup, b.resolution) and a.model != b.model
    ]
    scratch = [(Run(r.model, "from scratch", r.resolution), r) for r in runs if r.setup != "from scratch"]
    return within + scratch


def curves(records: dict, *, classes: int, title: str):
    """Each run's top-1 per epoch on the test and the training images, one panel per run (``plots.curve_panels``)."""
    from mnlib import plots

    frame = pd.DataFrame([{**record, "run": run.label} for run, record in records.items()])
    return plots.curve_panels(frame, panel="run", classes=classes, title=title)


def chance_lines(records: dict, *, classes: int, images: int, caption: str = "") -> list[str]:
    """For each run, ``mnlib.stats.chance``'s verdict on its top-1, e.g. ``"VGG16, from scratch, 64 px: top-1 ..."``."""
    lines = []
    for run, record in records.items():
        verdict = stats.chance(record["top1"], classes, _images(record, images)).verdict
        lines.append(f"{run.label}: {verdict}{caption}")
    return lines


def paired_lines(records: dict, pairs, *, caption: str = "") -> list[str]:
    """For each pair ``(run_a, run_b)``, ``mnlib.stats.paired``'s verdict on the same test images.

    A pair with a run that was not trained is left out; a record without
    per-image correctness (written by an older ``mnlib``) is named as such.
    """
    lines = []
    for a, b in pairs:
        if a not in records or b not in records:
            continue
        correct = results.correct(records[a]), results.correct(records[b])
        if any(c is None for c in correct):
            lines.append(f"{a.label} against {b.label}: no per-image correctness in the records; train them again")
            continue
        lines.append(stats.paired(*correct, names=(a.label, b.label)).verdict + caption)
    return lines


def full_profile_seconds(seconds_per_image: dict, runs, *, images: int, epochs: int, fine_tune_epochs: int) -> float:
    """Seconds that ``runs`` would take on ``images`` training images, from each architecture's seconds per image.

    Every run trains ``epochs`` epochs, a fine-tuned one ``fine_tune_epochs``
    more; each epoch costs its architecture's ``seconds_per_image`` times
    ``images``. Measured from scratch, it is an upper bound for a frozen body.
    """
    total = 0.0
    for run in runs:
        run_epochs = epochs + (fine_tune_epochs if run.setup == "pretrained, fine-tuned" else 0)
        total += seconds_per_image[run.model] * images * run_epochs
    return total
