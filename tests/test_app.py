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
def made(cifar_small, tmp_path_factory):
    """A workspace of 300 CIFAR images (scan, k-means) plus one file that is no image."""
    source = shutil.copytree(cifar_small, tmp_path_factory.mktemp("app") / "images")
    (source / "cat" / "<img src=x onerror=alert(1)>.jpg").write_bytes(b"not an image")
    (source / "readme.txt").write_text("where these came from")  # not an image: skipped
    result = run(source, tmp_path_factory.mktemp("app-ws") / "ws", RunConfig(cluster=ClusterConfig(method="scan")))
    return result.workspace.path


@pytest.fixture(scope="module")
def client(made):
    return TestClient(create_app(made))


@pytest.fixture
def editable(made, tmp_path):
    """The app on a copy of the workspace, for a test that edits it (its images stay where they are)."""
    return TestClient(create_app(shutil.copytree(made, tmp_path / "ws")))


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


@pytest.mark.parametrize("bad", ["99999", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "-1", "abc",
                                 "%C2%B2", "%EF%BC%91"])  # "²" and a full-width "1": digits to Python, not ids
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


def test_a_map_of_no_known_kind_and_a_search_of_two_queries_are_refused(client, cifar_small):
    refused = client.get("/api/map?kind=bogus")
    assert refused.status_code == 400 and "umap, tsne, pca" in refused.json()["detail"]
    path = sorted(cifar_small.glob("*/*.jpg"))[0]
    both = client.post("/api/search?id=3", files={"file": (path.name, jpeg(path), "image/jpeg")})
    assert both.status_code == 422 and "not an image file and an image id" in both.json()["detail"]
    assert client.post("/api/search?id=3&text=dog").status_code == 422


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
    # the failed file's id: a 404 that says why (it said "no image with id N", as for an id of nothing)
    failed_id = failed[0]["id"]
    for url, method in ((f"/api/images/{failed_id}", client.get), (f"/api/search?id={failed_id}", client.post)):
        answer = method(url)
        assert answer.status_code == 404 and "failed to decode" in answer.json()["detail"], url


def test_quality_lists_the_skipped_files_with_their_reason(client):
    """The app shows the files that were skipped, as the README says (it listed the failed ones only)."""
    data = client.get("/api/quality").json()
    assert data["skipped_count"] == 1
    assert data["skipped"] == [{"path": "readme.txt", "reason": "not an image", "detail": "text"}]
    assert "data.skipped" in client.get("/static/app.js").text


def test_openapi_documents_the_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ["/api/clusters", "/api/clusters/{cluster_id}", "/api/images/{image_id}",
                 "/api/images/{image_id}/thumbnail", "/api/search", "/api/metrics", "/api/clusters/{cluster_id}/rename",
                 "/api/clusters/merge", "/api/clusters/{cluster_id}/split", "/api/clusters/move", "/api/clusters/drop",
                 "/api/clusters/undo", "/api/clusters/history"]:
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


# -- curation over REST ------------------------------------------------------------------------

def post(client, path, body=None):
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def sizes(clusters) -> dict[int, int]:
    return {c["id"]: c["size"] for c in clusters}


def test_rename_merge_move_drop_split_undo_and_history(editable):
    client = editable
    assert client.get("/api/clusters/history").json() == {"base": "scan", "edits": []}
    before = client.get("/api/clusters").json()["clusters"]
    a, b, c = (x["id"] for x in sorted(before, key=lambda x: -x["size"])[:3])
    size = sizes(before)

    done = post(client, f"/api/clusters/{a}/rename", {"name": "  big ones  "})
    assert done["edit"]["op"] == "rename" and done["method"] == "curated" and done["text"] == f"renamed cluster {a} to 'big ones'"
    assert {x["id"]: x["name"] for x in done["clusters"]}[a] == "big ones"
    summary = client.get("/api/summary").json()
    assert summary["default_method"] == summary["edit_method"] == "curated" and "curated" in summary["methods"]

    done = post(client, "/api/clusters/merge", {"clusters": [a, b], "name": "merged"})
    assert done["edit"]["into"] == a and b not in sizes(done["clusters"])
    assert sizes(done["clusters"])[a] == size[a] + size[b]
    assert done["clusters"] == client.get("/api/clusters?method=curated").json()["clusters"]

    moved = [im["id"] for im in client.get(f"/api/clusters/{a}?page_size=2").json()["images"]]
    done = post(client, "/api/clusters/move", {"images": moved, "to": c})
    assert sizes(done["clusters"])[c] == size[c] + 2 and sizes(done["clusters"])[a] == size[a] + size[b] - 2
    assert all(client.get(f"/api/images/{i}").json()["cluster"] == c for i in moved)
    assert all(client.get(f"/api/images/{i}?method=scan").json()["cluster"] in (a, b) for i in moved)  # base stays

    done = post(client, "/api/clusters/drop", {"images": moved[:1]})
    assert sizes(done["clusters"])[-1] == 1 + size.get(-1, 0) and done["text"] == "dropped 1 image from their clusters"

    done = post(client, f"/api/clusters/{c}/split")  # k defaults to 2
    parts = [int(p) for p in done["edit"]["parts"]]
    assert len(parts) == 2 and c not in sizes(done["clusters"])
    assert sum(sizes(done["clusters"])[p] for p in parts) == size[c] + 1  # one of the two moved in was dropped
    assert min(parts) > max(size)  # new ids, never an old one

    done = post(client, "/api/clusters/undo")
    assert done["edit"]["op"] == "undo" and done["undid"]["op"] == "split" and done["text"].startswith("undid: split")
    assert sum(done["undid"]["part_sizes"].values()) == size[c] + 1
    assert sizes(done["clusters"])[c] == size[c] + 1 and not set(parts) & set(sizes(done["clusters"]))

    edits = client.get("/api/clusters/history").json()["edits"]
    assert [e["op"] for e in edits] == ["rename", "merge", "move", "drop", "split", "undo"]
    assert [e["standing"] for e in edits] == [True, True, True, True, False, False]
    assert edits[-1]["undid"] == 4 and edits[2]["n_images"] == 2 and "images" not in edits[2]
    assert edits[1]["text"] == f"merged clusters {a}, {b} into cluster {a} ('merged')"
    assert client.get("/api/clusters?method=scan").json()["clusters"] == before  # the base is untouched


