"""The pipeline: catalog -> embed -> reduce -> cluster -> score -> workspace, each timed."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .clustering import METHODS
from .constants import NOISE
from .clustering import AUTO_METHODS, MethodResult, assignments_frame, choose_k, run_methods, select_method
from .config import AddConfig, ClusterConfig, IndexConfig, MapConfig, RunConfig
from .datasets import get_dataset, is_dataset, resolve_source
from .embed import EmbedResult, cache_key, embed_catalog, resolve_device, split_backbones
from .embed.tags import tags_frame
from .errors import ConfigError, TooFewImagesError, WorkspaceError
from .fileio import file_sha256
from .index import EXACT_MAX
from .metrics import score_clustering
from .progress import ProgressFactory
from .reduce import Reducer
from .events import EVENTS, event_labels
from .sources import check_subset, labels_of, scan_source, subset_catalog
from .tasks.add import add_images
from .tasks.index import build_search_index
from .tasks.map import make_map
from .version import __version__
from .workspace import (
    ARTIFACTS, CACHE, EDITS_FILE, INDEX_RECORD, SKIPPED_FILE, TAGS_FILE, CarryOver, Workspace, discard_edit_log, input_fingerprints, is_workspace, plan_carry_over,
    load_workspace, previous_manifest, read_artifact, read_manifest, save_workspace, update_manifest, workspace_lock,
)
from .workspace.artifacts import EDITS

log = logging.getLogger(__name__)

BASELINE_METHOD = "kmeans"

@dataclass
class RunResult:
    workspace: Workspace
    timings: dict[str, float]  # seconds per stage
    n_computed: int  # images embedded in this run (the rest came from the cache)
    n_cached: int
    skipped: pd.DataFrame | None = None  # files under the source that are not images, with the reason
    added: object | None = None  # a rerun into a curated workspace that added images: the AddResult


def run(source: str | Path, out: str | Path | None = None, config: RunConfig | None = None,
        progress: ProgressFactory | None = None, *, split: str | None = None, data: str | Path | None = None,
        limit: int | None = None, sample: int | None = None, discard_edits: bool = False) -> RunResult:
    """Organize the images under ``source`` into a workspace at ``out``.

    ``source`` is a folder, or a dataset name (``imgorg.datasets.DATASETS``, with ``split``
    and ``data`` = where its archive is), materialised once into a folder. ``limit`` keeps
    the first N images, ``sample`` a random N (stratified by label, seeded by the cluster
    seed) before anything is embedded.

    Into a workspace someone has curated (``imgorg clusters``): the same folder with the same
    settings, grown by new images, adds them to the curated clusters (``imgorg add``); a run
    that would change the clustering the edits were made on is refused unless ``discard_edits``.
    """
    config = (config or RunConfig()).validate()
    source, out, described = _open_source(source, out, config, progress, split, data, limit, sample)
    timings: dict[str, float] = {}
    with workspace_lock(out):
        previous = previous_manifest(out)
        if _curated(previous) and not discard_edits:
            changed = _clustering_changes(previous, config)
            if changed:  # refused before any embedding: these settings make another clustering
                raise ConfigError(_edits_would_be_lost(out, previous, changed))
            if _same_run(previous, described, config):
                return _grow(out, source, progress)
        embedded, skipped = _catalog_and_embed(source, out, config, timings, progress, limit, sample, needed=2)
        device = resolve_device(config.embed.device)  # every stage on the GPU when the embedding is
        ws = analyse(embedded.embeddings, embedded.catalog, config, timings, progress, device)
        ws.path = out
        ws.manifest = {**_manifest(described, config, embedded, timings, skipped), **ws.manifest}
        with _timed(timings, "write"):
            carry = plan_carry_over(previous, input_fingerprints(ws))
            if _curated(previous) and EDITS.name in carry.dropped and not discard_edits:
                raise ConfigError(_edits_would_be_lost(out, previous, _source_changes(previous, described)))
            if previous:
                _say_what_is_replaced(out, previous, described, carry)
            save_workspace(ws, carry)
            if EDITS.name in carry.dropped:  # only with --discard-edits (refused above otherwise)
                discard_edit_log(out)
            ws.write_artifact(SKIPPED_FILE, skipped)
            if embedded.tags is not None:  # the backbone's own ImageNet classes: names and word search
                ws.write_artifact(TAGS_FILE, tags_frame(ws.images["id"].to_numpy(), embedded.tags))
        if config.map.method != "none" and len(ws.images) > config.map.dims + 1 and not ws.maps(config.map.dims):
            with _timed(timings, "map"):
                make_map(ws, config.map, device)
        if len(ws.embeddings) > EXACT_MAX and not ws.has(INDEX_RECORD):  # search past this needs an ANN index
            with _timed(timings, "index"):
                build_search_index(ws, IndexConfig())
        ws.manifest = update_manifest(out, {"timings": timings})  # with the stages that ran after the write
    return RunResult(ws, timings, embedded.n_computed, embedded.n_cached, skipped)


def embed_only(source: str | Path, out: str | Path | None = None, config: RunConfig | None = None,
               progress: ProgressFactory | None = None, *, split: str | None = None,
               data: str | Path | None = None, limit: int | None = None,
               sample: int | None = None) -> tuple[EmbedResult, Path]:
    """The embedding stage of ``run`` alone: fills the workspace's embedding cache.

    For embedding on a cluster (``engine="ray"``) and analysing on one machine: a later
    ``run`` with the same ``out`` and backbone embeds nothing."""
    config = (config or RunConfig()).validate()
    source, out, _ = _open_source(source, out, config, progress, split, data, limit, sample)
    with workspace_lock(out):
        return _catalog_and_embed(source, out, config, {}, progress, limit, sample)[0], out


def _open_source(source, out, config: RunConfig, progress, split, data, limit, sample):
    """(the folder to read, the workspace path, manifest["source"]); fails before any work."""
    split_backbones(config.embed.backbone)  # an unknown id fails before any work
    _check_method(config.cluster.method)
    check_subset(limit, sample)
    described = _describe_source(source, split, limit, sample, config.cluster.seed)
    source = resolve_source(source, split, data, progress)
    described["root"] = str(source.resolve())
    out = Path(out) if out else default_workspace(source, described)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {str(out)!r} is a file; pass a folder for the workspace")
    return source, out, described


def _curated(previous: dict | None) -> bool:
    return bool(previous) and EDITS_FILE in previous.get("files", {})


# Settings that change how the images are embedded or clustered: a curated workspace refuses a run
# that changes one (before embedding anything) unless --discard-edits.
CLUSTERING_SETTINGS = {"embed": ("backbone", "image_size", "weights", "tta", "float16"),
                       "reduce": None, "cluster": None}
NOT_CLUSTERING = {"cluster": ("event_gap_hours",)}  # events, by capture time
# Settings that change how a run goes, or the map (a grown folder's new images are placed on the stored
# map; `imgorg map` makes another), never what it makes of the images: a rerun may differ in them.
HOW_IT_RUNS = {"embed": ("batch_size", "workers", "shard_size", "device", "engine", "ray_address", "ray_actors"),
               "map": None}


def _clustering_changes(previous: dict, config: RunConfig) -> list[str]:
    """The settings that decide the clustering and differ from the previous run's, as 'name: old -> new'
    (a setting an older manifest does not record is taken as unchanged)."""
    before, after, changed = previous.get("config", {}), config.to_dict(), []
    for section, keys in CLUSTERING_SETTINGS.items():
        old, new = before.get(section, {}), after.get(section, {})
        for key in keys or sorted(set(new) - set(NOT_CLUSTERING.get(section, ()))):
            if key in old and old[key] != new.get(key):
                changed.append(f"{section}.{key}: {old[key]!r} -> {new.get(key)!r}")
    return changed


def _same_run(previous: dict, described: dict, config: RunConfig) -> bool:
    """Whether a run reads and makes what the previous one did: same folder and subset, same settings
    but those of HOW_IT_RUNS."""
    def what(settings: dict) -> dict:
        kept = {}
        for section, values in settings.items():
            if section in HOW_IT_RUNS and HOW_IT_RUNS[section] is None:
                continue
            kept[section] = {k: v for k, v in values.items() if k not in HOW_IT_RUNS.get(section, ())}
        return kept
    return previous.get("source") == described and what(previous.get("config", {})) == what(config.to_dict())


def _source_changes(previous: dict, described: dict) -> list[str]:
    old = previous.get("source", {})
    return [f"source.{k}: {old.get(k)!r} -> {described.get(k)!r}" for k in sorted(set(old) | set(described))
            if old.get(k) != described.get(k)]


def _grow(out: Path, source: Path, progress) -> RunResult:
    """The curated workspace at ``out`` with the images added to ``source`` since (``imgorg add``);
    refused when images it holds are gone or changed, since their edits would point nowhere. Images
    `imgorg add` took from another folder (absolute paths) are looked for where they were."""
    start = time.perf_counter()
    ws = load_workspace(out)
    scanned = scan_source(source, progress=progress)
    now = set(zip(scanned.catalog["path"], scanned.catalog["sha256"]))
    gone = [p for p, sha in zip(ws.images["path"], ws.images["sha256"])
            if (p, sha) not in now and not (Path(p).is_absolute() and _unchanged(Path(p), sha))]
    if gone:
        raise ConfigError(f"{len(gone):,} images of the curated workspace {out} are gone from {source} or changed "
                          f"(e.g. {gone[0]}); their edits would point nowhere. Put them back, or pass "
                          "--discard-edits to cluster the folder anew")
    added = add_images(ws, AddConfig(folder=str(source)), progress)
    n_ok = int((added.added["status"] == "ok").sum())
    timings = {"add": round(time.perf_counter() - start, 3)}
    return RunResult(added.workspace, timings, n_ok, len(ws.images), scanned.skipped, added=added)


def _unchanged(path: Path, sha256: str) -> bool:
    """Whether ``path`` is a file holding the content of that hash."""
    try:
        return path.is_file() and file_sha256(path) == sha256
    except OSError:
        return False


def _edits_would_be_lost(out: Path, previous: dict, changed: list[str] = ()) -> str:
    edits = read_artifact(out, EDITS_FILE)
    why = f" ({'; '.join(changed)})" if changed else " (other images, features or settings)"
    return (f"{out} holds {len(edits.get('edits', []))} curation edits made on its `{edits.get('base')}` clustering, "
            f"and this run would change that clustering{why}. Run with the same "
            "settings to keep them (new images are then added to the curated clusters), or pass --discard-edits "
            "to drop them")


def _say_what_is_replaced(out: Path, previous: dict, described: dict, carry: CarryOver) -> None:
    """A rerun replaces the workspace at ``out`` (manifest ``previous``): say so when it held another
    folder's images, which results of later commands it keeps, and which no longer hold."""
    earlier_root = previous.get("source", {}).get("root")
    if earlier_root and earlier_root != described["root"]:
        log.warning("%s held the workspace of %s; this run replaces it with one of %s", out, earlier_root,
                    described["root"])
    if carry.kept:
        log.info("%s: kept %s (the same images and features)", out, ", ".join(carry.kept))
    if carry.dropped:
        commands = sorted({ARTIFACTS[name].made_by for name in carry.dropped if name in ARTIFACTS})
        log.warning("%s held results of later commands (%s) made from other images or features; this run "
                    "replaces them: run %s again if you need them", out, ", ".join(carry.dropped),
                    ", ".join(f"`{c}`" for c in commands) or "those commands")


