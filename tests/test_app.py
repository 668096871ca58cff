import io
import shutil

import numpy as np
import pytest
from PIL import Image

from imgorg import ClusterConfig, RunConfig, run

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from imgorg.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def client(cifar_small, tmp_path_factory):
    source = shutil.copytree(cifar_small, tmp_path_factory.mktemp("app") / "images")
    (source / "cat" / "<img src=x onerror=alert(1)>.jpg").write_bytes(b"not an image")
    result = run(source, tmp_path_factory.mktemp("app-ws") / "ws", RunConfig(cluster=ClusterConfig(method="scan")))
    return TestClient(create_app(result.workspace.path))


def jpeg(path) -> bytes:
    return path.read_bytes()


def test_summary_and_metrics(client):
    summary = client.get("/api/summary").json()
    assert summary["images"] == 300 and summary["failed"] == 1
    assert summary["default_method"] == "scan" and set(summary["methods"]) == {"scan", "kmeans"}
    metrics = client.get("/api/metrics").json()
    assert metrics["kmeans"]["acc"] > 0.3


def test_clusters_and_paged_gallery_most_typical_first(client):
    clusters = client.get("/api/clusters?method=kmeans").json()["clusters"]
    assert sum(c["size"] for c in clusters) == 300
    assert all("top_label" in c for c in clusters)
    biggest = max(clusters, key=lambda c: c["size"])
    page = client.get(f"/api/clusters/{biggest['id']}?method=kmeans&page=0&page_size=5").json()
    assert len(page["images"]) == 5 and page["size"] == biggest["size"]
    assert all(im["cluster"] == biggest["id"] for im in page["images"])
    second = client.get(f"/api/clusters/{biggest['id']}?method=kmeans&page=1&page_size=5").json()
    assert {im["id"] for im in page["images"]}.isdisjoint(im["id"] for im in second["images"])
    assert client.get("/api/clusters/999").status_code == 404


def test_image_metadata_and_thumbnail(client):
    record = client.get("/api/images/0").json()
    assert record["id"] == 0 and record["path"].endswith(".jpg")
    response = client.get("/api/images/0/thumbnail")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size[0] <= 96


@pytest.mark.parametrize("bad", ["99999", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "-1", "abc"])
def test_images_are_served_by_id_only(client, bad):
    assert client.get(f"/api/images/{bad}/thumbnail").status_code == 404
    assert client.get(f"/api/images/{bad}").status_code == 404


def test_map_has_one_point_per_image(client):
    data = client.get("/api/map?kind=umap&dims=3").json()
    assert len(data["ids"]) == 300 and len(data["coords"]) == 3 and len(data["coords"][2]) == 300
    assert data["kind"] == "pca-components"  # no map stored yet: the stored PCA components, not a recomputation


def test_search_by_upload_finds_the_same_class(client, cifar_small):
    fractions = []
    queries = sorted(cifar_small.glob("*/*.jpg"))[::30][:10]  # one per class
    for path in queries:
        response = client.post("/api/search?k=10", files={"file": (path.name, jpeg(path), "image/jpeg")})
        assert response.status_code == 200, response.text
        data = response.json()
        assert len(data["neighbours"]) == 10
        assert data["neighbours"][0]["similarity"] > 0.99  # the image itself is in the workspace
        others = data["neighbours"][1:]
        fractions.append(sum(n["label"] == path.parent.name for n in others) / len(others))
    # 30 images per class among 300: chance is 0.1; these features give about three times that.
    assert np.mean(fractions) >= 0.25, fractions


def test_search_by_id_excludes_the_query(client):
    data = client.post("/api/search?id=3&k=5").json()
    assert 3 not in [n["id"] for n in data["neighbours"]]
    sims = [n["similarity"] for n in data["neighbours"]]
    assert sims == sorted(sims, reverse=True)


def test_bad_uploads_get_a_4xx_with_a_reason(client):
    response = client.post("/api/search", files={"file": ("x.jpg", b"<html>nope</html>", "image/jpeg")})
    assert response.status_code == 415 and "not a decodable image" in response.json()["detail"]
    big = b"\xff\xd8" + bytes(11 * 1024 * 1024)
    assert client.post("/api/search", files={"file": ("big.jpg", big, "image/jpeg")}).status_code == 413
    assert client.post("/api/search").status_code == 422


def test_quality_lists_failures_and_page_escapes_names(client):
    failed = client.get("/api/quality").json()["failed"]
    assert failed[0]["path"] == "cat/<img src=x onerror=alert(1)>.jpg"
    page = client.get("/").text
    assert "onerror" not in page  # data never goes into the HTML; app.js writes it with textContent
    assert "innerHTML" not in client.get("/static/app.js").text


def test_openapi_documents_the_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ["/api/clusters", "/api/clusters/{cluster_id}", "/api/images/{image_id}",
                 "/api/images/{image_id}/thumbnail", "/api/search", "/api/metrics"]:
        assert path in paths
    assert client.get("/static/plotly.min.js").status_code == 200


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_pages_load_nothing_from_the_network(client, page):
    import re

    html = client.get(page).text
    assert "openapi.json" in html
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", html)
    assert assets, html
    for url in assets:
        assert url.startswith("/"), f"{page} loads {url} from outside the app"
        assert client.get(url).status_code == 200, url
