"""The course's two datasets, Tiny ImageNet and Stanford Dogs, and their input pipeline.

One code path serves the full experiments and the offline smoke runs, in four
modules (every name below is importable from ``mnlib.data`` itself):

* :mod:`mnlib.data.archives` - the official archives; :func:`download` fetches
  one (checksum verified) and extracts it;
* :mod:`mnlib.data.standins` - :func:`synthetic` writes a small stand-in in
  exactly the same layout; :func:`prepare` gives the root of either;
* :mod:`mnlib.data.loaders` - :func:`tiny_imagenet` and :func:`stanford_dogs`
  read the official layout (real or stand-in) as a :class:`FileDataset` of
  ``(uint8 image [H, W, 3], int32 label)`` plus its :class:`ClassNames`;
* :mod:`mnlib.data.pipeline` - :func:`pipeline` turns a loader's dataset into
  model input, every epoch a function of ``(seed, epoch)``;

and :mod:`mnlib.data.explore` for looking at a dataset. Nothing here holds a
whole dataset in memory. Introduced in chapter 0.

Vocabulary, the same across ``mnlib``: a *dataset* is ``"tiny-imagenet"``,
``"stanford-dogs"`` (the official archives) or ``"synthetic"`` (a generated
stand-in in one of their layouts); a *profile* is ``"smoke"`` (a quick run
that checks the code, on the synthetic stand-in by default) or ``"full"``
(the real experiment).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mnlib import checks
from mnlib.data.archives import (
    ARCHIVES,
    FOLDERS,
    NAMES,
    SPLITS,
    STANFORD_DOGS,
    TINY_IMAGENET,
    TITLES,
    Archive,
    download,
    how_to_get,
)
from mnlib.data.explore import box_grid, example_grid, probe_accuracy
from mnlib.data.loaders import (
    ClassNames,
    FileDataset,
    Files,
    breed_name,
    check_files,
    decode,
    dog_boxes,
    image_formats,
    image_sizes,
    load,
    source_files,
    stanford_dogs,
    tiny_imagenet,
)
from mnlib.data.pipeline import (
    AUGMENTATION,
    FAMILIES,
    INCEPTION_MIN_RESOLUTION,
    augment_image,
    batches_per_epoch,
    pipeline,
    preprocess,
    resize,
)
from mnlib.data.standins import CLASSES, SHAPES, is_synthetic, prepare, synthetic

__all__ = [
    "TINY_IMAGENET", "STANFORD_DOGS", "NAMES", "TITLES", "DATASETS", "FOLDERS", "SPLITS", "Archive", "ARCHIVES",
    "download", "how_to_get", "breed_name",
    "CLASSES", "SHAPES", "synthetic", "is_synthetic", "prepare",
    "ClassNames", "Files", "FileDataset", "source_files", "decode", "check_files", "tiny_imagenet",
    "stanford_dogs", "dog_boxes", "load", "image_formats", "image_sizes", "splits", "study_data",
    "CLASS_COUNTS", "check_classes",
    "FAMILIES", "INCEPTION_MIN_RESOLUTION", "resize", "preprocess", "AUGMENTATION", "augment_image", "pipeline",
    "batches_per_epoch", "example_grid", "box_grid", "probe_accuracy",
]  # fmt: skip

#: The datasets of the course: the values of a notebook's ``DATASET`` and of a record's ``dataset``.
DATASETS = {
    "synthetic": "a generated stand-in in a real dataset's layout, no download (mnlib.data.synthetic)",
    TINY_IMAGENET: "Tiny ImageNet, 200 classes of 64x64 images (mnlib.data.tiny_imagenet)",
    STANFORD_DOGS: "Stanford Dogs, 120 breeds (mnlib.data.stanford_dogs)",
}


#: How many classes each dataset has (the stand-in: one per texture of :data:`CLASSES`).
CLASS_COUNTS = {"synthetic": len(CLASSES), TINY_IMAGENET: 200, STANFORD_DOGS: 120}


def check_classes(dataset: str, classes) -> int:
    """Check a chapter's ``CLASSES`` against its dataset before anything is read or trained; return it.

    Args:
        dataset: ``"synthetic"``, ``"tiny-imagenet"`` or ``"stanford-dogs"``.
        classes: the number of classes to train on, the first ``k`` of the
            dataset: an integer from 2 to :data:`CLASS_COUNTS` ``[dataset]``.

    Raises:
        ValueError: ``dataset`` is unknown, or ``classes`` is not an integer in
            that range (the message says the range and what to do).

    Introduced in the Stanford Dogs chapter.
    """
    checks.choice("dataset", dataset, DATASETS)
    most = CLASS_COUNTS[dataset]
    what = "The synthetic stand-in has" if dataset == "synthetic" else f"{TITLES.get(dataset, dataset)} has"
    more = " For more, use the real dataset (PROFILE = 'full')." if dataset == "synthetic" else ""
    hint = f"{what} {most} classes: from 2 to {most}, the first k are used.{more}"
    classes = checks.integer("CLASSES", classes, 2, most, hint=hint)
    return classes


def splits(
    dataset: str,
    data_dir: str | Path,
    classes: int | Sequence[str] | None = 10,
    *,
    layout: str = TINY_IMAGENET,
) -> tuple[FileDataset, FileDataset, ClassNames]:
    """The training and evaluation splits of a dataset, fetched or written if missing.

    Args:
        dataset: ``"synthetic"`` (the stand-in in ``layout``'s layout, written
            under ``data_dir`` if missing), ``"tiny-imagenet"`` or
            ``"stanford-dogs"`` (the official archive, downloaded and extracted
            into ``data_dir`` if missing; see :func:`download`).
        data_dir: the folder that holds the datasets.
        classes: as for the loaders: the first ``k`` classes, a list of ids, or
            None for all (the stand-in has 10 classes).
        layout: for ``"synthetic"``, whose layout the stand-in has
            (``"tiny-imagenet"`` or ``"stanford-dogs"``); otherwise ignored.

    Returns:
        ``(train, evaluation, class_names)``: the training split, the labelled
        evaluation split (Tiny ImageNet's ``val``, Stanford Dogs' ``test``) and
        the classes' :class:`ClassNames`.
    """
    checks.choice("dataset", dataset, DATASETS)
    name = layout if dataset == "synthetic" else dataset
    root = prepare(name, data_dir, synthetic=dataset == "synthetic")
    train, names = load(name, root, "train", classes)
    evaluation, _ = load(name, root, "eval", classes)
    return train, evaluation, names


def study_data(dataset: str, data_dir: str | Path, classes: int | Sequence[str] | None = 10):
    """Tiny ImageNet's splits for the study chapters 3 and 4: :func:`splits` with its default layout."""
    return splits(dataset, data_dir, classes)
