"""Big JPEG photos decoded on the GPU (nvJPEG, through torchvision) where torchvision is installed.

Beside a GPU, decoding bounds a run on big photos: torchvision's ``decode_jpeg(device="cuda")``
decodes a batch on the GPU, and the image is then turned as its EXIF orientation says,
resized (antialiased, with the backbone's filter) and centre-cropped there, with the CPU
path's sizes and offsets. Only JPEGs whose shorter side is at least ``MIN_SIDE_FACTOR`` times
the model's input go this way (a small image decodes faster on the CPU); everything else,
and every run without torchvision, decodes on the CPU. The pixels differ a little from
PIL's (another inverse DCT and resampler), as an fp16 model's features differ from fp32's:
both paths share one embedding cache.
"""

from __future__ import annotations

import importlib.util
import io
from dataclasses import dataclass

from ..photo_blocks import jpeg_note
from .preprocess import Preprocess

MIN_SIDE_FACTOR = 4  # a JPEG whose shorter side is at least this times the input decodes on the GPU
_JPEG = b"\xff\xd8\xff"
_ORIENTATION = 0x0112


@dataclass
class EncodedJpeg:
    """A JPEG file's bytes, handed to the GPU undecoded, with its EXIF orientation (1-8)."""

    data: bytes
    orientation: int = 1


def available() -> bool:
    """Whether this machine can decode JPEGs on a GPU (torchvision and CUDA)."""
    try:
        import torch

        has_torchvision = importlib.util.find_spec("torchvision") is not None
    except ImportError:
        return False
    return has_torchvision and torch.cuda.is_available()


def as_encoded(data: bytes, pre: Preprocess) -> EncodedJpeg | None:
    """The file as an EncodedJpeg when it is a JPEG large enough to decode on the GPU, else None.
    Reads the header only."""
    if not data.startswith(_JPEG) or jpeg_note(data):  # a truncated file: the CPU path decodes what there is
        return None
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if min(image.size) < MIN_SIDE_FACTOR * pre.input_size or image.mode not in ("RGB", "L"):
                return None  # small, or CMYK: the CPU path handles those
            return EncodedJpeg(data, int(image.getexif().get(_ORIENTATION, 1) or 1))
    except Exception:  # noqa: BLE001 - a header that does not read: the CPU path says why
        return None


def decode_batch(jpegs: list[EncodedJpeg], pre: Preprocess, device):
    """(n, size, size, 3) uint8 torch tensor on ``device``: decoded, turned upright, resized and
    cropped there."""
    import torch
    from torchvision.io import ImageReadMode, decode_jpeg

    data = [torch.frombuffer(bytearray(j.data), dtype=torch.uint8) for j in jpegs]
    images = decode_jpeg(data, mode=ImageReadMode.RGB, device=device)
    return torch.stack([_prepare(image, j.orientation, pre) for image, j in zip(images, jpegs)])


def _prepare(image, orientation: int, pre: Preprocess):
    """CHW uint8 -> HWC uint8 at the input size, as preprocess.resize_center_crop makes it."""
    import torch.nn.functional as F

    image = _upright(image, orientation)
    height, width = image.shape[1:]
    size, short, long = pre.input_size, min(width, height), max(width, height)
    new_long = int(size * long / short)
    new_w, new_h = (size, new_long) if width <= height else (new_long, size)
    x = F.interpolate(image[None].float(), size=(new_h, new_w), mode=pre.resample, antialias=True,
                      align_corners=False)
    x = x.add_(0.5).floor_().clamp_(0, 255)[0]  # rounded to 8 bits, as PIL stores a resized pixel
    left, top = round((new_w - size) / 2), round((new_h - size) / 2)
    return x[:, top:top + size, left:left + size].to(image.dtype).permute(1, 2, 0).contiguous()


def _upright(image, orientation: int):
    """The EXIF orientation applied to a CHW image (what PIL's exif_transpose does)."""
    import torch

    if orientation in (2, 4, 5, 7):
        image = torch.flip(image, dims=[2])  # mirrored: flip left-right first
        orientation = {2: 1, 4: 3, 5: 8, 7: 6}[orientation]
    turns = {1: 0, 3: 2, 6: 3, 8: 1}.get(orientation, 0)  # counter-clockwise quarter turns
    return torch.rot90(image, k=turns, dims=[1, 2]) if turns else image


def split(items: list) -> tuple[list[int], list[int]]:
    """Rows of decoded arrays and rows of EncodedJpegs in a batch."""
    encoded = [i for i, item in enumerate(items) if isinstance(item, EncodedJpeg)]
    return [i for i in range(len(items)) if i not in set(encoded)], encoded
