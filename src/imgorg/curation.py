"""Curation: the edits a person makes to a clustering, kept as an append-only log and applied on read.

The log (``edits.json`` in the workspace) names the clustering it was made on (its *base*,
e.g. ``scan``) and lists the edits in order:

    rename  {cluster, name}                     a cluster's name
    merge   {clusters, into, name}              several clusters become ``into``
    split   {cluster, parts: {id: [image ids]}} a cluster re-clustered into new ids
    move    {images, to}                        images into another cluster
    drop    {images}                            images into no cluster (NOISE)
    add     {images: {id: cluster}, unsorted}   new images placed by ``imgorg add``
    remove  {images: {id: kept id or null}, kind}  images set aside after a review (``imgorg review``):
                                                in no cluster, left out of the map, search and
                                                exports; a kept copy in no cluster takes the
                                                removed one's, and its capture time and GPS
    relabel {images: {id: label}}               labels a review found wrong, corrected (the folders stay)
    dismiss {images, kind}                      review findings a person rejected: not shown again
    undo    {}                                  cancels the latest edit not yet cancelled

Applying the edits that are not undone, in order, to the base labels gives the *curated*
clustering, a method like the others (``curated``). The base stays as it was, so the
original clustering is always reproducible and every edit can be undone.
"""

from __future__ import annotations

import datetime as _dt
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .constants import NOISE
from .errors import ConfigError

UNSORTED_NAME = "unsorted"  # the cluster `imgorg add` puts images it is unsure of in
OPS = ("rename", "merge", "split", "move", "drop", "add", "remove", "relabel", "dismiss", "undo")
MAX_NAME = 200  # characters of a cluster's name


@dataclass
class Curated:
    labels: np.ndarray  # one cluster per image (NOISE for none), rows as the workspace's images
    names: dict[int, str] = field(default_factory=dict)  # names people gave (renames, merges, unsorted)
    unsorted: set[int] = field(default_factory=set)  # clusters of images `add` was unsure of
    removed: dict[int, int | None] = field(default_factory=dict)  # image id -> the id of the copy kept in its place
    dismissed: dict[str, set[int]] = field(default_factory=dict)  # review kind -> image ids whose finding was rejected
    relabeled: dict[int, str] = field(default_factory=dict)  # image id -> its corrected label


def new_log(base: str) -> dict:
    return {"base": base, "edits": []}


def effective(edits: list[dict]) -> list[dict]:
    """The edits that stand: every ``undo`` cancels the latest edit not cancelled before it."""
    standing: list[dict] = []
    for edit in edits:
        if edit["op"] == "undo":
            if standing:
                standing.pop()
        else:
            standing.append(edit)
    return standing


def apply(log: dict, base_labels: np.ndarray, ids: np.ndarray) -> Curated:
    """The curated clustering: the standing edits of ``log`` applied, in order, to ``base_labels``
    (rows aligned with ``ids``, the images' ids). Edits that name images no longer in the
    workspace affect only those still there."""
    state = Curated(np.asarray(base_labels, dtype=np.int64).copy())
    row_of = {int(i): r for r, i in enumerate(ids)}
    for edit in effective(log.get("edits", [])):
        _APPLY[edit["op"]](state, edit, row_of)
    return state


def set_gone(state: Curated, ids: np.ndarray, gone) -> Curated:
    """``state`` with the images whose files are gone from the folder (``gone``: ids) set aside, as a
    removal sets an image aside: out of the clusters, kept in no cluster. A removed copy whose kept
    copy is gone takes its place back: it is the copy left, no longer listed by `export --removed` to
    move away. Not an edit: where a file comes
    back, the next rerun leaves it out of ``gone`` and it is where it was."""
    gone = {int(i) for i in gone}
    if not gone:
        return state
    row_of = {int(i): r for r, i in enumerate(ids)}
    for image, kept in list(state.removed.items()):
        if kept in gone and image not in gone and image in row_of and kept in row_of:
            state.labels[row_of[image]] = state.labels[row_of[kept]]
            del state.removed[image]
    for image in gone:
        if image in row_of:
            state.labels[row_of[image]] = NOISE
            state.removed[image] = None
    return state


