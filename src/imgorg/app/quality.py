"""What needs a look, over REST: the files that failed or were skipped, and stored outliers and copies."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ..workspace import DUPLICATES_FILE, OUTLIERS_FILE, SKIPPED_FILE
from .state import AppState


def quality_routes(state: AppState) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["quality"])

    @router.get("/quality")
    def quality(limit: int = Query(100, ge=1, le=10_000)):
        out = {"failed": state.ws.failures[["id", "path", "error"]].head(limit).to_dict(orient="records")}
        if state.ws.has(SKIPPED_FILE):  # the folder's files that are not images, each with its reason
            skipped = state.ws.read(SKIPPED_FILE)[["path", "reason", "detail"]].astype(object)
            out["skipped_count"] = int(len(skipped))
            out["skipped"] = skipped.head(limit).fillna("").astype(str).to_dict(orient="records")
        for name, file in (("outliers", OUTLIERS_FILE), ("duplicates", DUPLICATES_FILE)):
            if state.ws.has(file):
                out[name] = state.ws.read(file).head(limit).to_dict(orient="records")
        return JSONResponse(out)

    return router
