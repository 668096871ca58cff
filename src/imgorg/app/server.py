"""FastAPI app: REST API under /api, one static page at /. Images only by catalog id."""

from __future__ import annotations

import logging
import os
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
from fastapi import FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.middleware.gzip import GZipMiddleware
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from ..constants import NOISE
from ..errors import ConfigError, ImageDecodeError, ImgorgError
from ..tasks.search import MAX_TEXT
from ..workspace import DUPLICATES_FILE, OUTLIERS_FILE, SKIPPED_FILE
from .edits import MAX_BODY, edit_routes
from .state import AppState

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # uploads past this get 413
MAX_K = 100
PAGE_SIZE = 48
FROM = Query(None, alias="from", description="Only images taken on or after this day (YYYY-MM-DD).")
TO = Query(None, alias="to", description="Only images taken on or before this day (YYYY-MM-DD).")


def create_app(workspace: str | Path) -> FastAPI:
    state = AppState(workspace)
    # FastAPI's /docs and /redoc load Swagger UI and ReDoc from a CDN, blank offline;
    # fastapi-offline serves the same pages from files in its wheel.
    app = FastAPIOffline(title="imgorg", description="Browse and curate a finished imgorg workspace.", version="1")
    app.state.imgorg = state
    app.add_middleware(GZipMiddleware, minimum_size=2048)  # the map of 60k points compresses ~4x

    @app.middleware("http")
    async def limit_bodies(request: Request, call_next):
        # Refused from the declared length, before anything is read: an upload past its limit, an edit past MAX_BODY.
        limit = MAX_UPLOAD_BYTES + 64 * 1024 if request.url.path == "/api/search" else MAX_BODY
        length = request.headers.get("content-length", "")
        if request.method == "POST" and length.isdigit() and int(length) > limit:
            return JSONResponse({"detail": f"request body of {int(length):,} bytes; the limit here is "
                                           f"{limit // (1024 * 1024)} MB"}, status_code=413)
        if request.url.path.startswith("/api/"):  # `imgorg add` or a rerun since the last request: read it again
            await run_in_threadpool(state.refresh)
        return await call_next(request)

    @app.exception_handler(ConfigError)
    async def bad_request(request: Request, err: ConfigError):  # e.g. a method the workspace does not store
        return JSONResponse({"detail": str(err)}, status_code=400)

    static = resources.files("imgorg.app") / "static"

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> str:
        return (static / "index.html").read_text(encoding="utf-8")

    @app.get("/static/{name}", include_in_schema=False)
    def static_file(name: str):
        allowed = {"app.js": "text/javascript", "app.css": "text/css"}
        if name in allowed:
            return Response((static / name).read_bytes(), media_type=allowed[name])
        if name == "plotly.min.js":
            return FileResponse(_plotly_js(), media_type="text/javascript")
        raise HTTPException(404, "no such file")

    @app.get("/api/summary")
    def summary():
        ws = state.ws
        return {"images": len(state.images), "failed": len(ws.failures), "methods": ws.methods,
                "default_method": ws.method, "base_method": ws.base_method, "edit_method": state.edit_method,
                "has_labels": ws.has_labels, "maps": {dims: ws.maps(dims) for dims in (2, 3)},
                "dates": state.dates(), "text_search": state.text_search(),
                "backbone": ws.manifest["backbone"]["id"], "selection": ws.manifest.get("selection", {})}

    @app.get("/api/metrics")
    def metrics():
        return {name: {k: v for k, v in scores.items() if k != "contingency"}
                for name, scores in state.ws.metrics.items()}

    @app.get("/api/clusters")
    def clusters(method: str | None = None, start: date | None = FROM, end: date | None = TO):
        method = state.ws.check_method(method)
        return {"method": method, "clusters": state.clusters(method, state.taken_between(start, end))}

    app.include_router(edit_routes(state))  # before /api/clusters/{cluster_id}: GET /api/clusters/history

    @app.get("/api/clusters/{cluster_id}")
    def cluster_detail(cluster_id: int, method: str | None = None, page: int = Query(0, ge=0),
                       page_size: int = Query(PAGE_SIZE, ge=1, le=500), start: date | None = FROM,
                       end: date | None = TO):
        method = state.ws.check_method(method)
        rows = state.ws.members(cluster_id, method)
        if len(rows) == 0:
            raise HTTPException(404, f"cluster {cluster_id} does not exist for method {method!r}")
        within = state.taken_between(start, end)
        if within is not None:
            rows = rows[within[rows]]
        entry = next((c for c in state.clusters(method, within) if c["id"] == cluster_id), None)
        if entry is None:  # the cluster has no image in the date range
            entry = {**next(c for c in state.clusters(method) if c["id"] == cluster_id), "size": 0}
        chunk = rows[page * page_size : (page + 1) * page_size]
        return {**entry, "method": method, "page": page, "page_size": page_size,
                "images": state.image_records(chunk, method)}

    @app.get("/api/images/{image_id}")
    def image(image_id: str, method: str | None = None):
        return state.image_record(_row(image_id), method)

    @app.get("/api/images/{image_id}/thumbnail")
    def thumbnail(image_id: str):
        try:
            data = state.thumbnail(_row(image_id))
        except (OSError, ImageDecodeError) as err:
            raise HTTPException(404, f"image {image_id} cannot be read any more: {err}") from None
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})

    @app.get("/api/map")
    def map_points(kind: str | None = None, dims: int = Query(2, ge=2, le=3), method: str | None = None,
                   start: date | None = FROM, end: date | None = TO):
        ws = state.ws
        method = ws.check_method(method)
        shown = ws.map_points(kind, dims)
        within = state.taken_between(start, end)
        keep = slice(None) if within is None else within
        names = ws.cluster_names(method)
        labels = ws.cluster_labels(method)[keep]
        return {"kind": shown.kind, "description": shown.description, "dims": dims, "method": method,
                "ids": state.images["id"].to_numpy()[keep].tolist(),
                "coords": [shown.points[keep, d].round(4).tolist() for d in range(dims)],
                "cluster": labels.tolist(),
                "names": {str(c): "noise" if c == NOISE else names.get(int(c), "") for c in np.unique(labels)},
                "label": ws.labels[keep].tolist() if ws.has_labels else None}

    @app.post("/api/search")
    async def search(request: Request, file: UploadFile | None = File(None), id: int | None = None,
                     k: int = Query(10, ge=1, le=MAX_K), method: str | None = None,
                     text: str | None = Query(None, min_length=1, max_length=MAX_TEXT)):
        method = state.ws.check_method(method)  # an unknown method is refused before any work
        exclude, how = None, None
        if text is not None:  # CLIP: the text tower (loaded by the first query); else the images' ImageNet tags
            try:
                found, how = await run_in_threadpool(state.searcher.search_text, text, k)
            except ImgorgError as err:
                raise HTTPException(400, str(err)) from None
            return {"method": method, "cluster": None, "query_id": None, "text": text, "how": how,
                    "neighbours": _with_similarity(found, method)}
        elif file is not None:
            data = await file.read(MAX_UPLOAD_BYTES + 1)
            if len(data) > MAX_UPLOAD_BYTES:
                raise HTTPException(413, f"upload is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
            try:  # in a worker thread: decoding and the model must not block the event loop
                vector = await run_in_threadpool(state.embed_upload, data)
            except ImageDecodeError as err:
                raise HTTPException(415, f"not a decodable image: {err.reason}") from None
        elif id is not None:
            exclude = _row(id)
            vector = state.ws.embeddings[exclude]
        else:
            raise HTTPException(422, "send an image file (multipart field 'file'), an image id (?id=) "
                                     "or a sentence (?text=)")
        found = await run_in_threadpool(state.neighbours, vector, k, exclude)
        return {"method": method, "cluster": state.predicted_cluster(found, method, exclude),
                "query_id": id, "text": text,
                "neighbours": _with_similarity(found, method)}

    @app.get("/api/quality")
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

    def _with_similarity(found, method: str) -> list[dict]:
        records = state.image_records([n.row for n in found], method)
        return [{**r, "similarity": round(n.similarity, 4)} for r, n in zip(records, found)]

    def _row(image_id: int | str) -> int:
        # Ids only: anything else (a path, "../../etc/passwd") is simply not an id -> 404.
        text = str(image_id)
        row = state.row(int(text)) if text.isdigit() else None
        if row is None:
            raise HTTPException(404, f"no image with id {image_id} in this workspace")
        return row

    return app


def _plotly_js() -> str:
    try:
        import plotly
    except ImportError:
        raise HTTPException(503, "the map needs plotly: pip install 'imgorg[app]'") from None
    return os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")
