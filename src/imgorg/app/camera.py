"""The files a camera or a phone leaves beside the photos, over REST: each file of a shot served by the
image's id (the RAW of a RAW+JPEG pair, a Live Photo's video, a sidecar, a video item itself) and the
Review tab's "Camera files" summary (``companions.companions_summary`` of the whole catalog).

A part is found through the catalog row of an image id, never from a path in the request, and is
served only when it lies inside the source folder once links and ".." are resolved.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse

from ..companions import companions_summary
from .browse import image_row
from .shots import PART_WORDS, camera_files, content_type, inline, inside, part_paths
from .state import AppState


def camera_routes(state: AppState) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["camera files"])

    @router.get("/images/{image_id}/part")
    def part(image_id: str,
             which: Literal["file", "original", "motion", "sidecar"] = Query(
                 "file", description="file: the catalogued file itself (a video item's video); original: the RAW of "
                                     "a RAW+JPEG pair; motion: a Live Photo's video; sidecar: the n-th sidecar"),
             n: int = Query(0, ge=0, le=10_000, description="Which sidecar, from 0 (as /api/images/{id} lists them).")):
        """One file of the image's shot, with its content type: a video or a JPEG inline (a <video> plays it),
        a RAW or a sidecar as a download. 404 with the reason when the image has no such part."""
        row = state.images.iloc[image_row(state, image_id)]
        paths = part_paths(row, which)
        if not paths:
            raise HTTPException(404, f"image {image_id} has no {PART_WORDS[which]}")
        if n >= len(paths):
            raise HTTPException(404, f"image {image_id} has {len(paths)} {which} file{'s' * (len(paths) != 1)} "
                                     f"(n from 0 to {len(paths) - 1}); n={n} is none of them")
        path = inside(state.ws.root, paths[n], state.ws.manifest.get("added_from", ()))
        if path is None:
            raise HTTPException(403, f"{paths[n]!r} lies outside the source folder {str(state.ws.root)!r} and the "
                                     "folders images were added from: not served")
        if not path.is_file():
            raise HTTPException(404, f"{paths[n]} is not in the source folder any more (moved or deleted since the run)")
        media = content_type(path.name)
        return FileResponse(path, media_type=media, filename=path.name,
                            content_disposition_type="inline" if inline(media) else "attachment")

    @router.get("/camera-files")
    def camera_files_summary(examples: int = Query(5, ge=0, le=100, description="Examples listed per kind.")):
        """What imgorg read beside the photos: RAW+JPEG pairs, Live Photos, sidecars (per kind, how many
        photos have a rating or keywords), videos (count, total length, formats, failed) and truncated
        files, each with a few examples and their ids."""
        catalog = state.ws.catalog
        summary = state.ws.cached(("companions",), lambda: companions_summary(catalog))
        return camera_files(catalog, summary, examples)

    return router