def test_a_name_is_kept_on_one_line_without_control_characters(editable):
    done = post(editable, "/api/clusters/0/rename", {"name": "big\n\tones\x00 "})
    assert done["edit"]["name"] == "big ones" and done["text"] == "renamed cluster 0 to 'big ones'"
    assert {c["id"]: c["name"] for c in editable.get("/api/clusters").json()["clusters"]}[0] == "big ones"


def test_images_added_while_the_app_runs_are_shown_and_can_be_edited(editable, tmp_path):
    from imgorg import AddConfig, add_images, load_workspace
    from imgorg.tasks.saving import input_fingerprints

    from .conftest import extract_cifar

    path = editable.app.state.imgorg.ws.path
    post(editable, "/api/clusters/0/rename", {"name": "before"})
    added = add_images(str(path), AddConfig(str(extract_cifar(tmp_path / "new", per_class=1, offset=40))))  # as `imgorg add` does
    new_id = int(added.added["id"].iloc[0])
    assert editable.get("/api/summary").json()["images"] == 310
    assert editable.get(f"/api/images/{new_id}").status_code == 200
    post(editable, "/api/clusters/move", {"images": [new_id], "to": 0})
    assert editable.get(f"/api/images/{new_id}").json()["cluster"] == 0
    # added from a folder outside the source: its path is absolute, and its file is served all the same
    added_path = added.added["path"].iloc[0]
    served = editable.get(f"/api/images/{new_id}/part?which=file")
    assert added_path.startswith(str(tmp_path)) and served.status_code == 200, served.text
    assert served.content == open(added_path, "rb").read()
    ws = load_workspace(path)
    assert ws.manifest["inputs"] == input_fingerprints(ws)  # the app wrote no fingerprint of the old rows
    assert [e["op"] for e in ws.edit_log()["edits"]] == ["rename", "add", "move"]


def test_split_into_k_parts(editable):
    cluster = max(editable.get("/api/clusters").json()["clusters"], key=lambda c: c["size"])
    done = post(editable, f"/api/clusters/{cluster['id']}/split", {"k": 3})
    parts = done["edit"]["parts"]
    assert len(parts) == 3 and sum(map(len, parts.values())) == cluster["size"]
    assert sum(sizes(done["clusters"])[int(p)] for p in parts) == cluster["size"]


