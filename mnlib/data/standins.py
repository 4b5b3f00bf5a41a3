"""The synthetic stand-ins: small datasets written in exactly the official layouts.

The course's smoke runs and tests cannot download Tiny ImageNet or Stanford
Dogs, so :func:`synthetic` writes a small dataset of generated images in the
same folders, file formats and label files, and the same loaders read it.
Results on it are always labelled "synthetic stand-in". :func:`prepare` gives
the root of the real archive or of the default stand-in. Introduced in chapter 0.

Each of the ten classes (:data:`CLASSES`) is an object of one of five shapes,
each shape in its own band of hues (coarse cues that survive any downsampling),
filled with fine stripes, horizontal or vertical (a fine cue: the stripes'
period is drawn per image from 2.2 to 5 pixels of a 64-pixel image, so
shrinking the image averages the finer stripes away first). Two classes share
each shape, so at full resolution every class can be told apart, while at low
resolution only the shape is left: accuracy falls towards one half of the
classes' worth, the effect of the paper's resolution multiplier.
"""

from __future__ import annotations

import colorsys
import json
import os
import shutil
from pathlib import Path

import numpy as np

from mnlib import checks
from mnlib.data.archives import FOLDERS, NAMES, STANFORD_DOGS, TINY_IMAGENET, download
from mnlib.data.loaders import breed_name
from mnlib.results import write_json

__all__ = ["CLASSES", "SHAPES", "synthetic", "is_synthetic", "prepare"]

#: The five object shapes, each with the centre of its band of hues (0-1).
SHAPES: dict[str, float] = {"disc": 0.0, "square": 0.2, "triangle": 0.4, "cross": 0.6, "diamond": 0.8}

#: The stand-ins' classes, in label order: readable name -> (shape, stripes).
#: None is the mirror image of another, so a left-right flip keeps the class.
CLASSES: dict[str, tuple[str, str]] = {
    f"{shape}, {stripes} stripes": (shape, stripes) for shape in SHAPES for stripes in ("horizontal", "vertical")
}

# The stripes' period, in pixels of a 64-pixel image (scaled with larger
# images), drawn per image. Shrinking an image averages away the stripes whose
# period falls below about 2.5 new pixels, so each lower resolution loses the
# finer-striped images first.
_PERIOD_64 = (2.2, 5.0)

_STAND_IN_DEFAULTS = {
    TINY_IMAGENET: dict(classes=10, images_per_class=100, eval_images_per_class=50, seed=0),
    STANFORD_DOGS: dict(classes=10, images_per_class=40, eval_images_per_class=20, seed=0),
}
_GENERATOR_VERSION = 2
_MARKER = "synthetic.json"  # written by synthetic() into every stand-in root


def is_synthetic(root: str | Path) -> bool:
    """Whether ``root`` holds a stand-in written by :func:`synthetic` (not the real data)."""
    return (Path(root) / _MARKER).exists()


def prepare(name: str, data_dir: str | Path = "data", *, synthetic: bool = False) -> Path:
    """The root of dataset ``name``: the official archive, or (``synthetic=True``) its default stand-in.

    The archive comes from :func:`~mnlib.data.download` (nothing is fetched when
    ``data_dir/<FOLDERS[name]>`` is already complete). The stand-in is
    ``data_dir/synthetic/<FOLDERS[name]>``, written with :func:`synthetic` if it
    is missing or was written by another version of the generator. Either
    root goes to the same loader.
    """
    checks.choice("name", name, NAMES)
    if not isinstance(synthetic, bool):
        raise TypeError(f"synthetic must be True or False; got {synthetic!r}.")
    if not synthetic:
        return download(name, data_dir)
    root = Path(data_dir) / "synthetic" / FOLDERS[name]
    if is_synthetic(root):
        written = json.loads((root / _MARKER).read_text())
        if written == _stand_in_record(name, **_STAND_IN_DEFAULTS[name]):
            return root
        shutil.rmtree(root)  # a stand-in from another version of the generator
    return _write_synthetic(name, root)


