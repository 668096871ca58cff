"""Per-backbone preprocessing: the backbone, not the caller, knows its input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from ..images import decode_image

MODEL_REDUCE_GAP = 3  # the resize's own reducing_gap: a reduced decode then gives the full decode's pixels
_RESAMPLE = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}


@dataclass(frozen=True)
class Preprocess:
    input_size: int  # square side the model sees, in pixels
    mean: tuple[float, float, float]  # subtracted from 0..255 RGB values (inside the model graph)
    std: tuple[float, float, float]  # divides after the mean (inside the model graph)
    resample: str = "bilinear"  # filter used to resize; bilinear measured better than bicubic on CIFAR (docs/benchmarks.md)
    # Leave square images smaller than the input at their own size: the runner upsamples
    # them on the GPU, so decoders copy a 32 px CIFAR image, not a 224 px one.
    upsample_on_device: bool = False
    # Hand big JPEGs to the runner undecoded, for the GPU to decode (gpu_decode.py).
    jpeg_on_device: bool = False
    # (bytes, sha256) -> the decode ``decode_image(bytes, input_size, MODEL_REDUCE_GAP)`` gives, or None:
    # a caller that decodes more from the same pixels (the review's first read, ``review.kept``)
    first_read: Callable | None = field(default=None, compare=False)

    def signature(self) -> str:
        """A short string that changes whenever the pixels fed to the model would ("tv": torchvision's
        resize and crop arithmetic, see resize_center_crop)."""
        return f"{self.input_size}-{self.resample}-tv"


def resize_center_crop(image: Image.Image, size: int, resample: str = "bilinear", upsample: bool = True) -> np.ndarray:
    """Scale the shorter side to ``size`` (up or down), crop the centre square.

    The sizes and the crop are torchvision's ``Resize(size)`` + ``CenterCrop(size)``, the
    transform every hub backbone's own pipeline uses: the longer side is truncated
    (``int(size * long / short)``) and the crop offset rounded, so the pixels are theirs.
    Returns uint8 HWC RGB; mean/std normalisation happens inside the model graph,
    which keeps this hot loop to one resize and one copy. ``upsample=False``: a
    square image smaller than ``size`` is returned as it is, for the runner to
    upsample (``TorchRunner(upsample=True)``). Other shapes are resized here: cropping
    them before upsampling would round the crop differently and change the pixels.
    """
    width, height = image.size
    if not upsample and width == height < size:
        return np.asarray(image, dtype=np.uint8)
    short, long = min(width, height), max(width, height)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
    if (new_w, new_h) != (width, height):
        image = image.resize((new_w, new_h), _RESAMPLE[resample], reducing_gap=3.0 if size < short else None)
    left, top = round((new_w - size) / 2), round((new_h - size) / 2)  # half to even, as torchvision
    if (new_w, new_h) != (size, size):
        image = image.crop((left, top, left + size, top + size))
    return np.asarray(image, dtype=np.uint8)


def load_and_prepare(data: bytes, pre: Preprocess, sha: str | None = None) -> np.ndarray:
    """Decode image bytes and return the model's uint8 input (raises ImageDecodeError)."""
    image = pre.first_read(data, sha) if pre.first_read is not None and sha else None
    if image is None:
        image = decode_image(data, draft_size=pre.input_size, reduce_gap=MODEL_REDUCE_GAP)
    return resize_center_crop(image, pre.input_size, pre.resample, upsample=not pre.upsample_on_device)
