"""A GPU run compiles the model when enough images make it pay; the compiled model is checked against
the eager one and runs one batch shape (tested here on the CPU with a tiny model)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imgorg.embed import runners
from imgorg.embed.backbones import BackboneSpec
from imgorg.embed.preprocess import Preprocess
from imgorg.embed.torch_models import PooledFeatures


def tiny_spec(tmp_path) -> BackboneSpec:
    weights = tmp_path / "tiny.pt"
    torch.manual_seed(0)
    trunk = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.ReLU(), torch.nn.Conv2d(8, 16, 3))
    torch.save(trunk.state_dict(), weights)

    def build(path, size, with_head=False):
        net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.ReLU(), torch.nn.Conv2d(8, 16, 3))
        net.load_state_dict(torch.load(path, weights_only=True))
        return PooledFeatures(net, (127.0,) * 3, (128.0,) * 3).eval()

    return BackboneSpec("tiny", 16, Preprocess(32, (127.0,) * 3, (128.0,) * 3), "test", "", build,
                        lambda: str(weights))


def test_compile_pays_only_past_enough_images_and_sooner_with_a_warm_cache(tmp_path, monkeypatch):
    spec = tiny_spec(tmp_path)
    assert not runners.compile_pays(spec, 32, 8, runners.COMPILE_MIN_IMAGES - 1)
    assert runners.compile_pays(spec, 32, 8, runners.COMPILE_MIN_IMAGES)
    marker = runners.compile_cache(spec, 32, 8) / "compiled"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()  # an earlier run compiled this shape
    assert runners.compile_pays(spec, 32, 8, runners.COMPILE_MIN_IMAGES_WARM)


@pytest.mark.slow
def test_a_compiled_runner_pads_the_last_batch_and_matches_eager(tmp_path):
    spec = tiny_spec(tmp_path)
    eager = runners.TorchRunner(spec, input_size=32)
    compiled = runners.TorchRunner(spec, input_size=32, compile_batch=8)
    assert compiled.model is not eager.model and (runners.compile_cache(spec, 32, 8) / "compiled").is_file()
    batch = np.random.default_rng(0).integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)  # fewer rows than 8
    a, b = eager(batch), compiled(batch)
    assert b.shape == (5, 16)
    cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert cosine.min() >= 0.9999


@pytest.mark.gpu
def test_lite0_compiled_on_the_gpu_matches_eager():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    from imgorg.embed import get_backbone

    spec = get_backbone("efficientnet-lite0")
    eager = runners.TorchRunner(spec, device="cuda")
    compiled = runners.TorchRunner(spec, device="cuda", compile_batch=64)
    batch = np.random.default_rng(0).integers(0, 256, (40, 224, 224, 3), dtype=np.uint8)
    (a, _), (b, _) = eager(batch), compiled(batch)
    cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert cosine.min() >= 0.9999
