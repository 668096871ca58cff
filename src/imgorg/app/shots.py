"""What the page shows of a shot's files, from its catalog row: the badges of a thumbnail (a video and its
length, a RAW+JPEG pair, a Live Photo), the details of one image (capture time and where it was read,
sidecar rating, keywords and description, notes), the files of the shot and where each is served.

Pure functions of a catalog row and the source folder: ``camera`` (the router) and ``state`` use them.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

import pandas as pd

from ..companions import SEPARATOR
from ..formats import extension
from ..inspection import camera_name
from ..metadata import (SOURCE_CONTAINER, SOURCE_DIGITIZED, SOURCE_EXIF, SOURCE_EXIF_DATETIME, SOURCE_FILE, SOURCE_NAME,
                        SOURCE_IPTC, SOURCE_MAKERNOTE, SOURCE_SIDECAR, SOURCE_XMP)
from ..sidecars import KEYWORD_SEPARATOR
from ..sources import source_path

PARTS = ("file", "original", "motion", "sidecar")  # what /api/images/{id}/part serves: the file itself or a part
PART_COLUMNS = {"original": "original", "motion": "motion", "sidecar": "sidecars"}
PART_WORDS = {"original": "RAW original (it is not a RAW+JPEG pair)", "motion": "motion video (it is not a Live Photo)",
              "sidecar": "sidecar file"}

# taken_at_source in words: where the capture time shown was read (imgorg.metadata.SOURCES, in that order)
SOURCE_WORDS = {
    SOURCE_EXIF: "EXIF DateTimeOriginal (the camera's capture time)",
    SOURCE_XMP: "XMP in the file (a capture date an editor or the camera wrote)",
    SOURCE_IPTC: "IPTC DateCreated",
    SOURCE_MAKERNOTE: "the camera's own maker notes",
    SOURCE_CONTAINER: "the container's creation date (a video's or an image sequence's movie header)",
    SOURCE_DIGITIZED: "EXIF DateTimeDigitized (when it was scanned or digitized)",
    SOURCE_SIDECAR: "a sidecar file beside it (.xmp or Google Takeout .json)",
    SOURCE_EXIF_DATETIME: "EXIF DateTime (when the file was last changed, often by an editor's export)",
    SOURCE_NAME: "the date in the file's name (a phone's or a messenger's: IMG_20240505_123456, IMG-20240505-WA0007)",
    SOURCE_FILE: "the file's modification time: the file holds no capture date (often the day it was copied)",
}
NOTE_WORDS = {"truncated": "truncated: the file ends early; shown and embedded as far as it goes"}

# Types a browser needs to play or show a part; the rest from the mimetypes table, else octet-stream.
CONTENT_TYPES = {".mov": "video/quicktime", ".qt": "video/quicktime", ".mp4": "video/mp4", ".m4v": "video/mp4",
                 ".3gp": "video/3gpp", ".3g2": "video/3gpp2", ".avi": "video/x-msvideo", ".mkv": "video/x-matroska",
                 ".webm": "video/webm", ".xmp": "application/rdf+xml", ".json": "application/json",
                 ".aae": "application/xml", ".heic": "image/heic", ".heif": "image/heif", ".dng": "image/x-adobe-dng"}
INLINE = ("video/", "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif")  # shown by a browser


def _value(row, column: str):
    value = row.get(column) if hasattr(row, "get") else None
    return None if value is None or value is pd.NA or (isinstance(value, float) and value != value) else value


def is_video(row) -> bool:
    return str(_value(row, "format") or "").endswith(" video")


def badges(row) -> dict:
    """What a thumbnail shows: ``video`` (with ``duration_s``), ``raw`` (a RAW+JPEG pair), ``live`` (a Live Photo)."""
    duration = _value(row, "duration_s")
    return {"video": is_video(row), "duration_s": None if duration is None else round(float(duration), 2),
            "raw": _value(row, "original") is not None, "live": _value(row, "motion") is not None}


def part_paths(row, which: str) -> list[str]:
    """The catalog paths of one kind of part of a row: [path] for "file", the sidecars for "sidecar"."""
    if which == "file":
        return [str(row["path"])]
    value = _value(row, PART_COLUMNS[which])
    return [p for p in str(value).split(SEPARATOR) if p] if value is not None else []


def part_url(image_id: int, which: str, n: int = 0) -> str:
    return f"/api/images/{image_id}/part?which={which}" + (f"&n={n}" if which == "sidecar" else "")


def content_type(name: str) -> str:
    ext = extension(name)
    return CONTENT_TYPES.get(ext) or mimetypes.guess_type("x" + ext)[0] or "application/octet-stream"


def inline(media_type: str) -> bool:
    return media_type.startswith(INLINE)


def inside(root: str | os.PathLike, rel: str, added_from=()) -> Path | None:
    """The file a catalog path names, if it lies inside the source folder, or inside a folder `imgorg add`
    added images from (``added_from``: their paths are absolute), once every link and ".." is resolved;
    None otherwise (a tampered catalog, or a link that leads out of the folder)."""
    path = source_path(Path(root).resolve(), rel).resolve()
    for folder in (root, *(added_from if os.path.isabs(rel) else ())):
        base = Path(folder).resolve()
        if path.is_relative_to(base) and path != base:
            return path
    return None


def _part(image_id: int, which: str, rel: str, n: int = 0) -> dict:
    name = rel.rpartition("/")[2]
    return {"path": rel, "name": name, "kind": extension(name).lstrip(".").upper(), "type": content_type(name),
            "url": part_url(image_id, which, n)}


def details(row) -> dict:
    """One image's details for the page: format, size, camera, capture time with where it was read (in
    words), notes, what its sidecars say (rating, keywords, description) and its files, each with its URL."""
    image_id = int(row["id"])
    source = _value(row, "taken_at_source")
    note = _value(row, "note")
    keywords = _value(row, "keywords")
    gps = (_value(row, "gps_lat"), _value(row, "gps_lon"))
    rating = _value(row, "rating")
    sidecars = part_paths(row, "sidecar")
    return {
        "format": _value(row, "format"), "width": _opt_int(_value(row, "width")),
        "height": _opt_int(_value(row, "height")), "orientation": _opt_int(_value(row, "orientation")),
        "camera": camera_name(str(_value(row, "camera_make") or ""), str(_value(row, "camera_model") or "")) or None,
        "taken_at_offset_min": _opt_int(_value(row, "taken_at_offset_min")),
        "taken_at_source": source, "taken_from": SOURCE_WORDS.get(source) if source else None,
        "note": note, "notes": [NOTE_WORDS.get(n, n) for n in str(note).split(SEPARATOR) if n] if note else [],
        "gps": None if gps[0] is None else [float(gps[0]), float(gps[1])],
        "rating": _opt_int(rating),
        "keywords": [k for k in str(keywords).split(KEYWORD_SEPARATOR) if k] if keywords else [],
        "description": _value(row, "description"),
        **badges(row),
        "parts": {"file": _part(image_id, "file", str(row["path"])),
                  "original": next((_part(image_id, "original", p) for p in part_paths(row, "original")), None),
                  "motion": next((_part(image_id, "motion", p) for p in part_paths(row, "motion")), None),
                  "sidecars": [_part(image_id, "sidecar", p, n) for n, p in enumerate(sidecars)]},
    }


def _opt_int(value) -> int | None:
    return None if value is None else int(value)


def camera_files(catalog: pd.DataFrame, summary: dict, examples: int = 5) -> dict:
    """The Review tab's "Camera files" from ``companions.companions_summary`` of the whole catalog: counts,
    and a few examples of each kind with their ids (so the page can open them); ``truncated``: files
    that end early (``note``), decoded as far as they go."""
    ok = catalog["status"].astype(str) == "ok"
    ids = dict(zip(catalog["path"][ok].astype(str), catalog["id"][ok].astype(int)))  # a failed file has no page
    truncated = catalog[ok & catalog["note"].fillna("").astype(str).str.contains("truncated")] \
        if "note" in catalog else catalog.iloc[:0]
    videos = catalog[catalog["format"].fillna("").astype(str).str.endswith(" video")] \
        if "format" in catalog else catalog.iloc[:0]
    failed_videos = videos[videos["status"].astype(str) != "ok"]

    def listed(rows: list[dict]) -> dict:
        return {"count": len(rows), "examples": [{**r, "id": ids.get(r["path"])} for r in rows[:examples]]}

    def paths(frame: pd.DataFrame) -> list[dict]:
        return [{"path": str(p), "id": int(i)} for p, i in zip(frame["path"][:examples], frame["id"][:examples])]

    return {
        "pairs": listed(summary["pairs"]), "live_photos": listed(summary["live_photos"]),
        "sidecars": {**summary["sidecars"], "with_rating": summary["with_rating"],
                     "with_keywords": summary["with_keywords"]},
        "videos": {**summary["videos"], "failed": int(len(failed_videos)),
                   "examples": paths(videos[videos["status"].astype(str) == "ok"])},
        "truncated": {"count": int(len(truncated)), "examples": paths(truncated)},
    }
