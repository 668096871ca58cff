"""Named datasets: tiny archives in the official binary formats, materialised and read back."""

from __future__ import annotations

import io
import json
import logging
import tarfile
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

import imgorg
from imgorg import ClusterConfig, ReduceConfig, RunConfig, datasets, load_workspace
from imgorg.cli.main import app
from imgorg.datasets import ARCHIVES, Archive, file_md5, materialise, resolve_source
from imgorg.errors import ConfigError, DatasetError, SourceError
from imgorg.sources import normalize_catalog, scan_folder, subset_catalog

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


@pytest.fixture(autouse=True)
def _own_data_cache(tmp_path, monkeypatch):
    """Each test materialises into its own data cache (the session's cache keeps the ONNX graphs),
    and never sees the user's archives."""
    monkeypatch.setattr(datasets, "data_cache", lambda: tmp_path / "cache" / "datasets")
    monkeypatch.delenv("IMGORG_DATA", raising=False)


def _tar(path: Path, files: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _images(n: int, side: int, seed: int) -> np.ndarray:
    """Random pixels: every position differs, so a transposed or channel-swapped read is caught."""
    return np.random.default_rng(seed).integers(0, 256, (n, side, side, 3), dtype=np.uint8)


def _cifar_records(images: np.ndarray, labels: list[int], label_bytes: int = 1) -> bytes:
    out = bytearray()
    for image, label in zip(images, labels):
        out += bytes([label % 20] * (label_bytes - 1) + [label]) + image.transpose(2, 0, 1).tobytes()
    return bytes(out)


def make_cifar10(path: Path, n_train: int = 20, n_test: int = 6, classes: int = 3):
    """Train records across data_batch_1..5 and a test batch; labels cycle over ``classes``."""
    images = _images(n_train + n_test, 32, seed=1)
    labels = [i % classes for i in range(n_train + n_test)]
    files = {"cifar-10-batches-bin/batches.meta.txt": ("\n".join(CIFAR10_CLASSES) + "\n\n").encode()}
    per_batch = n_train // 5
    for b in range(5):
        rows = slice(b * per_batch, (b + 1) * per_batch)
        files[f"cifar-10-batches-bin/data_batch_{b + 1}.bin"] = _cifar_records(images[rows], labels[rows])
    files["cifar-10-batches-bin/test_batch.bin"] = _cifar_records(images[n_train:], labels[n_train:])
    return _tar(path, files), images, labels


def _png(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.mode == "RGB"
        return np.asarray(image)


def test_cifar10_materialises_exact_pixels_and_labels(tmp_path):
    archive, images, labels = make_cifar10(tmp_path / "cifar-10-binary.tar.gz")
    root = materialise("cifar10", "train", data=archive)
    assert root == datasets.data_cache() / "cifar10" / "train"
    catalog = scan_folder(root)
    assert len(catalog) == 20
    assert catalog["label"].value_counts().to_dict() == {"airplane": 7, "automobile": 7, "bird": 6}
    for i in (0, 1, 7, 19):
        pixels = _png(root / CIFAR10_CLASSES[labels[i]] / f"{i:05d}.png")
        assert pixels[0, 1].tolist() == images[i][0, 1].tolist()  # row 0, column 1: no transposition
        np.testing.assert_array_equal(pixels, images[i])
    test = materialise("cifar10", data=archive)  # default split: test
    assert test.name == "test" and len(scan_folder(test)) == 6
    np.testing.assert_array_equal(_png(test / "bird" / "00000.png"), images[20])  # label 20 % 3 = bird
    info = json.loads((root / datasets.INFO_FILE).read_text())
    assert info["images"] == 20 and info["split"] == "train"


def test_materialised_once_then_reused(tmp_path, monkeypatch):
    archive, _, _ = make_cifar10(tmp_path / "cifar-10-binary.tar.gz")
    root = materialise("cifar10", data=archive)
    monkeypatch.setattr(datasets, "find_archive", lambda *a, **k: pytest.fail("archive read twice"))
    assert materialise("cifar10") == root


def test_interrupted_extraction_leaves_no_tree(tmp_path, monkeypatch):
    archive, _, _ = make_cifar10(tmp_path / "cifar-10-binary.tar.gz")
    calls = []

    def crash(self, rel, pixels):
        calls.append(rel)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(datasets._Writer, "png", crash)
        with pytest.raises(KeyboardInterrupt):
            materialise("cifar10", data=archive)
    parent = datasets.data_cache() / "cifar10"
    assert list(parent.iterdir()) == []  # neither a half tree nor its temporary folder
    assert len(scan_folder(materialise("cifar10", data=archive))) == 6


def test_cifar100_uses_fine_labels(tmp_path):
    images = _images(8, 32, seed=2)
    fine = [0, 1, 2, 3, 4, 0, 1, 2]
    names = "\n".join(["apple", "aquarium_fish", "baby", "bear", "beaver"]) + "\n"
    archive = _tar(tmp_path / "cifar-100-binary.tar.gz", {
        "cifar-100-binary/train.bin": _cifar_records(images, fine, label_bytes=2),
        "cifar-100-binary/test.bin": _cifar_records(images[:2], fine[:2], label_bytes=2),
        "cifar-100-binary/fine_label_names.txt": names.encode(),
        "cifar-100-binary/coarse_label_names.txt": b"fruit\nfish\n",
    })
    root = materialise("cifar100", "train", data=tmp_path)  # a folder holding the archive
    catalog = scan_folder(root)
    assert catalog["label"].value_counts().to_dict() == {"apple": 2, "aquarium_fish": 2, "baby": 2, "bear": 1,
                                                         "beaver": 1}
    np.testing.assert_array_equal(_png(root / "bear" / "00003.png"), images[3])
    assert archive.is_file()


def _stl_bytes(images: np.ndarray) -> bytes:
    return images.transpose(0, 3, 2, 1).tobytes()  # channel planes, each column-major


def make_stl10(path: Path):
    train, test, unlabeled = _images(4, 96, seed=3), _images(3, 96, seed=4), _images(5, 96, seed=5)
    archive = _tar(path, {
        "stl10_binary/train_X.bin": _stl_bytes(train),
        "stl10_binary/train_y.bin": bytes([1, 2, 3, 1]),
        "stl10_binary/test_X.bin": _stl_bytes(test),
        "stl10_binary/test_y.bin": bytes([10, 2, 2]),
        "stl10_binary/unlabeled_X.bin": _stl_bytes(unlabeled),
        "stl10_binary/class_names.txt": b"airplane\nbird\ncar\ncat\ndeer\ndog\nhorse\nmonkey\nship\ntruck\n",
    })
    return archive, train, test, unlabeled


def test_stl10_splits_labels_and_orientation(tmp_path):
    archive, train, test, unlabeled = make_stl10(tmp_path / "stl10_binary.tar.gz")
    root = materialise("stl10", "train", data=archive)
    assert scan_folder(root)["label"].value_counts().to_dict() == {"airplane": 2, "bird": 1, "car": 1}
    pixels = _png(root / "bird" / "00001.png")
    assert pixels[0, 1].tolist() == train[1][0, 1].tolist()
    np.testing.assert_array_equal(pixels, train[1])
    test_root = materialise("stl10", data=archive)
    assert sorted(p.relative_to(test_root).as_posix() for p in test_root.rglob("*.png")) == [
        "bird/00001.png", "bird/00002.png", "truck/00000.png"]
    np.testing.assert_array_equal(_png(test_root / "truck" / "00000.png"), test[0])
    flat = materialise("stl10-unlabeled", data=archive)
    catalog = scan_folder(flat)
    assert len(catalog) == 5 and catalog["label"].isna().all()
    np.testing.assert_array_equal(_png(flat / "00004.png"), unlabeled[4])


def _jpeg(color) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), color).save(buffer, format="JPEG")
    return buffer.getvalue()