def _stand_in_record(name, *, classes, images_per_class, eval_images_per_class, seed, quirks=True, corrupt=0) -> dict:
    return dict(
        generator="mnlib.data.synthetic",
        version=_GENERATOR_VERSION,
        name=name,
        classes=classes,
        images_per_class=images_per_class,
        eval_images_per_class=eval_images_per_class,
        seed=seed,
        quirks=quirks,
        corrupt=corrupt,
    )


def _shape_mask(shape: str, y, x, centre, radius: float, turn: float) -> np.ndarray:
    """Soft-edged mask (0 outside, 1 inside) of a shape of about ``radius`` pixels."""
    c, s = np.cos(turn), np.sin(turn)
    dy, dx = y - centre[0], x - centre[1]
    u, v = (c * dx + s * dy) / radius, (-s * dx + c * dy) / radius
    if shape == "disc":
        d = np.hypot(u, v)
    elif shape == "square":
        d = np.maximum(abs(u), abs(v)) * 1.15
    elif shape == "diamond":
        d = (abs(u) + abs(v)) * 0.85
    elif shape == "cross":
        d = np.minimum(np.maximum(abs(u) * 3, abs(v)), np.maximum(abs(u), abs(v) * 3))
    else:  # an upright triangle
        d = np.maximum.reduce([2 * v - 0.9, -1.7 * u - v - 0.5, 1.7 * u - v - 0.5]) + 1
    return 1 / (1 + np.exp((d - 1) * 14))