def workspace_for_folder(folder: Path, path: Path, progress: ProgressFactory | None = None) -> tuple[Path, bool]:
    """(the workspace of a folder of images, whether it was made now): the one at ``path`` if it was
    made from all of this folder, else a new one there with k-means, not scan, and no report: only
    the embeddings matter to the commands that need one (10,000 images: 48 s against about 66 s
    for `imgorg run`). Raises TooFewImagesError when the folder holds fewer than two readable images."""
    if is_workspace(path):
        _check_source_of(path, folder)
        return path, False
    run(folder, path, RunConfig(cluster=ClusterConfig(method="kmeans", k=2), map=MapConfig(method="none")),
        progress=progress)
    return path, True


def _check_source_of(path: Path, folder: Path) -> None:
    """Refuse a workspace made from another source, or from only part of this folder."""
    source = read_manifest(path).get("source", {})
    root = source.get("root")
    if not root or Path(root).resolve() != Path(folder).resolve():
        raise WorkspaceError(f"{path} is the workspace of another source ({root}); pass --out with a new "
                             f"folder for {folder}")
    subset = {key: source[key] for key in ("limit", "sample") if source.get(key)}
    if subset:
        option = " ".join(f"--{key} {value}" for key, value in subset.items())
        raise WorkspaceError(f"{path} holds only part of {folder} ({option}); run `imgorg run {folder} --out "
                             f"{path}` to embed all of it, or pass --out with a new folder")


