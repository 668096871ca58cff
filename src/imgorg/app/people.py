"""People and places over REST, as `imgorg person` and `imgorg places` give them.

GET /api/places, /api/people, /api/people/faces?person=, /api/people/faces/{face_id}/crop (a JPEG),
/api/people/history, /api/people/images?person=&place=; POST /api/people/{id}/name, /api/people/merge, /api/people/{id}/split, /api/people/move,
/api/people/not, /api/people/undo. An edit the library refuses is a 400 with its reason.
"""

from __future__ import annotations

import json

import numpy as np
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ..errors import ConfigError, ImageDecodeError
from ..persons import MergePeople, MoveFaces, NamePerson, NotPerson, SplitPerson, UndoPerson, describe
from .browse import PAGE_SIZE
from .state import AppState

MAX_FACES = 100_000
MAX_TEXT = 1_000


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NameBody(_Body):
    name: str = Field(max_length=MAX_TEXT)


class MergeBody(_Body):
    persons: list[int] = Field(max_length=1_000, description="Two or more person ids; the first keeps its id.")
    name: str | None = Field(None, max_length=MAX_TEXT)


class FacesBody(_Body):
    faces: list[int] = Field(max_length=MAX_FACES, description="Face ids.")


class MoveBody(FacesBody):
    to: int = Field(description="The person they go to.")


def _records(frame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def people_routes(state: AppState) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["people and places"])

    def edit(change) -> dict:
        record, said = state.person_edit(change)
        return {"edit": {k: v for k, v in record.items() if k not in ("faces", "to_faces")},
                "said": said, "people": _records(state.ws.people())}

    @router.get("/places")
    def places():
        """One row per place (city, region, country, images, first, last); empty without GPS."""
        has = state.ws.has_places()
        return {"places": _records(state.ws.places_table()) if has else [], "has_gps": has}

    @router.get("/people")
    def people():
        return _records(state.ws.people())

    @router.get("/people/faces")
    def faces(person: int | None = Query(None, description="Only this person's faces (-1: faces of no one)."),
              limit: int | None = Query(None, ge=1, le=MAX_FACES, description="At most this many, largest first.")):
        table = state.ws.faces()
        if person is not None:
            table = table[table["person"] == person]
        if limit is not None:
            size = table["size_px"] if "size_px" in table else table["w"] * table["h"]
            table = table.assign(_size=size).sort_values(["_size", "face_id"], ascending=[False, True],
                                                          kind="stable").head(limit)
        return _records(table[["face_id", "image_id", "x", "y", "w", "h", "score", "person", "name"]])

    @router.get("/people/faces/{face_id}/crop")
    def crop(face_id: str):
        """The face cut out of its photo (oriented as displayed, with a margin), a JPEG of at most 128 px."""
        if not face_id.isdigit():  # only ids name a face: anything else is simply not one
            raise HTTPException(404, f"no face with id {face_id} in this workspace")
        try:
            data = state.face_crop(int(face_id))
        except ConfigError as err:  # no faces, or no such face
            raise HTTPException(404, str(err)) from None
        except (OSError, ImageDecodeError) as err:
            raise HTTPException(404, f"the photo of face {face_id} cannot be read any more: {err}") from None
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "max-age=300"})

    @router.get("/people/history")
    def history():
        from ..tasks.person import person_history

        out, stack = [], []  # an undo cancels the latest edit still standing then: say which
        for i, e in enumerate(person_history(state.ws)):
            entry = {k: v for k, v in e.items() if k not in ("faces", "to_faces")}
            if e["op"] == "undo":
                undid = stack.pop() if stack else None
                entry["said"] = f"undid: {out[undid]['said']}" if undid is not None else describe(e)
            else:
                stack.append(i)
                entry["said"] = describe(e)
            out.append(entry)
        return out

    @router.get("/people/images")
    def images(person: list[str] = Query([]), place: list[str] = Query([]), page: int = Query(0, ge=0),
               page_size: int = Query(PAGE_SIZE, ge=1, le=500), method: str | None = None):
        """Image ids at any of these places that show all these people; ``images``: one page of their records."""
        rows = np.flatnonzero(state.ws.image_filter(place, person))
        chunk = rows[page * page_size : (page + 1) * page_size]
        return {"ids": [int(i) for i in state.ws.images["id"].to_numpy()[rows]], "page": page,
                "page_size": page_size, "images": state.image_records(chunk, state.ws.check_method(method))}

    @router.post("/people/{person}/name")
    def name(person: int, body: NameBody):
        return edit(NamePerson(person, body.name))

    @router.post("/people/merge")
    def merge(body: MergeBody):
        return edit(MergePeople(tuple(body.persons), body.name))

    @router.post("/people/{person}/split")
    def split(person: int, body: FacesBody):
        return edit(SplitPerson(person, tuple(body.faces)))

    @router.post("/people/move")
    def move(body: MoveBody):
        return edit(MoveFaces(tuple(body.faces), body.to))

    @router.post("/people/not")
    def not_person(body: FacesBody):
        return edit(NotPerson(tuple(body.faces)))

    @router.post("/people/undo")
    def undo():
        return edit(UndoPerson())

    return router