def _rows(row_of: dict[int, int], image_ids) -> np.ndarray:
    return np.array([row_of[int(i)] for i in image_ids if int(i) in row_of], dtype=np.int64)


def _rename(state: Curated, edit: dict, row_of) -> None:
    state.names[int(edit["cluster"])] = edit["name"]


def _merge(state: Curated, edit: dict, row_of) -> None:
    into = int(edit["into"])
    merged = [int(c) for c in edit["clusters"]]
    state.labels[np.isin(state.labels, merged)] = into
    for cluster in merged:
        if cluster != into:
            state.names.pop(cluster, None)
            state.unsorted.discard(cluster)
    if edit.get("name"):
        state.names[into] = edit["name"]


def _split(state: Curated, edit: dict, row_of) -> None:
    state.names.pop(int(edit["cluster"]), None)
    for cluster, members in edit["parts"].items():
        state.labels[_rows(row_of, members)] = int(cluster)


def _move(state: Curated, edit: dict, row_of) -> None:
    state.labels[_rows(row_of, edit["images"])] = int(edit["to"])


def _drop(state: Curated, edit: dict, row_of) -> None:
    state.labels[_rows(row_of, edit["images"])] = NOISE


def _add(state: Curated, edit: dict, row_of) -> None:
    for image, cluster in edit["images"].items():
        if int(image) in row_of:
            state.labels[row_of[int(image)]] = int(cluster)
    if edit.get("unsorted") is not None:
        state.unsorted.add(int(edit["unsorted"]))
        state.names.setdefault(int(edit["unsorted"]), UNSORTED_NAME)


def _remove(state: Curated, edit: dict, row_of) -> None:
    for image, kept in edit["images"].items():
        row = row_of.get(int(image))
        if row is None:
            continue
        kept_row = row_of.get(int(kept)) if kept is not None else None
        if kept_row is not None and (state.labels[kept_row] == NOISE or state.labels[kept_row] in state.unsorted):
            state.labels[kept_row] = state.labels[row]  # the copy kept takes the place of the one removed
        state.labels[row] = NOISE
        state.removed[int(image)] = None if kept is None else int(kept)


def _relabel(state: Curated, edit: dict, row_of) -> None:
    state.relabeled.update({int(i): str(label) for i, label in edit["images"].items()})


def _dismiss(state: Curated, edit: dict, row_of) -> None:
    state.dismissed.setdefault(edit["kind"], set()).update(int(i) for i in edit["images"])


_APPLY = {"rename": _rename, "merge": _merge, "split": _split, "move": _move, "drop": _drop, "add": _add,
          "remove": _remove, "relabel": _relabel, "dismiss": _dismiss}


# -- checks made before an edit is written: an invalid edit is refused with its reason ---------------

def check_name(name: str) -> str:
    """A name as kept: runs of whitespace (newlines, tabs) one space, control characters (NUL, ...)
    left out, so it reads on one line everywhere it is shown; an empty or overlong one is refused."""
    name = "".join(ch if unicodedata.category(ch) != "Cc" else " " for ch in (name or ""))
    name = " ".join(name.split())
    if not name:
        raise ConfigError("a cluster's name cannot be empty; give a few words, e.g. 'beach photos'")
    if len(name) > MAX_NAME:
        raise ConfigError(f"a cluster's name has at most {MAX_NAME} characters; this one has {len(name)}")
    return name


def check_clusters(clusters, labels: np.ndarray) -> list[int]:
    """The clusters asked for, each of which must exist (NOISE is not a cluster)."""
    existing = set(np.unique(labels).tolist()) - {NOISE}
    asked = [int(c) for c in clusters]
    unknown = sorted(set(asked) - existing)
    if unknown:
        raise ConfigError(f"no cluster {', '.join(map(str, unknown))} in the curated clustering; "
                          f"clusters: {', '.join(map(str, sorted(existing)))}")
    return asked


