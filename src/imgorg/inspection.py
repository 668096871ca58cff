"""What is in a folder of images, before any embedding: formats, sizes, modes, failures, copies, classes,
capture dates, cameras, and every file that is not catalogued with the reason.

Each file is read twice: catalogued by ``scan_source`` (the same walk, labels, hashes
and metadata as ``imgorg run``, and the same skipped table), then opened here. Format,
size and colour mode come from the header (``probe_image``, which decodes no pixels):
the mode is the file's as stored (a grayscale PNG counts as "L", not as the RGB it
becomes for a model), the size is the displayed one, after EXIF orientation. Whether
the file *decodes* is only known by decoding it: a header can be intact over
truncated pixel data. So every file is also decoded with ``decode_image``, the
same code the pipeline uses; ``decode=False`` skips that (headers only, much
faster on large photos) and then only unreadable headers count as failures.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from . import progress as _progress
from .companions import companions_summary
from .errors import ImageDecodeError
from .formats import extension
from .images import decode_image, probe_image
from .metadata import CAPTURE_SOURCES, SOURCE_EXIF, SOURCE_FILE, SOURCES
from .progress import ProgressFactory
from .sources import STATUS_ERROR, scan_source, skipped_summary, source_path, why_no_labels

SIDE_EDGES = (0, 32, 64, 128, 256, 512, 1024, 2048, 4096)  # pixels; the last bin is open-ended
ASPECT_EDGES = (0.0, 0.5, 0.75, 0.9, 1.1, 1.34, 2.0)  # width / height; 0.9-1.1 is "square"


def inspect_source(folder: str | os.PathLike, *, workers: int = 4, decode: bool = True,
                   progress: ProgressFactory | None = None) -> dict:
    """Describe every image under ``folder`` as a JSON-ready dict (numbers stay numbers).

    Keys: source, summary, formats, extensions, modes, width, height, aspect_ratio
    (histograms: low, high (None = open), count), failures (path, reason),
    duplicates (sha256, size, paths), classes (None without ImageFolder labels),
    dates (capture-date range from EXIF and from file times), cameras (make and
    model: files), companions (RAW+JPEG pairs, Live Photos, sidecars, videos:
    ``companions.companions_summary``) and skipped (the files that are not images: counts by reason and
    every file with its reason and detail).
    """
    folder = Path(folder)
    scan = scan_source(folder, workers=workers, progress=progress)
    catalog = scan.catalog
    headers = _read_headers(folder, catalog, workers, decode, progress)
    failures = _failures(catalog, headers)
    return {
        "source": str(folder.resolve()),
        "decoded": decode,
        "summary": {**_summary(catalog, headers, failures), "skipped": int(len(scan.skipped))},
        "dates": capture_dates(catalog),
        "cameras": cameras(catalog),
        "companions": companions_summary(catalog),
        "skipped": {"by_reason": skipped_summary(scan.skipped, examples=5),
                    "files": [{"path": str(r.path), "reason": str(r.reason),
                               "detail": None if _missing(r.detail) else str(r.detail)}
                              for r in scan.skipped.itertuples()]},
        "formats": _counts(headers["format"].fillna("unknown")),
        "extensions": _counts(catalog["path"].map(lambda path: extension(path) or "(none)")),
        "modes": _counts(headers["mode"].dropna()),
        "width": histogram(headers["width"].dropna(), SIDE_EDGES),
        "height": histogram(headers["height"].dropna(), SIDE_EDGES),
        "aspect_ratio": histogram((headers["width"] / headers["height"]).dropna(), ASPECT_EDGES),
        "failures": failures,
        "duplicates": exact_duplicates(catalog),
        "classes": class_balance(catalog["label"]),
        "no_labels": why_no_labels(catalog["path"].astype(str)) if catalog["label"].isna().all() else None,
    }


def capture_dates(catalog: pd.DataFrame) -> dict:
    """First and last capture time (ISO 8601, local wall-clock) and file counts: from the photos' metadata
    (``metadata``: EXIF, XMP, IPTC, maker notes, container, sidecar; ``exif``: DateTimeOriginal alone) and
    from file times; ``by_source``: files per ``taken_at_source``.

    Files without a date of their own carry their modification time (``taken_at_source`` "file"):
    often the day they were copied rather than taken, so the two ranges are kept apart.
    """
    out = {}
    source = catalog["taken_at_source"]
    for name, rows in (("metadata", source.isin(CAPTURE_SOURCES)), (SOURCE_EXIF, source == SOURCE_EXIF),
                       (SOURCE_FILE, source == SOURCE_FILE)):
        times = catalog.loc[rows.fillna(False).astype(bool), "taken_at"].dropna()
        out[name] = {"count": int(len(times)),
                     "first": None if times.empty else times.min().isoformat(),
                     "last": None if times.empty else times.max().isoformat()}
    counts = source[catalog["taken_at"].notna()].value_counts()
    out["by_source"] = {name: int(counts[name]) for name in SOURCES if name in counts}
    out["unknown"] = int(catalog["taken_at"].isna().sum())
    out["with_gps"] = int(catalog["gps_lat"].notna().sum())
    return out


def cameras(catalog: pd.DataFrame) -> dict[str, int]:
    """Files per camera, named once: "Nikon D1X" for make "NIKON CORPORATION" and model "NIKON D1X"
    (the model alone when it starts with the make's first word), else "make model"; most first."""
    make = catalog["camera_make"].fillna("").astype(str)
    model = catalog["camera_model"].fillna("").astype(str)
    return _counts(pd.Series([n for n in map(camera_name, make, model) if n], dtype=object))


def camera_name(make: str, model: str) -> str:
    """One name for a camera: the model when it already names the brand, else the make's brand and the model."""
    make, model = (make or "").strip(), (model or "").strip()
    brand = make.split()[0] if make else ""
    if not model:
        return make
    if not brand or model.lower().startswith(brand.lower()) or make.lower() in model.lower():
        return model
    return f"{make} {model}"


def histogram(values: pd.Series, edges: tuple) -> list[dict]:
    """Counts per bin [low, high); the last bin has no upper edge (high None), so nothing falls outside."""
    values = np.asarray(values, dtype=np.float64)
    bounds = list(edges) + [np.inf]
    counts, _ = np.histogram(values, bins=bounds)
    return [{"low": _number(lo), "high": None if np.isinf(hi) else _number(hi), "count": int(n)}
            for lo, hi, n in zip(bounds[:-1], bounds[1:], counts)]


def exact_duplicates(catalog: pd.DataFrame) -> list[dict]:
    """Groups of files with the same content hash, largest group first; unreadable files have no hash,
    and empty files (listed as failures) are copies of nothing."""
    hashed = catalog.dropna(subset=["sha256"])
    hashed = hashed[pd.to_numeric(hashed["bytes"], errors="coerce").fillna(1) > 0] if "bytes" in hashed else hashed
    groups = [(sha, frame["path"].tolist()) for sha, frame in hashed.groupby("sha256", sort=True) if len(frame) > 1]
    groups.sort(key=lambda g: (-len(g[1]), g[1][0]))
    return [{"sha256": sha, "size": len(paths), "paths": [str(p) for p in paths]} for sha, paths in groups]


def class_balance(labels: pd.Series) -> dict | None:
    """Files per class (every file found, failures included) and largest / smallest class; None if unlabelled."""
    labels = labels.dropna()
    if labels.empty:
        return None
    counts = labels.value_counts()
    return {
        "count": int(len(counts)),
        "sizes": {str(k): int(v) for k, v in sorted(counts.items())},
        "largest": str(counts.index[0]),
        "smallest": str(counts.index[-1]),
        "imbalance_ratio": round(float(counts.iloc[0] / counts.iloc[-1]), 4),
    }


def _read_headers(folder: Path, catalog: pd.DataFrame, workers: int, decode: bool,
                  progress: ProgressFactory | None) -> pd.DataFrame:
    """One row per catalog row: format, mode, width, height (None when unknown), decode error or None."""
    readable = catalog["status"] != STATUS_ERROR
    paths = catalog["path"].tolist()
    advance = _progress.start(progress, "Decoding" if decode else "Reading headers", int(readable.sum()))

    def one(row: int) -> dict:
        if not readable.iloc[row]:
            return _EMPTY
        result = _header(source_path(folder, paths[row]), decode)
        advance(1)
        return result

    with ThreadPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(one, range(len(catalog))))
    frame = pd.DataFrame(rows, columns=list(_EMPTY))
    for column in ("width", "height"):  # numeric even when no header could be read
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


