"""The course's two datasets, Tiny ImageNet and Stanford Dogs, and their input pipeline.

One code path serves the full experiments and the offline smoke runs:

* :func:`download` fetches an official archive (checksum verified) and extracts
  it; :func:`synthetic` writes a small stand-in in exactly the same layout;
  :func:`prepare` picks one of the two from a profile (``"full"``/``"smoke"``).
* :func:`tiny_imagenet` and :func:`stanford_dogs` read the extracted official
  layout (real or stand-in) and return an unbatched ``tf.data.Dataset`` of
  ``(uint8 image [H, W, 3] at its stored size, int32 label)`` plus the
  :class:`ClassNames` of the labels.
* :func:`pipeline` turns such a dataset into model input: it streams the files,
  decodes them in parallel, resizes to the model's resolution (the paper's
  resolution multiplier rho sets it), applies the model family's own
  preprocessing and optional augmentation, shuffles, batches and prefetches;
  the order is the same for the same seed.

Nothing here holds a whole dataset in memory: loaders keep the list of file
names; images are read and decoded a batch at a time.

Real archives carry a few files that are not plain RGB JPEGs (grayscale, CMYK,
PNG data under a ``.jpg`` name): they decode to RGB like the rest. Files that
cannot be decoded at all (truncated, not an image) are found by the loaders
before any training starts and are skipped with a warning that names each one
(or refused, with ``bad_files="raise"``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import tarfile
import urllib.parse
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

__all__ = [
    "NAMES",
    "FAMILIES",
    "INCEPTION_MIN_RESOLUTION",
    "Archive",
    "ARCHIVES",
    "FOLDERS",
    "SPLITS",
    "ClassNames",
    "download",
    "prepare",
    "is_synthetic",
    "tiny_imagenet",
    "stanford_dogs",
    "load",
    "study_data",
    "source_files",
    "decode",
    "check_files",
    "image_formats",
    "image_sizes",
    "resize",
    "preprocess",
    "AUGMENTATION",
    "augment_image",
    "pipeline",
    "PATTERNS",
    "synthetic",
    "example_grid",
    "probe_accuracy",
]

TINY_IMAGENET = "tiny-imagenet"
STANFORD_DOGS = "stanford-dogs"
#: Dataset names accepted by :func:`download`, :func:`prepare` and :func:`synthetic`.
NAMES: tuple[str, ...] = (TINY_IMAGENET, STANFORD_DOGS)

#: Model families whose preprocessing :func:`pipeline` applies.
FAMILIES: tuple[str, ...] = ("mobilenet", "vgg16", "inception_v3")

#: Keras' InceptionV3 refuses inputs smaller than 75 x 75 pixels.
INCEPTION_MIN_RESOLUTION = 75

#: Folder that holds each dataset's root after extraction (under ``dest``).
FOLDERS: dict[str, str] = {
    TINY_IMAGENET: "tiny-imagenet-200",
    STANFORD_DOGS: "stanford-dogs",
}

_HUMAN = {TINY_IMAGENET: "Tiny ImageNet", STANFORD_DOGS: "Stanford Dogs"}
#: Each dataset's labelled splits: (training split, evaluation split).
SPLITS: dict[str, tuple[str, str]] = {TINY_IMAGENET: ("train", "val"), STANFORD_DOGS: ("train", "test")}


# --------------------------------------------------------------------------
# Getting the data
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Archive:
    """One official archive: where it is published and how to recognise it.

    Attributes:
        url: where to download it (``http(s)://`` or, for tests and mirrors,
            ``file://``).
        file_hash: its published checksum, lower-case hex.
        hash_algorithm: ``"md5"`` or ``"sha256"``.
        size: its size in bytes (shown in messages; not checked).
        top_level: whether the archive holds the dataset's root folder itself
            (Tiny ImageNet's zip holds ``tiny-imagenet-200/``) or the root's
            contents (Stanford Dogs' tars hold ``Images/``, ``Annotation/``
            and the ``.mat`` lists).
    """

    url: str
    file_hash: str
    hash_algorithm: str
    size: int
    top_level: bool = False

    @property
    def filename(self) -> str:
        """The archive's file name, taken from its URL."""
        return os.path.basename(urllib.parse.urlsplit(self.url).path)


#: The official archives. Tiny ImageNet: the cs231n course site; its MD5 is the
#: community-published one. Stanford Dogs: the dataset's site at Stanford; the
#: SHA-256 sums and sizes are those of tensorflow-datasets'
#: ``url_checksums/stanford_dogs.txt``.
ARCHIVES: dict[str, tuple[Archive, ...]] = {
    TINY_IMAGENET: (
        Archive(
            "http://cs231n.stanford.edu/tiny-imagenet-200.zip",
            "90528d7ca1a48142e341f4ef8d21d0de",
            "md5",
            248_100_043,
            top_level=True,
        ),
    ),
    STANFORD_DOGS: (
        Archive(
            "http://vision.stanford.edu/aditya86/ImageNetDogs/images.tar",
            "a443fc2f9a851aa1a7b8e4fa4af94b8459fce2c9f5a2f4dd4669cf9673a4ec58",
            "sha256",
            793_579_520,
        ),
        Archive(
            "http://vision.stanford.edu/aditya86/ImageNetDogs/annotation.tar",
            "662ed36f707be6b195c2fda392d8e153e83af28cedc8e2134a649f198def30fd",
            "sha256",
            21_852_160,
        ),
        Archive(
            "http://vision.stanford.edu/aditya86/ImageNetDogs/lists.tar",
            "34b47cacd9a98b5d150e084f24d29391c084c55272295ec65c85651bc35f4d6c",
            "sha256",
            481_280,
        ),
    ),
}

# A few files whose presence says that a root holds a complete dataset.
_REQUIRED = {
    TINY_IMAGENET: ("wnids.txt", "words.txt", "train", "val/val_annotations.txt"),
    STANFORD_DOGS: ("Images", "train_list.mat", "test_list.mat"),
}


def _check_name(name: str) -> str:
    if name not in NAMES:
        raise ValueError(f"Unknown dataset {name!r}: expected one of {NAMES}.")
    return name


def _complete(name: str, root: Path) -> bool:
    return all((root / part).exists() for part in _REQUIRED[name])


def _how_to_get(name: str, dest: str | Path) -> str:
    """Instructions to get a dataset by hand (used in error messages)."""
    folder = FOLDERS[name]
    lines = [f"To get {_HUMAN[name]}, call mnlib.data.download({name!r}, {str(dest)!r}) "
             "on a machine with internet access (Colab has it), or download by hand:"]
    for archive in ARCHIVES[name]:
        lines.append(
            f"  {archive.url} ({archive.size / 1e6:,.0f} MB, "
            f"{archive.hash_algorithm} {archive.file_hash})"
        )
    lines.append(
        f"and put the file(s) in {Path(dest) / 'downloads'}; download() then checks and "
        f"extracts them into {Path(dest) / folder}."
    )
    lines.append(
        f"For an offline stand-in in the same layout: mnlib.data.synthetic({name!r}, ROOT)."
    )
    return "\n".join(lines)


def _probe(url: str, timeout: float) -> None:
    """Fail at once, with instructions, when ``url``'s host cannot be reached.

    Behind a proxy (``http_proxy``/``https_proxy``), the download goes through the
    proxy instead, and its failure is reported when it happens.
    """
    import urllib.request

    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.scheme in urllib.request.getproxies():
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    with socket.create_connection((parts.hostname, port), timeout=timeout):
        pass


def _extract(archive_path: Path, into: Path) -> None:
    """Extract a zip or tar archive, refusing members that would land outside ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive_path):
        with zipfile.ZipFile(archive_path) as z:
            z.extractall(into)  # zipfile drops '..' and absolute paths itself
        return
    with tarfile.open(archive_path) as t:
        if hasattr(tarfile, "data_filter"):
            t.extractall(into, filter="data")
        else:  # Python without extraction filters: check each member by hand
            base = into.resolve()
            for member in t.getmembers():
                target = (into / member.name).resolve()
                if base != target and base not in target.parents:
                    raise ValueError(f"{archive_path} holds a path outside its folder: {member.name}")
                if member.issym() or member.islnk():
                    raise ValueError(f"{archive_path} holds a link: {member.name}")
            t.extractall(into)


def download(
    name: str,
    dest: str | Path = "data",
    *,
    archives: Sequence[Archive] | None = None,
    timeout: float = 10.0,
) -> Path:
    """Download, verify and extract an official dataset archive; return the dataset root.

    The archives go to ``dest/downloads/`` through ``keras.utils.get_file`` (progress
    bar; a file already there with the right checksum is not downloaded again), are
    checked against their published checksum (:data:`ARCHIVES`) and are extracted
    into ``dest/<FOLDERS[name]>``. A root that is already complete is returned at
    once, without touching the network.

    Args:
        name: ``"tiny-imagenet"`` (one zip, 248 MB) or ``"stanford-dogs"`` (three
            tars, 816 MB in all).
        dest: folder for the downloads and the extracted dataset.
        archives: other sources for the same files (a mirror, a local
            ``file://`` copy); default :data:`ARCHIVES` ``[name]``.
        timeout: seconds to wait for the server to answer before giving up.

    Returns:
        The dataset root to pass to the loader: ``dest/tiny-imagenet-200`` (with
        ``wnids.txt``) or ``dest/stanford-dogs`` (with ``Images/`` and the
        ``.mat`` lists).

    Raises:
        ConnectionError: the server cannot be reached; the message says what to
            download by hand and where to put it.
        ValueError: a downloaded file does not match its checksum (it is deleted).
    """
    import keras  # only needed here; keeps `import mnlib.data` light

    _check_name(name)
    dest = Path(dest)
    root = dest / FOLDERS[name]
    if _complete(name, root):
        return root
    archives = tuple(ARCHIVES[name] if archives is None else archives)
    downloads = dest / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)

    paths = []
    for archive in archives:
        target = downloads / archive.filename
        if not target.exists():
            try:
                _probe(archive.url, timeout)
            except OSError as err:
                raise ConnectionError(
                    f"Cannot reach {archive.url} ({err}).\n" + _how_to_get(name, dest)
                ) from None
        try:
            path = keras.utils.get_file(
                archive.filename,
                origin=archive.url,
                file_hash=archive.file_hash,
                hash_algorithm=archive.hash_algorithm,
                cache_dir=str(dest.resolve()),
                cache_subdir="downloads",
            )
        except ValueError:
            target.unlink(missing_ok=True)
            raise ValueError(
                f"{archive.filename} from {archive.url} does not match its published "
                f"{archive.hash_algorithm} checksum {archive.file_hash}: the download was "
                "damaged, or the file changed at its source. It has been deleted; run "
                "download() again, or check the file's origin.\n" + _how_to_get(name, dest)
            ) from None
        except Exception as err:  # get_file reports network failures as bare Exception
            target.unlink(missing_ok=True)
            raise ConnectionError(
                f"Downloading {archive.url} failed ({err}).\n" + _how_to_get(name, dest)
            ) from None
        paths.append((archive, Path(path)))

    # Extract next to the root and rename at the end: an interrupted extraction
    # never leaves a root that looks complete.
    partial = dest / f".{FOLDERS[name]}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    for archive, path in paths:
        print(f"Extracting {path.name} ...", flush=True)
        _extract(path, partial)
    extracted = partial / FOLDERS[name] if archives[0].top_level else partial
    if not _complete(name, extracted):
        raise ValueError(
            f"The archives of {name!r} did not hold the expected layout "
            f"({', '.join(_REQUIRED[name])} under {FOLDERS[name]}/)."
        )
    if root.exists():
        print(f"Replacing the incomplete {root} ...", flush=True)
        shutil.rmtree(root)
    extracted.rename(root)
    shutil.rmtree(partial, ignore_errors=True)
    return root


_MARKER = "synthetic.json"  # written by synthetic() into every stand-in root


def is_synthetic(root: str | Path) -> bool:
    """Whether ``root`` holds a stand-in written by :func:`synthetic` (not the real data)."""
    return (Path(root) / _MARKER).exists()


def prepare(name: str, data_dir: str | Path = "data", *, profile: str = "smoke") -> Path:
    """The dataset root for a profile: the real archive (``"full"``) or the stand-in (``"smoke"``).

    ``"full"`` calls :func:`download` (nothing is fetched when
    ``data_dir/<FOLDERS[name]>`` is already complete). ``"smoke"`` returns
    ``data_dir/synthetic/<FOLDERS[name]>``, writing the default stand-in there with
    :func:`synthetic` if it is missing or was written by another version of the
    generator. Either root goes to the same loader.
    """
    _check_name(name)
    if profile == "full":
        return download(name, data_dir)
    if profile != "smoke":
        raise ValueError(f"profile must be 'smoke' or 'full', got {profile!r}.")
    root = Path(data_dir) / "synthetic" / FOLDERS[name]
    if is_synthetic(root):
        written = json.loads((root / _MARKER).read_text())
        if written == _stand_in_record(name, **_STAND_IN_DEFAULTS[name]):
            return root
        shutil.rmtree(root)  # a stand-in from another version of the generator
    return synthetic(name, root)


# --------------------------------------------------------------------------
# Loaders
# --------------------------------------------------------------------------


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
class _Files:
    """What a loader's dataset streams: one file and one label per element."""

    paths: np.ndarray  # str, [N]
    labels: np.ndarray  # int32, [N]


def source_files(dataset: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray] | None:
    """The ``(paths, labels)`` a loader's dataset reads, in order; ``None`` for other datasets.

    Only datasets returned as they are by :func:`tiny_imagenet` or
    :func:`stanford_dogs` know their files; a transformed dataset (``.take``,
    ``.map``...) does not.
    """
    files = getattr(dataset, "_mnlib_files", None)
    return None if files is None else (files.paths, files.labels)


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
        with mnlib._stderr_silenced():  # libjpeg prints its own complaints about bad files
            for indices, _ in ds.ignore_errors().batch(4096):
                good[indices.numpy()] = True
        _DECODES.update(k for k, ok in zip(todo, good) if ok)
    return [str(p) for p, k in zip(paths, keys) if k is None or k not in _DECODES]


def _file_dataset(paths, labels, root: Path, bad_files: str) -> tf.data.Dataset:
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
            f"Skipping {len(bad)} file(s) under {root} that are missing or cannot be "
            f"decoded as images:\n  {listing}",
            UserWarning,
            stacklevel=3,
        )
        keep = ~np.isin(paths, np.asarray(bad, dtype=str))
        paths, labels = paths[keep], labels[keep]
    ds = tf.data.Dataset.from_tensor_slices((paths, labels))
    ds = ds.map(_load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds._mnlib_files = _Files(paths, labels)
    return ds


def _missing_root(name: str, root: Path, expected: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"No {_HUMAN[name]} at {root}: {root / expected} does not exist.\n"
        + _how_to_get(name, root.parent)
    )


def _select(all_ids: Sequence[str], classes, what: str, match=None) -> list[str]:
    """Resolve a loader's ``classes`` argument to a list of class ids."""
    if classes is None:
        return list(all_ids)
    if isinstance(classes, (int, np.integer)) and not isinstance(classes, bool):
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
        raise ValueError(f"{_HUMAN[name]} split must be one of {SPLITS[name]}, got {split!r}.")


def tiny_imagenet(
    root: str | Path,
    split: str = "train",
    classes: int | Sequence[str] | None = None,
    *,
    bad_files: str = "skip",
) -> tuple[tf.data.Dataset, ClassNames]:
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


def _breed(folder: str) -> str:
    """``"n02085782-Japanese_spaniel"`` -> ``"Japanese spaniel"``."""
    return folder.split("-", 1)[-1].replace("_", " ")


def stanford_dogs(
    root: str | Path,
    split: str = "train",
    classes: int | Sequence[str] | None = None,
    *,
    bad_files: str = "skip",
) -> tuple[tf.data.Dataset, ClassNames]:
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
    names = ClassNames(ids, [_breed(i) for i in ids])
    label_of = {folder: k for k, folder in enumerate(ids)}
    paths, labels = [], []
    for f, k in zip(files, official):
        folder = folder_of[k]
        if folder in label_of:
            paths.append(str(root / "Images" / f))
            labels.append(label_of[folder])
    return _file_dataset(paths, labels, root, bad_files), names


def load(
    name: str,
    root: str | Path,
    split: str = "train",
    classes: int | Sequence[str] | None = None,
    **options,
) -> tuple[tf.data.Dataset, ClassNames]:
    """:func:`tiny_imagenet` or :func:`stanford_dogs`, chosen by ``name`` (see :data:`NAMES`).

    ``split`` may also be ``"eval"``: the dataset's labelled evaluation split
    (``"val"`` for Tiny ImageNet, ``"test"`` for Stanford Dogs; :data:`SPLITS`).
    """
    _check_name(name)
    if split == "eval":
        split = SPLITS[name][1]
    loader = tiny_imagenet if name == TINY_IMAGENET else stanford_dogs
    return loader(root, split, classes, **options)


def study_data(dataset: str, data_dir: str | Path, classes: int | Sequence[str] | None = 10):
    """Training and evaluation splits of Tiny ImageNet for a study notebook.

    Args:
        dataset: ``"synthetic"`` (the stand-in, written under ``data_dir`` if
            missing) or ``"tiny-imagenet"`` (the real archive, downloaded and
            extracted into ``data_dir`` if missing; see :func:`download`).
        data_dir: the folder that holds the datasets.
        classes: as for :func:`tiny_imagenet` (the stand-in has 10 classes).

    Returns:
        ``(train, val, class_names)``: unbatched datasets of ``(uint8 image,
        int label)`` and the classes' :class:`ClassNames`.
    """
    profiles = {"synthetic": "smoke", TINY_IMAGENET: "full"}
    if dataset not in profiles:
        raise ValueError(f"dataset must be 'synthetic' (the stand-in) or 'tiny-imagenet'; got {dataset!r}.")
    root = prepare(TINY_IMAGENET, data_dir, profile=profiles[dataset])
    train, names = load(TINY_IMAGENET, root, "train", classes)
    val, _ = load(TINY_IMAGENET, root, "eval", classes)
    return train, val, names


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
    return table.sort_values(["files", "format", "mode"], ascending=[False, True, True],
                             ignore_index=True)


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


# --------------------------------------------------------------------------
# The input pipeline
# --------------------------------------------------------------------------


def _model_resolution(resolution: int, family: str) -> int:
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}.")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 8:
        raise ValueError(f"resolution must be an int >= 8 (pixels), got {resolution!r}.")
    if family == "inception_v3":
        return max(int(resolution), INCEPTION_MIN_RESOLUTION)
    return int(resolution)


def resize(image: tf.Tensor, resolution: int) -> tf.Tensor:
    """Resize an image to ``resolution x resolution`` pixels, as float32 in [0, 255].

    Bilinear, with anti-aliasing when shrinking (so detail finer than the new
    pixel grid is averaged away, not aliased into false patterns); the aspect
    ratio is not kept (the photo is squeezed to a square), as Keras' image
    loaders do.
    """
    image = tf.image.resize(image, (resolution, resolution), antialias=True)
    return tf.clip_by_value(image, 0.0, 255.0)


def preprocess(images: tf.Tensor, family: str) -> tf.Tensor:
    """A model family's own input scaling, from float RGB in [0, 255].

    ``"mobilenet"`` and ``"inception_v3"``: ``x / 127.5 - 1``, in [-1, 1].
    ``"vgg16"``: "caffe" mode, RGB to BGR and the ImageNet mean pixel
    (103.939, 116.779, 123.68) subtracted, no scaling. These are
    ``keras.applications.<family>.preprocess_input``, called here.
    """
    from keras.applications import inception_v3, mobilenet, vgg16

    functions = {
        "mobilenet": mobilenet.preprocess_input,
        "inception_v3": inception_v3.preprocess_input,
        "vgg16": vgg16.preprocess_input,
    }
    if family not in functions:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}.")
    return functions[family](tf.cast(images, tf.float32))


#: What ``augment=True`` does, in order (see :func:`augment_image`).
AUGMENTATION = {
    "crop": (0.8, 1.0),  # random crop: each side scaled by one factor in this range
    "flip": 0.5,  # probability of a left-right flip
    "brightness": 0.1,  # +- this fraction of the full range (255)
    "contrast": (0.8, 1.2),  # factor range
    "saturation": (0.8, 1.2),  # factor range
}


def augment_image(image: tf.Tensor, resolution: int, seed: tf.Tensor) -> tf.Tensor:
    """Random crop, resize, flip and colour change of one image; float32 [r, r, 3] in [0, 255].

    The crop keeps a window whose sides are the same random fraction (0.8 to 1)
    of the image's sides, at a random position; it is resized to
    ``resolution``; a left-right flip follows with probability 1/2; brightness
    moves by up to 10 % of the range, contrast and saturation are scaled by 0.8
    to 1.2 (:data:`AUGMENTATION`). Every draw is a stateless function of
    ``seed`` (int ``[2]``), so the same seed gives the same result.
    """
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 6)
    shape = tf.shape(image)
    lo, hi = AUGMENTATION["crop"]
    scale = tf.random.stateless_uniform([], seeds[0], lo, hi)
    crop = tf.stack([
        tf.maximum(1, tf.cast(tf.round(scale * tf.cast(shape[0], tf.float32)), tf.int32)),
        tf.maximum(1, tf.cast(tf.round(scale * tf.cast(shape[1], tf.float32)), tf.int32)),
        3,
    ])
    image = tf.image.stateless_random_crop(image, crop, seeds[1])
    image = resize(image, resolution)
    flip = tf.random.stateless_uniform([], seeds[2]) < AUGMENTATION["flip"]
    image = tf.cond(flip, lambda: tf.image.flip_left_right(image), lambda: image)
    image = tf.image.stateless_random_brightness(image, AUGMENTATION["brightness"] * 255.0, seeds[3])
    image = tf.image.stateless_random_contrast(image, *AUGMENTATION["contrast"], seeds[4])
    image = tf.image.stateless_random_saturation(image, *AUGMENTATION["saturation"], seeds[5])
    return tf.clip_by_value(image, 0.0, 255.0)


