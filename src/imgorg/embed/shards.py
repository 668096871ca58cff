"""Appending new embeddings to the cache shard by shard, shared by the local and Ray engines."""

from __future__ import annotations

import numpy as np

from .cache import EmbeddingCache


class ShardWriter:
    """Collects new embeddings and appends them to the cache every ``shard_size`` images.

    Both engines write through it, so a killed run of either resumes after its last shard."""

    def __init__(self, cache: EmbeddingCache | None, shard_size: int):
        self.cache, self.shard_size = cache, shard_size
        self.new: dict[str, np.ndarray] = {}
        self._shas: list[str] = []
        self._vectors: list[np.ndarray] = []

    def add(self, shas: list[str], vectors: np.ndarray) -> None:
        self.new.update(zip(shas, vectors))
        self._shas += shas
        self._vectors.append(vectors)
        if len(self._shas) >= self.shard_size:
            self._flush()

    def close(self) -> dict[str, np.ndarray]:
        """Write what is left; return every vector added, by sha."""
        self._flush()
        return self.new

    def _flush(self) -> None:
        if self.cache and self._shas:
            self.cache.append(self._shas, np.concatenate(self._vectors))
        self._shas, self._vectors = [], []
