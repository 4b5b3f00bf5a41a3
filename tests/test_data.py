"""mnlib.data: stand-ins in the official layouts, loaders, quirks, download, pipeline."""

import hashlib
import io
import json
import os
import socket
import tarfile
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from scipy.io import loadmat

import mnlib  # noqa: F401  (imports TensorFlow quietly)
from mnlib import data
from mnlib.data import archives as archive_module

# Small stand-ins keep the tests fast; the quirk files need >= 4 classes and
# >= 4 images per class (see mnlib.data.standins._QUIRKS).
TINY = dict(classes=4, images_per_class=12, eval_images_per_class=5)
DOGS = dict(classes=4, images_per_class=6, eval_images_per_class=3)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return data.synthetic("tiny-imagenet", tmp_path_factory.mktemp("t") / "tiny-imagenet-200", **TINY)


@pytest.fixture(scope="module")
def dogs(tmp_path_factory):
    return data.synthetic("stanford-dogs", tmp_path_factory.mktemp("d") / "stanford-dogs", **DOGS)


@pytest.fixture(scope="module")
def tiny_corrupt(tmp_path_factory):
    return data.synthetic("tiny-imagenet", tmp_path_factory.mktemp("tc") / "tiny", corrupt=2, **TINY)


@pytest.fixture(scope="module")
def dogs_corrupt(tmp_path_factory):
    return data.synthetic("stanford-dogs", tmp_path_factory.mktemp("dc") / "dogs", corrupt=2, **DOGS)


@pytest.fixture(scope="module")
def default_tiny(tmp_path_factory):
    """The smoke profile's stand-in, as a notebook gets it."""
    return data.prepare("tiny-imagenet", tmp_path_factory.mktemp("prep"), synthetic=True)


def _elements(dataset):
    return [(image.numpy(), int(label)) for image, label in dataset]


def _batches(dataset):
    return [(x.numpy(), y.numpy()) for x, y in dataset]


# --------------------------------------------------------------------------
# Stand-ins: the official layouts
# --------------------------------------------------------------------------


def test_tiny_imagenet_stand_in_has_the_official_layout(tiny):
    wnids = (tiny / "wnids.txt").read_text().split()
    assert len(wnids) == 4 and all(len(w) == 9 and w[0] == "n" for w in wnids)
    words = dict(line.split("\t") for line in (tiny / "words.txt").read_text().splitlines())
    assert set(wnids) < set(words)  # like the real file, it lists more synsets than classes
    for wnid in wnids:
        images = sorted((tiny / "train" / wnid / "images").iterdir())
        assert [p.name for p in images] == sorted(f"{wnid}_{k}.JPEG" for k in range(12))
        boxes = (tiny / "train" / wnid / f"{wnid}_boxes.txt").read_text().splitlines()
        assert sorted(b.split("\t")[0] for b in boxes) == [p.name for p in images]
        assert all(len(b.split("\t")) == 5 for b in boxes)
    rows = [r.split("\t") for r in (tiny / "val" / "val_annotations.txt").read_text().splitlines()]
    assert len(rows) == 4 * 5 and all(len(r) == 6 for r in rows)
    assert {r[1] for r in rows} == set(wnids)
    assert all((tiny / "val" / "images" / r[0]).is_file() for r in rows)
    assert any((tiny / "test" / "images").iterdir())
    with Image.open(tiny / "train" / wnids[3] / "images" / f"{wnids[3]}_5.JPEG") as im:
        assert (im.format, im.size) == ("JPEG", (64, 64))
    assert data.is_synthetic(tiny)


