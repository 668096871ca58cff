"""``edit_clusters``: one curation edit (rename, merge, split, move, drop, undo) appended to the log.

Each edit is checked against the curated clustering as it stands, refused with a ConfigError
that says why when it cannot apply, then appended to ``edits.json`` (atomically, checksummed).
The log is applied on read (``imgorg.curation``): nothing of the base clustering changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import CURATED, NOISE
from ..curation import (
    Dismiss, Drop, Edit, Merge, Move, Relabel, Remove, Rename, Split, Undo, check_clusters, check_name, effective, new_log, stamp,
)
from ..errors import ConfigError
from ..views import Workspace, open_workspace
from .saving import follow_clusters
from ..workspace import EDITS_FILE, method_input, workspace_lock


@dataclass
class EditResult:
    edit: dict  # the record appended to the log
    workspace: Workspace  # the workspace after it: ws.clusters() shows the curated clustering


def edit_clusters(workspace: Workspace | str, config: Edit) -> EditResult:
    """Check ``config`` against the curated clustering, append it to the log, follow the new clusters."""
    ws = open_workspace(workspace)
    with workspace_lock(ws.path):
        ws = open_workspace(ws)  # read again if another process added images or reran meanwhile
        log = ws.edit_log() or new_log(ws.base_method)
        record = stamp(_record(ws, log, config))
        log["edits"].append(record)
        ws.write_artifact(EDITS_FILE, log, inputs=(method_input(log["base"]),))
        follow_clusters(ws)
    return EditResult(record, ws)


def history(workspace: Workspace | str) -> list[dict]:
    """Every edit in order, each with ``standing``: False once undone (undo records are never standing)."""
    ws = open_workspace(workspace)
    log = ws.edit_log() or new_log(ws.base_method)
    standing = {id(e) for e in effective(log["edits"])}
    return [{**edit, "standing": id(edit) in standing} for edit in log["edits"]]


def _record(ws: Workspace, log: dict, edit: Edit) -> dict:
    labels = ws.cluster_labels(CURATED) if ws.edit_log() else ws.cluster_labels(ws.base_method)
    if isinstance(edit, Rename):
        check_clusters([edit.cluster], labels)
        return {"op": "rename", "cluster": int(edit.cluster), "name": check_name(edit.name)}
    if isinstance(edit, Merge):
        clusters = list(dict.fromkeys(check_clusters(edit.clusters, labels)))
        if len(clusters) < 2:
            raise ConfigError(f"a merge needs two or more different clusters; got {', '.join(map(str, edit.clusters))}")
        return {"op": "merge", "clusters": clusters, "into": clusters[0],
                "name": check_name(edit.name) if edit.name is not None else None}
    if isinstance(edit, Split):
        return _split(ws, log, labels, edit)
    if isinstance(edit, Move):
        check_clusters([edit.to], labels)
        return {"op": "move", "images": _image_ids(ws, edit.images), "to": int(edit.to)}
    if isinstance(edit, Drop):
        return {"op": "drop", "images": _image_ids(ws, edit.images)}
    if isinstance(edit, Remove):
        ids = _image_ids(ws, edit.images)
        kept = list(edit.kept) if edit.kept else [None] * len(edit.images)
        if len(kept) != len(edit.images):
            raise ConfigError(f"remove names {len(edit.images)} images but {len(kept)} kept copies; give one per image "
                              "(None where none is kept)")
        known = {int(i): (None if k is None else int(k)) for i, k in zip(edit.images, kept)}
        ws.rows_of([k for k in known.values() if k is not None] or ids[:1])  # a kept copy must be an image here
        return {"op": "remove", "images": {str(i): known[i] for i in ids}, **_removal_kinds(edit)}
    if isinstance(edit, Relabel):
        ids = _image_ids(ws, edit.images)
        if len(edit.labels) != len(edit.images) or not all(isinstance(x, str) and x.strip() for x in edit.labels):
            raise ConfigError(f"relabel names {len(edit.images)} images and {len(edit.labels)} labels: give one "
                              "non-empty label per image")
        return {"op": "relabel", "images": {str(int(i)): str(x).strip() for i, x in zip(edit.images, edit.labels)
                                            if int(i) in ids}}
    if isinstance(edit, Dismiss):
        return {"op": "dismiss", "images": _image_ids(ws, edit.images), "kind": str(edit.kind)}
    if isinstance(edit, Undo):
        if not effective(log["edits"]):
            raise ConfigError("nothing to undo: no edit stands (`imgorg clusters WS history` lists them)")
        return {"op": "undo"}
    raise ConfigError(f"unknown edit {edit!r}; edits: Rename, Merge, Split, Move, Drop, Remove, Relabel, Dismiss, Undo")


def _removal_kinds(edit: Remove) -> dict:
    """The record's kind: the one kind acted on, else "review" and each image's kind."""
    if isinstance(edit.kind, str):
        return {"kind": edit.kind}
    if len(edit.kind) != len(edit.images):
        raise ConfigError(f"remove names {len(edit.images)} images but {len(edit.kind)} kinds; give one kind, or one per image")
    kinds = [str(k) for k in edit.kind]
    if len(set(kinds)) == 1:
        return {"kind": kinds[0]}
    return {"kind": "review", "kinds": {str(int(i)): k for i, k in zip(edit.images, kinds)}}


def _split(ws: Workspace, log: dict, labels: np.ndarray, edit: Split) -> dict:
    check_clusters([edit.cluster], labels)
    rows = np.flatnonzero(labels == edit.cluster)
    if len(rows) < 2:
        raise ConfigError(f"cluster {edit.cluster} has only {len(rows)} image: there is nothing to split")
    if not isinstance(edit.k, int) or not 2 <= edit.k <= len(rows):
        raise ConfigError(f"cluster {edit.cluster} has {len(rows)} images: split it into 2 to {len(rows)} parts, "
                          f"not {edit.k!r}")
    from sklearn.cluster import KMeans  # here: the review's process imports this module, and never splits

    parts = KMeans(n_clusters=edit.k, n_init=10, random_state=edit.seed).fit_predict(ws.reduced[rows])
    first = next_cluster_id(ws, log, labels)
    ids = ws.images["id"].to_numpy()
    return {"op": "split", "cluster": int(edit.cluster), "k": edit.k,
            "parts": {str(first + p): ids[rows[parts == p]].tolist() for p in range(edit.k)}}


def next_cluster_id(ws: Workspace, log: dict, labels: np.ndarray) -> int:
    """A cluster id no clustering of this workspace has used: new clusters never reuse an old id,
    even one a later undo freed."""
    used = [int(labels.max()), int(ws.assignments[log["base"]].max())]
    for edit in log["edits"]:
        used += [int(c) for c in edit.get("parts", {})]
        used += [int(edit["unsorted"])] if edit.get("unsorted") is not None else []
    return max(used + [NOISE]) + 1


def _image_ids(ws: Workspace, images) -> list[int]:
    ids = [int(i) for i in images]
    if not ids:
        raise ConfigError("name at least one image id")
    ws.rows_of(ids)  # an unknown id is refused, naming it
    return list(dict.fromkeys(ids))
