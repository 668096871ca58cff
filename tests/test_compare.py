import json

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from typer.testing import CliRunner

from imgorg.cli.main import app
from imgorg.clustering.estimators import NOISE, DBSCANAuto, SampleThenAssign, cluster, knee_eps
from imgorg.clustering import MethodResult, choose_k, run_methods, select_method
from imgorg.config import ClusterConfig
from imgorg.errors import ConfigError
from imgorg.clustering.scan import SCANClusterer, dissolve_spare_clusters


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=400, centers=4, n_features=8, cluster_std=0.6, random_state=0)
    return X.astype(np.float32), y


@pytest.mark.parametrize("method, extra", [("kmeans", {}), ("agglomerative", {}),
                                           ("agglomerative", {"linkage": "average"}), ("hdbscan", {}),
                                           ("dbscan", {})])
def test_every_method_finds_well_separated_blobs(blobs, method, extra):
    X, y = blobs
    labels, _ = cluster(X, ClusterConfig(method=method, k=4, **extra))
    keep = labels != NOISE
    assert keep.mean() > 0.9
    assert adjusted_rand_score(y[keep], labels[keep]) > 0.95


def test_dbscan_eps_comes_from_the_k_distance_knee(blobs):
    X, _ = blobs
    model = DBSCANAuto(min_samples=10).fit(X)
    assert model.eps_ == pytest.approx(knee_eps(X, 10))
    assert 0 < model.eps_ < 5  # within-blob distances, not the gap between blobs


def test_scan_finds_blobs_and_picks_a_head_by_loss_alone():
    # SCAN's neighbours are cosine ones, as for embeddings: blobs in distinct directions.
    X, y = make_blobs(n_samples=400, centers=4, n_features=16, cluster_std=1.0, random_state=0)
    X = (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)
    model = SCANClusterer(n_clusters=4, n_heads=4, epochs=30, n_neighbors=10).fit(X)
    assert model.head_ == int(np.argmin(model.losses_))
    assert model.learning_rate_ in (1e-3, 1e-2)  # half the heads train at each rate
    assert adjusted_rand_score(y, model.labels_) > 0.9
    assert model.probabilities_.shape == (400, 4)
    assert model.losses_.shape == (4,)


@pytest.mark.parametrize("seed", [0, 7])
def test_a_spare_cluster_keeps_scatter_that_fits_no_blob_from_taking_a_blob_s_cluster(seed):
    # Four blobs and 250 scattered points. Without the spare cluster (spare_clusters=0, the
    # default) the scatter took a cluster of its own on these two seeds and two blobs shared
    # one (ARI 0.71, 0.69).
    X, y = make_blobs(n_samples=400, centers=4, n_features=16, cluster_std=3.0, random_state=seed)
    scatter = np.random.default_rng(seed).normal(size=(250, 16)) * X.std() * 1.5
    Z = np.vstack([X, scatter])
    Z = (Z / np.linalg.norm(Z, axis=1, keepdims=True)).astype(np.float32)
    model = SCANClusterer(n_clusters=4, n_heads=4, epochs=30, n_neighbors=10, spare_clusters=1,
                          random_state=seed).fit(Z)
    assert model.probabilities_.shape == (650, 4)
    assert adjusted_rand_score(y, model.labels_[:400]) > 0.95


def test_a_negative_number_of_spare_clusters_is_refused_before_training():
    with pytest.raises(ConfigError, match="spare_clusters"):  # it would have returned k - 1 clusters
        SCANClusterer(n_clusters=4, spare_clusters=-1).fit(np.eye(8, dtype=np.float32))


def test_the_spare_cluster_that_collects_ambiguous_images_is_dissolved_into_the_others():
    # Images 0-9 and 10-19 are each other's neighbours; 20-29 have neighbours on both sides,
    # as images that fit no class do, and scan put them in a third cluster.
    rng = np.random.default_rng(0)
    neighbours = np.concatenate([rng.integers(0, 10, (10, 5)), rng.integers(10, 20, (10, 5)),
                                 rng.integers(0, 20, (10, 5))])
    probs = np.array([[0.9, 0.05, 0.05]] * 10 + [[0.05, 0.9, 0.05]] * 10
                     + [[0.3, 0.1, 0.6]] * 5 + [[0.1, 0.3, 0.6]] * 5)
    out = dissolve_spare_clusters(probs, neighbours, 1)
    assert out.shape == (30, 2) and np.allclose(out.sum(axis=1), 1)
    assert list(out.argmax(axis=1)) == [0] * 10 + [1] * 10 + [0] * 5 + [1] * 5  # each to its next best
    # A cluster no image chose is the first to go, whatever the others' agreement.
    unused = np.array([[0.6, 0.1, 0.3], [0.1, 0.6, 0.3]] * 15)
    assert dissolve_spare_clusters(unused, neighbours, 1).shape == (30, 2)
    assert np.allclose(dissolve_spare_clusters(unused, neighbours, 1), unused[:, :2] / 0.7)


