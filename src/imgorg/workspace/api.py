"""One Workspace API: what every caller (CLI, app, report, export, notebooks) asks of a workspace.

Methods stored and the default one, with one rule for an unknown method (a ConfigError
that lists the stored ones); the labels, if the images have them; a cluster's members,
most typical first; the map points, with one fallback order; artifacts by file name.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..clustering import distance_to_centre
from ..constants import NOISE
from ..curation import CURATED, Curated, apply as apply_edits
from ..errors import ConfigError, WorkspaceError
from ..fileio import file_sha256, write_json, write_npy, write_parquet
from ..embed.tags import Tags, read_tags
from ..index import SearchIndex, build_index, restore_index
from ..metrics import score_clustering
from ..sources import STATUS_OK, labels_of
from .artifacts import (
    ARTIFACTS, EDITS_FILE, INDEX_DATA, INDEX_RECORD, TAGS_FILE, artifact_of, method_input, projection_name,
)
from .storage import (
    ASSIGNMENTS, CATALOG, CORE_FILES, EMBEDDINGS, FORMAT, FORMAT_VERSION, MANIFEST, METRICS, REDUCED,
    read_artifact, read_manifest, update_manifest, verify_file, write_artifact,
)

MAP_ORDER = ("umap", "tsne", "pca")  # stored maps, in the order they are preferred
PCA_COMPONENTS = "pca-components"  # no map stored: the first components of the reduced features


@dataclass
class MapPoints:
    points: np.ndarray  # (n_images, dims) float32, rows aligned with Workspace.images
    kind: str  # "umap", "tsne", "pca" (stored by `imgorg map`) or "pca-components" (none stored)
    description: str  # for a caption


@dataclass
class Workspace:
    path: Path
    manifest: dict[str, Any]
    catalog: pd.DataFrame  # every file found, failures included
    embeddings: np.ndarray  # rows align with catalog rows whose status is "ok"
    reduced: np.ndarray
    assignments: pd.DataFrame  # rows align with embeddings
    metrics: dict[str, Any] = field(default_factory=dict)
    _curated: tuple | None = field(default=None, repr=False, compare=False)  # (edits checksum, Curated)
    _names: dict = field(default_factory=dict, repr=False, compare=False)  # (tags checksum, labels) -> names
    _core: dict = field(default_factory=dict, repr=False, compare=False)  # core files' checksums as read or written

    # -- images ----------------------------------------------------------------------------
    @property
    def images(self) -> pd.DataFrame:
        """The catalog rows that have an embedding, in embedding order."""
        return self.catalog[self.catalog["status"] == STATUS_OK].reset_index(drop=True)

    @property
    def failures(self) -> pd.DataFrame:
        return self.catalog[self.catalog["status"] != STATUS_OK].reset_index(drop=True)

    @property
    def root(self) -> Path:
        """The source folder the images' paths are relative to."""
        return Path(self.manifest.get("source", {}).get("root", "."))

    def rows_of(self, ids) -> np.ndarray:
        """Rows (in ``images`` order) of image ids; an unknown id is a ConfigError that says which."""
        row_of = pd.Series(np.arange(len(self.images)), index=self.images["id"].to_numpy())
        asked = [int(i) for i in np.atleast_1d(np.asarray(ids, dtype=object))]
        fits = [-2**63 <= i < 2**63 for i in asked]  # past int64: no image's id (and not an OverflowError)
        too_big = [i for i, f in zip(asked, fits) if not f]
        ids = pd.Index(np.array([i for i, f in zip(asked, fits) if f], dtype=np.int64))
        unknown = too_big or ids[~ids.isin(row_of.index)].tolist()
        if unknown:
            raise ConfigError(f"no image with id {', '.join(map(str, unknown[:5]))} in this workspace (ids of "
                              f"embedded images run 0..{int(self.catalog['id'].max())}; failed images have none)")
        return row_of.loc[ids].to_numpy()

    # -- labels ----------------------------------------------------------------------------
    @property
    def has_labels(self) -> bool:
        """Whether every embedded image has a label (a folder-per-class tree): then scores use them."""
        return self.labels is not None

    @property
    def labels(self) -> np.ndarray | None:
        """Each image's label (object array), or None unless every image has one."""
        return labels_of(self.images)

    # -- clusterings -----------------------------------------------------------------------
    @property
    def stored_methods(self) -> list[str]:
        """The clusterings stored in the assignments, in the order they were made."""
        return [c for c in self.assignments.columns if c != "id" and not c.endswith("_distance")]

    @property
    def methods(self) -> list[str]:
        """Every clustering: those stored, then ``curated`` once someone has edited one."""
        return self.stored_methods + ([CURATED] if self.has(EDITS_FILE) else [])

    @property
    def base_method(self) -> str:
        """The default stored clustering (the one ``imgorg run`` or ``imgorg compare`` chose)."""
        return self.manifest["default_method"]

    @property
    def method(self) -> str:
        """The default clustering: what the app, the report and export show unless told otherwise;
        the curated one once it exists."""
        return CURATED if self.has(EDITS_FILE) else self.base_method

    def tags(self) -> Tags | None:
        """Each image's top ImageNet classes (rows as ``images``), or None for a backbone without a classifier."""
        if not self.has(TAGS_FILE):
            return None
        frame = self.read(TAGS_FILE).set_index("id").reindex(self.images["id"].to_numpy())
        if frame.isna().any().any():
            return None
        return read_tags(frame.reset_index())

    def edit_log(self) -> dict | None:
        """The curation log (``imgorg.curation``), or None when nothing was edited."""
        return self.read(EDITS_FILE) if self.has(EDITS_FILE) else None

    def curated(self) -> Curated:
        """The curated clustering: the log's standing edits applied to its base clustering."""
        checksum = self._stored_files().get(EDITS_FILE)
        if checksum is None:
            return Curated(self.assignments[self.base_method].to_numpy(np.int64).copy())
        cached = self._curated  # read once: the app's threads share this object
        if cached is None or cached[0] != checksum:
            log_ = self.read(EDITS_FILE)
            state = apply_edits(log_, self.assignments[log_["base"]].to_numpy(), self.images["id"].to_numpy())
            cached = self._curated = (checksum, state)
        return cached[1]
    def check_method(self, method: str | None = None) -> str:
        """``method``, or the default when None; a method not stored is a ConfigError listing those that are."""
        method = method or self.method
        if method not in self.methods:
            raise ConfigError(f"method {method!r} is not stored in this workspace; stored: "
                              f"{', '.join(self.methods) or 'none'} (`imgorg compare --methods {method}` adds it)")
        return method

    def cluster_labels(self, method: str | None = None) -> np.ndarray:
        """The cluster of each image (NOISE = -1 for none), rows aligned with ``images``."""
        method = self.check_method(method)
        return self.curated().labels if method == CURATED else self.assignments[method].to_numpy()

    def distances(self, method: str | None = None) -> np.ndarray | None:
        """Each image's distance to its cluster's centre in the reduced space, if the method has centres."""
        method = self.check_method(method)
        if method == CURATED:
            return distance_to_centre(self.reduced, self.curated().labels)
        column = self.assignments.get(f"{method}_distance")
        return None if column is None else column.to_numpy()

    def scores(self, method: str | None = None) -> dict:
        """The scores of a clustering: as stored in metrics.json, or for ``curated`` (never stored:
        every edit changes it) computed now on the reduced features, as ``imgorg run`` scores."""
        method = self.check_method(method)
        if method != CURATED:
            return self.metrics.get(method, {})
        return score_clustering(self.reduced, self.curated().labels, self.labels).to_dict()

    def cluster_names(self, method: str | None = None) -> dict[int, str]:
        """A name per cluster: the one a person gave it (curated), else words from its images' tags."""
        method = self.check_method(method)
        labels = self.cluster_labels(method)
        names = auto_names(self, labels)
        if method == CURATED:
            base = self.assignments[self.base_method].to_numpy()
            names.update(kept_names(base, labels, auto_names(self, base)))
            names.update(self.curated().names)
        return names

    def members(self, cluster_id: int, method: str | None = None) -> np.ndarray:
        """Rows of a cluster, most typical (closest to its centre) first; empty for an unknown id."""
        rows = np.flatnonzero(self.cluster_labels(method) == cluster_id)
        distance = self.distances(method)
        if distance is not None:
            rows = rows[np.argsort(distance[rows], kind="stable")]
        return rows

    def clusters(self, method: str | None = None, within: np.ndarray | None = None) -> pd.DataFrame:
        """One row per cluster: id, name, size, total, noise, unsorted and, where labels exist,
        top_label and top_share. With ``within`` (a boolean mask over the images, e.g. those taken
        in a date range) size, top_label and top_share count only those images (total: all of
        them), and clusters with none of them are left out."""
        method = self.check_method(method)
        labels = self.cluster_labels(method)
        ids, totals = np.unique(labels, return_counts=True)
        names = self.cluster_names(method)
        unsorted = self.curated().unsorted if method == CURATED else set()
        shown = np.ones(len(labels), bool) if within is None else np.asarray(within, bool)
        sizes = pd.Series(labels[shown]).value_counts().reindex(ids).fillna(0).astype(np.int64).to_numpy()
        table = pd.DataFrame({"id": ids.astype(np.int64),
                              "name": ["noise" if c == NOISE else names.get(int(c), "") for c in ids],
                              "size": sizes, "total": totals.astype(np.int64), "noise": ids == NOISE,
                              "unsorted": [int(c) in unsorted for c in ids]})
        if self.has_labels:
            top = pd.DataFrame({"cluster": labels[shown], "label": self.labels[shown]}).groupby("cluster")["label"]
            counts = top.agg(lambda s: s.value_counts().iloc[0]).reindex(ids).to_numpy()
            table["top_label"] = top.agg(lambda s: str(s.value_counts().index[0])).reindex(ids).to_numpy()
            table["top_share"] = (counts / np.maximum(sizes, 1)).astype(float)
        return table[table["size"] > 0].reset_index(drop=True) if within is not None else table

    # -- maps ------------------------------------------------------------------------------
    def maps(self, dims: int | None = None) -> list[str]:
        """The kinds of map stored (in MAP_ORDER), for ``dims`` dimensions or any."""
        stored = self._stored_files()
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
        return MapPoints(points, PCA_COMPONENTS, f"first {count} PCA components (`imgorg map` stores a UMAP map)")

    # -- search --------------------------------------------------------------------------
    def search_index(self) -> SearchIndex:
        """The stored search index (`imgorg index`, or `imgorg run` past 200,000 images), else exact search."""
        if not self.has(INDEX_RECORD):
            return build_index(self.embeddings, "exact")
        record = self.read(INDEX_RECORD)
        return restore_index(record, self.read(INDEX_DATA) if self.has(INDEX_DATA) else None, self.embeddings)

    # -- artifacts -------------------------------------------------------------------------
    def changed_on_disk(self) -> bool:
        """Whether another process rewrote the workspace's core files (catalog, embeddings, clusterings:
        `imgorg add`, a rerun) since this object read or wrote them: then it holds old rows."""
        if not self._core:
            return False
        try:
            return _core_checksums(read_manifest(self.path)) != self._core
        except (OSError, WorkspaceError):
            return False

    def has(self, name: str) -> bool:
        """Whether the workspace holds an artifact file now (another process may have added it)."""
        return name in self._stored_files()

    def _stored_files(self) -> dict[str, str]:
        """The files listed in the manifest on disk (the in-memory copy may be older); a workspace
        being built (no files listed yet) has none."""
        if "files" in self.manifest and (Path(self.path) / MANIFEST).is_file():
            self.manifest["files"] = read_manifest(self.path).get("files", {})
        return self.manifest.get("files", {})

    def read(self, name: str, verify: bool = True):
        return read_artifact(self.path, name, verify)

    def write_artifact(self, name: str, data: np.ndarray | pd.DataFrame | dict, inputs: tuple[str, ...] = ()) -> Path:
        """Write one artifact file (atomically, checksummed, its inputs recorded) and keep the
        in-memory manifest in step with the file's."""
        target = write_artifact(self.path, name, data, inputs)
        fresh = read_manifest(self.path)
        self.manifest["files"], self.manifest["artifacts"] = fresh["files"], fresh.get("artifacts", {})
        return target


