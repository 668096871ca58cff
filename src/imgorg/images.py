"""Safe image decoding: every failure becomes an ImageDecodeError with a short reason.

What a user gets back is always an RGB image: EXIF rotation applied, alpha
composited on white, 16-bit and float modes scaled to 8 bits, first frame of
animations. Decompression bombs are refused by pixel count before decoding.

Formats: everything the installed Pillow opens (AVIF included since Pillow 11.3);
HEIC/HEIF through pillow-heif (``pip install 'imgorg[heic]'``); camera RAW through
rawpy/LibRaw (``pip install 'imgorg[raw]'``), which gives the camera's embedded
JPEG preview (or, when the preview is missing or too small, a half-size
development of the sensor data). Without the package a format needs, decoding
raises ``MissingDecoderError``, which names the extra to install.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import struct
import warnings
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from PIL import Image, UnidentifiedImageError, features

from .errors import ImageDecodeError
from . import photo_blocks
from .formats import IMAGE_EXTENSIONS, raw_format, sniff, tiff_tags
from .metablocks import ciff_time, clean_aperture, has_box, movie_time, xmp_orientation
from .photo_blocks import open_bigtiff_big_endian
from . import video

log = logging.getLogger(__name__)

MAX_PIXELS = 100_000_000  # about 10k x 10k; larger images are refused, not decoded
HEIF_EXTRA = "pip install 'imgorg[heic]'"
RAW_EXTRA = "pip install 'imgorg[raw]'"
_ORIENTATION = 0x0112
_TRANSPOSED = {5, 6, 7, 8}  # EXIF orientations that swap width and height
_FLIP_TO_ORIENTATION = {0: 1, 3: 3, 5: 8, 6: 6}  # LibRaw's sizes.flip as an EXIF orientation
_REDUCIBLE = {"RGB", "RGBA", "L", "LA", "I", "F"}

try:  # HEIC/HEIF (iPhone photos): pillow-heif registers itself as a Pillow plugin
    import pillow_heif
except ImportError:
    HEIF_SUPPORT = False
else:
    pillow_heif.register_heif_opener()
    HEIF_SUPPORT = True

AVIF_SUPPORT = bool(features.check("avif"))

__all__ = ["HEIF_SUPPORT", "AVIF_SUPPORT", "IMAGE_EXTENSIONS", "MAX_PIXELS", "MissingDecoderError", "Probe",
           "decode_image", "missing_decoder", "probe_image", "raw_support", "to_rgb"]


class MissingDecoderError(ImageDecodeError):
    """The file is an image in a format that needs a package which is not installed; ``extra`` says which."""

    def __init__(self, format: str, extra: str):
        super().__init__(f"{format} image: reading it needs {extra}")
        self.format = format
        self.extra = extra


@dataclass(frozen=True)
class Probe:
    """What a file's header says, read without decoding pixels."""

    format: str  # Pillow's format name ("JPEG", "PNG", "HEIF", "AVIF", ...) or the RAW kind ("DNG", "NEF", ...)
    mode: str | None  # Pillow mode as stored ("L", "RGBA", ...); None for camera RAW
    width: int  # as displayed, after EXIF orientation (the size decode_image returns without draft_size)
    height: int
    orientation: int  # EXIF orientation as stored, 1..8 (1 when the file has none)
    exif: Image.Exif | None  # the file's EXIF tags (Exif IFD and GPS reachable with get_ifd), None if unreadable
    raw_time: datetime | None = None  # camera RAW: the capture time LibRaw read, else None
    xmp: bytes | None = None  # the XMP packet (JPEG APP1, PNG iTXt, TIFF tag 700, WebP, HEIF, AVIF), if any
    iptc: bytes | None = None  # IPTC IIM records (JPEG APP13 8BIM 0x0404, TIFF tag 33723), if any
    maker_time: datetime | None = None  # the camera's own record of the capture time (Canon CIFF), if any
    container_time: datetime | None = None  # an ISO-BMFF movie header's creation time (UTC), if any
    note: str | None = None  # what is odd but readable: "truncated" (a JPEG that ends before its end marker)


@functools.cache
def raw_support():
    """The rawpy module, or None when it is not installed."""
    try:
        import rawpy
    except ImportError:
        return None
    return rawpy


