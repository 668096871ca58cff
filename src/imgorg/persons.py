"""People curated like clusters: a person's edits kept as an append-only log, applied on read.

The faces table (artifact ``people``: faces.parquet, one row per face with its ``person``, and the
128-d descriptors) is what the face grouping found. The log (``person_edits.json``) lists what a
person did to it, in order:

    name   {person, name, faces}                a person's name
    merge  {persons, faces: [[...], ...], name} several people become the first
    split  {person, faces}                      these faces of a person become a new person
    move   {faces, to, to_faces}                faces to another person
    not    {faces}                              "not this person": the faces belong to no one
    undo   {}                                   cancels the latest edit not yet cancelled

The log is separate from the clusters' (``edits.json``) because the two live differently: the
clusters' log belongs to one clustering (a run that re-clusters sets it aside, and it makes the
workspace "curated"), while names of people must survive reruns, ``add`` and a recompute of the
faces. So every edit names faces by image and box (``[image_id, x, y, w, h]``), not by face id or
person number, which a recompute may renumber; a person in an edit is found again as the person
now holding most of the faces it held then. The undo rule is the clusters' (``effective``).

Faces of images the log has not seen (``images``: the images that had faces at the latest edit)
are new: each joins the nearest *named* person (distance of its descriptor to the mean of the
person's seen faces below ``JOIN_DISTANCE``, one face per person per photo), else stays unnamed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .curation import effective

UNKNOWN = -1  # a face of no person (too small, low score, or "not this person")
JOIN_DISTANCE = 0.5  # a new face joins a named person closer than this (dlib's same-person distance is 0.6)
OPS = ("name", "merge", "split", "move", "not", "undo")
KEY_COLUMNS = ["image_id", "x", "y", "w", "h"]


@dataclass
class CuratedPeople:
    person: np.ndarray  # one person per face (UNKNOWN for none), rows as the faces table
    names: dict[int, str] = field(default_factory=dict)  # person -> the name a person gave
    joined: np.ndarray | None = None  # new faces that joined a named person by their descriptor


def new_log() -> dict:
    return {"edits": [], "images": []}


def face_keys(faces: pd.DataFrame) -> list[tuple[int, ...]]:
    return [tuple(int(v) for v in row) for row in faces[KEY_COLUMNS].to_numpy(np.int64)]


def image_ranges(image_ids) -> list[list[int]]:
    """Sorted ids as [first, last] runs: a log of 100,000 consecutive ids stays one pair."""
    ids = np.unique(np.asarray(list(image_ids), np.int64))
    if not len(ids):
        return []
    breaks = np.flatnonzero(np.diff(ids) != 1)
    starts, ends = np.r_[ids[0], ids[breaks + 1]], np.r_[ids[breaks], ids[-1]]
    return [[int(a), int(b)] for a, b in zip(starts, ends)]


def in_ranges(image_ids: np.ndarray, ranges: list[list[int]]) -> np.ndarray:
    seen = np.zeros(len(image_ids), bool)
    for first, last in ranges:
        seen |= (image_ids >= first) & (image_ids <= last)
    return seen


def apply(log: dict | None, faces: pd.DataFrame, descriptors: np.ndarray | None = None) -> CuratedPeople:
    """The curated people: the standing edits of ``log`` applied in order to the faces' ``person``,
    then the faces of images the log has not seen joined to the nearest named person."""
    state = CuratedPeople(faces["person"].to_numpy(np.int64).copy())
    if not log:
        return state
    row_of = {key: r for r, key in enumerate(face_keys(faces))}
    for edit in effective(log.get("edits", [])):
        _APPLY[edit["op"]](state, edit, row_of)
    if descriptors is not None and "images" in log:
        new = ~in_ranges(faces["image_id"].to_numpy(np.int64), log["images"])
        join_new_faces(state, faces, descriptors, new)
    return state


def rows_of(row_of: dict, keys) -> np.ndarray:
    return np.array([row_of[tuple(k)] for k in keys if tuple(k) in row_of], np.int64)


def resolve(state: CuratedPeople, row_of: dict, keys) -> int | None:
    """The person now holding most of these faces (None when none of them is anyone's now)."""
    held = state.person[rows_of(row_of, keys)]
    held = held[held != UNKNOWN]
    if not len(held):
        return None
    values, counts = np.unique(held, return_counts=True)
    return int(values[np.argmax(counts)])


def _name(state, edit, row_of) -> None:
    person = resolve(state, row_of, edit["faces"])
    if person is not None:
        state.names[person] = edit["name"]


def _merge(state, edit, row_of) -> None:
    found = [p for p in (resolve(state, row_of, keys) for keys in edit["faces"]) if p is not None]
    found = list(dict.fromkeys(found))
    if len(found) < 2:
        return
    into, name = found[0], edit.get("name") or next((state.names[p] for p in found if p in state.names), None)
    state.person[np.isin(state.person, found[1:])] = into
    for person in found[1:]:
        state.names.pop(person, None)
    if name:
        state.names[into] = name


def _split(state, edit, row_of) -> None:
    rows = rows_of(row_of, edit["faces"])
    if len(rows):
        state.person[rows] = max(int(state.person.max()), UNKNOWN) + 1


def _move(state, edit, row_of) -> None:
    to = resolve(state, row_of, edit["to_faces"])
    if to is not None:
        state.person[rows_of(row_of, edit["faces"])] = to


def _not(state, edit, row_of) -> None:
    state.person[rows_of(row_of, edit["faces"])] = UNKNOWN


_APPLY = {"name": _name, "merge": _merge, "split": _split, "move": _move, "not": _not}


def join_new_faces(state: CuratedPeople, faces: pd.DataFrame, descriptors: np.ndarray, new: np.ndarray) -> None:
    """Each new face to the nearest named person within JOIN_DISTANCE (closest pairs first, one face per
    person per photo); a new face the grouping put with a named person but farther than that from
    them starts an unnamed person (with the others of its group that did too)."""
    state.joined = np.zeros(len(faces), bool)
    named = [p for p in sorted(state.names) if (state.person[~new] == p).any()]
    # recognised faces only (a descriptor): a face seen once is ungrouped but may be a named person's
    candidates = np.flatnonzero(new & np.asarray(descriptors).any(axis=1))
    if not len(candidates):
        return
    if named:
        means = np.stack([descriptors[~new & (state.person == p)].mean(axis=0) for p in named])
        distance = np.linalg.norm(descriptors[candidates][:, None, :] - means[None, :, :], axis=2)
        images = faces["image_id"].to_numpy(np.int64)
        taken = {(int(images[r]), int(state.person[r])) for r in np.flatnonzero(~new)}
        order = np.argsort(distance, axis=None, kind="stable")
        done = set()
        for flat in order:
            i, j = divmod(int(flat), len(named))
            if distance[i, j] >= JOIN_DISTANCE:
                break
            row, person = int(candidates[i]), named[j]
            if row in done or (int(images[row]), person) in taken:
                continue
            state.person[row], state.joined[row] = person, True
            done.add(row)
            taken.add((int(images[row]), person))
    stray = [r for r in candidates if not state.joined[r] and int(state.person[r]) in state.names]
    fresh = max(int(state.person.max()), UNKNOWN) + 1
    for group in sorted({int(faces["person"].iat[r]) for r in stray}):
        state.person[[r for r in stray if int(faces["person"].iat[r]) == group]] = fresh
        fresh += 1


def renumber(log: dict, new_id: dict[int, int]) -> dict:
    """``log`` with its image ids as ``new_id`` maps them (a rerun numbers the images again, so that a
    photo deleted from the folder shifts the ids after it); faces of images no longer there go."""
    def keys(found: list) -> list:
        return [[new_id[int(k[0])], *k[1:]] for k in found if int(k[0]) in new_id]

    edits = []
    for edit in log.get("edits", []):
        edit = dict(edit)
        if edit["op"] == "merge":
            edit["faces"] = [keys(group) for group in edit["faces"]]
        elif "faces" in edit:
            edit["faces"] = keys(edit["faces"])
        if "to_faces" in edit:
            edit["to_faces"] = keys(edit["to_faces"])
        edits.append(edit)
    seen = [i for first, last in log.get("images", []) for i in range(int(first), int(last) + 1) if i in new_id]
    return {**log, "edits": edits, "images": image_ranges([new_id[i] for i in seen])}


def describe(edit: dict) -> str:
    """What an edit did, in a sentence."""
    op, n = edit["op"], len(edit.get("faces", []))
    faces = f"{n} face{'s' if n != 1 else ''}"
    if op == "name":
        return f"named person {edit['person']} {edit['name']!r}"
    if op == "merge":
        return f"merged people {', '.join(map(str, edit['persons']))} into person {edit['persons'][0]}"
    if op == "split":
        return f"split {faces} off person {edit['person']} into a new person"
    if op == "move":
        return f"moved {faces} to person {edit['to']}"
    if op == "not":
        return f"marked {faces} as not their person"
    return "undid the latest edit"


# -- the edits a caller asks for (imgorg.tasks.edit_people takes one) ------------------------------

@dataclass(frozen=True)
class NamePerson:
    person: int
    name: str


@dataclass(frozen=True)
class MergePeople:
    persons: tuple[int, ...]  # two or more; the first keeps its id
    name: str | None = None  # the merged person's name (default: the first name among them)


@dataclass(frozen=True)
class SplitPerson:
    person: int
    faces: tuple[int, ...]  # face ids that become a new person (the rest stay, with the name)


@dataclass(frozen=True)
class MoveFaces:
    faces: tuple[int, ...]  # face ids
    to: int  # the person they go to


@dataclass(frozen=True)
class NotPerson:
    faces: tuple[int, ...]  # face ids that are not the person they were put with: they go to no one


@dataclass(frozen=True)
class UndoPerson:
    pass


PersonEdit = NamePerson | MergePeople | SplitPerson | MoveFaces | NotPerson | UndoPerson
