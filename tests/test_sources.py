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
