"""The analysis stages in torch (imgorg.device, what a GPU runs) give the CPU path's results: run on
"cpu" here, on "cuda" where a GPU is present."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA

from imgorg import device as dev
from imgorg.reduce import Reducer
from imgorg.clustering.scan import SCANClusterer, nearest_neighbours

# The cuda case carries the gpu marker, so `pytest -m gpu` (benchmarks/gpu/check.sh) runs it on a GPU machine.
DEVICES = ["cpu", pytest.param("cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device")])]


def data(n=600, d=64, seed=0):
    X, y = make_blobs(n_samples=n, centers=6, n_features=d, cluster_std=2.0, random_state=seed)
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32), y


@pytest.mark.parametrize("device", DEVICES)
def test_pca_equals_scikit_learns_exact_pca(device):
    X, _ = data()
    expected = PCA(10, svd_solver="full").fit_transform(X)
    assert np.abs(dev.pca(X, 10, device) - expected).max() < 1e-4
    whitened = PCA(10, svd_solver="full", whiten=True).fit_transform(X)
    assert np.abs(dev.pca(X, 10, device, whiten=True) - whitened).max() < 1e-3


@pytest.fixture
def gpu_on_the_cpu(monkeypatch):
    """The stages' GPU branches, run by torch on the CPU (what they do on a GPU, up to floating point)."""
    real = dev.torch_device
    monkeypatch.setattr(dev, "torch_device", lambda device: real("cpu"))


def test_the_reducer_and_kmeans_take_their_gpu_branch(gpu_on_the_cpu):
    from imgorg.clustering.estimators import TorchKMeans, cluster
    from imgorg.config import ClusterConfig

    X, y = data()
    reduced = Reducer(10, device="cuda").fit_transform(X)
    assert np.abs(reduced - PCA(10, svd_solver="full").fit_transform(X)).max() < 1e-4
    labels, estimator = cluster(reduced, ClusterConfig(method="kmeans", k=6), device="cuda")
    assert isinstance(estimator, TorchKMeans)
    expected = KMeans(6, n_init=10, random_state=0).fit_predict(reduced)
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(expected, labels) > 0.99


@pytest.mark.parametrize("device", DEVICES)
def test_lloyd_from_the_same_seeds_gives_scikit_learns_labels(device):
    X, _ = data()
    seeds, _ = kmeans_plusplus(X, 6, random_state=3)
    expected = KMeans(6, init=seeds, n_init=1).fit(X)
    labels, _, inertia = dev.lloyd(X, seeds, device)
    assert np.array_equal(labels, expected.labels_) and inertia == pytest.approx(expected.inertia_, rel=1e-4)


@pytest.mark.parametrize("device", DEVICES)
def test_neighbours_equal_the_cpu_search(device):
    X, _ = data(400)
    found, expected = dev.nearest_neighbours(X, 10, device, block=128), nearest_neighbours(X, 10)
    assert all(set(a) == set(b) for a, b in zip(found, expected))


@pytest.mark.parametrize("device", DEVICES)
def test_scan_on_a_device_clusters_as_on_the_cpu(device):
    X, y = data()
    cpu = SCANClusterer(n_clusters=6, n_heads=4, epochs=10, n_neighbors=10).fit(X)
    here = SCANClusterer(n_clusters=6, n_heads=4, epochs=10, n_neighbors=10, device=device).fit(X)
    assert np.array_equal(cpu.labels_, here.labels_) if device == "cpu" else (cpu.labels_ == here.labels_).mean() > 0.99
    np.testing.assert_allclose(cpu.losses_, here.losses_, rtol=1e-4)


def test_cuda_without_a_gpu_is_refused_with_what_to_do(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(Exception, match="--device cpu"):
        dev.torch_device("cuda")
