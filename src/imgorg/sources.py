"""Sources of images -> the catalog: one row per file, in a stable order.

A folder is walked recursively. Sub-folder names become labels when the tree
looks like an ImageFolder (every image at the same depth, at least two class
folders); labels are only ever used to score, never to fit.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError, SourceError
from .images import IMAGE_EXTENSIONS
from .progress import ProgressFactory
from . import progress as _progress

log = logging.getLogger(__name__)

STATUS_OK = "ok"
STATUS_ERROR = "error"
STATUS_PENDING = "pending"
CATALOG_COLUMNS = ["id", "path", "label", "bytes", "sha256", "status", "error"]

def scan_folder(root: str | os.PathLike, *, workers: int = 4, progress: ProgressFactory | None = None) -> pd.DataFrame:
    """List every image under ``root`` and hash its content.

    Unreadable files stay in the catalog with status "error" and their reason.
    """
    root = Path(root)
    if not root.is_dir():
        raise SourceError(f"source folder {str(root)!r} does not exist or is not a folder; pass a folder of images")
    relpaths = sorted(_walk_images(root))
    if not relpaths:
        exts = ", ".join(sorted(IMAGE_EXTENSIONS))
        raise SourceError(f"no images under {str(root)!r}: looked recursively for files ending in {exts}")
    labels = folder_labels(relpaths)
    advance = _progress.start(progress, "Cataloguing", len(relpaths))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        hashed = []
        for row in pool.map(lambda rel: _hash_file(root, rel), relpaths, chunksize=64):
            hashed.append(row)
            advance(1)
    # Names with bytes that are not UTF-8 cannot be stored as text (Parquet, JSON): those bytes
    # are written as \xHH escapes, which source_path() turns back into the name on disk.
    relpaths = [catalog_text(rel) for rel in relpaths]
    labels = [None if label is None else catalog_text(label) for label in labels]
    catalog = pd.DataFrame(
        {
            "id": range(len(relpaths)),
            "path": relpaths,
            "label": labels,
            "bytes": [h[0] for h in hashed],
            "sha256": [h[1] for h in hashed],
            "status": [STATUS_PENDING if h[2] is None else STATUS_ERROR for h in hashed],
            "error": [h[2] for h in hashed],
        }
    )
    return normalize_catalog(catalog)


def normalize_catalog(catalog: pd.DataFrame) -> pd.DataFrame:
    """Give the catalog its documented dtypes (nullable strings, int64 ids)."""
    out = catalog[CATALOG_COLUMNS].copy()
    out["id"] = out["id"].astype("int64")
    out["bytes"] = out["bytes"].astype("int64")
    for column in ("path", "label", "sha256", "status", "error"):
        out[column] = out[column].astype("string")
    return out.reset_index(drop=True)


def subset_catalog(catalog: pd.DataFrame, limit: int | None = None, sample: int | None = None,
                   seed: int = 0) -> pd.DataFrame:
    """Keep the first ``limit`` rows, or a seeded random ``sample`` of rows; ids renumbered 0..n-1.

    ``sample`` is stratified when every row has a label (each class keeps its share, so
    ACC/NMI on a sample compare with the full set), else uniform. Kept rows stay in catalog
    order. Ids are renumbered because they are row numbers everywhere downstream (embedding
    rows, assignments); the path still names the file.
    """
    size = check_subset(limit, sample)
    if size is None or size >= len(catalog):
        return catalog
    if limit is not None:
        rows = np.arange(limit)
    elif catalog["label"].notna().all():
        rows = _stratified_rows(catalog["label"].to_numpy(), sample, np.random.default_rng(seed))
    else:
        rows = np.sort(np.random.default_rng(seed).choice(len(catalog), sample, replace=False))
    out = catalog.iloc[rows].copy()
    out["id"] = range(len(out))
    return normalize_catalog(out)


def check_subset(limit: int | None, sample: int | None) -> int | None:
    """The number of rows asked for, or None for all; checked before any slow work starts."""
    if limit is not None and sample is not None:
        raise ConfigError(f"--limit ({limit}) and --sample ({sample}) both choose rows; pass one of them")
    size = limit if limit is not None else sample
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
        name = "limit" if limit is not None else "sample"
        raise ConfigError(f"{name} ({size!r}) must be a positive integer; pass a value of 1 or more")
    return size


def _stratified_rows(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Proportional allocation, the leftover seats going to the largest remainders (ties: class order)."""
    classes, counts = np.unique(labels, return_counts=True)
    exact = size * counts / counts.sum()
    quota = np.floor(exact).astype(int)
    leftover = size - quota.sum()
    quota[np.argsort(-(exact - quota), kind="stable")[:leftover]] += 1
    rows = [rng.choice(np.flatnonzero(labels == name), n, replace=False) for name, n in zip(classes, quota)]
    return np.sort(np.concatenate(rows))


def folder_labels(relpaths: Iterable[str]) -> list[str | None]:
    """Parent-folder names as labels when the layout looks like ImageFolder, else None."""
    relpaths = list(relpaths)
    parts = [p.split("/") for p in relpaths]
    depths = {len(p) for p in parts}
    if len(depths) != 1 or depths == {1}:
        return [None] * len(relpaths)
    names = [p[-2] for p in parts]
    if len(set(names)) < 2:
        return [None] * len(relpaths)
    return names


def count_image_files(root: str | os.PathLike, at_most: int) -> int:
    """How many files with an image extension are under ``root``, counting no further than ``at_most``."""
    return sum(1 for _ in itertools.islice(_walk_images(Path(root)), at_most))


def _walk_images(root: Path) -> Iterable[str]:
    # followlinks=False: a symlink loop cannot trap the walk; linked files are still read.
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=_log_walk_error):
        dirnames.sort()
        for name in filenames:
            if os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
                full = os.path.join(dirpath, name)
                yield Path(os.path.relpath(full, root)).as_posix()


def _log_walk_error(err: OSError) -> None:
    log.warning("cannot list %s: %s", err.filename, err.strerror)


def catalog_text(name: str) -> str:
    """A file system name as catalog text: bytes that are not UTF-8 become \\xHH escapes."""
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


_ESCAPED_BYTE = re.compile(rb"\\x([0-9a-f]{2})")


def source_path(root: str | os.PathLike, rel: str) -> Path:
    """The file that a catalog path names, under ``root``.

    Every reader of source files goes through here: a name that was not UTF-8 is
    stored with \\xHH escapes (``catalog_text``) and is unescaped back to its bytes
    (a file whose real name contains a literal "\\x" is found first, as written)."""
    path = Path(root) / rel
    if "\\x" not in rel or os.path.lexists(path):
        return path
    raw = _ESCAPED_BYTE.sub(lambda m: bytes([int(m.group(1), 16)]), os.fsencode(rel))
    return Path(root) / os.fsdecode(raw)


def _hash_file(root: Path, rel: str) -> tuple[int, str | None, str | None]:
    """Return (size in bytes, sha256 hex, error reason or None); ``rel`` as the walk found it."""
    path = root / rel
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        return 0, None, "is a directory"
    except OSError as err:
        return 0, None, f"cannot read: {err.strerror or err}"
    return len(data), hashlib.sha256(data).hexdigest(), None


def labels_of(images: pd.DataFrame) -> np.ndarray | None:
    """Each image's label (object array), or None unless every image has one: labels only ever
    score a clustering, so a partly labelled collection is scored as an unlabelled one."""
    labels = images["label"]
    return labels.to_numpy(dtype=object) if len(labels) and bool(labels.notna().all()) else None
