
import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

import imgorg.clustering.estimators as cluster_module
from imgorg.clustering.estimators import NOISE, cluster, distance_to_centre
from imgorg.config import ClusterConfig
from imgorg.errors import ConfigError


def test_kmeans_finds_well_separated_blobs():
    X, truth = make_blobs(n_samples=300, centers=4, cluster_std=0.5, random_state=0)
    labels, estimator = cluster(X, ClusterConfig(method="kmeans", k=4))
    assert adjusted_rand_score(truth, labels) > 0.99
    assert labels.dtype == np.int64


def test_kmeans_is_deterministic_for_a_seed():
    X, _ = make_blobs(n_samples=200, centers=5, cluster_std=2.0, random_state=1)
    a, _ = cluster(X, ClusterConfig(method="kmeans", k=5, seed=3))
    b, _ = cluster(X, ClusterConfig(method="kmeans", k=5, seed=3))
    assert (a == b).all()


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="valid methods: kmeans, agglomerative, dbscan, hdbscan, scan"):
        cluster(np.zeros((5, 2)), ClusterConfig(method="magic"))


def test_k_larger_than_the_data_is_refused_with_the_fix():
    with pytest.raises(ConfigError, match=r"k \(10\) must be at most the number of images \(3\)"):
        cluster(np.random.default_rng(0).normal(size=(3, 2)), ClusterConfig(method="kmeans", k=10))


def test_distance_to_centre_skips_noise():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [5.0, 5.0]])
    d = distance_to_centre(X, np.array([0, 0, NOISE]))
    assert d[:2].tolist() == [1.0, 1.0] and np.isnan(d[2])


def test_large_collections_cluster_through_faiss_kmeans(monkeypatch):

    X, truth = make_blobs(n_samples=3000, centers=12, n_features=16, cluster_std=1.0, random_state=2)
    monkeypatch.setattr(cluster_module, "FAISS_THRESHOLD", 1000)
    labels, estimator = cluster(X, ClusterConfig(method="kmeans", k=12, n_init=2, seed=5))
    again, _ = cluster(X, ClusterConfig(method="kmeans", k=12, n_init=2, seed=5))
    assert isinstance(estimator, cluster_module.FaissKMeans)
    assert adjusted_rand_score(truth, labels) > 0.95
    assert labels.shape == (3000,) and labels.dtype == np.int64 and (labels == again).all()
    # The best restart's inertia is over every point, and no other restart beats it.
    single = cluster_module.FaissKMeans(n_clusters=12, n_init=1, random_state=5).fit(X)
    assert estimator.inertia_ <= single.inertia_ + 1e-3


def test_methods_fitted_on_a_sample_say_so(monkeypatch):
    from imgorg.clustering import run_methods

    X, _ = make_blobs(n_samples=600, centers=3, n_features=5, random_state=0)
    monkeypatch.setattr(cluster_module, "FAISS_THRESHOLD", 500)
    monkeypatch.setattr(cluster_module.SampleThenAssign.__init__, "__defaults__", (200, 0))
    results = run_methods(X, X, ["kmeans", "agglomerative"], ClusterConfig(k=3, n_init=1))
    fits = {r.name: r.fit for r in results}
    assert fits["kmeans"] == "k-means through FAISS on 600 points (k-means++ seeds, n_init 1)"
    assert fits["agglomerative"].startswith("fitted on a seeded sample of 200 of 600 points")
    small = run_methods(X[:100], X[:100], ["kmeans"], ClusterConfig(k=3, n_init=1))
    assert small[0].fit is None


def test_clusters_are_numbered_without_gaps_where_a_method_leaves_one_empty():
    """`--k 10` with a scan head that left cluster 1 empty listed clusters 0, 2, ..., 9."""
    from imgorg.clustering.methods import consecutive

    assert consecutive(np.array([0, 2, 2, -1, 5, 0])).tolist() == [0, 1, 1, -1, 2, 0]
    labels = np.array([0, 1, -1, 1])
    assert consecutive(labels) is labels  # already without gaps: as it was
