"""``compare_methods``: cluster with several methods on one workspace, score them, keep them all."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..clustering.methods import (MethodResult, assignments_frame, choose_k, comparison_table, run_methods,
                                 select_method, stored_results)
from ..config import ClusterConfig, CompareConfig
from ..progress import ProgressFactory
from ..views import Workspace, open_workspace
from .saving import replace_clusterings
from ..workspace import workspace_lock


@dataclass
class CompareResult:
    results: list[MethodResult]  # the methods run now
    table: pd.DataFrame  # one row per method run now: clusters, noise, scores, seconds
    chosen: str  # the workspace's default method from now on
    reason: str  # why it was chosen
    previous: str  # the default method before


def compare_methods(workspace: Workspace | str, config: CompareConfig = CompareConfig(),
                    progress: ProgressFactory | None = None) -> CompareResult:
    """Run ``config.methods`` (k: ``config.k``, else the workspace's), store every method's assignments
    beside those already stored, and make the best by the selection rule the default method."""
    ws = open_workspace(workspace)
    config.validate()
    k = config.k
    if k is None:  # the k the workspace's clustering was made with
        k = int(ws.manifest.get("selection", {}).get("k", ClusterConfig.k))
    elif k == "auto":  # the best silhouette, as `imgorg run --k auto` chooses it
        k, _ = choose_k(ws.reduced, seed=config.seed)
    cluster_config = ClusterConfig(k=k, seed=config.seed)
    results = run_methods(ws.embeddings, ws.reduced, config.methods, cluster_config, ws.labels, progress=progress)
    chosen, reason = select_method(results, config.max_noise)
    kept = {r.name: r for r in stored_results(ws.assignments, ws.metrics)}
    kept.update({r.name: r for r in results})
    metrics = {name: {**r.scores, "seconds": r.seconds} for name, r in kept.items()}
    previous = ws.method
    with workspace_lock(ws.path):
        replace_clusterings(ws, assignments_frame(ws.images["id"].to_numpy(), list(kept.values())), metrics,
                            {"default_method": chosen, "selection": {"method": chosen, "reason": reason, "k": k}})
    return CompareResult(results, comparison_table(results), chosen, reason, previous)
