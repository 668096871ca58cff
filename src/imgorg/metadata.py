"""Capture time, camera and place of a photo, from its EXIF; the file's time when EXIF has no date.

Times are wall-clock times where the photo was taken (``taken_at``, naive): what
the camera's clock showed, which is what a person means by "the evening of 12
May". ``taken_at_offset_min`` is that clock's offset from UTC in minutes, when
known: EXIF OffsetTimeOriginal (or OffsetTime), else the difference to the GPS
time stamp (UTC) rounded to 15 minutes; for file times, the offset of this
machine's time zone at that moment. The UTC instant is ``taken_at - offset``.
Most cameras write no offset, so a UTC column could not be filled for them; a
local time can, and it groups photos into the days and events they belong to.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd

from PIL import Image

from .errors import ConfigError

SOURCE_EXIF = "exif"  # taken_at read from the file's EXIF (DateTimeOriginal, else Digitized, else DateTime)
SOURCE_FILE = "file"  # taken_at is the file's modification time: the file has no EXIF date
SOURCE_SIDECAR = "sidecar"  # taken_at read from a sidecar (.xmp, Google Takeout .json) beside the file

_IFD_EXIF, _IFD_GPS = 0x8769, 0x8825
_MAKE, _MODEL, _DATETIME = 0x010F, 0x0110, 0x0132
_ORIGINAL, _DIGITIZED = 0x9003, 0x9004
_OFFSET, _OFFSET_ORIGINAL, _OFFSET_DIGITIZED = 0x9010, 0x9011, 0x9012
_SUBSEC_ORIGINAL, _SUBSEC_DIGITIZED, _SUBSEC = 0x9291, 0x9292, 0x9290
_DATE = re.compile(r"(\d{4})[:\-/.](\d{2})[:\-/.](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET_TEXT = re.compile(r"^\s*([+-])(\d{1,2}):?(\d{2})\s*$")
_YEARS = (1826, 2261)  # what a nanosecond timestamp holds; earlier or later dates are a broken clock


def photo_metadata(exif: Image.Exif | None, mtime: float | None, raw_time: datetime | None = None,
                   sidecar: dict | None = None) -> dict:
    """The catalog's metadata fields for one file (see the module docstring for what times mean).

    ``sidecar``: what the file's sidecars say (``sidecars.read_sidecars``: taken_at,
    taken_at_offset_min, gps_lat, gps_lon). Its date ranks below the file's own capture
    dates and above EXIF DateTime (the last edit) and the file time; its position is used
    when the file has none."""
    exif = exif if exif is not None else Image.Exif()
    main = _ifd(exif, _IFD_EXIF) if _IFD_EXIF in exif else {}
    gps = _ifd(exif, _IFD_GPS) if _IFD_GPS in exif else {}
    sidecar = sidecar or {}
    taken, offset = exif_time(exif, main)
    if taken is not None and sidecar.get("taken_at") is not None and exif_time(exif, main, capture_only=True)[0] is None:
        taken = None  # only DateTime (the last edit): the sidecar's capture date ranks above it
    if taken is None and isinstance(raw_time, datetime) and _plausible(raw_time):
        taken = raw_time  # LibRaw's reading of a RAW file's capture time (CR3, RAF: no TIFF EXIF)
    if taken is not None and offset is None:
        offset = gps_offset(taken, gps)
    source = SOURCE_EXIF if taken is not None else None
    if taken is None and sidecar.get("taken_at") is not None:
        taken, offset, source = sidecar["taken_at"], sidecar.get("taken_at_offset_min"), SOURCE_SIDECAR
    if taken is None and mtime is not None:
        taken, offset = file_time(mtime)
        source = SOURCE_FILE
    lat, lon = gps_position(gps)
    if lat is None and sidecar.get("gps_lat") is not None:
        lat, lon = sidecar["gps_lat"], sidecar["gps_lon"]
    return {
        "taken_at": taken,
        "taken_at_offset_min": offset,
        "taken_at_source": source,
        "camera_make": _text(exif.get(_MAKE)),
        "camera_model": _text(exif.get(_MODEL)),
        "gps_lat": lat,
        "gps_lon": lon,
    }


def exif_time(exif: Image.Exif, main: dict | None = None,
              capture_only: bool = False) -> tuple[datetime | None, int | None]:
    """(capture time, offset in minutes or None) from DateTimeOriginal, DateTimeDigitized or DateTime
    (not DateTime with ``capture_only``)."""
    main = _ifd(exif, _IFD_EXIF) if main is None else main
    for date_tag, subsec_tag, offset_tag, where in (
        (_ORIGINAL, _SUBSEC_ORIGINAL, _OFFSET_ORIGINAL, main),
        (_DIGITIZED, _SUBSEC_DIGITIZED, _OFFSET_DIGITIZED, main),
        *(() if capture_only else ((_DATETIME, _SUBSEC, _OFFSET, exif),)),
    ):
        taken = parse_exif_datetime(where.get(date_tag), main.get(subsec_tag))
        if taken is not None:
            return taken, parse_offset(main.get(offset_tag) or main.get(_OFFSET))
    return None, None


def parse_exif_datetime(value, subsec=None) -> datetime | None:
    """"2024:05:17 14:03:22" (and "-" separated variants) as a naive datetime; None if absent or impossible."""
    match = _DATE.search(_text(value) or "")
    if not match:
        return None
    try:
        taken = datetime(*(int(part) for part in match.groups()))
    except ValueError:  # "0000:00:00 00:00:00", month 13
        return None
    digits = re.sub(r"\D", "", _text(subsec) or "")
    if digits:
        taken = taken.replace(microsecond=int((digits + "000000")[:6]))
    return taken if _plausible(taken) else None


def parse_offset(value) -> int | None:
    """"+02:00" / "-0530" as minutes east of UTC; None if absent or outside -14:00..+14:00."""
    match = _OFFSET_TEXT.match(_text(value) or "")
    if not match:
        return None
    sign, hours, minutes = match.groups()
    total = int(hours) * 60 + int(minutes)
    return (total if sign == "+" else -total) if total <= 14 * 60 and int(minutes) < 60 else None


def gps_offset(taken: datetime, gps: dict) -> int | None:
    """The clock's offset from UTC told by the GPS time stamp (UTC), to the nearest 15 minutes."""
    date = parse_exif_datetime(f"{_text(gps.get(29)) or ''} 00:00:00")
    stamp = gps.get(7)
    if date is None or not stamp or len(stamp) != 3:
        return None
    try:
        seconds = float(stamp[0]) * 3600 + float(stamp[1]) * 60 + float(stamp[2])
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not math.isfinite(seconds):
        return None
    minutes = (taken - (date + timedelta(seconds=seconds))).total_seconds() / 60
    offset = int(round(minutes / 15) * 15)
    return offset if abs(offset) <= 14 * 60 else None


