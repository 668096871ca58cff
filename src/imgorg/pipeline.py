"""The pipeline: catalog -> embed -> reduce -> cluster -> score, each stage timed.

Connects the stages and nothing else: ``imgorg.tasks.run`` is the verb that opens a source, runs
them, applies the rerun policy (``tasks.rerun``) and writes the workspace."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from .clustering import AUTO_METHODS, METHODS, MethodResult, assignments_frame, choose_k, run_methods, select_method
from .constants import NOISE
from .config import ClusterConfig, RunConfig
from .datasets import get_dataset, is_dataset, resolve_source
from .embed import EmbedResult, cache_key, embed_catalog, split_backbones
from .errors import ConfigError, TooFewImagesError
from .constants import EVENTS
from .events import event_labels, event_times
from .metrics import score_clustering
from .progress import ProgressFactory
from .reduce import Reducer
from .sources import check_subset, labels_of, scan_source, subset_catalog
from .version import __version__
from .views import Workspace
from .workspace import embedding_cache, is_workspace

log = logging.getLogger(__name__)

BASELINE_METHOD = "kmeans"

def open_source(source, out, config: RunConfig, progress, split, data, limit, sample):
    """(the folder to read, the workspace path, manifest["source"]); fails before any work."""
    split_backbones(config.embed.backbone)  # an unknown id fails before any work
    _check_method(config.cluster.method)
    check_subset(limit, sample)
    described = describe_source(source, split, limit, sample, config.cluster.seed)
    source = resolve_source(source, split, data, progress)
    if is_workspace(source):
        raise ConfigError(f"{str(source)!r} is an imgorg workspace, not a folder of images: `imgorg run FOLDER --out "
                          f"{source}` makes it again; `imgorg clusters`, `review`, `serve` ... take it as it is")
    described["root"] = str(source.resolve())
    out = Path(out) if out else default_workspace(source, described)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {str(out)!r} is a file; pass a folder for the workspace")
    if out.resolve() == source.resolve():
        raise ConfigError(f"--out {str(out)!r} is the folder of images itself: the workspace goes in a folder of its "
                          "own (by default workspaces/NAME)")
    return source, out, described


def _check_method(method: str) -> None:
    if method != "auto" and method not in METHODS:
        raise ConfigError(f"unknown clustering method {method!r}; valid methods: auto, {', '.join(METHODS)}")


def catalog_and_embed(source: Path, out: Path, config: RunConfig, timings: dict, progress, limit,
                       sample, needed: int = 1, first_read=None) -> tuple[EmbedResult, pd.DataFrame]:
    """Catalog and embed; fewer than ``needed`` decodable images (2 to cluster) is an error. Also
    returns the files of the source that are not images (the skipped table). ``first_read``: see
    ``embed_catalog``."""
    with timed(timings, "catalog"):
        scanned = scan_source(source, progress=progress)
        catalog = subset_catalog(scanned.catalog, limit, sample, config.cluster.seed)
    with timed(timings, "embed"):
        embedded = embed_catalog(source, catalog, config.embed, embedding_cache(out), progress=progress,
                                 first_read=first_read)
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


def describe_source(source: str | Path, split: str | None, limit: int | None, sample: int | None,
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
            progress: ProgressFactory | None = None, device: str = "cpu") -> tuple[Workspace, Reducer]:
    """The stages after embedding (reduce, cluster, score) as an unsaved Workspace, and the fitted
    reducer (its PCA is stored, for images added later); ``timings`` gets
    each stage's seconds. ``device="cuda"``: PCA, k-means and scan on the GPU (imgorg.device)."""
    with timed(timings, "reduce"):
        reducer = Reducer(config.reduce.pca_dim, l2=config.reduce.l2, whiten=config.reduce.whiten,
                          random_state=config.reduce.seed, device=device)
        reduced = reducer.fit_transform(embeddings)
    images = catalog[catalog["status"] == "ok"]
    truth = labels_of(images)
    with timed(timings, "cluster"):
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
    return ws, reducer


def _events(images: pd.DataFrame, reduced: np.ndarray, truth, config: ClusterConfig) -> MethodResult | None:
    """The images grouped by capture time (``events``), when they fall into two or more events."""
    if "taken_at" not in images:
        return None
    start = time.perf_counter()
    labels = event_labels(event_times(images), config.event_gap_hours)
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


def manifest_of(source: dict, config: RunConfig, embedded, timings: dict, skipped: pd.DataFrame) -> dict:
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
                   "from_cache": embedded.n_cached, "copies": embedded.n_copies},
        "decode_workers": embedded.decode_workers,  # as resolved; None if all came from the cache or ran on Ray
        "timings": timings,
    }


@contextmanager
def timed(timings: dict, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    timings[stage] = round(time.perf_counter() - start, 3)
    log.info("%s: %.2f s", stage, timings[stage])
