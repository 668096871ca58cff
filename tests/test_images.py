import io

import numpy as np
import pytest
from PIL import Image

from imgorg.errors import ImageDecodeError
from imgorg.images import decode_image


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def test_decodes_jpeg_to_rgb():
    data = encode(Image.new("RGB", (20, 10), (200, 10, 10)), "JPEG")
    image = decode_image(data)
    assert image.mode == "RGB" and image.size == (20, 10)
    assert np.asarray(image)[5, 10, 0] > 180


def test_transparent_pixels_become_white():
    rgba = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    image = decode_image(encode(rgba, "PNG"))
    assert np.asarray(image)[0, 0].tolist() == [255, 255, 255]


def test_sixteen_bit_grayscale_is_scaled_not_clipped():
    array = np.full((8, 8), 32768, dtype=np.uint16)
    image = decode_image(encode(Image.fromarray(array), "PNG"))
    assert abs(int(np.asarray(image)[0, 0, 0]) - 127) <= 1


def test_exif_rotation_is_applied():
    source = Image.new("RGB", (40, 20), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    image = decode_image(encode(source, "JPEG", exif=exif.tobytes()))
    assert image.size == (20, 40)


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty file"),
        (b"this is not an image at all", "not an image"),
        (b"<html><body>hello</body></html>", "not an image"),
    ],
)
def test_non_images_raise_with_reason(data, reason):
    with pytest.raises(ImageDecodeError) as err:
        decode_image(data)
    assert reason in err.value.reason


def test_truncated_jpeg_raises_with_reason():
    rng = np.random.default_rng(0)
    data = encode(Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)), "JPEG")
    with pytest.raises(ImageDecodeError) as err:
        decode_image(data[: len(data) // 2])
    assert "truncated" in err.value.reason


@pytest.mark.parametrize("orientation", [1, 6, 3])
def test_one_decode_gives_every_size_bit_for_bit(orientation):
    """The review's quality scores and thumbnails, and the model's input, share one decode of a big
    JPEG: each image is what decode_image gives at its size and reduce gap, turned photos and sizes
    that do not divide evenly included."""
    from imgorg.images import decode_jpeg_as
    from imgorg.review.quality import shared_decode, shared_decodes

    from .photo_corpus import encode, make_exif, source_photo

    data = encode(source_photo("astronaut").resize((4032, 3024)), "JPEG", make_exif(orientation=orientation), quality=90)
    large, small, model = decode_jpeg_as(data, 336, ((336, 1), (64, 1), (224, 3)))
    for image, side, gap in ((large, 336, 1), (small, 64, 1), (model, 224, 3)):
        alone = decode_image(data, draft_size=side, reduce_gap=gap)
        assert image.size == alone.size and np.array_equal(np.asarray(image), np.asarray(alone))
    shared = shared_decode(data, 64)
    assert shared is not None and np.array_equal(np.asarray(shared[1]), np.asarray(small))
    three = shared_decodes(data, 64, (224, 3))
    assert three is not None and np.array_equal(np.asarray(three[2]), np.asarray(model))
    assert (large.size[1] > large.size[0]) == (orientation == 6)


def test_small_or_other_images_are_not_shared():
    from imgorg.review.quality import shared_decode

    from .photo_corpus import encode, source_photo

    photo = source_photo("astronaut")  # 512 px: measured whole, its thumbnails decode at 1/4
    assert shared_decode(encode(photo, "JPEG", quality=90), 64) is None
    assert shared_decode(encode(photo.resize((4000, 3000)), "PNG"), 64) is None
