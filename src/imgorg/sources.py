"""Sources of images -> the catalog: one row per image file, in a stable order; and what was skipped.

A folder is walked recursively and every file under it is accounted for: it is
either a catalog row (an image, readable or not) or a row of the skipped table
with its reason. Images are found by extension and, for other names, by their
first bytes (``formats.sniff``), so an AVIF or a JPEG without an extension is
catalogued. Sub-folder names become labels when the tree looks like an
ImageFolder (every image at the same depth, at least two class folders); labels
are only ever used to score, never to fit.

Each image file is read once: hashed, and its header, EXIF, XMP and IPTC read from
the same bytes (format, size after orientation, capture time and where it came from,
camera, GPS; see ``imgorg.metadata``; ``note`` "truncated" for a JPEG that ends early).
A file whose extension says "image" but whose header cannot be read is catalogued with
status "error" and the reason, so a broken photo is listed as a failure, never dropped.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import re
import stat
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from .companions import SEPARATOR, Shot, apple_content_id, group_files, join_live_photos
from .catalog import STATUS_ERROR, STATUS_OK, STATUS_PENDING, labels_of  # noqa: F401 (the catalog's own names)
from .errors import ConfigError, ImageDecodeError, SourceError
from .formats import RAW_EXTENSIONS, claims_image, describe_other, extension, sniff, system_file, tiff_tags
from .images import RAW_EXTRA, MissingDecoderError, probe_image, raw_support
from .metablocks import ciff_time
from .metadata import photo_metadata
from .parallel import available_cores, chunked_map
from .sidecars import read_sidecars
from .video import VIDEO_EXTRA, is_video_name, sniff_video, video_fields, video_support
from .workspace import is_workspace
from .progress import ProgressFactory
from . import progress as _progress

log = logging.getLogger(__name__)

METADATA_COLUMNS = ["format", "width", "height", "orientation", "taken_at", "taken_at_offset_min",
                    "taken_at_source", "camera_make", "camera_model", "gps_lat", "gps_lon", "note",
                    # what beside the file says (sidecars), the files of the same shot, and a video's length
                    "rating", "keywords", "description", "sidecars", "original", "motion", "duration_s"]
CATALOG_COLUMNS = ["id", "path", "label", "bytes", "sha256", "status", "error", *METADATA_COLUMNS]
_STRING_COLUMNS = ("path", "label", "sha256", "status", "error", "format", "taken_at_source",
                   "camera_make", "camera_model", "note", "keywords", "description", "sidecars", "original", "motion")
_INT_COLUMNS = ("width", "height", "orientation", "taken_at_offset_min", "rating")  # nullable Int64

SKIP_SYSTEM = "hidden or system file"
SKIP_NOT_IMAGE = "not an image"
SKIP_UNSUPPORTED = "unsupported format"
SKIP_UNREADABLE = "cannot read"
SKIP_NOT_FILE = "not a file"
SKIPPED_COLUMNS = ["path", "reason", "detail", "bytes"]
_HEAD = 64  # bytes read to tell what a file with a non-image name is
# From this many files the catalog is read in processes, CATALOG_CHUNK files a task: reading a
# file's metadata is Python work that threads serialise on the GIL (10,000 CIFAR-10 JPEGs: 4
# threads 1.75 s, one 1.28 s, 2 processes 1.07 s on a loaded 2-core machine). Fewer files than
# this are read in threads, where starting processes would cost more than it gains.
CATALOG_PROCESS_FILES = 1000
CATALOG_CHUNK = 256


@dataclass(frozen=True)
class FolderScan:
    """A folder's catalog (one row per image file) and skipped table (one row per other file)."""

    catalog: pd.DataFrame  # CATALOG_COLUMNS, ids 0..n-1 in path order
    skipped: pd.DataFrame  # SKIPPED_COLUMNS, in path order


def scan_folder(root: str | os.PathLike, *, workers: int = 4, progress: ProgressFactory | None = None) -> pd.DataFrame:
    """The catalog of every image under ``root`` (see ``scan_source``, which also returns what was skipped)."""
    return scan_source(root, workers=workers, progress=progress).catalog