def input_fingerprints(ws: Workspace) -> dict[str, str]:
    """A fingerprint of each input an artifact can depend on (artifacts.INPUTS), and of each stored
    clustering ("clusters:<method>")."""
    images = ws.images[["id", "path", "sha256"]].astype(str).to_numpy()
    labels = lambda values: _digest(np.ascontiguousarray(np.asarray(values, np.int64)).tobytes())  # noqa: E731
    return {
        "images": _digest("\n".join("\t".join(row) for row in images).encode()),
        "embeddings": _digest(np.ascontiguousarray(ws.embeddings, np.float32).tobytes()),
        "reduced": _digest(np.ascontiguousarray(ws.reduced, np.float32).tobytes()),
        "clusters": labels(ws.cluster_labels()),
    } | {method_input(m): labels(ws.assignments[m]) for m in ws.stored_methods}


def follow_clusters(ws: Workspace) -> None:
    """After the default clustering changed (a rerun, `compare`, an edit): record the new inputs, and
    rewrite the cluster column of the artifacts that show it."""
    inputs = input_fingerprints(ws)
    if inputs != ws.manifest.get("inputs"):
        ws.manifest = update_manifest(ws.path, {"inputs": inputs})
    for name, record in dict(ws.manifest.get("artifacts", {})).items():
        artifact = ARTIFACTS.get(name)
        if artifact and artifact.cluster_column and record.get("inputs", {}).get("clusters") != inputs["clusters"]:
            _refresh_cluster_column(ws, name)


