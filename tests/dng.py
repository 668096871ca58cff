"""A minimal DNG writer: a real photo's pixels as a Bayer (RGGB) sensor mosaic, with a JPEG preview and EXIF.

LibRaw (rawpy) opens these files like a camera's: it reads the mosaic, develops it
(``postprocess``), returns the preview (``extract_thumb``) and the orientation
(``sizes.flip``). Layout (TIFF, little-endian, DNG 1.4): IFD0 holds the preview
(NewSubfileType 1, JPEG, YCbCr), the camera's Make/Model/Orientation, the DNG tags
and pointers to the EXIF and GPS IFDs; its SubIFD holds the raw mosaic, 16-bit
samples with 12-bit white level, uncompressed. ColorMatrix1 is the XYZ -> linear
sRGB matrix, so the "camera" sees sRGB primaries and develops to the source colours.
"""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image

_TYPES = {"B": 1, "A": 2, "H": 3, "L": 4, "R": 5, "U": 7, "SR": 10}
_XYZ_TO_SRGB = (3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570)
WHITE_LEVEL = 4095  # a 12-bit sensor


class _Tiff:
    """Appends blobs and IFDs to one little-endian TIFF; children first, so their offsets are known."""

    def __init__(self):
        self.buf = bytearray(b"II*\x00\x00\x00\x00\x00")

    def put(self, blob: bytes) -> int:
        if len(self.buf) % 2:
            self.buf += b"\x00"
        offset = len(self.buf)
        self.buf += blob
        return offset

    def ifd(self, entries: dict[int, tuple[str, object]]) -> int:
        packed = []
        for tag in sorted(entries):
            kind, value = entries[tag]
            raw, count = _pack(kind, value)
            field = raw.ljust(4, b"\x00") if len(raw) <= 4 else struct.pack("<I", self.put(raw))
            packed.append(struct.pack("<HHI", tag, _TYPES[kind], count) + field)
        return self.put(struct.pack("<H", len(packed)) + b"".join(packed) + b"\x00\x00\x00\x00")

    def finish(self, first_ifd: int) -> bytes:
        self.buf[4:8] = struct.pack("<I", first_ifd)
        return bytes(self.buf)


def _pack(kind: str, value) -> tuple[bytes, int]:
    if kind == "A":
        raw = value.encode("ascii") + b"\x00"
        return raw, len(raw)
    if kind in ("B", "U"):
        return bytes(value), len(bytes(value))
    if kind in ("R", "SR"):
        flat = [x for pair in value for x in pair]
        return struct.pack("<" + ("I" if kind == "R" else "i") * len(flat), *flat), len(value)
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    return struct.pack("<" + kind * len(values), *values), len(values)


def _rational(value: float, scale: int = 10000) -> tuple[int, int]:
    return round(value * scale), scale


def _dms(degrees: float) -> list[tuple[int, int]]:
    degrees = abs(degrees)
    whole = int(degrees)
    minutes = int((degrees - whole) * 60)
    seconds = (degrees - whole - minutes / 60) * 3600
    return [(whole, 1), (minutes, 1), _rational(seconds, 100)]


def bayer_mosaic(image: Image.Image) -> np.ndarray:
    """RGGB samples of ``image`` (even width and height), linearised (gamma 2.2) to 12-bit values."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0
    linear = rgb ** 2.2
    mosaic = np.empty(rgb.shape[:2], np.float64)
    mosaic[0::2, 0::2] = linear[0::2, 0::2, 0]
    mosaic[0::2, 1::2] = linear[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = linear[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = linear[1::2, 1::2, 2]
    return np.round(mosaic * WHITE_LEVEL).astype("<u2")


def write_dng(image: Image.Image, *, orientation: int = 1, make: str = "imgorg", model: str = "Test DNG",
              taken: str | None = None, offset: str | None = None, gps: tuple[float, float] | None = None,
              preview: int | None = None) -> bytes:
    """DNG bytes of ``image`` (cropped to even sides). ``preview``: the preview's longer side (None: full
    size; 0: no preview). ``taken`` "YYYY:MM:DD HH:MM:SS", ``offset`` "+02:00", ``gps`` (lat, lon)."""
    image = image.convert("RGB")
    image = image.crop((0, 0, image.width - image.width % 2, image.height - image.height % 2))
    width, height = image.size
    tiff = _Tiff()
    mosaic = bayer_mosaic(image)
    raw_at = tiff.put(mosaic.tobytes())
    raw_ifd = tiff.ifd({
        254: ("L", 0), 256: ("L", width), 257: ("L", height), 258: ("H", 16), 259: ("H", 1), 262: ("H", 32803),
        273: ("L", raw_at), 277: ("H", 1), 278: ("L", height), 279: ("L", mosaic.nbytes), 284: ("H", 1),
        33421: ("H", [2, 2]), 33422: ("B", [0, 1, 1, 2]), 50714: ("L", 0), 50717: ("L", WHITE_LEVEL),
    })
    ifd0 = {
        271: ("A", make), 272: ("A", model), 274: ("H", orientation), 330: ("L", raw_ifd),
        50706: ("B", [1, 4, 0, 0]), 50707: ("B", [1, 1, 0, 0]), 50708: ("A", f"{make} {model}"),
        50721: ("SR", [_rational(v) for v in _XYZ_TO_SRGB]), 50728: ("R", [(1, 1)] * 3), 50778: ("H", 21),
    }
    if preview != 0:
        shown = image.copy()
        if preview:
            shown.thumbnail((preview, preview))
        buffer = io.BytesIO()
        shown.save(buffer, format="JPEG", quality=90)
        jpeg_at = tiff.put(buffer.getvalue())
        ifd0.update({254: ("L", 1), 256: ("L", shown.width), 257: ("L", shown.height), 258: ("H", [8, 8, 8]),
                     259: ("H", 7), 262: ("H", 6), 273: ("L", jpeg_at), 277: ("H", 3), 278: ("L", shown.height),
                     279: ("L", len(buffer.getvalue()))})
    else:  # no preview: IFD0 describes a 1x1 placeholder (the raw data is in the SubIFD)
        ifd0.update({254: ("L", 1), 256: ("L", 1), 257: ("L", 1), 258: ("H", 8), 259: ("H", 1), 262: ("H", 1),
                     273: ("L", tiff.put(b"\x00")), 277: ("H", 1), 278: ("L", 1), 279: ("L", 1)})
    if taken:
        exif = {36864: ("U", b"0231"), 36867: ("A", taken)}
        if offset:
            exif[36881] = ("A", offset)
        ifd0[306] = ("A", taken)
        ifd0[34665] = ("L", tiff.ifd(exif))
    if gps:
        lat, lon = gps
        ifd0[34853] = ("L", tiff.ifd({0: ("B", [2, 3, 0, 0]), 1: ("A", "N" if lat >= 0 else "S"), 2: ("R", _dms(lat)),
                                     3: ("A", "E" if lon >= 0 else "W"), 4: ("R", _dms(lon))}))
    return tiff.finish(tiff.ifd(ifd0))
