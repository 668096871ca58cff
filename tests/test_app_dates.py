"""The app's date range filter and map menu, on photos with EXIF capture times and two without."""

import os
from datetime import datetime, timezone

import numpy as np
import pytest
from PIL import Image

from imgorg import ClusterConfig, MapConfig, RunConfig, make_map, run

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from imgorg.app import create_app  # noqa: E402

# EXIF DateTimeOriginal per photo; None: no EXIF date, the file's time (FILE_TIME) stands in.
TAKEN = {"red": ["2024:05:17 09:00:00", "2024:05:17 23:59:59", "2024:05:18 00:00:00", "2024:06:02 11:00:00"],
         "green": ["2024:05:18 12:30:00", "2024:05:18 23:59:59", "2024:05:19 00:00:00", "2024:06:02 12:00:00"],
         "blue": ["2024:06:02 13:00:00", "2024:06:02 14:00:00", "2024:06:02 15:00:00", None, None]}
COLOUR = {"red": (200, 30, 30), "green": (30, 200, 30), "blue": (30, 30, 200)}
FILE_TIME = datetime(2023, 8, 1, 12, 0, tzinfo=timezone.utc).timestamp()


def build_dated_photos(dest):
    rng = np.random.default_rng(0)
    for colour, times in TAKEN.items():
        for i, taken in enumerate(times):
            pixels = np.clip(np.array(COLOUR[colour]) + rng.normal(0, 25, (48, 64, 3)), 0, 255).astype(np.uint8)
            path = dest / f"{colour}{i}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            exif = Image.Exif()
            if taken:
                exif.get_ifd(0x8769)[36867] = taken  # DateTimeOriginal, in the Exif IFD
            Image.fromarray(pixels).save(path, exif=exif)
            if not taken:
                os.utime(path, (FILE_TIME, FILE_TIME))
    return dest


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    source = build_dated_photos(tmp_path_factory.mktemp("dated") / "photos")
    config = RunConfig(cluster=ClusterConfig(method="kmeans", k=3), map=MapConfig(method="none"))  # no map yet
    ws = run(source, tmp_path_factory.mktemp("dated-ws") / "ws", config)
    return ws.workspace.path


@pytest.fixture(scope="module")
def client(dated):
    return TestClient(create_app(dated))


def taken(client, image_id) -> str:
    return client.get(f"/api/images/{image_id}").json()["taken_at"]


def paths_between(start: str | None, end: str | None) -> set[str]:
    """The photos whose capture day is in [start, end], from TAKEN (file times are 2023-08-01)."""
    out = set()
    for colour, times in TAKEN.items():
        for i, time in enumerate(times):
            day = time[:10].replace(":", "-") if time else datetime.fromtimestamp(FILE_TIME).strftime("%Y-%m-%d")
            if (start is None or day >= start) and (end is None or day <= end):
                out.add(f"{colour}{i}.jpg")
    return out


def test_summary_gives_the_capture_range_and_where_dates_come_from(client):
    dates = client.get("/api/summary").json()["dates"]
    assert dates["exif"] == 11 and dates["file"] == 2 and dates["unknown"] == 0
    assert dates["first"].startswith("2023-08-01") and dates["last"] == "2024-06-02T15:00:00"


@pytest.mark.parametrize("start, end", [("2024-05-18", "2024-05-18"), ("2024-05-17", "2024-05-18"),
                                        ("2024-06-01", None), (None, "2024-05-17"), ("2023-08-01", "2023-08-01"),
                                        ("2025-01-01", None)])
def test_date_range_filters_clusters_galleries_and_map_inclusive_days(client, start, end):
    query = "&".join(f"{k}={v}" for k, v in (("from", start), ("to", end)) if v)
    expected = paths_between(start, end)
    all_clusters = {c["id"]: c for c in client.get("/api/clusters").json()["clusters"]}
    clusters = client.get(f"/api/clusters?{query}").json()["clusters"]
    assert sum(c["size"] for c in clusters) == len(expected)
    assert all(c["size"] > 0 and c["total"] == all_clusters[c["id"]]["size"] for c in clusters)
    shown = set()
    for cluster_id in all_clusters:
        gallery = client.get(f"/api/clusters/{cluster_id}?{query}").json()
        assert gallery["size"] == len(gallery["images"]) and gallery["total"] == all_clusters[cluster_id]["size"]
        shown |= {im["path"] for im in gallery["images"]}
    assert shown == expected
    points = client.get(f"/api/map?{query}").json()
    assert len(points["ids"]) == len(points["coords"][0]) == len(points["cluster"]) == len(expected)
    assert {client.get(f"/api/images/{i}").json()["path"] for i in points["ids"]} == expected


