"""Loaders: a dataset's extracted official layout as a stream of (image, label).

:func:`tiny_imagenet` and :func:`stanford_dogs` read the official layout (real
or the synthetic stand-in) and return a :class:`FileDataset` (which behaves as
an unbatched ``tf.data.Dataset`` of ``(uint8 image [H, W, 3], int32 label)``
and also knows the files it reads) plus the :class:`ClassNames` of the labels.
Files that cannot be decoded are found before any training starts and are
skipped with a warning that names each one (or refused, ``bad_files="raise"``).
Introduced in chapter 0.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from mnlib import checks
from mnlib.data.archives import NAMES, SPLITS, STANFORD_DOGS, TINY_IMAGENET, TITLES, how_to_get

__all__ = [
    "ClassNames",
    "Files",
    "FileDataset",
    "source_files",
    "decode",
    "check_files",
    "tiny_imagenet",
    "stanford_dogs",
    "breed_name",
    "dog_boxes",
    "load",
    "image_formats",
    "image_sizes",
]


class ClassNames(list):
    """The class of each label: ``names[label]`` is its id, ``names.readable[label]`` its name.

    A plain list of ids (Tiny ImageNet wnids such as ``"n01443537"``; Stanford Dogs
    breed folders such as ``"n02085620-Chihuahua"``), with the human-readable
    names (from ``words.txt``, or the breed part of the folder) in ``.readable``.
    """

    def __init__(self, ids: Sequence[str], readable: Sequence[str]):
        super().__init__(ids)
        if len(readable) != len(ids):
            raise ValueError("ids and readable names must have the same length.")
        self.readable = list(readable)

    def __repr__(self) -> str:
        return f"ClassNames({list(self)!r}, readable={self.readable!r})"


@dataclasses.dataclass(frozen=True)
class Files:
    """The files a loader's dataset reads, in order: ``paths[i]`` has label ``labels[i]``.

    Attributes:
        paths: str array ``[N]``.
        labels: int32 array ``[N]``.
    """

    paths: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.paths)


class FileDataset:
    """What a loader returns: a ``tf.data.Dataset`` of ``(uint8 image, int32 label)`` and its :class:`Files`.

    It behaves as the dataset it holds: iterate it, ``len`` it, or call any
    ``tf.data.Dataset`` method (``.map``, ``.take``, ``.batch`` ...; they
    return plain datasets, which no longer know their files). The files travel
    in :attr:`files`, so that :func:`mnlib.data.pipeline` can shuffle file
    names before decoding any image. Pass :attr:`dataset` where a real
    ``tf.data.Dataset`` is required (e.g. to ``keras.Model.fit``).

    Attributes:
        dataset: the unbatched ``tf.data.Dataset``.
        files: the :class:`Files` it reads, in its order.
    """

    def __init__(self, dataset: tf.data.Dataset, files: Files):
        if not isinstance(dataset, tf.data.Dataset):
            raise TypeError(f"dataset must be a tf.data.Dataset; got {type(dataset).__name__}.")
        self.dataset = dataset
        self.files = files

    def __getattr__(self, name):  # everything else is the dataset's
        if name in ("dataset", "files"):  # not set yet (e.g. while unpickling)
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def __iter__(self):
        return iter(self.dataset)

    def __len__(self) -> int:
        return len(self.files)

    def __repr__(self) -> str:
        return f"FileDataset({len(self)} files, element_spec={self.dataset.element_spec})"


def source_files(dataset) -> tuple[np.ndarray, np.ndarray] | None:
    """The ``(paths, labels)`` a loader's :class:`FileDataset` reads, in order; ``None`` for any other dataset."""
    return (dataset.files.paths, dataset.files.labels) if isinstance(dataset, FileDataset) else None


