"""Torch modules behind the backbone ids (imported lazily: torch is heavy)."""

from __future__ import annotations

import torch


class PooledFeatures(torch.nn.Module):
    """uint8 NHWC RGB -> (x - mean) / std -> trunk feature map -> global average pool."""

    def __init__(self, trunk: torch.nn.Module, mean, std):
        super().__init__()
        self.trunk = trunk
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.permute(0, 3, 1, 2).float()
        x = (x - self.mean) / self.std
        return self.trunk(x).mean(dim=(2, 3))


class _LiteTrunk(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.extract_features(x)


def efficientnet_lite(variant: int, weights_path: str, input_size: int, mean, std) -> PooledFeatures:
    from efficientnet_lite_pytorch import EfficientNet

    # Static "same" padding is computed from image_size: build at the size we feed.
    model = EfficientNet.from_name(f"efficientnet-lite{variant}", image_size=input_size)
    state = torch.load(weights_path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return PooledFeatures(_LiteTrunk(model), mean, std).eval()