def test_a_day_runs_from_midnight_to_midnight(client):
    gallery_paths = set()
    for cluster in client.get("/api/clusters?from=2024-05-18&to=2024-05-18").json()["clusters"]:
        gallery = client.get(f"/api/clusters/{cluster['id']}?from=2024-05-18&to=2024-05-18").json()
        gallery_paths |= {(im["path"], im["taken_at"]) for im in gallery["images"]}
    assert gallery_paths == {("red2.jpg", "2024-05-18T00:00:00"), ("green0.jpg", "2024-05-18T12:30:00"),
                             ("green1.jpg", "2024-05-18T23:59:59")}


@pytest.mark.parametrize("query, status, reason", [
    ("from=2024-06-02&to=2024-05-17", 400, "starts on 2024-06-02 after it ends on 2024-05-17"),
    ("from=2024-13-01", 422, "from"),
    ("to=yesterday", 422, "to"),
])
def test_bad_date_ranges_are_refused(client, query, status, reason):
    for path in ("/api/clusters", "/api/clusters/0", "/api/map"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == status and reason in str(response.json()["detail"]), (path, response.text)


def test_events_are_a_method_with_dates(client):
    summary = client.get("/api/summary").json()
    assert "events" in summary["methods"]
    events = client.get("/api/clusters?method=events&from=2024-06-02&to=2024-06-02").json()["clusters"]
    assert [(e["size"], e["total"]) for e in events] == [(5, 5)]  # the five photos of 2 June, one event


def test_projection_menu_lists_only_stored_maps(dated, tmp_path):
    import shutil

    client = TestClient(create_app(shutil.copytree(dated, tmp_path / "ws")))
    assert client.get("/api/summary").json()["maps"] == {"2": [], "3": []}
    shown = client.get("/api/map?kind=umap").json()
    assert shown["kind"] == "pca-components" and shown["description"].startswith("first two PCA components")
    make_map(client.app.state.imgorg.ws, MapConfig(method="pca", dims=2))
    assert client.get("/api/summary").json()["maps"] == {"2": ["pca"], "3": []}
    shown = client.get("/api/map?kind=umap").json()  # not stored: the stored one, named as what it is
    assert shown["kind"] == "pca" and "PCA map stored" in shown["description"]
    assert client.get("/api/map?dims=3").json()["kind"] == "pca-components"


def test_events_are_made_of_capture_times_not_file_times_or_a_scanners_save():
    # a family's scans: a flatbed's EXIF DateTime (the day it scanned) and file times (the day they were
    # copied) made events "2 Mar 2024" of 62 prints from forty years and "8 Dec 2026" of 88 more
    import pandas as pd

    from imgorg.constants import NOISE
    from imgorg.events import event_labels, event_times

    images = pd.DataFrame({
        "taken_at": pd.to_datetime(["2024-03-02 14:21", "2024-03-02 14:25", "2026-12-08 01:32", "2026-12-08 01:33",
                                    "2024-06-02 10:00", "2024-06-02 10:05", "2024-06-09 12:00"]),
        "taken_at_source": ["exif_datetime", "exif_datetime", "file", "file", "exif", "name", "xmp"]})
    labels = event_labels(event_times(images))
    assert labels[:4].tolist() == [NOISE] * 4
    assert labels[4] == labels[5] != labels[6] and NOISE not in labels[4:]
    assert event_labels(event_times(images.drop(columns="taken_at_source")))[0] != NOISE  # no sources: every time
    import numpy as np

    from imgorg.config import ClusterConfig
    from imgorg.pipeline import _events

    run = _events(images, np.random.default_rng(0).normal(size=(len(images), 4)), None, ClusterConfig())
    assert run.labels[:4].tolist() == [NOISE] * 4 and len(set(run.labels[4:].tolist())) == 2  # as `imgorg run` stores