def scan_source(root: str | os.PathLike, *, workers: int = 4, progress: ProgressFactory | None = None) -> FolderScan:
    """Catalog every image under ``root``, hash it and read its metadata; list every other file with a reason.

    Unreadable or undecodable image files stay in the catalog with status "error" and
    their reason. Raises SourceError when the folder is missing or holds no image,
    saying what it held instead.
    """
    root = Path(root)
    if root.is_file():
        raise SourceError(f"{str(root)!r} is a file; imgorg takes a folder of images: pass the folder that holds it "
                          f"({str(root.parent)!r}), or put the files you want in a folder of their own")
    if not root.is_dir():
        raise SourceError(f"source folder {str(root)!r} does not exist or is not a folder; pass a folder of images")
    files, skipped = [], []
    for rel, kind in _walk(root):
        why = system_file(rel)
        if why:
            skipped.append(_skip(rel, SKIP_SYSTEM, why, _size(root / rel)))
        elif kind is not None:
            unreadable = kind.startswith(("folder", "cannot"))
            skipped.append(_skip(rel, SKIP_UNREADABLE if unreadable else SKIP_NOT_FILE, kind))
        else:
            files.append(rel)
    grouping = group_files(files)  # sidecars, RAW+JPEG pairs, Live Photos: parts of a shot, not items
    files = [rel for rel in files if rel not in grouping.parts]
    advance = _progress.start(progress, "Cataloguing", len(files))
    rows = []
    for rel, row in zip(files, _examine_all(root, files, grouping.shots, workers, advance)):
        if "reason" in row and rel in grouping.shots:  # the shot is skipped: so are its parts
            skipped.extend(_skip(part, row["reason"], f"belongs to {rel}: {row['detail']}")
                           for part in grouping.shots[rel].parts())
        (skipped if "reason" in row else rows).append(row)
    rows = join_live_photos(rows)
    skipped_frame = normalize_skipped(pd.DataFrame(skipped, columns=SKIPPED_COLUMNS))
    if not rows:
        raise SourceError(_no_images_message(root, skipped_frame))
    return FolderScan(_catalog(rows), skipped_frame)


def _examine_all(root: Path, files: list[str], shots: dict[str, Shot], workers: int,
                 advance) -> Iterator[dict]:
    """``_examine`` of every file, in order: in processes for many files, else in threads."""
    cores = min(workers, available_cores())
    if len(files) >= CATALOG_PROCESS_FILES and cores > 1:
        for rows in chunked_map(partial(_examine_chunk, root), [(rel, shots.get(rel)) for rel in files],
                                CATALOG_CHUNK, cores):
            advance(len(rows))
            yield from rows
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for row in pool.map(lambda rel: _examine(root, rel, shots.get(rel)), files, chunksize=64):
            advance(1)
            yield row


def _examine_chunk(root: Path, items: list[tuple[str, Shot | None]]) -> list[dict]:
    return [_examine(root, rel, shot) for rel, shot in items]


def _catalog(rows: list[dict]) -> pd.DataFrame:
    relpaths = [row["path"] for row in rows]
    labels = folder_labels(relpaths)
    # Names with bytes that are not UTF-8 cannot be stored as text (Parquet, JSON): those bytes
    # are written as \xHH escapes, which source_path() turns back into the name on disk.
    rows = [{**row, **{c: catalog_text(row[c]) for c in ("path", "original", "motion", "sidecars") if row.get(c)}}
            for row in rows]
    catalog = pd.DataFrame(rows, columns=[c for c in CATALOG_COLUMNS if c not in ("id", "label")])
    catalog["label"] = [None if label is None else catalog_text(label) for label in labels]
    catalog["id"] = range(len(catalog))
    return normalize_catalog(catalog)


