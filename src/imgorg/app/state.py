"""What the app holds in memory for one workspace, loaded once at start: the workspace (read
through the Workspace API, as the CLI and the report read it), its searcher and thumbnails."""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..images import decode_image
from ..search import Neighbour, Searcher
from ..sources import source_path
from ..workspace import Workspace, load_workspace

log = logging.getLogger(__name__)

THUMBNAIL_SIZE = 96  # pixels, longer side


class AppState:
    def __init__(self, path: str | Path):
        self.ws: Workspace = load_workspace(path)
        self.images = self.ws.images  # rows align with embeddings
        self.row_of_id = {int(i): r for r, i in enumerate(self.images["id"])}
        self.searcher = Searcher(self.ws)
        self.thumbnail = lru_cache(maxsize=4096)(self._thumbnail)

    # -- lookups -------------------------------------------------------------------------
    def row(self, image_id: int) -> int | None:
        return self.row_of_id.get(int(image_id))

    def image_record(self, row: int, method: str | None = None) -> dict:
        image = self.images.iloc[row]
        return {
            "id": int(image["id"]), "path": str(image["path"]),
            "label": None if pd.isna(image["label"]) else str(image["label"]),
            "cluster": int(self.ws.cluster_labels(method)[row]), "bytes": int(image["bytes"]),
        }

    def clusters(self, method: str | None) -> list[dict]:
        return self.ws.clusters(method).to_dict(orient="records")

    # -- images --------------------------------------------------------------------------
    def _thumbnail(self, row: int) -> bytes:
        # Only paths from the catalog are ever opened: the request gives an id, never a path.
        path = source_path(self.ws.root, str(self.images.iloc[row]["path"]))
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

    def predicted_cluster(self, neighbours: list[Neighbour], method: str | None, row: int | None = None) -> int:
        return self.searcher.predicted_cluster(neighbours, self.ws.cluster_labels(method), row)
