"""Embedding cache keyed by file content hash, one folder per backbone key.

Shards are written as embedding goes (vectors .npy + hashes .parquet, each
atomic), so a killed run keeps every completed shard and resumes after it. For a
backbone with a classifier the .parquet also holds each image's tags (top classes
and their probabilities: ``class_1..``, ``prob_1..``).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import EmbedConfig
from ..fileio import file_sha256, write_npy, write_parquet
from .backbones import COMBINE, get_backbone, preprocess_for, split_backbones
from .tags import TOP, Tags

CLASS_COLUMNS = [f"class_{i}" for i in range(1, TOP + 1)]
PROB_COLUMNS = [f"prob_{i}" for i in range(1, TOP + 1)]

log = logging.getLogger(__name__)


class EmbeddingCache:
    def __init__(self, folder: Path, dim: int):
        self.folder = Path(folder)
        self.dim = dim

    def load(self) -> tuple[dict[str, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]]]:
        """(every cached vector by sha256, the (classes, probs) tags of those that have them).
        A shard whose two files disagree is ignored; a later shard wins over an earlier one."""
        vectors_by_sha: dict[str, np.ndarray] = {}
        tags_by_sha: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for keys_path in sorted(self.folder.glob("shard-*.parquet")):
            vectors_path = keys_path.with_suffix(".npy")
            try:
                keys = pd.read_parquet(keys_path)
                shas = keys["sha256"].tolist()
                vectors = np.load(vectors_path, allow_pickle=False)
            except (OSError, ValueError, KeyError) as err:
                log.warning("ignoring unreadable cache shard %s: %s", keys_path.name, err)
                continue
            if vectors.shape != (len(shas), self.dim):
                log.warning("ignoring cache shard %s: shape %s does not match", keys_path.name, vectors.shape)
                continue
            vectors_by_sha.update(zip(shas, vectors))
            if set(CLASS_COLUMNS) <= set(keys.columns):
                classes, probs = keys[CLASS_COLUMNS].to_numpy(np.int16), keys[PROB_COLUMNS].to_numpy(np.float32)
                tags_by_sha.update(zip(shas, zip(classes, probs)))
            else:  # an older shard without tags: a newer one of the same image must not keep them
                for sha in shas:
                    tags_by_sha.pop(sha, None)
        return vectors_by_sha, tags_by_sha

    def append(self, shas: list[str], vectors: np.ndarray, tags: Tags | None = None) -> None:
        """Write one shard; vectors first, so a shard's key file implies its vectors."""
        if not shas:
            return
        index = len(list(self.folder.glob("shard-*.parquet")))
        stem = self.folder / f"shard-{index:05d}"
        while stem.with_suffix(".parquet").exists():
            index += 1
            stem = self.folder / f"shard-{index:05d}"
        write_npy(stem.with_suffix(".npy"), vectors.astype(np.float32))
        keys = pd.DataFrame({"sha256": shas})
        if tags is not None:
            keys[CLASS_COLUMNS] = tags.classes
            keys[PROB_COLUMNS] = tags.probs
        write_parquet(stem.with_suffix(".parquet"), keys)


def cache_key(config: EmbedConfig) -> str:
    """Backbone id + input pixels + weights + TTA: an embedding is reused only if all match.

    A combined backbone's key joins its parts' keys with "+"."""
    if COMBINE in config.backbone:
        return COMBINE.join(cache_key(dataclasses.replace(config, backbone=b))
                            for b in split_backbones(config.backbone))
    spec = get_backbone(config.backbone)
    weights = file_sha256(spec.weights_path(config.weights))[:12]
    return f"{spec.id}-{preprocess_for(config).signature()}-{weights}{'-tta' if config.tta else ''}"
