import pytest

from imgorg.errors import SourceError
from imgorg.sources import catalog_text, folder_labels, scan_folder, source_path

from .conftest import make_image


def test_imagefolder_layout_gives_labels(tmp_path):
    make_image(tmp_path / "cats" / "a.jpg", (200, 0, 0))
    make_image(tmp_path / "dogs" / "b.png", (0, 200, 0))
    make_image(tmp_path / "dogs" / "c.webp", (0, 0, 200))
    catalog = scan_folder(tmp_path)
    assert catalog["path"].tolist() == ["cats/a.jpg", "dogs/b.png", "dogs/c.webp"]
    assert catalog["label"].tolist() == ["cats", "dogs", "dogs"]
    assert catalog["id"].tolist() == [0, 1, 2]
    assert catalog["sha256"].str.len().eq(64).all()
    assert (catalog["status"] == "pending").all()


def test_flat_or_mixed_depth_folders_have_no_labels():
    assert folder_labels(["a.jpg", "b.jpg"]) == [None, None]
    assert folder_labels(["x/a.jpg", "b.jpg"]) == [None, None]
    assert folder_labels(["only/a.jpg", "only/b.jpg"]) == [None, None]
    assert folder_labels(["train/cat/a.jpg", "train/dog/b.jpg"]) == ["cat", "dog"]


def test_a_camera_or_photo_library_layout_has_no_labels():
    # DCIM/ beside Backup/ were two classes: clusters were scored against them, a backup copy was a copy
    # "labelled apart" (a look), and a Backup/ of one photo stopped the label-issue classifier
    from imgorg.sources import why_no_labels

    for layout in (["DCIM/a.jpg", "Backup/b.jpg"], ["100APPLE/a.jpg", "101APPLE/b.jpg"],
                   ["2023-06-10 Lisbon/a.jpg", "2023-07-01/b.jpg"], ["Camera Roll/a.jpg", "Screenshots/b.png"]):
        assert folder_labels(layout) == [None, None], layout
    assert "photo library" in why_no_labels(["DCIM/a.jpg", "Backup/b.jpg"])
    assert folder_labels(["0/a.png", "7/b.png"]) == ["0", "7"]  # digit classes (MNIST's) are classes


def test_a_family_archive_sorted_by_decade_or_album_has_no_labels():
    # scanned prints sorted into 1960s/, 1970s/, Album 3/ were class labels: clusters were scored against the
    # decades and a re-scan filed under another album was a copy "labelled apart" (a look) with label issues
    from imgorg.sources import why_no_labels

    for layout in (["1960s/scan0001.tif", "1970s/Scan 2.jpeg"], ["70s/a.jpg", "80's/b.jpg"],
                   ["Album 3/Scan.jpeg", "Grandma's box/scan0001.tif"], ["1970's/a.jpg", "Roll 12/b.jpg"],
                   ["Scans/a.tif", "Wedding/b.jpg"]):
        assert folder_labels(layout) == [None, None], layout
    assert "albums" in why_no_labels(["1960s/scan0001.tif", "Album 3/Scan 2.jpeg"])
    assert folder_labels(["albatross/a.jpg", "scallop/b.jpg"]) == ["albatross", "scallop"]  # classes stay classes
    assert folder_labels(["1960/a.jpg", "sloth/b.jpg"]) == [None, None]  # a year, as before


def test_recursive_scan_ignores_other_files(tmp_path):
    make_image(tmp_path / "a" / "deep" / "x.JPG", (1, 2, 3))
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "folder.jpg").mkdir()  # a directory with an image name is not an image
    catalog = scan_folder(tmp_path)
    assert catalog["path"].tolist() == ["a/deep/x.JPG"]


