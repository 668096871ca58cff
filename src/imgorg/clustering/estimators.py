"""Clusterers by name. Each is a scikit-learn estimator with ``fit_predict``.

NOISE is the label a density method gives to points it leaves unclustered.
Hierarchical and density methods fit on a seeded sample past ``max_samples``
and give every other point the cluster of its nearest sampled point.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import DBSCAN, HDBSCAN, AgglomerativeClustering, KMeans, kmeans_plusplus
from sklearn.neighbors import NearestNeighbors

from ..config import ClusterConfig
from ..constants import NOISE
from ..errors import ConfigError

log = logging.getLogger(__name__)

FAISS_THRESHOLD = 200_000  # k-means runs through FAISS past this many points (FaissKMeans)
SAMPLE_THRESHOLD = 20_000  # hierarchical/density methods fit on a sample past this many points


class DBSCANAuto(ClusterMixin, BaseEstimator):
    """DBSCAN whose ``eps``, when not given, is the knee of the k-distance curve."""

    def __init__(self, eps: float | None = None, min_samples: int = 10, metric: str = "euclidean"):
        self.eps = eps
        self.min_samples = min_samples
        self.metric = metric

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float32)
        if self.min_samples < 2 or self.min_samples > len(X):
            raise ConfigError(f"min_samples ({self.min_samples}) must be between 2 and the number of points ({len(X)})")
        self.eps_ = float(self.eps) if self.eps else knee_eps(X, self.min_samples, self.metric)
        self.labels_ = DBSCAN(eps=self.eps_, min_samples=self.min_samples, metric=self.metric).fit_predict(X)
        return self


def knee_eps(X: np.ndarray, k: int, metric: str = "euclidean") -> float:
    """The distance to the k-th neighbour at the knee of its sorted curve (largest gap to the chord)."""
    distances, _ = NearestNeighbors(n_neighbors=k, metric=metric).fit(X).kneighbors(X)
    curve = np.sort(distances[:, -1])
    x = np.linspace(0.0, 1.0, len(curve))
    span = curve[-1] - curve[0]
    if span <= 0:
        return float(curve[0]) or 1e-6
    gap = x - (curve - curve[0]) / span  # the curve is convex: the knee is furthest below the chord
    return float(curve[int(np.argmax(gap))])


class SampleThenAssign(ClusterMixin, BaseEstimator):
    """Fit ``estimator`` on a seeded sample of at most ``max_samples`` points, then give every
    point the label of its nearest sampled point (noise included)."""

    def __init__(self, estimator, max_samples: int = SAMPLE_THRESHOLD, random_state: int = 0):
        self.estimator = estimator
        self.max_samples = max_samples
        self.random_state = random_state

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float32)
        self.sampled_ = len(X) > self.max_samples
        if not self.sampled_:
            self.labels_ = np.asarray(self.estimator.fit_predict(X))
            return self
        rng = np.random.default_rng(self.random_state)
        sample = np.sort(rng.choice(len(X), self.max_samples, replace=False))
        sample_labels = np.asarray(self.estimator.fit_predict(X[sample]))
        nearest = NearestNeighbors(n_neighbors=1).fit(X[sample]).kneighbors(X, return_distance=False)[:, 0]
        self.labels_ = sample_labels[nearest]
        log.info("fitted %s on a sample of %d of %d points", type(self.estimator).__name__, len(sample), len(X))
        return self


class FaissKMeans(ClusterMixin, BaseEstimator):
    """k-means for large collections: FAISS's Lloyd iterations on a sample, seeded by k-means++.

    Each restart seeds with scikit-learn's k-means++ on a sample (FAISS's own random
    seeding measured worse: ACC 0.87 vs 0.97 on a 1M-point mixture), iterates on
    ``points_per_centroid * k`` sampled points, then assigns every point to its
    nearest centre; the restart with the lowest inertia over all points wins.
    Chosen for accuracy over MiniBatchKMeans (0.973 vs 0.963 ACC at 1M x 256, 1.000 vs 0.986
    after PCA-50), at about its speed after PCA (docs/benchmarks.md)."""

    def __init__(self, n_clusters: int = 8, n_init: int = 3, max_iter: int = 25, points_per_centroid: int = 256,
                 random_state: int = 0):
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.max_iter = max_iter
        self.points_per_centroid = points_per_centroid
        self.random_state = random_state

    def fit(self, X, y=None):
        import faiss

        X = np.ascontiguousarray(X, dtype=np.float32)
        rng = np.random.default_rng(self.random_state)
        self.inertia_ = np.inf
        for restart in range(self.n_init):
            seed = self.random_state + restart
            sample = rng.choice(len(X), min(len(X), self.points_per_centroid * self.n_clusters), replace=False)
            init, _ = kmeans_plusplus(X[sample], self.n_clusters, random_state=seed)
            kmeans = faiss.Kmeans(X.shape[1], self.n_clusters, niter=self.max_iter, seed=seed, verbose=False,
                                  max_points_per_centroid=self.points_per_centroid)
            kmeans.train(X, init_centroids=np.ascontiguousarray(init, dtype=np.float32))
            distances, nearest = kmeans.index.search(X, 1)
            inertia = float(distances.sum())
            if inertia < self.inertia_:
                self.inertia_ = inertia
                self.cluster_centers_, self.labels_ = kmeans.centroids.copy(), nearest[:, 0].astype(np.int64)
        return self


class TorchKMeans(ClusterMixin, BaseEstimator):
    """k-means on a GPU (imgorg.device): scikit-learn's k-means++ seeds, Lloyd's iterations in torch;
    the same labels as scikit-learn's KMeans from the same seeds."""

    def __init__(self, n_clusters: int = 8, n_init: int = 10, random_state: int = 0, device: str = "cuda"):
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.random_state = random_state
        self.device = device

    def fit(self, X, y=None):
        from ..device import kmeans

        self.labels_, self.cluster_centers_ = kmeans(X, self.n_clusters, self.n_init, self.random_state, self.device)
        return self