def missing_decoder(data: bytes, kind: str | None = None) -> MissingDecoderError | None:
    """The error to raise for ``data`` when its format needs a package that is not installed, else None.

    ``kind``: what ``sniff`` says of the first bytes, when the caller already asked."""
    kind = kind or sniff(data[:64])
    if kind == "HEIF" and not HEIF_SUPPORT:
        return MissingDecoderError("HEIC/HEIF", HEIF_EXTRA)
    if kind == "AVIF" and not AVIF_SUPPORT:
        return MissingDecoderError("AVIF", "Pillow 11.3 or later (pip install -U pillow)")
    if kind in ("RAW", "TIFF") and raw_support() is None:
        raw = raw_format(data)
        if raw:
            return MissingDecoderError(f"camera RAW ({raw})", RAW_EXTRA)
    return None


def _identify(data: bytes) -> tuple[str | None, str | None]:
    """(what the first bytes say the file is, its camera RAW format or None); a format whose reader
    is not installed is a MissingDecoderError naming the extra."""
    kind = sniff(data[:64])
    missing = missing_decoder(data, kind)
    if missing:
        raise missing
    return kind, raw_format(data)


def probe_image(data: bytes) -> Probe:
    """Format, size after orientation, orientation and EXIF from the header, or ImageDecodeError."""
    if video.sniff_video(data[:64]):  # a video's poster frame stands for it (imgorg.video)
        fields = video.video_fields(data)
        return Probe(fields["format"], None, fields["width"], fields["height"], 1, None)
    with _reasons() as reasons:
        kind, raw = _identify(data)
        reasons.kind = raw or kind
        if raw:
            return _probe_raw(data, raw)
        with _open(data, kind) as image:
            late = photo_blocks.png_late(data) if image.format == "PNG" else None
            exif = _header_exif(image, late)
            orientation = _stored_orientation(image, exif)
            crop = clean_aperture(data, image.size) if image.format == "AVIF" else None
            if image.format == "HEIF":  # libheif applies irot itself: the size is already displayed
                width, height = _displayed(image.size, orientation if _heif_unrotated(data, orientation) else 1)
            elif crop is not None:  # an AVIF's clean aperture, cut before the rotation
                width, height = _displayed((crop[2] - crop[0], crop[3] - crop[1]), orientation)
            elif image.format == "TIFF":  # some Pillow versions report TIFF sizes turned already: use the tags
                width, height = _displayed((image.tag_v2.get(256, image.width), image.tag_v2.get(257, image.height)),
                                           orientation)
            else:
                width, height = _displayed(image.size, orientation)
            if image.format == "PNG" and orientation == 1 and late is not None:
                # what the file records, as exiftool reads it; not applied (browsers have drawn the pixels by then)
                orientation = _orientation(exif.get(_ORIENTATION) or 1)
            return Probe(image.format, image.mode, width, height, orientation, exif, xmp=_xmp(image, late),
                         iptc=_iptc(image), container_time=_container_time(image.format, data),
                         note=photo_blocks.jpeg_note(data) if image.format == "JPEG" else None)


def _header_exif(image: Image.Image, late: photo_blocks.PngLate | None) -> Image.Exif:
    """The EXIF tags, read without decoding pixels: Pillow decodes a whole PNG to find EXIF stored
    after the pixels, so that block is read from the file's chunks instead."""
    if image.format != "PNG" or "exif" in image.info:
        try:
            return image.getexif()
        except Exception:  # noqa: BLE001 - damaged EXIF is no EXIF: the pixels may still decode
            return Image.Exif()
    exif = Image.Exif()
    if late is not None and late.exif:
        try:
            exif.load(late.exif)
        except Exception:  # noqa: BLE001 - a damaged block is an absent one
            exif = Image.Exif()
    return exif


def _stored_orientation(image: Image.Image, exif: Image.Exif) -> int:
    """The orientation that applies to the pixels: EXIF's, else XMP's tiff:Orientation. A PNG's EXIF
    after the pixel data does not count (browsers ignore it too: they have drawn the pixels by then)."""
    if image.format == "PNG":
        value = image.getexif().get(_ORIENTATION) if "exif" in image.info else None
        return _orientation(value or xmp_orientation(image.info.get("xmp")) or 1)
    value = image.info.get("original_orientation") or exif.get(_ORIENTATION) or xmp_orientation(image.info.get("xmp"))
    return _orientation(value)


def _heif_unrotated(data: bytes, orientation: int) -> bool:
    """Whether a HEIF's EXIF orientation still has to be applied: the file has no irot/imir box for
    libheif to apply (pillow-heif resets the EXIF orientation to 1 either way)."""
    return orientation != 1 and not (has_box(data[:1 << 20], (b"meta", b"iprp", b"ipco", b"irot"))
                                     or has_box(data[:1 << 20], (b"meta", b"iprp", b"ipco", b"imir")))


