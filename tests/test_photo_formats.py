"""Every photo format decodes upright, to RGB, and at a reduced scale when asked; a format whose reader is
not installed fails with the extra that reads it."""

import io

import numpy as np
import pytest
from PIL import Image

from imgorg import images
from imgorg.errors import ImageDecodeError
from imgorg.images import MissingDecoderError, decode_image, probe_image

from .dng import write_dng
from .photo_corpus import encode, make_exif, source_photo



def _needs_heif():
    pytest.importorskip("pillow_heif", reason="HEIC needs the heic extra (pillow-heif); pip install 'imgorg[heic]'")


def _needs_rawpy():
    pytest.importorskip("rawpy", reason="camera RAW needs the raw extra (rawpy); pip install 'imgorg[raw]'")


def _similar(a: Image.Image, b: Image.Image) -> float:
    """Correlation of two pictures' gray levels at 64x64: near 1 for the same picture, low when turned."""
    x = np.asarray(a.convert("L").resize((64, 64)), np.float64).ravel()
    y = np.asarray(b.convert("L").resize((64, 64)), np.float64).ravel()
    return float(np.corrcoef(x, y)[0, 1])


@pytest.fixture(scope="module")
def coffee():
    return source_photo("coffee")  # 600x400, a real photograph


# Each format stores the picture turned left with orientation 6 ("turn right to show"): decoded, it is upright.
@pytest.mark.parametrize("fmt, options", [("JPEG", {"quality": 90}), ("PNG", {}), ("WEBP", {"quality": 85}),
                                          ("AVIF", {"quality": 70}), ("TIFF", {}), ("HEIF", {"quality": 80})])
def test_each_format_decodes_upright_with_its_size_after_orientation(coffee, fmt, options):
    if fmt == "HEIF":
        _needs_heif()
    stored = coffee.transpose(Image.Transpose.ROTATE_90)  # 400x600
    data = encode(stored, fmt, make_exif(orientation=6, make="Test"), **options)
    probe = probe_image(data)
    assert (probe.format, probe.width, probe.height, probe.orientation) == (fmt, 600, 400, 6)
    image = decode_image(data)
    assert image.mode == "RGB" and image.size == (600, 400)
    assert _similar(image, coffee) > 0.95 and _similar(image, stored.resize((600, 400))) < 0.5


def test_avif_is_decoded_by_pillow_and_catalogued_by_its_extension(coffee, tmp_path):
    from imgorg.sources import scan_source

    (tmp_path / "a.avif").write_bytes(encode(coffee, "AVIF", quality=60))
    (tmp_path / "b.jpg").write_bytes(encode(coffee, "JPEG"))
    scan = scan_source(tmp_path)
    assert scan.catalog["path"].tolist() == ["a.avif", "b.jpg"] and scan.skipped.empty
    assert scan.catalog["format"].tolist() == ["AVIF", "JPEG"]


def test_heic_is_catalogued_and_decoded(coffee, tmp_path):
    _needs_heif()
    from imgorg.sources import scan_source

    (tmp_path / "IMG_0001.HEIC").write_bytes(encode(coffee, "HEIF", quality=70))
    catalog = scan_source(tmp_path).catalog
    assert catalog["format"].tolist() == ["HEIF"] and catalog["status"].tolist() == ["pending"]
    assert _similar(decode_image((tmp_path / "IMG_0001.HEIC").read_bytes()), coffee) > 0.95


def test_heic_without_pillow_heif_names_the_extra(coffee, monkeypatch):
    _needs_heif()  # to write the file; reading is then refused as if pillow-heif were absent
    data = encode(coffee, "HEIF", quality=70)
    monkeypatch.setattr(images, "HEIF_SUPPORT", False)
    with pytest.raises(MissingDecoderError) as caught:
        decode_image(data)
    assert caught.value.extra == "pip install 'imgorg[heic]'" and "HEIC" in caught.value.reason


