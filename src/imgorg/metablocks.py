"""Capture dates kept outside EXIF: XMP packets, IPTC records, Canon CIFF heaps and ISO-BMFF movie headers.

Each reader takes bytes already in memory (the file as read for hashing, or a block
Pillow found in the header) and returns None when the block is absent or broken:
a damaged block is a missing one, never an error, since the pixels may still be fine.

- ``xmp_time(packet)``: exif:DateTimeOriginal, then photoshop:DateCreated, then
  xmp:CreateDate (ISO 8601, with an offset when it has one);
- ``xmp_orientation(packet)``: tiff:Orientation;
- ``iptc_time(records)``: IPTC IIM DateCreated (2:55) with TimeCreated (2:60, may carry an offset);
- ``ciff_time(data)``: a Canon CRW's TimeStamp (CIFF tag 0x180e);
- ``movie_time(data)``: an ISO-BMFF/QuickTime ``mvhd`` creation time (UTC), as HEIF image
  sequences, AVIF sequences and phone videos store it.

Dates without a time of day (IPTC and photoshop:DateCreated allow that) are read as
midnight: the day is what groups photos into events.
"""

from __future__ import annotations

import re
import struct
from datetime import datetime, timedelta

__all__ = ["ciff_time", "clean_aperture", "has_box", "iptc_time", "movie_time", "parse_iso", "xmp_orientation", "xmp_time"]

_XMP_DATES = ("exif:DateTimeOriginal", "photoshop:DateCreated", "xmp:CreateDate", "xap:CreateDate")
_ISO = re.compile(r"(\d{4})[-:](\d{2})[-:](\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*"
                  r"(Z|[+-]\d{2}:?\d{2})?")
_YEARS = (1826, 2261)
_CIFF_TIMESTAMP = 0x180E
_MAC_EPOCH = datetime(1904, 1, 1)


def xmp_time(packet: bytes | str | None) -> tuple[datetime, int | None, str] | None:
    """(wall-clock time, offset in minutes or None, the XMP property it came from) of the first date
    property present, in the order photographers' tools give them precedence; None when there is none."""
    text = _text(packet)
    if not text:
        return None
    for name in _XMP_DATES:
        value = _xmp_value(text, name)
        parsed = parse_iso(value) if value else None
        if parsed is not None:
            return (*parsed, name)
    return None


def xmp_orientation(packet: bytes | str | None) -> int | None:
    """tiff:Orientation (1..8) of an XMP packet, or None."""
    value = _xmp_value(_text(packet) or "", "tiff:Orientation")
    return int(value) if value and value.isdigit() and 1 <= int(value) <= 8 else None


def _xmp_value(text: str, name: str) -> str | None:
    """A simple property as an attribute (name="v") or an element (<name>v</name>)."""
    match = re.search(rf'{re.escape(name)}\s*=\s*["\']([^"\']*)["\']|<{re.escape(name)}(?:\s[^>]*)?>([^<]*)</', text)
    if not match:
        return None
    return (match.group(1) if match.group(1) is not None else match.group(2)).strip() or None


def parse_iso(value: str) -> tuple[datetime, int | None] | None:
    """"2024-05-17T14:03:22.5+02:00" (or EXIF's colons, or a date alone) as (naive wall time, offset minutes)."""
    match = _ISO.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        taken = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                         int(((fraction or "") + "000000")[:6]))
    except ValueError:
        return None
    if not _YEARS[0] <= taken.year <= _YEARS[1]:
        return None
    return taken, _zone_minutes(zone)


def _zone_minutes(zone: str | None) -> int | None:
    if not zone:
        return None
    if zone == "Z":
        return 0
    digits = zone[1:].replace(":", "")
    total = int(digits[:2]) * 60 + int(digits[2:])
    return (total if zone[0] == "+" else -total) if total <= 14 * 60 else None


def iptc_time(records: bytes | None) -> tuple[datetime, int | None] | None:
    """IPTC IIM DateCreated (2:55, "YYYYMMDD") and TimeCreated (2:60, "HHMMSS+HHMM") as (wall time, offset)."""
    fields = _iim_fields(records or b"")
    day = fields.get(55, b"").decode("ascii", "replace").strip()
    if not re.fullmatch(r"\d{8}", day):
        return None
    clock = fields.get(60, b"").decode("ascii", "replace").strip()
    match = re.fullmatch(r"(\d{2})(\d{2})(\d{2})([+-]\d{4})?", clock)
    text = f"{day[:4]}-{day[4:6]}-{day[6:]}"
    if match:
        text += f"T{match[1]}:{match[2]}:{match[3]}{match[4] or ''}"
    return parse_iso(text)


