import numpy as np
import pytest
from sklearn.manifold import trustworthiness
from typer.testing import CliRunner

from imgorg import ClusterConfig, RunConfig, load_workspace, run
from imgorg.cli.main import app
from imgorg.errors import ConfigError
from imgorg.maps import Projector
from imgorg.workspace import read_artifact

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workspace(cifar_small, tmp_path_factory):
    out = tmp_path_factory.mktemp("map") / "ws"
    run(cifar_small, out, RunConfig(cluster=ClusterConfig(method="kmeans")))
    return out


@pytest.mark.parametrize("method", ["umap", "tsne"])
def test_map_keeps_neighbourhoods_of_real_images(workspace, method):
    X = load_workspace(workspace).reduced
    points = Projector(method=method, n_components=2).fit_transform(X)
    assert points.shape == (300, 2) and np.isfinite(points).all()
    assert trustworthiness(X, points, n_neighbors=10) >= 0.85


def test_map_command_stores_a_projection_the_app_uses(workspace):
    result = CliRunner().invoke(app, ["map", str(workspace), "--method", "umap", "--dims", "3"])
    assert result.exit_code == 0, result.output
    points = read_artifact(workspace, "projection_umap_3d.npy")
    assert points.shape == (300, 3)
    assert read_artifact(workspace, "projections.json")["projection_umap_3d.npy"]["images"] == 300
    load_workspace(workspace)  # checksums still hold

    from fastapi.testclient import TestClient

    from imgorg.app import create_app

    data = TestClient(create_app(workspace)).get("/api/map?kind=umap&dims=3").json()
    assert data["kind"] == "umap"
    np.testing.assert_allclose(np.array(data["coords"]).T, points, atol=1e-3)


def test_bad_parameters_say_what_is_allowed():
    with pytest.raises(ConfigError, match="valid methods: umap, tsne, pca"):
        Projector(method="mds").fit_transform(np.zeros((10, 3)))
    with pytest.raises(ConfigError, match="must be 2 or 3"):
        Projector(n_components=4).fit_transform(np.zeros((10, 5)))


def test_large_collections_take_the_fast_path_and_say_so(workspace, monkeypatch):
    import imgorg.maps as project

    monkeypatch.setattr(project, "FAST_PATH_MIN", 200)
    monkeypatch.setattr(project, "FAST_PATH_SAMPLE", 150)
    X = load_workspace(workspace).reduced
    projector = Projector(method="tsne")
    points = projector.fit_transform(X)
    assert points.shape == (300, 2) and "sample of 150" in projector.fast_path_
    assert trustworthiness(X, points, n_neighbors=10) >= 0.8
    assert Projector(method="pca").fit(X).fast_path_ is None


def test_placing_by_neighbours_keeps_sampled_points_and_follows_the_nearest():
    from imgorg.maps import place_by_neighbours

    X = np.array([[0.0], [10.0], [0.1], [9.9], [5.0]])
    sample = np.array([0, 1])
    points = place_by_neighbours(X, sample, np.array([[-1.0, 0.0], [1.0, 0.0]]))
    assert np.allclose(points[:2], [[-1, 0], [1, 0]])
    assert points[2, 0] < -0.9 and points[3, 0] > 0.9 and abs(points[4, 0]) < 1e-6


def test_a_run_makes_a_umap_map_fitted_on_a_sample(workspace):
    """The default run: UMAP fitted on at most 1,500 images, the rest placed by their neighbours."""
    ws = load_workspace(workspace)
    assert ws.maps(2) == ["umap"]
    shown = ws.map_points()
    assert shown.kind == "umap" and shown.points.shape == (300, 2)
    assert trustworthiness(ws.reduced, shown.points, n_neighbors=10) >= 0.85
    assert "map" in ws.manifest["timings"]


def test_a_sample_smaller_than_the_collection_places_the_rest():
    X = np.random.default_rng(0).normal(size=(400, 20)).astype(np.float32)
    projector = Projector(method="umap", n_components=2, max_fit=150)
    points = projector.fit_transform(X)
    assert points.shape == (400, 2) and "sample of 150" in projector.fast_path_


def test_umap_functions_numba_would_compile_in_every_process_are_cached_once_mapped():
    # about 10 s of each new process's first UMAP map went to compiling these three (docs/benchmarks.md)
    pytest.importorskip("umap")
    from numba.core.caching import NullCache
    import umap.umap_ as umap_module

    points = Projector(method="umap", n_components=2).fit_transform(np.random.default_rng(0).normal(size=(60, 8)))
    assert points.shape == (60, 2)
    for name in ("fast_knn_indices", "smooth_knn_dist", "compute_membership_strengths"):
        assert not isinstance(getattr(umap_module, name)._cache, NullCache), name
