"""The structure of JPEG, PNG and TIFF files where Pillow needs help: read from bytes in memory.

- ``jpeg_note(data)``: "truncated" for a JPEG whose data ends before its end-of-image marker;
- ``jpeg_with_dnl_height(data)``: a JPEG whose height is given after the pixel data (a DNL
  segment, height 0 in the frame header), with that height written into the frame header;
- ``png_late(data)``: the EXIF and XMP chunks a PNG stores after its pixel data, which Pillow
  reads only by decoding the whole image;
- ``open_bigtiff_big_endian(data)``: Pillow reads BigTIFF's magic number at byte 2, where only
  the little-endian header has it ("MM\\0+" has it at byte 3), so a big-endian BigTIFF is opened here;
- ``flat_bottom_share(image)``: the share of rows at the bottom that are one flat colour, which is
  what libjpeg fills in for the part of a truncated baseline JPEG that is missing.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass

import numpy as np
from PIL import Image, TiffImagePlugin

__all__ = ["PngLate", "flat_bottom_share", "jpeg_note", "jpeg_with_dnl_height", "open_bigtiff_big_endian",
           "png_late"]

TRUNCATED = "truncated"
_NEXT_MARKER = re.compile(rb"\xff+[^\x00\xd0-\xd7\xff]")  # in entropy-coded data: FF00 is a byte, FFDn a restart
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_DNL = 0xDC


def _segments(data: bytes):
    """(marker, payload start, payload end) of each JPEG segment, the scan data skipped; the last
    item's marker is 0xD9 (end of image), or None when the data ends first (end = len(data))."""
    pos = 2
    while True:
        while pos < len(data) and data[pos] == 0xFF and pos + 1 < len(data) and data[pos + 1] == 0xFF:
            pos += 1  # fill bytes
        if pos + 2 > len(data):
            yield None, len(data), len(data)
            return
        if data[pos] != 0xFF:
            return  # not a marker: junk this reader does not judge
        marker = data[pos + 1]
        if marker == 0xD9:
            yield marker, pos + 2, pos + 2
            return
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        if pos + 4 > len(data):
            yield None, len(data), len(data)
            return
        end = pos + 2 + struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if end > len(data):
            yield None, len(data), len(data)
            return
        yield marker, pos + 4, end
        pos = end
        if marker == 0xDA:  # the scan's entropy-coded data runs to the next marker
            found = _NEXT_MARKER.search(data, pos)
            if found is None:
                yield None, len(data), len(data)
                return
            pos = found.end() - 2


def jpeg_note(data: bytes) -> str | None:
    """"truncated" when the JPEG's data ends before its end-of-image marker, else None."""
    if data.endswith(b"\xff\xd9") or data[-4096:].rstrip(b"\x00").endswith(b"\xff\xd9"):
        return None  # the usual file (padding allowed): nothing to walk
    for marker, _, _ in _segments(data):
        if marker is None:
            return TRUNCATED
    return None


def jpeg_with_dnl_height(data: bytes) -> bytes:
    """``data`` with the DNL segment's height written into a frame header that says 0 (else ``data``)."""
    frame = None
    for marker, start, end in _segments(data):
        if marker in _SOF:
            if end - start < 5 or struct.unpack(">H", data[start + 1:start + 3])[0] != 0:
                return data
            frame = start
        elif marker == _DNL and frame is not None and end - start >= 2:
            patched = bytearray(data)
            patched[frame + 1:frame + 3] = data[start:start + 2]
            return bytes(patched)
        elif marker == 0xDA and frame is None:
            return data
    return data


@dataclass(frozen=True)
class PngLate:
    """What a PNG stores after its first IDAT chunk."""

    exif: bytes | None  # an eXIf chunk after the pixel data (not applied to the pixels)
    xmp: bytes | None  # an XMP iTXt chunk after the pixel data


def png_late(data: bytes) -> PngLate:
    """The eXIf and XMP chunks after a PNG's pixel data (chunk headers are walked, nothing is inflated)."""
    pos, seen_idat, exif, xmp = 8, False, None, None
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + size]
        if kind == b"IDAT":
            seen_idat = True
        elif kind == b"IEND":
            break
        elif seen_idat and kind == b"eXIf" and exif is None:
            exif = body[6:] if body.startswith(b"Exif\x00\x00") else body
        elif seen_idat and kind == b"iTXt" and xmp is None and body.startswith(b"XML:com.adobe.xmp\x00"):
            xmp = _itxt_text(body)
        pos += 12 + size
    return PngLate(exif, xmp)


def _itxt_text(body: bytes) -> bytes | None:
    """An iTXt chunk's text: keyword, NUL, compression flag and method, language, NUL, keyword, NUL, text."""
    try:
        keyword_end = body.index(b"\x00")
        compressed = body[keyword_end + 1]
        rest = body[keyword_end + 3:]
        rest = rest[rest.index(b"\x00") + 1:]
        text = rest[rest.index(b"\x00") + 1:]
    except (ValueError, IndexError):
        return None
    if compressed:
        import zlib

        try:
            text = zlib.decompressobj().decompress(text, 1 << 20)
        except zlib.error:
            return None
    return text or None


def flat_bottom_share(image: Image.Image) -> float:
    """The share of the image's rows, counted up from the bottom, in which every pixel is one colour."""
    gray = np.asarray(image.convert("L"), dtype=np.int16)
    if gray.size == 0:
        return 0.0
    flat = gray.max(axis=1) - gray.min(axis=1) <= 1
    rows = len(flat) - np.flatnonzero(~flat)[-1] - 1 if (~flat).any() else len(flat)
    return rows / len(flat)


class _BigEndianBigTiff(TiffImagePlugin.TiffImageFile):
    """TiffImageFile whose header reader knows that a big-endian BigTIFF says 43 in byte 3."""

    def _open(self) -> None:
        ifh = self.fp.read(16)
        if ifh[:4] != b"MM\x00\x2b" or len(ifh) < 16:
            raise SyntaxError("not a big-endian BigTIFF file")
        # The little-endian BigTIFF magic makes the directory BigTIFF; prefix "MM" makes it big-endian
        self.tag_v2 = TiffImagePlugin.ImageFileDirectory_v2(b"II\x2b\x00\x08\x00\x00\x00" + ifh[8:16], prefix=b"MM")
        # What TiffImageFile._open does after reading the header (its private frame pointers included)
        self._TiffImageFile__first = self._TiffImageFile__next = self.tag_v2.next
        self._TiffImageFile__frame = -1
        self._fp = self.fp
        self._frame_pos = []
        self.fp.seek(0, io.SEEK_END)
        self._tag_data_remaining = self.fp.tell()
        self._tag_data_limits = []
        self._seek(0)

    def getexif(self) -> Image.Exif:
        # Pillow's EXIF reader reads the header again, as classic TIFF: give it the tags read here
        exif = Image.Exif()
        for tag, value in self.tag_v2.items():
            exif[tag] = value
        return exif


def open_bigtiff_big_endian(data: bytes) -> Image.Image:
    """A big-endian BigTIFF ("MM\\0+") as a Pillow image, header read."""
    return _BigEndianBigTiff(io.BytesIO(data))