def _render(kind: int, height: int, width: int, rng: np.random.Generator) -> tuple[np.ndarray, tuple]:
    """One stand-in image of class ``kind``: uint8 [H, W, 3] and the object's box (x0, y0, x1, y1)."""
    from PIL import Image

    shape, stripes = list(CLASSES.values())[kind]
    period = rng.uniform(*_PERIOD_64) * min(height, width) / 64
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = np.deg2rad(rng.uniform(-8, 8) + (90 if stripes == "horizontal" else 0))  # jitter symmetric under a flip
    wave = 2 * np.pi * (x * np.cos(angle) + y * np.sin(angle)) / period + rng.uniform(0, 2 * np.pi)
    texture = np.cos(wave).astype(np.float32)
    centre = rng.uniform(0.4, 0.6, 2) * (height, width)
    radius = rng.uniform(0.28, 0.42) * min(height, width)
    body = _shape_mask(shape, y, x, centre, radius, rng.uniform(-0.3, 0.3))
    coarse = rng.uniform(0, 255, (4, 4, 3)).astype(np.float32)  # a smooth, random background
    background = np.stack(
        [np.asarray(Image.fromarray(coarse[..., c]).resize((width, height), Image.BICUBIC)) for c in range(3)], -1
    )
    hue = (SHAPES[shape] + rng.uniform(-0.06, 0.06)) % 1
    colour = 255 * np.array(colorsys.hsv_to_rgb(hue, rng.uniform(0.5, 0.9), rng.uniform(0.55, 0.85)), np.float32)
    # The stripes are a change of lightness: JPEG keeps fine detail in lightness, not in colour.
    image = background * (1 - body[..., None]) + (colour + texture[..., None] * rng.uniform(40, 60)) * body[..., None]
    image += 8 * rng.standard_normal(image.shape, dtype=np.float32)
    box = (
        int(max(0, centre[1] - radius)),
        int(max(0, centre[0] - radius)),
        int(min(width - 1, centre[1] + radius)),
        int(min(height - 1, centre[0] + radius)),
    )
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

    Each class is one of the :data:`CLASSES`: a striped object of one shape
    and band of hues over a smooth, random background (see the module's
    description). Telling the two classes of a shape apart needs the fine
    stripes, which fade as the input resolution falls.

    * ``"tiny-imagenet"``: ``root`` is the stand-in's ``tiny-imagenet-200`` folder:
      ``wnids.txt``, ``words.txt`` (with a few extra lines, like the real one),
      ``train/<wnid>/images/<wnid>_<k>.JPEG`` with ``train/<wnid>/<wnid>_boxes.txt``,
      ``val/images/val_<k>.JPEG`` with ``val/val_annotations.txt``, and a few
      unlabelled ``test/images``. Images are 64 x 64 JPEGs. Wnids are
      ``n90000000``, ``n90000001``..., outside WordNet's range, so they cannot
      be mistaken for real classes.
    * ``"stanford-dogs"``: ``Images/<wnid>-<Class>/<wnid>_<k>.jpg`` at random
      sizes (128 to 320 pixels a side), ``Annotation/<same>/<wnid>_<k>`` (XML
      boxes) and ``file_list.mat``, ``train_list.mat``, ``test_list.mat``
      (``file_list`` and ``annotation_list`` as N x 1 cell arrays, ``labels`` N x 1,
      1-based).

    Args:
        name: ``"tiny-imagenet"`` or ``"stanford-dogs"``.
        root: the folder to create (it must not exist yet).
        classes: number of classes, 1 to ``len(CLASSES)`` (10).
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
    checks.choice("name", name, NAMES)
    defaults = _STAND_IN_DEFAULTS[name]
    images_per_class = defaults["images_per_class"] if images_per_class is None else images_per_class
    eval_images_per_class = (
        defaults["eval_images_per_class"] if eval_images_per_class is None else eval_images_per_class
    )
    if not 1 <= classes <= len(CLASSES):
        raise ValueError(f"classes must be 1 to {len(CLASSES)} (one texture each), got {classes}.")
    if images_per_class < 1 or eval_images_per_class < 1 or corrupt < 0:
        raise ValueError("images_per_class and eval_images_per_class must be >= 1, corrupt >= 0.")
    root = Path(root)
    if root.exists():
        raise FileExistsError(f"{root} exists already; synthetic() only writes new folders.")
    record = _stand_in_record(
        name,
        classes=classes,
        images_per_class=images_per_class,
        eval_images_per_class=eval_images_per_class,
        seed=seed,
        quirks=quirks,
        corrupt=corrupt,
    )
    # Write into a private folder, then rename: a half-written stand-in never
    # looks complete, and two processes writing the same one do not collide.
    work = root.parent / f".{root.name}.{os.getpid()}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    writer = _write_tiny_imagenet if name == TINY_IMAGENET else _write_stanford_dogs
    writer(work, classes, images_per_class, eval_images_per_class, seed, quirks, corrupt)
    write_json(work / _MARKER, record)
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
    words = [f"{w}\t{list(CLASSES)[k]}" for k, w in enumerate(wnids)]
    # The real words.txt lists far more synsets than the 200 classes.
    words = [
        "n00001740\tentity",
        "n00002137\tabstraction, abstract entity",
        *words,
        "n99999999\tnot one of the stand-in's classes",
    ]
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
        breed = list(CLASSES)[c].replace(",", "").replace(" ", "_").capitalize()
        folder = f"{wnid}-{breed}"
        (root / "Images" / folder).mkdir(parents=True)
        (root / "Annotation" / folder).mkdir(parents=True)
        for i in range(n_train + n_test):
            rng = _rng(seed, 0, c, i)
            height, width = (int(v) for v in rng.integers(128, 321, 2))
            image, (x0, y0, x1, y1) = _render(c, height, width, rng)
            stem = f"{wnid}_{i + 1}"
            _save(image, root / "Images" / folder / f"{stem}.jpg", _QUIRKS.get((c, i)) if quirks else None)
            (root / "Annotation" / folder / stem).write_text(
                _ANNOTATION.format(
                    number=wnid[1:],
                    stem=stem,
                    width=width,
                    height=height,
                    breed=breed_name(folder),
                    x0=x0,
                    y0=y0,
                    x1=x1,
                    y1=y1,
                )
            )
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
        savemat(
            root / f"{stem}_list.mat",
            {
                "file_list": cells([r[0] for r in rows]),
                "annotation_list": cells([r[1] for r in rows]),
                "labels": np.array([[r[2]] for r in rows], dtype=np.float64),
            },
        )


# prepare() names its flag `synthetic`, which hides the function there.
_write_synthetic = synthetic
