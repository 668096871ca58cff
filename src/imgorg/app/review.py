"""What needs a look, over REST: the stored review (``imgorg review``) per kind, its findings grouped
as the page shows them, acting on them (accept, dismiss; undo is ``POST /api/clusters/undo``),
computing a review in a worker thread, and the files that failed or were skipped (``/api/quality``).

Accepting and dismissing are edits in the curation log, as `imgorg review --accept` makes them: an
image removed leaves the clusters, the map, search and exports, and undo brings it back.
"""

from __future__ import annotations

import threading
import time

import pandas as pd
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..config import DEFAULT_REVIEW_KINDS, REVIEW_KINDS, ReviewConfig
from ..constants import CURATED
from ..curation import compact, describe
from ..errors import ImgorgError
from ..review.leaks import split_of
from ..review.table import KIND_TITLES, is_open, summary
from ..tasks.review import (accept_findings, check_kind, dismiss_findings, not_looked_for, review_collection,
                            stored_notes, with_stored_splits)
from ..views import load_workspace
from ..workspace import DUPLICATES_FILE, OUTLIERS_FILE, SKIPPED_FILE
from .edits import MAX_IMAGES
from .state import AppState

PAGE_SIZE = 24  # groups (or single findings) per page of a kind
STATUSES = ("open", "accepted", "dismissed", "all")
HOW = "run `imgorg review WS` (or press Run review here): copies, similar shots, bad shots, outliers, leaks, wrong labels"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not silently ignored


class AcceptBody(_Body):
    kind: str | None = Field(None, description="Only findings of this kind (default: every kind, where findings that ask for a look stay open).")
    ids: list[int] | None = Field(None, max_length=MAX_IMAGES, description="Only these image ids (default: all open).")


class DismissBody(_Body):
    kind: str = Field(description="The kind of finding a person rejects ('keep both').")
    ids: list[int] | None = Field(None, max_length=MAX_IMAGES, description="Only these image ids (default: all open).")


class RunBody(_Body):
    kinds: list[str] | None = Field(None, max_length=len(REVIEW_KINDS), description="What to look for (default: all but similar shots, as `imgorg review`).")
    splits: list[str] | None = Field(None, max_length=100, description="Top-level folders that are splits, the keeper first.")


