"""Sidecar files: what Lightroom, darktable and Google Takeout write beside a photo, read into catalog fields.

- XMP (``IMG_1234.xmp`` from Lightroom, ``IMG_1234.JPG.xmp`` from darktable): capture
  time (exif:DateTimeOriginal, else photoshop:DateCreated, else xmp:CreateDate, with
  the UTC offset when written), GPS (exif:GPSLatitude/GPSLongitude as "48,51.396N"
  or "48,51,23.76N"), xmp:Rating (-1 rejected, 0-5 stars), dc:subject keywords and
  dc:description.
- Google Takeout JSON (``IMG_1234.JPG.json``): photoTakenTime.timestamp (a UTC
  instant, shown in this machine's time zone, as file times are), geoData (0, 0
  means no position; geoDataExif as a fallback) and the description.

``read_sidecars(paths)`` merges what several sidecars of one photo say (XMP first: it
is the photographer's own tool) into one dict: ``taken_at``, ``taken_at_offset_min``,
``gps_lat``, ``gps_lon`` (what ``metadata.photo_metadata(..., sidecar=...)`` takes) and
``rating``, ``keywords``, ``description`` (catalog columns). A sidecar that cannot be
read is logged and contributes nothing: the photo is still catalogued.
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

log = logging.getLogger(__name__)

MAX_SIDECAR_BYTES = 4_000_000  # a sidecar is text of a few KB; a larger one is not read
KEYWORD_SEPARATOR = "; "
SIDECAR_KEYS = ("taken_at", "taken_at_offset_min", "gps_lat", "gps_lon", "rating", "keywords", "description")

_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "exifEX": "http://cipa.jp/exif/1.0/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
_DATE_KEYS = (("exif", "DateTimeOriginal"), ("photoshop", "DateCreated"), ("xmp", "CreateDate"))
_XMP_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$")
_XMP_GPS = re.compile(r"^\s*(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?(?:,(\d+(?:\.\d+)?))?\s*([NSEW])\s*$", re.IGNORECASE)


def read_sidecars(paths: list[Path]) -> dict:
    """One photo's sidecars (``.xmp``, Takeout ``.json``; others such as ``.aae`` are listed, not read)
    merged into a dict with the keys of SIDECAR_KEYS (None where no sidecar says)."""
    merged = dict.fromkeys(SIDECAR_KEYS)
    readers = {".xmp": read_xmp, ".json": read_takeout_json}
    for path in sorted(paths, key=lambda p: p.suffix.lower() != ".xmp"):  # XMP before Takeout
        reader = readers.get(path.suffix.lower())
        if reader is None:
            continue
        try:
            if path.stat().st_size > MAX_SIDECAR_BYTES:
                log.warning("sidecar %s is over %d bytes: not read", path, MAX_SIDECAR_BYTES)
                continue
            fields = reader(path.read_bytes())
        except (OSError, ValueError, ET.ParseError) as err:
            log.warning("cannot read sidecar %s: %s", path, err)
            continue
        _merge(merged, fields)
    return merged


def _merge(merged: dict, fields: dict) -> None:
    if merged["taken_at"] is None and fields.get("taken_at") is not None:
        merged["taken_at"], merged["taken_at_offset_min"] = fields["taken_at"], fields.get("taken_at_offset_min")
    if merged["gps_lat"] is None and fields.get("gps_lat") is not None:
        merged["gps_lat"], merged["gps_lon"] = fields["gps_lat"], fields["gps_lon"]
    for key in ("rating", "keywords", "description"):
        if merged[key] is None and fields.get(key) not in (None, ""):
            merged[key] = fields[key]


def read_xmp(data: bytes) -> dict:
    """An XMP packet's capture time, offset, GPS, rating, keywords and description (None where absent)."""
    root = ET.fromstring(data)
    values: dict[tuple[str, str], object] = {}
    for description in root.iter(f"{{{_NS['rdf']}}}Description"):
        for name, value in description.attrib.items():  # the short form: properties as attributes
            values.setdefault(_key(name), value)
        for child in description:
            values.setdefault(_key(child.tag), _element_value(child))
    out: dict = dict.fromkeys(SIDECAR_KEYS)
    for key in _DATE_KEYS:
        taken, offset = parse_xmp_date(values.get(key))
        if taken is not None:
            out["taken_at"], out["taken_at_offset_min"] = taken, offset
            break
    lat = xmp_gps(values.get(("exif", "GPSLatitude")))
    lon = xmp_gps(values.get(("exif", "GPSLongitude")))
    if lat is not None and lon is not None and abs(lat) <= 90 and abs(lon) <= 180 and (lat, lon) != (0, 0):
        out["gps_lat"], out["gps_lon"] = lat, lon
    out["rating"] = _rating(values.get(("xmp", "Rating")))
    subject = values.get(("dc", "subject"))
    keywords = subject if isinstance(subject, list) else [subject] if isinstance(subject, str) else []
    keywords = [k.strip() for k in keywords if k and k.strip()]
    out["keywords"] = KEYWORD_SEPARATOR.join(dict.fromkeys(keywords)) or None
    caption = values.get(("dc", "description"))
    out["description"] = (caption[0] if isinstance(caption, list) and caption else caption) or None
    return out