def test_heic_thumbnail_serves_a_draft(coffee):
    _needs_heif()
    buffer = io.BytesIO()
    coffee.save(buffer, format="HEIF", quality=70, thumbnails=[300])
    small = decode_image(buffer.getvalue(), draft_size=150)
    assert small.size == (300, 200) and _similar(small, coffee) > 0.95  # the 300-px thumbnail, not 600 px


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animation_gives_its_first_frame(fmt):
    first, second = source_photo("coffee").resize((150, 100)), source_photo("rocket").resize((150, 100))
    buffer = io.BytesIO()
    first.save(buffer, format=fmt, save_all=True, append_images=[second], duration=100, loop=0)
    image = decode_image(buffer.getvalue())
    assert image.size == (150, 100)
    assert _similar(image, first) > 0.9 and _similar(image, second) < 0.5


def test_draft_size_reduces_every_format_but_keeps_both_sides_large_enough(coffee):
    big = coffee.resize((1800, 1200))
    for fmt in ("JPEG", "PNG", "WEBP"):
        image = decode_image(encode(big, fmt), draft_size=224)
        assert min(image.size) >= 224 and image.width <= 900, (fmt, image.size)  # at least halved
        assert _similar(image, coffee) > 0.95


def test_tiff_orientation_survives_reduction(coffee):
    exif = make_exif(orientation=6)
    data = encode(coffee.transpose(Image.Transpose.ROTATE_90).resize((800, 1200)), "TIFF", exif)
    image = decode_image(data, draft_size=100)
    assert image.width > image.height and _similar(image, coffee) > 0.95


def test_raw_dng_gives_the_preview_upright_or_develops_the_sensor_data():
    _needs_rawpy()
    chelsea = source_photo("chelsea").crop((0, 0, 450, 300))
    stored = chelsea.transpose(Image.Transpose.ROTATE_90)
    with_preview = write_dng(stored, orientation=6)
    without = write_dng(stored, orientation=6, preview=0)
    probe = probe_image(with_preview)
    assert (probe.format, probe.width, probe.height, probe.orientation, probe.mode) == ("DNG", 450, 300, 6, None)
    preview = decode_image(with_preview)
    assert preview.size == (450, 300) and _similar(preview, chelsea) > 0.95
    developed = decode_image(without)  # no preview: LibRaw demosaics at half size and turns it
    assert developed.size == (225, 150) and _similar(developed, chelsea) > 0.9
    assert abs(np.asarray(developed, np.float64).mean() - np.asarray(chelsea, np.float64).mean()) < 25


def test_raw_small_preview_is_used_only_for_a_small_draft():
    _needs_rawpy()
    chelsea = source_photo("chelsea").crop((0, 0, 450, 300))
    data = write_dng(chelsea, preview=120)  # a 120x80 preview
    assert decode_image(data, draft_size=64).size == (120, 80)
    assert decode_image(data).size == (225, 150)  # too small for a full decode: developed instead


def test_raw_without_rawpy_names_the_extra(monkeypatch):
    data = write_dng(source_photo("chelsea").crop((0, 0, 100, 80)))
    monkeypatch.setattr(images, "raw_support", lambda: None)
    with pytest.raises(MissingDecoderError) as caught:
        decode_image(data)
    assert caught.value.extra == "pip install 'imgorg[raw]'" and "DNG" in caught.value.reason


def test_a_plain_tiff_is_not_taken_for_a_raw_file(coffee):
    probe = probe_image(encode(coffee, "TIFF", make_exif(make="Nikon", model="Coolscan")))
    assert probe.format == "TIFF"


def test_corrupt_dng_is_a_decode_error_with_a_reason():
    _needs_rawpy()
    data = write_dng(source_photo("chelsea").crop((0, 0, 100, 80)))
    with pytest.raises(ImageDecodeError) as caught:
        decode_image(data[:200])
    assert caught.value.reason


def test_probing_a_png_reads_its_header_not_its_pixels(coffee):
    data = encode(coffee, "PNG")
    cut = data[: len(data) // 3]  # the header and part of the pixels: decoding fails, probing does not
    probe = probe_image(cut)
    assert (probe.format, probe.width, probe.height) == ("PNG", 600, 400)
    with pytest.raises(ImageDecodeError):
        decode_image(cut)
