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

from . import __version__
from .compare import AUTO_METHODS, assignments_frame, choose_k, run_methods, select_method
from .config import ClusterConfig, RunConfig
from .embed import split_backbones
from .embed import EmbedResult, cache_key, embed_catalog
from .cluster import METHODS
from .errors import ConfigError, TooFewImagesError, WorkspaceError
from .index import EXACT_MAX, INDEX_DATA, INDEX_RECORD, build_index, save_index
from .progress import ProgressFactory
from .reduce import Reducer
from .datasets import get_dataset, is_dataset, resolve_source
from .sources import check_subset, scan_folder, subset_catalog
from .classify import CLASSIFY_FILE, PREDICTIONS_FILE
from .duplicates import DUPLICATES_FILE
from .outliers import OUTLIERS_FILE, refresh_outlier_clusters
from .project import PROJECTION_PREFIX, PROJECTIONS_RECORD
from .workspace import (
    CACHE, Workspace, added_results, load_workspace, previous_manifest, save_workspace, workspace_lock,
)

log = logging.getLogger(__name__)

BASELINE_METHOD = "kmeans"

@dataclass
class RunResult:
    workspace: Workspace
    timings: dict[str, float]  # seconds per stage
    n_computed: int  # images embedded in this run (the rest came from the cache)
    n_cached: int


def run(source: str | Path, out: str | Path | None = None, config: RunConfig | None = None,
        progress: ProgressFactory | None = None, *, split: str | None = None, data: str | Path | None = None,
        limit: int | None = None, sample: int | None = None) -> RunResult:
    """Organize the images under ``source`` into a workspace at ``out``.

    ``source`` is a folder, or a dataset name (``imgorg.datasets.DATASETS``, with ``split``
    and ``data`` = where its archive is), materialised once into a folder. ``limit`` keeps
    the first N images, ``sample`` a random N (stratified by label, seeded by the cluster
    seed) before anything is embedded.
    """
    config = (config or RunConfig()).validate()
    source, out, described = _open_source(source, out, config, progress, split, data, limit, sample)
    timings: dict[str, float] = {}
    with workspace_lock(out):
        embedded = _catalog_and_embed(source, out, config, timings, progress, limit, sample, needed=2)
        ws = _analyse(embedded.embeddings, embedded.catalog, config, timings, progress)
        ws.path = out
        ws.manifest = {**_manifest(described, config, embedded, timings), **ws.manifest}
        previous = previous_manifest(out)
        kept = still_true(out, previous, ws) if previous else {}
        if previous:
            _warn_what_is_replaced(out, previous, described, kept)
        with _timed(timings, "write"):
            save_workspace(ws, keep=kept)
            if OUTLIERS_FILE in kept:
                refresh_outlier_clusters(ws)
        if len(ws.embeddings) > EXACT_MAX:  # past this, search needs an ANN index: build it once, here
            with _timed(timings, "index"):
                save_index(out, build_index(ws.embeddings))
    return RunResult(ws, timings, embedded.n_computed, embedded.n_cached)


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
        return _catalog_and_embed(source, out, config, {}, progress, limit, sample), out


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


def still_true(out: Path, previous: dict, ws: Workspace) -> dict[str, str]:
    """{file: checksum} of the results of later commands in the workspace at ``out`` (manifest
    ``previous``) that hold for ``ws`` too, so that a rerun with another --method or --k keeps
    them. Every result needs the same images in the same order; then maps need the same reduced
    features, duplicates the same embeddings, and outliers and classifiers both (they may use
    either). The outliers' cluster column is then stale: ``refresh_outlier_clusters`` mends it."""
    needs = {name: _arrays_behind(name) for name in added_results(previous)}
    needs = {name: arrays for name, arrays in needs.items() if arrays}
    if not needs:
        return {}
    try:
        before = load_workspace(out)
    except WorkspaceError:
        return {}
    columns = ["id", "path", "sha256"]
    if not np.array_equal(before.images[columns].astype(str).to_numpy(), ws.images[columns].astype(str).to_numpy()):
        return {}
    same = {array: np.array_equal(getattr(before, array), getattr(ws, array)) for array in set().union(*needs.values())}
    return {name: previous["files"][name] for name, arrays in needs.items() if all(same[a] for a in arrays)}


