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

from ..constants import GONE, NOISE
from ..constants import CURATED
from ..curation import Edit, Undo, compact, describe, latest_standing
from ..images import decode_image
from ..metadata import capture_range, taken_between
from ..tasks.search import Searcher, is_clip
from ..sources import source_path
from ..tasks.curate import edit_clusters, history
from ..views import Workspace, load_workspace
from .shots import badges, details

log = logging.getLogger(__name__)

THUMBNAIL_SIZE = 96  # pixels, longer side
PREVIEW_SIZE = 640  # pixels, longer side: one image shown large with its details


class AppState:
    def __init__(self, path: str | Path):
        self._edits = threading.Lock()  # the workspace lock is re-entrant per process, not per thread
        self._hold(load_workspace(path))

    def _hold(self, ws: Workspace) -> None:
        self.ws: Workspace = ws
        self.row_of_id = {int(i): r for r, i in enumerate(self.images["id"])}
        self.searcher = Searcher(self.ws)
        self.thumbnail = lru_cache(maxsize=4096)(self._thumbnail)
        self.preview = lru_cache(maxsize=64)(lambda row: self._thumbnail(row, PREVIEW_SIZE))
        self.face_crop = lru_cache(maxsize=4096)(self._face_crop)

    @property
    def images(self) -> pd.DataFrame:
        """The catalog rows as the edits leave them (a relabel, what a kept copy inherits), one frame
        while nothing changes; rows align with the embeddings. Read only."""
        return self.ws.cached(("app images",), lambda: self.ws.images)

    def refresh(self) -> None:
        """Read the workspace again when another process rewrote it (`imgorg add`, a rerun): the page
        then shows, and edits apply to, the images as they are now."""
        if self.ws.changed_on_disk():
            with self._edits:
                if self.ws.changed_on_disk():
                    self._hold(load_workspace(self.ws.path))

    # -- lookups -------------------------------------------------------------------------
    def row(self, image_id: int) -> int | None:
        return self.row_of_id.get(int(image_id))

    def image_record(self, row: int, method: str | None = None) -> dict:
        return self.image_records([row], method)[0]

    def image_details(self, row: int, method: str | None = None) -> dict:
        """The record and what the page shows of one image: capture time and where it was read, its
        sidecars' rating, keywords and description, notes, and the files of its shot (``shots.details``)."""
        found = details(self.images.iloc[int(row)])
        if found["gps"] is not None and self.ws.has_places():  # where, in words: the city its GPS is in
            at = self.ws.places().iloc[int(row)]
            found["place"] = ", ".join(str(at[c]) for c in ("place_city", "place_country") if not pd.isna(at[c])) or None
        return {**self.image_record(row, method), **found}

    def image_records(self, rows, method: str | None = None) -> list[dict]:
        """One record per row: id, path, label, cluster and its name, capture time, bytes, and what its
        thumbnail's badges say (``shots.badges``: a video and its length, a RAW+JPEG pair, a Live Photo)."""
        labels, names = self.ws.cluster_labels(method), self.ws.cluster_names(method)
        images, removed = self.images, self.ws.removed()  # once: each read checks the workspace's stamp
        out = []
        for row in rows:
            image = images.iloc[int(row)]
            cluster = NOISE if removed[row] else int(labels[row])  # set aside: in no cluster, whatever the method
            taken = image.get("taken_at")
            out.append({
                "id": int(image["id"]), "path": str(image["path"]),
                "label": None if pd.isna(image["label"]) else str(image["label"]),
                "cluster": cluster, "cluster_name": self._set_aside(int(image["id"])) if removed[row]
                else "noise" if cluster == NOISE else names.get(cluster, ""),
                "taken_at": None if taken is None or pd.isna(taken) else pd.Timestamp(taken).isoformat(),
                "bytes": int(image["bytes"]), **badges(image),
            })
        return out

    def _set_aside(self, image_id: int) -> str:
        """What an image a review removed is, in place of its cluster's name (it is in none)."""
        if self.ws.removal_kinds().get(image_id) == GONE:
            return "gone from the folder"
        kept = self.ws.curated().removed.get(image_id)
        return "set aside by the review" + (f" (#{kept} is kept)" if kept is not None else "")

    def clusters(self, method: str | None, within: np.ndarray | None = None) -> list[dict]:
        """The clusters of ``method``; with ``within`` (a mask over the images) ``size`` counts only
        those images, ``total`` all of them, and clusters with none of them are left out."""
        return self.ws.clusters(method, within).to_dict(orient="records")

    # -- capture dates ---------------------------------------------------------------------
    def dates(self) -> dict:
        return capture_range(self.images)

    def taken_between(self, start: date | None, end: date | None) -> np.ndarray | None:
        return taken_between(self.images, start, end)

    def within(self, start: date | None, end: date | None, places=(), people=()) -> np.ndarray | None:
        """The images the page's filters keep (a mask over the images): taken in [start, end], at any of
        ``places``, showing every one of ``people``; None when no filter is set."""
        dates = self.taken_between(start, end)
        if not places and not people:
            return dates
        hit = self.ws.image_filter(places, people)  # a ConfigError (400) names an unknown person or a missing GPS
        return hit if dates is None else hit & dates

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
            undone = latest_standing(self.ws.edit_log()) if isinstance(edit, Undo) else None
            before = self.ws.cluster_names(self.edit_method) if undone else {}  # the undone edit's names
            result = edit_clusters(self.ws, edit)
            if result.workspace is not self.ws:  # read again: another process had rewritten it
                self._hold(result.workspace)
            record = result.edit
            text = f"undid: {describe(undone, before)}" if undone else describe(record, self.ws.cluster_names(CURATED))
            out = {"edit": record, "text": text, "method": CURATED, "clusters": self.clusters(CURATED)}
            if undone:
                out["undid"] = compact(undone)
            return out

    def person_edit(self, change) -> tuple[dict, str]:
        """Apply one edit of the people (``imgorg.persons``; a ConfigError says why one is refused): the
        record appended and a sentence, which for an undo says what it undid."""
        from ..persons import UndoPerson
        from ..persons import describe as describe_person
        from ..tasks.person import edit_people

        with self._edits:
            undone = latest_standing(self.ws.person_log()) if isinstance(change, UndoPerson) else None
            record = edit_people(self.ws, change).edit
        return record, f"undid: {describe_person(undone)}" if undone else describe_person(record)

    def review_edit(self, act) -> list:
        """Accept or dismiss review findings: ``act(ws)`` makes the edits (``imgorg.tasks.review``) and
        returns their EditResults; the app then holds the workspace after them."""
        with self._edits:
            results = act(self.ws)
            if results and results[-1].workspace is not self.ws:
                self._hold(results[-1].workspace)
            return results

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
    def _face_crop(self, face_id: int) -> bytes:
        buffer = io.BytesIO()
        self.ws.face_crop(face_id).save(buffer, format="JPEG", quality=88)
        return buffer.getvalue()

    def _thumbnail(self, row: int, size: int = THUMBNAIL_SIZE) -> bytes:
        # Only paths from the catalog are ever opened: the request gives an id, never a path.
        path = source_path(self.ws.root, str(self.images.iloc[row]["path"]))
        image = decode_image(path.read_bytes(), draft_size=size)
        image.thumbnail((size, size))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=85)
        return buffer.getvalue()
