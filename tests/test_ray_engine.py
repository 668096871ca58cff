"""The Ray engine gives the local engine's embeddings, on a local Ray instance (issue 8)."""

from __future__ import annotations

import dataclasses
import os
import shutil

import numpy as np
import pytest

from imgorg.config import EmbedConfig
from imgorg.embed.engine import embed_catalog
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
