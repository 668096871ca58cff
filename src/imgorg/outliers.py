"""Outlier scores: how far each image is from its nearest neighbours.

    knn   1 - mean cosine similarity to the k nearest other images (global: an
          image unlike anything else scores high)
    lof   scikit-learn's Local Outlier Factor on the reduced features (local:
          an image in a sparse spot next to a dense cluster scores high)

Higher is more unusual under both. Labels are never used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import ConfigError
from .index import SearchIndex, build_index

METHODS = ("knn", "lof")
DEFAULT_K = 10


def outlier_scores(embeddings: np.ndarray, reduced: np.ndarray | None = None, method: str = "knn",
                   k: int = DEFAULT_K, index: SearchIndex | None = None) -> np.ndarray:
    """One score per row; higher means more unusual."""
    if method not in METHODS:
        raise ConfigError(f"outlier method {method!r} is not one of {', '.join(METHODS)}")
    if k < 1:
        raise ConfigError(f"k ({k}) must be at least 1")
    n = len(embeddings)
    if n < 2:
        return np.zeros(n, np.float32)
    k = min(k, n - 1)
    if method == "knn":
        sims, rows = (index or build_index(embeddings)).search(embeddings, k, exclude_self=True)
        sims = np.where(rows >= 0, sims, np.nan)  # an ANN index may return fewer than k
        return (1.0 - np.nanmean(sims, axis=1)).astype(np.float32)
    from sklearn.neighbors import LocalOutlierFactor

    features = embeddings if reduced is None else reduced
    lof = LocalOutlierFactor(n_neighbors=k).fit(features)
    return (-lof.negative_outlier_factor_).astype(np.float32)


def outliers_frame(images: pd.DataFrame, scores: np.ndarray, clusters: np.ndarray | None = None) -> pd.DataFrame:
    """id, path, score, rank (1 = most unusual), cluster; most unusual first."""
    order = np.argsort(-scores, kind="stable")
    frame = pd.DataFrame({
        "id": images["id"].to_numpy()[order],
        "path": images["path"].astype("string").to_numpy()[order],
        "score": np.round(scores[order], 5),
        "rank": np.arange(1, len(order) + 1),
    })
    if clusters is not None:
        frame["cluster"] = np.asarray(clusters)[order]
    return frame