@dataclass
class CarryOver:
    """What a rewrite of a workspace keeps of the artifacts in its previous manifest."""

    files: dict[str, str] = field(default_factory=dict)  # kept file -> checksum
    artifacts: dict[str, dict] = field(default_factory=dict)  # kept artifact -> its record
    dropped: list[str] = field(default_factory=list)  # artifacts (or unregistered files) that no longer hold

    @property
    def kept(self) -> list[str]:
        return sorted(self.artifacts)


def plan_carry_over(previous: dict | None, inputs: dict[str, str]) -> CarryOver:
    """Keep each artifact of ``previous`` whose recorded inputs equal ``inputs``; one that only shows
    the clusters (``cluster_column``) is kept whatever they are (``follow_clusters`` mends it)."""
    plan = CarryOver()
    if not previous:
        return plan
    records = previous.get("artifacts", {})
    for file, checksum in previous.get("files", {}).items():
        if file in CORE_FILES:
            continue
        artifact = artifact_of(file)
        record = records.get(artifact.name) if artifact else None
        if record is None:
            plan.dropped.append(artifact.name if artifact else file)
            continue
        recorded = record.get("inputs", {})
        shown = {"clusters"} if artifact.cluster_column else set()  # followed, not depended on
        if any(value != inputs.get(dep) for dep, value in recorded.items() if dep not in shown):
            plan.dropped.append(artifact.name)
            continue
        plan.files[file] = checksum
        plan.artifacts[artifact.name] = record
    plan.dropped = sorted(set(plan.dropped) - set(plan.artifacts))
    return plan


