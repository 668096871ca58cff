"""A mixed folder of real photos (JPEG, HEIC, AVIF, WebP, PNG, DNG, GIF, copies, junk): every file is
catalogued with its metadata or skipped with its reason, and every catalogued photo decodes upright."""

from pathlib import Path

import numpy as np
import pytest

from imgorg import images, sources
from imgorg.errors import ImageDecodeError
from imgorg.images import HEIF_SUPPORT, decode_image, raw_support
from imgorg.inspection import inspect_source
from imgorg.metadata import file_time
from imgorg.sources import scan_source

from .photo_corpus import FILE_TIME, build_photo_corpus, expected_catalog, source_photo


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    return root, build_photo_corpus(root)


@pytest.fixture(scope="module")
def scan(corpus):
    return scan_source(corpus[0], workers=2)


def _all_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_every_file_is_catalogued_or_skipped_for_the_right_reason(corpus, scan):
    root, truth = corpus
    catalogued, skipped = set(scan.catalog["path"]), dict(zip(scan.skipped["path"], scan.skipped["reason"]))
    assert catalogued.isdisjoint(skipped) and catalogued | set(skipped) == _all_files(root)
    want_catalog, want_skipped = expected_catalog(truth, heic=HEIF_SUPPORT, raw=raw_support() is not None)
    assert catalogued == want_catalog and skipped == want_skipped


def test_without_the_extras_heic_and_raw_are_skipped_naming_them(corpus, monkeypatch):
    root, truth = corpus
    monkeypatch.setattr(images, "HEIF_SUPPORT", False)
    monkeypatch.setattr(images, "raw_support", lambda: None)
    monkeypatch.setattr(sources, "raw_support", lambda: None)
    scan = scan_source(root, workers=2)
    want_catalog, want_skipped = expected_catalog(truth, heic=False, raw=False)
    assert set(scan.catalog["path"]) == want_catalog
    assert dict(zip(scan.skipped["path"], scan.skipped["reason"])) == want_skipped
    details = dict(zip(scan.skipped["path"], scan.skipped["detail"]))
    assert "imgorg[raw]" in details["raw/DSC_0005.dng"]
    if "phone/IMG_0002.heic" in truth["images"]:
        assert "imgorg[heic]" in details["phone/IMG_0002.heic"]


def test_catalog_metadata_matches_what_was_written(corpus, scan):
    _, truth = corpus
    rows = scan.catalog.set_index("path")
    local_file_time = file_time(FILE_TIME)
    for path, want in truth["images"].items():
        if path not in rows.index:  # an extra is missing: checked above
            continue
        row = rows.loc[path]
        assert (row["format"], row["width"], row["height"], row["orientation"]) == \
            (want["format"], want["width"], want["height"], want["orientation"]), path
        assert row["taken_at_source"] == want["taken_at_source"], path
        if want["taken_at"] is not None:
            assert row["taken_at"] == want["taken_at"], path
            assert _value(row["taken_at_offset_min"]) == want["taken_at_offset_min"], path
        else:
            assert row["taken_at"] == local_file_time[0] and row["taken_at_offset_min"] == local_file_time[1], path
        assert (_value(row["camera_make"]), _value(row["camera_model"])) == (want["camera_make"], want["camera_model"])
        if want["gps"]:
            assert (row["gps_lat"], row["gps_lon"]) == pytest.approx(want["gps"], abs=1e-4), path
        else:
            assert np.isnan(row["gps_lat"]) and np.isnan(row["gps_lon"]), path


def _value(value):
    return None if value is None or str(value) == "<NA>" else value


def test_every_photo_decodes_upright_and_the_broken_ones_say_why(corpus, scan):
    root, truth = corpus
    for path in scan.catalog["path"]:
        data = (root / path).read_bytes()
        if path in truth["broken"]:
            with pytest.raises(ImageDecodeError, match=truth["broken"][path]):
                decode_image(data)
            continue
        want = truth["images"][path]
        image = decode_image(data)
        assert image.size == (want["width"], want["height"]), path
        if want["source"]:
            assert _similar(image, source_photo(want["source"])) > 0.9, path


def test_derived_copies_have_the_size_of_their_box(corpus, scan):
    _, truth = corpus
    rows = scan.catalog.set_index("path")
    base = rows.loc["derived/IMG_0010.jpg"]
    assert base["width"] * 9 == base["height"] * 16  # the 16:9 original
    for path, copy in truth["derived"].items():
        if copy["box"]:
            left, top, right, bottom = copy["box"]
            assert (rows.loc[path, "width"], rows.loc[path, "height"]) == (right - left, bottom - top)
    phone = truth["derived"]["derived/IMG_0010_phone916.jpg"]
    assert 0.30 <= phone["area"] <= 0.33  # a 9:16 cut of a 16:9 picture keeps about 32 % of it
    crops = [c["area"] for c in truth["derived"].values() if c["how"] == "crop"]
    assert len(crops) == 3 and all(0.25 <= area <= 0.6 for area in crops)


def test_inspect_shows_the_date_range_cameras_and_skipped_files(corpus):
    root, truth = corpus
    report = inspect_source(root, workers=2, decode=False)
    dates = report["dates"]
    exif_dates = [t["taken_at"] for t in truth["images"].values()
                  if t["taken_at"] is not None and (t["needs"] is None or _readable(t["needs"]))]
    assert dates["exif"]["count"] == len(exif_dates)
    assert dates["exif"]["first"] == min(exif_dates).isoformat() and dates["exif"]["last"] == max(exif_dates).isoformat()
    assert dates["unknown"] == 2  # the empty file and the empty video: no header, no date
    assert dates["file"]["count"] == report["summary"]["files"] - len(exif_dates) - 2
    assert report["cameras"]["Canon EOS 80D"] == 2
    skipped = {row["reason"]: row["count"] for row in report["skipped"]["by_reason"]}
    assert skipped["hidden or system file"] == 4 and skipped["not an image"] == 3
    assert report["summary"]["skipped"] == len(report["skipped"]["files"]) == sum(skipped.values())


def _readable(extra: str) -> bool:
    return HEIF_SUPPORT if extra == "heic" else raw_support() is not None


def _similar(a, b) -> float:
    x = np.asarray(a.convert("L").resize((64, 64)), np.float64).ravel()
    y = np.asarray(b.convert("L").resize((64, 64)), np.float64).ravel()
    return float(np.corrcoef(x, y)[0, 1])
