"""Every hub backbone loads a local checkpoint through --weights, offline, and embeds real images."""

import dataclasses
import json
import os

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from imgorg.cli.main import app
from imgorg.config import EmbedConfig
from imgorg.embed import architectures as arch
from imgorg.embed import backbones
from imgorg.embed import cache_key, embed_catalog
from imgorg.errors import BackboneError
from imgorg.sources import scan_folder

from .conftest import extract_cifar
from .test_embed import CountingRunner


def _calibrated(cnn: torch.nn.Module) -> dict:
    """Random weights with batch-norm statistics taken from a batch, as training would leave them:
    without them a deep random CNN maps every image to the same vector."""
    for module in cnn.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = 1.0
    with torch.no_grad():
        cnn.train()(torch.randn(8, 3, 64, 64))
    return cnn.state_dict()


def _checkpoint(backbone_id: str) -> dict:
    """A random-init state dict laid out like the published file (heads, prefixes, grid sizes)."""
    torch.manual_seed(0)
    if backbone_id == "resnet18":
        state = _calibrated(arch.resnet18()) | {"fc.weight": torch.zeros(1000, 512), "fc.bias": torch.zeros(1000)}
    elif backbone_id == "resnet50":
        state = _calibrated(arch.resnet50()) | {"fc.weight": torch.zeros(1000, 2048), "fc.bias": torch.zeros(1000)}
    elif backbone_id == "mobilenet_v2":
        state = _calibrated(arch.MobileNetV2()) | {"classifier.1.weight": torch.zeros(1000, 1280),
                                                   "classifier.1.bias": torch.zeros(1000)}
    elif backbone_id == "clip-vit-b-32":  # OpenAI's file: visual.* beside the text tower, fp16, 7x7 grid
        state = {f"visual.{k}": v.half() for k, v in arch.ClipVisionTransformer(224).state_dict().items()}
        state["token_embedding.weight"] = torch.zeros(10, 512)
    else:  # DINOv2 files are trained at 518 px: a 37x37 position grid
        dim, heads = (384, 6) if backbone_id == "dinov2-vits14" else (768, 12)
        state = arch.DinoVisionTransformer(518, dim=dim, heads=heads).state_dict()
    # The ViTs' zero-initialised tokens and projection get random values, so outputs vary.
    return {k: torch.randn_like(v) * 0.02 if v.is_floating_point() and not v.any() else v for k, v in state.items()}


@pytest.fixture(scope="module")
def cifar_tiny(tmp_path_factory):
    return extract_cifar(tmp_path_factory.mktemp("cifar-tiny"), per_class=2)


FAST = ["resnet18", "mobilenet_v2", "dinov2-vits14"]
SLOW = ["resnet50", "clip-vit-b-32", "dinov2-vitb14"]