def test_missing_folder_and_empty_folder_raise_clear_errors(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        scan_folder(tmp_path / "nope")
    with pytest.raises(SourceError, match="no images under"):
        scan_folder(tmp_path)


def test_names_that_are_not_utf8_round_trip_through_catalog_text(tmp_path):
    import os

    raw = os.fsdecode(b"caf\xe9/\xff.jpg")  # Latin-1 bytes, as old cameras and zips write them
    (tmp_path / os.fsdecode(b"caf\xe9")).mkdir()
    (tmp_path / raw).write_bytes(b"x")
    text = catalog_text(raw)
    assert text == "caf\\xe9/\\xff.jpg" and text.encode("utf-8")  # storable as UTF-8 text
    assert source_path(tmp_path, text).read_bytes() == b"x"
    (tmp_path / "literal \\x41.jpg").write_bytes(b"y")  # a real name with a backslash is found as written
    assert source_path(tmp_path, "literal \\x41.jpg").read_bytes() == b"y"
    assert source_path(tmp_path, "ok/ü.jpg") == tmp_path / "ok" / "ü.jpg"


def test_every_file_is_catalogued_or_skipped_with_a_reason(tmp_path):
    from imgorg.sources import SKIPPED_COLUMNS, scan_source

    make_image(tmp_path / "a.jpg", (200, 0, 0))
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (tmp_path / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0" + bytes(60))
    (tmp_path / "._a.jpg").write_bytes(b"\x00\x05\x16\x07" + bytes(60))
    (tmp_path / "readme.txt").write_text("holiday photos")
    (tmp_path / "data.bin").write_bytes(bytes(range(256)) * 4)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main")
    scan = scan_source(tmp_path)
    assert scan.catalog["path"].tolist() == ["a.jpg"]
    assert list(scan.skipped.columns) == SKIPPED_COLUMNS
    assert {c: str(t) for c, t in scan.skipped.dtypes.items()} == {
        "path": "string", "reason": "string", "detail": "string", "bytes": "Int64"}
    reasons = dict(zip(scan.skipped["path"], scan.skipped["reason"]))
    assert reasons == {".DS_Store": "hidden or system file", ".git/HEAD": "hidden or system file",
                       "._a.jpg": "hidden or system file", "Thumbs.db": "hidden or system file",
                       "data.bin": "not an image", "readme.txt": "not an image"}
    details = dict(zip(scan.skipped["path"], scan.skipped["detail"]))
    assert details["readme.txt"] == "text" and "AppleDouble" in details["._a.jpg"]
    assert scan.skipped.set_index("path").loc["readme.txt", "bytes"] == len("holiday photos")


def test_images_are_found_by_content_whatever_their_name(tmp_path):
    from imgorg.sources import scan_source

    make_image(tmp_path / "no_extension", (0, 200, 0), fmt="PNG")
    make_image(tmp_path / "photo.dat", (0, 0, 200), fmt="JPEG")
    make_image(tmp_path / "wrong.png", (0, 0, 200), fmt="WEBP")
    scan = scan_source(tmp_path)
    formats = dict(zip(scan.catalog["path"], scan.catalog["format"]))
    assert formats == {"no_extension": "PNG", "photo.dat": "JPEG", "wrong.png": "WEBP"} and scan.skipped.empty


def test_a_file_named_like_an_image_that_is_not_one_is_a_catalogued_failure(tmp_path):
    from imgorg.sources import scan_source

    make_image(tmp_path / "ok.jpg", (1, 2, 3))
    (tmp_path / "page.jpg").write_text("<html>404 not found</html>")
    (tmp_path / "page.html").write_text("<html>404 not found</html>")
    scan = scan_source(tmp_path)
    rows = scan.catalog.set_index("path")
    assert rows.loc["page.jpg", "status"] == "error" and "not an image" in rows.loc["page.jpg", "error"]
    assert scan.skipped["path"].tolist() == ["page.html"]


def test_formats_whose_reader_is_missing_are_skipped_naming_the_extra(tmp_path, monkeypatch):
    from imgorg import images, sources
    from imgorg.sources import scan_source

    from .dng import write_dng
    from .photo_corpus import source_photo

    make_image(tmp_path / "a.jpg", (1, 2, 3))
    (tmp_path / "IMG_1.dng").write_bytes(write_dng(source_photo("chelsea").crop((0, 0, 64, 48))))
    (tmp_path / "IMG_2.NEF").write_bytes(b"II*\x00" + bytes(100))  # by name: nothing reads it here
    (tmp_path / "IMG_3.heic").write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(100))
    monkeypatch.setattr(images, "raw_support", lambda: None)
    monkeypatch.setattr(sources, "raw_support", lambda: None)
    monkeypatch.setattr(images, "HEIF_SUPPORT", False)
    scan = scan_source(tmp_path)
    assert scan.catalog["path"].tolist() == ["a.jpg"]
    skipped = scan.skipped.set_index("path")
    assert (skipped["reason"] == "unsupported format").all() and len(skipped) == 3
    assert "pip install 'imgorg[raw]'" in skipped.loc["IMG_1.dng", "detail"]
    assert "pip install 'imgorg[raw]'" in skipped.loc["IMG_2.NEF", "detail"]
    assert "pip install 'imgorg[heic]'" in skipped.loc["IMG_3.heic", "detail"]


def test_a_folder_of_only_unreadable_formats_says_what_it_holds(tmp_path, monkeypatch):
    from imgorg import images

    (tmp_path / "IMG_3.heic").write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(100))
    (tmp_path / ".DS_Store").write_bytes(b"x")
    monkeypatch.setattr(images, "HEIF_SUPPORT", False)
    with pytest.raises(SourceError) as caught:
        scan_folder(tmp_path)
    message = str(caught.value)
    assert "1 unsupported format" in message and "pip install 'imgorg[heic]'" in message
    assert "1 hidden or system file" in message


