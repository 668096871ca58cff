"""What the app holds in memory for one workspace, loaded once at start: the workspace (read
through the Workspace API, as the CLI and the report read it), its searcher and thumbnails."""

from __future__ import annotations

import io
import logging
import threading
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..cluster import NOISE
from ..curation import CURATED, Edit, Undo, effective
from ..errors import ConfigError
from ..images import decode_image
from ..metadata import SOURCE_EXIF, SOURCE_FILE
from ..search import Neighbour, Searcher, is_clip
from ..sources import source_path
from ..tasks.curate import edit_clusters, history
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
        self._edits = threading.Lock()  # the workspace lock is re-entrant per process, not per thread

    # -- lookups -------------------------------------------------------------------------
    def row(self, image_id: int) -> int | None:
        return self.row_of_id.get(int(image_id))

    def image_record(self, row: int, method: str | None = None) -> dict:
        return self.image_records([row], method)[0]

    def image_records(self, rows, method: str | None = None) -> list[dict]:
        """One record per row: id, path, label, cluster and its name, capture time, bytes."""
        labels, names = self.ws.cluster_labels(method), self.ws.cluster_names(method)
        out = []
        for row in rows:
            image = self.images.iloc[int(row)]
            cluster = int(labels[row])
            taken = image.get("taken_at")
            out.append({
                "id": int(image["id"]), "path": str(image["path"]),
                "label": None if pd.isna(image["label"]) else str(image["label"]),
                "cluster": cluster, "cluster_name": "noise" if cluster == NOISE else names.get(cluster, ""),
                "taken_at": None if taken is None or pd.isna(taken) else pd.Timestamp(taken).isoformat(),
                "bytes": int(image["bytes"]),
            })
        return out

    def clusters(self, method: str | None, within: np.ndarray | None = None) -> list[dict]:
        """The clusters of ``method``; with ``within`` (a mask over the images) ``size`` counts only
        those images, ``total`` all of them, and clusters with none of them are left out."""
        return clusters_within(self.ws, method, within).to_dict(orient="records")

    # -- capture dates ---------------------------------------------------------------------
    def dates(self) -> dict:
        return capture_range(self.images)

    def taken_between(self, start: date | None, end: date | None) -> np.ndarray | None:
        return taken_between(self.images, start, end)

    # -- curation (the same verb as `imgorg clusters`) -------------------------------------
    @property
    def edit_method(self) -> str:
        """The clustering edits apply to as it stands: ``curated``, or before any edit the stored
        clustering it will start from."""
        return CURATED if CURATED in self.ws.methods else self.ws.base_method

    def edit(self, edit: Edit) -> dict:
        """Apply one edit (a ConfigError says why one is refused); the record, a sentence that
        says what it did, and the curated clusters after it."""
        with self._edits:
            undone = _latest_standing(self.ws) if isinstance(edit, Undo) else None
            before = self.ws.cluster_names(self.edit_method) if undone else {}  # the undone edit's names
            record = edit_clusters(self.ws, edit).edit
            text = f"undid: {describe(undone, before)}" if undone else describe(record, self.ws.cluster_names(CURATED))
            out = {"edit": record, "text": text, "method": CURATED, "clusters": self.clusters(CURATED)}
            if undone:
                out["undid"] = compact(undone)
            return out

    def history(self) -> dict:
        """Every edit, oldest first, compact (image lists as counts), each with ``standing``, a
        sentence, and for an undo the position of the edit it undid."""
        edits = history(self.ws)
        names = self.ws.cluster_names(self.edit_method)
        stack: list[int] = []
        out = []
        for i, edit in enumerate(edits):
            entry = {**compact(edit), "standing": edit["standing"], "text": describe(edit, names)}
            if edit["op"] == "undo":
                entry["undid"] = stack.pop() if stack else None
                if entry["undid"] is not None:
                    entry["text"] = f"undid #{entry['undid'] + 1}: {out[entry['undid']]['text']}"
            else:
                stack.append(i)
            out.append(entry)
        log_ = self.ws.edit_log()
        return {"base": log_["base"] if log_ else self.ws.base_method, "edits": out}

    def text_search(self) -> str | None:
        """How a sentence is searched here: "clip" (the text tower), "tags" (ImageNet classes under a
        word), or None (neither: search by image)."""
        if is_clip(self.ws):
            return "clip"
        return "tags" if self.ws.tags() is not None else None

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


