"""Run several clustering methods on one set of embeddings, score and choose.

Every method is scored on the same space (the L2 + PCA features) so internal
metrics compare like with like. The choice follows the reference projects'
rule: a density method wins only if it leaves at most ``max_noise`` of the
points as noise; otherwise the best mean rank over the internal metrics wins.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from .estimators import cluster, describe_fit, distance_to_centre, get_method
from ..config import ClusterConfig, CompareConfig
from ..errors import ConfigError
from ..metrics import score_clustering
from ..progress import ProgressFactory
from .. import progress as _progress
from ..reduce import power_features

log = logging.getLogger(__name__)

K_RANGE = (2, 30)  # --k auto searches this range (capped by the number of points)
K_SAMPLE = 5_000  # silhouette for --k auto on a seeded sample of this size


@dataclass
class MethodResult:
    name: str
    labels: np.ndarray  # int64, NOISE for unclustered points
    distance: np.ndarray  # distance to the cluster centre in the scoring space (NaN for noise)
    scores: dict  # ClusterScores as a dict
    seconds: float
    density: bool
    fit: str | None = None  # how it was fitted, when not plainly on every point (cluster.describe_fit)


def features_for(kind: str, embeddings: np.ndarray, reduced: np.ndarray) -> np.ndarray:
    if kind == "reduced":
        return reduced
    if kind == "power":
        return power_features(embeddings)
    raise ConfigError(f"unknown feature kind {kind!r}")


def run_methods(embeddings: np.ndarray, reduced: np.ndarray, methods, config: ClusterConfig,
                labels_true=None, progress: ProgressFactory | None = None, device: str = "cpu") -> list[MethodResult]:
    """Fit each named method (k-means and scan on ``device``); score all of them on ``reduced``."""
    specs = [get_method(name) for name in methods]  # unknown names fail before any work
    advance = _progress.start(progress, "Clustering", len(specs), unit="method")
    results = []
    for spec in specs:
        start = time.perf_counter()
        X = features_for(spec.features, embeddings, reduced)
        labels, estimator = cluster(X, dataclasses.replace(config, method=spec.name), device)
        labels = consecutive(labels)
        seconds = time.perf_counter() - start
        scores = score_clustering(reduced, labels, labels_true, seed=config.seed).to_dict()
        results.append(MethodResult(spec.name, labels, distance_to_centre(reduced, labels), scores,
                                    round(seconds, 3), spec.density, describe_fit(estimator, len(X))))
        log.info("%s: %d clusters in %.1f s", spec.name, scores["n_clusters"], seconds)
        advance(1)
    return results


def consecutive(labels: np.ndarray) -> np.ndarray:
    """``labels`` with the clusters numbered 0, 1, 2, ... in their order (noise stays -1), so that a
    cluster a method left empty (scan's heads can) leaves no gap in the ids."""
    labels = np.asarray(labels)
    kept = np.unique(labels[labels >= 0])
    if len(kept) == 0 or kept[-1] == len(kept) - 1:
        return labels
    number = np.full(int(kept[-1]) + 1, -1, labels.dtype)
    number[kept] = np.arange(len(kept))
    return np.where(labels >= 0, number[np.maximum(labels, 0)], labels)


def select_method(results: list[MethodResult], max_noise: float = CompareConfig.max_noise) -> tuple[str, str]:
    """The chosen method's name and a sentence saying why."""
    usable = [r for r in results if r.scores["silhouette"] is not None]
    if not usable:
        return results[0].name, "no method found two or more clusters; kept the first"
    dense = [r for r in usable if r.density and r.scores["noise_fraction"] <= max_noise]
    if dense:
        best = max(dense, key=lambda r: r.scores["silhouette"])
        return best.name, (f"density method with {best.scores['noise_fraction']:.0%} noise "
                           f"(at most {max_noise:.0%}) and the best silhouette among such methods")
    rejected = [f"{r.name} {r.scores['noise_fraction']:.0%} noise" for r in usable if r.density]
    ranks = _mean_ranks([r for r in usable if not r.density] or usable)
    best = min(ranks, key=ranks.get)
    why = "best mean rank of silhouette, Davies-Bouldin and Calinski-Harabasz"
    if rejected:
        why += f"; density methods left more than {max_noise:.0%} noise ({', '.join(rejected)})"
    return best, why


def _mean_ranks(results: list[MethodResult]) -> dict[str, float]:
    frame = pd.DataFrame({r.name: r.scores for r in results}).T
    ranks = (frame["silhouette"].astype(float).rank(ascending=False)
             + frame["davies_bouldin"].astype(float).rank(ascending=True)
             + frame["calinski_harabasz"].astype(float).rank(ascending=False)) / 3
    return ranks.to_dict()


def comparison_table(results: list[MethodResult]) -> pd.DataFrame:
    columns = ["n_clusters", "noise_fraction", "silhouette", "davies_bouldin", "calinski_harabasz",
               "acc", "nmi", "ari"]
    rows = [{"method": r.name, **{c: r.scores.get(c) for c in columns}, "seconds": r.seconds} for r in results]
    table = pd.DataFrame(rows)
    return table.dropna(axis=1, how="all")


def choose_k(X: np.ndarray, k_range: tuple[int, int] = K_RANGE, seed: int = 0) -> tuple[int, list[dict]]:
    """k with the best silhouette for k-means over ``k_range``; the whole curve is returned."""
    low, high = k_range[0], min(k_range[1], len(X) - 1)
    if high < low:
        raise ConfigError(f"--k auto needs at least {low + 1} images, got {len(X)}")
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(X), min(K_SAMPLE, len(X)), replace=False)
    curve = []
    for k in range(low, high + 1):
        labels = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(X)
        curve.append({"k": k, "silhouette": float(silhouette_score(X[sample], labels[sample]))})
    best = max(curve, key=lambda point: point["silhouette"])
    return best["k"], curve


def assignments_frame(ids: np.ndarray, results: list[MethodResult]) -> pd.DataFrame:
    frame = pd.DataFrame({"id": ids})
    for r in results:
        frame[r.name] = r.labels
        frame[f"{r.name}_distance"] = r.distance
    return frame



def stored_results(assignments: pd.DataFrame, metrics: dict) -> list[MethodResult]:
    """The clusterings a workspace already holds, as results: comparing a few methods keeps the others."""
    return [MethodResult(name, assignments[name].to_numpy(), assignments[f"{name}_distance"].to_numpy(),
                         {k: v for k, v in scores.items() if k != "seconds"}, scores.get("seconds", 0.0),
                         density=False)
            for name, scores in metrics.items() if name in assignments.columns]
