"""FastAPI app: REST API under /api, one static page at /. Images only by catalog id.

One router per area: the page (``pages``), browsing (``browse``), curation (``edits``), search
(``search``), what needs a look (``review``), people (``people``) and the files of a shot (``camera``); this module only puts them together with the
limits and error handling every request shares.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from ..errors import ConfigError
from .browse import browse_routes, summary_routes
from .camera import camera_routes
from .edits import MAX_BODY, edit_routes
from .pages import page_routes
from .people import people_routes
from .review import review_routes
from .search import MAX_UPLOAD_BYTES, search_routes
from .state import AppState

log = logging.getLogger(__name__)


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

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError):
        # FastAPI's own answer, each error's ``input`` cut short: it echoed a body of 700,000 ids whole (1.4 MB)
        errors = [{**e, "input": _short(e.get("input"))} if "input" in e else e for e in err.errors()]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)

    @app.exception_handler(ConfigError)
    async def bad_request(request: Request, err: ConfigError):  # e.g. a method the workspace does not store
        return JSONResponse({"detail": str(err)}, status_code=400)

    for router in (page_routes(), summary_routes(state), edit_routes(state), browse_routes(state),
                   search_routes(state), review_routes(state), people_routes(state), camera_routes(state)):
        app.include_router(router)  # curation before browsing: GET /api/clusters/history, then /{cluster_id}
    return app


def _short(value, most: int = 200):
    """A request's value as an error may quote it: long lists and strings cut to ``most`` characters."""
    text = repr(value)
    return value if len(text) <= most else text[:most] + f"... ({len(text):,} characters)"
