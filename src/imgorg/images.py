"""Safe image decoding: every failure becomes an ImageDecodeError with a short reason.

What a user gets back is always an RGB image: EXIF rotation applied, alpha
composited on white, 16-bit and float modes scaled to 8 bits, first frame of
animations. Decompression bombs are refused by pixel count before decoding.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageDecodeError

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
)
MAX_PIXELS = 100_000_000  # about 10k x 10k; larger images are refused, not decoded


def decode_image(data: bytes, draft_size: int | None = None) -> Image.Image:
    """Decode ``data`` into an RGB PIL image or raise ImageDecodeError.

    ``draft_size`` lets JPEG decode at a reduced scale (DCT scaling) when the
    image is much larger than what the model needs: a large speed-up for photos.
    """
    if not data:
        raise ImageDecodeError("empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PIL's "corrupt EXIF" and the like: the pixels still decode
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageDecodeError(
                    f"too large: {width}x{height} pixels exceeds the limit of {MAX_PIXELS:,}"
                )
            if draft_size and image.format == "JPEG":
                image.draft("RGB", (draft_size, draft_size))
            image.load()
            return to_rgb(ImageOps.exif_transpose(image))
    except ImageDecodeError:
        raise
    except UnidentifiedImageError:
        raise ImageDecodeError("not an image (unknown format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageDecodeError(f"too large: {err}") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as err:
        raise ImageDecodeError(f"corrupt or truncated: {_short(err)}") from None
    except MemoryError:
        raise ImageDecodeError("too large to decode in memory") from None


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
