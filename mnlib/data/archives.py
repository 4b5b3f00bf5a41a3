"""The official archives of Tiny ImageNet and Stanford Dogs: where they are, and download.

:func:`download` fetches an archive through Keras' ``get_file`` (progress bar,
checksum verified) and extracts it safely; offline it fails at once and says
which files to fetch by hand and where to put them. Introduced in chapter 0.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import tarfile
import urllib.parse
import zipfile
from collections.abc import Sequence
from pathlib import Path

from mnlib import checks

__all__ = [
    "TINY_IMAGENET",
    "STANFORD_DOGS",
    "NAMES",
    "TITLES",
    "FOLDERS",
    "SPLITS",
    "Archive",
    "ARCHIVES",
    "download",
    "how_to_get",
]

TINY_IMAGENET = "tiny-imagenet"
STANFORD_DOGS = "stanford-dogs"
#: Dataset layouts accepted by :func:`download`, :func:`~mnlib.data.prepare` and :func:`~mnlib.data.synthetic`.
NAMES: tuple[str, ...] = (TINY_IMAGENET, STANFORD_DOGS)

#: Folder that holds each dataset's root after extraction (under ``dest``).
FOLDERS: dict[str, str] = {
    TINY_IMAGENET: "tiny-imagenet-200",
    STANFORD_DOGS: "stanford-dogs",
}

#: Each dataset's name as the text writes it.
TITLES: dict[str, str] = {TINY_IMAGENET: "Tiny ImageNet", STANFORD_DOGS: "Stanford Dogs"}
#: Each dataset's labelled splits: (training split, evaluation split).
SPLITS: dict[str, tuple[str, str]] = {TINY_IMAGENET: ("train", "val"), STANFORD_DOGS: ("train", "test")}


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


def _complete(name: str, root: Path) -> bool:
    return all((root / part).exists() for part in _REQUIRED[name])


def how_to_get(name: str, dest: str | Path) -> str:
    """Instructions to get dataset ``name`` (one of :data:`NAMES`) into ``dest``, for error messages.

    Several lines: the :func:`download` call, each official archive's URL, size
    and checksum for a download by hand, and the offline stand-in.
    """
    folder = FOLDERS[name]
    lines = [
        f"To get {TITLES[name]}, call mnlib.data.download({name!r}, {str(dest)!r}) "
        "on a machine with internet access (Colab has it), or download by hand:"
    ]
    for archive in ARCHIVES[name]:
        lines.append(f"  {archive.url} ({archive.size / 1e6:,.0f} MB, {archive.hash_algorithm} {archive.file_hash})")
    lines.append(
        f"and put the file(s) in {Path(dest) / 'downloads'}; download() then checks and "
        f"extracts them into {Path(dest) / folder}."
    )
    lines.append(f"For an offline stand-in in the same layout: mnlib.data.synthetic({name!r}, ROOT).")
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
    checks.choice("name", name, NAMES)
    dest = Path(dest)
    root = dest / FOLDERS[name]
    if _complete(name, root):
        return root
    archives = tuple(ARCHIVES[name] if archives is None else archives)
    (dest / "downloads").mkdir(parents=True, exist_ok=True)

    paths = [(archive, _fetch(name, archive, dest, timeout)) for archive in archives]
    _unpack(name, paths, dest, root)
    return root


def _fetch(name: str, archive: Archive, dest: Path, timeout: float) -> Path:
    """One archive into ``dest/downloads`` (not fetched again if there with the right checksum)."""
    import keras  # only needed here; keeps `import mnlib.data` light

    target = dest / "downloads" / archive.filename
    if not target.exists():
        try:
            _probe(archive.url, timeout)
        except OSError as err:
            raise ConnectionError(f"Cannot reach {archive.url} ({err}).\n" + how_to_get(name, dest)) from None
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
            "download() again, or check the file's origin.\n" + how_to_get(name, dest)
        ) from None
    except Exception as err:  # get_file reports network failures as bare Exception
        target.unlink(missing_ok=True)
        raise ConnectionError(f"Downloading {archive.url} failed ({err}).\n" + how_to_get(name, dest)) from None
    return Path(path)


def _unpack(name: str, paths, dest: Path, root: Path) -> None:
    """Extract next to ``root`` and rename at the end: an interrupted extraction
    never leaves a root that looks complete."""
    partial = dest / f".{FOLDERS[name]}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    for _, path in paths:
        print(f"Extracting {path.name} ...", flush=True)
        _extract(path, partial)
    extracted = partial / FOLDERS[name] if paths[0][0].top_level else partial
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
