"""Named datasets (cifar10, cifar100, stl10, stl10-unlabeled, caltech101) as folder sources.

A dataset is materialised once, from its official archive, into an ImageFolder tree in
the data cache: ``<cache>/datasets/<name>/<split>/<class>/<00000>.png`` (no class folder
for stl10-unlabeled). From there the folder source does everything else, and labels are
the class folders. PNG keeps the released pixels exactly; Caltech-101's JPEGs are copied
byte for byte. Only the binary releases are read, never the pickled ones: opening a
download must not run code.

The tree is written into a temporary folder and renamed into place when complete, so an
interrupted extraction leaves nothing that looks finished and the next run starts over.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tarfile
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image

from . import progress as _progress
from .cache_dir import cache_dir
from .errors import ConfigError, DatasetError
from .fileio import write_json
from .parallel import process_alive
from .progress import ProgressFactory

log = logging.getLogger(__name__)

DATA_ENV = "IMGORG_DATA"  # a folder holding downloaded archives
INFO_FILE = "imgorg-dataset.json"  # written beside the images: which archive, how many
RECORDS_PER_READ = 1024


@dataclass(frozen=True)
class Archive:
    url: str  # the official download
    md5: str  # the checksum its publisher gives (torchvision uses the same)


# Every archive imgorg knows, by file name: one table, so a new release changes one line.
ARCHIVES: dict[str, Archive] = {
    "cifar-10-binary.tar.gz": Archive("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
                                      "c32a1d4ab5d03f1284b67883e8d87530"),
    "cifar-100-binary.tar.gz": Archive("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
                                       "03b5dce01913d631647c71ecec9e9cb8"),
    "stl10_binary.tar.gz": Archive("http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz",
                                   "91f7769df0f17e558f3565bffb0c7dfb"),
    "caltech-101.zip": Archive("https://data.caltech.edu/records/mzrjq-6wc02/files/caltech-101.zip?download=1",
                               "3138e1922a9193bfa496528edbbc45d0"),
    "101_ObjectCategories.tar.gz": Archive(
        "https://drive.google.com/file/d/137RyRjvTBkBiIfeYBNZBtViDHQ6_Ewsp",  # torchvision's mirror
        "b224c7392d521a49829488ab0f1120d9"),
}


class _Writer:
    """Writes one split's images into ``root`` and counts them."""

    def __init__(self, root: Path, progress: ProgressFactory | None, label: str):
        self.root, self.progress, self.label = root, progress, label
        self.count = 0
        self.advance = _progress.start(None, "", 0)
        self._made: set[Path] = set()

    def start(self, total: int) -> None:
        self.advance = _progress.start(self.progress, f"Extracting {self.label}", total)

    def png(self, rel: str, pixels: np.ndarray) -> None:
        Image.fromarray(pixels, "RGB").save(self._target(rel), format="PNG")
        self._done()

    def raw(self, rel: str, data: bytes) -> None:
        self._target(rel).write_bytes(data)
        self._done()

    def _target(self, rel: str) -> Path:
        path = self.root / rel
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        return path

    def _done(self) -> None:
        self.count += 1
        self.advance(1)


Extractor = Callable[[Path, str, _Writer], None]


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    archives: tuple[str, ...]  # accepted archive names (keys of ARCHIVES); the first is the one downloaded
    splits: tuple[str, ...]
    default_split: str
    extract: Extractor  # (archive, split, writer): writes every image of the split

    def check_split(self, split: str | None) -> str:
        """The split to use; an unknown one is an error that lists the valid ones."""
        split = split or self.default_split
        if split not in self.splits:
            raise DatasetError(f"split {split!r} is not one of {self.name}'s splits ({', '.join(self.splits)}); "
                               f"pass --split {self.splits[0]}")
        return split


# -- reading the binary releases ---------------------------------------------------------

def _open_tar(archive: Path) -> tarfile.TarFile:
    return tarfile.open(archive, "r:*")


def _members(tar: tarfile.TarFile, names: list[str], archive: Path) -> dict[str, tarfile.TarInfo]:
    """The archive's files by base name; a missing one means this is not the archive we expect."""
    found = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
    missing = [n for n in names if n not in found]
    if missing:
        raise DatasetError(f"{archive} has no {', '.join(missing)}; it is not the expected release. "
                           "Download the official archive again, or, for a folder of images (an archive of JPEG "
                           "folders unpacked), run `imgorg run FOLDER`")
    return {n: found[n] for n in names}


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    return tar.extractfile(member).read()


