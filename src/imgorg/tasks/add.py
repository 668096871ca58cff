"""``add_images``: new images into a workspace's curated clusters; nothing already there moves.

Only images whose content the workspace does not hold are embedded (with the workspace's
backbone, through its cache). Their reduced features come from the run's stored PCA (in a
workspace made before it was stored: recovered from the stored embeddings and features, since
it is affine). A logistic regression trained on the
curated clusters' members places each new image in its most probable cluster when that
probability reaches the threshold; the others go to an ``unsorted`` cluster for review. The
placement is one ``add`` edit in the curation log, so ``imgorg clusters WS undo`` takes it
back. A stored map places the new images by their nearest mapped neighbours; results that
covered the old images only (the review, duplicates, outliers, classifiers, the search index) are
dropped, and ``AddResult.dropped`` names them (`imgorg add` reviews again where there was a review).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..classify import make_model
from ..config import AddConfig, ClusterConfig, EmbedConfig
from ..constants import EVENTS, NOISE
from ..events import event_labels, event_times
from ..companions import SEPARATOR
from ..curation import new_log, stamp
from ..embed import COMBINE, embed_catalog, get_backbone
from ..embed.tags import Tags, read_tags, tags_frame
from ..errors import ConfigError, TooFewImagesError
from ..progress import ProgressFactory
from ..maps import place_by_neighbours
from ..reduce import Reducer, l2_normalize
from ..sources import SKIPPED_COLUMNS, STATUS_OK, STATUS_PENDING, normalize_catalog, normalize_skipped, scan_source
from ..views import Workspace, load_workspace, open_workspace
from .saving import input_fingerprints, rerecorded, save_workspace
from ..workspace import (
    EDITS_FILE, PCA_FILES, PROJECTIONS_RECORD, SKIPPED_FILE, TAGS_FILE, method_input, plan_carry_over, update_manifest, workspace_lock,
    embedding_cache,
)
from .curate import next_cluster_id

FIT_ROWS = 20_000  # rows used to recover the PCA map and to train the placing classifier
# Cosine of an image's embeddings before and after its file changed in place, under which it may be another
# picture (placed again where the placing classifier is sure of another cluster). Measured with the default
# backbone on 55 photos: re-saved at JPEG 60 0.77-1.00, brightened 0.69+, greyed 0.59+, an 80% crop 0.76+; a
# quarter turn (0.42-0.88) and a half crop (0.42+) reach below it; two different photos 0.28 (median), 0.64 (p95).
ANOTHER_PICTURE = 0.5


@dataclass
class AddResult:
    workspace: Workspace
    added: pd.DataFrame  # id, path, cluster (NOISE if it failed), probability, status, error
    already: int  # images under the folder that the workspace already holds
    unsorted: int | None  # the unsorted cluster's id, when some image went there
    seconds: float
    # the folder's files that are not images (path, reason, detail, bytes), paths as the workspace names them;
    # they join the workspace's skipped table, so every file stays accounted for
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SKIPPED_COLUMNS))
    # results that covered the old images only and are no longer stored ("review", "duplicates", ...:
    # names of ``imgorg.workspace.ARTIFACTS``, each with the command that makes it again)
    dropped: tuple[str, ...] = ()
    reshaped: bool = False  # a rerun found images moved or gone (``tasks.run._grow``): the review looks again

    @property
    def placed(self) -> dict[int, int]:
        """Images placed per cluster (the unsorted one included)."""
        ok = self.added[self.added["status"] == STATUS_OK]
        return {int(c): int(n) for c, n in ok["cluster"].value_counts().sort_index().items()}


def add_images(workspace: Workspace | str, config: AddConfig, progress: ProgressFactory | None = None,
               scan=None) -> AddResult:
    """Embed the images under ``config.folder`` that the workspace lacks and place them (see the module).
    ``scan``: ``scan_source(config.folder)`` where the caller made it already (a rerun's check that no
    image is gone): every file is read and hashed once, not twice."""
    start = time.perf_counter()
    ws = open_workspace(workspace)
    config.validate()
    with workspace_lock(ws.path):
        ws = open_workspace(ws)  # read again if another process added images or reran meanwhile
        catalog, already, skipped = _new_rows(ws, Path(config.folder), progress, scan)
        skipped_table, changed = _skipped_table(ws, Path(config.folder), skipped)  # before the catalog changes
        embed_config = EmbedConfig(**ws.manifest["config"]["embed"])
        old_tags = _old_tags(ws, embed_config, progress)
        if catalog.empty:  # no new image: no edit, nothing rewritten but the skipped table (and lost tags)
            if old_tags is not None and not ws.has(TAGS_FILE):
                ws.write_artifact(TAGS_FILE, tags_frame(ws.images["id"].to_numpy(), old_tags))
            if changed:
                ws.write_artifact(SKIPPED_FILE, skipped_table)
                ws.manifest = update_manifest(ws.path, {"counts": {**ws.manifest.get("counts", {}),
                                                                   "skipped": int(len(skipped_table))}})
            empty = pd.DataFrame({"id": [], "path": [], "status": [], "error": [], "cluster": [], "probability": []})
            return AddResult(ws, empty, already, None, time.perf_counter() - start, skipped)
        embedded = embed_catalog(ws.root, catalog, embed_config, embedding_cache(ws.path), progress=progress)
        ok = embedded.catalog["status"] == STATUS_OK
        if not ok.any() and len(catalog):
            raise TooFewImagesError(f"none of the {len(catalog)} new files under {config.folder} can be decoded "
                                    f"as an image: {embedded.catalog['error'].dropna().iloc[0]}")
        folder = Path(os.path.abspath(config.folder))
        if not folder.is_relative_to(Path(os.path.abspath(ws.root))):  # paths absolute: the app serves them from there
            ws.manifest["added_from"] = sorted({*ws.manifest.get("added_from", ()), folder.as_posix()})
        clusters, probability, unsorted = _place(ws, embedded.embeddings, config)
        added = embedded.catalog[["id", "path", "status", "error"]].copy()
        added["cluster"], added["probability"] = NOISE, np.nan
        added.loc[ok.to_numpy(), "cluster"], added.loc[ok.to_numpy(), "probability"] = clusters, probability
        dropped = _extend(ws, embedded, clusters, probability, unsorted, skipped_table, old_tags)
    return AddResult(ws, added.reset_index(drop=True), already, unsorted, time.perf_counter() - start, skipped,
                     dropped)


def _new_rows(ws: Workspace, folder: Path, progress, scan=None) -> tuple[pd.DataFrame, int, pd.DataFrame]:
    """The folder's images the workspace lacks (by path: a file of a known picture at a new path is a
    new file, an exact copy the review finds as such, as a fresh run would), with the next free ids
    and paths as the workspace names them: relative to its source folder, else absolute; how many it
    holds already; and the folder's files that are not images, their paths named the same way."""
    scan = scan if scan is not None else scan_source(folder, progress=progress)
    scanned, skipped = scan.catalog.copy(), scan.skipped.copy()
    scanned["path"] = [_workspace_path(ws, folder, rel) for rel in scanned["path"]]
    for column in ("original", "motion", "sidecars"):  # a shot's other files, named as its image is
        if column in scanned:
            scanned[column] = [rel if not isinstance(rel, str) else SEPARATOR.join(
                _workspace_path(ws, folder, part) for part in rel.split(SEPARATOR)) for rel in scanned[column]]
    skipped["path"] = [_workspace_path(ws, folder, rel) for rel in skipped["path"]]
    known = scanned["path"].isin(set(ws.catalog["path"]))
    new = scanned[~known].copy()
    new["id"] = np.arange(len(new)) + int(ws.catalog["id"].max()) + 1
    return normalize_catalog(new), int(known.sum()), normalize_skipped(skipped)


