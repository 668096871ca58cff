"""Capture time (with its UTC offset), camera and GPS position read from EXIF; the file time when there is none."""

import os
from datetime import datetime

import pandas as pd
import pytest
from PIL import Image

from imgorg.images import probe_image
from imgorg.metadata import file_time, gps_offset, parse_exif_datetime, parse_offset, photo_metadata
from imgorg.sources import scan_folder

from .photo_corpus import encode, make_exif


def _metadata(exif_bytes: bytes, fmt: str = "JPEG", mtime: float = 0.0) -> dict:
    probe = probe_image(encode(Image.new("RGB", (32, 24), (90, 120, 150)), fmt, exif_bytes))
    return photo_metadata(probe.exif, mtime)


def test_capture_time_with_offset_camera_and_gps_in_signed_degrees():
    exif = make_exif(make="Canon", model="Canon EOS 80D", taken="2024:05:17 14:03:22", offset="+02:00",
                     gps=(-33.8568, -70.6483))  # south and west: both negative
    meta = _metadata(exif)
    assert meta["taken_at"] == datetime(2024, 5, 17, 14, 3, 22) and meta["taken_at_offset_min"] == 120
    assert meta["taken_at_source"] == "exif"
    assert (meta["camera_make"], meta["camera_model"]) == ("Canon", "Canon EOS 80D")
    assert meta["gps_lat"] == pytest.approx(-33.8568, abs=1e-5) and meta["gps_lon"] == pytest.approx(-70.6483, abs=1e-5)


def test_offset_comes_from_the_gps_clock_when_exif_has_none():
    exif = make_exif(taken="2024:05:18 09:12:05", gps=(-33.8568, 151.2153), gps_time="2024:05:17 23:12:07")
    meta = _metadata(exif, "WEBP")
    assert meta["taken_at"] == datetime(2024, 5, 18, 9, 12, 5) and meta["taken_at_offset_min"] == 600


def test_no_exif_date_falls_back_to_the_file_time_and_says_so(tmp_path):
    path = tmp_path / "scan.png"
    Image.new("L", (20, 20), 128).save(path)
    when = datetime(2023, 8, 1, 12, 0).timestamp()  # local noon
    os.utime(path, (when, when))
    row = scan_folder(tmp_path).iloc[0]
    assert row["taken_at_source"] == "file" and row["taken_at"] == datetime(2023, 8, 1, 12, 0)
    assert row["taken_at_offset_min"] == file_time(when)[1]
    assert pd.isna(row["camera_make"]) and pd.isna(row["gps_lat"])


def test_broken_dates_are_ignored_not_invented():
    assert parse_exif_datetime("0000:00:00 00:00:00") is None
    assert parse_exif_datetime("2024:13:01 10:00:00") is None
    assert parse_exif_datetime("    ") is None
    assert parse_exif_datetime("2024-05-17 14:03:22") == datetime(2024, 5, 17, 14, 3, 22)
    assert parse_exif_datetime("2024:05:17 14:03:22\x00", "47") == datetime(2024, 5, 17, 14, 3, 22, 470000)
    meta = _metadata(make_exif(taken="0000:00:00 00:00:00"), mtime=86400.0)
    assert meta["taken_at_source"] == "file" and meta["taken_at"] == file_time(86400.0)[0]


def test_offsets_parse_to_minutes_east_of_utc():
    assert parse_offset("+02:00") == 120 and parse_offset("-05:30") == -330 and parse_offset("+0545") == 345
    assert parse_offset("+15:00") is None and parse_offset("Z") is None and parse_offset(None) is None


def test_gps_offset_rounds_to_a_quarter_hour():
    gps = {29: "2024:01:01", 7: (23.0, 50.0, 0.0)}
    assert gps_offset(datetime(2024, 1, 2, 5, 21, 40), gps) == 330  # India, +05:30, clocks 100 s apart
    assert gps_offset(datetime(2024, 1, 2, 5, 21), {}) is None


def test_a_gps_block_without_a_fix_is_no_position():
    meta = _metadata(make_exif(gps=(0.0, 0.0)))
    assert meta["gps_lat"] is None and meta["gps_lon"] is None


def test_plain_datetime_when_original_is_missing_says_so():
    exif = Image.Exif()
    exif[0x0132] = "2021:03:04 05:06:07"
    meta = _metadata(exif.tobytes())
    # DateTime is the file's last change: used, but named apart from a capture time
    assert meta["taken_at"] == datetime(2021, 3, 4, 5, 6, 7) and meta["taken_at_source"] == "exif_datetime"
