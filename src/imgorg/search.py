"""Search a workspace by image (bytes or file) or by image id; used by the CLI and the app."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .cluster import NOISE
from .index import SearchIndex, load_index
from .workspace import Workspace


@dataclass
class Neighbour:
    row: int  # row in the workspace's embeddings (and in ``Workspace.images``)
    similarity: float  # cosine


class Searcher:
    """The workspace's stored index plus the backbone that made it, loaded on first use."""

    def __init__(self, ws: Workspace, index: SearchIndex | None = None):
        self.ws = ws
        self.index = index or load_index(ws.path, ws.embeddings)
        self._embedder = None
        self._lock = threading.Lock()

    def embed(self, data: bytes) -> np.ndarray:
        """Embed image bytes exactly as the run embedded its images (raises ImageDecodeError)."""
        from .config import EmbedConfig
        from .embed.engine import ImageEmbedder

        with self._lock:  # one set of models; inference one image at a time
            if self._embedder is None:
                self._embedder = ImageEmbedder(EmbedConfig(**self.ws.manifest["config"]["embed"]))
            return self._embedder(data)

    def neighbours(self, vector: np.ndarray, k: int, exclude: int | None = None) -> list[Neighbour]:
        """The k most similar images; ``exclude`` leaves out one row (the query image itself)."""
        sims, rows = self.index.search(vector, k, exclude=None if exclude is None else np.array([exclude]))
        return [Neighbour(int(r), float(s)) for r, s in zip(rows[0], sims[0]) if r >= 0]

    def by_row(self, row: int, k: int) -> list[Neighbour]:
        return self.neighbours(self.ws.embeddings[row], k, exclude=row)

    def predicted_cluster(self, neighbours: list[Neighbour], labels: np.ndarray) -> int:
        """Majority cluster of the neighbours (noise only if nothing else): nothing is refitted."""
        found = labels[[n.row for n in neighbours]]
        clustered = found[found != NOISE]
        values, counts = np.unique(clustered if len(clustered) else found, return_counts=True)
        return int(values[np.argmax(counts)]) if len(values) else NOISE