def save_workspace(ws: Workspace, carry: CarryOver | None = None) -> Workspace:
    """Write every core file atomically, then the manifest (checksums, input fingerprints) last.

    ``carry``: the artifacts already in the folder that stay (see ``plan_carry_over``); any
    other artifact of an earlier run is no longer listed."""
    path = Path(ws.path)
    path.mkdir(parents=True, exist_ok=True)
    _check_alignment(ws)
    carry = carry or CarryOver()
    write_parquet(path / CATALOG, ws.catalog)
    write_npy(path / EMBEDDINGS, ws.embeddings.astype(stored_dtype(ws.manifest), copy=False))
    write_npy(path / REDUCED, ws.reduced)
    write_parquet(path / ASSIGNMENTS, ws.assignments)
    write_json(path / METRICS, ws.metrics)
    manifest = dict(ws.manifest)
    manifest.update(format=FORMAT, format_version=FORMAT_VERSION, inputs=input_fingerprints(ws))
    manifest.setdefault("created", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    manifest["files"] = {name: file_sha256(path / name) for name in CORE_FILES} | carry.files
    manifest["artifacts"] = dict(carry.artifacts)
    write_json(path / MANIFEST, manifest)
    _remove_stale(path, manifest["files"])
    ws.manifest, ws._core = manifest, _core_checksums(manifest)
    follow_clusters(ws)  # with kept edits the default clustering is the curated one
    return ws


DISCARDED_EDITS = "edits-discarded.json"  # a discarded edit log, kept (not applied) in case it is wanted back


def _remove_stale(path: Path, listed: dict[str, str]) -> None:
    """Remove the artifact files the manifest no longer lists, so that no stale table (duplicates or
    predictions of other images, say) is left beside the workspace for pandas to read. The edit log
    is a person's work, never removed here: `imgorg add` writes it again right after its rewrite, and
    a run that discards it sets it aside (``discard_edit_log``)."""
    for file in sorted(os.listdir(path)):
        if file not in listed and file != EDITS_FILE and artifact_of(file) is not None and (path / file).is_file():
            (path / file).unlink(missing_ok=True)


def discard_edit_log(path: str | os.PathLike) -> None:
    """Set aside the edit log of a workspace a run re-clustered (``--discard-edits``): kept as
    ``edits-discarded.json``, no longer applied. Call after the rewrite that stopped listing it."""
    log_file = Path(path) / EDITS_FILE
    if log_file.is_file():
        os.replace(log_file, Path(path) / DISCARDED_EDITS)


def replace_clusterings(ws: Workspace, assignments: pd.DataFrame, metrics: dict, manifest_updates: dict) -> Workspace:
    """The same workspace with other clusterings (assignments, metrics, chosen method): embeddings
    and catalog stay as they are, every artifact stays, cluster columns follow. Callers hold
    ``workspace_lock``."""
    ws.assignments, ws.metrics = assignments, metrics
    ws.manifest = {**ws.manifest, **manifest_updates}
    return save_workspace(ws, plan_carry_over(ws.manifest, input_fingerprints(ws)))


def load_workspace(path: str | os.PathLike, verify: bool = True) -> Workspace:
    """Read a workspace; checks format and checksums. Never unpickles anything."""
    path = Path(path)
    manifest = read_manifest(path)
    if verify:
        for name, expected in manifest.get("files", {}).items():
            verify_file(path, name, expected)
    try:
        ws = Workspace(
            path=path,
            manifest=manifest,
            catalog=pd.read_parquet(path / CATALOG),
            embeddings=_load_embeddings(path / EMBEDDINGS),
            reduced=np.load(path / REDUCED, allow_pickle=False),
            assignments=pd.read_parquet(path / ASSIGNMENTS),
            metrics=json.loads((path / METRICS).read_text(encoding="utf-8")),
        )
    except (OSError, ValueError) as err:
        raise WorkspaceError(f"cannot read workspace {str(path)!r}: {err}") from None
    _check_alignment(ws)
    ws._core = _core_checksums(manifest)
    return ws


def _core_checksums(manifest: dict) -> dict[str, str | None]:
    return {name: manifest.get("files", {}).get(name) for name in CORE_FILES}


def open_workspace(workspace: Workspace | str | os.PathLike) -> Workspace:
    """A loaded workspace, as given or read from its folder: what every task accepts. One given that
    another process has rewritten since (``changed_on_disk``) is read again: a task that writes must
    not build on rows that are no longer there (callers hold ``workspace_lock`` when they write)."""
    if isinstance(workspace, Workspace):
        return load_workspace(workspace.path) if workspace.changed_on_disk() else workspace
    return load_workspace(workspace)


def stored_dtype(manifest: dict) -> type:
    """float16 when the run asked for it (half the disk), else float32."""
    return np.float16 if manifest.get("config", {}).get("embed", {}).get("float16") else np.float32


def _load_embeddings(path: Path) -> np.ndarray:
    """float32 embeddings: memory-mapped (read on demand, shared by processes) when stored as
    float32; float16 files are widened in memory, since BLAS and FAISS work in float32."""
    embeddings = np.load(path, mmap_mode="r", allow_pickle=False)
    return embeddings.astype(np.float32) if embeddings.dtype == np.float16 else embeddings


def _refresh_cluster_column(ws: Workspace, name: str) -> None:
    """Rewrite an artifact's cluster column from the default clustering (its other columns hold)."""
    artifact = ARTIFACTS[name]
    cluster_of = pd.Series(ws.cluster_labels(), index=ws.images["id"].to_numpy())
    for file in [f for f in ws.manifest["files"] if artifact.owns(f) and f.endswith(".parquet")]:
        frame = ws.read(file)
        if artifact.cluster_column in frame:
            frame[artifact.cluster_column] = (cluster_of.reindex(frame["id"].to_numpy()).fillna(NOISE)
                                              .astype(np.int64).to_numpy())
            ws.write_artifact(file, frame)


def _check_alignment(ws: Workspace) -> None:
    n_ok = int((ws.catalog["status"] == STATUS_OK).sum())
    sizes = {"embeddings": len(ws.embeddings), "reduced": len(ws.reduced), "assignments": len(ws.assignments)}
    if any(n != n_ok for n in sizes.values()):
        raise WorkspaceError(f"workspace rows disagree: {n_ok} ok catalog rows but {sizes}")


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()  # about 1 GB/s: 1M x 256 floats in a second




SAME_CLUSTER = 0.9  # share of a cluster's earlier images it keeps, and holds, to keep its earlier name


def kept_names(base: np.ndarray, curated: np.ndarray, base_names: dict[int, str]) -> dict[int, str]:
    """The base clustering's names of the curated clusters that edits left (nearly) as they were.

    Names are relative to the other clusters, so merging two clusters would otherwise rename
    clusters nobody touched, and their export folders with them. Images added since (no base
    cluster) do not count: a cluster that only grew keeps its name."""
    earlier = base != NOISE
    base, curated = base[earlier], curated[earlier]
    was, now = pd.Series(base).value_counts(), pd.Series(curated).value_counts()  # one pass: called per request
    both = pd.Series(base[base == curated]).value_counts()
    return {int(c): name for c, name in base_names.items()
            if both.get(c, 0) and both.get(c, 0) >= SAME_CLUSTER * was.get(c, 0)
            and both.get(c, 0) >= SAME_CLUSTER * now.get(c, 0)}


def auto_names(ws: Workspace, labels: np.ndarray) -> dict[int, str]:
    """Names from the images' tags (imgorg.naming); for CLIP, zero-shot from the same vocabulary;
    none for other backbones."""
    checksum = ws._stored_files().get(TAGS_FILE)
    clip = ws.manifest.get("config", {}).get("embed", {}).get("backbone") == "clip-vit-b-32"
    if checksum is None and not clip:
        return {}
    key = (checksum, _digest(np.ascontiguousarray(labels, np.int64).tobytes()))
    cached = ws._names  # read once: the app's threads share this object, and another may replace it
    if key not in cached:
        named = _tag_names(ws, labels) if checksum else _zero_shot_names(ws, labels)
        kept = list(cached.items())[-3:]  # a few clusterings' worth: the curated one and its base, say
        cached = ws._names = dict(kept) | {key: {int(c): n.name for c, n in named.items() if n.name}}
    return dict(cached[key])


def _tag_names(ws: Workspace, labels: np.ndarray) -> dict:
    from ..naming import cluster_names

    tags = ws.tags()
    return cluster_names(tags.classes, tags.probs, labels) if tags is not None else {}


def _zero_shot_names(ws: Workspace, labels: np.ndarray) -> dict:
    """CLIP: the vocabulary words nearest each cluster (imgorg.naming.zero_shot_names); none when the
    checkpoint's text tower or its vocabulary cannot be found (names are a help, not a requirement)."""
    import logging

    from ..embed import get_backbone
    from ..embed.clip_text import word_embeddings
    from ..errors import ImgorgError
    from ..naming import zero_shot_names
    from ..vocabulary import vocabulary_words

    words = vocabulary_words()
    try:
        weights = get_backbone("clip-vit-b-32").weights_path(ws.manifest["config"]["embed"].get("weights"))
        vectors = word_embeddings(weights, words)
    except (ImgorgError, OSError) as err:
        logging.getLogger(__name__).warning("no zero-shot cluster names: %s", err)
        return {}
    return zero_shot_names(np.asarray(ws.embeddings), labels, vectors, words)
