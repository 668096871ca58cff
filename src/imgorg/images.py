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
import warnings
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from PIL import Image, UnidentifiedImageError, features

from .errors import ImageDecodeError
from .formats import IMAGE_EXTENSIONS, raw_format, sniff, tiff_tags
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
    with _reasons():
        kind, raw = _identify(data)
        if raw:
            return _probe_raw(data, raw)
        with _open(data, kind) as image:
            # Pillow decodes a whole PNG to look for EXIF stored after the pixels: read only what precedes them.
            exif = image.getexif() if image.format != "PNG" or "exif" in image.info else Image.Exif()
            orientation = image.info.get("original_orientation") or exif.get(_ORIENTATION) or 1
            if image.format == "HEIF":  # libheif applies the rotation itself: the size is already displayed
                width, height = image.size
            elif image.format == "TIFF":  # some Pillow versions report TIFF sizes turned already: use the tags
                width, height = _displayed((image.tag_v2.get(256, image.width), image.tag_v2.get(257, image.height)),
                                           orientation)
            else:
                width, height = _displayed(image.size, orientation)
            return Probe(image.format, image.mode, width, height, _orientation(orientation), exif)


def decode_image(data: bytes, draft_size: int | None = None, reduce_gap: int = 1) -> Image.Image:
    """Decode ``data`` into an RGB PIL image or raise ImageDecodeError.

    ``draft_size`` lets the decoder return a smaller image, still at least ``draft_size`` on
    both sides, when that is faster: JPEG decodes at 1/2, 1/4 or 1/8 scale (DCT scaling),
    HEIF decodes an embedded thumbnail that is large enough, camera RAW uses its preview,
    and other formats are reduced by an integer factor before rotation and colour conversion, to
    at least ``reduce_gap`` x ``draft_size``. A model's input asks for 3: Pillow's own
    ``resize(..., reducing_gap=3)`` takes that factor, so the pixels are the full decode's
    (and an image under three times the size is not reduced), for 1-2% of the decode's time.
    """
    if video.sniff_video(data[:64]):  # a video: its poster frame (imgorg.video)
        return video.poster_frame(data, draft_size, reduce_gap)
    with _reasons():
        kind, raw = _identify(data)
        if raw:
            return _decode_raw(data, draft_size, reduce_gap)
        return _decode_pillow(data, draft_size, kind=kind, gap=reduce_gap)


def _decode_pillow(data: bytes, draft_size: int | None, transpose: bool = True, kind: str | None = None,
                   gap: int = 1) -> Image.Image:
    image = _open(data, kind)
    if draft_size:
        image.draft("RGB", (draft_size, draft_size))  # JPEG: DCT scaling; HEIF: an embedded thumbnail
    image.load()  # the first frame of an animation
    orientation = _orientation(image.getexif().get(_ORIENTATION)) if transpose else 1  # read before reduce drops it
    if draft_size and image.mode in _REDUCIBLE:
        image = _reduce(image, draft_size, gap)
    rgb = to_rgb(_rotate(image, orientation))
    return _reduce(rgb, draft_size, gap) if draft_size else rgb


def _open(data: bytes, kind: str | None = None) -> Image.Image:
    """Pillow's image for ``data``, header read; ``kind`` (a sniffed Pillow format id) is tried alone first."""
    if not data:
        raise ImageDecodeError("empty file")
    image = None
    if kind in Image.OPEN:  # saves trying the plugins that accept anything (TGA, IM, ...) on every photo
        try:
            image = Image.open(io.BytesIO(data), formats=[kind])
        except UnidentifiedImageError:
            image = None
    if image is None:
        image = Image.open(io.BytesIO(data))
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageDecodeError(f"too large: {width}x{height} pixels exceeds the limit of {MAX_PIXELS:,}")
    return image


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
    return Probe(kind, None, width, height, orientation, tiff_tags(data), when)


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
    """Turns what decoders raise into ImageDecodeError with a short reason (MissingDecoderError passes)."""

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
        raise _as_decode_error(err) from None


def _as_decode_error(err: BaseException) -> BaseException:
    rawpy = raw_support()
    if isinstance(err, UnidentifiedImageError):
        return ImageDecodeError("not an image (unknown format)")
    if isinstance(err, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return ImageDecodeError(f"too large: {err}")
    if isinstance(err, MemoryError):
        return ImageDecodeError("too large to decode in memory")
    if rawpy is not None and isinstance(err, rawpy.LibRawError):
        return ImageDecodeError(f"corrupt or unsupported camera RAW: {_short(err)}")
    if isinstance(err, (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, RuntimeError)):
        return ImageDecodeError(f"corrupt or truncated: {_short(err)}")
    return err


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
    text = str(err) or type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."
