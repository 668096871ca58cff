"""Fuzz the decoding entry point: any bytes give an RGB image or an ImageDecodeError, fast."""

import io

import numpy as np
import pytest
from PIL import Image

from imgorg.errors import ImageDecodeError
from imgorg.images import decode_image

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _seed_files() -> list[bytes]:
    rng = np.random.default_rng(0)
    pixels = Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8))
    files = []
    for fmt, mode in [("JPEG", "RGB"), ("PNG", "RGBA"), ("PNG", "P"), ("GIF", "P"), ("BMP", "RGB"),
                      ("WEBP", "RGB"), ("TIFF", "RGB")]:
        buffer = io.BytesIO()
        pixels.convert(mode).save(buffer, format=fmt)
        files.append(buffer.getvalue())
    return files


SEEDS = _seed_files()
FUZZ = settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


def _check(data: bytes) -> None:
    try:
        image = decode_image(data)
    except ImageDecodeError as err:
        assert err.reason
    else:
        assert image.mode == "RGB" and image.size[0] > 0


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(data):
    _check(data)


@FUZZ
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=20),
       st.integers(0, 10**6))
def test_mutated_real_images(seed, flips, cut):
    data = bytearray(seed)
    for position, value in flips:
        data[position % len(data)] = value
    _check(bytes(data[: max(1, cut % (len(data) + 1))]))