@dataclass(frozen=True)
class Method:
    name: str
    make: Callable[[ClusterConfig, int, str], object]  # (config, n_samples, device) -> estimator
    density: bool = False  # may label points NOISE
    features: str = "reduced"  # "reduced" (L2 + PCA) or "power" (see imgorg.reduce.power_features)
    help: str = ""


def _check_k(config: ClusterConfig, n_samples: int) -> int:
    if config.k > n_samples:
        raise ConfigError(f"k ({config.k}) must be at most the number of images ({n_samples}); pass a smaller --k")
    if config.k < 2:
        raise ConfigError(f"k ({config.k}) must be at least 2; pass --k 2 or more, or --k auto")
    return config.k


def _kmeans(config: ClusterConfig, n: int, device: str = "cpu"):
    k = _check_k(config, n)
    if device != "cpu":
        return TorchKMeans(n_clusters=k, n_init=config.n_init, random_state=config.seed, device=device)
    if n > FAISS_THRESHOLD:
        return FaissKMeans(n_clusters=k, n_init=config.n_init, random_state=config.seed)
    return KMeans(n_clusters=k, init="k-means++", n_init=config.n_init, random_state=config.seed)


def _agglomerative(config: ClusterConfig, n: int, device: str = "cpu"):
    k = _check_k(config, n)
    # Ward needs Euclidean distances; the other linkages use cosine, the natural metric of embeddings.
    metric = "euclidean" if config.linkage == "ward" else "cosine"
    return SampleThenAssign(AgglomerativeClustering(n_clusters=k, linkage=config.linkage, metric=metric),
                            random_state=config.seed)


def _dbscan(config: ClusterConfig, n: int, device: str = "cpu"):
    return SampleThenAssign(DBSCANAuto(eps=config.eps, min_samples=config.min_samples), random_state=config.seed)


def _hdbscan(config: ClusterConfig, n: int, device: str = "cpu"):
    return SampleThenAssign(HDBSCAN(min_cluster_size=config.min_cluster_size, min_samples=config.min_samples,
                                    copy=True), random_state=config.seed)


def _scan(config: ClusterConfig, n: int, device: str = "cpu"):
    from .scan import SCANClusterer

    return SCANClusterer(n_clusters=_check_k(config, n), random_state=config.seed, device=device)


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("kmeans", _kmeans, help="k-means++ with n_init restarts (through FAISS past 200k points)"),
        Method("agglomerative", _agglomerative, help="ward (Euclidean) or average/complete (cosine) linkage"),
        Method("dbscan", _dbscan, density=True, help="eps from the knee of the k-distance curve unless given"),
        Method("hdbscan", _hdbscan, density=True, help="scikit-learn's HDBSCAN"),
        Method("scan", _scan, features="power",
               help="imgorg's best: SCAN-style heads on power-normalised embeddings, chosen by loss"),
    )
}


def get_method(name: str) -> Method:
    try:
        return METHODS[name]
    except KeyError:
        valid = ", ".join(METHODS)
        raise ConfigError(f"unknown clustering method {name!r}; valid methods: {valid}") from None


def make_clusterer(config: ClusterConfig, n_samples: int, device: str = "cpu"):
    """The estimator for ``config.method`` (k-means and scan on ``device``, the others on the CPU);
    an unknown name lists the valid ones."""
    return get_method(config.method).make(config, n_samples, device)


def cluster(X: np.ndarray, config: ClusterConfig, device: str = "cpu") -> tuple[np.ndarray, object]:
    """Fit the configured clusterer on X; return (labels as int64, fitted estimator)."""
    config.validate()
    estimator = make_clusterer(config, len(X), device)
    labels = np.asarray(estimator.fit_predict(X), dtype=np.int64)
    return labels, estimator


def describe_fit(estimator, n_points: int) -> str | None:
    """A sentence for the summary when a method did not fit every point the plain way."""
    if isinstance(estimator, SampleThenAssign) and estimator.sampled_:
        return (f"fitted on a seeded sample of {estimator.max_samples:,} of {n_points:,} points; every other "
                "point took the cluster of its nearest sampled point")
    if isinstance(estimator, FaissKMeans):
        return f"k-means through FAISS on {n_points:,} points (k-means++ seeds, n_init {estimator.n_init})"
    if isinstance(estimator, TorchKMeans):
        return f"k-means on {estimator.device} (k-means++ seeds, Lloyd in torch, n_init {estimator.n_init})"
    return None


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
