"""Decoding files into model inputs, shared by the local and Ray engines."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ImageDecodeError
from .gpu_decode import EncodedJpeg, as_encoded
from .preprocess import Preprocess, load_and_prepare

Pixels = np.ndarray | list  # (b, H, W, 3) uint8, or a list of squares of mixed sizes and EncodedJpegs


def decode_file(path: Path, pre: Preprocess,
                sha: str | None = None) -> tuple[np.ndarray | EncodedJpeg | None, str | None]:
    """(the model's uint8 input, None), or (None, why the file cannot be used). With
    ``pre.jpeg_on_device`` a big JPEG comes back undecoded (an EncodedJpeg, for the GPU); ``sha``
    (the file's sha256) for ``pre.first_read``."""
    try:
        data = Path(path).read_bytes()
        encoded = as_encoded(data, pre) if pre.jpeg_on_device else None
        return (encoded if encoded is not None else load_and_prepare(data, pre, sha)), None
    except ImageDecodeError as err:
        return None, err.reason
    except OSError as err:
        return None, f"cannot read: {err.strerror or err}"


def stack_pixels(images: list) -> Pixels:
    """One array when every image is an array of the same shape (always, unless the runner upsamples
    or decodes JPEGs itself), else the list."""
    if any(isinstance(image, EncodedJpeg) for image in images):
        return images
    return np.stack(images) if len({image.shape for image in images}) == 1 else images