def _xmp(image: Image.Image, late: photo_blocks.PngLate | None) -> bytes | None:
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if late is not None and not xmp:
        xmp = late.xmp
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    return xmp or None


def _iptc(image: Image.Image) -> bytes | None:
    photoshop = image.info.get("photoshop")
    if isinstance(photoshop, dict) and isinstance(photoshop.get(0x0404), bytes):
        return photoshop[0x0404]
    if image.format != "TIFF":
        return None
    value = image.tag_v2.get(33723)
    if isinstance(value, bytes):
        return value
    if isinstance(value, tuple) and value and all(isinstance(v, int) for v in value):
        # Photoshop declares the tag LONG: the record bytes, read as 4-byte numbers in the file's order
        width = 4 if image.tag_v2.tagtype.get(33723) == 4 else 1
        try:
            return b"".join(v.to_bytes(width, "big" if image.tag_v2._endian == ">" else "little") for v in value)
        except OverflowError:
            return None
    return None


def _container_time(format: str, data: bytes) -> datetime | None:
    return movie_time(data) if format in ("HEIF", "AVIF") else None


def decode_image(data: bytes, draft_size: int | None = None, reduce_gap: int = 1) -> Image.Image:
    """Decode ``data`` into an RGB PIL image or raise ImageDecodeError.

    ``draft_size`` lets the decoder return a smaller image, still at least ``draft_size`` on
    both sides, when that is faster: JPEG decodes at 1/2, 1/4 or 1/8 scale (DCT scaling),
    HEIF decodes an embedded thumbnail that is large enough, camera RAW uses its preview,
    and other formats are reduced by an integer factor before rotation and colour conversion, to
    at least ``reduce_gap`` x ``draft_size``. A model's input asks for 3: Pillow's own
    ``resize(..., reducing_gap=3)`` takes that factor, so the pixels are the full decode's
    (and an image under three times the size is not reduced), for 1-2% of the decode's time.

    A JPEG that ends early decodes as far as it goes (as browsers show it); it fails when
    more than ``MAX_MISSING`` of its rows are missing.
    """
    if video.sniff_video(data[:64]):  # a video: its poster frame (imgorg.video)
        return video.poster_frame(data, draft_size, reduce_gap)
    with _reasons() as reasons:
        kind, raw = _identify(data)
        reasons.kind = raw or kind
        if raw:
            return _decode_raw(data, draft_size, reduce_gap)
        try:
            return _decode_pillow(data, draft_size, kind=kind, gap=reduce_gap)
        except OSError as err:
            if kind != "JPEG" or "truncated" not in str(err):
                raise
            return _decode_truncated_jpeg(data, draft_size, reduce_gap)


def decode_jpeg_as(data: bytes, draft_size: int, requests: tuple[tuple[int, int], ...]) -> list[Image.Image]:
    """``decode_image(data, size, reduce_gap)`` for each (size, reduce_gap) of ``requests``, bit for
    bit, from one decode of a JPEG at ``draft_size``, where its DCT scaling gives every size the
    same scale (the caller checks that). Raises ImageDecodeError or OSError."""
    with _reasons() as reasons:
        reasons.kind = "JPEG"
        return _decode_pillow(data, draft_size, kind="JPEG", also=requests)


def _decode_pillow(data: bytes, draft_size: int | None, transpose: bool = True, kind: str | None = None,
                   gap: int = 1, also: tuple[tuple[int, int], ...] | None = None):
    """The decode of ``decode_image`` (Pillow's formats); with ``also``, a list of the images at
    those (draft size, reduce gap) from the same decoded pixels instead (see ``decode_jpeg_as``)."""
    image = _open(data, kind)
    if draft_size:
        image.draft("RGB", (draft_size, draft_size))  # JPEG: DCT scaling; HEIF: an embedded thumbnail
    # A PNG's EXIF after the pixels (which load reads) does not turn the picture: read before load
    orientation = _stored_orientation(image, _header_exif(image, None)) if image.format == "PNG" else None
    image.load()  # the first frame of an animation
    if orientation is None:  # after load: Pillow's TIFF reader may turn the pixels itself and reset the tag
        orientation = _stored_orientation(image, _header_exif(image, None))
    if not transpose or (image.format == "HEIF" and not _heif_unrotated(data, orientation)):
        orientation = 1  # the caller turns it, or libheif applied the file's irot/imir
    crop = clean_aperture(data, image.size) if image.format == "AVIF" else None
    if crop is not None:  # Pillow's AVIF reader gives the whole coded frame: cut it before rotating (HEIF order)
        image = image.crop(crop)

    def finish(size: int | None, gap: int) -> Image.Image:
        reduced = _reduce(image, size, gap) if size and image.mode in _REDUCIBLE else image
        rgb = to_rgb(_rotate(reduced, orientation))
        return _reduce(rgb, size, gap) if size else rgb

    return finish(draft_size, gap) if also is None else [finish(size, g) for size, g in also]


