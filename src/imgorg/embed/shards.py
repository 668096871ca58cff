"""Appending new embeddings to the cache shard by shard, shared by the local and Ray engines."""

from __future__ import annotations

import contextlib

import numpy as np

from .cache import EmbeddingCache
from .tags import Tags


class ShardWriter:
    """Collects new embeddings (and tags) and appends them to the cache every ``shard_size`` images.

    Both engines write through it, so a killed run of either resumes after its last shard, and an
    interrupted one (Ctrl-C) after its last image (``kept_on_failure``)."""

    def __init__(self, cache: EmbeddingCache | None, shard_size: int):
        self.cache, self.shard_size = cache, shard_size
        self.new: dict[str, np.ndarray] = {}
        self.new_tags: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._shas: list[str] = []
        self._vectors: list[np.ndarray] = []
        self._tags: list[Tags] = []

    def add(self, shas: list[str], vectors: np.ndarray, tags: Tags | None = None) -> None:
        self.new.update(zip(shas, vectors))
        if tags is not None:
            self.new_tags.update(zip(shas, zip(tags.classes, tags.probs)))
            self._tags.append(tags)
        self._shas += shas
        self._vectors.append(vectors)
        if len(self._shas) >= self.shard_size:
            self._flush()

    @contextlib.contextmanager
    def kept_on_failure(self):
        """Write what was added when the block fails or is interrupted (Ctrl-C): a rerun goes on after
        it, also where the run stopped before its first full shard."""
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):  # a second failure must not hide the first
                self._flush()
            raise

    def close(self) -> tuple[dict[str, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]]]:
        """Write what is left; return every vector added, and the tags of those that have them, by sha."""
        self._flush()
        return self.new, self.new_tags

    def _flush(self) -> None:
        if self.cache and self._shas:
            tags = None
            if self._tags and sum(len(t) for t in self._tags) == len(self._shas):
                tags = Tags(np.concatenate([t.classes for t in self._tags]), np.concatenate([t.probs for t in self._tags]))
            self.cache.append(self._shas, np.concatenate(self._vectors), tags)
        self._shas, self._vectors, self._tags = [], [], []
