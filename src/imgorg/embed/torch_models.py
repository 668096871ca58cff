"""Torch modules behind the backbone ids (imported lazily: torch is heavy)."""

from __future__ import annotations

import torch


class PooledFeatures(torch.nn.Module):
    """uint8 NHWC RGB -> (x - mean) / std -> trunk -> global average pool of a feature map.

    A trunk that already returns (N, D) (the ViTs' image embedding) is passed through.
    With a ``head`` (the backbone's ImageNet-1k classifier on the pooled features) the
    forward pass returns (features, class probabilities): the tags cost one small matrix
    product, not a second pass."""

    def __init__(self, trunk: torch.nn.Module, mean, std, head: torch.nn.Linear | None = None):
        super().__init__()
        self.trunk = trunk
        self.head = head
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, images: torch.Tensor):
        x = images.permute(0, 3, 1, 2).to(self.mean.dtype)  # fp16 when the module was .half()ed
        x = (x - self.mean) / self.std
        features = self.trunk(x)
        features = features.mean(dim=(2, 3)) if features.dim() == 4 else features
        if self.head is None:
            return features
        return features, self.head(features).float().softmax(dim=1)


def linear_head(state: dict[str, torch.Tensor], prefix: str) -> torch.nn.Linear:
    """The classifier ``prefix``.weight / ``prefix``.bias of a checkpoint as a Linear layer."""
    weight, bias = state[f"{prefix}.weight"].float(), state[f"{prefix}.bias"].float()
    head = torch.nn.Linear(weight.shape[1], weight.shape[0])
    head.load_state_dict({"weight": weight, "bias": bias})
    return head


class _LiteTrunk(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.extract_features(x)


def efficientnet_lite(variant: int, weights_path: str, input_size: int, mean, std,
                      with_head: bool = False) -> PooledFeatures:
    from efficientnet_lite_pytorch import EfficientNet

    # Static "same" padding is computed from image_size: build at the size we feed.
    model = EfficientNet.from_name(f"efficientnet-lite{variant}", image_size=input_size)
    state = torch.load(weights_path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return PooledFeatures(_LiteTrunk(model), mean, std, model._fc if with_head else None).eval()


# id -> (constructor, prefix of the trunk's keys in the published checkpoint)
def _hub_architecture(name: str, input_size: int):
    from . import architectures as arch

    table = {
        "resnet18": (arch.resnet18, ""),
        "resnet50": (arch.resnet50, ""),
        "mobilenet_v2": (arch.MobileNetV2, ""),
        "clip-vit-b-32": (lambda: arch.ClipVisionTransformer(input_resolution=input_size), "visual."),
        "dinov2-vits14": (lambda: arch.DinoVisionTransformer(input_size, dim=384, heads=6), ""),
        "dinov2-vitb14": (lambda: arch.DinoVisionTransformer(input_size, dim=768, heads=12), ""),
    }
    build, prefix = table[name]
    return build(), prefix


def load_state(weights_path: str) -> dict[str, torch.Tensor]:
    """A state dict from a plain state dict, a training checkpoint ({"state_dict"|"model": ...})
    or a TorchScript archive (OpenAI's CLIP files)."""
    try:
        state = torch.load(weights_path, map_location="cpu", weights_only=True)
    except RuntimeError:
        state = torch.jit.load(weights_path, map_location="cpu").state_dict()
    for key in ("state_dict", "model", "teacher"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    return {k.removeprefix("module."): v for k, v in state.items()}


def hub_model(name: str, weights_path: str, input_size: int, mean, std, head: str = "") -> PooledFeatures:
    """One of the in-project architectures (embed/architectures.py) with its checkpoint loaded;
    with ``head`` (the checkpoint's prefix of its ImageNet classifier), that classifier too."""
    trunk, prefix = _hub_architecture(name, input_size)
    state = load_state(weights_path)
    classifier = linear_head(state, head) if head and {f"{head}.weight", f"{head}.bias"} <= state.keys() else None
    if prefix and any(k.startswith(prefix) for k in state):
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    own = trunk.state_dict().keys()
    state = {k: v.float() for k, v in state.items() if k in own}  # drops classifier heads; CLIP ships fp16
    missing = sorted(set(own) - set(state))
    if missing:
        from ..errors import BackboneError

        raise BackboneError(f"{weights_path!r} is not a {name} checkpoint: it lacks {len(missing)} tensors "
                            f"({', '.join(missing[:3])}, ...); pass the published weights with --weights")
    if hasattr(trunk, "load_checkpoint"):
        trunk.load_checkpoint(state)
    else:
        trunk.load_state_dict(state)
    return PooledFeatures(trunk, mean, std, classifier).eval()