def _arrays_behind(name: str) -> tuple[str, ...]:
    """The workspace arrays a later command's result ``name`` was computed from; () when it is not
    kept over a rerun."""
    if name.startswith(PROJECTION_PREFIX) or name == PROJECTIONS_RECORD:
        return ("reduced",)
    if name == DUPLICATES_FILE:
        return ("embeddings",)
    if name in (OUTLIERS_FILE, CLASSIFY_FILE, PREDICTIONS_FILE):
        return ("embeddings", "reduced")
    return ()


def _warn_what_is_replaced(out: Path, previous: dict, described: dict, kept: dict[str, str]) -> None:
    """A rerun replaces the workspace at ``out`` (manifest ``previous``): say so when it held another
    folder's images, or results of later commands that no longer hold (they are no longer listed)."""
    earlier_root = previous.get("source", {}).get("root")
    if earlier_root and earlier_root != described["root"]:
        log.warning("%s held the workspace of %s; this run replaces it with one of %s", out, earlier_root,
                    described["root"])
    rebuilt_or_kept = (INDEX_RECORD, INDEX_DATA, *kept)  # run rebuilds the index itself
    earlier = [name for name in added_results(previous) if name not in rebuilt_or_kept]
    if kept:
        log.info("%s: kept %s (the same images and features)", out, ", ".join(kept))
    if earlier:
        log.warning("%s held results of later commands (%s); this run replaces them: run those commands "
                    "again if you need them", out, ", ".join(earlier))


def _check_method(method: str) -> None:
    if method != "auto" and method not in METHODS:
        raise ConfigError(f"unknown clustering method {method!r}; valid methods: auto, {', '.join(METHODS)}")


def _catalog_and_embed(source: Path, out: Path, config: RunConfig, timings: dict, progress, limit,
                       sample, needed: int = 1) -> EmbedResult:
    """Catalog and embed; fewer than ``needed`` decodable images (2 to cluster) is an error."""
    with _timed(timings, "catalog"):
        catalog = subset_catalog(scan_folder(source, progress=progress), limit, sample, config.cluster.seed)
    with _timed(timings, "embed"):
        embedded = embed_catalog(source, catalog, config.embed, out / CACHE / "embeddings", progress=progress)
    if len(embedded.embeddings) < needed:
        raise TooFewImagesError(_too_few_message(source, embedded.catalog, needed))
    return embedded


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


def _analyse(embeddings: np.ndarray, catalog: pd.DataFrame, config: RunConfig, timings: dict,
             progress: ProgressFactory | None = None) -> Workspace:
    with _timed(timings, "reduce"):
        reducer = Reducer(config.reduce.pca_dim, l2=config.reduce.l2, whiten=config.reduce.whiten,
                          random_state=config.reduce.seed)
        reduced = reducer.fit_transform(embeddings)
    images = catalog[catalog["status"] == "ok"]
    truth = images["label"].to_numpy() if images["label"].notna().all() else None
    with _timed(timings, "cluster"):
        cluster_config, selection = _resolve_k(config.cluster, reduced)
        methods = _methods_to_run(cluster_config.method)
        results = run_methods(embeddings, reduced, methods, cluster_config, truth, progress=progress)
    if cluster_config.method == "auto":
        chosen, reason = select_method(results)
    else:
        chosen = cluster_config.method
        reason = "imgorg's default method" if chosen == ClusterConfig.method else "set by --method"
    selection.update(method=chosen, reason=reason)
    fits = {r.name: r.fit for r in results if r.fit}
    if fits:  # large collections: say which methods fitted on a sample or through FAISS
        selection["fit"] = fits
    metrics = {r.name: {**r.scores, "seconds": r.seconds} for r in results}
    ws = Workspace(Path("."), {}, catalog, embeddings, reduced, assignments_frame(images["id"].to_numpy(), results),
                   metrics)
    ws.manifest = {"default_method": chosen, "selection": selection}
    return ws


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


def _manifest(source: dict, config: RunConfig, embedded, timings: dict) -> dict:
    statuses = embedded.catalog["status"].value_counts().to_dict()
    return {
        "imgorg_version": __version__,
        "source": source,
        "config": config.to_dict(),
        "backbone": {"id": config.embed.backbone, "cache_key": cache_key(config.embed),
                     "dim": int(embedded.embeddings.shape[1])},
        "counts": {"files": int(len(embedded.catalog)), "ok": int(statuses.get("ok", 0)),
                   "failed": int(statuses.get("error", 0)), "embedded_now": embedded.n_computed,
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