def _iim_fields(data: bytes) -> dict[int, bytes]:
    """Record 2's datasets (the first of each number): 0x1C, record, dataset, length (2 bytes), value."""
    fields: dict[int, bytes] = {}
    pos = 0
    while pos + 5 <= len(data):
        if data[pos] != 0x1C:  # padding or junk: IIM has no other way to resynchronise
            pos += 1
            continue
        record, number, size = data[pos + 1], data[pos + 2], struct.unpack(">H", data[pos + 3:pos + 5])[0]
        pos += 5
        if size & 0x8000:  # extended length: the next (size & 0x7fff) bytes hold it; never a date
            width = size & 0x7FFF
            size = int.from_bytes(data[pos:pos + width], "big") if width <= 4 else len(data)
            pos += width
        if record == 2:
            fields.setdefault(number, data[pos:pos + size])
        pos += size
    return fields


def ciff_time(data: bytes) -> datetime | None:
    """A Canon CIFF (CRW) heap's TimeStamp: seconds of the camera's wall clock counted like a Unix time."""
    if len(data) < 26 or data[6:14] != b"HEAPCCDR" or data[:2] not in (b"II", b"MM"):
        return None
    order = "<" if data[:2] == b"II" else ">"
    start = struct.unpack(order + "I", data[2:6])[0]
    found = _ciff_find(data, order, start, len(data), _CIFF_TIMESTAMP, depth=0)
    if found is None or len(found) < 4:
        return None
    seconds = struct.unpack(order + "I", found[:4])[0]
    taken = datetime(1970, 1, 1) + timedelta(seconds=seconds)
    return taken if _YEARS[0] <= taken.year <= _YEARS[1] and seconds else None