def _names(text: bytes) -> list[str]:
    """Class names, one a line; blank lines (CIFAR-10 ends with some) are not classes.

    They become folder names, so none may name another folder ("..", "a/b", ".hidden")."""
    names = [line.strip().replace("/", "_").replace("\\", "_") for line in text.decode("utf-8").splitlines()]
    return [f"_{n}" if n.startswith(".") else n for n in names if n]


def _records(handle: BinaryIO, size: int, name: str) -> Iterator[np.ndarray]:
    """Fixed-size records of a binary file, a block at a time (STL-10's unlabeled set is 2.7 GB)."""
    while block := handle.read(size * RECORDS_PER_READ):
        if len(block) % size:
            raise DatasetError(f"{name} is truncated: its size is not a multiple of the {size}-byte record; "
                               "download the archive again")
        yield from np.frombuffer(block, np.uint8).reshape(-1, size)


def _class(classes: list[str], index: int, name: str) -> str:
    if not 0 <= index < len(classes):
        raise DatasetError(f"{name} has label {index}, but there are {len(classes)} class names; "
                           "the archive is corrupt, download it again")
    return classes[index]


def _cifar(names_file: str, label_byte: int, files: dict[str, list[str]]) -> Extractor:
    """CIFAR binary: each record is label byte(s), then 1024 R, 1024 G, 1024 B bytes of a 32x32 image."""
    record = label_byte + 1 + 3072

    def extract(archive: Path, split: str, out: _Writer) -> None:
        with _open_tar(archive) as tar:
            members = _members(tar, files[split] + [names_file], archive)
            classes = _names(_read(tar, members[names_file]))
            out.start(sum(members[n].size for n in files[split]) // record)
            index = 0
            for name in files[split]:
                for row in _records(tar.extractfile(members[name]), record, name):
                    pixels = row[label_byte + 1:].reshape(3, 32, 32).transpose(1, 2, 0)
                    out.png(f"{_class(classes, int(row[label_byte]), name)}/{index:05d}.png", pixels)
                    index += 1

    return extract


STL_SIDE = 96
STL_RECORD = STL_SIDE * STL_SIDE * 3


def _stl_pixels(row: np.ndarray) -> np.ndarray:
    # Stored channel by channel, each channel column-major (MATLAB order): hence (c, x, y) -> (y, x, c).
    return row.reshape(3, STL_SIDE, STL_SIDE).transpose(2, 1, 0)


def _extract_stl10(archive: Path, split: str, out: _Writer) -> None:
    with _open_tar(archive) as tar:
        members = _members(tar, [f"{split}_X.bin", f"{split}_y.bin", "class_names.txt"], archive)
        classes = _names(_read(tar, members["class_names.txt"]))
        labels = np.frombuffer(_read(tar, members[f"{split}_y.bin"]), np.uint8)
        if len(labels) * STL_RECORD != members[f"{split}_X.bin"].size:
            raise DatasetError(f"{split}_y.bin has {len(labels)} labels but {split}_X.bin holds "
                               f"{members[f'{split}_X.bin'].size / STL_RECORD:g} images; download the archive again")
        out.start(len(labels))
        rows = _records(tar.extractfile(members[f"{split}_X.bin"]), STL_RECORD, f"{split}_X.bin")
        for index, (row, label) in enumerate(zip(rows, labels)):
            out.png(f"{_class(classes, int(label) - 1, f'{split}_y.bin')}/{index:05d}.png", _stl_pixels(row))


def _extract_stl10_unlabeled(archive: Path, split: str, out: _Writer) -> None:
    with _open_tar(archive) as tar:
        member = _members(tar, ["unlabeled_X.bin"], archive)["unlabeled_X.bin"]
        out.start(member.size // STL_RECORD)
        for index, row in enumerate(_records(tar.extractfile(member), STL_RECORD, "unlabeled_X.bin")):
            out.png(f"{index:05d}.png", _stl_pixels(row))


CALTECH_INNER = "101_ObjectCategories.tar.gz"
CALTECH_BACKGROUND = "BACKGROUND_Google"  # clutter, not a category: torchvision drops it too
CALTECH_IMAGES = 8677  # images in the 101 categories: the progress total (the tar is streamed)


def _extract_caltech101(archive: Path, split: str, out: _Writer) -> None:
    """caltech-101.zip holds 101_ObjectCategories.tar.gz (folders of JPEGs); either archive is accepted."""
    if not zipfile.is_zipfile(archive):
        with open(archive, "rb") as handle:
            return _caltech_tar(handle, out)
    with zipfile.ZipFile(archive) as zipped:
        inner = [n for n in zipped.namelist() if n.endswith(CALTECH_INNER)]
        if not inner:
            raise DatasetError(f"{archive} holds no {CALTECH_INNER}; it is not caltech-101.zip. "
                               "Download the official archive again")
        with zipped.open(inner[0]) as handle:
            _caltech_tar(handle, out)


def _caltech_tar(handle: BinaryIO, out: _Writer) -> None:
    out.start(CALTECH_IMAGES)
    with tarfile.open(fileobj=handle, mode="r|gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) != 3 or parts[1] == CALTECH_BACKGROUND:
                continue
            category, name = parts[1], parts[2]
            # Names come from the archive: never let one climb out of the target folder.
            if category.startswith(".") or name.startswith(".") or not name.lower().endswith((".jpg", ".jpeg")):
                continue
            out.raw(f"{category}/{name}", tar.extractfile(member).read())


_CIFAR10_TRAIN = [f"data_batch_{i}.bin" for i in range(1, 6)]

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        # 32x32, 10 classes; 50,000 train, 10,000 test
        DatasetSpec("cifar10", ("cifar-10-binary.tar.gz",), ("train", "test"), "test",
                    _cifar("batches.meta.txt", 0, {"train": _CIFAR10_TRAIN, "test": ["test_batch.bin"]})),
        # 32x32, 100 fine classes (the coarse label is not used); 50,000 train, 10,000 test
        DatasetSpec("cifar100", ("cifar-100-binary.tar.gz",), ("train", "test"), "test",
                    _cifar("fine_label_names.txt", 1, {"train": ["train.bin"], "test": ["test.bin"]})),
        # 96x96, 10 classes; 5,000 train, 8,000 test
        DatasetSpec("stl10", ("stl10_binary.tar.gz",), ("train", "test"), "test", _extract_stl10),
        # 100,000 unlabeled 96x96 images from the same archive
        DatasetSpec("stl10-unlabeled", ("stl10_binary.tar.gz",), ("unlabeled",), "unlabeled",
                    _extract_stl10_unlabeled),
        # 8,677 JPEGs of about 300x200 in 101 categories; no fixed split
        DatasetSpec("caltech101", ("caltech-101.zip", CALTECH_INNER), ("all",), "all", _extract_caltech101),
    )
}


def get_dataset(name: str) -> DatasetSpec:
    """The dataset called ``name``; an unknown name lists the valid ones."""
    if name not in DATASETS:
        raise DatasetError(f"dataset {name!r} is not one of {', '.join(DATASETS)}")
    return DATASETS[name]


def is_dataset(source: str | os.PathLike) -> bool:
    """True when ``source`` names a dataset; a folder of the same name wins (``imgorg run DIR`` is unchanged)."""
    return str(source) in DATASETS and not Path(source).is_dir()


def data_cache() -> Path:
    """Where archives are downloaded and datasets materialised: ``cache_dir()/datasets``."""
    return cache_dir() / "datasets"


def resolve_source(source: str | os.PathLike, split: str | None = None, data: str | os.PathLike | None = None,
                   progress: ProgressFactory | None = None) -> Path:
    """The folder of images for ``source``: a folder as it is, a dataset name materialised.

    ``split`` and ``data`` only apply to a dataset name; passed with a folder they are an error.
    """
    if not is_dataset(source):
        if split is not None or data is not None:
            raise ConfigError(f"--split and --data apply to named datasets ({', '.join(DATASETS)}), "
                              f"but {str(source)!r} is a folder; drop them or name a dataset")
        path = Path(source)
        if not path.exists() and os.sep not in str(source) and "/" not in str(source):
            raise DatasetError(f"source {str(source)!r} does not exist as a folder and is not a dataset name; "
                               f"pass a folder of images or one of {', '.join(DATASETS)}")
        return path
    return materialise(str(source), split, data, progress)


def materialise(name: str, split: str | None = None, data: str | os.PathLike | None = None,
                progress: ProgressFactory | None = None) -> Path:
    """The dataset's split as an ImageFolder tree, extracted from its archive the first time."""
    spec = get_dataset(name)
    split = spec.check_split(split)
    target = data_cache() / spec.name / split
    if target.is_dir():
        return target
    archive = find_archive(spec, data, progress)
    _build(spec, split, archive, target, progress)
    return target


def _build(spec: DatasetSpec, split: str, archive: Path, target: Path, progress: ProgressFactory | None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(target)
    tmp = target.parent / f".{split}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    log.info("materialising %s/%s from %s into %s (once)", spec.name, split, archive, target)
    try:
        out = _Writer(tmp, progress, f"{spec.name}/{split}")
        try:
            spec.extract(archive, split, out)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, ValueError, OSError) as err:
            raise DatasetError(f"{archive} could not be read as {' or '.join(spec.archives)} ({err}); "
                               "download the official archive again") from None
        if out.count == 0:
            raise DatasetError(f"{archive} holds no images for {spec.name}/{split}; "
                               "download the official archive again")
        write_json(tmp / INFO_FILE, {"dataset": spec.name, "split": split, "archive": str(archive),
                                     "images": out.count})
        _publish(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _publish(tmp: Path, target: Path) -> None:
    """Rename the finished tree into place; if another process finished first, keep theirs."""
    try:
        os.rename(tmp, target)
    except OSError:
        if not target.is_dir():
            raise


def _remove_stale(target: Path) -> None:
    """Drop temporary trees left by interrupted extractions (their process is gone)."""
    for stale in target.parent.glob(f".{target.name}.tmp*"):
        pid = stale.name.rsplit(".tmp", 1)[-1]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


# -- finding or downloading the archive --------------------------------------------------

def find_archive(spec: DatasetSpec, data: str | os.PathLike | None = None,
                 progress: ProgressFactory | None = None) -> Path:
    """``data`` (the file, or a folder holding it) > ``$IMGORG_DATA`` > the data cache > a download.

    A local file is checked against the published md5: a mismatch only warns, because a
    re-packed or trimmed archive is fine as long as it parses (extraction fails clearly if
    not). A download that does not match its md5 is an error and is not kept.
    """
    if data is not None:
        data = Path(data).expanduser()
        if data.is_file():
            return _checked(data, spec)
        if not data.is_dir():
            raise DatasetError(f"--data {str(data)!r} does not exist; pass the {spec.archives[0]} file "
                               "or the folder that holds it")
    for folder in _search_folders(data):
        for filename in spec.archives:
            if (folder / filename).is_file():
                return _checked(folder / filename, spec)
    return _download(spec, data, progress)


def _search_folders(data: Path | None) -> list[Path]:
    folders = [data] if data is not None else []
    if os.environ.get(DATA_ENV):
        folders.append(Path(os.environ[DATA_ENV]).expanduser())
    return folders + [data_cache()]


def _checked(path: Path, spec: DatasetSpec) -> Path:
    known = ARCHIVES.get(path.name) or ARCHIVES[spec.archives[0]]
    actual = file_md5(path)
    if actual != known.md5:
        log.warning("%s has md5 %s, not the published %s; using it anyway, as long as it reads as %s",
                    path, actual, known.md5, spec.name)
    return path


def file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(spec: DatasetSpec, data: Path | None, progress: ProgressFactory | None) -> Path:
    filename = spec.archives[0]
    archive = ARCHIVES[filename]
    target = data_cache() / filename
    try:
        download(archive.url, target, archive.md5, progress)
    except OSError as err:  # URLError and socket timeouts are OSErrors
        places = ", ".join(str(p) for p in _search_folders(data))
        raise DatasetError(
            f"dataset {spec.name!r} needs {filename}, which is not in {places} and could not be downloaded "
            f"from {archive.url} ({err}). Download it elsewhere, then pass --data PATH (the file or its folder) "
            f"or put it in the folder named by ${DATA_ENV}"
        ) from None
    return target


def download(url: str, target: Path, md5: str, progress: ProgressFactory | None = None) -> Path:
    """Fetch ``url`` to ``target`` through a temporary name; a wrong md5 is an error and keeps nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part{os.getpid()}")
    digest = hashlib.md5(usedforsecurity=False)
    log.info("downloading %s (once) to %s", url, target)
    try:
        with urllib.request.urlopen(url, timeout=30) as response, open(tmp, "wb") as out:
            advance = _progress.start(progress, f"Downloading {target.name}",
                                      int(response.headers.get("Content-Length") or 0))
            while chunk := response.read(1 << 20):
                out.write(chunk)
                digest.update(chunk)
                advance(len(chunk))
        if digest.hexdigest() != md5:
            raise DatasetError(f"the download of {url} has md5 {digest.hexdigest()}, not the published {md5}; "
                               f"it was not kept. Try again, or download it elsewhere and pass --data PATH")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