def read_takeout_json(data: bytes) -> dict:
    """A Google Takeout sidecar's capture time (UTC, shown in this machine's zone), position and description.
    Raises ValueError for JSON that is not a Takeout photo's (no photoTakenTime, geoData or title)."""
    record = json.loads(data.decode("utf-8"))
    if not isinstance(record, dict) or not {"photoTakenTime", "geoData", "title"} & set(record):
        raise ValueError("not a Google Takeout photo record (no photoTakenTime, geoData or title)")
    out: dict = dict.fromkeys(SIDECAR_KEYS)
    stamp = (record.get("photoTakenTime") or {}).get("timestamp")
    try:
        seconds = int(str(stamp))
    except (TypeError, ValueError):
        seconds = 0
    if seconds > 0:  # 0: Google did not know either
        local = datetime.fromtimestamp(seconds, tz=timezone.utc).astimezone()
        out["taken_at"] = local.replace(tzinfo=None)
        out["taken_at_offset_min"] = int(local.utcoffset().total_seconds() // 60)
    for key in ("geoData", "geoDataExif"):
        lat, lon = _takeout_position(record.get(key))
        if lat is not None:
            out["gps_lat"], out["gps_lon"] = lat, lon
            break
    description = record.get("description")
    out["description"] = description.strip() if isinstance(description, str) and description.strip() else None
    return out


def parse_xmp_date(value) -> tuple[datetime | None, int | None]:
    """XMP's ISO 8601 date ("2024-05-17T14:03:22.50+02:00", "2024-05-17T14:03", "2024-05-17") as (naive
    wall-clock time, offset in minutes or None); (None, None) when absent or impossible."""
    match = _XMP_DATE.match(str(value or "").strip())
    if not match:
        return None, None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        taken = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                         int(((fraction or "") + "000000")[:6]))
    except ValueError:
        return None, None
    if not 1826 <= taken.year <= 2261:
        return None, None
    if zone is None:
        return taken, None
    if zone == "Z":
        return taken, 0
    digits = zone.replace(":", "")
    minutes = int(digits[1:3]) * 60 + int(digits[3:5])
    return taken, (minutes if digits[0] == "+" else -minutes) if minutes <= 14 * 60 else None


def xmp_gps(value) -> float | None:
    """XMP's GPS coordinate ("48,51.396N", "48,51,23.76N", "2.35E") as signed decimal degrees, or None."""
    match = _XMP_GPS.match(str(value or ""))
    if not match:
        return None
    degrees, minutes, seconds, ref = match.groups()
    total = float(degrees) + float(minutes or 0) / 60 + float(seconds or 0) / 3600
    return round(-total if ref.upper() in "SW" else total, 7)


def _takeout_position(geo) -> tuple[float | None, float | None]:
    if not isinstance(geo, dict):
        return None, None
    try:
        lat, lon = float(geo.get("latitude")), float(geo.get("longitude"))
    except (TypeError, ValueError):
        return None, None
    if (lat, lon) == (0.0, 0.0) or abs(lat) > 90 or abs(lon) > 180:  # Takeout writes 0, 0 for "no position"
        return None, None
    return lat, lon


def _rating(value) -> int | None:
    try:
        rating = int(float(str(value)))
    except (TypeError, ValueError):
        return None
    return rating if -1 <= rating <= 5 else None


def _key(tag: str) -> tuple[str, str]:
    """("exif", "DateTimeOriginal") for "{http://ns.adobe.com/exif/1.0/}DateTimeOriginal"."""
    if tag.startswith("{"):
        uri, _, name = tag[1:].partition("}")
        prefix = next((p for p, u in _NS.items() if u == uri), uri)
        return prefix, name
    return "", tag


def _element_value(element: ET.Element):
    """A property's value: its text, or the items of its rdf:Bag / Seq / Alt."""
    items = [li.text or "" for li in element.iter(f"{{{_NS['rdf']}}}li")]
    if items:
        return items
    return (element.text or "").strip() or element.attrib.get(f"{{{_NS['rdf']}}}resource")


__all__ = ["KEYWORD_SEPARATOR", "SIDECAR_KEYS", "parse_xmp_date", "read_sidecars", "read_takeout_json", "read_xmp",
           "xmp_gps"]