def test_stanford_dogs_stand_in_has_the_official_layout(dogs):
    folders = sorted(p.name for p in (dogs / "Images").iterdir())
    assert len(folders) == 4 and all(f.startswith("n") and "-" in f for f in folders)
    lists = {k: loadmat(dogs / f"{k}_list.mat") for k in ("file", "train", "test")}
    for mat in lists.values():
        n = mat["labels"].shape[0]
        assert mat["labels"].shape == (n, 1) and mat["file_list"].shape == (n, 1)
        assert mat["annotation_list"].shape == (n, 1)
        assert mat["file_list"].dtype == object  # a cell array of strings
    assert lists["train"]["labels"].shape[0] == 4 * 6 and lists["test"]["labels"].shape[0] == 4 * 3
    assert sorted(np.unique(lists["file"]["labels"])) == [1, 2, 3, 4]  # 1-based, like MATLAB
    files = [str(c[0][0]) for c in lists["file"]["file_list"]]
    assert sorted(files) == sorted(str(c[0][0]) for k in ("train", "test") for c in lists[k]["file_list"])
    for f, label in zip(files, lists["file"]["labels"].ravel()):
        assert (dogs / "Images" / f).is_file() and f.split("/")[0] == folders[int(label) - 1]
    first = str(lists["file"]["annotation_list"][0, 0][0])
    xml = ET.parse(dogs / "Annotation" / first).getroot()
    with Image.open(dogs / "Images" / f"{first}.jpg") as im:
        assert (int(xml.find("size/width").text), int(xml.find("size/height").text)) == im.size
    assert xml.find("object/bndbox/xmax") is not None
    sizes = set()
    for f in files:
        with Image.open(dogs / "Images" / f) as im:
            sizes.add(im.size)
    assert len(sizes) > 5 and min(min(s) for s in sizes) >= 128  # varied, larger than Tiny ImageNet's


def test_stand_ins_are_deterministic_from_their_seed(tmp_path):
    def digest(root):
        return {
            p.relative_to(root).as_posix(): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix != ".mat"
        }

    a = data.synthetic("stanford-dogs", tmp_path / "a", classes=2, images_per_class=2, eval_images_per_class=1)
    b = data.synthetic("stanford-dogs", tmp_path / "b", classes=2, images_per_class=2, eval_images_per_class=1)
    c = data.synthetic("stanford-dogs", tmp_path / "c", classes=2, images_per_class=2, eval_images_per_class=1, seed=1)
    assert digest(a) == digest(b)
    differ = [k for k in digest(a) if k.startswith("Images/") and digest(a)[k] != digest(c)[k]]
    assert len(differ) == 6
    for name in ("train_list.mat", "test_list.mat"):  # .mat headers carry a date: compare contents
        ma, mb = loadmat(a / name), loadmat(b / name)
        assert [str(x[0][0]) for x in ma["file_list"]] == [str(x[0][0]) for x in mb["file_list"]]


def test_synthetic_refuses_to_overwrite_and_checks_its_arguments(tiny, tmp_path):
    with pytest.raises(FileExistsError, match=str(tiny)):
        data.synthetic("tiny-imagenet", tiny)
    with pytest.raises(ValueError, match="1 to 10"):
        data.synthetic("tiny-imagenet", tmp_path / "x", classes=11)
    with pytest.raises(ValueError, match="name must be one of"):
        data.synthetic("imagenet", tmp_path / "y")


def test_prepare_writes_the_stand_in_once_and_rewrites_a_stale_one(default_tiny):
    assert default_tiny.name == "tiny-imagenet-200" and default_tiny.parent.name == "synthetic"
    assert data.is_synthetic(default_tiny)
    marker = default_tiny / "synthetic.json"
    stamp = marker.stat().st_mtime_ns
    assert data.prepare("tiny-imagenet", default_tiny.parent.parent, synthetic=True) == default_tiny
    assert marker.stat().st_mtime_ns == stamp  # not written again
    record = json.loads(marker.read_text())
    assert (record["classes"], record["images_per_class"]) == (10, 100)
    with pytest.raises(TypeError, match="synthetic must be True or False"):
        data.prepare("tiny-imagenet", default_tiny.parent.parent, synthetic="smoke")


def test_prepare_replaces_a_stand_in_from_another_generator_version(tmp_path):
    root = data.synthetic(
        "stanford-dogs",
        tmp_path / "synthetic" / "stanford-dogs",
        classes=1,
        images_per_class=1,
        eval_images_per_class=1,
    )
    again = data.prepare("stanford-dogs", tmp_path, synthetic=True)
    assert again == root
    assert json.loads((root / "synthetic.json").read_text())["classes"] == 10


