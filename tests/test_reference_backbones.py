"""Every hub backbone computes what its reference implementation computes (docs/backbones.md).

Each reference model is built from its maintained package with random weights, written in the
published checkpoint's layout and loaded back through imgorg's ``--weights`` path. Two checks
per model: the networks on identical input tensors, and the whole path (image file ->
embedding) with each side's own preprocessing. Runs in its own venv: ``make test-reference``.
"""

from __future__ import annotations

import io
import logging

import numpy as np
import pytest
import torch
from matplotlib.cbook import get_sample_data
from PIL import Image

from imgorg.config import EmbedConfig
from imgorg.embed.backbones import get_backbone
from imgorg.embed.clip_text import VOCAB_NAME, BpeTokenizer, ClipTextEncoder

from .conftest import extract_cifar, reference_package

try:
    from imgorg.embed import ImageEmbedder
except ImportError:
    from imgorg.embed.engine import ImageEmbedder

torchvision = reference_package("torchvision")
open_clip = reference_package("open_clip")
dinov2_vits = reference_package("dinov2.models.vision_transformer")
dinov2_transforms = reference_package("dinov2.data.transforms")

pytestmark = [
    pytest.mark.reference,
    pytest.mark.slow,
    # torch.jit's deprecation notices, from reading OpenAI's TorchScript file (both sides do).
    pytest.mark.filterwarnings("ignore:.*torch.jit.*:FutureWarning"),
    pytest.mark.filterwarnings("ignore:.*TorchScript archive:UserWarning"),
]
TOLERANCE = 1e-4  # max abs difference, fp32 on CPU


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> dict[str, bytes]:
    """Real image files: four CIFAR-10 test JPEGs (32 px: upsampled) and a photo, portrait and landscape.

    The photo is matplotlib's Grace Hopper (512x600 JPEG), stored as PNG so both sides decode the
    same pixels (imgorg decodes large JPEGs at a reduced scale: docs/backbones.md). The landscape
    crop is 575x512, whose resized long side (251.56 px) is not whole: it pins the rounding."""
    folder = extract_cifar(tmp_path_factory.mktemp("reference-cifar"), per_class=1)
    found = {path.parent.name: path.read_bytes() for path in sorted(folder.glob("*/*.jpg"))}
    chosen = {name: found[name] for name in ("airplane", "cat", "ship", "truck")}
    photo = Image.open(get_sample_data("grace_hopper.jpg", asfileobj=False)).convert("RGB")
    chosen["photo-512x600"] = _png(photo)
    chosen["photo-575x512"] = _png(photo.crop((0, 0, 512, 575)).transpose(Image.Transpose.ROTATE_90))
    return chosen


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _perturbed(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random weights everywhere, layer norms and layer scales included, so no detail hides behind 1s and 0s."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn(parameter.shape, generator=generator) * 0.02)
    return model.eval()


def _calibrated(cnn: torch.nn.Module, batch: torch.Tensor) -> torch.nn.Module:
    """Batch-norm statistics taken from real images, as training leaves them (a random deep CNN
    without them maps every image to nearly the same vector)."""
    for module in cnn.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = 1.0
    with torch.no_grad():
        cnn.train()(batch)
    return cnn.eval()


def _ours(backbone_id: str, weights, size: int) -> torch.nn.Module:
    return get_backbone(backbone_id).build(str(weights), size)


def _pixels(images: dict[str, bytes], backbone_id: str, size: int) -> torch.Tensor:
    """uint8 NHWC: imgorg's preprocessing of the images, the input both networks get."""
    from imgorg.embed.preprocess import Preprocess, load_and_prepare

    pre = get_backbone(backbone_id).preprocess
    pre = Preprocess(size, pre.mean, pre.std, pre.resample)
    return torch.from_numpy(np.stack([load_and_prepare(data, pre) for data in images.values()]))


def _as_reference_input(pixels: torch.Tensor, mean, std) -> torch.Tensor:
    """The same pixels as the reference takes them: ToTensor then its own Normalize."""
    x = pixels.permute(0, 3, 1, 2).float() / 255
    return torchvision.transforms.functional.normalize(x, mean, std)


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def assert_close(ours: np.ndarray, reference: np.ndarray) -> None:
    """Within TOLERANCE, and the reference's images differ from each other by far more than that."""
    assert ours.shape == reference.shape
    gap = float(np.abs(ours - reference).max())
    assert gap <= TOLERANCE, f"max abs difference {gap:.2e} > {TOLERANCE:.0e}"
    spread = float(np.ptp(reference, axis=0).max())
    assert spread > 100 * TOLERANCE, f"the reference gives every image nearly one vector (spread {spread:.1e})"


def assert_same_network(ours, reference, pixels: torch.Tensor, mean, std) -> None:
    """The two networks on the same pixels; features compared as embeddings (L2-normalised)."""
    with torch.inference_mode():
        assert_close(_unit(ours(pixels).numpy()), _unit(reference(_as_reference_input(pixels, mean, std)).numpy()))


def assert_same_embeddings(backbone_id: str, weights, reference, transform, images: dict[str, bytes], caplog,
                           image_size: int | None = None) -> None:
    """imgorg's whole path (bytes -> decode -> its preprocessing -> ONNX on CPU -> L2) against the
    reference's own transform and model on the decoded image."""
    config = EmbedConfig(backbone=backbone_id, weights=str(weights), device="cpu", image_size=image_size)
    embed = ImageEmbedder(config)
    with caplog.at_level(logging.WARNING):
        ours = np.stack([embed(data) for data in images.values()])
    fallback = [r for r in caplog.records if r.levelno >= logging.WARNING and "ONNX" in r.getMessage()]
    assert not fallback, f"the ONNX export failed, torch ran instead: {fallback[0].getMessage()}"
    batch = torch.stack([transform(Image.open(io.BytesIO(data)).convert("RGB")) for data in images.values()])
    with torch.inference_mode():
        theirs = reference(batch).numpy()
    assert_close(ours, _unit(theirs))


# -- torchvision: ResNet-18, ResNet-50, MobileNetV2 ------------------------------------------

TORCHVISION = {
    "resnet18": ("resnet18", "ResNet18_Weights"),
    "resnet50": ("resnet50", "ResNet50_Weights"),
    "mobilenet_v2": ("mobilenet_v2", "MobileNet_V2_Weights"),
}


@pytest.fixture(scope="module", params=sorted(TORCHVISION))
def torchvision_model(request, images, tmp_path_factory):
    """(id, published weights enum, reference trunk with its head removed, checkpoint path)."""
    backbone_id = request.param
    builder, weights_enum = TORCHVISION[backbone_id]
    weights = getattr(torchvision.models, weights_enum).IMAGENET1K_V1
    batch = _as_reference_input(_pixels(images, backbone_id, 224), weights.transforms().mean, weights.transforms().std)
    model = _calibrated(_perturbed(getattr(torchvision.models, builder)()), batch)
    path = tmp_path_factory.mktemp(backbone_id) / "weights.pth"
    torch.save(model.state_dict(), path)  # torchvision's file is its plain state dict, head included
    if backbone_id == "mobilenet_v2":
        model.classifier = torch.nn.Identity()
    else:
        model.fc = torch.nn.Identity()
    return backbone_id, weights, model, path


def test_torchvision_network_matches(torchvision_model, images):
    backbone_id, weights, model, path = torchvision_model
    preset = weights.transforms()
    pixels = _pixels(images, backbone_id, 224)
    assert_same_network(_ours(backbone_id, path, 224), model, pixels, preset.mean, preset.std)


def test_torchvision_embeddings_match_through_its_own_transform(torchvision_model, images, caplog):
    """torchvision's transform of these weights, with the one deliberate change: shorter side
    to 224, not 256 (imgorg keeps the whole centre square)."""
    backbone_id, weights, model, path = torchvision_model
    assert_same_embeddings(backbone_id, path, model, weights.transforms(resize_size=224), images, caplog)


def test_torchvision_preset_differs_from_imgorg_only_in_the_resize(torchvision_model):
    backbone_id, weights, _, _ = torchvision_model
    spec, preset = get_backbone(backbone_id), weights.transforms()
    assert spec.url == weights.url  # the file imgorg downloads is the one these weights name
    assert np.allclose(np.array(preset.mean) * 255, spec.preprocess.mean)
    assert np.allclose(np.array(preset.std) * 255, spec.preprocess.std)
    assert preset.interpolation.value == spec.preprocess.resample == "bilinear"
    assert preset.crop_size == [spec.preprocess.input_size] == [224]
    assert preset.resize_size == [256]  # imgorg: 224, documented in docs/backbones.md


# -- CLIP ViT-B/32 (open_clip, OpenAI's checkpoint), image and text towers --------------------

CLIP = "clip-vit-b-32"


def _torchscript_archive(state: dict[str, torch.Tensor], path) -> None:
    """A TorchScript archive whose state_dict is ``state``, as OpenAI publishes CLIP."""
    root = torch.nn.Module()
    for key, value in state.items():
        *parents, leaf = key.split(".")
        node = root
        for name in parents:
            if not hasattr(node, name):
                node.add_module(name, torch.nn.Module())
            node = getattr(node, name)
        node.register_buffer(leaf, value)
    torch.jit.script(root).save(str(path))


@pytest.fixture(scope="module")
def clip_checkpoint(tmp_path_factory):
    """OpenAI's ViT-B-32.pt layout: both towers, fp16 weights, the three size entries, TorchScript."""
    model = _perturbed(open_clip.create_model("ViT-B-32-quickgelu", pretrained=None))
    open_clip.model.convert_weights_to_fp16(model)  # OpenAI's own conversion, ported by open_clip
    state = model.state_dict() | {"input_resolution": torch.tensor(224), "context_length": torch.tensor(77),
                                  "vocab_size": torch.tensor(49408)}
    path = tmp_path_factory.mktemp("clip") / "ViT-B-32.pt"
    _torchscript_archive(state, path)
    return path


@pytest.fixture(scope="module")
def clip_reference(clip_checkpoint):
    """open_clip's loader of OpenAI's file (what pretrained="openai" runs), in fp32."""
    return open_clip.load_openai_model(str(clip_checkpoint), precision="fp32", device="cpu")


def _clip_preprocess_cfg() -> dict:
    return open_clip.get_pretrained_cfg("ViT-B-32", "openai")


@pytest.mark.parametrize("size", [224, 160, 288])
def test_clip_image_tower_matches(size, clip_checkpoint, clip_reference, images):
    """At 224 the grid is OpenAI's; at other sizes open_clip resizes it (force_image_size)."""
    reference = clip_reference
    if size != 224:
        reference = open_clip.create_model("ViT-B-32-quickgelu", pretrained=None, force_image_size=size)
        open_clip.load_checkpoint(reference, str(clip_checkpoint), weights_only=False)
        reference.eval()
    cfg = _clip_preprocess_cfg()
    pixels = _pixels(images, CLIP, size)
    assert_same_network(_ours(CLIP, clip_checkpoint, size), reference.encode_image, pixels, cfg["mean"], cfg["std"])


def test_clip_embeddings_match_through_open_clips_transform(clip_checkpoint, clip_reference, images, caplog):
    cfg = _clip_preprocess_cfg()
    transform = open_clip.image_transform(224, is_train=False, mean=cfg["mean"], std=cfg["std"],
                                          interpolation=cfg["interpolation"], resize_mode=cfg["resize_mode"])
    assert_same_embeddings(CLIP, clip_checkpoint, clip_reference.encode_image, transform, images, caplog)


def test_clip_preprocessing_is_the_published_one():
    spec, cfg = get_backbone(CLIP), _clip_preprocess_cfg()
    assert spec.url == cfg["url"]
    assert np.allclose(np.array(cfg["mean"]) * 255, spec.preprocess.mean)
    assert np.allclose(np.array(cfg["std"]) * 255, spec.preprocess.std)
    assert (cfg["interpolation"], cfg["resize_mode"]) == (spec.preprocess.resample, "shortest")
    assert cfg["quick_gelu"]


TEXTS = ["a diagram", "A photo of a RED car!", "naïve café, 42 cats & dogs 🚗", "x " * 100]


def test_clip_tokenizer_matches_open_clip():
    from importlib import resources

    vocab = resources.files("open_clip") / VOCAB_NAME
    reference = open_clip.tokenizer.SimpleTokenizer(str(vocab))
    tokens = reference(TEXTS)
    assert tokens[0, :4].tolist() == [49406, 320, 22697, 49407]  # OpenAI's README example
    ours = BpeTokenizer(str(vocab))
    assert torch.equal(tokens, torch.from_numpy(np.stack([ours.tokenize(t, 77) for t in TEXTS])))


def test_clip_text_tower_matches(clip_checkpoint, clip_reference):
    from importlib import resources

    vocab = resources.files("open_clip") / VOCAB_NAME
    tokens = open_clip.tokenizer.SimpleTokenizer(str(vocab))(TEXTS)
    encoder = ClipTextEncoder(clip_checkpoint, vocab)
    with torch.inference_mode():
        theirs = clip_reference.encode_text(tokens).numpy()
    assert_close(np.stack([encoder(text) for text in TEXTS]), _unit(theirs))


# -- DINOv2 ViT-S/14 and ViT-B/14 (the dinov2 package: facebookresearch/dinov2's model code) -

DINOV2 = {"dinov2-vits14": "vit_small", "dinov2-vitb14": "vit_base"}
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


@pytest.fixture(scope="module", params=sorted(DINOV2))
def dinov2_model(request, tmp_path_factory):
    """(id, reference model, checkpoint path). The model is built as the hub's dinov2_vits14 /
    dinov2_vitb14 build it (518 px, so a 37x37 position grid; layer scale; no chunks)."""
    backbone_id = request.param
    model = getattr(dinov2_vits, DINOV2[backbone_id])(img_size=518, patch_size=14, init_values=1.0,
                                                      ffn_layer="mlp", block_chunks=0)
    model = _perturbed(model)
    path = tmp_path_factory.mktemp(backbone_id) / "weights.pth"
    torch.save(model.state_dict(), path)  # the published *_pretrain.pth is this plain state dict
    return backbone_id, model, path


@pytest.mark.parametrize("size", [224, 168, 518])
def test_dinov2_network_matches(size, dinov2_model, images):
    """518 keeps the trained grid (two images: 1,370 tokens are slow on CPU); 224 and 168
    interpolate it (16x16, 12x12) as DINOv2 does."""
    backbone_id, model, path = dinov2_model
    if size == 518:
        images = {name: images[name] for name in ("cat", "photo-575x512")}
    pixels = _pixels(images, backbone_id, size)
    assert_same_network(_ours(backbone_id, path, size), model, pixels, IMAGENET_MEAN, IMAGENET_STD)


@pytest.mark.parametrize("size", [224, 168])
def test_dinov2_embeddings_match_through_its_own_transform(size, dinov2_model, images, caplog):
    """DINOv2's eval transform with imgorg's one deliberate change: shorter side to the input size."""
    backbone_id, model, path = dinov2_model
    transform = dinov2_transforms.make_classification_eval_transform(resize_size=size, crop_size=size)
    assert_same_embeddings(backbone_id, path, model, transform, images, caplog, image_size=size)


def test_dinov2_eval_transform_differs_from_imgorg_only_in_the_resize():
    resize, crop, _, normalize = dinov2_transforms.make_classification_eval_transform().transforms
    for backbone_id in DINOV2:
        pre = get_backbone(backbone_id).preprocess
        assert np.allclose(np.array(normalize.mean) * 255, pre.mean)
        assert np.allclose(np.array(normalize.std) * 255, pre.std)
        assert resize.interpolation.value == pre.resample == "bicubic"
        assert list(crop.size) == [pre.input_size, pre.input_size] == [224, 224]
        assert resize.size == 256  # imgorg: 224, documented in docs/backbones.md
