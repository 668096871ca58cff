import os
import shutil

import numpy as np
import pytest

from imgorg.config import EmbedConfig
from imgorg.embed.backbones import get_backbone
from imgorg.embed import embed_catalog
from imgorg.embed.preprocess import load_and_prepare, resize_center_crop
from imgorg.errors import BackboneError
from imgorg.sources import scan_folder

from .conftest import make_image


class CountingRunner:
    """Stands in for the model: a fixed random projection of the mean colour, counting images."""

    def __init__(self, dim=1280):
        self.calls = 0
        self.images = 0
        self.projection = np.random.default_rng(0).normal(size=(3, dim)).astype(np.float32)

    def __call__(self, batch):
        self.calls += 1
        self.images += len(batch)
        return batch.reshape(len(batch), -1, 3).mean(axis=1) @ self.projection + 1.0


def test_unknown_backbone_lists_valid_ids():
    with pytest.raises(BackboneError, match="valid ids: .*efficientnet-lite0"):
        get_backbone("resnet9000")


def test_resize_center_crop_keeps_the_centre_of_wide_images():
    from PIL import Image

    image = Image.new("RGB", (300, 100), (255, 0, 0))
    image.paste((0, 0, 255), (100, 0, 200, 100))  # blue centre third
    out = resize_center_crop(image, 64)
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    assert out[32, 32].tolist() == [0, 0, 255]


def test_cache_embeds_only_what_is_new(tmp_path):
    src = tmp_path / "src"
    for i in range(6):
        make_image(src / f"{i}.png", (40 * i, 10, 10))
    (src / "broken.jpg").write_bytes(b"nope")
    config = EmbedConfig(batch_size=4, shard_size=4)
    runner = CountingRunner()
    first = embed_catalog(src, scan_folder(src), config, tmp_path / "cache", runner=runner)
    assert runner.images == 6 and first.n_computed == 6 and first.n_cached == 0
    assert first.catalog.set_index("path").loc["broken.jpg", "error"].startswith("not an image")
    np.testing.assert_allclose(np.linalg.norm(first.embeddings, axis=1), 1.0, rtol=1e-5)

    runner = CountingRunner()
    again = embed_catalog(src, scan_folder(src), config, tmp_path / "cache", runner=runner)
    assert runner.images == 0 and again.n_cached == 6
    np.testing.assert_array_equal(again.embeddings, first.embeddings)

    for i in range(6, 9):
        make_image(src / f"{i}.png", (10, 40 * i, 10))
    shutil.copy(src / "0.png", src / "copy-of-0.png")  # same content: no new work
    runner = CountingRunner()
    grown = embed_catalog(src, scan_folder(src), config, tmp_path / "cache", runner=runner)
    assert runner.images == 3 and grown.n_computed == 3 and len(grown.embeddings) == 10


class InterruptedRunner(CountingRunner):
    """Ctrl-C during the ``stop_at``-th batch."""

    def __init__(self, stop_at: int):
        super().__init__()
        self.stop_at = stop_at

    def __call__(self, batch):
        if self.calls + 1 == self.stop_at:
            raise KeyboardInterrupt
        return super().__call__(batch)


def test_ctrl_c_before_the_first_full_shard_keeps_what_was_embedded(tmp_path):
    """A run interrupted before its first shard of 2,048 images kept nothing, though it said the images
    embedded were cached: the rerun embedded them all again."""
    src = tmp_path / "src"
    for i in range(12):
        make_image(src / f"{i}.png", (20 * i, 10, 10))
    config = EmbedConfig(batch_size=4, workers=1)  # shard_size: the default, far above 12
    with pytest.raises(KeyboardInterrupt):
        embed_catalog(src, scan_folder(src), config, tmp_path / "cache", runner=InterruptedRunner(stop_at=3))
    runner = CountingRunner()
    again = embed_catalog(src, scan_folder(src), config, tmp_path / "cache", runner=runner)
    assert again.n_cached == 8 and runner.images == 4  # the two batches before the interrupt stayed


@pytest.mark.slow
def test_onnx_matches_torch_on_real_images(cifar_small):
    import torch

    from imgorg.embed import OnnxRunner

    spec = get_backbone("efficientnet-lite0")
    files = sorted(cifar_small.glob("*/*.jpg"))[::15][:16]
    batch = np.stack([load_and_prepare(f.read_bytes(), spec.preprocess) for f in files])
    with torch.no_grad():
        model = spec.build(spec.weights_path(), spec.preprocess.input_size, with_head=True)
        expected, expected_probs = (t.numpy() for t in model(torch.from_numpy(batch)))
    got, probs = OnnxRunner(spec)(batch)  # one pass: features and the classifier's probabilities
    assert got.shape == (16, spec.dim) and probs.shape == (16, 1000)
    assert np.abs(got - expected).max() < 1e-4 and np.abs(probs - expected_probs).max() < 1e-5
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-4)


def test_onnx_threads_follow_the_cores_this_process_may_use(monkeypatch):
    """A container or taskset limit, not the host's core count: 2 threads on 1 allowed core
    ran at 0.70x the speed of 1 (docs/benchmarks.md)."""
    from imgorg.embed import OnnxRunner

    spec = get_backbone("efficientnet-lite0")
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {3}, raising=False)
    assert OnnxRunner(spec).session.get_session_options().intra_op_num_threads == 1
    assert OnnxRunner(spec, threads=2).session.get_session_options().intra_op_num_threads == 2


@pytest.mark.parametrize("files, cores", [
    ({"cpu.max": "150000 100000\n"}, 2),  # docker --cpus 1.5 (cgroup v2): 2 threads, not the host's 8
    ({"cpu.max": "max 100000\n"}, 8),  # no quota
    ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),  # cgroup v1, 1 CPU
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, 8),
    ({}, 8),  # no cgroup files at all
])
def test_cores_follow_a_containers_cpu_quota(monkeypatch, tmp_path, files, cores):
    from imgorg.parallel import available_cores

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(8)), raising=False)
    assert available_cores(tmp_path) == cores


@pytest.mark.slow
@pytest.mark.parametrize("tta", [False, True])
def test_image_embedder_matches_the_batch_path(cifar_small, tmp_path, tta):
    """Search embeds an upload exactly as the run embedded the collection."""
    from imgorg.embed import ImageEmbedder

    folder = tmp_path / "few"
    for path in sorted(cifar_small.glob("*/*.jpg"))[::60]:
        target = folder / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    config = EmbedConfig(tta=tta)
    result = embed_catalog(folder, scan_folder(folder), config)
    embed_one = ImageEmbedder(config)
    for row, rel in enumerate(result.catalog["path"]):
        np.testing.assert_allclose(embed_one((folder / rel).read_bytes()), result.embeddings[row], atol=1e-5)
