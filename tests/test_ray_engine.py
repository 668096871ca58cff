"""The Ray engine gives the local engine's embeddings, on a local Ray instance."""

from __future__ import annotations

import dataclasses
import os
import shutil

import numpy as np
import pytest

from imgorg.config import EmbedConfig
from imgorg.embed import embed_catalog
from imgorg.embed.ray_engine import placement
from imgorg.errors import ConfigError
from imgorg.sources import scan_folder

from .conftest import extract_cifar

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = extract_cifar(tmp_path_factory.mktemp("ray-cifar"), per_class=6)
    (root / "airplane" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    shutil.copy(root / "cat" / sorted(p.name for p in (root / "cat").iterdir())[0], root / "dog" / "copy-of-a-cat.jpg")
    # A name that is not UTF-8 travels through Ray too (as bytes) and is embedded.
    cat = (root / "cat" / sorted(p.name for p in (root / "cat").iterdir())[1]).read_bytes()
    (root / "bird" / os.fsdecode(b"latin-\xe9.jpg")).write_bytes(cat + b"\x00")  # new content: embedded on Ray
    return root


@pytest.fixture(scope="module")
def ray_instance():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_engine_matches_the_local_engine(folder, ray_instance, tmp_path):
    catalog = scan_folder(folder)
    local = embed_catalog(folder, catalog, EmbedConfig(batch_size=16))
    on_ray = embed_catalog(folder, catalog, EmbedConfig(batch_size=16, engine="ray", shard_size=20),
                           tmp_path / "cache")

    assert on_ray.catalog["status"].tolist() == local.catalog["status"].tolist()  # same rows, same order
    assert on_ray.catalog["error"].fillna("").tolist() == local.catalog["error"].fillna("").tolist()
    assert (on_ray.catalog["status"] == "error").sum() == 1
    assert on_ray.catalog.set_index("path").loc["bird/latin-\\xe9.jpg", "status"] == "ok"
    assert on_ray.embeddings.shape == local.embeddings.shape == (62, 1280)
    assert np.abs(on_ray.embeddings - local.embeddings).max() < 1e-4
    # The copy is embedded once; the shards are in the local engine's cache format and resume a run.
    assert on_ray.n_computed == 61
    again = embed_catalog(folder, catalog, EmbedConfig(batch_size=16, engine="ray"), tmp_path / "cache")
    assert again.n_computed == 0 and again.n_cached == 62
    assert len(list((tmp_path / "cache").rglob("shard-*.npy"))) >= 2  # written as it went, not at the end


def test_placement_one_actor_per_gpu_else_per_two_cpus():
    assert placement({"CPU": 16.0}, EmbedConfig()) == (False, 8)
    assert placement({"CPU": 1.0}, EmbedConfig()) == (False, 1)
    assert placement({"CPU": 64.0, "GPU": 4.0}, EmbedConfig()) == (True, 4)
    assert placement({"CPU": 64.0, "GPU": 4.0}, EmbedConfig(device="cpu")) == (False, 32)
    assert placement({"CPU": 8.0}, EmbedConfig(ray_actors=3)) == (False, 3)
    with pytest.raises(ConfigError, match="no GPU"):
        placement({"CPU": 8.0}, EmbedConfig(device="cuda"))


def test_unknown_engine_is_refused():
    with pytest.raises(ConfigError, match="local, ray"):
        dataclasses.replace(EmbedConfig(), engine="spark").validate()


def test_embed_on_ray_then_run_here_embeds_nothing(folder, ray_instance, tmp_path):
    from typer.testing import CliRunner

    from imgorg.cli.main import app

    out = tmp_path / "ws"
    embedded = CliRunner().invoke(app, ["embed", str(folder), "--out", str(out), "--engine", "ray"])
    assert embedded.exit_code == 0, embedded.output
    assert "62 images embedded (61 now" in embedded.output and "1 failed" in embedded.output
    ran = CliRunner().invoke(app, ["run", str(folder), "--out", str(out), "--method", "kmeans", "--no-report"])
    assert ran.exit_code == 0, ran.output
    assert "(0 now, 62 from cache)" in ran.output


@pytest.fixture(scope="module")
def mixed_sizes(folder, tmp_path_factory):
    """32 px and 56 px squares, small non-square images, photos and a truncated file, interleaved."""
    from PIL import Image

    mixed = tmp_path_factory.mktemp("ray-mixed")
    cifar = sorted(p for p in folder.glob("*/*.jpg") if p.name[0].isdigit())  # not the planted files
    for i, path in enumerate(cifar[:16]):
        kind = ("square32", "square56", "wide", "photo")[i % 4]
        if kind == "square32":
            (mixed / f"{i:02d}-{kind}.jpg").write_bytes(path.read_bytes())
            continue
        size = {"square56": (56, 56), "wide": (40, 30), "photo": (300 + 10 * i, 260)}[kind]
        Image.open(path).resize(size, Image.Resampling.BICUBIC).save(mixed / f"{i:02d}-{kind}.png")
    (mixed / "05-truncated.jpg").write_bytes((mixed / "04-square32.jpg").read_bytes()[:100])
    return mixed


def test_decoders_leave_small_squares_at_their_own_size_for_an_upsampling_model(mixed_sizes):
    from imgorg.embed.backbones import get_backbone
    from imgorg.embed.ray_engine import decode_batch

    pre = dataclasses.replace(get_backbone("efficientnet-lite0").preprocess, upsample_on_device=True)
    paths = sorted(mixed_sizes.iterdir())
    out = decode_batch({"sha256": np.array([p.name for p in paths]), "path": np.array([str(p) for p in paths])}, pre)
    shapes = {path.name.split("-")[1].split(".")[0]: image.shape for path, image in zip(paths, out["pixels"])}
    assert out["pixels"].dtype == object  # a variable-shaped column for Ray
    assert shapes == {"square32": (32, 32, 3), "square56": (56, 56, 3), "wide": (224, 224, 3),
                      "photo": (224, 224, 3), "truncated": (1, 1, 3)}
    assert [bool(e) for e in out["error"]] == [p.name.startswith("05-t") for p in paths]
    # Resizing on the CPU (the default) keeps one dense uint8 array.
    dense = decode_batch({"sha256": np.array(["a"]), "path": np.array([str(paths[0])])},
                    get_backbone("efficientnet-lite0").preprocess)
    assert dense["pixels"].shape == (1, 224, 224, 3) and dense["pixels"].dtype == np.uint8


def test_upsampling_actors_embed_mixed_sizes_as_the_local_engine_does(mixed_sizes, ray_instance, monkeypatch):
    """GPU actors (forced here on the CPU) take each small square at its own size through Ray's
    variable-shaped blocks and give the embeddings of the CPU resize, row for row."""
    from imgorg.embed import ray_engine
    from imgorg.embed.backbones import get_backbone
    from imgorg.embed import TorchRunner

    monkeypatch.setattr(ray_engine, "_actors_upsample", lambda use_gpu, config: True)
    catalog = scan_folder(mixed_sizes)
    config = EmbedConfig(batch_size=4)
    on_ray = embed_catalog(mixed_sizes, catalog, dataclasses.replace(config, engine="ray"))
    spec = get_backbone("efficientnet-lite0")
    local = embed_catalog(mixed_sizes, catalog, config, runner=TorchRunner(spec, None, 224, device="cpu",
                                                                           upsample=False))
    assert on_ray.catalog["status"].value_counts().to_dict() == {"ok": 16, "error": 1}
    assert on_ray.catalog[["status", "error"]].equals(local.catalog[["status", "error"]])
    np.testing.assert_allclose(on_ray.embeddings, local.embeddings, atol=1e-5)
