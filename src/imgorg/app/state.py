"""What the app holds in memory for one workspace, loaded once at start."""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..cluster import NOISE
from ..images import decode_image
from ..project import METHODS as PROJECTIONS
from ..project import projection_name
from ..search import Neighbour, Searcher
from ..sources import source_path
from ..workspace import Workspace, has_artifact, load_workspace, read_artifact

log = logging.getLogger(__name__)

THUMBNAIL_SIZE = 96  # pixels, longer side


class AppState:
    def __init__(self, path: str | Path):
        self.ws: Workspace = load_workspace(path)
        self.images = self.ws.images  # rows align with embeddings
        self.row_of_id = {int(i): r for r, i in enumerate(self.images["id"])}
        self.root = Path(self.ws.manifest["source"]["root"])
        self.methods = [m for m in self.ws.metrics if m in self.ws.assignments.columns]
        self.has_labels = bool(self.images["label"].notna().all()) and len(self.images) > 0
        self.searcher = Searcher(self.ws)
        self.thumbnail = lru_cache(maxsize=4096)(self._thumbnail)

    # -- lookups -------------------------------------------------------------------------
    def row(self, image_id: int) -> int | None:
        return self.row_of_id.get(int(image_id))

    def method(self, name: str | None) -> str:
        return name if name in self.methods else self.ws.method

    def labels(self, method: str | None) -> np.ndarray:
        return self.ws.assignments[self.method(method)].to_numpy()

    def image_record(self, row: int, method: str | None = None) -> dict:
        image = self.images.iloc[row]
        return {
            "id": int(image["id"]), "path": str(image["path"]),
            "label": None if pd.isna(image["label"]) else str(image["label"]),
            "cluster": int(self.labels(method)[row]), "bytes": int(image["bytes"]),
        }

    # -- clusters ------------------------------------------------------------------------
    def clusters(self, method: str | None) -> list[dict]:
        labels = self.labels(method)
        out = []
        for cluster_id in np.unique(labels):
            members = np.flatnonzero(labels == cluster_id)
            entry = {"id": int(cluster_id), "size": int(len(members)), "noise": bool(cluster_id == NOISE)}
            if self.has_labels:
                counts = self.images["label"].iloc[members].value_counts()
                entry.update(top_label=str(counts.index[0]), top_share=float(counts.iloc[0] / len(members)))
            out.append(entry)
        return out

    def cluster_members(self, cluster_id: int, method: str | None) -> np.ndarray:
        """Rows of a cluster, most typical (closest to the centre) first."""
        name = self.method(method)
        labels = self.labels(name)
        rows = np.flatnonzero(labels == cluster_id)
        distance = self.ws.assignments.get(f"{name}_distance")
        if distance is not None:
            rows = rows[np.argsort(distance.to_numpy()[rows], kind="stable")]
        return rows

    # -- map -----------------------------------------------------------------------------
    def map_points(self, kind: str, dims: int) -> tuple[np.ndarray, str]:
        """A stored projection; falls back to the first PCA components (stored too)."""
        preferred = [kind] if kind in PROJECTIONS else []
        for method in preferred + [m for m in PROJECTIONS if m != kind]:
            if has_artifact(self.ws.path, projection_name(method, dims)):
                return read_artifact(self.ws.path, projection_name(method, dims)), method
        return self.ws.reduced[:, :dims], "pca"

    # -- images --------------------------------------------------------------------------
    def _thumbnail(self, row: int) -> bytes:
        # Only paths from the catalog are ever opened: the request gives an id, never a path.
        path = source_path(self.root, str(self.images.iloc[row]["path"]))
        image = decode_image(path.read_bytes(), draft_size=THUMBNAIL_SIZE)
        image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=85)
        return buffer.getvalue()

    # -- search (the same Searcher as `imgorg search`) ------------------------------------
    def neighbours(self, vector: np.ndarray, k: int, exclude: int | None = None) -> list[Neighbour]:
        return self.searcher.neighbours(vector, k, exclude)

    def embed_upload(self, data: bytes) -> np.ndarray:
        """Embed uploaded bytes as the workspace's images were (raises ImageDecodeError)."""
        return self.searcher.embed(data)

    def embed_text(self, text: str) -> np.ndarray:
        """Embed a sentence with CLIP's text tower (raises ConfigError unless the workspace is CLIP's)."""
        return self.searcher.embed_text(text)

    def predicted_cluster(self, neighbours: list[Neighbour], method: str | None, row: int | None = None) -> int:
        return self.searcher.predicted_cluster(neighbours, self.labels(method), row)