def stamp(edit: dict) -> dict:
    """The edit with the time it was made (UTC), as the log keeps it."""
    return {**edit, "at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}


# -- the edits a caller asks for (imgorg.tasks.edit_clusters takes one) ---------------------------

@dataclass(frozen=True)
class Rename:
    cluster: int
    name: str


@dataclass(frozen=True)
class Merge:
    clusters: tuple[int, ...]  # two or more; the first keeps its id
    name: str | None = None  # the merged cluster's name (default: the first one's)


@dataclass(frozen=True)
class Split:
    cluster: int
    k: int = 2  # parts: k-means on the members' reduced features
    seed: int = 0


@dataclass(frozen=True)
class Move:
    images: tuple[int, ...]  # image ids
    to: int


@dataclass(frozen=True)
class Drop:
    images: tuple[int, ...]  # image ids: they belong to no cluster any more


@dataclass(frozen=True)
class Remove:
    images: tuple[int, ...]  # image ids set aside (never deleted: `imgorg export --removed` lists their files)
    kept: tuple[int | None, ...] = ()  # for each, the copy that stays in its place (None: none)
    kind: str | tuple[str, ...] = "review"  # the review finding acted on (copy, blurry, leak, ...), or one per image


@dataclass(frozen=True)
class Relabel:
    images: tuple[int, ...]  # image ids whose label is wrong
    labels: tuple[str, ...]  # the right label of each


@dataclass(frozen=True)
class Dismiss:
    images: tuple[int, ...]  # image ids whose finding a person rejected ("keep both")
    kind: str


@dataclass(frozen=True)
class Undo:
    pass


Edit = Rename | Merge | Split | Move | Drop | Remove | Relabel | Dismiss | Undo


def latest_standing(log: dict | None) -> dict | None:
    """The edit an undo would cancel now."""
    standing = effective(log["edits"]) if log else []
    return standing[-1] if standing else None


def compact(edit: dict) -> dict:
    """An edit record with its image lists as counts (a split of a large cluster lists every image)."""
    out = {k: v for k, v in edit.items() if k not in ("images", "parts", "standing")}
    if "images" in edit:
        out["n_images"] = len(edit["images"])
    if "parts" in edit:
        out["part_sizes"] = {str(c): len(members) for c, members in edit["parts"].items()}
    return out


def describe(edit: dict, names: dict[int, str]) -> str:
    """What an edit did, in a sentence: clusters by id and, where they have one, name."""
    def named(cluster) -> str:
        name = names.get(int(cluster))
        return f"cluster {cluster}" + (f" ({name!r})" if name else "")

    op = edit["op"]
    images = edit.get("images", [])
    count = f"{len(images)} image{'s' if len(images) != 1 else ''}"
    if op == "rename":
        return f"renamed cluster {edit['cluster']} to {edit['name']!r}"
    if op == "merge":
        into = f"cluster {edit['into']}" + (f" ({edit['name']!r})" if edit.get("name") else "")
        return f"merged clusters {', '.join(map(str, edit['clusters']))} into {into}"
    if op == "split":
        return f"split cluster {edit['cluster']} into clusters {', '.join(edit['parts'])}"
    kind = edit.get("kind", "review")
    if edit.get("kinds"):  # several kinds at once: how many of each, most first
        kind = ", ".join(f"{n} {k}" for k, n in Counter(edit["kinds"].values()).most_common())
    said = {"move": lambda: f"moved {count} to {named(edit['to'])}", "drop": lambda: f"dropped {count} from their clusters",
            "add": lambda: f"added {len(images)} new image{'s' if len(images) != 1 else ''}",
            "remove": lambda: f"removed {count} ({kind})", "relabel": lambda: f"relabelled {count}",
            "dismiss": lambda: f"kept {count} flagged as {kind}"}
    return said.get(op, lambda: "undid the latest edit")()
