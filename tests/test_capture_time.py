"""Capture time by the precedence photographers expect, with taken_at_source naming where it came from."""

from __future__ import annotations

import os
from datetime import datetime

import pytest
from PIL import Image

from imgorg.images import probe_image
from imgorg.inspection import camera_name
from imgorg.metablocks import ciff_time, iptc_time, movie_time, xmp_time
from imgorg.metadata import SOURCES, photo_metadata
from imgorg.sources import scan_source

from .camera_files import crw, iptc_records, jpeg, png, tiff, with_movie_header, xmp_packet
from .photo_corpus import HEIC_WRITABLE, make_exif, source_photo

MTIME = datetime(2023, 8, 1, 12, 0).timestamp()


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return source_photo("coffee").resize((96, 64))


def _meta(data: bytes, sidecar: dict | None = None) -> dict:
    probe = probe_image(data)
    return photo_metadata(probe.exif, MTIME, probe.raw_time, xmp=probe.xmp, iptc=probe.iptc,
                          maker_time=probe.maker_time, container_time=probe.container_time, sidecar=sidecar)


def _exif(**tags) -> bytes:
    exif = Image.Exif()
    main = exif.get_ifd(0x8769)
    for name, value in tags.items():
        tag = {"datetime": 0x0132, "digitized_ifd0": 0x9004}.get(name)
        if tag:
            exif[tag] = value
        else:
            main[{"original": 0x9003, "digitized": 0x9004, "offset": 0x9011, "subsec": 0x9291}[name]] = value
    return exif.tobytes()


def test_exif_original_with_subseconds_and_offset_wins_over_everything(photo):
    data = jpeg(photo, exif=_exif(original="2024:05:17 14:03:22", subsec="25", offset="+02:00",
                                  datetime="2024:06:01 09:00:00"),
                xmp=xmp_packet(original="2020-01-01T00:00:00"), iptc=iptc_records("20190101", "000000"))
    meta = _meta(data)
    assert meta["taken_at"] == datetime(2024, 5, 17, 14, 3, 22, 250000)
    assert meta["taken_at_offset_min"] == 120 and meta["taken_at_source"] == "exif"


def test_xmp_capture_date_beats_exif_datetime_the_last_edit(photo):
    # Lightroom's export: DateTime is the export, the capture date is only in XMP
    data = jpeg(photo, exif=_exif(datetime="2024:06:01 09:00:00"), xmp=xmp_packet(original="2024-05-17T14:03:22+02:00"))
    meta = _meta(data)
    assert (meta["taken_at"], meta["taken_at_offset_min"], meta["taken_at_source"]) == (
        datetime(2024, 5, 17, 14, 3, 22), 120, "xmp")


@pytest.mark.parametrize("kind", ["jpeg", "png", "png-late", "tiff"])
def test_xmp_dates_are_read_from_each_container(photo, kind):
    packet = xmp_packet(photoshop="2022-12-24T18:30:05", create="2023-01-01T00:00:00")
    data = {"jpeg": lambda: jpeg(photo, xmp=packet), "png": lambda: png(photo, xmp=packet),
            "png-late": lambda: png(photo, xmp=packet, xmp_after_pixels=True),
            "tiff": lambda: tiff(photo, xmp=packet)}[kind]()
    meta = _meta(data)
    assert meta["taken_at"] == datetime(2022, 12, 24, 18, 30, 5) and meta["taken_at_source"] == "xmp"


def test_xmp_properties_as_elements_and_their_order():
    packet = xmp_packet(create="2023-01-01T10:00:00Z", photoshop="2022-12-24", as_elements=True)
    assert xmp_time(packet) == (datetime(2022, 12, 24), None, "photoshop:DateCreated")  # a date alone: midnight
    assert xmp_time(xmp_packet(create="2023-01-01T10:00:00Z")) == (datetime(2023, 1, 1, 10), 0, "xmp:CreateDate")
    assert xmp_time(xmp_packet(create="not a date")) is None and xmp_time(None) is None


@pytest.mark.parametrize("kind", ["jpeg", "tiff"])
def test_iptc_date_and_time_created(photo, kind):
    records = iptc_records("20210704", "213000-0400")
    data = jpeg(photo, iptc=records) if kind == "jpeg" else tiff(photo, iptc=records)
    meta = _meta(data)
    assert (meta["taken_at"], meta["taken_at_offset_min"], meta["taken_at_source"]) == (
        datetime(2021, 7, 4, 21, 30), -240, "iptc")


def test_iptc_parser_edges():
    assert iptc_time(iptc_records("20210704")) == (datetime(2021, 7, 4), None)
    assert iptc_time(iptc_records("2021070")) is None and iptc_time(b"\x1c\x02") is None and iptc_time(None) is None


def test_xmp_beats_iptc_and_iptc_beats_digitized(photo):
    both = jpeg(photo, xmp=xmp_packet(original="2020-02-02T02:02:02"), iptc=iptc_records("20190101", "010101"))
    assert _meta(both)["taken_at_source"] == "xmp"
    iptc_first = jpeg(photo, exif=_exif(digitized="2018:01:01 00:00:00"), iptc=iptc_records("20190101", "010101"))
    assert _meta(iptc_first)["taken_at"] == datetime(2019, 1, 1, 1, 1, 1)


def test_digitized_in_ifd0_is_read_and_beats_exif_datetime(photo):
    data = jpeg(photo, exif=_exif(digitized_ifd0="2017:03:03 03:03:03", datetime="2024:01:01 00:00:00"))
    meta = _meta(data)
    assert meta["taken_at"] == datetime(2017, 3, 3, 3, 3, 3) and meta["taken_at_source"] == "digitized"


