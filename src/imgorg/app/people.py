"""People and places over REST, as `imgorg person` and `imgorg places` give them.

GET /api/places, /api/people, /api/people/faces, /api/people/history, /api/people/images?person=&place=;
POST /api/people/{id}/name, /api/people/merge, /api/people/{id}/split, /api/people/move,
/api/people/not, /api/people/undo. An edit the library refuses is a 400 with its reason.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from ..persons import MergePeople, MoveFaces, NamePerson, NotPerson, SplitPerson, UndoPerson, describe
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
        from ..tasks.person import edit_people

        done = edit_people(state.ws, change)
        return {"edit": {k: v for k, v in done.edit.items() if k not in ("faces", "to_faces")},
                "said": describe(done.edit), "people": _records(state.ws.people())}

    @router.get("/places")
    def places():
        """One row per place (city, region, country, images, first, last); empty without GPS."""
        has = state.ws.has_places()
        return {"places": _records(state.ws.places_table()) if has else [], "has_gps": has}

    @router.get("/people")
    def people():
        return _records(state.ws.people())

    @router.get("/people/faces")
    def faces():
        return _records(state.ws.faces()[["face_id", "image_id", "x", "y", "w", "h", "score", "person", "name"]])

    @router.get("/people/history")
    def history():
        from ..tasks.person import person_history

        return [{**{k: v for k, v in e.items() if k not in ("faces", "to_faces")}, "said": describe(e)}
                for e in person_history(state.ws)]

    @router.get("/people/images")
    def images(person: list[str] = Query([]), place: list[str] = Query([])):
        """Image ids at any of these places that show all these people."""
        hit = state.ws.image_filter(place, person)
        return {"ids": [int(i) for i in state.ws.images["id"][hit]]}

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