def _workspace_path(ws: Workspace, folder: Path, rel: str) -> str:
    """A path under ``folder`` as the workspace names it: relative to its source folder, else absolute
    (links not followed: the path the person sees)."""
    root = Path(os.path.abspath(ws.root))
    full = Path(os.path.abspath(folder / rel))
    return full.relative_to(root).as_posix() if full.is_relative_to(root) else full.as_posix()


def _skipped_table(ws: Workspace, folder: Path, skipped: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """The workspace's skipped table with the folder's rows in place of those it held under that folder
    (a file no longer there leaves it), and whether that changes it."""
    before = ws.read(SKIPPED_FILE) if ws.has(SKIPPED_FILE) else pd.DataFrame(columns=SKIPPED_COLUMNS)
    before = normalize_skipped(before)
    base, root = Path(os.path.abspath(folder)), Path(os.path.abspath(ws.root))
    under = np.array([(root / p).is_relative_to(base) for p in before["path"].astype(str)], dtype=bool)
    table = normalize_skipped(pd.concat([before[~under], skipped], ignore_index=True))
    return table, not (ws.has(SKIPPED_FILE) and table.equals(before))


def _place(ws: Workspace, embeddings: np.ndarray, config: AddConfig,
           exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int | None]:
    """(cluster, probability) of each new image, and the unsorted cluster's id if any went there.
    ``exclude``: rows the classifier does not learn from (images placed again)."""
    if len(embeddings) == 0:
        return np.zeros(0, np.int64), np.zeros(0), None
    state = ws.curated()
    labels = state.labels
    learn = (labels != NOISE) & ~np.isin(labels, list(state.unsorted))
    if exclude is not None:
        learn[exclude] = False
    train = np.flatnonzero(learn)
    train = _sample(train, config.seed)
    classes = np.unique(labels[train])
    if len(classes) == 1:
        clusters, probability = np.full(len(embeddings), classes[0]), np.ones(len(embeddings))
    else:
        model = make_model("logistic", config.seed).fit(np.asarray(ws.embeddings)[train], labels[train])
        proba = model.predict_proba(embeddings)
        clusters, probability = model.classes_[proba.argmax(axis=1)], proba.max(axis=1)
    unsure = probability < config.threshold
    unsorted = None
    if unsure.any():
        unsorted = min(state.unsorted) if state.unsorted else next_cluster_id(ws, ws.edit_log() or new_log(ws.base_method),
                                                                               labels)
        clusters = np.where(unsure, unsorted, clusters)
    return clusters.astype(np.int64), probability.round(4), unsorted


def _old_tags(ws: Workspace, embed_config: EmbedConfig, progress) -> Tags | None:
    """The stored images' tags; where the workspace lacks them though the backbone makes them (a rerun
    dropped a damaged tags.parquet), read again from the embedding cache (embedded again where it lacks
    them), so that names and word search have them for every image."""
    tags = ws.tags()
    if tags is not None or COMBINE in embed_config.backbone or not get_backbone(embed_config.backbone).classifier:
        return tags
    old = ws.images.copy()
    old["status"] = STATUS_PENDING
    again = embed_catalog(ws.root, old, embed_config, embedding_cache(ws.path), progress=progress)
    return again.tags if again.tags is not None and len(again.tags) == len(old) else None


def _extend(ws: Workspace, embedded, clusters: np.ndarray, probability: np.ndarray, unsorted: int | None,
            skipped: pd.DataFrame, old_tags: Tags | None) -> tuple[str, ...]:
    """The workspace with the new rows, the add edit in its log, its tags, maps and skipped table extended;
    returns the artifacts no longer stored (they covered the old images only)."""
    previous = dict(ws.manifest)
    log = ws.edit_log() or new_log(ws.base_method)
    maps = _maps(ws)
    ok = embedded.catalog["status"] == STATUS_OK
    new_ids = embedded.catalog.loc[ok, "id"].to_numpy()
    reduced = _reduce_like(ws, embedded.embeddings)
    pca = {part: ws.read(file) for part, file in PCA_FILES.items() if ws.has(file)}
    ws.catalog = normalize_catalog(pd.concat([ws.catalog, embedded.catalog], ignore_index=True))
    ws.embeddings = np.concatenate([np.asarray(ws.embeddings), embedded.embeddings]).astype(np.float32)
    ws.reduced = np.concatenate([ws.reduced, reduced]).astype(np.float32)
    rows = pd.DataFrame({"id": new_ids})
    for method in ws.stored_methods:  # the stored clusterings never saw these images
        rows[method], rows[f"{method}_distance"] = NOISE, np.nan
    ws.assignments = pd.concat([ws.assignments, rows.astype(ws.assignments.dtypes.to_dict())], ignore_index=True)
    if EVENTS in ws.assignments:  # events follow capture times, not features: the new photos join theirs
        gap = ws.manifest.get("config", {}).get("cluster", {}).get("event_gap_hours", ClusterConfig.event_gap_hours)
        taken = event_times(ws.catalog.loc[ws.catalog["status"] == STATUS_OK])  # rows as the embeddings
        ws.assignments[EVENTS] = event_labels(taken, gap)
    counts = ws.manifest.get("counts", {})
    ws.manifest["counts"] = {**counts, "ok": int(len(ws.embeddings)), "failed": int((ws.catalog["status"] != STATUS_OK).sum()),
                             "files": int(len(ws.catalog)), "added": int(counts.get("added", 0)) + int(len(new_ids)),
                             "skipped": int(len(skipped))}
    carry = plan_carry_over(previous, input_fingerprints(ws))
    save_workspace(ws, carry)
    edit = {"op": "add", "images": {str(int(i)): int(c) for i, c in zip(new_ids, clusters)},
            "probability": {str(int(i)): float(p) for i, p in zip(new_ids, probability)}, "unsorted": unsorted}
    log["edits"].append(stamp(edit))
    ws.write_artifact(EDITS_FILE, log, inputs=(method_input(log["base"]),))
    ws.write_artifact(SKIPPED_FILE, skipped)  # the rewrite above dropped it: it recorded the old images
    for part, array in pca.items():  # dropped too (it depends on the embeddings), and as it was
        ws.write_artifact(PCA_FILES[part], array)
    if old_tags is not None and embedded.tags is not None:
        both = read_tags(pd.concat([tags_frame(np.zeros(len(old_tags)), old_tags),
                                    tags_frame(np.zeros(len(new_ids)), embedded.tags)], ignore_index=True))
        ws.write_artifact(TAGS_FILE, tags_frame(ws.images["id"].to_numpy(), both))
    for name, (points, record) in maps.items():
        ws.write_artifact(name, place_by_neighbours(ws.reduced, np.arange(len(points)), points).astype(np.float32))
    if maps:
        records = {name: {**record, "images": len(ws.reduced)} for name, (_, record) in maps.items()}
        ws.write_artifact(PROJECTIONS_RECORD, records)
    return tuple(name for name in carry.dropped if name not in ws.manifest.get("artifacts", {}))


# What stays true of a workspace when some of its images are read again under the same ids: the edit
# log (ids), the skipped table, the fitted PCA (a few rows do not refit it). The rest is made again.
KEPT_THROUGH_REFRESH = frozenset({"edits", "skipped", "pca"})


def refresh_images(ws: Workspace, changed: dict[int, str], scanned: pd.DataFrame,
                   progress: ProgressFactory | None = None) -> Workspace:
    """The curated workspace with the images whose files changed in place (``changed``: id -> path; a
    photo rotated, re-saved, a rating written into it) read again from ``scanned`` (the folder's
    catalog): their catalog rows, embeddings and reduced features anew under the same ids, so every
    edit and their place in the clusters stay; the maps place them among their neighbours."""
    from ..workspace import embedding_cache as cache_of

    rows = scanned.set_index("path").loc[list(changed.values())].reset_index()
    rows["id"], rows["status"] = list(changed), STATUS_PENDING
    embed_config = EmbedConfig(**ws.manifest["config"]["embed"])
    embedded = embed_catalog(ws.root, normalize_catalog(rows), embed_config, cache_of(ws.path), progress=progress)
    bad = embedded.catalog[embedded.catalog["status"] != STATUS_OK]
    if len(bad):
        raise ConfigError(f"{bad['path'].iat[0]} changed in place and no longer decodes ({bad['error'].iat[0]}); "
                                "put it back, or pass --discard-edits to cluster the folder anew")
    maps, previous = _maps(ws), dict(ws.manifest)
    ids = embedded.catalog["id"].to_numpy()
    position = ws.rows_of(ids)
    catalog = ws.catalog.set_index("id")
    fresh = embedded.catalog.set_index("id")
    for column in fresh.columns.intersection(catalog.columns):
        catalog.loc[ids, column] = fresh.loc[ids, column].to_numpy()
    ws.catalog = normalize_catalog(catalog.reset_index())
    embeddings, reduced = np.asarray(ws.embeddings).copy(), ws.reduced.copy()
    embeddings[position] = embedded.embeddings
    reduced[position] = _reduce_like(ws, embedded.embeddings)
    ws.embeddings, ws.reduced = embeddings.astype(np.float32), reduced.astype(np.float32)
    fingerprints = input_fingerprints(ws)
    save_workspace(ws, plan_carry_over(rerecorded(previous, fingerprints, KEPT_THROUGH_REFRESH), fingerprints))
    others = np.setdiff1d(np.arange(len(ws.reduced)), position)
    for name, (points, _) in maps.items():
        placed = points.copy()
        placed[position] = place_by_neighbours(ws.reduced, others, points[others])[position]
        ws.write_artifact(name, placed.astype(np.float32))
    if maps:
        ws.write_artifact(PROJECTIONS_RECORD, {name: record for name, (_, record) in maps.items()})
    return load_workspace(ws.path)


def place_changed(ws: Workspace, before: dict[int, np.ndarray], threshold: float = AddConfig.threshold) -> list:
    """Images that changed in place into another picture moved to the cluster their new content belongs to:
    those whose embedding now has a cosine under ``ANOTHER_PICTURE`` with ``before`` (id -> the embedding
    they had), where the classifier that places added images (trained on the other images) is sure of
    another cluster (``threshold``), and no person moved or set them aside. One Move edit per cluster, so
    undo takes it back; returns the ``EditResult``s."""
    from ..curation import Move, effective
    from .curate import edit_clusters

    ids = np.array(sorted(before), np.int64)
    rows = ws.rows_of(ids)
    now = np.asarray(ws.embeddings)[rows]
    cosine = np.einsum("ij,ij->i", l2_normalize(now), l2_normalize(np.stack([before[int(i)] for i in ids])))
    moved = {int(i) for edit in effective((ws.edit_log() or {"edits": []})["edits"]) if edit["op"] == "move"
             for i in edit["images"]}
    current = ws.curated().labels[rows]
    unlike = (cosine < ANOTHER_PICTURE) & (current != NOISE) & ~np.isin(ids, list(moved))
    if not unlike.any():
        return []
    clusters, probability, _ = _place(ws, now[unlike], AddConfig(folder=str(ws.root), threshold=threshold),
                                      exclude=rows[unlike])
    elsewhere = (probability >= threshold) & (clusters != current[unlike])
    done = []
    for cluster in np.unique(clusters[elsewhere]):
        chosen = ids[unlike][elsewhere & (clusters == cluster)]
        done.append(edit_clusters(done[-1].workspace if done else ws, Move(tuple(int(i) for i in chosen), int(cluster))))
    return done


def _maps(ws: Workspace) -> dict[str, tuple[np.ndarray, dict]]:
    """The stored maps, with how each was made."""
    if not ws.has(PROJECTIONS_RECORD):
        return {}
    record = ws.read(PROJECTIONS_RECORD)
    return {name: (ws.read(name), info) for name, info in record.items() if ws.has(name)}


def _reduce_like(ws: Workspace, embeddings: np.ndarray) -> np.ndarray:
    """New embeddings in the workspace's reduced space: through its stored PCA, or, in a workspace
    made before the PCA was stored, the affine map from L2-normalised embeddings to reduced
    features (L2 then PCA) recovered by least squares from the stored rows."""
    if len(embeddings) == 0:
        return np.zeros((0, ws.reduced.shape[1]), np.float32)
    reduce = ws.manifest.get("config", {}).get("reduce", {})
    if all(ws.has(file) for file in PCA_FILES.values()):
        fitted = {part: ws.read(file) for part, file in PCA_FILES.items()}
        reducer = Reducer.from_fitted(**fitted, l2=reduce.get("l2", True), whiten=reduce.get("whiten", False))
        return reducer.transform(embeddings)
    prepare = l2_normalize if ws.manifest.get("config", {}).get("reduce", {}).get("l2", True) else np.asarray
    rows = _sample(np.arange(len(ws.embeddings)), 0)
    design = np.hstack([prepare(np.asarray(ws.embeddings)[rows]), np.ones((len(rows), 1), np.float32)])
    mapping, *_ = np.linalg.lstsq(design.astype(np.float64), ws.reduced[rows].astype(np.float64), rcond=None)
    new = np.hstack([prepare(embeddings), np.ones((len(embeddings), 1), np.float32)])
    return (new @ mapping).astype(np.float32)


def _sample(rows: np.ndarray, seed: int) -> np.ndarray:
    if len(rows) <= FIT_ROWS:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, FIT_ROWS, replace=False))