def test_sidecar_comes_after_the_photos_own_dates_and_before_exif_datetime(photo):
    sidecar = {"taken_at": datetime(2016, 6, 6, 6, 6, 6), "taken_at_offset_min": 60, "gps_lat": 48.8566,
               "gps_lon": 2.3522}
    plain = jpeg(photo, exif=_exif(datetime="2024:01:01 00:00:00"))
    meta = _meta(plain, sidecar)
    assert (meta["taken_at"], meta["taken_at_offset_min"], meta["taken_at_source"]) == (
        datetime(2016, 6, 6, 6, 6, 6), 60, "sidecar")
    assert (meta["gps_lat"], meta["gps_lon"]) == (48.8566, 2.3522)  # the photo has no position of its own
    digitized = jpeg(photo, exif=_exif(digitized="2015:05:05 05:05:05"))
    assert _meta(digitized, sidecar)["taken_at_source"] == "digitized"
    nothing = jpeg(photo)
    assert _meta(nothing, {"taken_at": None})["taken_at_source"] == "file"
    assert _meta(nothing, {"taken_at": datetime(1700, 1, 1)})["taken_at_source"] == "file"  # a broken clock


def test_sidecar_position_never_replaces_the_photos_own(photo):
    data = jpeg(photo, exif=make_exif(gps=(35.0116, 135.7681)))
    meta = _meta(data, {"gps_lat": 48.8566, "gps_lon": 2.3522})
    assert round(meta["gps_lat"], 3) == 35.012


def test_canon_crw_timestamp_is_the_cameras_record():
    data = crw(datetime(2003, 9, 14, 16, 20, 1))
    assert ciff_time(data) == datetime(2003, 9, 14, 16, 20, 1)
    assert ciff_time(crw(None)) is None and ciff_time(b"II\x1a\x00\x00\x00HEAPCCDR") is None
    meta = photo_metadata(None, MTIME, maker_time=ciff_time(data))
    assert meta["taken_at_source"] == "makernote"


def test_container_date_of_an_image_sequence_is_utc():
    # an HEIF/AVIF sequence or phone video: moov/mvhd creation time, seconds since 1904 in UTC
    data = with_movie_header(b"\x00\x00\x00\x18ftypmsf1\x00\x00\x00\x00msf1hevc", datetime(2022, 3, 4, 5, 6, 7))
    assert movie_time(data) == datetime(2022, 3, 4, 5, 6, 7)
    meta = photo_metadata(None, MTIME, container_time=movie_time(data))
    assert (meta["taken_at"], meta["taken_at_offset_min"], meta["taken_at_source"]) == (
        datetime(2022, 3, 4, 5, 6, 7), 0, "container")
    assert movie_time(b"\x00\x00\x00\x08ftyp") is None


@pytest.mark.skipif(not HEIC_WRITABLE, reason="needs pillow-heif")
def test_heif_sequence_gets_its_container_date_through_the_probe(photo):
    import io

    buffer = io.BytesIO()
    photo.save(buffer, "HEIF")
    data = with_movie_header(buffer.getvalue(), datetime(2022, 3, 4, 5, 6, 7))
    assert _meta(data)["taken_at_source"] == "container"


def test_every_source_is_a_short_name_in_precedence_order():
    assert SOURCES == ("exif", "xmp", "iptc", "makernote", "container", "digitized", "sidecar", "exif_datetime",
                       "name", "file")


def test_make_and_model_end_at_the_first_nul(photo):
    exif = Image.Exif()
    exif[0x010F] = "GoPro\x00\x00\x1f\x8bjunk"
    exif[0x0110] = "HERO4 Silver\x00\xff"
    meta = _meta(jpeg(photo, exif=exif.tobytes()))
    assert (meta["camera_make"], meta["camera_model"]) == ("GoPro", "HERO4 Silver")


@pytest.mark.parametrize("make, model, name", [
    ("NIKON CORPORATION", "NIKON D1X", "NIKON D1X"),
    ("Canon", "Canon EOS 5D", "Canon EOS 5D"),
    ("SONY", "ILCE-7M3", "SONY ILCE-7M3"),
    ("Apple", "iPhone 12", "Apple iPhone 12"),
    ("OLYMPUS IMAGING CORP.", "olympus E-M10", "olympus E-M10"),
    ("", "X100V", "X100V"),
    ("GoPro", "", "GoPro"),
])
def test_camera_names_do_not_repeat_the_brand(make, model, name):
    assert camera_name(make, model) == name


def test_scan_catalogs_the_source_of_each_time(tmp_path, photo):
    files = {
        "exif.jpg": jpeg(photo, exif=_exif(original="2024:05:17 14:03:22")),
        "xmp.jpg": jpeg(photo, exif=_exif(datetime="2024:06:01 09:00:00"), xmp=xmp_packet(original="2024-05-17T10:00:00")),
        "iptc.tif": tiff(photo, iptc=iptc_records("20210704", "213000")),
        "late.png": png(photo, exif=make_exif(taken="2020:02:02 02:02:02"), exif_after_pixels=True),
        "none.png": png(photo),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        os.utime(tmp_path / name, (MTIME, MTIME))
    catalog = scan_source(tmp_path).catalog.set_index("path")
    assert catalog["taken_at_source"].to_dict() == {"exif.jpg": "exif", "xmp.jpg": "xmp", "iptc.tif": "iptc",
                                                    "late.png": "exif", "none.png": "file"}
    assert str(catalog.at["late.png", "taken_at"]) == "2020-02-02 02:02:02"
