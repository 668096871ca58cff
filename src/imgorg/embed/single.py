"""One image's bytes embedded exactly as a run embeds its images: for search by upload."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..config import EmbedConfig
from ..reduce import l2_normalize
from .backbones import COMBINE, preprocess_for, split_backbones
from .preprocess import load_and_prepare
from .runners import Runner, default_runner, features


class ImageEmbedder:
    """Embeds one image's bytes as ``embed_catalog`` would (parts, TTA, normalisation).

    Models load on first use and are kept; raises ImageDecodeError."""

    def __init__(self, config: EmbedConfig):
        self.config = config
        self._runners: dict[str, Runner] = {}

    def __call__(self, data: bytes) -> np.ndarray:
        parts = split_backbones(self.config.backbone) if COMBINE in self.config.backbone else [self.config.backbone]
        vectors = []
        for backbone in parts:
            config = dataclasses.replace(self.config, backbone=backbone)
            pixels = load_and_prepare(data, preprocess_for(config))[None]
            if backbone not in self._runners:
                self._runners[backbone] = default_runner(config)
            vectors.append(l2_normalize(features(self._runners[backbone], pixels, config.tta)))
        return l2_normalize(np.concatenate(vectors, axis=1))[0]
