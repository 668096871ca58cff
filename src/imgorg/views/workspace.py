"""``Workspace``: the store with its read model (see the package docstring)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..constants import CLIP_BACKBONE, CURATED, GONE, GONE_IMAGES, NOISE, SET_ASIDE
from ..curation import Curated, apply as apply_edits, effective, set_gone
from ..embed.tags import Tags, read_tags
from ..index import SearchIndex, build_index, restore_index
from ..metadata import SOURCE_FILE, SOURCE_NAME
from ..workspace import (EDITS_FILE, INDEX_DATA, INDEX_RECORD, REVIEW_FILE, REVIEW_NOTES_FILE, TAGS_FILE, Store,
                         projection_name)
from ..workspace.store import digest
from .names import kept_names, tag_names, with_people, zero_shot_names
from .people import PeopleView

MAP_ORDER = ("umap", "tsne", "pca")  # stored maps, in the order they are preferred
PCA_COMPONENTS = "pca-components"  # no map stored: the first components of the reduced features
# What a copy kept takes from one a review removed, where it lacks it: capture time, GPS, and what a person
# gave it (a rating, keywords, a description, from sidecars)
INHERITED = (("taken_at", "taken_at_offset_min", "taken_at_source"), ("gps_lat", "gps_lon"), ("rating",),
             ("keywords",), ("description",))


@dataclass
class MapPoints:
    points: np.ndarray  # (n_images, dims) float32, rows aligned with Workspace.images
    kind: str  # "umap", "tsne", "pca" (stored by `imgorg map`) or "pca-components" (none stored)
    description: str  # for a caption


@dataclass(repr=False)  # Store's short repr: a notebook cell ending in an edit printed 8 KB of the workspace
class Workspace(PeopleView, Store):
    _cache: dict = field(default_factory=dict, repr=False, compare=False)  # (stamp, what) -> value
    _lock: Any = field(default_factory=threading.Lock, repr=False, compare=False)

    def cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per ``key`` while the store's stamp stays; the app's request threads share
        this object, so the cache is swapped whole, never cleared under a reader."""
        stamp = self.stamp
        with self._lock:
            if self._cache.get("stamp") != stamp:
                self._cache = {"stamp": stamp}
            cache = self._cache
            if key in cache:
                return cache[key]
        value = compute()
        with self._lock:
            if self._cache is cache:
                cache[key] = value
        return value

    # -- images, as a review left them ----------------------------------------------------
    @property
    def images(self) -> pd.DataFrame:
        """The catalog rows that have an embedding, in embedding order; a copy kept in place of one a
        review removed has the capture time, GPS, rating, keywords and description it lacked filled from
        it (the files stay as they are)."""
        return self._images()  # a new frame each time, as the store's: callers may add columns to it

    def _images(self) -> pd.DataFrame:
        images = Store.images.fget(self)
        state = self.curated() if self.has(EDITS_FILE) else None
        removed = {i: k for i, k in state.removed.items() if k is not None} if state else {}
        if not removed and not (state and state.relabeled):
            return images
        row_of = pd.Series(np.arange(len(images)), index=images["id"].to_numpy())
        for image, label in state.relabeled.items():  # a label a review found wrong, as a person corrected it
            if image in row_of.index:
                images.loc[row_of[image], "label"] = label
        for image, kept in removed.items():
            if image not in row_of.index or kept not in row_of.index:
                continue
            for columns in INHERITED:
                present = [c for c in columns if c in images]
                if present and _lacks(images, row_of[kept], present) and not _lacks(images, row_of[image], present):
                    images.loc[row_of[kept], present] = images.loc[row_of[image], present].to_numpy()
        return images

    def removed(self) -> np.ndarray:
        """Whether each image (rows as ``images``) was set aside by a review: out of the clusters, the
        map, search and exports, never deleted."""
        def compute() -> np.ndarray:
            ids = list(self.curated().removed) if self.has(EDITS_FILE) else []
            return Store.images.fget(self)["id"].isin(ids).to_numpy()
        return self.cached(("removed",), compute)

    def review(self) -> pd.DataFrame | None:
        """The stored review (``imgorg review``), each finding with its ``status``: open, accepted (the
        image was removed or relabelled for it), set aside (removed for a finding of another kind: a
        blurry copy removed as a copy) or dismissed (a person kept it); None when none is stored."""
        if not self.has(REVIEW_FILE):
            return None

        def compute() -> pd.DataFrame:
            table = self.read(REVIEW_FILE)
            state = self.curated()
            done = table["id"].isin(list(state.removed)) & table["action"].isin(["remove", "look"])
            kinds = self.removal_kinds()
            elsewhere = done & (table["id"].map(lambda i: kinds.get(int(i), "")) != table["kind"])
            done |= table["id"].isin(list(state.relabeled)) & (table["kind"] == "label_issue")  # a relabel or a look
            dismissed = np.array([int(i) in state.dismissed.get(k, ()) for i, k in zip(table["id"], table["kind"])],
                                 dtype=bool)
            status = pd.Series(np.where(elsewhere, SET_ASIDE, np.where(done, "accepted", np.where(
                dismissed, "dismissed", "open"))), index=table.index)
            grouped = (table["group"] >= 0) & (table["action"] == "keep")  # the copy kept: settled with its group
            open_groups = set(table.loc[(table["group"] >= 0) & (table["action"] != "keep") & (status == "open"),
                                        ["kind", "group"]].itertuples(index=False, name=None))
            settled = grouped & ~pd.Series([(k, g) in open_groups for k, g in zip(table["kind"], table["group"])],
                                           index=table.index, dtype=bool)  # bool also where no finding is stored
            status[settled] = "accepted"
            return table.assign(status=pd.array(status.to_numpy(), dtype="string"))
        return self.cached(("review",), compute).copy()

    def review_notes(self) -> dict[str, list[str]] | None:
        """The stored review's notes, per kind they are about: what it did not look for and why (no
        splits, no labels), how far its findings hold (the label classifier's accuracy); None when the
        review stored none."""
        return self.read(REVIEW_NOTES_FILE)["notes"] if self.has(REVIEW_NOTES_FILE) else None

    def removal_kinds(self) -> dict[int, str]:
        """The kind of finding each image a review set aside was removed as ("copy", "blurry", ...;
        "review" where the edit named none)."""
        def compute() -> dict[int, str]:
            standing = effective((self.edit_log() or {}).get("edits", []))  # an undone removal names no kind
            kinds = {int(i): e.get("kinds", {}).get(str(i), e.get("kind", "review"))
                     for e in standing if e["op"] == "remove" for i in e["images"]}
            kinds |= {int(i): GONE for i in self.manifest.get(GONE_IMAGES, ())}
            return {i: kinds.get(i, "review") for i in self.curated().removed}
        return dict(self.cached(("removal kinds",), compute)) if self.has(EDITS_FILE) else {}

    # -- clusterings -----------------------------------------------------------------------
    def curated(self) -> Curated:
        """The curated clustering: the log's standing edits applied to its base clustering."""
        def compute() -> Curated:
            log_ = self.edit_log()
            if log_ is None:
                return Curated(self.assignments[self.base_method].to_numpy(np.int64).copy())
            ids = Store.images.fget(self)["id"].to_numpy()
            state = apply_edits(log_, self.assignments[log_["base"]].to_numpy(), ids)
            return set_gone(state, ids, self.manifest.get(GONE_IMAGES, ()))  # files deleted from the folder
        return self.cached(("curated",), compute)

    def tags(self) -> Tags | None:
        """Each image's top ImageNet classes (rows as ``images``), or None for a backbone without a classifier."""
        def compute() -> Tags | None:
            if not self.has(TAGS_FILE):
                return None
            frame = self.read(TAGS_FILE).set_index("id").reindex(self.images["id"].to_numpy())
            return None if frame.isna().any().any() else read_tags(frame.reset_index())
        return self.cached(("tags",), compute)

    def cluster_labels(self, method: str | None = None) -> np.ndarray:
        """The cluster of each image (NOISE = -1 for none), rows aligned with ``images``."""
        method = self.check_method(method)
        return self.curated().labels if method == CURATED else self.assignments[method].to_numpy()

    def distances(self, method: str | None = None) -> np.ndarray | None:
        """Each image's distance to its cluster's centre in the reduced space, if the method has centres."""
        method = self.check_method(method)
        if method == CURATED:
            from ..clustering import distance_to_centre  # scikit-learn: not for a review's process, which never asks

            return self.cached(("distances", CURATED), lambda: distance_to_centre(self.reduced, self.curated().labels))
        column = self.assignments.get(f"{method}_distance")
        return None if column is None else column.to_numpy()

    def scores(self, method: str | None = None) -> dict:
        """The scores of a clustering: as stored in metrics.json, or for ``curated`` (never stored:
        every edit changes it) computed now on the reduced features, as ``imgorg run`` scores."""
        method = self.check_method(method)
        if method != CURATED:
            return self.metrics.get(method, {})
        from ..metrics import score_clustering  # scikit-learn, as above

        return self.cached(("scores", CURATED), lambda: score_clustering(
            self.reduced, self.curated().labels, self.labels).to_dict())

    def cluster_names(self, method: str | None = None) -> dict[int, str]:
        """A name per cluster: the one a person gave it (curated), else words from its images' tags."""
        method = self.check_method(method)
        return dict(self.cached(("names", method), lambda: self._names(method)))

    def _names(self, method: str) -> dict[int, str]:
        events = self.names_of_events(method)  # "Lisbon, 3-7 May 2024, with Ana and Rui"
        if events is not None:
            return events
        labels = self.cluster_labels(method)
        names = self.auto_names(labels)
        if method == CURATED:
            base = self.assignments[self.base_method].to_numpy()
            names.update(kept_names(base, labels, self.auto_names(base)))
            names.update(self.curated().names)
        return names

    def auto_names(self, labels: np.ndarray) -> dict[int, str]:
        """Names of the clusters ``labels`` makes, from the images' tags (imgorg.naming); for CLIP,
        zero-shot from the same vocabulary; none for other backbones. Where faces were found, clusters
        of people say so (``views.names.with_people``)."""
        def compute() -> dict[int, str]:
            if self.has(TAGS_FILE):
                names = tag_names(self.tags(), labels)
            elif self.manifest.get("config", {}).get("embed", {}).get("backbone") == CLIP_BACKBONE:
                names = zero_shot_names(self.manifest, self.embeddings, labels)
            else:
                names = {}
            return with_people(names, labels, *self._faces_per_image()) if self.has_people() else names
        return dict(self.cached(("auto_names", digest(np.ascontiguousarray(labels, np.int64).tobytes())), compute))

    def _faces_per_image(self) -> tuple[np.ndarray, list[frozenset[str]]]:
        """(whether each image shows a face, the names of the named people it shows), rows of ``images``."""
        faces, ids = self.faces(), self.images["id"].to_numpy()  # images: a frame built per call
        row = pd.Series(np.arange(len(ids)), index=ids)
        rows = row.reindex(faces["image_id"].to_numpy()).to_numpy()
        known = ~np.isnan(rows)
        has_face = np.zeros(len(row), bool)
        has_face[rows[known].astype(np.int64)] = True
        who = [set() for _ in range(len(row))]
        for r, name in zip(rows[known].astype(np.int64), faces["name"].to_numpy()[known]):
            if isinstance(name, str) and name:
                who[r].add(name)
        return has_face, [frozenset(w) for w in who]

    def members(self, cluster_id: int, method: str | None = None) -> np.ndarray:
        """Rows of a cluster, most typical (closest to its centre) first; empty for an unknown id. Images
        a review removed are in no cluster's members (not even noise's)."""
        rows = np.flatnonzero((self.cluster_labels(method) == cluster_id) & ~self.removed())
        distance = self.distances(method)
        if distance is not None:
            rows = rows[np.argsort(distance[rows], kind="stable")]
        return rows

    def clusters(self, method: str | None = None, within: np.ndarray | None = None) -> pd.DataFrame:
        """One row per cluster: id, name, size, total, noise, unsorted and, where some images have
        labels, top_label and top_share among its members that have one ("" and 0 where none has).
        With ``within`` (a boolean mask over the images, e.g. those taken in a date range) size,
        top_label and top_share count only those images (total: all of them), and clusters with
        none of them are left out."""
        method = self.check_method(method)
        labels = self.cluster_labels(method)
        names = self.cluster_names(method)
        unsorted = self.curated().unsorted if method == CURATED else set()
        shown = (np.ones(len(labels), bool) if within is None else np.asarray(within, bool)) & ~self.removed()
        ids, totals = np.unique(labels[~self.removed()], return_counts=True)
        sizes = pd.Series(labels[shown]).value_counts().reindex(ids).fillna(0).astype(np.int64).to_numpy()
        table = pd.DataFrame({"id": ids.astype(np.int64),
                              "name": ["noise" if c == NOISE else names.get(int(c), "") for c in ids],
                              "size": sizes, "total": totals.astype(np.int64), "noise": ids == NOISE,
                              "unsorted": [int(c) in unsorted for c in ids]})
        given = self.images["label"].to_numpy(dtype=object)
        known = shown & pd.notna(given)
        if known.any():  # among the members that have a label: images added without one do not count
            top = pd.DataFrame({"cluster": labels[known], "label": given[known]}).groupby("cluster")["label"]
            counts = top.agg(lambda s: s.value_counts().iloc[0]).reindex(ids).to_numpy(dtype=float)
            table["top_label"] = top.agg(lambda s: str(s.value_counts().index[0])).reindex(ids).fillna("").to_numpy()
            table["top_share"] = np.nan_to_num(counts / np.maximum(top.size().reindex(ids).to_numpy(dtype=float), 1))
        return table[table["size"] > 0].reset_index(drop=True) if within is not None else table

    # -- maps ------------------------------------------------------------------------------
    def maps(self, dims: int | None = None) -> list[str]:
        """The kinds of map stored (in MAP_ORDER), for ``dims`` dimensions or any."""
        stored = self.files
        return [kind for kind in MAP_ORDER
                if any(projection_name(kind, d) in stored for d in ([dims] if dims else [2, 3]))]

    def map_points(self, kind: str | None = None, dims: int = 2) -> MapPoints:
        """A stored map: ``kind`` if stored, else the first stored in MAP_ORDER; with none stored,
        the first ``dims`` components of the reduced (PCA) features."""
        for candidate in ([kind] if kind else []) + [k for k in MAP_ORDER if k != kind]:
            name = projection_name(candidate, dims)
            if self.has(name):
                points = self.read(name)
                if len(points) == len(self.reduced):
                    label = {"tsne": "t-SNE"}.get(candidate, candidate.upper())
                    return MapPoints(points, candidate, f"{label} map stored by `imgorg map`")
        points = self.reduced[:, :dims]
        if points.shape[1] < dims:  # fewer components than asked for: pad with zeros
            points = np.column_stack([points, np.zeros((len(points), dims - points.shape[1]), np.float32)])
        count = {2: "two", 3: "three"}.get(dims, str(dims))
        made_by = "`imgorg map WS`" if dims == 2 else f"`imgorg map WS --dims {dims}`"
        return MapPoints(points, PCA_COMPONENTS, f"first {count} PCA components ({made_by} stores a UMAP map)")

    # -- search ----------------------------------------------------------------------------
    def search_index(self) -> SearchIndex:
        """The stored search index (`imgorg index`, or `imgorg run` past 200,000 images), else exact search."""
        if not self.has(INDEX_RECORD):
            return build_index(self.embeddings, "exact")
        record = self.read(INDEX_RECORD)
        return restore_index(record, self.read(INDEX_DATA) if self.has(INDEX_DATA) else None, self.embeddings)


def _lacks(images: pd.DataFrame, row: int, columns: list[str]) -> bool:
    """Whether an image has none of these values; a capture time read from the file's date or name is none."""
    if "taken_at_source" in columns and images.at[row, "taken_at_source"] in (SOURCE_FILE, SOURCE_NAME, None) \
            or pd.isna(images.at[row, columns[0]]):
        return True
    return bool(images.loc[row, columns].isna().all())


def load_workspace(path: str | os.PathLike, verify: bool = True) -> Workspace:
    """Read a workspace; checks format and checksums. Never unpickles anything."""
    return Workspace.load(path, verify)


def open_workspace(workspace: Workspace | str | os.PathLike) -> Workspace:
    """A loaded workspace, as given or read from its folder: what every task accepts. One given that
    another process has rewritten since (``changed_on_disk``) is read again: a task that writes must
    not build on rows that are no longer there (callers hold ``workspace_lock`` when they write)."""
    if isinstance(workspace, Workspace):
        return load_workspace(workspace.path) if workspace.changed_on_disk() else workspace
    if isinstance(workspace, Store):
        raise TypeError("pass a Workspace (imgorg.load_workspace) or a workspace folder, not a bare Store")
    return load_workspace(Path(workspace))
