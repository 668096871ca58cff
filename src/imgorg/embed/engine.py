"""Embedding a catalog: every image not yet in the cache goes through the local or the Ray engine.

Only content hashes missing from the cache are decoded and embedded; the result is
in catalog order of the rows that decode. A combined backbone ("a+b") embeds with
each part, each cached under its own key, and concatenates the parts.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import progress as _progress
from ..config import EmbedConfig
from ..progress import ProgressFactory
from ..reduce import l2_normalize
from ..sources import STATUS_ERROR, STATUS_OK, STATUS_PENDING, source_path
from .backbones import COMBINE, get_backbone, preprocess_for, split_backbones
from .cache import EmbeddingCache, cache_key
from .local_engine import decode_workers, embed_locally
from .runners import Runner, default_runner
from .tags import Tags


@dataclass
class EmbedResult:
    embeddings: np.ndarray  # (n_ok, dim) float32, L2-normalised, in catalog order of "ok" rows
    catalog: pd.DataFrame  # the input catalog with status and error filled in
    n_computed: int  # images run through the model in this call
    n_cached: int  # images whose embedding was in the cache before this call
    seconds: float
    decode_workers: int | None = None  # decoders used beside the model; None if nothing was embedded here or on Ray
    tags: Tags | None = None  # rows as embeddings: top ImageNet classes, for a backbone with a classifier
    n_copies: int = 0  # images that are byte-identical copies of another image of this call, embedded once


def embed_catalog(
    root: str | Path,
    catalog: pd.DataFrame,
    config: EmbedConfig,
    cache_root: Path | None = None,
    *,
    runner: Runner | None = None,
    progress: ProgressFactory | None = None,
    first_read: Callable | None = None,
) -> EmbedResult:
    """Embed every readable image of ``catalog``; rows that fail get status "error".

    ``cache_root``: folder holding one cache per backbone key (see ``cache_key``);
    None embeds everything and caches nothing. ``first_read``: ``Preprocess.first_read`` for the
    local engine's decoders (the review keeps what they decode: ``review.kept.first_read_keeper``);
    not for a combined backbone or Ray, whose decoders may run on other machines."""
    config.validate()
    if COMBINE in config.backbone:
        return _embed_combined(root, catalog, config, cache_root, runner=runner, progress=progress)
    start = time.perf_counter()
    spec = get_backbone(config.backbone)
    cache = EmbeddingCache(Path(cache_root) / cache_key(config), spec.dim) if cache_root else None
    known, known_tags = cache.load() if cache else ({}, {})
    if spec.classifier and runner is None:  # cached before tags were kept: embedded again, once, to get them
        known = {sha: vector for sha, vector in known.items() if sha in known_tags}

    pending = catalog[catalog["status"] == STATUS_PENDING]
    cached = int(pending["sha256"].isin(known.keys()).sum())  # before this call: copies within it are not "cached"
    todo = _unique_missing(root, pending, known)
    failures: dict[str, str] = {}
    workers = None
    if todo:
        advance = _progress.start(progress, f"Embedding ({spec.id})", len(todo))
        if config.engine == "ray":
            from .ray_engine import embed_on_ray  # ray is an optional extra

            new, new_tags = embed_on_ray(todo, config, cache, failures, advance)
        else:
            runner = runner or default_runner(config, n_images=len(todo))
            workers = decode_workers(config, runner)
            pre = dataclasses.replace(preprocess_for(config), first_read=first_read)
            new, new_tags = embed_locally(todo, runner, pre,
                                          dataclasses.replace(config, workers=workers), cache, failures, advance)
        known.update(new)
        known_tags.update(new_tags)

    catalog = catalog.copy()
    ok = catalog["status"].eq(STATUS_PENDING) & catalog["sha256"].isin(known.keys())
    failed = catalog["status"].eq(STATUS_PENDING) & ~ok
    catalog.loc[ok, "status"] = STATUS_OK
    catalog.loc[failed, "status"] = STATUS_ERROR
    catalog.loc[failed, "error"] = catalog.loc[failed, "sha256"].map(failures).fillna("not embedded")
    shas = catalog.loc[catalog["status"] == STATUS_OK, "sha256"].tolist()
    embeddings = np.stack([known[s] for s in shas]).astype(np.float32) if shas else np.zeros((0, spec.dim), np.float32)
    tags = Tags.stack([known_tags[s] for s in shas]) if all(s in known_tags for s in shas) else None
    computed = len(todo) - len(failures)
    copies = int(catalog["status"].eq(STATUS_OK).sum()) - computed - cached
    return EmbedResult(embeddings, catalog, computed, cached, time.perf_counter() - start, workers, tags,
                       max(copies, 0))


def _embed_combined(root, catalog: pd.DataFrame, config: EmbedConfig, cache_root, *, runner, progress) -> EmbedResult:
    """Concatenate the L2-normalised embeddings of each part; an image is "ok" only if every part is."""
    start = time.perf_counter()
    parts = [embed_catalog(root, catalog, dataclasses.replace(config, backbone=b), cache_root,
                           runner=runner, progress=progress) for b in split_backbones(config.backbone)]
    ok = np.logical_and.reduce([p.catalog["status"].eq(STATUS_OK).to_numpy() for p in parts])
    merged = parts[0].catalog.copy()
    for part in parts[1:]:  # the first failure reason of a row wins
        failed_here = part.catalog["status"].eq(STATUS_ERROR) & merged["status"].ne(STATUS_ERROR)
        merged.loc[failed_here, ["status", "error"]] = part.catalog.loc[failed_here, ["status", "error"]]
    vectors, tags = [], None
    for part in parts:  # each part's rows are its own "ok" rows: keep those ok in every part
        keep = ok[part.catalog["status"].eq(STATUS_OK).to_numpy()]
        vectors.append(part.embeddings[keep])
        if tags is None and part.tags is not None:  # the first part with a classifier tags the images
            tags = part.tags.rows(keep)
    embeddings = l2_normalize(np.concatenate(vectors, axis=1)).astype(np.float32)
    return EmbedResult(embeddings, merged, sum(p.n_computed for p in parts), sum(p.n_cached for p in parts),
                       time.perf_counter() - start, max((p.decode_workers or 0 for p in parts), default=0) or None,
                       tags, parts[0].n_copies)


def _unique_missing(root, pending: pd.DataFrame, known: dict) -> list[tuple[str, Path]]:
    """(sha, path) of each distinct content not yet embedded, in catalog order."""
    seen: set[str] = set()
    todo = []
    for sha, rel in zip(pending["sha256"], pending["path"]):
        if sha not in known and sha not in seen:
            seen.add(sha)
            todo.append((sha, source_path(root, rel)))
    return todo
