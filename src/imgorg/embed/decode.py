"""Decoding files into model inputs, shared by the local and Ray engines."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ImageDecodeError
from .preprocess import Preprocess, load_and_prepare

Pixels = np.ndarray | list[np.ndarray]  # (b, H, W, 3) uint8, or a list of squares of mixed sizes


def decode_file(path: Path, pre: Preprocess) -> tuple[np.ndarray | None, str | None]:
    """(the model's uint8 input, None), or (None, why the file cannot be used)."""
    try:
        return load_and_prepare(Path(path).read_bytes(), pre), None
    except ImageDecodeError as err:
        return None, err.reason
    except OSError as err:
        return None, f"cannot read: {err.strerror or err}"


def stack_pixels(images: list[np.ndarray]) -> Pixels:
    """One array when every image has the same shape (always, unless the runner upsamples)."""
    return np.stack(images) if len({image.shape for image in images}) == 1 else images