def test_sample_then_assign_labels_every_point(blobs):
    X, y = blobs
    from sklearn.cluster import AgglomerativeClustering

    model = SampleThenAssign(AgglomerativeClustering(n_clusters=4), max_samples=100).fit(X)
    assert model.sampled_ and len(model.labels_) == 400
    assert adjusted_rand_score(y, model.labels_) > 0.95


def test_choose_k_finds_the_number_of_blobs(blobs):
    X, _ = blobs
    k, curve = choose_k(X, (2, 8))
    assert k == 4
    assert [p["k"] for p in curve] == list(range(2, 9))


def _result(name, density, noise, silhouette, db=1.0, ch=100.0):
    scores = {"noise_fraction": noise, "silhouette": silhouette, "davies_bouldin": db, "calinski_harabasz": ch}
    return MethodResult(name, np.zeros(1), np.zeros(1), scores, 0.0, density)


def test_selection_prefers_a_density_method_within_the_noise_limit():
    chosen, why = select_method([_result("kmeans", False, 0.0, 0.5), _result("dbscan", True, 0.2, 0.3)])
    assert chosen == "dbscan" and "20% noise" in why


def test_selection_falls_back_to_internal_metrics_and_says_why():
    results = [_result("kmeans", False, 0.0, 0.5, 1.0, 200.0), _result("agglomerative", False, 0.0, 0.4, 1.5, 150.0),
               _result("hdbscan", True, 0.7, 0.9)]
    chosen, why = select_method(results)
    assert chosen == "kmeans"
    assert "hdbscan 70% noise" in why and "best mean rank" in why


def test_run_methods_scores_each_on_the_same_space(blobs):
    X, y = blobs
    results = run_methods(X, X, ["kmeans", "agglomerative"], ClusterConfig(k=4), labels_true=y)
    assert [r.name for r in results] == ["kmeans", "agglomerative"]
    assert all(r.scores["acc"] > 0.95 for r in results)


@pytest.mark.slow
def test_compare_command_stores_every_method(cifar_small, tmp_path):
    out = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(cifar_small), "--out", str(out), "--k", "4"]).exit_code == 0
    assert runner.invoke(app, ["outliers", str(out)]).exit_code == 0
    result = runner.invoke(app, ["compare", str(out), "--methods", "kmeans,agglomerative,hdbscan,scan",
                                 "--json", str(tmp_path / "c.json")])
    assert result.exit_code == 0, result.output
    assert "Chosen:" in result.output and "…" not in result.output  # no cut cells when piped
    from imgorg import load_workspace
    from imgorg.workspace import read_artifact

    ws = load_workspace(out)
    assert {"kmeans", "agglomerative", "hdbscan", "scan"} <= set(ws.metrics)
    assert {"agglomerative", "scan_distance"} <= set(ws.assignments.columns)
    table = json.loads((tmp_path / "c.json").read_text())
    assert [row["method"] for row in table["methods"]] == ["kmeans", "agglomerative", "hdbscan", "scan"]
    assert ws.method == table["chosen"]
    assert ws.manifest["selection"]["k"] == 4 and ws.metrics["kmeans"]["n_clusters"] == 4  # the workspace's k, not 10
    # The default method changed, so the stored outliers' cluster column follows it.
    assert ws.method != "scan" and "default method is now" in result.output
    outliers = read_artifact(out, "outliers.parquet").set_index("id")
    cluster_of = dict(zip(ws.images["id"], ws.cluster_labels()))
    assert outliers["cluster"].to_dict() == {i: cluster_of[i] for i in outliers.index}


@pytest.mark.slow
def test_compare_with_k_auto_chooses_k_and_writes_strict_json(cifar_small, tmp_path):
    # --k auto chooses k by silhouette (it reused the workspace's k); a score that is NaN is null in the JSON
    out = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(cifar_small), "--out", str(out), "--k", "7", "--map", "none",
                               "--no-review", "--no-report"]).exit_code == 0
    result = runner.invoke(app, ["compare", str(out), "--methods", "kmeans,dbscan", "--k", "auto",
                                 "--json", str(tmp_path / "c.json")])
    assert result.exit_code == 0, result.output
    from imgorg import load_workspace
    from imgorg.clustering.methods import choose_k

    ws = load_workspace(out)
    chosen, _ = choose_k(ws.reduced, seed=0)
    assert ws.manifest["selection"]["k"] == chosen == ws.metrics["kmeans"]["n_clusters"]
    text = (tmp_path / "c.json").read_text()
    assert "NaN" not in text and json.loads(text)["methods"][0]["method"] == "kmeans"


def test_every_clustering_method_is_named_once_for_those_that_cannot_load_it():
    # the store names the methods `imgorg compare` can add without loading scikit-learn
    from imgorg.clustering import METHODS
    from imgorg.constants import CLUSTERING_METHODS

    assert tuple(METHODS) == CLUSTERING_METHODS
