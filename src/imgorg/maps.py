"""Maps of the collection: UMAP, t-SNE or PCA to 2 or 3 dimensions.

They run on the PCA-reduced embeddings and are stored in the workspace
(``projection_<method>_<dims>d.npy``), so the app and reports never recompute.

Past ``max_fit`` images (``FAST_PATH_SAMPLE`` for ``imgorg map`` past ``FAST_PATH_MIN`` images;
``imgorg.config.RUN_MAP``: the map ``imgorg run`` makes), UMAP and t-SNE are fitted on a seeded
sample of that size and every other image is placed at the distance-weighted mean of its 5
nearest sampled images (``fast_path_`` says so): both methods grow faster than linearly,
this part is linear.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA

from .errors import ConfigError

METHODS = ("umap", "tsne", "pca")
FAST_PATH_MIN = 50_000
FAST_PATH_SAMPLE = 10_000
_PLACE_NEIGHBOURS = 5  # capped by the sample size in place_by_neighbours


class Projector(TransformerMixin, BaseEstimator):
    def __init__(self, method: str = "umap", n_components: int = 2, n_neighbors: int = 15,
                 perplexity: float = 30.0, max_fit: int | None = None, epochs: int | None = None,
                 random_state: int = 0, device: str = "cpu"):
        self.method = method
        self.epochs = epochs
        self.device = device
        self.max_fit = max_fit
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.perplexity = perplexity
        self.random_state = random_state

    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        X = np.asarray(X, dtype=np.float32)
        if self.method not in METHODS:
            raise ConfigError(f"unknown map method {self.method!r}; valid methods: {', '.join(METHODS)}")
        if self.n_components not in (2, 3):
            raise ConfigError(f"n_components ({self.n_components}) must be 2 or 3")
        if len(X) <= self.n_components + 1:
            raise ConfigError(f"a map needs more than {self.n_components + 1} images, got {len(X)}")
        start = time.perf_counter()
        fit = getattr(self, f"_{self.method}")
        self.fast_path_ = None
        max_fit = self.max_fit or (FAST_PATH_SAMPLE if len(X) > FAST_PATH_MIN else len(X))
        if self.method != "pca" and len(X) > max_fit:
            sample = np.sort(np.random.default_rng(self.random_state).choice(len(X), max_fit, replace=False))
            self.embedding_ = place_by_neighbours(X, sample, fit(X[sample])).astype(np.float32)
            self.fast_path_ = (f"{self.method} fitted on a sample of {max_fit:,}; the other "
                               f"{len(X) - max_fit:,} placed by their {_PLACE_NEIGHBOURS} nearest sampled images")
        else:
            self.embedding_ = fit(X).astype(np.float32)
        self.seconds_ = time.perf_counter() - start
        return self.embedding_

    def _pca(self, X):
        return PCA(n_components=self.n_components, random_state=self.random_state).fit_transform(X)

    def _umap(self, X):
        if self.device != "cpu":  # RAPIDS cuML's UMAP where it is installed; else umap-learn on the CPU
            try:
                from cuml.manifold import UMAP as DeviceUMAP
            except ImportError:
                DeviceUMAP = None
            if DeviceUMAP is not None:
                neighbours = min(self.n_neighbors, len(X) - 1)
                return np.asarray(DeviceUMAP(n_components=self.n_components, n_neighbors=neighbours,
                                             random_state=self.random_state).fit_transform(X))
        try:
            import umap
        except ImportError:
            raise ImportError("UMAP maps need umap-learn: pip install 'imgorg[maps]'") from None
        cache_umap_compilation()
        neighbours = min(self.n_neighbors, len(X) - 1)
        # one job, as a seed makes it anyway: said here, umap-learn does not warn about it on the console
        return umap.UMAP(n_components=self.n_components, n_neighbors=neighbours, metric="cosine",
                         n_epochs=self.epochs, random_state=self.random_state,
                         n_jobs=1 if self.random_state is not None else -1).fit_transform(X)

    def _tsne(self, X):
        from sklearn.manifold import TSNE

        perplexity = min(self.perplexity, (len(X) - 1) / 3)
        return TSNE(n_components=self.n_components, perplexity=perplexity, init="pca",
                    random_state=self.random_state).fit_transform(X)


def cache_umap_compilation() -> None:
    """Numba compiles a few of umap-learn's functions that it does not cache (``fast_knn_indices``,
    ``smooth_knn_dist``, ``compute_membership_strengths``: about 10 s in every new process, most of
    a 1,200-image map's 12); cached, later processes load them in milliseconds (docs/benchmarks.md).
    Numba writes the cache beside umap's code, or in the user's cache folder where that is read-only."""
    try:
        from numba.core.caching import NullCache
        from numba.core.registry import CPUDispatcher
        import umap.umap_ as umap_module
    except ImportError:  # another numba: compile as umap-learn does
        return
    for function in vars(umap_module).values():
        if isinstance(function, CPUDispatcher) and isinstance(getattr(function, "_cache", None), NullCache):
            try:
                function.enable_caching()
            except RuntimeError:  # nowhere writable to cache: compiled in each process, as before
                return


def place_by_neighbours(X: np.ndarray, sample: np.ndarray, sample_points: np.ndarray) -> np.ndarray:
    """Map coordinates for every row: sampled rows keep theirs, others get a weighted kNN mean."""
    from sklearn.neighbors import NearestNeighbors

    k = min(_PLACE_NEIGHBOURS, len(sample))
    distance, nearest = NearestNeighbors(n_neighbors=k).fit(X[sample]).kneighbors(X)
    weights = 1.0 / (distance + 1e-6)
    weights /= weights.sum(axis=1, keepdims=True)
    points = np.einsum("nk,nkd->nd", weights, sample_points[nearest])
    points[sample] = sample_points
    return points