_EMPTY = {"format": None, "mode": None, "width": None, "height": None, "error": None}


def _header(path: Path, decode: bool) -> dict:
    """Header fields without decoding; then, if asked, the full decode the pipeline would do."""
    try:
        data = path.read_bytes()
    except OSError as err:
        return {**_EMPTY, "error": f"cannot read: {err.strerror or err}"}
    out = dict(_EMPTY)
    try:
        probe = probe_image(data)
    except ImageDecodeError as err:  # decoding would fail for the same reason
        return {**out, "error": err.reason}
    # a camera RAW stores the sensor's mosaic, no Pillow mode: counted as such, so the modes add up to the files
    out.update(format=probe.format, mode=probe.mode or "RAW mosaic", width=probe.width, height=probe.height)
    if decode:
        try:
            decode_image(data)
        except ImageDecodeError as err:
            out["error"] = err.reason
    return out


def _failures(catalog: pd.DataFrame, headers: pd.DataFrame) -> list[dict]:
    reasons = catalog["error"].astype(object).where(catalog["error"].notna(), headers["error"])
    failed = reasons.notna()
    return [{"path": str(p), "reason": str(r)} for p, r in zip(catalog["path"][failed], reasons[failed])]


def _summary(catalog: pd.DataFrame, headers: pd.DataFrame, failures: list[dict]) -> dict:
    duplicates = exact_duplicates(catalog)
    labels = catalog["label"].dropna()
    return {
        "files": int(len(catalog)),
        "bytes": int(catalog["bytes"].sum()),
        "ok": int(len(catalog) - len(failures)),
        "failed": int(len(failures)),
        "duplicate_groups": len(duplicates),
        "duplicate_files": int(sum(g["size"] - 1 for g in duplicates)),  # could go, keeping one per group
        "classes": int(labels.nunique()),
        "min_width": _stat(headers["width"], "min"),
        "max_width": _stat(headers["width"], "max"),
        "min_height": _stat(headers["height"], "min"),
        "max_height": _stat(headers["height"], "max"),
    }


def _counts(values: pd.Series) -> dict[str, int]:
    """Most common first, then by name: a stable order for tables and JSON."""
    counts = Counter(str(v) for v in values)
    return {k: int(v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def _stat(values: pd.Series, how: str) -> int | None:
    values = values.dropna()
    return None if values.empty else int(getattr(values, how)())


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)