def capture_times(images: pd.DataFrame) -> pd.Series:
    """Each image's capture time (naive, local wall-clock; NaT where unknown)."""
    if "taken_at" not in images:
        return pd.Series(pd.NaT, index=images.index, dtype="datetime64[ns]")
    return pd.to_datetime(images["taken_at"], errors="coerce")


def capture_range(images: pd.DataFrame) -> dict:
    """The first and last capture time (ISO 8601) and how many images have a time from EXIF, from
    the file's modification time, or none."""
    times = capture_times(images)
    source = images["taken_at_source"] if "taken_at_source" in images else pd.Series(None, index=images.index)
    known = times.notna()
    return {"first": times.min().isoformat() if known.any() else None,
            "last": times.max().isoformat() if known.any() else None,
            "exif": int((known & (source == SOURCE_EXIF)).sum()), "file": int((known & (source == SOURCE_FILE)).sum()),
            "unknown": int((~known).sum())}


def taken_between(images: pd.DataFrame, start: date | None, end: date | None) -> np.ndarray | None:
    """A mask of the images taken from day ``start`` to day ``end``, both included (either may be
    None: no bound); None when neither is given. Images without a capture time are outside any range."""
    if start is None and end is None:
        return None
    if start is not None and end is not None and start > end:
        raise ConfigError(f"the date range starts on {start} after it ends on {end}: give a 'from' date on or "
                          f"before the 'to' date")
    times = capture_times(images)
    keep = times.notna()
    if start is not None:
        keep &= times >= pd.Timestamp(start)
    if end is not None:
        keep &= times < pd.Timestamp(end) + pd.Timedelta(days=1)
    return keep.to_numpy()


def clusters_within(ws: Workspace, method: str | None, within: np.ndarray | None = None) -> pd.DataFrame:
    """``ws.clusters(method)`` plus ``total``; with ``within`` (a boolean mask over the images),
    ``size``, ``top_label`` and ``top_share`` count only the images in it, and clusters with none
    of them are left out."""
    table = ws.clusters(method)
    table["total"] = table["size"]
    if within is None:
        return table
    labels = ws.cluster_labels(method)[within]
    ids, sizes = np.unique(labels, return_counts=True)
    table["size"] = pd.Series(sizes, index=ids).reindex(table["id"].to_numpy()).fillna(0).astype(np.int64).to_numpy()
    table = table[table["size"] > 0].reset_index(drop=True)
    if "top_label" in table and len(table):
        grouped = pd.DataFrame({"cluster": labels, "label": ws.labels[within]}).groupby("cluster")["label"]
        counts = grouped.agg(lambda s: s.value_counts().iloc[0]).reindex(table["id"].to_numpy()).to_numpy()
        top = grouped.agg(lambda s: str(s.value_counts().index[0])).reindex(table["id"].to_numpy()).to_numpy()
        table["top_label"], table["top_share"] = top, (counts / table["size"].to_numpy()).astype(float)
    return table


def _latest_standing(ws: Workspace) -> dict | None:
    """The edit an undo would cancel now."""
    log_ = ws.edit_log()
    standing = effective(log_["edits"]) if log_ else []
    return standing[-1] if standing else None


def compact(edit: dict) -> dict:
    """An edit record with its image lists as counts (a split of a large cluster lists every image)."""
    out = {k: v for k, v in edit.items() if k not in ("images", "parts", "standing")}
    if "images" in edit:
        out["n_images"] = len(edit["images"])
    if "parts" in edit:
        out["part_sizes"] = {str(c): len(members) for c, members in edit["parts"].items()}
    return out


def describe(edit: dict, names: dict[int, str]) -> str:
    """What an edit did, in a sentence: clusters by id and, where they have one, name."""
    def named(cluster) -> str:
        name = names.get(int(cluster))
        return f"cluster {cluster}" + (f" ({name!r})" if name else "")

    op = edit["op"]
    images = edit.get("images", [])
    count = f"{len(images)} image{'s' if len(images) != 1 else ''}"
    if op == "rename":
        return f"renamed cluster {edit['cluster']} to {edit['name']!r}"
    if op == "merge":
        into = f"cluster {edit['into']}" + (f" ({edit['name']!r})" if edit.get("name") else "")
        return f"merged clusters {', '.join(map(str, edit['clusters']))} into {into}"
    if op == "split":
        return f"split cluster {edit['cluster']} into clusters {', '.join(edit['parts'])}"
    if op == "move":
        return f"moved {count} to {named(edit['to'])}"
    if op == "drop":
        return f"dropped {count} from their clusters"
    if op == "add":
        return f"added {count} new"
    return "undid the latest edit"