# --------------------------------------------------------------------------
# Loaders
# --------------------------------------------------------------------------


def test_tiny_imagenet_train_counts_labels_and_names(tiny):
    ds, names = data.tiny_imagenet(tiny, "train")
    wnids = sorted((tiny / "wnids.txt").read_text().split())
    assert list(names) == wnids
    words = dict(line.split("\t") for line in (tiny / "words.txt").read_text().splitlines())
    assert names.readable == [words[w] for w in wnids]
    elements = _elements(ds)
    assert len(elements) == len(ds) == 4 * 12
    assert np.bincount([label for _, label in elements]).tolist() == [12] * 4
    paths, labels = data.source_files(ds)
    assert all(f"/train/{names[k]}/images/" in p.replace(os.sep, "/") for p, k in zip(paths, labels))
    image, label = elements[0]
    assert image.dtype == np.uint8 and image.shape == (64, 64, 3)
    assert ds.element_spec[1].dtype == tf.int32


def test_tiny_imagenet_val_labels_come_from_val_annotations(tiny):
    ds, names = data.tiny_imagenet(tiny, "val")
    truth = dict(r.split("\t")[:2] for r in (tiny / "val" / "val_annotations.txt").read_text().splitlines())
    paths, labels = data.source_files(ds)
    assert len(paths) == len(truth) == 20
    assert all(names[k] == truth[os.path.basename(p)] for p, k in zip(paths, labels))
    assert [label for _, label in _elements(ds)] == labels.tolist()


def test_tiny_imagenet_class_subsets(tiny):
    wnids = sorted((tiny / "wnids.txt").read_text().split())
    first2, names = data.tiny_imagenet(tiny, "train", classes=2)
    assert list(names) == wnids[:2] and len(first2) == 24
    val2, val_names = data.tiny_imagenet(tiny, "val", classes=2)
    assert list(val_names) == list(names)
    assert set(data.source_files(val2)[1].tolist()) <= {0, 1}
    chosen, names = data.tiny_imagenet(tiny, "train", classes=[wnids[3], wnids[1]])
    assert list(names) == [wnids[3], wnids[1]]
    paths, labels = data.source_files(chosen)
    assert all(f"/train/{wnids[3] if k == 0 else wnids[1]}/" in p.replace(os.sep, "/") for p, k in zip(paths, labels))
    for bad in (0, 5):
        with pytest.raises(ValueError, match="1 to 4"):
            data.tiny_imagenet(tiny, "train", classes=bad)
    with pytest.raises(ValueError, match="not a class"):
        data.tiny_imagenet(tiny, "train", classes=["n01443537"])
    with pytest.raises(ValueError, match="twice"):
        data.tiny_imagenet(tiny, "train", classes=[wnids[0], wnids[0]])
    with pytest.raises(ValueError, match="split"):
        data.tiny_imagenet(tiny, "test")


def test_stanford_dogs_splits_labels_and_names(dogs):
    train, names = data.stanford_dogs(dogs, "train")
    test, test_names = data.stanford_dogs(dogs, "test")
    folders = sorted(p.name for p in (dogs / "Images").iterdir())
    assert list(names) == list(test_names) == folders
    assert names.readable[0] == folders[0].split("-", 1)[1].replace("_", " ")
    mat = loadmat(dogs / "train_list.mat")
    paths, labels = data.source_files(train)
    assert labels.tolist() == (mat["labels"].ravel().astype(int) - 1).tolist()
    assert len(train) == 24 and len(test) == 12
    assert not set(paths) & set(data.source_files(test)[0])
    for (image, _), path in zip(_elements(train)[:6], paths):
        with Image.open(path) as im:
            assert image.shape == (im.size[1], im.size[0], 3) and image.dtype == np.uint8
    sub, sub_names = data.stanford_dogs(dogs, "test", classes=[folders[2].split("-")[0]])
    assert list(sub_names) == [folders[2]] and len(sub) == 3
    assert set(data.source_files(sub)[1].tolist()) == {0}
    with pytest.raises(ValueError, match="split"):
        data.stanford_dogs(dogs, "val")