def _ciff_find(data: bytes, order: str, start: int, end: int, wanted: int, depth: int) -> bytes | None:
    """The value of tag ``wanted`` in the heap [start, end) or a heap inside it (CIFF nests heaps)."""
    if depth > 4 or end - start < 6 or end > len(data) or start < 0:
        return None
    table = start + struct.unpack(order + "I", data[end - 4:end])[0]
    if not start <= table < end - 2:
        return None
    count = struct.unpack(order + "H", data[table:table + 2])[0]
    for i in range(min(count, (end - table - 2) // 10)):
        entry = table + 2 + 10 * i
        kind, size, offset = struct.unpack(order + "HII", data[entry:entry + 10])
        if kind & 0xC000 == 0x4000:  # the value sits in the entry itself (8 bytes)
            value = data[entry + 2:entry + 10]
        else:
            value = data[start + offset:start + offset + size]
        if kind & 0x3FFF == wanted:
            return value
        if kind & 0x3800 in (0x2800, 0x3000) and kind & 0xC000 == 0:  # a sub-heap
            found = _ciff_find(data, order, start + offset, start + offset + size, wanted, depth + 1)
            if found is not None:
                return found
    return None


def movie_time(data: bytes) -> datetime | None:
    """The UTC creation time of an ISO-BMFF/QuickTime file's ``moov/mvhd`` box, or None (0 means unset)."""
    moov = _child(data, 0, len(data), b"moov")
    mvhd = _child(data, *moov, b"mvhd") if moov else None
    if not mvhd:
        return None
    start, end = mvhd
    version = data[start] if start < end else None
    if version == 1 and end - start >= 12:
        seconds = struct.unpack(">Q", data[start + 4:start + 12])[0]
    elif version == 0 and end - start >= 8:
        seconds = struct.unpack(">I", data[start + 4:start + 8])[0]
    else:
        return None
    if not seconds:
        return None
    taken = _MAC_EPOCH + timedelta(seconds=seconds)
    return taken if _YEARS[0] <= taken.year <= _YEARS[1] and taken.year > 1970 else None


def _child(data: bytes, start: int, end: int, name: bytes) -> tuple[int, int] | None:
    """(payload start, end) of the first box ``name`` among the boxes in [start, end)."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1 and pos + 16 <= end:
            size, header = struct.unpack(">Q", data[pos + 8:pos + 16])[0], 16
        elif size == 0:
            size = end - pos
        if size < header:
            return None
        if kind == name:
            return pos + header, min(pos + size, end)
        pos += size
    return None


def has_box(data: bytes, path: tuple[bytes, ...]) -> bool:
    """Whether the box at ``path`` (e.g. (b"meta", b"iprp", b"ipco", b"irot")) exists; meta is a full box."""
    span = (0, len(data))
    for name in path:
        found = _child(data, *span, name)
        if not found:
            return False
        span = (found[0] + 4, found[1]) if name == b"meta" else found
    return True


def clean_aperture(data: bytes, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The crop box (left, top, right, bottom) of a HEIF/AVIF primary item's ``clap`` property, for a
    coded picture of ``size``; None when there is none or it is not a whole-pixel box inside the picture."""
    meta = _child(data, 0, len(data), b"meta")
    if not meta:
        return None
    start, end = meta[0] + 4, meta[1]  # meta is a full box
    pitm, iprp = _child(data, start, end, b"pitm"), _child(data, start, end, b"iprp")
    if not pitm or not iprp:
        return None
    primary = struct.unpack(">H", data[pitm[0] + 4:pitm[0] + 6])[0] if data[pitm[0]] == 0 else \
        struct.unpack(">I", data[pitm[0] + 4:pitm[0] + 8])[0]
    ipco, ipma = _child(data, *iprp, b"ipco"), _child(data, *iprp, b"ipma")
    if not ipco or not ipma:
        return None
    properties = _children(data, *ipco)
    for index in _associations(data, *ipma, primary):
        if 1 <= index <= len(properties) and properties[index - 1][0] == b"clap":
            body_start = properties[index - 1][1]
            return _clap_box(data[body_start:body_start + 32], size)
    return None


def _children(data: bytes, start: int, end: int) -> list[tuple[bytes, int]]:
    out, pos = [], start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if size < 8:
            break
        out.append((kind, pos + 8))
        pos += size
    return out


def _associations(data: bytes, start: int, end: int, item: int) -> list[int]:
    """The property indexes (1-based) ipma associates with ``item``."""
    version, flags = data[start], int.from_bytes(data[start + 1:start + 4], "big")
    count = struct.unpack(">I", data[start + 4:start + 8])[0]
    pos, id_size, width = start + 8, 4 if version >= 1 else 2, 2 if flags & 1 else 1
    for _ in range(count):
        if pos + id_size + 1 > end:
            break
        this = int.from_bytes(data[pos:pos + id_size], "big")
        n = data[pos + id_size]
        values = data[pos + id_size + 1:pos + id_size + 1 + n * width]
        pos += id_size + 1 + n * width
        if this == item:
            mask = 0x7FFF if width == 2 else 0x7F
            return [int.from_bytes(values[i:i + width], "big") & mask for i in range(0, len(values), width)]
    return []


def _clap_box(body: bytes, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """ISO/IEC 14496-12 clap: width, height and the centre's offset, as fractions (as libavif reads it)."""
    if len(body) < 32:
        return None
    w_n, w_d, h_n, h_d, x_n, x_d, y_n, y_d = struct.unpack(">IIIIiIiI", body)
    if not (w_d and h_d and x_d and y_d) or w_n % w_d or h_n % h_d:
        return None
    width, height = w_n // w_d, h_n // h_d
    # left = horizOff + (W - 1) / 2 - (width - 1) / 2, kept as a fraction over 2 * x_d
    left2 = 2 * x_n + x_d * (size[0] - 1) - x_d * (width - 1)
    top2 = 2 * y_n + y_d * (size[1] - 1) - y_d * (height - 1)
    if left2 % (2 * x_d) or top2 % (2 * y_d):
        return None
    left, top = left2 // (2 * x_d), top2 // (2 * y_d)
    if left < 0 or top < 0 or width <= 0 or height <= 0 or left + width > size[0] or top + height > size[1]:
        return None
    if (left, top, width, height) == (0, 0, *size):
        return None
    return left, top, left + width, top + height


def _text(packet: bytes | str | None) -> str | None:
    if packet is None:
        return None
    if isinstance(packet, bytes):
        return packet.decode("utf-8", "replace")
    return str(packet)