def _check_method(method: str) -> None:
    if method != "auto" and method not in METHODS:
        raise ConfigError(f"unknown clustering method {method!r}; valid methods: auto, {', '.join(METHODS)}")


def _catalog_and_embed(source: Path, out: Path, config: RunConfig, timings: dict, progress, limit,
                       sample, needed: int = 1) -> tuple[EmbedResult, pd.DataFrame]:
    """Catalog and embed; fewer than ``needed`` decodable images (2 to cluster) is an error. Also
    returns the files of the source that are not images (the skipped table)."""
    with _timed(timings, "catalog"):
        scanned = scan_source(source, progress=progress)
        catalog = subset_catalog(scanned.catalog, limit, sample, config.cluster.seed)
    with _timed(timings, "embed"):
        embedded = embed_catalog(source, catalog, config.embed, out / CACHE / "embeddings", progress=progress)
    if len(embedded.embeddings) < needed:
        raise TooFewImagesError(_too_few_message(source, embedded.catalog, needed))
    return embedded, scanned.skipped


def _too_few_message(source: Path, catalog: pd.DataFrame, needed: int) -> str:
    """Why a source has too few usable images, naming a few of the files that failed."""
    readable = int((catalog["status"] == "ok").sum())
    failed = catalog[catalog["status"] != "ok"]
    reasons = "; ".join(f"{row.path}: {row.error}" for row in failed.head(3).itertuples())
    reasons += f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
    plural = "s" if len(catalog) != 1 else ""
    why = f"clustering needs at least {needed}" if needed > 1 else "there is nothing to embed"
    return (f"{readable or 'none'} of the {len(catalog)} file{plural} selected under {str(source)!r} can be "
            f"decoded as an image{f' ({reasons})' if reasons else ''}; {why}")