MAX_MISSING = 0.1  # a truncated JPEG decodes when at most this share of its rows is missing


def _decode_truncated_jpeg(data: bytes, draft_size: int | None, gap: int) -> Image.Image:
    """An end-of-image marker after the last byte makes libjpeg finish the picture with what it has."""
    image = _decode_pillow(data + b"\xff\xd9", draft_size, kind="JPEG", gap=gap)
    missing = photo_blocks.flat_bottom_share(image)
    if missing > MAX_MISSING:
        raise ImageDecodeError(f"truncated JPEG: {missing:.0%} of the picture or more is missing "
                               f"(up to {MAX_MISSING:.0%} is shown as it is)")
    return image


def _open(data: bytes, kind: str | None = None) -> Image.Image:
    """Pillow's image for ``data``, header read; ``kind`` (a sniffed Pillow format id) is tried alone first."""
    if not data:
        raise ImageDecodeError("empty file")
    image, why = None, None
    if kind == "JPEG":
        data = photo_blocks.jpeg_with_dnl_height(data)
    if kind == "TIFF" and data[:4] == b"MM\x00\x2b":
        image = open_bigtiff_big_endian(data)
    elif kind in Image.OPEN:  # saves trying the plugins that accept anything (TGA, IM, ...) on every photo
        try:
            image = Image.open(io.BytesIO(data), formats=[kind])
        except UnidentifiedImageError:
            why = _plugin_reason(data, kind)
    if image is None:
        try:
            image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            if why is None:
                raise
            raise ImageDecodeError(f"{kind} file that cannot be read: {why}") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageDecodeError(f"too large: {width}x{height} pixels exceeds the limit of {MAX_PIXELS:,}")
    return image


def _plugin_reason(data: bytes, kind: str) -> str:
    """What the plugin of the sniffed format says is wrong (Pillow's open hides it behind "cannot identify")."""
    factory, _ = Image.OPEN[kind]
    try:
        factory(io.BytesIO(data), None).close()
    except Exception as err:  # noqa: BLE001 - whatever it raises is the reason
        return _short(err)
    return "its header is damaged"


def _reduce(image: Image.Image, draft_size: int, gap: int = 1) -> Image.Image:
    """Shrink by the largest integer factor that keeps both sides at least ``gap`` x ``draft_size``."""
    factor = min(image.width, image.height) // (gap * draft_size)
    return image.reduce(factor) if factor >= 2 else image


def _probe_raw(data: bytes, kind: str) -> Probe:
    rawpy = raw_support()
    with rawpy.imread(io.BytesIO(data)) as raw:
        sizes = raw.sizes
        orientation = _FLIP_TO_ORIENTATION.get(sizes.flip, 1)
        width, height = _displayed((sizes.width, sizes.height), orientation)
        when = raw.other.timestamp if hasattr(raw, "other") else None
    tags = tiff_tags(data)
    xmp = tags.get(700) if tags is not None else None
    return Probe(kind, None, width, height, orientation, tags, when, xmp=xmp if isinstance(xmp, bytes) else None,
                 maker_time=ciff_time(data) if kind == "CRW" else None)


def _decode_raw(data: bytes, draft_size: int | None, gap: int = 1) -> Image.Image:
    """The embedded preview when it is a large enough copy of the picture, else a half-size development."""
    rawpy = raw_support()
    with rawpy.imread(io.BytesIO(data)) as raw:
        sizes = raw.sizes
        if sizes.width * sizes.height > MAX_PIXELS:
            raise ImageDecodeError(f"too large: {sizes.width}x{sizes.height} pixels exceeds the limit of {MAX_PIXELS:,}")
        preview = _raw_preview(raw, rawpy, draft_size)
        if preview is None:
            rgb = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)  # LibRaw applies the flip
            image = Image.fromarray(rgb)
            return _reduce(image, draft_size, gap) if draft_size else image
        orientation = _FLIP_TO_ORIENTATION.get(sizes.flip, 1)
    upright = _rotate(preview, orientation)
    return _reduce(upright, draft_size, gap) if draft_size else upright