def normalize_catalog(catalog: pd.DataFrame) -> pd.DataFrame:
    """Give the catalog its documented columns and dtypes (nullable strings and ints, int64 ids).

    Metadata columns missing from ``catalog`` (a catalog written before they existed,
    or built by hand) are added empty.
    """
    out = catalog.copy()
    for column in METADATA_COLUMNS:
        if column not in out:
            out[column] = None
    out = out[CATALOG_COLUMNS]
    out["id"] = out["id"].astype("int64")
    out["bytes"] = out["bytes"].astype("int64")
    for column in _STRING_COLUMNS:
        out[column] = out[column].astype("string")
    for column in _INT_COLUMNS:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("Int64")
    for column in ("gps_lat", "gps_lon"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    out["duration_s"] = pd.to_numeric(out["duration_s"], errors="coerce").astype("Float64")
    out["taken_at"] = pd.to_datetime(out["taken_at"], errors="coerce").astype("datetime64[ns]")
    return out.reset_index(drop=True)


def normalize_skipped(skipped: pd.DataFrame) -> pd.DataFrame:
    """The skipped table's columns and dtypes: path, reason, detail (strings), bytes (Int64, None unknown)."""
    out = skipped[SKIPPED_COLUMNS].copy()
    for column in ("path", "reason", "detail"):
        out[column] = out[column].astype("string")
    out["bytes"] = pd.to_numeric(out["bytes"], errors="coerce").astype("Int64")
    return out.sort_values("path", kind="stable").reset_index(drop=True)


def skipped_summary(skipped: pd.DataFrame, examples: int = 3) -> list[dict]:
    """Per reason, most files first: count, bytes, the commonest details with counts, a few example paths."""
    out = []
    for reason, group in skipped.groupby("reason", sort=False):
        details = group["detail"].fillna("").value_counts()
        out.append({
            "reason": str(reason),
            "count": int(len(group)),
            "bytes": int(group["bytes"].fillna(0).sum()),
            "details": {str(k): int(v) for k, v in details.head(5).items() if k},
            "examples": [str(p) for p in group["path"].head(examples)],
        })
    return sorted(out, key=lambda r: (-r["count"], r["reason"]))


def _no_images_message(root: Path, skipped: pd.DataFrame) -> str:
    if skipped.empty:
        return f"no images under {str(root)!r}: the folder holds no files; pass a folder of images"
    parts = []
    for row in skipped_summary(skipped, examples=0):
        detail = max(row["details"], key=row["details"].get) if row["details"] else ""
        parts.append(f"{row['count']} {row['reason']}" + (f" ({detail})" if detail else ""))
    return (f"no images under {str(root)!r}: {len(skipped)} files, none of them an image that can be read: "
            + "; ".join(parts))


def _examine(root: Path, rel: str, shot: Shot | None = None) -> dict:
    """One file: a catalog row (hash, status, metadata) or a skipped row (path, reason, detail, bytes);
    ``shot``: the files that belong to it (sidecars are read here, in the worker)."""
    claimed = claims_image(rel) or is_video_name(rel)
    try:
        with open(root / rel, "rb", buffering=0) as handle:  # unbuffered: one read of the whole file
            info = os.fstat(handle.fileno())
            if not claimed:
                head = handle.read(_HEAD)
                if sniff(head) is None and sniff_video(head) is None:
                    return _skip(rel, SKIP_NOT_IMAGE, describe_other(head), info.st_size)
                handle.seek(0)
            data = handle.readall()
    except OSError as err:
        why = err.strerror or str(err)
        return _row(rel, 0, None, f"cannot read: {why}", shot) if claimed else _skip(rel, SKIP_UNREADABLE, why)
    sidecar = read_sidecars([source_path(root, p) for p in shot.sidecars]) if shot and shot.sidecars else {}
    if (is_video_name(rel) and sniff(data[:_HEAD]) is None) or sniff_video(data[:_HEAD]):
        return _video_row(rel, data, info.st_mtime, shot, sidecar)
    if extension(rel) in RAW_EXTENSIONS and raw_support() is None:
        return _skip(rel, SKIP_UNSUPPORTED, f"camera RAW ({extension(rel)}): reading it needs {RAW_EXTRA}", len(data))
    digest = hashlib.sha256(data).hexdigest()
    try:
        probe = probe_image(data)
    except MissingDecoderError as err:
        return _skip(rel, SKIP_UNSUPPORTED, str(err), len(data))
    except ImageDecodeError as err:
        if claimed:
            return {**_row(rel, len(data), digest, err.reason, shot), **_undecodable_metadata(data)}
        return _skip(rel, SKIP_NOT_IMAGE, f"starts like {sniff(data[:_HEAD])} but {err.reason}", len(data))
    row = _row(rel, len(data), digest, None, shot)
    row.update(format=probe.format, width=probe.width, height=probe.height, orientation=probe.orientation,
               note=probe.note,
               **photo_metadata(probe.exif, info.st_mtime, probe.raw_time, xmp=probe.xmp, iptc=probe.iptc,
                                maker_time=probe.maker_time, container_time=probe.container_time, sidecar=sidecar,
                                name=rel),
               **_sidecar_columns(sidecar), content_id=apple_content_id(probe.exif) if probe.exif else None)
    return row


def _video_row(rel: str, data: bytes, mtime: float, shot: Shot | None, sidecar: dict) -> dict:
    """A video's catalog row: its container's fields (``video.video_fields``), the sidecar's date below them."""
    if video_support() is None:
        return _skip(rel, SKIP_UNSUPPORTED, f"video ({extension(rel) or 'no extension'}): reading it needs "
                                            f"{VIDEO_EXTRA}", len(data))
    row = _row(rel, len(data), hashlib.sha256(data).hexdigest(), None, shot)
    try:
        fields = video_fields(data)
    except ImageDecodeError as err:
        return {**row, "status": STATUS_ERROR, "error": err.reason}
    if fields["taken_at"] is None:
        file_fields = photo_metadata(None, mtime, sidecar=sidecar, name=rel)
        fields.update({k: file_fields[k] for k in ("taken_at", "taken_at_offset_min", "taken_at_source")})
    if fields["gps_lat"] is None and sidecar.get("gps_lat") is not None:
        fields.update(gps_lat=sidecar["gps_lat"], gps_lon=sidecar["gps_lon"])
    return {**row, **fields, **_sidecar_columns(sidecar)}


def _sidecar_columns(sidecar: dict) -> dict:
    return {key: sidecar.get(key) for key in ("rating", "keywords", "description")}


def _undecodable_metadata(data: bytes) -> dict:
    """What a file no decoder reads still tells without one: TIFF-structured tags (IFD0, Exif IFD) and a
    Canon CIFF time stamp. Only a capture time the file itself records is kept (never the file time)."""
    maker = ciff_time(data)
    exif = tiff_tags(data)
    if exif is None and maker is None:
        return {}
    meta = photo_metadata(exif, None, maker_time=maker)
    return {k: v for k, v in meta.items() if v is not None}


def _row(rel: str, size: int, digest: str | None, error: str | None, shot: Shot | None = None) -> dict:
    parts = {"sidecars": SEPARATOR.join(shot.sidecars) or None, "original": shot.original,
             "motion": shot.motion} if shot else {}
    return {"path": rel, "bytes": size, "sha256": digest, "status": STATUS_PENDING if error is None else STATUS_ERROR,
            "error": error, **parts}


def _skip(rel: str, reason: str, detail: str | None, size: int | None = None) -> dict:
    return {"path": catalog_text(rel), "reason": reason, "detail": detail, "bytes": size}


def _size(path: Path) -> int | None:
    try:
        return path.lstat().st_size
    except OSError:
        return None


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


# Folders a camera, a phone, a photo library or a family archive makes: places, not classes (DCF folders
# such as 100APPLE or 100MSDCF, DCIM, backups and exports, a year or a date with or without an event's name,
# a decade as scanned prints are sorted: 1970s, 70s, 1970's; an album, a roll of film, a box of scans)
LIBRARY_FOLDER = re.compile(
    r"^(\d{3}[A-Z0-9_]{5}|dcim|camera|camera roll|backups?|screenshots|whatsapp images|pictures|photos|exports?|"
    r"originals|imports?|uploads|downloads|desktop|(19|20)\d\d([-_. ]\d{1,2}){0,2}(\b.*)?|"
    r"((19|20)?\d0|'\d0)'?s(\b.*)?|(photo |family )?albums?( \d+)?|(film )?rolls?( \d+)?|scans?|scanned|"
    r"prints|negatives|slides)$", re.IGNORECASE)


def folder_labels(relpaths: Iterable[str]) -> list[str | None]:
    """Parent-folder names as labels when the layout looks like ImageFolder, else None: not where a
    folder is named as a photo library names them (``LIBRARY_FOLDER``: DCIM/ beside Backup/ are no classes)."""
    relpaths = list(relpaths)
    parts = [p.split("/") for p in relpaths]
    depths = {len(p) for p in parts}
    if len(depths) != 1 or depths == {1}:
        return [None] * len(relpaths)
    names = [p[-2] for p in parts]
    if len(set(names)) < 2 or any(LIBRARY_FOLDER.match(name) for name in set(names)):
        return [None] * len(relpaths)
    return names


def why_no_labels(relpaths: Iterable[str]) -> str | None:
    """Why ``folder_labels`` gave images kept in folders no labels, by its own rules; None for a flat
    folder (nothing there was meant as a label) or where it gives labels."""
    relpaths = list(relpaths)
    depths = pd.Series([p.count("/") for p in relpaths], dtype="int64")
    if not depths.any() or folder_labels(relpaths)[0] is not None:
        return None
    other = [p for p, d in zip(relpaths, depths) if d != depths.max()]
    library = sorted({p.split("/")[-2] for p in relpaths if "/" in p and LIBRARY_FOLDER.match(p.split("/")[-2])})
    if library and not other:
        return (f"No labels: folders named as a camera, a photo library or an archive names them "
                f"({', '.join(library[:3])}) hold places, dates or albums, not classes")
    if other:
        return (f"No labels: folder names are labels where every image sits in a class folder at one depth, and "
                f"{len(other):,} of {len(relpaths):,} images do not (e.g. {other[0]}); `imgorg inspect` shows the layout")
    return "No labels: every image is in one folder (labels are the names of two or more class folders)"


def count_image_files(root: str | os.PathLike, at_most: int) -> int:
    """How many files with an image name are under ``root`` (system files aside), counting no further than ``at_most``."""
    return sum(1 for _ in itertools.islice(_walk_image_names(Path(root)), at_most))


def _walk_image_names(root: Path) -> Iterator[str]:
    # followlinks=False: a symlink loop cannot trap the walk; linked files are still counted.
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            rel = Path(os.path.relpath(os.path.join(dirpath, name), root)).as_posix()
            if claims_image(name) and not system_file(rel):
                yield rel


def _walk(root: Path) -> Iterator[tuple[str, str | None]]:
    """(relpath, None) for every regular file under ``root``, in path order; (relpath, what it is) for
    entries that are not regular files: a link to a folder (not followed, so a loop cannot trap the
    walk), a broken link, a pipe or socket, or a folder that cannot be listed. An imgorg workspace kept
    among the photos is not walked: its files are not the collection's."""
    found: list[tuple[str, str | None]] = []
    stack = [""]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(root / folder if folder else root) as entries:
                names = [(entry.name, _kind(entry)) for entry in entries]
        except OSError as err:
            if folder:
                found.append((folder, f"folder: {err.strerror or err}"))
            log.warning("cannot list %s: %s", err.filename, err.strerror)
            continue
        for name, kind in names:
            rel = f"{folder}/{name}" if folder else name
            if kind == "dir" and is_workspace(root / rel):  # an imgorg workspace kept among the photos
                log.info("%s is an imgorg workspace: not read as images", rel)
            elif kind == "dir":
                stack.append(rel)
            else:
                found.append((rel, kind))
    yield from sorted(found)


def _kind(entry: os.DirEntry) -> str | None:
    """None for a regular file (or a link to one), "dir" for a folder to descend, else what it is."""
    try:
        if entry.is_dir(follow_symlinks=False):
            return "dir"
        if entry.is_file(follow_symlinks=True):
            return None
        if entry.is_symlink():
            return "link to a folder (not followed)" if entry.is_dir(follow_symlinks=True) else "broken link"
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError as err:
        return f"cannot inspect: {err.strerror or err}"
    return "named pipe" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "special file"


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