REFUSED = [  # (path, body, status, words of the reason)
    ("/api/clusters/999/rename", {"name": "x"}, 404, "no cluster 999"),
    ("/api/clusters/-1/rename", {"name": "x"}, 404, "no cluster -1"),
    ("/api/clusters/0/rename", {"name": ""}, 400, "cannot be empty"),
    ("/api/clusters/0/rename", {"name": "   "}, 400, "cannot be empty"),
    ("/api/clusters/0/rename", {"name": "\n\t\x00"}, 400, "cannot be empty"),
    ("/api/clusters/0/rename", {"name": "x" * 201}, 400, "at most 200 characters"),
    ("/api/clusters/merge", {"clusters": [0]}, 400, "two or more different clusters"),
    ("/api/clusters/merge", {"clusters": [0, 0]}, 400, "two or more different clusters"),
    ("/api/clusters/merge", {"clusters": [0, 999]}, 400, "no cluster 999"),
    ("/api/clusters/merge", {"clusters": [0, 1], "name": ""}, 400, "cannot be empty"),
    ("/api/clusters/999/split", {"k": 2}, 404, "no cluster 999"),
    ("/api/clusters/0/split", {"k": 1}, 400, "parts, not 1"),
    ("/api/clusters/0/split", {"k": 100000}, 400, "parts, not 100000"),
    ("/api/clusters/move", {"images": [99999], "to": 0}, 400, "no image with id 99999"),
    ("/api/clusters/move", {"images": [1], "to": 999}, 400, "no cluster 999"),
    ("/api/clusters/move", {"images": [], "to": 0}, 400, "at least one image"),
    ("/api/clusters/drop", {"images": [1, 99999]}, 400, "no image with id 99999"),
    ("/api/clusters/move", {"images": [10**23], "to": 0}, 400, f"no image with id {10**23}"),  # past int64: not a 500
    ("/api/clusters/drop", {"images": [1, -(10**23)]}, 400, f"no image with id {-(10**23)}"),
    ("/api/clusters/undo", None, 400, "nothing to undo"),
    # bodies that do not parse: FastAPI's 422, which names the field
    ("/api/clusters/0/rename", {}, 422, "name"),
    ("/api/clusters/0/rename", {"name": "x", "colour": "red"}, 422, "colour"),
    ("/api/clusters/merge", {"clusters": ["a", "b"]}, 422, "clusters"),
    ("/api/clusters/move", {"images": [1]}, 422, "to"),
    ("/api/clusters/0/split", {"k": "two"}, 422, "k"),
]


@pytest.mark.parametrize("path, body, status, reason", REFUSED)
def test_invalid_edits_are_refused_with_the_reason(editable, path, body, status, reason):
    response = editable.post(path, json=body)
    assert response.status_code == status, response.text
    assert reason in str(response.json()["detail"])
    assert editable.get("/api/clusters/history").json()["edits"] == []  # nothing was written
    assert "curated" not in editable.get("/api/summary").json()["methods"]


def test_an_oversized_edit_body_is_refused_before_it_is_read(editable):
    body = b'{"images": [' + b"1," * (1024 * 1024) + b'1]}'
    response = editable.post("/api/clusters/drop", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "the limit here is 2 MB" in response.json()["detail"]
    assert editable.get("/api/clusters/history").json()["edits"] == []


def test_undo_after_every_edit_is_undone_is_refused(editable):
    post(editable, "/api/clusters/0/rename", {"name": "first"})
    assert post(editable, "/api/clusters/undo")["undid"]["name"] == "first"
    response = editable.post("/api/clusters/undo")
    assert response.status_code == 400 and "nothing to undo" in response.json()["detail"]
    # the curated clustering still exists (and equals the base): the page can keep showing it
    assert editable.get("/api/clusters?method=curated").json()["clusters"] == editable.get("/api/clusters?method=scan").json()["clusters"]


def test_names_reach_the_list_the_gallery_the_map_and_search(editable):
    post(editable, "/api/clusters/0/rename", {"name": "<b>zero</b>"})
    listed = {c["id"]: c["name"] for c in editable.get("/api/clusters").json()["clusters"]}
    assert listed[0] == "<b>zero</b>" and all(listed[c] for c in listed if c != 0)  # the others named from tags
    gallery = editable.get("/api/clusters/0?page_size=3").json()
    assert gallery["name"] == "<b>zero</b>" and {im["cluster_name"] for im in gallery["images"]} == {"<b>zero</b>"}
    assert editable.get("/api/map").json()["names"]["0"] == "<b>zero</b>"
    member = gallery["images"][0]["id"]
    found = editable.post(f"/api/search?id={member}&k=20").json()
    assert all(n["cluster_name"] == listed[n["cluster"]] for n in found["neighbours"])
    assert found["cluster"] == 0


def test_text_search_by_tags_says_how(client):
    summary = client.get("/api/summary").json()
    assert summary["text_search"] == "tags"  # efficientnet-lite0: ImageNet classes, no text tower
    data = client.post("/api/search?text=dog&k=10").json()
    assert data["how"].startswith("ImageNet classes for 'dog'")
    assert data["words"]["reached"] and data["words"]["through"][0]["name"] == "dog"
    labels = [n["label"] for n in data["neighbours"]]
    assert len(labels) == 10 and labels.count("dog") >= 3, labels  # chance: 1 of 10
    # a word that reaches no class: the nearest word that does is searched, and the answer says so
    data = client.post("/api/search?text=selfie&k=10").json()
    assert data["words"]["reached"] is False and data["words"]["searched"] == "face"
    assert "nearest words that do" in data["how"]
    data = client.post("/api/search?text=qwzxv&k=10").json()  # near nothing: no images, no error
    assert data["neighbours"] == [] and data["words"]["searched"] is None and "no word near it" in data["how"]


def test_serve_on_a_port_another_program_has_is_refused_before_the_address_is_said(made):
    import socket

    from typer.testing import CliRunner

    from imgorg.cli.main import app

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        out = CliRunner().invoke(app, ["serve", str(made), "--port", str(port)])
    assert out.exit_code != 0 and "another program has the port" in str(out.exception)
    assert "imgorg app for" not in out.output
