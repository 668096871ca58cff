import numpy as np
import pytest
from sklearn.datasets import make_blobs

from imgorg.constants import NOISE
from imgorg.metrics import hungarian_accuracy, score_clustering


def test_accuracy_is_invariant_to_cluster_numbering():
    truth = np.array(["a", "a", "b", "b", "c", "c"])
    assert hungarian_accuracy(truth, np.array([2, 2, 0, 0, 1, 1])) == 1.0
    assert hungarian_accuracy(truth, np.array([0, 0, 0, 0, 1, 1])) == pytest.approx(4 / 6)


def test_noise_points_count_as_wrong():
    truth = np.array(["a", "a", "b", "b"])
    assert hungarian_accuracy(truth, np.array([0, NOISE, 1, 1])) == pytest.approx(3 / 4)


def test_scores_with_labels_include_external_metrics_and_contingency():
    X, y = make_blobs(n_samples=90, centers=3, cluster_std=0.3, random_state=0)
    scores = score_clustering(X, y, labels_true=np.array(["x", "y", "z"])[y])
    assert scores.acc == 1.0 and scores.nmi == pytest.approx(1.0) and scores.ari == pytest.approx(1.0)
    assert scores.silhouette > 0.8 and scores.davies_bouldin < 0.5 and scores.calinski_harabasz > 100
    assert np.array(scores.contingency["counts"]).sum() == 90
    assert scores.contingency["labels"] == ["x", "y", "z"]


def test_scores_without_labels_are_internal_only():
    X, y = make_blobs(n_samples=60, centers=2, random_state=0)
    scores = score_clustering(X, y)
    assert scores.acc is None and scores.contingency is None
    assert scores.n_clusters == 2 and scores.noise_fraction == 0.0


def test_a_single_cluster_has_no_internal_scores_but_no_crash():
    scores = score_clustering(np.random.default_rng(0).normal(size=(10, 2)), np.zeros(10, int))
    assert scores.silhouette is None and scores.n_clusters == 1
