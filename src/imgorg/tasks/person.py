"""``edit_people``: one edit of the people (name, merge, split, move, not, undo) appended to their log.

Each edit is checked against the people as they stand (``Workspace.faces``), refused with a
ConfigError that says why, then appended to ``person_edits.json`` (atomically, checksummed), with
the images that had faces then, so that faces found later are told apart (``imgorg.persons``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..curation import check_name, effective, stamp
from ..errors import ConfigError
from ..persons import (
    KEY_COLUMNS, UNKNOWN, MergePeople, MoveFaces, NamePerson, NotPerson, PersonEdit, SplitPerson, UndoPerson,
    image_ranges, new_log,
)
from ..views import Workspace, open_workspace
from ..workspace import workspace_lock
from ..workspace.artifacts import PERSON_EDITS_FILE


@dataclass
class PersonEditResult:
    edit: dict  # the record appended to the log
    workspace: Workspace  # after it: ws.people() shows the curated people


def edit_people(workspace: Workspace | str, config: PersonEdit) -> PersonEditResult:
    """Check ``config`` against the curated people, append it to the people's log."""
    ws = open_workspace(workspace)
    with workspace_lock(ws.path):
        ws = open_workspace(ws)
        log = ws.person_log() or new_log()
        faces = ws.faces()  # refused here when there are no faces
        record = stamp(_record(ws, faces, log, config))
        log["edits"].append(record)
        log["images"] = image_ranges(faces["image_id"])
        ws.write_artifact(PERSON_EDITS_FILE, log)
    return PersonEditResult(record, ws)


def person_history(workspace: Workspace | str) -> list[dict]:
    """Every edit of the people in order, each with ``standing`` (False once undone)."""
    ws = open_workspace(workspace)
    log = ws.person_log() or new_log()
    standing = {id(e) for e in effective(log["edits"])}
    return [{**edit, "standing": id(edit) in standing} for edit in log["edits"]]


def _record(ws: Workspace, faces: pd.DataFrame, log: dict, edit: PersonEdit) -> dict:
    if isinstance(edit, NamePerson):
        person = _check_people(faces, [edit.person])[0]
        name = check_name(edit.name)
        other = faces[(faces["name"].fillna("").str.casefold() == name.casefold()) & (faces["person"] != person)]
        if len(other):
            raise ConfigError(f"person {int(other['person'].iloc[0])} is already named {name!r}; if they are the same "
                              f"person, merge them: `imgorg person merge WS {int(other['person'].iloc[0])} {person}`")
        return {"op": "name", "person": person, "name": name, "faces": _keys(faces, faces["person"] == person)}
    if isinstance(edit, MergePeople):
        persons = list(dict.fromkeys(_check_people(faces, edit.persons)))
        if len(persons) < 2:
            raise ConfigError(f"a merge needs two or more different people; got {', '.join(map(str, edit.persons))}")
        together = faces[faces["person"].isin(persons)]
        shared = together["image_id"][together["image_id"].duplicated()]
        if len(shared):
            raise ConfigError(f"people {', '.join(map(str, persons))} are seen together in image "
                              f"{int(shared.iloc[0])}: two faces in one photo are never one person, so they are not "
                              "merged (move single faces with `imgorg person move`)")
        return {"op": "merge", "persons": persons, "faces": [_keys(faces, faces["person"] == p) for p in persons],
                "name": check_name(edit.name) if edit.name is not None else None}
    if isinstance(edit, SplitPerson):
        person = _check_people(faces, [edit.person])[0]
        rows = _face_rows(faces, edit.faces)
        if (faces["person"].to_numpy()[rows] != person).any():
            raise ConfigError(f"split takes faces of person {person}; face(s) "
                              f"{', '.join(map(str, faces['face_id'].to_numpy()[rows][faces['person'].to_numpy()[rows] != person]))} "
                              "are not theirs (`imgorg person list WS --faces` shows whose each face is)")
        if len(rows) == int((faces["person"] == person).sum()):
            raise ConfigError(f"split names all {len(rows)} faces of person {person}: leave at least one with them")
        return {"op": "split", "person": person, "faces": _keys(faces, rows)}
    if isinstance(edit, MoveFaces):
        to = _check_people(faces, [edit.to])[0]
        rows = _face_rows(faces, edit.faces)
        images = faces["image_id"].to_numpy()
        theirs = set(images[(faces["person"].to_numpy() == to)].tolist())
        clash = [int(images[r]) for r in rows if int(images[r]) in theirs and faces["person"].iat[r] != to]
        if clash or len(set(images[rows].tolist())) < len(rows):
            raise ConfigError(f"person {to} would have two faces in image {(clash or images[rows].tolist())[0]}: "
                              "two faces in one photo are never one person")
        return {"op": "move", "faces": _keys(faces, rows), "to": to, "to_faces": _keys(faces, faces["person"] == to)}
    if isinstance(edit, NotPerson):
        return {"op": "not", "faces": _keys(faces, _face_rows(faces, edit.faces))}
    if isinstance(edit, UndoPerson):
        if not effective(log["edits"]):
            raise ConfigError("nothing to undo: no edit of the people stands (`imgorg person history WS` lists them)")
        return {"op": "undo"}
    raise ConfigError(f"unknown edit {edit!r}; edits: NamePerson, MergePeople, SplitPerson, MoveFaces, NotPerson, "
                      "UndoPerson")


def _keys(faces: pd.DataFrame, rows) -> list[list[int]]:
    """Faces as the log names them: [image_id, x, y, w, h] (a recompute may renumber face ids)."""
    picked = faces[rows.to_numpy()] if isinstance(rows, pd.Series) else faces.iloc[np.asarray(rows)]
    return picked[KEY_COLUMNS].to_numpy(np.int64).tolist()


def _check_people(faces: pd.DataFrame, persons) -> list[int]:
    existing = set(faces["person"].tolist()) - {UNKNOWN}
    asked = [int(p) for p in persons]
    unknown = sorted(set(asked) - existing)
    if unknown:
        shown = ", ".join(map(str, sorted(existing)[:30])) + (" ..." if len(existing) > 30 else "")
        raise ConfigError(f"no person {', '.join(map(str, unknown))} in this workspace; people: {shown or 'none'}")
    return asked


def _face_rows(faces: pd.DataFrame, face_ids) -> np.ndarray:
    asked = [int(f) for f in face_ids]
    if not asked:
        raise ConfigError("name at least one face id (`imgorg person list WS --faces` lists them)")
    row_of = pd.Series(np.arange(len(faces)), index=faces["face_id"].to_numpy())
    unknown = [f for f in asked if f not in row_of.index]
    if unknown:
        raise ConfigError(f"no face with id {', '.join(map(str, unknown[:5]))} in this workspace (face ids run "
                          f"0..{int(faces['face_id'].max())})")
    return row_of.loc[list(dict.fromkeys(asked))].to_numpy()