def test_load_dispatches_by_name_and_knows_the_evaluation_split(tiny, dogs):
    ds, names = data.load("tiny-imagenet", tiny, "eval", classes=2)
    assert len(ds) == 10 and len(names) == 2
    ds, names = data.load("stanford-dogs", dogs, "eval")
    assert len(ds) == 12 and data.SPLITS["stanford-dogs"] == ("train", "test")
    with pytest.raises(ValueError, match="name must be one of"):
        data.load("imagenet", tiny)


def test_image_sizes_reads_the_stored_sizes(dogs, tmp_path):
    paths = sorted(str(p) for p in (dogs / "Images").rglob("*.jpg"))[:5]
    sizes = data.image_sizes(paths + [str(tmp_path / "missing.jpg")])
    for path, size in zip(paths, sizes):
        with Image.open(path) as im:
            assert tuple(size) == im.size
    assert tuple(sizes[-1]) == (0, 0)


@pytest.mark.parametrize(
    "loader, expected", [(data.tiny_imagenet, "wnids.txt"), (data.stanford_dogs, "train_list.mat")]
)
def test_a_missing_root_says_where_it_looked_and_how_to_get_the_data(loader, expected, tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        loader(tmp_path / "nowhere")
    message = str(err.value)
    assert str(tmp_path / "nowhere" / expected) in message
    assert "mnlib.data.download(" in message and "http://" in message and "synthetic(" in message


# --------------------------------------------------------------------------
# Real-archive quirks
# --------------------------------------------------------------------------


def test_odd_files_decode_to_rgb(tiny):
    ds, _ = data.tiny_imagenet(tiny, "train")
    paths, _ = data.source_files(ds)
    table = data.image_formats(paths)
    kinds = {(row.format, row.mode): row.files for row in table.itertuples()}
    assert kinds[("JPEG", "L")] == 2 and kinds[("JPEG", "CMYK")] == 1 and kinds[("PNG", "RGB")] == 1
    assert set(table.extension) == {".JPEG"}  # the PNG hides under a JPEG name
    images = dict(zip(paths, (image for image, _ in _elements(ds))))
    for path in paths:
        with Image.open(path) as im:
            mode, fmt, reference = im.mode, im.format, np.asarray(im.convert("RGB"), dtype=float)
        image = images[path]
        assert image.shape == (64, 64, 3) and image.dtype == np.uint8
        if mode == "L":
            assert (image[..., 0] == image[..., 1]).all() and (image[..., 1] == image[..., 2]).all()
        if mode == "CMYK" or fmt == "PNG":
            assert np.abs(image - reference).mean() < 3


def test_corrupt_files_are_skipped_with_a_warning_that_names_and_counts_them(tiny_corrupt, dogs_corrupt):
    for loader, root, n in ((data.tiny_imagenet, tiny_corrupt, 48), (data.stanford_dogs, dogs_corrupt, 24)):
        with pytest.warns(UserWarning, match="Skipping 2 file") as caught:
            ds, _ = loader(root, "train")
        message = str(caught[0].message)
        bad = [line.strip() for line in message.splitlines()[1:]]
        assert len(bad) == 2 and all((root / b).is_file() for b in bad)
        with pytest.raises(tf.errors.InvalidArgumentError):  # they really are undecodable
            data.decode(tf.io.read_file(str(root / bad[0])))
        assert len(ds) == n
        batches = _batches(data.pipeline(ds, resolution=32, batch_size=16))  # a whole epoch runs
        assert sum(len(y) for _, y in batches) == n


def test_corrupt_files_can_stop_the_run_before_it_starts(tiny_corrupt):
    with pytest.raises(ValueError, match="2 file") as err:
        data.tiny_imagenet(tiny_corrupt, "train", bad_files="raise")
    assert str(err.value).count(".JPEG") == 2
    with pytest.raises(ValueError, match="bad_files"):
        data.tiny_imagenet(tiny_corrupt, "train", bad_files="ignore")


def test_a_file_that_disappears_or_changes_is_reported_by_name(tmp_path):
    root = data.synthetic(
        "tiny-imagenet", tmp_path / "t", classes=1, images_per_class=3, eval_images_per_class=1, quirks=False
    )
    victim = root / "val" / "images" / "val_0.JPEG"
    victim.unlink()
    with pytest.warns(UserWarning, match="val_0.JPEG"):
        ds, _ = data.tiny_imagenet(root, "val")
    assert len(ds) == 0
    assert len(data.pipeline(ds, resolution=16)) == 0  # an empty dataset still makes a pipeline
    # A file checked good and then damaged in the same session is checked again.
    train, _ = data.tiny_imagenet(root, "train")
    assert len(train) == 3
    damaged = root / "train" / "n90000000" / "images" / "n90000000_2.JPEG"
    damaged.write_bytes(damaged.read_bytes()[:200])
    with pytest.warns(UserWarning, match="n90000000_2.JPEG"):
        train, _ = data.tiny_imagenet(root, "train")
    assert len(train) == 2


# --------------------------------------------------------------------------
# Download (offline: local archives through file:// URLs)
# --------------------------------------------------------------------------


def _digest(path, algorithm):
    return hashlib.new(algorithm, Path(path).read_bytes()).hexdigest()


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def tiny_zip(tiny, tmp_path_factory):
    """A zip in the layout of tiny-imagenet-200.zip: the root folder at its top."""
    path = tmp_path_factory.mktemp("zip") / "tiny-imagenet-200.zip"
    with zipfile.ZipFile(path, "w") as z:
        for f in sorted(tiny.rglob("*")):
            if f.is_file() and f.name != "synthetic.json":
                z.write(f, Path("tiny-imagenet-200") / f.relative_to(tiny))
    return path


def test_download_verifies_and_extracts_a_zip(tiny_zip, tmp_path, capsys):
    archive = data.Archive(tiny_zip.as_uri(), _digest(tiny_zip, "md5"), "md5", tiny_zip.stat().st_size, top_level=True)
    root = data.download("tiny-imagenet", tmp_path, archives=[archive])
    assert root == tmp_path / "tiny-imagenet-200"
    assert (tmp_path / "downloads" / "tiny-imagenet-200.zip").is_file()
    ds, names = data.tiny_imagenet(root, "val")
    assert len(names) == 4 and len(ds) == 20 and not data.is_synthetic(root)
    # Complete: a second call neither downloads nor needs the source.
    gone = data.Archive("http://127.0.0.1:9/x.zip", "0" * 32, "md5", 1, top_level=True)
    assert data.download("tiny-imagenet", tmp_path, archives=[gone]) == root


def test_download_rejects_a_wrong_checksum_and_deletes_the_file(tiny_zip, tmp_path):
    archive = data.Archive(tiny_zip.as_uri(), "0" * 32, "md5", 1, top_level=True)
    with pytest.raises(ValueError, match="checksum") as err:
        data.download("tiny-imagenet", tmp_path, archives=[archive])
    assert "0" * 32 in str(err.value)
    assert not (tmp_path / "downloads" / "tiny-imagenet-200.zip").exists()
    assert not (tmp_path / "tiny-imagenet-200").exists()


def test_download_without_network_fails_at_once_with_instructions(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/tiny-imagenet-200.zip"
    archive = data.Archive(url, "0" * 32, "md5", 1, top_level=True)
    start = time.perf_counter()
    with pytest.raises(ConnectionError) as err:
        data.download("tiny-imagenet", tmp_path, archives=[archive])
    assert time.perf_counter() - start < 5
    message = str(err.value)
    official = data.ARCHIVES["tiny-imagenet"][0]
    assert official.url in message and official.file_hash in message
    assert str(tmp_path / "downloads") in message and "by hand" in message


def test_download_through_an_unreachable_proxy_fails_with_instructions(tmp_path, monkeypatch):
    for variable in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(variable, f"http://127.0.0.1:{_closed_port()}")
    archive = data.Archive("http://example.invalid/images.tar", "0" * 64, "sha256", 1)
    with pytest.raises(ConnectionError, match="by hand") as err:
        data.download("stanford-dogs", tmp_path, archives=[archive])
    assert str(err.value).startswith("Downloading http://example.invalid/images.tar failed")  # via the proxy
    assert not (tmp_path / "downloads" / "images.tar").exists()


def test_download_verifies_and_extracts_the_three_stanford_dogs_tars(dogs, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    members = {
        "images.tar": ["Images"],
        "annotation.tar": ["Annotation"],
        "lists.tar": ["file_list.mat", "train_list.mat", "test_list.mat"],
    }
    archives = []
    for name, entries in members.items():
        with tarfile.open(src / name, "w") as t:
            for entry in entries:
                t.add(dogs / entry, arcname=entry)
        archives.append(data.Archive((src / name).as_uri(), _digest(src / name, "sha256"), "sha256", 1))
    root = data.download("stanford-dogs", tmp_path / "data", archives=archives)
    assert root == tmp_path / "data" / "stanford-dogs"
    ds, names = data.stanford_dogs(root, "test")
    assert len(names) == 4 and len(ds) == 12


def test_extraction_refuses_paths_outside_the_dataset_folder(tmp_path):
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as t:
        info = tarfile.TarInfo("../outside.txt")
        info.size = 3
        t.addfile(info, io.BytesIO(b"bad"))
    refusals = (tarfile.FilterError, ValueError) if hasattr(tarfile, "FilterError") else ValueError
    with pytest.raises(refusals, match="outside"):
        archive_module._extract(evil, tmp_path / "into")
    assert not (tmp_path / "outside.txt").exists()


# --------------------------------------------------------------------------
# The input pipeline
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "family, resolution, size, low, high",
    [
        ("mobilenet", 48, 48, -1.0, 1.0),
        ("inception_v3", 48, 75, -1.0, 1.0),  # raised to InceptionV3's minimum
        ("inception_v3", 96, 96, -1.0, 1.0),
        ("vgg16", 40, 40, -123.68, 255 - 103.939),
    ],
)
@pytest.mark.parametrize("augment", [False, True])
def test_pipeline_shapes_dtypes_and_ranges(dogs, family, resolution, size, low, high, augment):
    ds, _ = data.stanford_dogs(dogs, "train")
    batches = _batches(data.pipeline(ds, resolution=resolution, family=family, batch_size=10, augment=augment))
    assert [len(y) for _, y in batches] == [10, 10, 4]
    for x, y in batches:
        assert x.dtype == np.float32 and x.shape[1:] == (size, size, 3)
        assert y.dtype == np.int32 and set(y) <= {0, 1, 2, 3}
        assert low - 1e-4 <= x.min() and x.max() <= high + 1e-4
    every = np.concatenate([x for x, _ in batches])
    assert every.max() - every.min() > 0.5 * (high - low)  # the range is used, not just allowed


def test_pipeline_applies_each_familys_own_preprocessing(tiny):
    from keras.applications import inception_v3, mobilenet, vgg16

    ds, _ = data.tiny_imagenet(tiny, "val")
    images = np.stack([image for image, _ in _elements(ds)])
    resized = tf.image.resize(images, (40, 40), antialias=True).numpy().clip(0, 255)
    for family, reference in (("mobilenet", mobilenet), ("vgg16", vgg16), ("inception_v3", inception_v3)):
        size = 75 if family == "inception_v3" else 40
        expected = reference.preprocess_input(
            tf.image.resize(images, (size, size), antialias=True).numpy().clip(0, 255)
        )
        got = np.concatenate(
            [x for x, _ in _batches(data.pipeline(ds, resolution=40, family=family, shuffle=False, batch_size=8))]
        )
        np.testing.assert_allclose(got, np.asarray(expected), atol=1e-3)
    # Independent of Keras: the formulas themselves.
    mobile = np.concatenate([x for x, _ in _batches(data.pipeline(ds, resolution=40, shuffle=False))])
    np.testing.assert_allclose(mobile, resized / 127.5 - 1, atol=1e-4)
    caffe = np.concatenate([x for x, _ in _batches(data.pipeline(ds, resolution=40, family="vgg16", shuffle=False))])
    np.testing.assert_allclose(caffe, resized[..., ::-1] - [103.939, 116.779, 123.68], atol=1e-3)


def test_pipeline_without_shuffle_keeps_the_loaders_order(tiny):
    ds, _ = data.tiny_imagenet(tiny, "train")
    labels = np.concatenate([y for _, y in _batches(data.pipeline(ds, resolution=32, shuffle=False))])
    assert labels.tolist() == data.source_files(ds)[1].tolist()


def test_pipeline_order_and_augmentation_are_fixed_by_the_seed(tiny):
    ds, _ = data.tiny_imagenet(tiny, "train")
    per_epoch = data.batches_per_epoch(ds, 16)

    def two_epochs(seed):
        batches = _batches(data.pipeline(ds, resolution=32, batch_size=16, augment=True, seed=seed, epochs=2))
        return batches[:per_epoch], batches[per_epoch:]

    a, b, c = two_epochs(3), two_epochs(3), two_epochs(4)
    assert len(a[0]) == len(a[1]) == per_epoch == 3  # 48 images: no batch straddles two epochs
    for epoch in range(2):
        for (xa, ya), (xb, yb) in zip(a[epoch], b[epoch]):
            np.testing.assert_array_equal(ya, yb)
            np.testing.assert_array_equal(xa, xb)
    order = [np.concatenate([y for _, y in run[0]]) for run in (a, c)]
    assert sorted(order[0]) == sorted(order[1]) and (order[0] != order[1]).any()  # another seed
    epochs = [np.concatenate([y for _, y in a[k]]) for k in (0, 1)]
    assert (epochs[0] != epochs[1]).any()  # each epoch is a new shuffle


def test_an_epoch_is_the_same_whether_the_epochs_before_it_ran_or_not(tiny):
    """What a resumed training run relies on: epoch 1 asked for directly equals epoch 1 after epoch 0."""
    ds, _ = data.tiny_imagenet(tiny, "train")
    endless = data.pipeline(ds, resolution=32, batch_size=16, augment=True, seed=5, epochs=None)
    second = [batch for _, batch in zip(range(6), endless)][3:]
    direct = _batches(data.pipeline(ds, resolution=32, batch_size=16, augment=True, seed=5, epoch=1))
    for (x, y), (xd, yd) in zip(second, direct, strict=True):
        np.testing.assert_array_equal(y.numpy(), yd)
        np.testing.assert_array_equal(x.numpy(), xd)


def test_augmentation_changes_images_within_documented_bounds(tiny):
    ds, _ = data.tiny_imagenet(tiny, "val")
    plain = np.concatenate([x for x, _ in _batches(data.pipeline(ds, resolution=64, shuffle=False))])
    varied = np.concatenate([x for x, _ in _batches(data.pipeline(ds, resolution=64, shuffle=False, augment=True))])
    assert plain.shape == varied.shape
    assert np.abs(plain - varied).mean() > 0.02
    # Same seed, same draw; another seed, another draw.
    image = tf.constant(np.asarray(_elements(ds)[0][0]))
    one = data.augment_image(image, 32, tf.constant([1, 2])).numpy()
    np.testing.assert_array_equal(one, data.augment_image(image, 32, tf.constant([1, 2])).numpy())
    assert not np.array_equal(one, data.augment_image(image, 32, tf.constant([1, 3])).numpy())
    assert one.min() >= 0 and one.max() <= 255


def test_pipeline_refuses_a_dataset_that_does_not_know_its_files(tiny):
    ds, _ = data.tiny_imagenet(tiny, "train")
    other = ds.take(20)  # a plain tf.data.Dataset now: its files are not known
    assert data.source_files(other) is None
    with pytest.raises(TypeError, match="loader's dataset"):
        data.pipeline(other, resolution=24)


def test_a_loader_dataset_behaves_as_a_tf_data_dataset(tiny):
    ds, names = data.tiny_imagenet(tiny, "val")
    assert isinstance(ds, data.FileDataset) and isinstance(ds.dataset, tf.data.Dataset)
    assert len(ds) == len(ds.files) == 4 * 5
    image, label = next(iter(ds))
    assert image.dtype == tf.uint8 and image.shape == (64, 64, 3) and label.dtype == tf.int32
    batched = ds.map(lambda x, y: (tf.cast(x, tf.float32), y)).take(6).batch(4)
    assert [int(y.shape[0]) for _, y in batched] == [4, 2]
    assert data.source_files(ds)[0].tolist() == ds.files.paths.tolist()


def test_pipeline_reads_files_as_it_goes(tmp_path):
    """Streaming: the images are read when batches are made, not when the pipeline is built."""
    root = data.synthetic(
        "tiny-imagenet", tmp_path / "t", classes=1, images_per_class=2, eval_images_per_class=1, quirks=False
    )
    ds, _ = data.tiny_imagenet(root, "train")
    p = data.pipeline(ds, resolution=8, shuffle=False, batch_size=2)
    before = next(iter(p))[0].numpy()
    first = data.source_files(ds)[0][0]
    Image.fromarray(np.full((64, 64, 3), 255, np.uint8)).save(first, format="JPEG")
    after = next(iter(p))[0].numpy()
    np.testing.assert_allclose(after[0], 1.0, atol=0.02)  # white, read from disk just now
    np.testing.assert_array_equal(after[1], before[1])


def test_pipeline_checks_its_arguments(tiny):
    ds, _ = data.tiny_imagenet(tiny, "val")
    with pytest.raises(ValueError, match="family"):
        data.pipeline(ds, resolution=32, family="resnet")
    for bad in (0, 7, 32.0, True):
        with pytest.raises(ValueError, match="resolution"):
            data.pipeline(ds, resolution=bad)
    with pytest.raises(ValueError, match="batch_size"):
        data.pipeline(ds, resolution=32, batch_size=0)


# --------------------------------------------------------------------------
# The stand-in's class signal
# --------------------------------------------------------------------------


def test_stand_in_signal_is_learnable_and_fades_at_low_resolution(default_tiny):
    train, _ = data.tiny_imagenet(default_tiny, "train")
    val, _ = data.tiny_imagenet(default_tiny, "val")
    full = data.probe_accuracy(train, val, resolution=64, epochs=6)
    low = data.probe_accuracy(train, val, resolution=32, epochs=6)
    assert full >= 0.85, f"a small CNN reaches only {full:.2f} at 64 px"
    assert full - low >= 0.15, f"64 px: {full:.2f}, 32 px: {low:.2f}: resolution hardly matters"


def test_study_data_gives_the_stand_in_splits(tmp_path):
    train, val, names = data.study_data("synthetic", tmp_path, classes=4)
    assert len(names) == 4
    labels = {int(label) for _, label in train.as_numpy_iterator()}
    assert labels == {0, 1, 2, 3}
    assert {int(label) for _, label in val.as_numpy_iterator()} == labels
    with pytest.raises(ValueError, match="'synthetic'.*'tiny-imagenet'"):
        data.study_data("imagenet", tmp_path)
    dogs_train, dogs_eval, dog_names = data.splits("synthetic", tmp_path, classes=3, layout="stanford-dogs")
    assert len(dog_names) == 3 and dog_names.readable[0] == "Disc horizontal stripes"


def test_course_folder_is_the_repository_root_from_any_subfolder(tmp_path, monkeypatch):
    monkeypatch.delenv("MNLIB_DATA_DIR", raising=False)
    monkeypatch.delenv("MNLIB_RESULTS_DIR", raising=False)
    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(root / "notebooks")
    assert mnlib.course_folder("data") == Path("../data")
    monkeypatch.chdir(root)
    assert mnlib.course_folder("results") == Path("results")
    monkeypatch.chdir(tmp_path)  # outside the repository
    assert mnlib.course_folder("data") == Path("data")
    monkeypatch.setenv("MNLIB_RESULTS_DIR", str(tmp_path / "elsewhere"))  # as the tests run the notebooks
    assert mnlib.course_folder("results") == tmp_path / "elsewhere"
