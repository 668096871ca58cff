"""What a phone, a camera or a cloud export puts beside a photo: RAW+JPEG pairs, Live Photos, XMP, Takeout
JSON and AAE sidecars, catalogued as parts of their shot (one row), exported and inspected with it."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import pytest

from imgorg.companions import group_files, takeout_owner
from imgorg.images import raw_support
from imgorg.sidecars import parse_xmp_date, read_takeout_json, read_xmp, xmp_gps
from imgorg.sources import scan_source

from .companion_corpus import (live_still, make_video, plain_jpeg, raw_jpeg_pair, takeout_json, write,
                               xmp_sidecar)
from .photo_corpus import make_exif

pytest.importorskip("av")


def _row(catalog, path):
    rows = catalog[catalog["path"] == path]
    assert len(rows) == 1, f"{path} not catalogued once: {catalog['path'].tolist()}"
    return rows.iloc[0]


def _local(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc).astimezone().replace(tzinfo=None)


def test_raw_and_jpeg_of_one_shutter_press_are_one_photo(tmp_path):
    dng, jpeg = raw_jpeg_pair()
    write(tmp_path, "cam/IMG_1234.CR2" if raw_support() is None else "cam/IMG_1234.DNG", dng)
    write(tmp_path, "cam/IMG_1234.JPG", jpeg)
    write(tmp_path, "cam/IMG_1235.JPG", plain_jpeg())
    scan = scan_source(tmp_path)
    assert scan.catalog["path"].tolist() == ["cam/IMG_1234.JPG", "cam/IMG_1235.JPG"]  # the JPEG is embedded
    pair = _row(scan.catalog, "cam/IMG_1234.JPG")
    assert pair["original"] in ("cam/IMG_1234.DNG", "cam/IMG_1234.CR2")
    assert pair["camera_model"] == "EOS R5"
    assert scan.skipped.empty  # the RAW is part of the photo, not a skipped file


def test_two_renderings_of_one_name_are_not_a_pair(tmp_path):
    write(tmp_path, "IMG_1.JPG", plain_jpeg("astronaut"))
    write(tmp_path, "IMG_1.HEIC", plain_jpeg("coffee"))  # two pictures: neither is the other's part
    write(tmp_path, "IMG_1.DNG", raw_jpeg_pair()[0])
    grouping = group_files(["IMG_1.DNG", "IMG_1.HEIC", "IMG_1.JPG"])
    assert grouping.parts == {}


def test_live_photo_video_is_the_motion_of_its_still_by_name(tmp_path):
    write(tmp_path, "IMG_0001.JPG", live_still())
    write(tmp_path, "IMG_0001.MOV", make_video(".mov", seconds=1.5))
    write(tmp_path, "clip.MOV", make_video(".mov", seconds=1.5))  # a video of its own
    catalog = scan_source(tmp_path).catalog
    assert catalog["path"].tolist() == ["IMG_0001.JPG", "clip.MOV"]
    assert _row(catalog, "IMG_0001.JPG")["motion"] == "IMG_0001.MOV"
    assert _row(catalog, "clip.MOV")["format"] == "QuickTime video"


def test_live_photo_renamed_apart_is_joined_by_apples_content_identifier(tmp_path):
    write(tmp_path, "trip/IMG_0002.JPG", live_still("8F2E3C1A-LIVE"))
    write(tmp_path, "trip/IMG_0003.JPG", live_still("OTHER-ID", photo="astronaut"))
    write(tmp_path, "trip/export_77.MOV",
          make_video(".mov", metadata={"com.apple.quicktime.content.identifier": "8F2E3C1A-LIVE"}))
    catalog = scan_source(tmp_path).catalog
    assert catalog["path"].tolist() == ["trip/IMG_0002.JPG", "trip/IMG_0003.JPG"]
    assert _row(catalog, "trip/IMG_0002.JPG")["motion"] == "trip/export_77.MOV"
    assert catalog.loc[catalog["path"] == "trip/IMG_0003.JPG", "motion"].isna().all()


def test_lightroom_and_darktable_xmp_give_rating_keywords_date_and_gps(tmp_path):
    dng, jpeg = raw_jpeg_pair()
    write(tmp_path, "lr/IMG_1234.DNG", dng)
    write(tmp_path, "lr/IMG_1234.JPG", jpeg)
    write(tmp_path, "lr/IMG_1234.xmp", xmp_sidecar(rating=4, keywords=["cat", "home", "cat"]))
    write(tmp_path, "dt/DSC_0001.JPG", plain_jpeg())  # no EXIF date: the sidecar's date is the capture time
    write(tmp_path, "dt/DSC_0001.JPG.xmp", xmp_sidecar(taken="2022-01-02T03:04:05.25+01:00", rating=2,
                                                       lat="48,51.396N", lon="2,21.1W", attributes=False))
    write(tmp_path, "dt/DSC_0001_01.JPG.xmp", xmp_sidecar(rating=5))  # darktable's duplicate: same photo
    catalog = scan_source(tmp_path).catalog
    lightroom = _row(catalog, "lr/IMG_1234.JPG")
    assert (lightroom["rating"], lightroom["keywords"], lightroom["sidecars"]) == (4, "cat; home", "lr/IMG_1234.xmp")
    assert lightroom["taken_at_source"] == "exif"
    darktable = _row(catalog, "dt/DSC_0001.JPG")
    assert darktable["taken_at"] == datetime(2022, 1, 2, 3, 4, 5, 250000)
    assert (darktable["taken_at_offset_min"], darktable["taken_at_source"]) == (60, "sidecar")
    assert darktable["gps_lat"] == pytest.approx(48.8566) and darktable["gps_lon"] == pytest.approx(-2.351667)
    assert darktable["sidecars"] == "dt/DSC_0001.JPG.xmp; dt/DSC_0001_01.JPG.xmp"
    assert darktable["rating"] == 2  # the photo's own sidecar first


def test_sidecar_date_ranks_below_the_capture_date_and_above_exif_datetime(tmp_path):
    from PIL import Image

    exif = Image.Exif()
    exif[0x0132] = "2025:03:03 10:00:00"  # DateTime: when the file was last edited
    write(tmp_path, "edited.jpg", plain_jpeg(exif=exif.tobytes()))
    write(tmp_path, "edited.jpg.xmp", xmp_sidecar(taken="2019-07-14T18:30:00"))
    write(tmp_path, "camera.jpg", plain_jpeg(exif=make_exif(taken="2020:02:02 02:02:02")))
    write(tmp_path, "camera.jpg.xmp", xmp_sidecar(taken="2019-07-14T18:30:00"))
    catalog = scan_source(tmp_path).catalog
    edited, camera = _row(catalog, "edited.jpg"), _row(catalog, "camera.jpg")
    assert (edited["taken_at"], edited["taken_at_source"]) == (datetime(2019, 7, 14, 18, 30), "sidecar")
    assert (camera["taken_at"], camera["taken_at_source"]) == (datetime(2020, 2, 2, 2, 2, 2), "exif")


def test_takeout_json_gives_time_place_and_description(tmp_path):
    write(tmp_path, "Takeout/Photos from 2019/IMG_20190101_120000.jpg", plain_jpeg())
    write(tmp_path, "Takeout/Photos from 2019/IMG_20190101_120000.jpg.json",
          takeout_json("IMG_20190101_120000.jpg", timestamp=1546344000, lat=41.9, lon=12.5, description="Rome"))
    write(tmp_path, "Takeout/Photos from 2019/no_place.jpg", plain_jpeg("coffee"))
    write(tmp_path, "Takeout/Photos from 2019/no_place.jpg.json", takeout_json("no_place.jpg", timestamp=1546344000))
    write(tmp_path, "Takeout/Photos from 2019/metadata.json", b'{"title": "Photos from 2019"}')  # the album's
    scan = scan_source(tmp_path)
    row = _row(scan.catalog, "Takeout/Photos from 2019/IMG_20190101_120000.jpg")
    assert (row["taken_at"], row["taken_at_source"]) == (_local(1546344000), "sidecar")
    assert (row["gps_lat"], row["gps_lon"], row["description"]) == (41.9, 12.5, "Rome")
    assert scan.catalog["gps_lat"].isna().tolist() == [False, True]  # no_place.jpg: 0, 0 is "no position"
    assert scan.skipped["path"].tolist() == ["Takeout/Photos from 2019/metadata.json"]


@pytest.mark.parametrize("json_name, media, owner", [
    ("IMG_1234.JPG.json", ["IMG_1234.JPG", "IMG_1234(1).JPG"], "IMG_1234.JPG"),
    ("IMG_1234.JPG(1).json", ["IMG_1234.JPG", "IMG_1234(1).JPG"], "IMG_1234(1).JPG"),
    ("IMG_1234.JPG.supplemental-metadata.json", ["IMG_1234.JPG"], "IMG_1234.JPG"),
    ("IMG_1234.JPG.supplemental-metad.json", ["IMG_1234.JPG"], "IMG_1234.JPG"),
    # a long name cut at 46 characters with ".json": the start of one file's name only
    ("Screenshot_20190514-221318_Samsung Intern.json", ["Screenshot_20190514-221318_Samsung Internet.jpg"],
     "Screenshot_20190514-221318_Samsung Internet.jpg"),
    ("PXL_20230101_101010123.jpg.json", ["PXL_20230101_101010123-edited.jpg"], "PXL_20230101_101010123-edited.jpg"),
    # beside its original, as Takeout writes it: the sidecar describes both
    ("PXL_1.jpg.json", ["PXL_1.jpg", "PXL_1-edited.jpg", "PXL_10.jpg"], ["PXL_1.jpg", "PXL_1-edited.jpg"]),
    # the current name, whole or cut, describes the edit too (its date came from the copy's file time)
    ("PXL_1.jpg.supplemental-metadata.json", ["PXL_1.jpg", "PXL_1-edited.jpg"], ["PXL_1.jpg", "PXL_1-edited.jpg"]),
    ("PXL_1.jpg.supplemental-me.json", ["PXL_1.jpg", "PXL_1-edited.jpg"], ["PXL_1.jpg", "PXL_1-edited.jpg"]),
    ("IMG_9.JPG.json", ["IMG_99.JPG"], None),  # not cut: a prefix is no match
])
def test_takeout_sidecar_names(json_name, media, owner):
    assert takeout_owner(json_name, media) == (owner if isinstance(owner, list) else [owner] if owner else [])


def test_aae_edit_files_belong_to_their_photo(tmp_path):
    write(tmp_path, "IMG_1234.JPG", live_still())
    write(tmp_path, "IMG_1234.AAE", b"<?xml version='1.0'?><plist/>")
    write(tmp_path, "IMG_O1234.AAE", b"<?xml version='1.0'?><plist/>")
    write(tmp_path, "IMG_5555.AAE", b"<?xml version='1.0'?><plist/>")  # its photo is gone: still listed
    scan = scan_source(tmp_path)
    assert _row(scan.catalog, "IMG_1234.JPG")["sidecars"] == "IMG_1234.AAE; IMG_O1234.AAE"
    assert scan.skipped["path"].tolist() == ["IMG_5555.AAE"]


def test_xmp_reader_formats():
    assert parse_xmp_date("2024-05-17T14:03:22Z") == (datetime(2024, 5, 17, 14, 3, 22), 0)
    assert parse_xmp_date("2024-05-17T14:03-0530") == (datetime(2024, 5, 17, 14, 3), -330)
    assert parse_xmp_date("2024-05-17") == (datetime(2024, 5, 17), None)
    assert parse_xmp_date("0000-00-00T00:00:00") == (None, None)
    assert xmp_gps("33,52.1234S") == pytest.approx(-33.868723)
    assert xmp_gps("12,30,36E") == pytest.approx(12.51)
    fields = read_xmp(xmp_sidecar(created="2021-06-01T08:00:00", rating=-1))
    assert (fields["taken_at"], fields["rating"]) == (datetime(2021, 6, 1, 8), -1)  # -1: rejected in Lightroom
    with pytest.raises(ValueError):
        read_takeout_json(b'{"albums": []}')


def test_export_keeps_the_files_of_a_shot_together(tmp_path):
    import numpy as np

    from imgorg.tasks.export import export_folders
    from imgorg.tasks.saving import save_workspace
    from imgorg.views import Workspace, load_workspace

    source = tmp_path / "source"
    dng, jpeg = raw_jpeg_pair()
    write(source, "IMG_1.DNG", dng)
    write(source, "IMG_1.JPG", jpeg)
    write(source, "IMG_1.xmp", xmp_sidecar(rating=3))
    write(source, "IMG_2.JPG", live_still())
    write(source, "IMG_2.MOV", make_video(".mov", seconds=1))
    catalog = scan_source(source).catalog
    catalog["status"] = "ok"
    embeddings = np.eye(2, 4, dtype=np.float32)
    assignments = __import__("pandas").DataFrame({"id": [0, 1], "kmeans": [0, 1],
                                                  "kmeans_distance": np.zeros(2, np.float32)})
    ws = Workspace(tmp_path / "ws", {"default_method": "kmeans", "source": {"kind": "folder", "root": str(source)}},
                   catalog, embeddings, embeddings[:, :2].copy(), assignments, {})
    save_workspace(ws)
    result = export_folders(load_workspace(tmp_path / "ws"), tmp_path / "out", copy=True)
    files = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert not result.missing, result.missing
    assert files == ["cluster_000/IMG_1.DNG", "cluster_000/IMG_1.JPG", "cluster_000/IMG_1.xmp",
                     "cluster_001/IMG_2.JPG", "cluster_001/IMG_2.MOV"]
    assert (result.images, result.companions) == (2, 3)


def test_inspect_shows_pairs_live_photos_sidecars_and_videos(tmp_path):
    from typer.testing import CliRunner

    from imgorg.cli.main import app
    from imgorg.inspection import inspect_source

    dng, jpeg = raw_jpeg_pair()
    write(tmp_path, "IMG_1.DNG", dng)
    write(tmp_path, "IMG_1.JPG", jpeg)
    write(tmp_path, "IMG_1.xmp", xmp_sidecar(rating=5, keywords=["sea"]))
    write(tmp_path, "IMG_2.JPG", live_still())
    write(tmp_path, "IMG_2.MOV", make_video(".mov", seconds=1))
    write(tmp_path, "IMG_2.AAE", b"<plist/>")
    write(tmp_path, "holiday.mp4", make_video(".mp4", seconds=3))
    found = inspect_source(tmp_path, decode=True)["companions"]
    assert found["pairs"] == [{"path": "IMG_1.JPG", "original": "IMG_1.DNG"}]
    assert found["live_photos"] == [{"path": "IMG_2.JPG", "motion": "IMG_2.MOV"}]
    assert found["sidecars"] == {"files": 2, "by_kind": {".aae": 1, ".xmp": 1}, "photos": 2}
    assert (found["with_rating"], found["with_keywords"]) == (1, 1)
    assert found["videos"] == {"count": 1, "duration_s": 3.0, "formats": {"MP4 video": 1}}
    result = CliRunner().invoke(app, ["inspect", str(tmp_path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    for line in ("1 RAW+JPEG pairs", "IMG_1.JPG + IMG_1.DNG", "1 Live Photos", "IMG_2.JPG + IMG_2.MOV",
                 "2 sidecars (1 .aae, 1 .xmp)", "1 videos (1 MP4 video)", "Every file decodes."):
        assert line in result.output


def test_the_parts_of_a_skipped_shot_are_listed_with_it(tmp_path, monkeypatch):
    import imgorg.sources as sources

    write(tmp_path, "IMG_7.DNG", raw_jpeg_pair()[0])  # a ProRAW Live Photo: the RAW is the still
    write(tmp_path, "IMG_7.MOV", make_video(".mov", seconds=1))
    write(tmp_path, "other.jpg", plain_jpeg())
    monkeypatch.setattr(sources, "raw_support", lambda: None)
    scan = scan_source(tmp_path)
    assert scan.catalog["path"].tolist() == ["other.jpg"]
    skipped = scan.skipped.set_index("path")
    assert skipped.loc["IMG_7.MOV", "reason"] == "unsupported format"
    assert skipped.loc["IMG_7.MOV", "detail"].startswith("belongs to IMG_7.DNG: camera RAW (.dng)")


def test_a_shot_whose_names_are_not_utf8_is_stored_and_exported(tmp_path):
    import os

    name = os.fsdecode(b"caf\xe9")  # a Latin-1 name from an old camera card
    write(tmp_path, f"{name}.JPG", live_still())
    write(tmp_path, f"{name}.MOV", make_video(".mov", seconds=1))
    row = scan_source(tmp_path).catalog.iloc[0]
    assert (row["path"], row["motion"]) == ("caf\\xe9.JPG", "caf\\xe9.MOV")
    row.to_frame().T.astype(str).to_parquet(tmp_path / "row.parquet")  # text a Parquet file takes


def test_many_files_are_catalogued_in_processes_exactly_as_in_threads(tmp_path, monkeypatch):
    from imgorg import sources

    dng, jpeg = raw_jpeg_pair()
    write(tmp_path, "lr/IMG_1234.DNG", dng)
    write(tmp_path, "lr/IMG_1234.JPG", jpeg)
    write(tmp_path, "lr/IMG_1234.xmp", xmp_sidecar(rating=4, keywords=["cat"]))
    write(tmp_path, "dt/DSC_0001.JPG", plain_jpeg())
    write(tmp_path, "dt/DSC_0001.JPG.xmp", xmp_sidecar(taken="2022-01-02T03:04:05+01:00", rating=2))
    write(tmp_path, "broken.jpg", b"\xff\xd8\xff not a jpeg")
    write(tmp_path, "notes.txt", b"holiday")
    for i in range(5):
        write(tmp_path, f"more/{i}.JPG", plain_jpeg())
    threads = scan_source(tmp_path)
    monkeypatch.setattr(sources, "CATALOG_PROCESS_FILES", 2)
    monkeypatch.setattr(sources, "CATALOG_CHUNK", 3)  # several tasks, one of them short
    monkeypatch.setattr(sources, "available_cores", lambda: 2)
    processes = scan_source(tmp_path)
    pd.testing.assert_frame_equal(processes.catalog, threads.catalog)
    pd.testing.assert_frame_equal(processes.skipped, threads.skipped)
    assert _row(processes.catalog, "lr/IMG_1234.JPG")["rating"] == 4 and processes.catalog["status"].eq("error").sum() == 1
