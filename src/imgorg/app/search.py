"""Search over REST: by an uploaded image, an image id or words, through the library's one query rule
(``imgorg.tasks.search.resolve_query``) and the Searcher that keeps the models loaded."""

from __future__ import annotations

from fastapi import APIRouter, File, HTTPException, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from ..config import SearchConfig
from ..errors import ImageDecodeError, ImgorgError
from ..tasks.search import MAX_TEXT, find_similar, resolve_query
from .browse import image_row
from .state import AppState

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # uploads past this get 413
MAX_K = 100


def search_routes(state: AppState) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["search"])

    @router.post("/search")
    async def search(file: UploadFile | None = File(None), id: int | None = None,
                     k: int = Query(10, ge=1, le=MAX_K), method: str | None = None,
                     text: str | None = Query(None, min_length=1, max_length=MAX_TEXT)):
        method = state.ws.check_method(method)  # an unknown method is refused before any work
        given = [name for name, value in (("an image file", file), ("an image id", id), ("words", text))
                 if value is not None]
        if len(given) > 1:
            raise HTTPException(422, f"give one query, not {' and '.join(given)}")
        data = None
        if file is not None and text is None:
            data = await file.read(MAX_UPLOAD_BYTES + 1)
            if len(data) > MAX_UPLOAD_BYTES:
                raise HTTPException(413, f"upload is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        if text is None and data is None and id is None:
            raise HTTPException(422, "send an image file (multipart field 'file'), an image id (?id=) "
                                     "or a sentence (?text=)")
        if text is None and data is None:
            image_row(state, id)  # an unknown id is a 404, as for /api/images/{id}
        query = resolve_query(text=text) if text is not None else (
            resolve_query(data) if data is not None else resolve_query(image_id=id))
        try:  # in a worker thread: decoding, the model and the text tower must not block the event loop
            result = await run_in_threadpool(find_similar, state.ws, SearchConfig(query, k, method), state.searcher)
        except ImageDecodeError as err:
            raise HTTPException(415, f"not a decodable image: {err.reason}") from None
        except ImgorgError as err:
            raise HTTPException(400, str(err)) from None
        records = state.image_records([n.row for n in result.neighbours], method)
        query_id = id if data is None and text is None else None
        return {"method": method, "cluster": None if text is not None else result.cluster,
                **({"cluster_name": state.image_record(state.row(id), method)["cluster_name"],
                    "set_aside": bool(state.ws.removed()[state.row(id)])}  # a review's removal is in no cluster
                   if query_id is not None else {}),
                "query_id": query_id, "text": text,
                **({"how": result.how} if text is not None else {}),
                **({"words": result.words.to_dict()} if result.words is not None else {}),
                "neighbours": [{**r, "similarity": round(n.similarity, 4)} for r, n in zip(records, result.neighbours)]}

    return router
