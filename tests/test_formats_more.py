"""Rare formats and orientation corners: CRW, DNL JPEGs, big-endian BigTIFF, truncated JPEGs, HEIC without
irot, PNG orientation from XMP or late EXIF; errors that say what the file is and what is wrong."""

from __future__ import annotations



import numpy as np
import pytest
from PIL import Image

from imgorg.errors import ImageDecodeError
from imgorg.formats import RAW_EXTENSIONS, raw_format, sniff
from imgorg.images import AVIF_SUPPORT, _as_decode_error, decode_image, probe_image, raw_support
from imgorg.sources import scan_source

from .camera_files import (avif_with_clap, bigtiff_big_endian, crw, dnl_jpeg, heic_with_irot, heic_without_irot, jpeg, png,
                           xmp_packet)
from .photo_corpus import HEIC_WRITABLE, make_exif, source_photo


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return source_photo("astronaut").resize((160, 120))  # wider than tall, and not symmetric


def _close(a: Image.Image, b: Image.Image, tolerance: float = 12.0) -> bool:
    if a.size != b.size:
        return False
    return float(np.abs(np.asarray(a.convert("RGB"), float) - np.asarray(b.convert("RGB"), float)).mean()) < tolerance


def test_crw_is_sniffed_and_named_by_its_extension():
    data = crw(None)
    assert ".crw" in RAW_EXTENSIONS
    assert sniff(data[:64]) == "RAW" and raw_format(data) == "CRW"


@pytest.mark.skipif(raw_support() is None, reason="needs rawpy")
def test_a_crw_libraw_cannot_read_fails_naming_crw_in_words(tmp_path):
    (tmp_path / "IMG_0001.CRW").write_bytes(crw(None))
    (tmp_path / "no_extension").write_bytes(crw(None))
    (tmp_path / "ok.png").write_bytes(png(Image.new("RGB", (8, 8))))
    scan = scan_source(tmp_path)
    errors = scan.catalog.set_index("path")["error"]
    assert "camera RAW (CRW)" in errors["IMG_0001.CRW"] and "b'" not in errors["IMG_0001.CRW"]
    skipped = scan.skipped.set_index("path")["detail"]
    assert "unknown binary data" not in skipped["no_extension"] and "CRW" in skipped["no_extension"]


@pytest.mark.skipif(raw_support() is None, reason="needs rawpy")
def test_a_raw_that_does_not_decode_still_has_its_capture_time(tmp_path):
    from datetime import datetime

    (tmp_path / "IMG_0002.CRW").write_bytes(crw(datetime(2003, 9, 14, 16, 20, 1)))
    row = scan_source(tmp_path).catalog.iloc[0]
    assert row["status"] == "error"
    assert (str(row["taken_at"]), row["taken_at_source"]) == ("2003-09-14 16:20:01", "makernote")


@pytest.mark.skipif(raw_support() is None, reason="needs rawpy")
def test_libraw_errors_are_words_not_byte_reprs():
    rawpy = raw_support()
    reason = _as_decode_error(rawpy.LibRawIOError(b"Input/output error"), "CRW").reason
    assert reason.startswith("corrupt or unsupported camera RAW (CRW): the file ends early") and "b'" not in reason


def test_jpeg_with_its_height_after_the_pixels_dnl(photo):
    data = dnl_jpeg(photo)
    probe = probe_image(data)
    assert (probe.format, probe.width, probe.height) == ("JPEG", 160, 120)
    assert _close(decode_image(data), photo)


def test_big_endian_bigtiff_opens(photo):
    data = bigtiff_big_endian(photo)
    assert data[:4] == b"MM\x00\x2b"
    probe = probe_image(data)
    assert (probe.format, probe.width, probe.height) == ("TIFF", 160, 120)
    assert _close(decode_image(data), photo, tolerance=0.5)


def test_a_jpeg_a_few_bytes_short_decodes_with_a_truncated_note(tmp_path, photo):
    full = jpeg(photo)
    short = full[:-40]
    assert probe_image(full).note is None and probe_image(short).note == "truncated"
    assert _close(decode_image(short), photo)
    assert decode_image(short, draft_size=40).size[1] >= 40
    (tmp_path / "short.jpg").write_bytes(short)
    row = scan_source(tmp_path).catalog.iloc[0]
    assert row["status"] == "pending" and row["note"] == "truncated" and row["width"] == 160