@pytest.mark.parametrize("backbone_id", FAST + [pytest.param(b, marks=pytest.mark.slow) for b in SLOW])
def test_hub_backbone_embeds_real_images_from_local_weights(backbone_id, cifar_tiny, tmp_path):
    weights = tmp_path / "weights.pth"
    torch.save(_checkpoint(backbone_id), weights)
    spec = backbones.get_backbone(backbone_id)
    # Small inputs keep the export quick; 56 and 64 are whole numbers of 14- and 32-px patches.
    config = EmbedConfig(backbone=backbone_id, weights=str(weights), image_size=56 if "dino" in backbone_id else 64,
                         device="cpu")
    first = embed_catalog(cifar_tiny, scan_folder(cifar_tiny), config)  # ONNX Runtime on CPU
    again = embed_catalog(cifar_tiny, scan_folder(cifar_tiny), config)
    assert first.embeddings.shape == (20, spec.dim)
    np.testing.assert_allclose(np.linalg.norm(first.embeddings, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(first.embeddings, again.embeddings)
    assert np.ptp(first.embeddings, axis=0).max() > 1e-3  # different images, different vectors


def test_onnx_graph_matches_the_torch_module(cifar_tiny, tmp_path):
    from imgorg.embed import OnnxRunner, TorchRunner

    weights = tmp_path / "dino.pth"
    torch.save(_checkpoint("dinov2-vits14"), weights)
    spec = backbones.get_backbone("dinov2-vits14")
    batch = np.random.default_rng(0).integers(0, 256, (3, 56, 56, 3), dtype=np.uint8)
    onnx = OnnxRunner(spec, str(weights), 56)(batch)
    eager = TorchRunner(spec, str(weights), 56, device="cpu")(batch)
    np.testing.assert_allclose(onnx, eager, atol=1e-3, rtol=1e-3)


def test_a_file_that_is_not_the_checkpoint_says_so(tmp_path):
    weights = tmp_path / "other.pth"
    torch.save({"something": torch.zeros(3)}, weights)
    with pytest.raises(BackboneError, match="is not a resnet18 checkpoint"):
        backbones.get_backbone("resnet18").build(str(weights), 64)


def test_offline_error_names_the_missing_file_and_the_flag(monkeypatch, tmp_path):
    spec = backbones.get_backbone("resnet18")
    offline = dataclasses.replace(spec, url="http://127.0.0.1:9/resnet18-f37072fd.pth")
    monkeypatch.setitem(backbones.BACKBONES, "resnet18", offline)
    with pytest.raises(BackboneError) as err:
        offline.weights_path()
    message = str(err.value)
    assert "resnet18-f37072fd.pth does not exist" in message and "--weights PATH" in message
    assert not list(backbones.hub_weights_file(offline.url).parent.glob("*.part*"))  # no half file left
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--backbone", "resnet18"])
    assert result.exit_code != 0


def test_backbones_command_lists_every_id_with_its_facts(tmp_path):
    result = CliRunner().invoke(app, ["backbones", "--json", str(tmp_path / "b.json")])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads((tmp_path / "b.json").read_text())["backbones"]}
    assert set(rows) == {"efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2", "resnet18", "resnet50",
                         "mobilenet_v2", "clip-vit-b-32", "dinov2-vits14", "dinov2-vitb14"}
    assert rows["efficientnet-lite0"]["weights_present"] and not rows["dinov2-vitb14"]["weights_present"]
    assert rows["resnet50"]["dim"] == 2048 and rows["clip-vit-b-32"]["licence"].startswith("MIT")
    assert "dinov2-vitb14" in result.output


def test_unknown_id_in_a_combination_lists_the_valid_ones():
    with pytest.raises(BackboneError, match="valid ids: .*dinov2-vits14"):
        backbones.split_backbones("efficientnet-lite0+resnet17")


def _mirror_folder(src, dest):
    from PIL import Image, ImageOps

    for path in sorted(src.rglob("*.jpg"))[:6]:
        for name, image in (("a", Image.open(path)), ("b", ImageOps.mirror(Image.open(path)))):
            target = dest / name / path.name.replace(".jpg", ".png")  # lossless: mirror is exact
            target.parent.mkdir(parents=True, exist_ok=True)
            image.save(target)
    return dest


def test_tta_makes_an_image_and_its_mirror_embed_alike(cifar_tiny, tmp_path):
    class FlipSensitive:
        def __call__(self, batch):
            return batch.reshape(len(batch), -1)[:, :1280].astype(np.float32) + 1.0

    src = _mirror_folder(cifar_tiny, tmp_path / "src")
    catalog = scan_folder(src)
    left = catalog["path"].str.startswith("a")
    for tta, alike in ((False, False), (True, True)):
        result = embed_catalog(src, catalog, EmbedConfig(tta=tta), runner=FlipSensitive())
        same = np.allclose(result.embeddings[left.to_numpy()], result.embeddings[~left.to_numpy()], atol=1e-6)
        assert same == alike
    assert cache_key(EmbedConfig(tta=True)) != cache_key(EmbedConfig())


def test_combined_backbone_concatenates_and_caches_each_part(cifar_tiny, tmp_path):
    catalog = scan_folder(cifar_tiny)
    combined = EmbedConfig(backbone="efficientnet-lite0+efficientnet-lite1")
    runner = CountingRunner()
    result = embed_catalog(cifar_tiny, catalog, combined, tmp_path / "cache", runner=runner)
    assert result.embeddings.shape == (20, 2560) and runner.images == 40
    np.testing.assert_allclose(np.linalg.norm(result.embeddings, axis=1), 1.0, atol=1e-5)
    key = cache_key(combined)
    assert key.count("+") == 1 and key != cache_key(dataclasses.replace(combined, tta=True))
    runner = CountingRunner()
    part = embed_catalog(cifar_tiny, catalog, EmbedConfig(backbone="efficientnet-lite1"), tmp_path / "cache",
                         runner=runner)
    assert runner.images == 0 and part.n_cached == 20  # the part was cached under its own key


@pytest.mark.gpu
def test_cuda_fp16_matches_cpu(cifar_tiny, tmp_path):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    from imgorg.embed import TorchRunner

    spec = backbones.get_backbone("efficientnet-lite0")
    batch = np.random.default_rng(0).integers(0, 256, (8, 224, 224, 3), dtype=np.uint8)
    gpu = TorchRunner(spec, None, 224, device="cuda")(batch)
    cpu = TorchRunner(spec, None, 224, device="cpu")(batch)
    cosine = (gpu * cpu).sum(1) / np.linalg.norm(gpu, axis=1) / np.linalg.norm(cpu, axis=1)
    assert cosine.min() > 0.999


# -- Upsampling on the device (the GPU path, run here on the CPU) ---------------------------

def test_device_upsampling_gives_exactly_pils_pixels(cifar_small):
    """A 32 px image upsampled by the runner is the image PIL would have made: one cache serves both."""
    from imgorg.embed import TorchRunner
    from imgorg.embed.preprocess import load_and_prepare

    spec = backbones.get_backbone("efficientnet-lite0")
    native = dataclasses.replace(spec.preprocess, upsample_on_device=True)
    data = [path.read_bytes() for path in sorted(cifar_small.glob("*/*.jpg"))[::10]]
    small = np.stack([load_and_prepare(d, native) for d in data])
    assert small.shape[1:] == (32, 32, 3)
    runner = TorchRunner(spec, None, 224, device="cpu", upsample=True)
    upsampled = runner._upsample(torch.from_numpy(small)).numpy()
    np.testing.assert_array_equal(upsampled, np.stack([load_and_prepare(d, spec.preprocess) for d in data]))
    with pytest.raises(ValueError, match="upsample=True"):
        TorchRunner(spec, None, 224, device="cpu", upsample=False)(small[:2])


class _Recording:
    """Wraps a runner and records the shapes of the images it is given."""

    def __init__(self, runner):
        self.runner, self.upsamples, self.shapes = runner, runner.upsamples, []

    def __call__(self, batch):
        self.shapes += [image.shape for image in batch]
        return self.runner(batch)


def test_engine_sends_small_images_at_their_own_size_and_embeds_them_the_same(cifar_tiny, tmp_path):
    """A batch mixing 32 px and 56 px squares, small non-square images, photos and a broken file: the
    small squares reach an upsampling runner as they are, rows stay in order, embeddings and failures
    equal the CPU path's."""
    from PIL import Image

    from imgorg.embed import TorchRunner

    folder = tmp_path / "mixed"
    folder.mkdir()
    for i, path in enumerate(sorted(cifar_tiny.glob("*/*.jpg"))[:12]):
        image = Image.open(path)
        kind = ("square32", "square56", "wide", "photo")[i % 4]  # interleaved in catalog order
        if kind == "square32":
            (folder / f"{i:02d}-{kind}.jpg").write_bytes(path.read_bytes())
            continue
        size = {"square56": (56, 56), "wide": (40, 30), "photo": (300 + 10 * i, 260)}[kind]
        image.resize(size, Image.Resampling.BICUBIC).save(folder / f"{i:02d}-{kind}.png")
    (folder / "05-truncated.jpg").write_bytes((folder / "04-square32.jpg").read_bytes()[:100])
    spec, config = backbones.get_backbone("efficientnet-lite0"), EmbedConfig(batch_size=8, tta=True)
    catalog = scan_folder(folder)
    recording = _Recording(TorchRunner(spec, None, 224, device="cpu", upsample=True))
    on_device = embed_catalog(folder, catalog, config, runner=recording)
    on_cpu = embed_catalog(folder, catalog, config, runner=TorchRunner(spec, None, 224, device="cpu", upsample=False))
    assert sorted(set(recording.shapes)) == [(32, 32, 3), (56, 56, 3), (224, 224, 3)]
    assert on_device.embeddings.shape == (12, spec.dim)
    # a file that fails inside a decode process is reported as the threads report it
    assert on_device.catalog["status"].value_counts().to_dict() == {"ok": 12, "error": 1}
    assert on_device.catalog[["status", "error"]].equals(on_cpu.catalog[["status", "error"]])
    np.testing.assert_allclose(on_device.embeddings, on_cpu.embeddings, atol=1e-5)


class _CudaLabelled(CountingRunner):
    """A CPU stand-in that reports a CUDA device, as TorchRunner on a GPU does."""

    device = torch.device("cuda")


@pytest.mark.parametrize(("runner", "workers", "expected"), [
    (CountingRunner(), None, 2),  # beside a CPU model: it needs the cores
    (_CudaLabelled(), None, "every core"),  # beside a GPU: decoding is the bound
    (_CudaLabelled(), 3, 3),  # --workers always wins
    (CountingRunner(), 1, 1),
])
def test_decoders_default_to_every_core_beside_a_gpu_and_two_beside_a_cpu(runner, workers, expected, cifar_tiny,
                                                                           monkeypatch):
    from imgorg.embed import local_engine as engine

    used = []
    real_pool = engine._decode_pool
    monkeypatch.setattr(engine, "_decode_pool", lambda n, processes: used.append(n) or real_pool(n, processes))
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(7)), raising=False)
    result = embed_catalog(cifar_tiny, scan_folder(cifar_tiny), EmbedConfig(workers=workers), runner=runner)
    assert used == [7 if expected == "every core" else expected]
    assert (result.catalog["status"] == "ok").all()


