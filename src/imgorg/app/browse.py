"""Browsing over REST: the summary, scores, clusters and their images, one image, a thumbnail, the map."""

from __future__ import annotations

from datetime import date

import numpy as np
from fastapi import APIRouter, HTTPException, Query

from ..constants import NOISE
from ..errors import ConfigError, ImageDecodeError
from ..views.workspace import MAP_ORDER
from .state import AppState

PAGE_SIZE = 48
FROM = Query(None, alias="from", description="Only images taken on or after this day (YYYY-MM-DD).")
TO = Query(None, alias="to", description="Only images taken on or before this day (YYYY-MM-DD).")
PLACE = Query([], description="Only images at one of these places: a city, region, country or country code.")
PERSON = Query([], description="Only images that show every one of these people (ids or names).")
COLOURS = ("cluster", "label", "person", "place")


def image_row(state: AppState, image_id: int | str) -> int:
    """The row of an image id; anything else (a path, "../../etc/passwd") is simply not an id: 404."""
    text = str(image_id)
    is_id = text.isascii() and text.isdigit()  # "²", "٣" are digits to str, not ids
    row = state.row(int(text)) if is_id else None
    if row is None:
        try:  # the workspace says why: a file that failed to decode, or the range ids run in
            state.ws.rows_of([int(text)]) if is_id else None
        except ConfigError as err:
            raise HTTPException(404, str(err)) from None
        raise HTTPException(404, f"no image with id {image_id} in this workspace")
    return row


def summary_routes(state: AppState) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["browse"])

    @router.get("/summary")
    def summary():
        ws = state.ws
        return {"images": len(state.images), "removed": int(ws.removed().sum()), "failed": len(ws.failures),
                "methods": ws.methods,
                "default_method": ws.method, "base_method": ws.base_method, "edit_method": state.edit_method,
                "has_labels": ws.has_labels, "maps": {dims: ws.maps(dims) for dims in (2, 3)},
                "dates": state.dates(), "text_search": state.text_search(),
                "has_people": ws.has_people(), "has_places": ws.has_places(),
                "backbone": ws.manifest["backbone"]["id"], "selection": ws.manifest.get("selection", {})}

    @router.get("/metrics")
    def metrics():
        return {name: {k: v for k, v in scores.items() if k != "contingency"}
                for name, scores in state.ws.metrics.items()}

    @router.get("/clusters")
    def clusters(method: str | None = None, start: date | None = FROM, end: date | None = TO,
                 place: list[str] = PLACE, person: list[str] = PERSON):
        method = state.ws.check_method(method)
        return {"method": method, "clusters": state.clusters(method, state.within(start, end, place, person))}

    return router


def browse_routes(state: AppState) -> APIRouter:
    """A cluster's images, one image, a thumbnail and the map; included after the curation router,
    whose ``/api/clusters/history`` must come before ``/api/clusters/{cluster_id}``."""
    router = APIRouter(prefix="/api", tags=["browse"])

    @router.get("/clusters/{cluster_id}")
    def cluster_detail(cluster_id: int, method: str | None = None, page: int = Query(0, ge=0),
                       page_size: int = Query(PAGE_SIZE, ge=1, le=500), start: date | None = FROM,
                       end: date | None = TO, place: list[str] = PLACE, person: list[str] = PERSON):
        method = state.ws.check_method(method)
        rows = state.ws.members(cluster_id, method)
        if len(rows) == 0:
            raise HTTPException(404, f"cluster {cluster_id} does not exist for method {method!r}")
        within = state.within(start, end, place, person)
        if within is not None:
            rows = rows[within[rows]]
        entry = next((c for c in state.clusters(method, within) if c["id"] == cluster_id), None)
        if entry is None:  # the cluster has no image that the filters keep
            entry = {**next(c for c in state.clusters(method) if c["id"] == cluster_id), "size": 0}
        chunk = rows[page * page_size : (page + 1) * page_size]
        return {**entry, "method": method, "page": page, "page_size": page_size,
                "images": state.image_records(chunk, method)}

    @router.get("/images/{image_id}")
    def image(image_id: str, method: str | None = None):
        """The image's record and details: capture time and its source, sidecar fields, the files of its shot."""
        return state.image_details(image_row(state, image_id), method)

    @router.get("/images/{image_id}/thumbnail")
    def thumbnail(image_id: str):
        return _jpeg(state.thumbnail, image_id)

    @router.get("/images/{image_id}/preview")
    def preview(image_id: str):
        """The image (a video's poster frame) at most 640 pixels on its longer side, as a JPEG."""
        return _jpeg(state.preview, image_id)

    def _jpeg(render, image_id: str):
        from fastapi.responses import Response

        try:
            data = render(image_row(state, image_id))
        except (OSError, ImageDecodeError) as err:
            raise HTTPException(404, f"image {image_id} cannot be read any more: {err}") from None
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})

    @router.get("/map")
    def map_points(kind: str | None = None, dims: int = Query(2, ge=2, le=3), method: str | None = None,
                   start: date | None = FROM, end: date | None = TO, place: list[str] = PLACE,
                   person: list[str] = PERSON,
                   colour: str = Query("cluster", description="cluster, label, person (each image's main person: "
                                       "its largest face's) or place; person and place add that array")):
        """The map's points: ``kind`` where stored at ``dims``, else the stored map preferred (the answer's
        ``kind`` says which is shown), else the first PCA components."""
        ws = state.ws
        method = ws.check_method(method)
        if colour not in COLOURS:
            raise HTTPException(400, f"colour {colour!r} is not one of {', '.join(COLOURS)}")
        if kind is not None and kind not in MAP_ORDER:
            raise HTTPException(400, f"map kind {kind!r} is not one of {', '.join(MAP_ORDER)}")
        shown = ws.map_points(kind, dims)
        within = state.within(start, end, place, person)
        keep = ~ws.removed() if within is None else within & ~ws.removed()  # a review's removals leave the map
        names = ws.cluster_names(method)
        labels = ws.cluster_labels(method)[keep]
        return {"kind": shown.kind, "description": shown.description, "dims": dims, "method": method,
                "ids": state.images["id"].to_numpy()[keep].tolist(),
                "coords": [shown.points[keep, d].round(4).tolist() for d in range(dims)],
                "cluster": labels.tolist(),
                "names": {str(c): "noise" if c == NOISE else names.get(int(c), "") for c in np.unique(labels)},
                "label": ws.labels[keep].tolist() if ws.has_labels else None,
                **_colours(ws, colour, keep)}

    return router


def _colours(ws, colour: str, keep: np.ndarray) -> dict:
    """Per point, its main person or its place ("" for none) when the map is coloured by them."""
    if colour == "person":
        if not ws.has_people():
            raise HTTPException(400, "this workspace has no faces to colour by: run `imgorg people WS` first")
        return {"person": [p for p, k in zip(ws.image_person_labels(), keep) if k]}
    if colour == "place":
        return {"place": [p for p, k in zip(ws.image_place_labels(), keep) if k]}
    return {}