def test_links_and_pipes_are_accounted_for_not_read(tmp_path):
    import os

    from imgorg.sources import scan_source

    make_image(tmp_path / "a.jpg", (1, 2, 3))
    os.symlink(tmp_path, tmp_path / "loop")  # a link to a folder: not followed
    os.symlink(tmp_path / "gone.jpg", tmp_path / "broken.jpg")
    os.mkfifo(tmp_path / "pipe.jpg")  # reading it would block forever
    os.symlink(tmp_path / "a.jpg", tmp_path / "linked.jpg")  # a link to a file is read
    scan = scan_source(tmp_path)
    assert scan.catalog["path"].tolist() == ["a.jpg", "linked.jpg"]
    details = dict(zip(scan.skipped["path"], scan.skipped["detail"]))
    assert details == {"broken.jpg": "broken link", "loop": "link to a folder (not followed)", "pipe.jpg": "named pipe"}
    assert set(scan.skipped["reason"]) == {"not a file"}


def test_catalog_columns_and_dtypes_and_old_catalogs_gain_empty_metadata():
    import pandas as pd

    from imgorg.sources import CATALOG_COLUMNS, normalize_catalog

    old = pd.DataFrame({"id": [0], "path": ["a.jpg"], "label": [None], "bytes": [10], "sha256": ["x" * 64],
                        "status": ["ok"], "error": [None]})
    catalog = normalize_catalog(old)
    assert list(catalog.columns) == CATALOG_COLUMNS
    assert {c: str(t) for c, t in catalog.dtypes.items() if c not in old} == {
        "format": "string", "width": "Int64", "height": "Int64", "orientation": "Int64",
        "taken_at": "datetime64[ns]", "taken_at_offset_min": "Int64", "taken_at_source": "string",
        "camera_make": "string", "camera_model": "string", "gps_lat": "float64", "gps_lon": "float64",
        "note": "string",
        "rating": "Int64", "keywords": "string", "description": "string", "sidecars": "string", "original": "string",
        "motion": "string", "duration_s": "Float64"}
    assert catalog["taken_at"].isna().all() and catalog["width"].isna().all()


def test_a_date_in_a_phones_file_name_is_the_capture_time_where_the_file_holds_none(tmp_path):
    """WhatsApp, Pixel and Android names carry the date; the file time (the day of the copy) made a
    bogus event "7 Dec 2026" of photos a phone had named 7 May 2024."""
    import pandas as pd

    for name in ("IMG-20240505-WA0007.jpg", "PXL_20240507_101530123.jpg", "IMG_0001.jpg", "IMG_20241399_000000.jpg"):
        make_image(tmp_path / name, (10, 20, 30))
    rows = scan_folder(tmp_path).set_index("path")
    assert rows.loc["IMG-20240505-WA0007.jpg", ["taken_at", "taken_at_source"]].tolist() == \
        [pd.Timestamp("2024-05-05"), "name"]
    assert rows.loc["PXL_20240507_101530123.jpg", "taken_at"] == pd.Timestamp("2024-05-07 10:15:30")
    assert rows.loc["IMG_0001.jpg", "taken_at_source"] == "file"
    assert rows.loc["IMG_20241399_000000.jpg", "taken_at_source"] == "file"  # no such date