def decode(contents: tf.Tensor) -> tf.Tensor:
    """Decode one image file's bytes to ``uint8 [H, W, 3]`` RGB.

    JPEG (grayscale, RGB or CMYK), PNG, GIF (first frame) and BMP are recognised
    from their content, not from the file name, and converted to three channels.
    """
    image = tf.io.decode_image(contents, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


def _load(path: tf.Tensor, label: tf.Tensor):
    return decode(tf.io.read_file(path)), label


# Files found decodable in this process, as (path, size, modification time):
# a file replaced since its check is checked again.
_DECODES: set[tuple[str, int, int]] = set()


def check_files(paths: Sequence[str]) -> list[str]:
    """The files among ``paths`` that are missing or that TensorFlow cannot decode as images.

    Every file is read and decoded once, in parallel (for the full Tiny ImageNet,
    about as long as one epoch of the input pipeline). Files found good are
    remembered for the rest of the process, and not checked again unless their
    size or modification time changes.

    Returns:
        the bad paths, in the order given.
    """
    import mnlib

    keys = []
    for p in map(str, paths):
        try:
            stat = os.stat(p)
        except OSError:
            keys.append(None)
        else:
            keys.append((p, stat.st_size, stat.st_mtime_ns))
    todo = [k for k in keys if k is not None and k not in _DECODES]
    if todo:
        ds = tf.data.Dataset.from_tensor_slices((np.arange(len(todo)), [k[0] for k in todo]))
        ds = ds.map(
            lambda i, p: (i, tf.shape(decode(tf.io.read_file(p)))[0]),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=False,
        )
        good = np.zeros(len(todo), bool)
        with mnlib.stderr_silenced():  # libjpeg prints its own complaints about bad files
            for indices, _ in ds.ignore_errors().batch(4096):
                good[indices.numpy()] = True
        _DECODES.update(k for k, ok in zip(todo, good) if ok)
    return [str(p) for p, k in zip(paths, keys) if k is None or k not in _DECODES]


def _file_dataset(paths, labels, root: Path, bad_files: str) -> FileDataset:
    """The loaders' common end: check the files, then stream them lazily."""
    if bad_files not in ("skip", "raise"):
        raise ValueError(f"bad_files must be 'skip' or 'raise', got {bad_files!r}.")
    paths = np.asarray(paths, dtype=str)
    labels = np.asarray(labels, dtype=np.int32)
    bad = check_files(paths)
    if bad:
        names = [os.path.relpath(p, root) for p in bad]
        listing = "\n  ".join(names)
        if bad_files == "raise":
            raise ValueError(
                f"{len(bad)} file(s) under {root} are missing or cannot be decoded as images:\n"
                f"  {listing}\nReplace or delete them, or pass bad_files='skip'."
            )
        warnings.warn(
            f"Skipping {len(bad)} file(s) under {root} that are missing or cannot be decoded as images:\n  {listing}",
            UserWarning,
            stacklevel=3,
        )
        keep = ~np.isin(paths, np.asarray(bad, dtype=str))
        paths, labels = paths[keep], labels[keep]
    ds = tf.data.Dataset.from_tensor_slices((paths, labels))
    ds = ds.map(_load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return FileDataset(ds, Files(paths, labels))


def _missing_root(name: str, root: Path, expected: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"No {TITLES[name]} at {root}: {root / expected} does not exist.\n" + how_to_get(name, root.parent)
    )


def _select(all_ids: Sequence[str], classes, what: str, match=None) -> list[str]:
    """Resolve a loader's ``classes`` argument to a list of class ids."""
    if classes is None:
        return list(all_ids)
    if checks.is_integer(classes):
        if not 1 <= classes <= len(all_ids):
            raise ValueError(f"classes={classes}: this {what} has 1 to {len(all_ids)} classes.")
        return list(all_ids[: int(classes)])
    if isinstance(classes, str) or not isinstance(classes, Sequence):
        raise TypeError(f"classes must be None, an int or a list of class ids, got {classes!r}.")
    chosen = []
    for c in classes:
        hits = [i for i in all_ids if i == c or (match and match(i, c))]
        if len(hits) != 1:
            raise ValueError(f"{c!r} is not a class of this {what} (e.g. {all_ids[0]!r}).")
        if hits[0] in chosen:
            raise ValueError(f"class {c!r} is listed twice.")
        chosen.append(hits[0])
    return chosen


def _check_split(name: str, split: str) -> None:
    if split not in SPLITS[name]:
        raise ValueError(f"{TITLES[name]} split must be one of {SPLITS[name]}, got {split!r}.")


def tiny_imagenet(
    root: str | Path,
    split: str = "train",
    classes: int | Sequence[str] | None = None,
    *,
    bad_files: str = "skip",
) -> tuple[FileDataset, ClassNames]:
    """Tiny ImageNet (200 classes, 64 x 64 px) from its extracted official layout.

    Args:
        root: the ``tiny-imagenet-200`` folder (``wnids.txt``, ``words.txt``,
            ``train/<wnid>/images/*.JPEG``, ``val/images`` with
            ``val/val_annotations.txt``).
        split: ``"train"`` (500 images per class) or ``"val"`` (50 per class,
            labelled by ``val/val_annotations.txt``). The ``test`` split has no
            labels and is not offered.
        classes: ``None`` for all classes; an int ``k`` for the first ``k`` wnids in
            sorted order (the same ``k`` classes for both splits, on every machine);
            or a list of wnids, whose order sets the labels.
        bad_files: what to do with files that cannot be decoded: ``"skip"`` them
            with a warning naming each one, or ``"raise"`` before anything else.

    Returns:
        ``(dataset, class_names)``: an unbatched dataset of ``(uint8 [64, 64, 3],
        int32 label)`` in file order, label ``i`` being the class ``class_names[i]``
        (a wnid; ``class_names.readable[i]`` is its line of ``words.txt``).
    """
    root = Path(root)
    _check_split(TINY_IMAGENET, split)
    if not (root / "wnids.txt").is_file():
        raise _missing_root(TINY_IMAGENET, root, "wnids.txt")
    all_ids = sorted(set((root / "wnids.txt").read_text().split()))
    ids = _select(all_ids, classes, "Tiny ImageNet")
    words = {}
    if (root / "words.txt").is_file():
        for line in (root / "words.txt").read_text(encoding="utf-8").splitlines():
            wnid, _, text = line.partition("\t")
            words[wnid] = text.strip()
    names = ClassNames(ids, [words.get(i, i) for i in ids])
    label_of = {wnid: k for k, wnid in enumerate(ids)}

    paths, labels = [], []
    if split == "train":
        for wnid in ids:
            folder = root / "train" / wnid / "images"
            if not folder.is_dir():
                raise _missing_root(TINY_IMAGENET, root, f"train/{wnid}/images")
            files = sorted(f for f in os.listdir(folder) if not f.startswith("."))
            paths += [str(folder / f) for f in files]
            labels += [label_of[wnid]] * len(files)
    else:
        table = root / "val" / "val_annotations.txt"
        if not table.is_file():
            raise _missing_root(TINY_IMAGENET, root, "val/val_annotations.txt")
        for line in table.read_text().splitlines():
            fields = line.split("\t")
            if len(fields) >= 2 and fields[1] in label_of:
                paths.append(str(root / "val" / "images" / fields[0]))
                labels.append(label_of[fields[1]])
    return _file_dataset(paths, labels, root, bad_files), names


def _mat_strings(array) -> list[str]:
    """A MATLAB cell array of strings (as scipy.io.loadmat returns it) as a list."""
    return [str(np.asarray(cell).ravel()[0]) for cell in np.asarray(array).ravel()]


def breed_name(folder: str) -> str:
    """A Stanford Dogs breed's readable name from its folder.

    ``"n02085782-Japanese_spaniel"`` -> ``"Japanese spaniel"``.
    """
    return folder.split("-", 1)[-1].replace("_", " ")


def stanford_dogs(
    root: str | Path,
    split: str = "train",
    classes: int | Sequence[str] | None = None,
    *,
    bad_files: str = "skip",
) -> tuple[FileDataset, ClassNames]:
    """Stanford Dogs (120 breeds, photos of varying size) from its extracted official layout.

    Args:
        root: the folder holding ``Images/<wnid>-<Breed>/*.jpg`` and the lists
            ``train_list.mat`` and ``test_list.mat`` (as ``images.tar`` and
            ``lists.tar`` extract them).
        split: ``"train"`` (``train_list.mat``: 100 images per breed, 12,000) or
            ``"test"`` (``test_list.mat``: the other 8,580).
        classes: ``None`` for all breeds; an int ``k`` for the breeds with official
            labels 1 to ``k``; or a list of breed folders (or their wnids), whose
            order sets the labels.
        bad_files: ``"skip"`` undecodable files with a warning naming each one,
            or ``"raise"``.

    Returns:
        ``(dataset, class_names)``: an unbatched dataset of ``(uint8 [H, W, 3] at
        the photo's size, int32 label)`` in list order. Labels are 0-based (the
        lists' 1-based label minus one, when all breeds are loaded);
        ``class_names[i]`` is the breed folder, ``class_names.readable[i]`` the
        breed.
    """
    from scipy.io import loadmat

    root = Path(root)
    _check_split(STANFORD_DOGS, split)
    lists = root / f"{split}_list.mat"
    if not lists.is_file():
        raise _missing_root(STANFORD_DOGS, root, lists.name)
    mat = loadmat(lists)
    files = _mat_strings(mat["file_list"])
    official = np.asarray(mat["labels"]).ravel().astype(int)
    folder_of = {}
    for f, k in zip(files, official):
        folder = f.split("/", 1)[0]
        if folder_of.setdefault(k, folder) != folder:
            raise ValueError(f"{lists}: label {k} names two folders, {folder_of[k]} and {folder}.")
    all_ids = [folder_of[k] for k in sorted(folder_of)]
    ids = _select(all_ids, classes, "Stanford Dogs", match=lambda i, c: i.split("-", 1)[0] == c)
    names = ClassNames(ids, [breed_name(i) for i in ids])
    label_of = {folder: k for k, folder in enumerate(ids)}
    paths, labels = [], []
    for f, k in zip(files, official):
        folder = folder_of[k]
        if folder in label_of:
            paths.append(str(root / "Images" / f))
            labels.append(label_of[folder])
    return _file_dataset(paths, labels, root, bad_files), names


def dog_boxes(paths: Sequence[str]) -> list[np.ndarray]:
    """The bounding boxes of the dogs in Stanford Dogs photos, from the official ``Annotation/`` files.

    For ``root/Images/<breed>/<stem>.jpg`` the annotation is the XML file
    ``root/Annotation/<breed>/<stem>`` (no extension), with one ``<object>``
    per dog. Works on the real layout and on the stand-in alike.

    Args:
        paths: image paths, e.g. ``dataset.files.paths`` of :func:`stanford_dogs`.

    Returns:
        one int array ``[n, 4]`` per path: each dog's ``(x0, y0, x1, y1)`` in
        pixels of the stored photo (inclusive corners, origin top left); ``[0,
        4]`` when the annotation file is missing.

    Introduced in the Stanford Dogs chapter.
    """
    import xml.etree.ElementTree as ElementTree

    boxes = []
    for p in map(Path, map(str, paths)):
        note = p.parent.parent.parent / "Annotation" / p.parent.name / p.stem
        found = []
        if note.is_file():
            for box in ElementTree.parse(note).getroot().iter("bndbox"):
                found.append([int(float(box.findtext(k))) for k in ("xmin", "ymin", "xmax", "ymax")])
        boxes.append(np.asarray(found, dtype=int).reshape(-1, 4))
    return boxes


def load(
    name: str,
    root: str | Path,
    split: str = "train",
    classes: int | Sequence[str] | None = None,
    **options,
) -> tuple[FileDataset, ClassNames]:
    """:func:`tiny_imagenet` or :func:`stanford_dogs`, chosen by ``name`` (see :data:`NAMES`).

    ``split`` may also be ``"eval"``: the dataset's labelled evaluation split
    (``"val"`` for Tiny ImageNet, ``"test"`` for Stanford Dogs; :data:`SPLITS`).
    """
    checks.choice("name", name, NAMES)
    if split == "eval":
        split = SPLITS[name][1]
    loader = tiny_imagenet if name == TINY_IMAGENET else stanford_dogs
    return loader(root, split, classes, **options)


def image_formats(paths: Sequence[str]):
    """How many of ``paths`` are of each stored kind: a table of format, colour mode, name.

    Reads only each file's header (with Pillow), so it is fast even for the full
    datasets. A ``.jpg`` file holding PNG data shows as format ``PNG``; files
    Pillow cannot read show as format ``unreadable``.

    Returns:
        a :class:`pandas.DataFrame` with columns ``format``, ``mode``,
        ``extension``, ``files`` (the count) and ``example`` (one such file),
        sorted by decreasing count.
    """
    import pandas as pd
    from PIL import Image

    rows = {}
    for p in map(str, paths):
        try:
            with Image.open(p) as im:
                key = (im.format, im.mode)
        except Exception:  # noqa: BLE001 - any failure means: not a readable image
            key = ("unreadable", "-")
        key = key + (os.path.splitext(p)[1],)
        count, example = rows.get(key, (0, p))
        rows[key] = (count + 1, example)
    table = pd.DataFrame(
        [(*k, n, os.path.basename(e)) for k, (n, e) in rows.items()],
        columns=["format", "mode", "extension", "files", "example"],
    )
    return table.sort_values(["files", "format", "mode"], ascending=[False, True, True], ignore_index=True)


def image_sizes(paths: Sequence[str]) -> np.ndarray:
    """Stored ``(width, height)`` in pixels of each file, read from the headers: int array ``[N, 2]``.

    Files Pillow cannot read give ``(0, 0)``.
    """
    from PIL import Image

    sizes = np.zeros((len(paths), 2), dtype=int)
    for k, p in enumerate(map(str, paths)):
        try:
            with Image.open(p) as im:
                sizes[k] = im.size
        except Exception:  # noqa: BLE001 - unreadable: leave (0, 0)
            pass
    return sizes