def make_caltech(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    images = {
        "101_ObjectCategories/accordion/image_0001.jpg": _jpeg((200, 0, 0)),
        "101_ObjectCategories/accordion/image_0002.jpg": _jpeg((190, 10, 0)),
        "101_ObjectCategories/airplanes/image_0001.jpg": _jpeg((0, 0, 200)),
        "101_ObjectCategories/BACKGROUND_Google/image_0001.jpg": _jpeg((9, 9, 9)),
    }
    inner = _tar(tmp_path / "101_ObjectCategories.tar.gz", images)
    archive = tmp_path / "caltech-101.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(inner, "caltech-101/101_ObjectCategories.tar.gz")
        zipped.writestr("caltech-101/show_annotation.m", "% not an image")
    return archive, images


def test_caltech101_from_the_zip_drops_background(tmp_path):
    archive, images = make_caltech(tmp_path)
    root = materialise("caltech101", data=archive)
    catalog = scan_folder(root)
    assert catalog["path"].tolist() == ["accordion/image_0001.jpg", "accordion/image_0002.jpg",
                                        "airplanes/image_0001.jpg"]
    assert catalog["label"].tolist() == ["accordion", "accordion", "airplanes"]
    copied = (root / "airplanes" / "image_0001.jpg").read_bytes()
    assert copied == images["101_ObjectCategories/airplanes/image_0001.jpg"]  # byte for byte


def test_caltech101_accepts_the_plain_tar(tmp_path):
    make_caltech(tmp_path)
    (tmp_path / "caltech-101.zip").unlink()
    root = materialise("caltech101", data=tmp_path)
    assert len(scan_folder(root)) == 3


def test_imgorg_data_folder_is_searched(tmp_path, monkeypatch):
    make_cifar10(tmp_path / "archives" / "cifar-10-binary.tar.gz")
    monkeypatch.setenv("IMGORG_DATA", str(tmp_path / "archives"))
    assert len(scan_folder(resolve_source("cifar10"))) == 6


def test_local_archive_with_another_md5_warns_and_is_used(tmp_path, caplog):
    archive, _, _ = make_cifar10(tmp_path / "cifar-10-binary.tar.gz")
    with caplog.at_level(logging.WARNING, logger="imgorg.datasets"):
        materialise("cifar10", data=archive)
    assert "not the published c32a1d4ab5d03f1284b67883e8d87530" in caplog.text


def test_a_file_that_does_not_parse_is_a_clear_error(tmp_path):
    bad = tmp_path / "cifar-10-binary.tar.gz"
    bad.write_bytes(b"not a tar at all")
    with pytest.raises(DatasetError, match="could not be read as cifar-10-binary.tar.gz"):
        materialise("cifar10", data=bad)
    with pytest.raises(DatasetError, match="has no test_batch.bin"):
        materialise("cifar10", data=_tar(tmp_path / "other.tar.gz", {"x/readme.txt": b"hi"}))
    assert not (datasets.data_cache() / "cifar10" / "test").exists()


class _Response(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}


def test_download_is_verified_by_md5(tmp_path, monkeypatch):
    archive, _, _ = make_cifar10(tmp_path / "made" / "cifar-10-binary.tar.gz")
    payload = archive.read_bytes()
    urls = []
    monkeypatch.setattr(datasets.urllib.request, "urlopen", lambda url, timeout: urls.append(url) or _Response(payload))
    with pytest.raises(DatasetError, match="not the published c32a1d4ab5d03f1284b67883e8d87530"):
        materialise("cifar10")  # the tiny archive is not the official one
    assert urls == [ARCHIVES["cifar-10-binary.tar.gz"].url]
    assert not (datasets.data_cache() / "cifar-10-binary.tar.gz").exists()
    assert not list(datasets.data_cache().glob(".*part*"))

    monkeypatch.setitem(ARCHIVES, "cifar-10-binary.tar.gz", Archive(urls[0], file_md5(archive)))
    seen = []
    root = materialise("cifar10", progress=lambda what, total: seen.append((what, total)) or (lambda n: None))
    assert len(scan_folder(root)) == 6
    assert (datasets.data_cache() / "cifar-10-binary.tar.gz").read_bytes() == payload
    assert ("Downloading cifar-10-binary.tar.gz", len(payload)) in seen and ("Extracting cifar10/test", 6) in seen


def test_offline_with_no_archive_says_what_to_fetch_and_where(monkeypatch):
    def offline(url, timeout):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(datasets.urllib.request, "urlopen", offline)
    with pytest.raises(DatasetError) as err:
        resolve_source("stl10")
    message = str(err.value)
    assert "stl10_binary.tar.gz" in message and ARCHIVES["stl10_binary.tar.gz"].url in message
    assert "--data PATH" in message and "IMGORG_DATA" in message


def test_unknown_names_and_splits_list_the_valid_ones(tmp_path):
    with pytest.raises(DatasetError, match="cifar10, cifar100, stl10, stl10-unlabeled, caltech101"):
        resolve_source("cifar1O")
    with pytest.raises(DatasetError, match=r"split 'val' is not one of cifar10's splits \(train, test\)"):
        resolve_source("cifar10", split="val")
    with pytest.raises(DatasetError, match=r"\(unlabeled\)"):
        materialise("stl10-unlabeled", split="train")
    with pytest.raises(DatasetError, match="does not exist"):
        materialise("cifar10", data=tmp_path / "missing.tar.gz")


def test_folders_pass_through_unchanged(tmp_path):
    assert resolve_source(tmp_path) == tmp_path
    assert resolve_source(str(tmp_path / "nowhere")) == tmp_path / "nowhere"  # scan_folder says it is missing
    with pytest.raises(ConfigError, match="apply to named datasets"):
        resolve_source(tmp_path, split="train")
    assert issubclass(DatasetError, SourceError)


# -- --limit and --sample -----------------------------------------------------------------

def _catalog(labels):
    return normalize_catalog(pd.DataFrame({
        "id": range(len(labels)), "path": [f"{label or 'x'}/{i:03d}.png" for i, label in enumerate(labels)],
        "label": labels, "bytes": 1, "sha256": [f"{i:064d}" for i in range(len(labels))],
        "status": "pending", "error": None}))


def test_limit_keeps_the_first_rows_and_renumbers():
    catalog = _catalog(["a"] * 5 + ["b"] * 5)
    subset = subset_catalog(catalog, limit=3)
    assert subset["path"].tolist() == catalog["path"].tolist()[:3]
    assert subset["id"].tolist() == [0, 1, 2]
    assert subset_catalog(catalog, limit=50) is catalog and subset_catalog(catalog) is catalog


def test_sample_is_stratified_seeded_and_in_catalog_order():
    catalog = _catalog(["a"] * 60 + ["b"] * 30 + ["c"] * 10)
    subset = subset_catalog(catalog, sample=20, seed=1)
    assert subset["label"].value_counts().to_dict() == {"a": 12, "b": 6, "c": 2}
    assert subset["id"].tolist() == list(range(20)) and subset["id"].dtype == "int64"
    assert subset["path"].tolist() == sorted(subset["path"])  # catalog order kept
    assert subset.equals(subset_catalog(catalog, sample=20, seed=1))
    assert not subset.equals(subset_catalog(catalog, sample=20, seed=2))
    # 7 seats over 3 equal classes: the remainders tie, each class gets 2 or 3.
    odd = subset_catalog(_catalog(["a"] * 5 + ["b"] * 5 + ["c"] * 5), sample=7)
    assert sorted(odd["label"].value_counts().tolist()) == [2, 2, 3]


def test_sample_without_labels_is_uniform():
    catalog = _catalog([None] * 40)
    subset = subset_catalog(catalog, sample=10, seed=0)
    assert len(subset) == 10 and subset["label"].isna().all()
    assert subset["path"].tolist() == subset_catalog(catalog, sample=10, seed=0)["path"].tolist()


def test_bad_limit_or_sample_is_refused():
    catalog = _catalog(["a", "b"])
    with pytest.raises(ConfigError, match=r"limit \(0\) must be a positive integer"):
        subset_catalog(catalog, limit=0)
    with pytest.raises(ConfigError, match="pass one of them"):
        subset_catalog(catalog, limit=1, sample=1)


# -- the CLI ------------------------------------------------------------------------------

def test_cli_runs_a_named_dataset_with_limit(tmp_path):
    archive, _, _ = make_cifar10(tmp_path / "cifar-10-binary.tar.gz", n_train=20, n_test=15)
    out = tmp_path / "ws"
    result = CliRunner().invoke(app, ["run", "cifar10", "--data", str(archive), "--limit", "12", "--out", str(out),
                                      "--k", "3", "--pca-dim", "5"])
    assert result.exit_code == 0, result.output
    ws = load_workspace(out)
    assert len(ws.catalog) == 12 and ws.catalog["id"].tolist() == list(range(12))
    assert set(ws.catalog["label"]) == {"airplane", "automobile", "bird"}
    assert ws.manifest["source"] == {"kind": "dataset", "name": "cifar10", "split": "test", "limit": 12,
                                     "root": str((datasets.data_cache() / "cifar10" / "test").resolve())}
    assert "acc" in ws.metrics[ws.method]


def test_sample_of_a_folder_is_recorded_and_folder_runs_are_unchanged(tmp_path):
    from .conftest import make_image

    for i in range(6):
        make_image(tmp_path / "img" / "red" / f"{i}.png", (220, 20, 20), size=(16, 16))
        make_image(tmp_path / "img" / "blue" / f"{i}.png", (20, 20, 220), size=(16, 16))
    config = RunConfig(reduce=ReduceConfig(pca_dim=3), cluster=ClusterConfig(method="kmeans", k=2, seed=4))
    ws = imgorg.run(tmp_path / "img", tmp_path / "ws", config, sample=4).workspace
    assert ws.catalog["label"].value_counts().to_dict() == {"blue": 2, "red": 2}
    assert ws.manifest["source"] == {"kind": "folder", "sample": 4, "seed": 4,
                                     "root": str((tmp_path / "img").resolve())}
    whole = imgorg.run(tmp_path / "img", tmp_path / "ws", config).workspace
    assert len(whole.catalog) == 12
    assert whole.manifest["source"] == {"kind": "folder", "root": str((tmp_path / "img").resolve())}


def test_cli_refuses_an_unknown_split_before_any_work(tmp_path):
    result = CliRunner().invoke(app, ["run", "stl10", "--split", "val", "--out", str(tmp_path / "ws")])
    assert result.exit_code != 0
    assert "train, test" in str(result.exception) and not (tmp_path / "ws").exists()