class ReviewJob:
    """One review computed in a worker thread on its own copy of the workspace; the app's copy sees the
    new review.parquet when the manifest changes (``Store.files`` reads it again)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.status: dict = {"state": "idle"}

    def start(self, path, config: ReviewConfig) -> bool:
        with self._lock:
            if self.status["state"] == "running":
                return False
            self.status = {"state": "running", "started": time.time()}
        threading.Thread(target=self._work, args=(path, config), daemon=True, name="imgorg-review").start()
        return True

    def _work(self, path, config: ReviewConfig) -> None:
        start = time.perf_counter()
        try:
            result = review_collection(load_workspace(path), config)
            done = {"state": "done", "findings": int(len(result.table)), "notes": result.notes}
        except (ImgorgError, OSError) as err:
            done = {"state": "failed", "error": str(err)}
        except Exception as err:  # a bug: said on the page rather than lost in a thread
            done = {"state": "failed", "error": f"{type(err).__name__}: {err}"}
        done["seconds"] = round(time.perf_counter() - start, 1)
        with self._lock:
            self.status = done


def review_routes(state: AppState) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["review"])
    job = ReviewJob()

    @router.get("/review")
    def overview():
        """Per kind found: images and groups (the copy kept of each too), how many findings are open
        (``review.table.is_open``, as `imgorg review` counts them), accepted, dismissed or set aside
        (removed for a finding of another kind), what is suggested for the open ones and a few of them;
        ``notes`` say what the review did not look for and why, and how far its findings hold."""
        ws = state.ws
        table = ws.review()
        out = {"stored": table is not None, "job": job.status, "valid_kinds": list(REVIEW_KINDS),
               "removed": int(ws.removed().sum()), "notes": [], "kinds": []}
        if table is None:
            out["how"] = f"No review of this workspace yet: {HOW}."
            return out
        for row in summary(table).to_dict(orient="records"):
            title, about = KIND_TITLES[row["kind"]]
            actions = row.pop("actions")
            out["kinds"].append({**row, "title": title, "about": about, "open_actions": actions})
        has_splits = bool(table["split"].notna().any())
        unlooked = set(not_looked_for(ws.images, has_splits, DEFAULT_REVIEW_KINDS))
        found = {k["kind"] for k in out["kinds"]}
        out["none_found"] = [k for k in REVIEW_KINDS if k not in found | unlooked]  # looked for, none found
        out["open"] = sum(k["open"] for k in out["kinds"])
        out["notes"] = [note[:1].upper() + note[1:] + "." for note in stored_notes(ws)]
        return out

    @router.post("/review/run", status_code=202)
    def run(body: RunBody | None = None):
        """Compute the review in a worker thread; GET /api/review says when it is done."""
        body = body or RunBody()
        config = ReviewConfig(kinds=tuple(body.kinds) if body.kinds else ReviewConfig.kinds,
                              splits=tuple(body.splits) if body.splits else None)
        config.validate()  # an unknown kind is refused now (400), not in the thread
        split_of(state.ws.images["path"], config.splits)  # and so is a split the collection lacks
        if not job.start(state.ws.path, config):
            raise HTTPException(409, "a review of this workspace is being computed already")
        return job.status

    @router.get("/review/{kind}")
    def findings(kind: str, status: str = Query("open", pattern=f"^({'|'.join(STATUSES)})$"),
                 page: int = Query(0, ge=0), page_size: int = Query(PAGE_SIZE, ge=1, le=500),
                 method: str | None = None):
        """One kind's findings, a group (a set of copies, a series) or a single finding per unit: the
        groups with any finding of ``status``, each with all its images (the one kept too)."""
        check_kind(kind)
        method = state.ws.check_method(method)
        table = state.ws.review()
        if table is None:
            raise HTTPException(404, f"no review of this workspace yet: {HOW}")
        known = table["id"].map(lambda i: state.row(i) is not None)  # a finding about an image no longer here: left out
        units = _units(table[(table["kind"] == kind) & known], status)
        chunk = units[page * page_size : (page + 1) * page_size]
        rows = [r for unit in chunk for r in unit.itertuples()]
        records = iter(state.image_records([state.row(r.id) for r in rows], method))
        where = _split_of_image(state)
        out = [{"group": None if unit["group"].iat[0] < 0 else int(unit["group"].iat[0]),
                "images": [_finding(r, next(records), where) for r in unit.itertuples()]} for unit in chunk]
        return {"kind": kind, "title": KIND_TITLES[kind][0], "about": KIND_TITLES[kind][1], "status": status,
                "method": method, "page": page, "page_size": page_size, "units": len(units), "groups": out}

    @router.post("/review/accept")
    def accept(body: AcceptBody):
        """Act on the suggestions of open findings: remove (copies, bad shots, leaks) or relabel."""
        kind = check_kind(body.kind) if body.kind is not None else None
        answer = _answer(state.review_edit(lambda ws: accept_findings(ws, kind, body.ids)))
        if kind is None and body.ids is None:  # every kind at once leaves the findings that ask for a look
            table = state.ws.review()
            answer["left_open"] = int((is_open(table) & (table["action"] == "look")).sum())
            if answer["left_open"]:
                answer["text"] += (f"; {answer['left_open']} finding(s) that ask for a look stay open: accept them "
                                   "by kind")
        return answer

    @router.post("/review/dismiss")
    def dismiss(body: DismissBody):
        """Keep the images of open findings as they are ("keep both"): they are not shown as open again."""
        kind = check_kind(body.kind)
        return _answer(state.review_edit(lambda ws: [dismiss_findings(ws, kind, body.ids)]))

    @router.get("/quality")
    def quality(limit: int = Query(100, ge=1, le=10_000)):
        """The files that could not be used: failed to decode, or skipped (not images); and the tables of
        `imgorg outliers` and `imgorg duplicates` where they are stored."""
        ws = state.ws
        out = {"failed": ws.failures[["id", "path", "error"]].head(limit).to_dict(orient="records")}
        if ws.has(SKIPPED_FILE):  # the folder's files that are not images, each with its reason
            skipped = ws.read(SKIPPED_FILE)[["path", "reason", "detail"]].astype(object)
            out["skipped_count"] = int(len(skipped))
            out["skipped"] = skipped.head(limit).fillna("").astype(str).to_dict(orient="records")
        for name, file in (("outliers", OUTLIERS_FILE), ("duplicates", DUPLICATES_FILE)):
            if ws.has(file):
                out[name] = ws.read(file).head(limit).to_dict(orient="records")
        return JSONResponse(out)

    return router


def _units(found: pd.DataFrame, status: str) -> list[pd.DataFrame]:
    """The findings as the page shows them: a group's rows together (the one kept first), a single
    finding alone; only units with a finding of ``status`` (any, for "all"), in the table's order."""
    units = []
    grouped = found[found["group"] >= 0]
    for _, rows in grouped.groupby("group", sort=True):
        units.append(rows.sort_values("action", key=lambda a: a != "keep", kind="stable"))
    units += [found.loc[[i]] for i in found.index[found["group"] < 0]]
    if status != "all":
        units = [u for u in units if (u["status"] == status).any()]
    return units


def _split_of_image(state: AppState):
    """Each image's split by id (None outside splits) as the review takes them, in the order it was
    last given, else by folder names: where a leak's match is, which is no finding of its own."""
    ws = state.ws
    paths = ws.images["path"]
    split = ws.cached(("splits",), lambda: split_of(paths, with_stored_splits(ReviewConfig(), ws.manifest,
                                                                            paths).splits))
    return lambda image: None if split is None or state.row(image) is None else split[state.row(image)]


def _finding(row, record: dict, split_of_image) -> dict:
    """One finding with its image's record (cluster, label, path), the thumbnail's address and the split
    of the image it was compared with."""
    partner = None if pd.isna(row.partner) else int(row.partner)
    return {**record, "action": row.action, "reason": row.reason,
            "score": None if pd.isna(row.score) else float(row.score),  # JSON has no NaN
            "status": row.status, "split": None if pd.isna(row.split) else str(row.split),
            "partner": partner, "partner_split": None if partner is None else split_of_image(partner),
            "suggested": None if pd.isna(row.suggested) else str(row.suggested),
            "thumbnail": f"/api/images/{row.id}/thumbnail"}


def _answer(results) -> dict:
    """What the page shows after an action: a sentence per edit and the method edits apply to."""
    edits = [r.edit for r in results]
    text = "; ".join(describe(e, {}) for e in edits)
    if len(edits) > 1:  # each is one edit in the log
        text += f" ({len(edits)} edits: Undo takes back one at a time)"
    return {"text": text[:1].upper() + text[1:], "edits": [{k: v for k, v in compact(e).items() if k != "kept"} for e in edits], "method": CURATED}

