"""Big photos embed fast without embedding differently: the model's threads sleep while they wait
for decoders, and each format's reduced decode gives nearly the full decode's embedding."""

import time

import numpy as np
import pytest
from PIL import Image

from imgorg.embed import OnnxRunner, get_backbone, load_and_prepare
from imgorg.embed.preprocess import resize_center_crop
from imgorg.images import decode_image
from imgorg.reduce import l2_normalize

from .photo_corpus import encode, source_photo

# The reduced decode against the full decode (then the same resize and crop), as the embeddings'
# cosine: the same pixels would give 1. Integer reductions (JPEG's DCT scaling, Image.reduce for the
# rest) measured at least 0.985 on 12-MP and 2400x1800 photos with sensor noise; an embedded HEIC
# thumbnail is a separate, smaller, compressed picture: 0.88-0.94 for the thumbnails libheif writes.
REDUCED_COSINE = 0.98
HEIC_THUMBNAIL_COSINE = 0.85


def test_an_idle_onnx_runner_leaves_the_cores_to_the_decoders():
    """Between batches the engine waits for decoders: the model's thread pool must not spin meanwhile.
    Spinning, it took about 20 ms of CPU after each call, CPU the decoders of big photos need."""
    runner = OnnxRunner(get_backbone("efficientnet-lite0"), threads=2)
    image = np.zeros((1, 224, 224, 3), np.uint8)
    runner(image)
    idle = 0.0
    for _ in range(10):
        runner(image)
        start = time.process_time()
        time.sleep(0.05)  # the caller waits for the next batch
        idle += time.process_time() - start
    assert idle < 0.05, f"the runner's threads used {idle * 1000:.0f} ms of CPU in 500 ms of waiting"


def _noisy_photo(name: str, size: tuple[int, int]) -> Image.Image:
    """A real photograph at ``size`` with a phone sensor's noise (sigma 4 of 255)."""
    image = np.asarray(source_photo(name).resize(size, Image.Resampling.BICUBIC), np.float32)
    noise = np.random.default_rng(0).normal(0.0, 4.0, image.shape[:2])[..., None]
    return Image.fromarray(np.clip(image + noise, 0, 255).astype(np.uint8))


def _cosine_reduced_vs_full(data: bytes) -> float:
    spec = get_backbone("efficientnet-lite0")
    pre = spec.preprocess
    reduced = load_and_prepare(data, pre)
    full = resize_center_crop(decode_image(data), pre.input_size, pre.resample)
    features = OnnxRunner(spec)(np.stack([reduced, full]))[0]
    a, b = l2_normalize(features)
    return float(a @ b)


@pytest.mark.slow
@pytest.mark.parametrize("fmt, options", [("JPEG", {"quality": 90}), ("PNG", {}), ("WEBP", {"quality": 85}),
                                          ("AVIF", {"quality": 70, "speed": 8})])
def test_reduced_decode_embeds_like_the_full_decode(fmt, options):
    data = encode(_noisy_photo("astronaut", (2400, 1800)), fmt, **options)
    assert decode_image(data, draft_size=224).size == (300, 225)  # an eighth of each side decoded or kept
    assert _cosine_reduced_vs_full(data) >= REDUCED_COSINE


@pytest.mark.slow
def test_heic_thumbnail_embeds_close_to_the_full_decode():
    pytest.importorskip("pillow_heif", reason="HEIC needs the heic extra (pillow-heif)")
    data = encode(_noisy_photo("coffee", (1600, 1200)), "HEIF", quality=80, thumbnails=[320])
    assert decode_image(data, draft_size=224).size == (320, 240)  # the thumbnail, not the 1600x1200 picture
    assert _cosine_reduced_vs_full(data) >= HEIC_THUMBNAIL_COSINE
