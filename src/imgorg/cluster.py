"""Clusterers by name. Each is a scikit-learn estimator with ``fit_predict``.

NOISE is the label a density method gives to points it leaves unclustered.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.cluster import KMeans

from .config import ClusterConfig
from .errors import ConfigError

NOISE = -1  # label of points that belong to no cluster (DBSCAN/HDBSCAN convention)


def _kmeans(config: ClusterConfig, n_samples: int):
    if config.k > n_samples:
        raise ConfigError(f"k ({config.k}) must be at most the number of images ({n_samples}); pass a smaller --k")
    return KMeans(n_clusters=config.k, init="k-means++", n_init=config.n_init, random_state=config.seed)


CLUSTERERS: dict[str, Callable[[ClusterConfig, int], object]] = {
    "kmeans": _kmeans,
}


def make_clusterer(config: ClusterConfig, n_samples: int):
    """The estimator for ``config.method``; an unknown name lists the valid ones."""
    try:
        factory = CLUSTERERS[config.method]
    except KeyError:
        valid = ", ".join(sorted(CLUSTERERS))
        raise ConfigError(f"unknown clustering method {config.method!r}; valid methods: {valid}") from None
    return factory(config, n_samples)


def cluster(X: np.ndarray, config: ClusterConfig) -> tuple[np.ndarray, object]:
    """Fit the configured clusterer; return (labels as int64, fitted estimator)."""
    config.validate()
    estimator = make_clusterer(config, len(X))
    labels = np.asarray(estimator.fit_predict(X), dtype=np.int64)
    return labels, estimator


def distance_to_centre(X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Euclidean distance of each point to the mean of its cluster (NaN for noise)."""
    out = np.full(len(X), np.nan, dtype=np.float32)
    for label in np.unique(labels):
        if label == NOISE:
            continue
        members = labels == label
        centre = X[members].mean(axis=0)
        out[members] = np.linalg.norm(X[members] - centre, axis=1)
    return out