def default_workspace(source: Path, described: dict | None = None) -> Path:
    """./workspaces/<folder name>, or ./workspaces/<dataset>-<split> for a named dataset."""
    if described and described["kind"] == "dataset":
        return Path.cwd() / "workspaces" / f"{described['name']}-{described['split']}"
    return Path.cwd() / "workspaces" / (source.resolve().name or "images")


def _describe_source(source: str | Path, split: str | None, limit: int | None, sample: int | None,
                     seed: int) -> dict:
    """manifest["source"]: what was read, so a run can be repeated (root is added once known)."""
    if is_dataset(source):
        described = {"kind": "dataset", "name": str(source), "split": get_dataset(str(source)).check_split(split)}
    else:
        described = {"kind": "folder"}
    if limit is not None:
        described["limit"] = limit
    if sample is not None:
        described.update(sample=sample, seed=seed)
    return described


def analyse(embeddings: np.ndarray, catalog: pd.DataFrame, config: RunConfig, timings: dict,
            progress: ProgressFactory | None = None, device: str = "cpu") -> Workspace:
    """The stages after embedding (reduce, cluster, score) as an unsaved Workspace; ``timings`` gets
    each stage's seconds. ``device="cuda"``: PCA, k-means and scan on the GPU (imgorg.device)."""
    with _timed(timings, "reduce"):
        reducer = Reducer(config.reduce.pca_dim, l2=config.reduce.l2, whiten=config.reduce.whiten,
                          random_state=config.reduce.seed, device=device)
        reduced = reducer.fit_transform(embeddings)
    images = catalog[catalog["status"] == "ok"]
    truth = labels_of(images)
    with _timed(timings, "cluster"):
        cluster_config, selection = _resolve_k(config.cluster, reduced)
        methods = _methods_to_run(cluster_config.method)
        results = run_methods(embeddings, reduced, methods, cluster_config, truth, progress=progress, device=device)
    if cluster_config.method == "auto":
        chosen, reason = select_method(results)
    else:
        chosen = cluster_config.method
        reason = "imgorg's default method" if chosen == ClusterConfig.method else "set by --method"
    selection.update(method=chosen, reason=reason)
    fits = {r.name: r.fit for r in results if r.fit}
    if fits:  # large collections: say which methods fitted on a sample or through FAISS
        selection["fit"] = fits
    events = _events(images, reduced, truth, config.cluster)
    results += [events] if events else []
    metrics = {r.name: {**r.scores, "seconds": r.seconds} for r in results}
    ws = Workspace(Path("."), {}, catalog, embeddings, reduced, assignments_frame(images["id"].to_numpy(), results),
                   metrics)
    ws.manifest = {"default_method": chosen, "selection": selection}
    return ws


