"""Curation over REST: rename, merge, split, move, drop, undo and the history, as `imgorg clusters` does.

Every edit applies to the curated clustering, whatever method the page shows, and answers the
edit record, a sentence that says what it did and the curated clusters after it. An edit the
library refuses is a 400 with its reason; an unknown cluster id in the path is a 404; a body
that does not parse is a 422 (FastAPI's validation).
"""

from __future__ import annotations

from fastapi import APIRouter, Body, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from ..curation import Drop, Merge, Move, Rename, Split, Undo, check_clusters
from ..errors import ConfigError
from .state import AppState

MAX_IMAGES = 100_000  # image ids in one move or drop
MAX_CLUSTERS = 1_000  # clusters in one merge
MAX_TEXT = 1_000  # characters in a name field (the library refuses names past its own, smaller, limit)
MAX_BODY = 2 * 1024 * 1024  # bytes of an edit's JSON body (MAX_IMAGES ids fit in about 1 MB); server.py refuses more


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not silently ignored


class RenameBody(_Body):
    name: str = Field(max_length=MAX_TEXT, description="The cluster's new name.")


class MergeBody(_Body):
    clusters: list[int] = Field(max_length=MAX_CLUSTERS, description="Two or more cluster ids; the first keeps its id.")
    name: str | None = Field(None, max_length=MAX_TEXT, description="The merged cluster's name (default: the first's).")


class SplitBody(_Body):
    k: int = Field(2, description="Parts: k-means on the cluster's images.")


class MoveBody(_Body):
    images: list[int] = Field(max_length=MAX_IMAGES, description="Image ids.")
    to: int = Field(description="The cluster they go to.")


class DropBody(_Body):
    images: list[int] = Field(max_length=MAX_IMAGES, description="Image ids: they belong to no cluster any more.")


def edit_routes(state: AppState) -> APIRouter:
    """The curation endpoints; ``GET /api/clusters/history`` comes before ``/api/clusters/{id}``,
    so the router must be included before that route is declared."""
    router = APIRouter(prefix="/api/clusters", tags=["curation"])

    def existing(cluster_id: int) -> int:
        try:
            check_clusters([cluster_id], state.ws.cluster_labels(state.edit_method))
        except ConfigError as err:
            raise HTTPException(404, str(err)) from None
        return cluster_id

    @router.get("/history")
    def edit_history():
        """Every edit, oldest first, with whether it stands and what it did."""
        return state.history()

    @router.post("/{cluster_id}/rename")
    def rename(cluster_id: int, body: RenameBody):
        return state.edit(Rename(existing(cluster_id), body.name))

    @router.post("/{cluster_id}/split")
    def split(cluster_id: int, body: SplitBody | None = Body(None)):
        return state.edit(Split(existing(cluster_id), (body or SplitBody()).k))

    @router.post("/merge")
    def merge(body: MergeBody):
        return state.edit(Merge(tuple(body.clusters), body.name))

    @router.post("/move")
    def move(body: MoveBody):
        return state.edit(Move(tuple(body.images), body.to))

    @router.post("/drop")
    def drop(body: DropBody):
        return state.edit(Drop(tuple(body.images)))

    @router.post("/undo")
    def undo():
        """Cancel the latest edit that stands; the answer's ``undid`` is that edit."""
        return state.edit(Undo())

    return router
