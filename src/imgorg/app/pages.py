"""The page itself: index.html and its static files (plotly from its wheel, nothing from a CDN)."""

from __future__ import annotations

import os
from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

STATIC = {"app.js": "text/javascript", "app.css": "text/css"}


def page_routes() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    static = resources.files("imgorg.app") / "static"

    @router.get("/", response_class=HTMLResponse)
    def index() -> str:
        return (static / "index.html").read_text(encoding="utf-8")

    @router.get("/static/{name}")
    def static_file(name: str):
        if name in STATIC:
            return Response((static / name).read_bytes(), media_type=STATIC[name])
        if name == "plotly.min.js":
            return FileResponse(plotly_js(), media_type="text/javascript")
        raise HTTPException(404, "no such file")

    return router


def plotly_js() -> str:
    try:
        import plotly
    except ImportError:
        raise HTTPException(503, "the map needs plotly: pip install 'imgorg[app]'") from None
    return os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")