def pipeline(
    dataset: tf.data.Dataset,
    *,
    resolution: int,
    family: str = "mobilenet",
    batch_size: int = 32,
    augment: bool = False,
    shuffle: bool = True,
    seed: int = 0,
    shuffle_buffer: int | None = None,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """Model input from a loader's dataset: batches of ``(float32 [B, r, r, 3], int32 [B])``.

    Steps, in order: shuffle (when ``shuffle``); read and decode the files, in
    parallel; augment (when ``augment``, :func:`augment_image`) or just
    :func:`resize` to ``r``; apply the family's :func:`preprocess`; batch;
    prefetch. Only the shuffle buffer of file names and a few batches are in
    memory at any time.

    Args:
        dataset: unbatched ``(uint8 image [H, W, 3], int label)`` elements, best
            straight from :func:`tiny_imagenet` or :func:`stanford_dogs`: then the
            file names are shuffled (all of them, so every epoch is a full
            shuffle) before any image is decoded. Any other dataset of images
            is shuffled through a buffer of ``shuffle_buffer`` decoded images.
        resolution: side ``r`` of the square model input in pixels (the paper's
            resolution multiplier rho times the base resolution). For
            ``"inception_v3"`` at least 75 (:data:`INCEPTION_MIN_RESOLUTION`):
            smaller values are raised to 75.
        family: ``"mobilenet"``, ``"vgg16"`` or ``"inception_v3"``: whose
            preprocessing to apply ([-1, 1] for MobileNet and InceptionV3,
            "caffe" BGR mean subtraction for VGG16).
        batch_size: images per batch.
        augment: random crop, flip and colour change (:data:`AUGMENTATION`),
            different in every epoch; for training only.
        shuffle: shuffle the order, differently in every epoch; ``False`` keeps
            the loader's order (for evaluation).
        seed: fixes the shuffle orders and the augmentation draws: the same seed
            gives the same batches, epoch after epoch.
        shuffle_buffer: buffer size for datasets that are not a loader's
            (default 1024 images); ignored for a loader's dataset.
        drop_remainder: drop the last, smaller batch.

    Returns:
        A batched, prefetched dataset; with ``shuffle`` and ``augment`` each new
        pass over it (each Keras epoch) is a new, reproducible draw.
    """
    size = _model_resolution(resolution, family)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")
    files = getattr(dataset, "_mnlib_files", None)
    parallel = dict(num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    if files is not None:
        ds = tf.data.Dataset.from_tensor_slices((files.paths, files.labels))
        if shuffle:
            ds = ds.shuffle(max(1, len(files.paths)), seed=seed, reshuffle_each_iteration=True)
    else:
        ds = dataset
        if shuffle:
            ds = ds.shuffle(shuffle_buffer or 1024, seed=seed, reshuffle_each_iteration=True)

    if augment:
        # One random pair per element, from a stream that is redrawn at each pass.
        draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        ds = tf.data.Dataset.zip((ds, draws))

    def prepare_element(element, draw=None):
        item, label = element
        image = decode(tf.io.read_file(item)) if files is not None else item
        if draw is None:
            image = resize(image, size)
        else:
            image = augment_image(image, size, draw)
        image = preprocess(image, family)
        image = tf.ensure_shape(image, [size, size, 3])
        return image, tf.cast(label, tf.int32)

    if augment:
        ds = ds.map(lambda element, draw: prepare_element(element, draw), **parallel)
    else:
        ds = ds.map(lambda *element: prepare_element(element), **parallel)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    options = tf.data.Options()
    options.deterministic = True
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)


# --------------------------------------------------------------------------
# Stand-ins
# --------------------------------------------------------------------------

#: The stand-ins' classes: one fine texture each, none the mirror image of
#: another (so a left-right flip never changes the class). Each texture is a
#: sum of sinusoidal gratings, given as (direction of the wave in degrees,
#: period relative to the image's base period p); "rings" and "wavy stripes"
#: are drawn apart.
PATTERNS: dict[str, tuple[tuple[float, float], ...]] = {
    "horizontal stripes": ((90, 1),),
    "vertical stripes": ((0, 1),),
    "square grid": ((0, 1), (90, 1)),
    "diagonal grid": ((45, 1), (135, 1)),
    "rings": (),
    "honeycomb": ((90, 1), (30, 1), (150, 1)),
    "honeycomb, turned": ((0, 1), (60, 1), (120, 1)),
    "wavy stripes": (),
    "plaid": ((90, 1), (0, 2)),
    "star grid": ((0, 1), (45, 1), (90, 1), (135, 1)),
}

# Base period p of a texture, in pixels of a 64-pixel image (scaled with larger
# images), drawn per image. Shrinking an image averages away the gratings whose
# period falls below about 2.5 new pixels, so each lower resolution loses the
# finer-textured images first.
_PERIOD_64 = (2.2, 5.0)

_STAND_IN_DEFAULTS = {
    TINY_IMAGENET: dict(classes=10, images_per_class=100, eval_images_per_class=50, seed=0),
    STANFORD_DOGS: dict(classes=10, images_per_class=40, eval_images_per_class=20, seed=0),
}
_GENERATOR_VERSION = 1


def _stand_in_record(name, *, classes, images_per_class, eval_images_per_class, seed,
                     quirks=True, corrupt=0) -> dict:
    return dict(generator="mnlib.data.synthetic", version=_GENERATOR_VERSION, name=name,
                classes=classes, images_per_class=images_per_class,
                eval_images_per_class=eval_images_per_class, seed=seed,
                quirks=quirks, corrupt=corrupt)


def _render(kind: int, height: int, width: int, rng: np.random.Generator) -> tuple[np.ndarray, tuple]:
    """One stand-in image of class ``kind``: uint8 [H, W, 3] and the object's box (x0, y0, x1, y1)."""
    from PIL import Image

    name = list(PATTERNS)[kind]
    period = rng.uniform(*_PERIOD_64) * min(height, width) / 64
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    tilt = rng.uniform(-8, 8)  # orientation jitter, symmetric under a flip

    def phase():
        return rng.uniform(0, 2 * np.pi)

    if name == "rings":
        cy, cx = rng.uniform(0.3, 0.7, 2) * (height, width)
        t = np.cos(2 * np.pi * np.hypot(y - cy, x - cx) / period + phase())
    elif name == "wavy stripes":  # horizontal stripes bent by a slow wave
        bend = 0.6 * period * np.sin(2 * np.pi * x / (4 * period) + phase())
        t = np.cos(2 * np.pi * (y + bend) / period + phase())
    else:
        t = np.zeros_like(x)
        for angle, relative in PATTERNS[name]:
            a = np.deg2rad(angle + tilt)
            t += np.cos(2 * np.pi * (x * np.cos(a) + y * np.sin(a)) / (relative * period) + phase())
    t = t.astype(np.float32)
    t -= t.mean()
    t /= np.abs(t).max() + 1e-6

    # The textured object: a soft-edged ellipse on a smooth coloured background.
    cy, cx = rng.uniform(0.35, 0.65, 2) * (height, width)
    ry, rx = rng.uniform(0.3, 0.48, 2) * (height, width)
    body = 1 / (1 + np.exp((np.hypot((y - cy) / ry, (x - cx) / rx) - 1) * 12))
    coarse = rng.uniform(0, 255, (4, 4, 3)).astype(np.float32)
    background = np.stack(
        [np.asarray(Image.fromarray(coarse[..., c]).resize((width, height), Image.BICUBIC))
         for c in range(3)], axis=-1)
    colour = rng.uniform(50, 205, 3).astype(np.float32)
    # The texture is mostly a change of lightness: JPEG keeps fine detail in
    # lightness, not in colour.
    swing = (rng.uniform(35, 60) + rng.normal(0, 8, 3)).astype(np.float32)
    image = background * (1 - body[..., None]) + (colour + t[..., None] * swing) * body[..., None]
    image += 8 * rng.standard_normal(image.shape, dtype=np.float32)
    box = (int(max(0, cx - rx)), int(max(0, cy - ry)),
           int(min(width - 1, cx + rx)), int(min(height - 1, cy + ry)))
    return np.clip(image, 0, 255).astype(np.uint8), box


def _save(image: np.ndarray, path: Path, quirk: str | None = None) -> None:
    """Write a JPEG, or one of the real archives' odd files under the same name."""
    from PIL import Image

    pil = Image.fromarray(image)
    if quirk == "grayscale":
        pil.convert("L").save(path, format="JPEG", quality=90)
    elif quirk == "cmyk":
        pil.convert("CMYK").save(path, format="JPEG", quality=90)
    elif quirk == "png":
        pil.save(path, format="PNG")
    else:
        pil.save(path, format="JPEG", quality=90)


def _corrupt(path: Path, k: int, rng: np.random.Generator) -> None:
    """A bad file: a JPEG cut in half (even ``k``) or a web page saved as .jpg (odd ``k``)."""
    if k % 2 == 0:
        image, _ = _render(0, 64, 64, rng)
        _save(image, path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(b"<html><body>404 Not Found</body></html>\n")


# Quirk files in every stand-in with quirks=True: (class, image index) -> kind.
_QUIRKS = {(0, 1): "grayscale", (1, 2): "cmyk", (2, 3): "png", (3, 0): "grayscale"}


def synthetic(
    name: str,
    root: str | Path,
    *,
    classes: int = 10,
    images_per_class: int | None = None,
    eval_images_per_class: int | None = None,
    seed: int = 0,
    quirks: bool = True,
    corrupt: int = 0,
) -> Path:
    """Write a small stand-in for a dataset, in exactly its official layout; return ``root``.

    Each class is one of the :data:`PATTERNS`, a fine texture (stripes, grids,
    rings...) on a soft-edged object over a smooth coloured background, in random
    colours, with the texture's period drawn per image from 2.2 to 5 pixels of a
    64-pixel image. A small CNN tells the classes apart within a minute on a
    CPU, and it gets harder as the input resolution falls, because shrinking an
    image averages the finest textures away first (the effect of the paper's
    resolution multiplier).

    * ``"tiny-imagenet"``: ``root`` is the stand-in's ``tiny-imagenet-200`` folder:
      ``wnids.txt``, ``words.txt`` (with a few extra lines, like the real one),
      ``train/<wnid>/images/<wnid>_<k>.JPEG`` with ``train/<wnid>/<wnid>_boxes.txt``,
      ``val/images/val_<k>.JPEG`` with ``val/val_annotations.txt``, and a few
      unlabelled ``test/images``. Images are 64 x 64 JPEGs. Wnids are
      ``n90000000``, ``n90000001``..., outside WordNet's range, so they cannot
      be mistaken for real classes.
    * ``"stanford-dogs"``: ``Images/<wnid>-<Texture>/<wnid>_<k>.jpg`` at random
      sizes (128 to 320 pixels a side), ``Annotation/<same>/<wnid>_<k>`` (XML
      boxes) and ``file_list.mat``, ``train_list.mat``, ``test_list.mat``
      (``file_list`` and ``annotation_list`` as N x 1 cell arrays, ``labels`` N x 1,
      1-based).

    Args:
        name: ``"tiny-imagenet"`` or ``"stanford-dogs"``.
        root: the folder to create (it must not exist yet).
        classes: number of classes, 1 to ``len(PATTERNS)`` (10).
        images_per_class: training images per class (default 100 for Tiny
            ImageNet, 40 for Stanford Dogs).
        eval_images_per_class: validation (Tiny ImageNet) or test (Stanford Dogs)
            images per class (default 50 and 20).
        seed: the same seed writes the same images.
        quirks: include files like the real archives' odd ones: grayscale and
            CMYK JPEGs, and PNG data under a JPEG name (4 training files and 1
            evaluation file).
        corrupt: number of extra, undecodable training files (a truncated JPEG,
            a web page saved as ``.jpg``, alternately), listed like the others.

    Returns:
        ``root``, with a ``synthetic.json`` inside recording these arguments
        (:func:`is_synthetic` looks for it).
    """
    _check_name(name)
    defaults = _STAND_IN_DEFAULTS[name]
    images_per_class = defaults["images_per_class"] if images_per_class is None else images_per_class
    eval_images_per_class = (defaults["eval_images_per_class"] if eval_images_per_class is None
                             else eval_images_per_class)
    if not 1 <= classes <= len(PATTERNS):
        raise ValueError(f"classes must be 1 to {len(PATTERNS)} (one texture each), got {classes}.")
    if images_per_class < 1 or eval_images_per_class < 1 or corrupt < 0:
        raise ValueError("images_per_class and eval_images_per_class must be >= 1, corrupt >= 0.")
    root = Path(root)
    if root.exists():
        raise FileExistsError(f"{root} exists already; synthetic() only writes new folders.")
    record = _stand_in_record(name, classes=classes, images_per_class=images_per_class,
                              eval_images_per_class=eval_images_per_class, seed=seed,
                              quirks=quirks, corrupt=corrupt)
    # Write into a private folder, then rename: a half-written stand-in never
    # looks complete, and two processes writing the same one do not collide.
    work = root.parent / f".{root.name}.{os.getpid()}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    writer = _write_tiny_imagenet if name == TINY_IMAGENET else _write_stanford_dogs
    writer(work, classes, images_per_class, eval_images_per_class, seed, quirks, corrupt)
    (work / _MARKER).write_text(json.dumps(record, indent=1) + "\n")
    try:
        work.rename(root)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
        if not is_synthetic(root):
            raise
    return root


def _rng(seed: int, *key: int) -> np.random.Generator:
    """An independent generator per (seed, split, class, image): order-free determinism."""
    return np.random.default_rng([seed, *key])


def _write_tiny_imagenet(root, classes, n_train, n_val, seed, quirks, corrupt):
    wnids = [f"n9{k:07d}" for k in range(classes)]
    (root / "wnids.txt").write_text("".join(w + "\n" for w in wnids))
    words = [f"{w}\t{list(PATTERNS)[k]}" for k, w in enumerate(wnids)]
    # The real words.txt lists far more synsets than the 200 classes.
    words = ["n00001740\tentity", "n00002137\tabstraction, abstract entity", *words,
             "n99999999\tnot one of the stand-in's classes"]
    (root / "words.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    for c, wnid in enumerate(wnids):
        folder = root / "train" / wnid / "images"
        folder.mkdir(parents=True)
        boxes = []
        for i in range(n_train):
            image, box = _render(c, 64, 64, _rng(seed, 0, c, i))
            name = f"{wnid}_{i}.JPEG"
            _save(image, folder / name, _QUIRKS.get((c, i)) if quirks else None)
            boxes.append("\t".join([name, *map(str, box)]))
        if c == 0:
            for k in range(corrupt):
                name = f"{wnid}_{n_train + k}.JPEG"
                _corrupt(folder / name, k, _rng(seed, 9, c, k))
                boxes.append("\t".join([name, "0", "0", "63", "63"]))
        (root / "train" / wnid / f"{wnid}_boxes.txt").write_text("\n".join(boxes) + "\n")
    # Validation: one folder, classes interleaved, labels in val_annotations.txt.
    order = np.random.default_rng([seed, 1]).permutation(classes * n_val)
    (root / "val" / "images").mkdir(parents=True)
    rows = []
    for k, j in enumerate(order):
        c, i = divmod(int(j), n_val)
        image, box = _render(c, 64, 64, _rng(seed, 1, c, i))
        name = f"val_{k}.JPEG"
        _save(image, root / "val" / "images" / name, "grayscale" if quirks and k == 0 else None)
        rows.append("\t".join([name, wnids[c], *map(str, box)]))
    (root / "val" / "val_annotations.txt").write_text("\n".join(rows) + "\n")
    (root / "test" / "images").mkdir(parents=True)
    for k in range(min(10, classes * n_val)):
        image, _ = _render(k % classes, 64, 64, _rng(seed, 2, 0, k))
        _save(image, root / "test" / "images" / f"test_{k}.JPEG")


_ANNOTATION = """<annotation>
\t<folder>{number}</folder>
\t<filename>{stem}</filename>
\t<source>
\t\t<database>ImageNet database</database>
\t</source>
\t<size>
\t\t<width>{width}</width>
\t\t<height>{height}</height>
\t\t<depth>3</depth>
\t</size>
\t<segment>0</segment>
\t<object>
\t\t<name>{breed}</name>
\t\t<pose>Unspecified</pose>
\t\t<truncated>0</truncated>
\t\t<difficult>0</difficult>
\t\t<bndbox>
\t\t\t<xmin>{x0}</xmin>
\t\t\t<ymin>{y0}</ymin>
\t\t\t<xmax>{x1}</xmax>
\t\t\t<ymax>{y1}</ymax>
\t\t</bndbox>
\t</object>
</annotation>
"""


def _write_stanford_dogs(root, classes, n_train, n_test, seed, quirks, corrupt):
    from scipy.io import savemat

    lists = {"train": [], "test": []}  # (file, annotation, label)
    for c in range(classes):
        wnid = f"n9{c:07d}"
        breed = list(PATTERNS)[c].replace(",", "").replace(" ", "_").capitalize()
        folder = f"{wnid}-{breed}"
        (root / "Images" / folder).mkdir(parents=True)
        (root / "Annotation" / folder).mkdir(parents=True)
        for i in range(n_train + n_test):
            rng = _rng(seed, 0, c, i)
            height, width = (int(v) for v in rng.integers(128, 321, 2))
            image, (x0, y0, x1, y1) = _render(c, height, width, rng)
            stem = f"{wnid}_{i + 1}"
            _save(image, root / "Images" / folder / f"{stem}.jpg",
                  _QUIRKS.get((c, i)) if quirks else None)
            (root / "Annotation" / folder / stem).write_text(_ANNOTATION.format(
                number=wnid[1:], stem=stem, width=width, height=height,
                breed=_breed(folder), x0=x0, y0=y0, x1=x1, y1=y1))
            split = "train" if i < n_train else "test"
            lists[split].append((f"{folder}/{stem}.jpg", f"{folder}/{stem}", c + 1))
        if c == 0:
            for k in range(corrupt):
                stem = f"{wnid}_{n_train + n_test + k + 1}"
                _corrupt(root / "Images" / folder / f"{stem}.jpg", k, _rng(seed, 9, c, k))
                lists["train"].append((f"{folder}/{stem}.jpg", f"{folder}/{stem}", c + 1))
    lists["train"].sort(key=lambda row: (row[2], row[0]))

    def cells(strings):
        out = np.empty((len(strings), 1), dtype=object)
        for k, s in enumerate(strings):
            out[k, 0] = s
        return out

    everything = sorted(lists["train"] + lists["test"], key=lambda row: (row[2], row[0]))
    for stem, rows in (("file", everything), ("train", lists["train"]), ("test", lists["test"])):
        savemat(root / f"{stem}_list.mat", {
            "file_list": cells([r[0] for r in rows]),
            "annotation_list": cells([r[1] for r in rows]),
            "labels": np.array([[r[2]] for r in rows], dtype=np.float64),
        })


# --------------------------------------------------------------------------
# Looking at a dataset
# --------------------------------------------------------------------------


def example_grid(dataset: tf.data.Dataset, class_names: ClassNames, *, per_class: int = 4,
                 max_classes: int = 10, title: str = ""):
    """A figure of the first ``per_class`` images of each class (rows), at their stored size.

    Works on a loader's dataset (it reads only the files it shows). Rows are
    labelled with the readable class names.
    """
    import matplotlib.pyplot as plt

    files = source_files(dataset)
    if files is None:
        raise ValueError("example_grid needs a dataset straight from tiny_imagenet() or stanford_dogs().")
    paths, labels = files
    shown = list(range(min(len(class_names), max_classes)))
    fig, axes = plt.subplots(len(shown), per_class, figsize=(1.6 * per_class, 1.5 * len(shown)),
                             squeeze=False)
    for row, label in enumerate(shown):
        picks = paths[labels == label][:per_class]
        for col in range(per_class):
            ax = axes[row, col]
            ax.set_xticks([])
            ax.set_yticks([])
            if col < len(picks):
                ax.imshow(decode(tf.io.read_file(picks[col])).numpy())
            if col == 0:
                ax.set_ylabel(class_names.readable[label][:22], rotation=0, ha="right",
                              va="center", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def probe_accuracy(
    train: tf.data.Dataset,
    evaluation: tf.data.Dataset,
    *,
    resolution: int,
    epochs: int = 6,
    seed: int = 0,
    batch_size: int = 32,
) -> float:
    """Accuracy on ``evaluation`` of a small CNN trained briefly on ``train`` at ``resolution``.

    A quick probe of how much class signal a dataset carries at a resolution,
    not a result to compare with the paper: three 3 x 3 convolutions (24, 24, 48
    filters; the first of stride 2) with batch normalisation and ReLU, global
    average pooling and a linear classifier, trained with Adam (learning rate
    0.002) on augmented :func:`pipeline` batches. Both datasets come from a
    loader; the number of classes is read from the training labels.
    """
    import keras
    from keras import layers

    files = source_files(train)
    classes = int(files[1].max()) + 1 if files is not None else None
    if classes is None:
        raise ValueError("probe_accuracy needs the training dataset straight from a loader.")
    keras.utils.set_random_seed(seed)

    def block(x, filters, stride=1):
        x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        return layers.ReLU()(x)

    inputs = keras.Input((resolution, resolution, 3))
    x = block(inputs, 24, stride=2)
    x = layers.MaxPool2D()(block(x, 24))
    x = layers.GlobalAveragePooling2D()(block(x, 48))
    model = keras.Model(inputs, layers.Dense(classes)(x))
    model.compile(
        keras.optimizers.Adam(0.002),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(
        pipeline(train, resolution=resolution, batch_size=batch_size, augment=True, seed=seed),
        epochs=epochs, shuffle=False, verbose=0,
    )
    _, accuracy = model.evaluate(
        pipeline(evaluation, resolution=resolution, batch_size=batch_size, shuffle=False), verbose=0)
    return float(accuracy)
