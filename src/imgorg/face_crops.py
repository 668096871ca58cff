"""A face cut out of its photo for a person to look at: the app's People tab and the report's People section.

The faces table gives each box in the pixels of the photo as displayed (after its EXIF orientation), so
the crop is taken from the image ``decode_image`` returns, never from the stored pixels. A 12-MP photo
is decoded at the smallest JPEG scale that still gives the face ``size`` pixels (DCT scaling), not whole.
"""

from __future__ import annotations

import math

from PIL import Image

from .errors import ConfigError
from .images import decode_image, probe_image

CROP_SIZE = 128  # pixels, the crop's side at most
MARGIN = 0.3  # of the box's longer side, added on each side: a face with its hair and chin reads better


def crop_box(box, width: int, height: int, margin: float = MARGIN) -> tuple[int, int, int, int]:
    """The square around ``box`` (x, y, w, h) with ``margin`` on each side, inside a width x height image
    (left, top, right, bottom): a face at the edge keeps its square as far as the photo goes."""
    x, y, w, h = (float(v) for v in box)
    if w <= 0 or h <= 0:
        raise ConfigError(f"a face box needs a positive width and height; got w={w:g}, h={h:g}")
    side = max(w, h) * (1 + 2 * margin)
    cx, cy = x + w / 2, y + h / 2
    left, top = max(0, round(cx - side / 2)), max(0, round(cy - side / 2))
    right, bottom = min(width, round(cx + side / 2)), min(height, round(cy + side / 2))
    if right <= left or bottom <= top:
        raise ConfigError(f"the face box {x:g},{y:g},{w:g},{h:g} lies outside the {width}x{height} photo")
    return left, top, right, bottom


def crop_face(data: bytes, box, size: int = CROP_SIZE, margin: float = MARGIN) -> Image.Image:
    """The face at ``box`` (x, y, w, h in the displayed photo's pixels) of the encoded photo ``data``,
    with ``margin``, at most ``size`` pixels a side (RGB). ImageDecodeError when the file cannot be read."""
    probe = probe_image(data)
    left, top, right, bottom = crop_box(box, probe.width, probe.height, margin)
    scale = min(1.0, size / max(right - left, bottom - top))
    image = decode_image(data, draft_size=max(1, math.ceil(min(probe.width, probe.height) * scale)))
    sx, sy = image.width / probe.width, image.height / probe.height  # 1 unless decoded at a smaller scale
    crop = image.crop((math.floor(left * sx), math.floor(top * sy), math.ceil(right * sx), math.ceil(bottom * sy)))
    crop.thumbnail((size, size))
    return crop