def gps_position(gps: dict) -> tuple[float | None, float | None]:
    """Latitude and longitude in signed decimal degrees (south and west negative), or (None, None)."""
    lat = _degrees(gps.get(2), gps.get(1), "S", 90)
    lon = _degrees(gps.get(4), gps.get(3), "W", 180)
    if lat is None or lon is None or (lat == 0 and lon == 0):  # 0, 0: a receiver without a fix
        return None, None
    return lat, lon


def file_time(mtime: float) -> tuple[datetime, int]:
    """A file's modification time as local wall-clock time and that moment's UTC offset in minutes."""
    local = datetime.fromtimestamp(mtime, tz=timezone.utc).astimezone()
    return local.replace(tzinfo=None), int(local.utcoffset().total_seconds() // 60)


def _degrees(value, ref, negative: str, limit: float) -> float | None:
    try:
        parts = [float(x) for x in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not parts or len(parts) > 3 or not all(math.isfinite(p) for p in parts):
        return None
    degrees = sum(p / 60**i for i, p in enumerate(parts))
    if (_text(ref) or "").upper().startswith(negative):
        degrees = -degrees
    return round(degrees, 7) if abs(degrees) <= limit else None


def _ifd(exif: Image.Exif, tag: int) -> dict:
    try:
        return dict(exif.get_ifd(tag))
    except Exception:  # noqa: BLE001 - a damaged sub-IFD is an absent one
        return {}


def _plausible(taken: datetime) -> bool:
    return _YEARS[0] <= taken.year <= _YEARS[1]


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value).replace("\x00", "").strip()
    return text or None


def capture_times(images: pd.DataFrame) -> pd.Series:
    """Each image's capture time (naive, local wall-clock; NaT where unknown)."""
    if "taken_at" not in images:
        return pd.Series(pd.NaT, index=images.index, dtype="datetime64[ns]")
    return pd.to_datetime(images["taken_at"], errors="coerce")


def capture_range(images: pd.DataFrame) -> dict:
    """The first and last capture time (ISO 8601) and how many images have a time from EXIF, from
    the file's modification time, or none."""
    times = capture_times(images)
    source = images["taken_at_source"] if "taken_at_source" in images else pd.Series(None, index=images.index)
    known = times.notna()
    return {"first": times.min().isoformat() if known.any() else None,
            "last": times.max().isoformat() if known.any() else None,
            "exif": int((known & (source == SOURCE_EXIF)).sum()), "file": int((known & (source == SOURCE_FILE)).sum()),
            "unknown": int((~known).sum())}


def taken_between(images: pd.DataFrame, start: date | None, end: date | None) -> np.ndarray | None:
    """A mask of the images taken from day ``start`` to day ``end``, both included (either may be
    None: no bound); None when neither is given. Images without a capture time are outside any range."""
    if start is None and end is None:
        return None
    if start is not None and end is not None and start > end:
        raise ConfigError(f"the date range starts on {start} after it ends on {end}: give a 'from' date on or "
                          f"before the 'to' date")
    times = capture_times(images)
    keep = times.notna()
    if start is not None:
        keep &= times >= pd.Timestamp(start)
    if end is not None:
        keep &= times < pd.Timestamp(end) + pd.Timedelta(days=1)
    return keep.to_numpy()