@pytest.mark.gpu
def test_cuda_runs_upsample_on_the_gpu_and_match_the_cpu(cifar_tiny):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    from imgorg.embed import default_runner
    from imgorg.embed.preprocess import load_and_prepare

    on_gpu = EmbedConfig(device="cuda")
    runner = default_runner(on_gpu)
    assert runner.upsamples
    data = [path.read_bytes() for path in sorted(cifar_tiny.glob("*/*.jpg"))]
    native = dataclasses.replace(runner.spec.preprocess, upsample_on_device=True)
    small = np.stack([load_and_prepare(d, native) for d in data])
    pil = np.stack([load_and_prepare(d, runner.spec.preprocess) for d in data])
    upsampled = runner._upsample(torch.from_numpy(small).cuda()).cpu().numpy()
    assert np.abs(upsampled.astype(int) - pil).max() <= 1  # float32 on the GPU; exact on the CPU
    catalog = scan_folder(cifar_tiny)
    gpu = embed_catalog(cifar_tiny, catalog, on_gpu).embeddings
    cpu = embed_catalog(cifar_tiny, catalog, EmbedConfig(device="cpu")).embeddings
    assert (gpu * cpu).sum(axis=1).min() > 0.995  # L2-normalised: the cosine; fp16 against fp32 only