def test_a_jpeg_missing_half_its_data_fails_saying_so(photo):
    full = jpeg(source_photo("astronaut"))
    with pytest.raises(ImageDecodeError, match=r"^truncated JPEG: \d+% of the picture or more is missing"):
        decode_image(full[:len(full) // 2])


def test_trailing_data_after_the_end_marker_is_not_truncation(photo):
    full = jpeg(photo)
    assert probe_image(full + b"\x00" * 100).note is None
    assert probe_image(full + b"\x00\x00\x00\x18ftypmp42" + b"\xff\xda\x00\x08" * 50).note is None  # a motion photo


def test_a_damaged_jpeg_header_names_the_format_and_the_fault():
    data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40  # JPEG's magic, then nothing a decoder can use
    with pytest.raises(ImageDecodeError) as caught:
        probe_image(data)
    assert "JPEG" in caught.value.reason and "unknown format" not in caught.value.reason


@pytest.mark.skipif(not HEIC_WRITABLE, reason="needs pillow-heif")
@pytest.mark.parametrize("irot", [False, True])
def test_heic_with_exif_orientation_6_is_upright_with_or_without_irot(photo, irot):
    if irot:  # a phone's file: pillow-heif stores orientation 6 as an irot box, libheif applies it
        data, upright = heic_with_irot(photo, 6), photo.transpose(Image.Transpose.ROTATE_270)
    else:  # pixels stored sideways, EXIF orientation 6, no irot: imgorg has to turn it
        data, upright = heic_without_irot(photo.transpose(Image.Transpose.ROTATE_90), 6), photo
    assert (b"irot" in data) == irot
    probe = probe_image(data)
    assert (probe.width, probe.height, probe.orientation) == (*upright.size, 6)
    decoded = decode_image(data)
    assert decoded.size == upright.size and _close(decoded, upright, tolerance=14)
    small = decode_image(data, draft_size=32)  # the thumbnail path turns it the same way
    assert (small.width > small.height) == (upright.width > upright.height)


def test_png_exif_after_the_pixels_does_not_swap_width_and_height(photo):
    # the orientation the file records (6, as exiftool reads it) is in the catalog, but not applied
    data = png(photo, exif=make_exif(orientation=6, taken="2020:02:02 02:02:02"), exif_after_pixels=True)
    probe = probe_image(data)
    assert (probe.width, probe.height, probe.orientation) == (160, 120, 6)
    assert decode_image(data).size == (160, 120)  # the size the catalog says
    assert probe.exif.get_ifd(0x8769).get(0x9003) == "2020:02:02 02:02:02"  # its date is still read


def test_png_exif_before_the_pixels_turns_it(photo):
    data = png(photo, exif=make_exif(orientation=6))
    probe = probe_image(data)
    assert (probe.width, probe.height, probe.orientation) == (120, 160, 6)
    assert decode_image(data).size == (120, 160)


def test_png_oriented_by_xmp_says_so_in_the_orientation_column(photo):
    data = png(photo, xmp=xmp_packet(orientation=6))
    probe = probe_image(data)
    assert (probe.width, probe.height, probe.orientation) == (120, 160, 6)
    assert _close(decode_image(data), photo.transpose(Image.Transpose.ROTATE_270), tolerance=1)


def test_byte_identical_files_of_a_new_workspace_are_not_from_cache(tmp_path):
    from imgorg.config import EmbedConfig
    from imgorg.embed import embed_catalog
    from imgorg.sources import scan_folder

    from .test_embed import CountingRunner

    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.png", "copy_of_a.png"):
        (src / name).write_bytes(png(Image.new("RGB", (32, 32), (200, 10, 10))))
    (src / "b.png").write_bytes(png(Image.new("RGB", (32, 32), (10, 200, 10))))
    config = EmbedConfig(batch_size=4, shard_size=4)
    first = embed_catalog(src, scan_folder(src), config, tmp_path / "cache", runner=CountingRunner())
    assert (first.n_computed, first.n_cached, first.n_copies) == (2, 0, 1)
    again = embed_catalog(src, scan_folder(src), config, tmp_path / "cache", runner=CountingRunner())
    assert (again.n_computed, again.n_cached, again.n_copies) == (0, 3, 0)


def test_failures_beyond_the_list_point_to_a_command(tmp_path, monkeypatch):
    import pandas as pd

    from imgorg.cli import run as run_cli

    printed = []
    monkeypatch.setattr(run_cli.console, "print", lambda text, *_, **__: printed.append(str(text)))
    failures = pd.DataFrame({"path": [f"f{i}.jpg" for i in range(40)], "error": ["broken"] * 40})
    run_cli._print_failures(failures, tmp_path)
    assert "catalog.parquet" not in printed[-1] and f"imgorg inspect {tmp_path} --json" in printed[-1]


@pytest.mark.skipif(not AVIF_SUPPORT, reason="needs Pillow's AVIF plugin")
def test_avif_clean_aperture_is_applied(photo):
    data = avif_with_clap(photo, (20, 10, 100, 80))
    probe = probe_image(data)
    assert (probe.format, probe.width, probe.height) == ("AVIF", 100, 80)
    decoded = decode_image(data)
    assert _close(decoded, photo.crop((20, 10, 120, 90)), tolerance=10)
    assert decode_image(avif_with_clap(photo, (0, 0, 160, 120))).size == (160, 120)  # the whole frame: no crop