def _raw_preview(raw, rawpy, draft_size: int | None) -> Image.Image | None:
    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    if thumb.format == rawpy.ThumbFormat.JPEG:
        image = _decode_pillow(thumb.data, draft_size, transpose=False)  # LibRaw's flip is the one that counts
    else:
        image = to_rgb(Image.fromarray(thumb.data))
    sensor_w, sensor_h = raw.sizes.width, raw.sizes.height
    if abs(image.width / image.height - sensor_w / sensor_h) > 0.02 * sensor_w / sensor_h:
        return None  # a letterboxed or cropped preview is not the picture
    needed = min(draft_size, min(sensor_w, sensor_h) // 2) if draft_size else min(sensor_w, sensor_h) // 2
    return image if min(image.size) >= needed else None


def _rotate(image: Image.Image, orientation: int) -> Image.Image:
    method = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}.get(orientation)
    return image.transpose(method) if method is not None else image


def _displayed(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return (size[1], size[0]) if orientation in _TRANSPOSED else size


def _orientation(value) -> int:
    try:
        value = int(value)
    except (TypeError, ValueError):
        return 1
    return value if 1 <= value <= 8 else 1


class _reasons:
    """Turns what decoders raise into ImageDecodeError with a short reason (MissingDecoderError passes);
    ``kind``, once known, names the format in the reason."""

    kind: str | None = None

    def __enter__(self):
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore")  # PIL's "corrupt EXIF" and the like: the pixels still decode
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return self

    def __exit__(self, kind, err, tb):
        self._warnings.__exit__(kind, err, tb)
        if err is None or isinstance(err, ImageDecodeError):
            return False
        raise _as_decode_error(err, self.kind) from None


def _as_decode_error(err: BaseException, kind: str | None = None) -> BaseException:
    rawpy = raw_support()
    if isinstance(err, UnidentifiedImageError):
        return ImageDecodeError(f"{kind} file that cannot be read" if kind else "not an image (unknown format)")
    if isinstance(err, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return ImageDecodeError(f"too large: {err}")
    if isinstance(err, MemoryError):
        return ImageDecodeError("too large to decode in memory")
    if rawpy is not None and isinstance(err, rawpy.LibRawError):
        what = f"camera RAW ({kind})" if kind and kind != "RAW" else "camera RAW"
        return ImageDecodeError(f"corrupt or unsupported {what}: {_libraw_words(err)}")
    if isinstance(err, (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, RuntimeError,
                        struct.error)):
        return ImageDecodeError(f"corrupt or truncated{' ' + kind if kind else ''}: {_short(err)}")
    return err


_LIBRAW_WORDS = {"LibRawFileUnsupportedError": "LibRaw does not support this camera or file variant",
                 "LibRawIOError": "the file ends early or its data is damaged (LibRaw read error)",
                 "LibRawDataError": "the sensor data is damaged",
                 "LibRawUnsupportedThumbnailError": "its preview is in a format LibRaw cannot extract",
                 "LibRawOutOfOrderCallError": "LibRaw was called out of order",
                 "LibRawTooBigError": "too large for LibRaw"}


def _libraw_words(err: BaseException) -> str:
    """LibRaw's error in words (rawpy's messages are byte reprs such as "b'Input/output error'")."""
    words = _LIBRAW_WORDS.get(type(err).__name__)
    detail = _short(err)
    return f"{words} ({detail})" if words and detail and detail != type(err).__name__ else words or detail


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any PIL mode to RGB; transparency goes on a white background."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = _scale_to_8bit(image)
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _scale_to_8bit(image: Image.Image) -> Image.Image:
    array = np.asarray(image, dtype=np.float64)
    top = 65535.0 if image.mode.startswith("I;16") else max(float(array.max()), 1.0)
    return Image.fromarray(np.clip(array / top * 255.0, 0, 255).astype(np.uint8), "L")


def _short(err: BaseException) -> str:
    parts = [a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a) for a in err.args]
    text = "; ".join(p for p in parts if p) or type(err).__name__
    text = re.sub(r"^b'(.*)'$", r"\1", text)  # a byte repr inside a string (rawpy)
    return text if len(text) <= 200 else text[:197] + "..."
