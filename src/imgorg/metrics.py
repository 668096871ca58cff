"""Clustering scores: internal ones always, external ones when labels exist.

Labels are used here only to score; nothing unsupervised is fitted on them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as skm

from .constants import NOISE

SILHOUETTE_SAMPLE = 10_000  # silhouette is O(n^2): past this, a seeded sample of this size


@dataclass
class ClusterScores:
    n_clusters: int
    n_samples: int
    noise_fraction: float
    silhouette: float | None  # None when fewer than 2 clusters
    davies_bouldin: float | None
    calinski_harabasz: float | None
    acc: float | None = None  # Hungarian-matched accuracy (labels only)
    nmi: float | None = None
    ari: float | None = None
    purity: float | None = None
    contingency: dict | None = field(default=None, repr=False)  # {"clusters", "labels", "counts"}

    def to_dict(self) -> dict:
        return asdict(self)


def internal_scores(X: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict:
    """Silhouette, Davies-Bouldin, Calinski-Harabasz on the non-noise points."""
    labels = np.asarray(labels)
    keep = labels != NOISE
    n_clusters = len(np.unique(labels[keep]))
    result = {
        "n_clusters": n_clusters,
        "n_samples": int(len(labels)),
        "noise_fraction": float(1 - keep.mean()) if len(labels) else 0.0,
        "silhouette": None,
        "davies_bouldin": None,
        "calinski_harabasz": None,
    }
    if n_clusters < 2 or n_clusters >= keep.sum():
        return result
    Xk, lk = X[keep], labels[keep]
    sample = SILHOUETTE_SAMPLE if len(lk) > SILHOUETTE_SAMPLE else None
    result["silhouette"] = float(skm.silhouette_score(Xk, lk, sample_size=sample, random_state=seed))
    result["davies_bouldin"] = float(skm.davies_bouldin_score(Xk, lk))
    result["calinski_harabasz"] = float(skm.calinski_harabasz_score(Xk, lk))
    return result


def contingency_table(labels_true, labels_pred) -> pd.DataFrame:
    """Counts of each (cluster, label) pair: clusters as rows, labels as columns."""
    return pd.crosstab(pd.Series(labels_pred, name="cluster"), pd.Series(labels_true, name="label"))


def hungarian_accuracy(labels_true, labels_pred) -> float:
    """Best one-to-one matching of clusters to labels; noise counts as wrong."""
    table = contingency_table(labels_true, labels_pred)
    counts = table.drop(index=NOISE, errors="ignore").to_numpy()
    if counts.size == 0:
        return 0.0
    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum() / len(labels_pred))


def external_scores(labels_true, labels_pred) -> dict:
    labels_true = np.asarray(labels_true)
    labels_pred = np.asarray(labels_pred)
    table = contingency_table(labels_true, labels_pred)
    return {
        "acc": hungarian_accuracy(labels_true, labels_pred),
        "nmi": float(skm.normalized_mutual_info_score(labels_true, labels_pred)),
        "ari": float(skm.adjusted_rand_score(labels_true, labels_pred)),
        "purity": float(table.to_numpy().max(axis=1).sum() / len(labels_pred)),
        "contingency": {
            "clusters": [int(c) for c in table.index],
            "labels": [str(c) for c in table.columns],
            "counts": table.to_numpy().tolist(),
        },
    }


def score_clustering(X: np.ndarray, labels_pred, labels_true=None, seed: int = 0) -> ClusterScores:
    """All scores for one clustering; external ones only when every point has a label."""
    scores = internal_scores(X, labels_pred, seed)
    if labels_true is not None and len(labels_true) and not pd.isna(pd.Series(labels_true)).any():
        scores.update(external_scores(labels_true, labels_pred))
    return ClusterScores(**scores)


def retrieval_scores(neighbour_rows: np.ndarray, labels) -> dict:
    """precision@k and mAP@k of a nearest-neighbour search, each image a query (leave-one-out).

    ``neighbour_rows[i]`` are the k rows found for row i (itself excluded). A neighbour is
    relevant when it shares the query's label. AP@k divides by min(k, relevant images
    that exist), so a perfect ranking scores 1 even for labels with fewer than k images.
    """
    labels = pd.Series(labels).to_numpy(dtype=object)
    rows = np.asarray(neighbour_rows)
    k = rows.shape[1]
    relevant = labels[rows] == labels[:, None]
    precision = relevant.mean(axis=1)
    hits = np.cumsum(relevant, axis=1)
    precision_at_i = hits / np.arange(1, k + 1)
    available = pd.Series(labels).map(pd.Series(labels).value_counts()).to_numpy() - 1
    denominator = np.maximum(np.minimum(k, available), 1)
    average_precision = (precision_at_i * relevant).sum(axis=1) / denominator
    return {"k": int(k), "precision_at_k": float(precision.mean()), "map_at_k": float(average_precision.mean()),
            "queries": int(len(rows))}
