import numpy as np
import pytest
from sklearn.manifold import trustworthiness
from typer.testing import CliRunner

from imgorg import ClusterConfig, RunConfig, load_workspace, run
from imgorg.cli.main import app
from imgorg.errors import ConfigError
from imgorg.project import Projector
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
