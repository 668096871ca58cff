"""imgorg inspect on a small folder with one of each oddity: corrupt file, copy, grayscale, RGBA, unequal classes."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from imgorg.cli.main import app
from imgorg.inspection import histogram, inspect_source

from .conftest import make_image


@pytest.fixture()
def folder(tmp_path):
    root = tmp_path / "images"
    for i in range(5):
        make_image(root / "cats" / f"c{i}.jpg", (200, 50, 50), size=(40, 30))
    make_image(root / "dogs" / "gray.png", (90, 90, 90), size=(30, 30), mode="L")
    make_image(root / "dogs" / "alpha.png", (10, 200, 10), size=(20, 60), mode="RGBA")
    shutil.copy(root / "cats" / "c0.jpg", root / "dogs" / "copy.jpg")
    broken = make_image(root / "dogs" / "broken.jpg", (0, 0, 200), size=(180, 100))
    broken.write_bytes(broken.read_bytes()[: broken.stat().st_size // 2])  # header intact, pixels cut
    return root


def test_inspect_reports_formats_sizes_failures_copies_and_classes(folder):
    report = inspect_source(folder, workers=2)
    summary = report["summary"]
    assert summary["files"] == 9 and summary["failed"] == 1 and summary["ok"] == 8
    assert report["failures"][0]["path"] == "dogs/broken.jpg"
    assert "truncated" in report["failures"][0]["reason"] or "corrupt" in report["failures"][0]["reason"]
    assert report["formats"] == {"JPEG": 7, "PNG": 2}  # the truncated JPEG still has a header
    assert report["extensions"] == {".jpg": 7, ".png": 2}
    assert report["modes"]["L"] == 1 and report["modes"]["RGBA"] == 1 and report["modes"]["RGB"] == 7
    assert report["duplicates"] == [{"sha256": report["duplicates"][0]["sha256"], "size": 2,
                                     "paths": ["cats/c0.jpg", "dogs/copy.jpg"]}]
    assert summary["duplicate_groups"] == 1 and summary["duplicate_files"] == 1
    classes = report["classes"]
    assert classes["sizes"] == {"cats": 5, "dogs": 4} and classes["imbalance_ratio"] == 1.25
    assert sum(b["count"] for b in report["width"]) == 9
    aspect = {(b["low"], b["high"]): b["count"] for b in report["aspect_ratio"]}
    assert aspect[(0.9, 1.1)] == 1 and aspect[(0.0, 0.5)] == 1  # the gray square, the 20x60 RGBA
    assert aspect[(1.1, 1.34)] == 6 and aspect[(1.34, 2.0)] == 1  # 40x30 JPEGs; the 180x100 broken one
    assert summary["max_width"] == 180 and summary["min_width"] == 20


def test_class_imbalance_is_largest_over_smallest(folder):
    for i in range(5, 8):
        make_image(folder / "cats" / f"c{i}.jpg", (200, 60, 60))
    classes = inspect_source(folder, workers=1)["classes"]
    assert classes["sizes"] == {"cats": 8, "dogs": 4}
    assert classes["largest"] == "cats" and classes["smallest"] == "dogs" and classes["imbalance_ratio"] == 2.0


def test_headers_only_misses_corrupt_pixels_but_not_garbage(folder):
    (folder / "dogs" / "text.png").write_bytes(b"not an image at all")
    report = inspect_source(folder, workers=1, decode=False)
    assert [f["path"] for f in report["failures"]] == ["dogs/text.png"]
    assert report["formats"]["unknown"] == 1


def test_a_folder_where_nothing_decodes(tmp_path):
    (tmp_path / "a.png").write_bytes(b"")
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8 not really")
    report = inspect_source(tmp_path, workers=1)
    assert report["summary"]["failed"] == 2 and report["summary"]["ok"] == 0
    assert report["summary"]["max_width"] is None and sum(b["count"] for b in report["width"]) == 0
    assert report["classes"] is None and report["modes"] == {}


def test_histogram_has_an_open_last_bin():
    bins = histogram([10, 32, 5000], (0, 32, 64))
    assert [(b["low"], b["high"], b["count"]) for b in bins] == [(0, 32, 1), (32, 64, 1), (64, None, 1)]


def test_cli_prints_tables_and_writes_json_with_numbers(folder, tmp_path):
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["inspect", str(folder), "--json", str(out), "--workers", "2"])
    assert result.exit_code == 0, result.output
    for text in ("Formats", "Colour modes", "broken.jpg", "identical", "imbalance", "Aspect ratio"):
        assert text in result.output
    data = json.loads(out.read_text())
    assert data["summary"]["files"] == 9 and isinstance(data["classes"]["imbalance_ratio"], float)
    assert isinstance(data["width"][0]["count"], int)


def test_cli_refuses_split_with_a_folder(folder):
    result = CliRunner().invoke(app, ["inspect", str(folder), "--split", "train"])
    assert result.exit_code != 0


def test_cli_shows_skipped_files_and_capture_dates(tmp_path):
    from .photo_corpus import encode, make_exif, source_photo

    root = tmp_path / "trip"
    root.mkdir()
    (root / "a.jpg").write_bytes(encode(source_photo("coffee"), "JPEG", make_exif(taken="2024:05:17 14:03:22")))
    (root / "b.jpg").write_bytes(encode(source_photo("rocket"), "JPEG", make_exif(taken="2024:05:19 08:00:00")))
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "notes.txt").write_text("trip notes")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["inspect", str(root), "--json", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    for text in ("2 files skipped", "hidden or system file", "not an image", "notes.txt",
                 "2024-05-17 14:03 to 2024-05-19 08:00"):
        assert text in result.output, text
    data = json.loads(out.read_text())
    assert data["dates"]["exif"] == {"count": 2, "first": "2024-05-17T14:03:22", "last": "2024-05-19T08:00:00"}
    assert data["summary"]["skipped"] == 2
    assert data["skipped"]["files"] == [
        {"path": ".DS_Store", "reason": "hidden or system file", "detail": "Finder folder settings (macOS)"},
        {"path": "notes.txt", "reason": "not an image", "detail": "text"}]


def test_empty_files_are_failures_not_copies_of_each_other(folder):
    """Two zero-byte .jpg files share the empty content's hash; they are listed as failed, not as one being
    a removable copy of the other."""
    (folder / "cats" / "empty.jpg").write_bytes(b"")
    (folder / "dogs" / "zero.jpg").write_bytes(b"")
    report = inspect_source(folder, workers=2)
    assert {f["path"]: f["reason"] for f in report["failures"]}["cats/empty.jpg"] == "empty file"
    assert [d["paths"] for d in report["duplicates"]] == [["cats/c0.jpg", "dogs/copy.jpg"]]
    assert report["summary"]["duplicate_files"] == 1


def test_a_camera_raw_is_counted_among_the_colour_modes(tmp_path):
    # "64 files, 64 ok" above a colour-mode table that summed to 63: a RAW has no Pillow mode
    pytest.importorskip("rawpy")
    from PIL import Image

    from .dng import write_dng

    root = tmp_path / "photos"
    root.mkdir()
    (root / "raw.dng").write_bytes(write_dng(Image.new("RGB", (64, 48), (120, 80, 40))))
    make_image(root / "photo.jpg", (200, 50, 50), size=(40, 30))
    report = inspect_source(root, workers=1)
    assert report["summary"]["ok"] == 2 and sum(report["modes"].values()) == 2
    assert report["modes"]["RAW mosaic"] == 1


def test_a_family_archive_by_decade_is_said_to_have_no_classes_and_why(tmp_path):
    # scans in 1960s/ and Album 3/ were "6 classes, imbalance 3.50", then "not a folder-per-class tree"
    root = tmp_path / "scans"
    make_image(root / "1960s" / "scan0001.png", (120, 100, 80), size=(60, 40))
    make_image(root / "Album 3" / "Scan 2.png", (80, 100, 120), size=(60, 40))
    report = inspect_source(root, workers=1)
    assert report["classes"] is None and "(1960s, Album 3)" in report["no_labels"]
    result = CliRunner().invoke(app, ["inspect", str(root), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "not a folder-per-class tree" not in result.output and "archive names them" in " ".join(result.output.split())
    from types import SimpleNamespace

    import pandas as pd

    from imgorg.report import _no_labels

    said = _no_labels(SimpleNamespace(images=pd.DataFrame({"path": ["1960s/scan0001.png", "Album 3/Scan 2.png"]})))
    assert said.startswith("No labels: folders named as") and not said.endswith(".")  # the report's clusters-and-labels note
    assert _no_labels(SimpleNamespace(images=pd.DataFrame({"path": ["a.png", "b.png"]}))) == \
        "The images have no labels (no class folders)"
