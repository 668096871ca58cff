"""Capture time, camera and place of a photo, from its EXIF, XMP, IPTC, the camera's own records, its
container or a sidecar file; the file's time when none of them has a date (``SOURCES``, in order).

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

from . import metablocks
from .errors import ConfigError

# Where taken_at came from, in the order a capture time is looked for (the first found wins).
SOURCE_EXIF = "exif"  # EXIF DateTimeOriginal (with SubSecTimeOriginal and OffsetTimeOriginal)
SOURCE_XMP = "xmp"  # XMP exif:DateTimeOriginal, photoshop:DateCreated or xmp:CreateDate
SOURCE_IPTC = "iptc"  # IPTC DateCreated with TimeCreated
SOURCE_MAKERNOTE = "makernote"  # the camera's own records: Canon CIFF (CRW), LibRaw's reading of a RAW file
SOURCE_CONTAINER = "container"  # an ISO-BMFF/QuickTime movie header (HEIF and AVIF sequences), UTC
SOURCE_DIGITIZED = "digitized"  # EXIF DateTimeDigitized (in the Exif IFD or, as some writers put it, IFD0)
SOURCE_SIDECAR = "sidecar"  # a file beside the photo (.xmp, Google Takeout .json), passed in by the caller
SOURCE_EXIF_DATETIME = "exif_datetime"  # EXIF DateTime: when the file was last changed, often by an editor
SOURCE_NAME = "name"  # the date and time in the file's name (IMG_20240505_123456, PXL_, VID_, Screenshot_, -WA0007)
SOURCE_FILE = "file"  # the file's modification time: nothing above was found
SOURCES = (SOURCE_EXIF, SOURCE_XMP, SOURCE_IPTC, SOURCE_MAKERNOTE, SOURCE_CONTAINER, SOURCE_DIGITIZED,
           SOURCE_SIDECAR, SOURCE_EXIF_DATETIME, SOURCE_NAME, SOURCE_FILE)
# a time some device or tool wrote as the capture time (a name's is the phone's, but a name is easily changed)
CAPTURE_SOURCES = frozenset(SOURCES) - {SOURCE_NAME, SOURCE_FILE}
# A phone's or messenger's file name with the date (and time) it was taken or received: Android cameras
# (IMG_/VID_/PXL_20240507_101530123), screenshots (Screenshot_20231022-100021), WhatsApp (IMG-20240505-WA0007).
_NAME_DATE = re.compile(r"(?<!\d)(20\d{2}|19\d{2})(\d{2})(\d{2})(?:[_-](\d{2})(\d{2})(\d{2})\d{0,3})?(?!\d)")

_IFD_EXIF, _IFD_GPS = 0x8769, 0x8825
_MAKE, _MODEL, _DATETIME = 0x010F, 0x0110, 0x0132
_ORIGINAL, _DIGITIZED = 0x9003, 0x9004
_OFFSET, _OFFSET_ORIGINAL, _OFFSET_DIGITIZED = 0x9010, 0x9011, 0x9012
_SUBSEC_ORIGINAL, _SUBSEC_DIGITIZED, _SUBSEC = 0x9291, 0x9292, 0x9290
_DATE = re.compile(r"(\d{4})[:\-/.](\d{2})[:\-/.](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET_TEXT = re.compile(r"^\s*([+-])(\d{1,2}):?(\d{2})\s*$")
_YEARS = (1826, 2261)  # what a nanosecond timestamp holds; earlier or later dates are a broken clock


def photo_metadata(exif: Image.Exif | None, mtime: float | None, raw_time: datetime | None = None, *,
                   xmp: bytes | str | None = None, iptc: bytes | None = None, maker_time: datetime | None = None,
                   container_time: datetime | None = None, sidecar: dict | None = None, name: str | None = None) -> dict:
    """The catalog's metadata fields for one file (see the module docstring for what times mean).

    The capture time is the first of: EXIF DateTimeOriginal, the ``xmp`` packet's dates, the
    ``iptc`` records' DateCreated, ``maker_time`` or ``raw_time`` (the camera's own records),
    ``container_time`` (UTC), EXIF DateTimeDigitized, the ``sidecar``'s ``taken_at``, EXIF
    DateTime, the date in the file's ``name``, then ``mtime``; ``taken_at_source`` names the one used
    (``SOURCES``).
    ``sidecar``: what a file beside the photo says, keys ``taken_at`` (naive wall-clock
    datetime), ``taken_at_offset_min``, ``gps_lat``, ``gps_lon`` (each may be missing or None);
    its position is used when the photo has none of its own.
    """
    exif = exif if exif is not None else Image.Exif()
    main = _ifd(exif, _IFD_EXIF) if _IFD_EXIF in exif else {}
    gps = _ifd(exif, _IFD_GPS) if _IFD_GPS in exif else {}
    taken, offset, source = capture_time(exif, main, xmp=xmp, iptc=iptc, maker_time=maker_time or raw_time,
                                         container_time=container_time, sidecar=sidecar)
    if taken is not None and offset is None:
        offset = gps_offset(taken, gps)
    if taken is None and name is not None:
        taken = name_time(name)
        source = SOURCE_NAME if taken is not None else None
    if taken is None and mtime is not None:
        taken, offset = file_time(mtime)
        source = SOURCE_FILE
    lat, lon = gps_position(gps)
    if lat is None and sidecar:
        lat, lon = _sidecar_position(sidecar)
    return {
        "taken_at": taken,
        "taken_at_offset_min": offset,
        "taken_at_source": source,
        "camera_make": _text(exif.get(_MAKE)),
        "camera_model": _text(exif.get(_MODEL)),
        "gps_lat": lat,
        "gps_lon": lon,
    }


def name_time(name: str) -> datetime | None:
    """The date (and time, where it follows) a phone or messenger wrote into a file's name, or None:
    "IMG-20240505-WA0007.jpg" 5 May 2024, "PXL_20240507_101530123.jpg" 10:15:30 that day."""
    found = _NAME_DATE.search(name.rsplit("/", 1)[-1])
    if not found:
        return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in found.groups())
    try:
        taken = datetime(year, month, day, hour, minute, second)
    except ValueError:  # "20241399": no date
        return None
    return taken if _YEARS[0] <= year and taken <= datetime.now() else None


def capture_time(exif: Image.Exif, main: dict | None = None, *, xmp=None, iptc=None, maker_time=None,
                 container_time=None, sidecar=None) -> tuple[datetime | None, int | None, str | None]:
    """(capture time, offset in minutes or None, source) by the precedence of ``photo_metadata``;
    (None, None, None) when none of these places holds a date. Each place is read only when the
    ones before it hold nothing."""
    main = _ifd(exif, _IFD_EXIF) if main is None else main
    for source, read in (
        (SOURCE_EXIF, lambda: _exif_date(exif, main, _ORIGINAL, _SUBSEC_ORIGINAL, _OFFSET_ORIGINAL)),
        (SOURCE_XMP, lambda: metablocks.xmp_time(xmp)),
        (SOURCE_IPTC, lambda: metablocks.iptc_time(iptc)),
        (SOURCE_MAKERNOTE, lambda: _given(maker_time, None)),
        (SOURCE_CONTAINER, lambda: _given(container_time, 0)),
        (SOURCE_DIGITIZED, lambda: _exif_date(exif, main, _DIGITIZED, _SUBSEC_DIGITIZED, _OFFSET_DIGITIZED)),
        (SOURCE_SIDECAR, lambda: _given((sidecar or {}).get("taken_at"), (sidecar or {}).get("taken_at_offset_min"))),
        (SOURCE_EXIF_DATETIME, lambda: _exif_date(exif, main, _DATETIME, _SUBSEC, _OFFSET)),
    ):
        found = read()
        if found is not None:
            return found[0], _minutes(found[1]), source
    return None, None, None


def exif_time(exif: Image.Exif, main: dict | None = None) -> tuple[datetime | None, int | None]:
    """(capture time, offset in minutes or None) from EXIF alone: DateTimeOriginal, DateTimeDigitized or DateTime."""
    main = _ifd(exif, _IFD_EXIF) if main is None else main
    for tags in ((_ORIGINAL, _SUBSEC_ORIGINAL, _OFFSET_ORIGINAL), (_DIGITIZED, _SUBSEC_DIGITIZED, _OFFSET_DIGITIZED),
                 (_DATETIME, _SUBSEC, _OFFSET)):
        found = _exif_date(exif, main, *tags)
        if found is not None:
            return found
    return None, None


def _exif_date(exif: Image.Exif, main: dict, date_tag: int, subsec_tag: int, offset_tag: int):
    """A date tag of the Exif IFD, else of IFD0 (where some writers put DateTimeOriginal and Digitized)."""
    where = exif if date_tag == _DATETIME else main
    taken = parse_exif_datetime(where.get(date_tag), main.get(subsec_tag))
    if taken is None and date_tag != _DATETIME:
        taken = parse_exif_datetime(exif.get(date_tag), main.get(subsec_tag) or exif.get(subsec_tag))
    if taken is None:
        return None
    return taken, parse_offset(main.get(offset_tag) or main.get(_OFFSET) or exif.get(offset_tag))


def _given(taken, offset):
    if isinstance(taken, pd.Timestamp):
        taken = None if pd.isna(taken) else taken.to_pydatetime()
    if not isinstance(taken, datetime) or not _plausible(taken):
        return None
    if taken.tzinfo is not None:  # an aware time: its wall clock and its offset
        offset = int(taken.utcoffset().total_seconds() // 60) if offset is None else offset
        taken = taken.replace(tzinfo=None)
    return taken, offset


def _minutes(offset) -> int | None:
    try:
        offset = int(offset)
    except (TypeError, ValueError):
        return None
    return offset if abs(offset) <= 14 * 60 else None


def _sidecar_position(sidecar: dict) -> tuple[float | None, float | None]:
    try:
        lat, lon = float(sidecar.get("gps_lat")), float(sidecar.get("gps_lon"))
    except (TypeError, ValueError):
        return None, None
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180 or (lat == 0 and lon == 0):
        return None, None
    return round(lat, 7), round(lon, 7)


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
    # A C string: what follows the first NUL is padding or garbage ("GoPro\x00\x00\x1f...")
    text = str(value).lstrip("\x00").split("\x00", 1)[0]
    text = "".join(ch for ch in text if ch.isprintable()).strip()
    return text or None


def capture_times(images: pd.DataFrame) -> pd.Series:
    """Each image's capture time (naive, local wall-clock; NaT where unknown)."""
    if "taken_at" not in images:
        return pd.Series(pd.NaT, index=images.index, dtype="datetime64[ns]")
    return pd.to_datetime(images["taken_at"], errors="coerce")


def capture_range(images: pd.DataFrame) -> dict:
    """The first and last capture time (ISO 8601) and how many images have a time from their metadata
    (``metadata``: any of ``CAPTURE_SOURCES``; ``exif``: DateTimeOriginal alone), from the file's
    modification time, or none."""
    times = capture_times(images)
    source = images["taken_at_source"] if "taken_at_source" in images else pd.Series(None, index=images.index)
    known = times.notna()
    return {"first": times.min().isoformat() if known.any() else None,
            "last": times.max().isoformat() if known.any() else None,
            "metadata": int((known & source.isin(CAPTURE_SOURCES)).sum()),
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