def _events(images: pd.DataFrame, reduced: np.ndarray, truth, config: ClusterConfig) -> MethodResult | None:
    """The images grouped by capture time (``events``), when they fall into two or more events."""
    if "taken_at" not in images:
        return None
    start = time.perf_counter()
    labels = event_labels(images["taken_at"], config.event_gap_hours)
    if len(set(labels.tolist()) - {NOISE}) < 2:
        return None
    scores = score_clustering(reduced, labels, truth, seed=config.seed).to_dict()
    return MethodResult(EVENTS, labels, np.full(len(labels), np.nan, np.float32), scores,
                        round(time.perf_counter() - start, 3), density=False)


def _methods_to_run(method: str) -> tuple[str, ...]:
    """The requested method, plus k-means as the reference baseline (it takes about a second)."""
    if method == "auto":
        return AUTO_METHODS
    return (method,) if method == BASELINE_METHOD else (method, BASELINE_METHOD)


def _resolve_k(config: ClusterConfig, reduced: np.ndarray) -> tuple[ClusterConfig, dict]:
    """Replace k="auto" by the k with the best silhouette; return the curve for the manifest."""
    if config.k != "auto":
        if config.k > len(reduced):  # a folder smaller than k: cluster it anyway, and say so
            log.warning("k=%d is more than the %d images; using k=%d", config.k, len(reduced), len(reduced))
            return dataclasses.replace(config, k=len(reduced)), {"k": len(reduced), "k_capped_from": config.k}
        return config, {"k": config.k}
    k, curve = choose_k(reduced, seed=config.seed)
    return dataclasses.replace(config, k=k), {"k": k, "k_auto": True, "k_curve": curve}


def _manifest(source: dict, config: RunConfig, embedded, timings: dict, skipped: pd.DataFrame) -> dict:
    statuses = embedded.catalog["status"].value_counts().to_dict()
    return {
        "imgorg_version": __version__,
        "source": source,
        "config": config.to_dict(),
        "backbone": {"id": config.embed.backbone, "cache_key": cache_key(config.embed),
                     "dim": int(embedded.embeddings.shape[1])},
        "counts": {"files": int(len(embedded.catalog)), "ok": int(statuses.get("ok", 0)),
                   "failed": int(statuses.get("error", 0)), "skipped": int(len(skipped)),
                   "embedded_now": embedded.n_computed,
                   "from_cache": embedded.n_cached},
        "decode_workers": embedded.decode_workers,  # as resolved; None if all came from the cache or ran on Ray
        "timings": timings,
    }


@contextmanager
def _timed(timings: dict, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    timings[stage] = round(time.perf_counter() - start, 3)
    log.info("%s: %.2f s", stage, timings[stage])
