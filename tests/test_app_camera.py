"""What a camera or a phone leaves beside the photos, in the app: badges on the thumbnails (a video and its
length, RAW for a RAW+JPEG pair, LIVE for a Live Photo), one image's details (capture time and where it was
read, sidecar rating, keywords and description, notes) and the files of its shot served by image id (never a
file outside the source folder), and the Review tab's "Camera files" summary; in the page as in REST."""

from __future__ import annotations

import os
import shutil

import pytest

from imgorg import ClusterConfig, RunConfig, run
from imgorg.metadata import SOURCES

from .browser import ARTIFACTS, browser_page, require_browser, serve_in_thread
from .companion_corpus import live_still, make_video, plain_jpeg, raw_jpeg_pair, takeout_json, write, xmp_sidecar

pytest.importorskip("av")
fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from imgorg.app import create_app  # noqa: E402
from imgorg.app.shots import SOURCE_WORDS  # noqa: E402

PAIR, LIVE, CLIP, SHORT, TAKEOUT = "cam/IMG_1234.JPG", "phone/IMG_0001.JPG", "phone/clip.mp4", "cut/short.jpg", "takeout/beach.jpg"


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """A phone's and a camera's folder: a RAW+JPEG pair with a Lightroom XMP, a Live Photo with its AAE,
    a 3 s video, a Takeout photo with its JSON, a JPEG 40 bytes short and three plain photos; its workspace."""
    root = tmp_path_factory.mktemp("camera") / "photos"
    dng, jpeg = raw_jpeg_pair()
    write(root, "cam/IMG_1234.DNG", dng)
    write(root, PAIR, jpeg)
    write(root, "cam/IMG_1234.xmp", xmp_sidecar(rating=4, keywords=["harbour", "boats"]))
    write(root, LIVE, live_still())
    write(root, "phone/IMG_0001.MOV", make_video(".mov", seconds=1.5))
    write(root, "phone/IMG_0001.AAE", b"<?xml version='1.0'?><plist/>")
    write(root, CLIP, make_video(".mp4", seconds=3, metadata={"creation_time": "2024-01-02T03:04:05Z"}))
    write(root, TAKEOUT, plain_jpeg("coffee"))
    write(root, "takeout/beach.jpg.json", takeout_json("beach.jpg", timestamp=1700000000, description="at the beach"))
    write(root, SHORT, plain_jpeg("astronaut")[:-40])
    for i, photo in enumerate(["rocket", "camera", "hubble"]):
        write(root, f"misc/p{i}.jpg", plain_jpeg(photo))
    ws = run(root, tmp_path_factory.mktemp("camera-ws") / "ws", RunConfig(cluster=ClusterConfig(method="kmeans", k=2)))
    return root, ws.workspace.path


@pytest.fixture(scope="module")
def client(shots):
    return TestClient(create_app(shots[1]))


def ids(client: TestClient) -> dict[str, int]:
    return {im["path"]: im["id"] for c in client.get("/api/clusters").json()["clusters"]
            for im in client.get(f"/api/clusters/{c['id']}?page_size=100").json()["images"]}


def test_thumbnail_records_carry_the_badges(client):
    records = {im["path"]: im for c in client.get("/api/clusters").json()["clusters"]
               for im in client.get(f"/api/clusters/{c['id']}?page_size=100").json()["images"]}
    assert len(records) == 8  # 13 files: the RAW, the Live Photo's MOV and 3 sidecars are parts, not items
    badge = {p: (r["video"], r["duration_s"], r["raw"], r["live"]) for p, r in records.items()}
    assert badge[CLIP] == (True, 3.0, False, False)
    assert badge[PAIR] == (False, None, True, False)
    assert badge[LIVE] == (False, None, False, True)
    assert badge[TAKEOUT] == (False, None, False, False)


def test_a_pair_shows_its_raw_original_and_what_its_sidecar_says(client):
    d = client.get(f"/api/images/{ids(client)[PAIR]}").json()
    assert d["parts"]["original"]["name"] == "IMG_1234.DNG" and d["parts"]["motion"] is None
    assert [s["name"] for s in d["parts"]["sidecars"]] == ["IMG_1234.xmp"]
    assert (d["rating"], d["keywords"]) == (4, ["harbour", "boats"])
    assert d["camera"] == "Canon EOS R5" and d["taken_at"] == "2023-08-01T09:15:00"
    assert d["taken_at_source"] == "exif" and d["taken_from"].startswith("EXIF DateTimeOriginal")


def test_capture_time_source_notes_and_a_video_in_words(client):
    found = ids(client)
    takeout = client.get(f"/api/images/{found[TAKEOUT]}").json()
    assert takeout["taken_at_source"] == "sidecar" and "Takeout" in takeout["taken_from"]
    assert takeout["description"] == "at the beach" and takeout["parts"]["sidecars"][0]["type"] == "application/json"
    short = client.get(f"/api/images/{found[SHORT]}").json()
    assert short["note"] == "truncated" and short["notes"][0].startswith("truncated: the file ends early")
    assert short["taken_at_source"] == "file" and "no capture date" in short["taken_from"]
    clip = client.get(f"/api/images/{found[CLIP]}").json()
    assert (clip["video"], clip["duration_s"], clip["format"]) == (True, 3.0, "MP4 video")
    assert clip["taken_at_source"] == "container" and clip["taken_at"] == "2024-01-02T03:04:05"
    live = client.get(f"/api/images/{found[LIVE]}").json()
    assert live["parts"]["motion"]["name"] == "IMG_0001.MOV" and live["parts"]["sidecars"][0]["kind"] == "AAE"
    assert live["taken_at_offset_min"] == 120


def test_every_capture_time_source_is_said_in_words():
    assert set(SOURCE_WORDS) == set(SOURCES)


def test_each_part_is_served_with_its_content_type(client, shots):
    root, found = shots[0], ids(client)
    raw = client.get(f"/api/images/{found[PAIR]}/part?which=original")
    assert raw.status_code == 200 and raw.content == (root / "cam/IMG_1234.DNG").read_bytes()
    assert raw.headers["content-type"] == "image/x-adobe-dng"
    assert raw.headers["content-disposition"] == 'attachment; filename="IMG_1234.DNG"'  # a download
    motion = client.get(f"/api/images/{found[LIVE]}/part?which=motion")
    assert motion.headers["content-type"] == "video/quicktime" and motion.headers["content-disposition"].startswith("inline")
    assert motion.content == (root / "phone/IMG_0001.MOV").read_bytes()
    clip = client.get(f"/api/images/{found[CLIP]}/part?which=file")
    assert clip.headers["content-type"] == "video/mp4" and clip.content == (root / CLIP).read_bytes()
    part = client.get(f"/api/images/{found[CLIP]}/part?which=file", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100  # a <video> seeks by ranges
    xmp = client.get(f"/api/images/{found[PAIR]}/part?which=sidecar&n=0")
    assert xmp.headers["content-type"].startswith("application/rdf+xml") and b"xmp:Rating=\"4\"" in xmp.content
    aae = client.get(f"/api/images/{found[LIVE]}/part?which=sidecar")
    assert aae.headers["content-type"].startswith("application/xml")
    preview = client.get(f"/api/images/{found[CLIP]}/preview")  # a video's poster frame, large
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize(("path", "query", "status", "said"), [
    (LIVE, "which=original", 404, "has no RAW original (it is not a RAW+JPEG pair)"),
    (PAIR, "which=motion", 404, "has no motion video (it is not a Live Photo)"),
    (CLIP, "which=sidecar", 404, "has no sidecar file"),
    (PAIR, "which=sidecar&n=1", 404, "has 1 sidecar file (n from 0 to 0); n=1 is none of them"),
    (PAIR, "which=passwd", 422, "Input should be 'file', 'original', 'motion' or 'sidecar'"),
    (PAIR, "which=sidecar&n=-1", 422, "greater than or equal to 0"),
])
def test_a_part_that_is_not_there_says_why(client, path, query, status, said):
    answer = client.get(f"/api/images/{ids(client)[path]}/part?{query}")
    assert answer.status_code == status and said in str(answer.json()["detail"])


def test_unknown_ids_are_404(client):
    assert client.get("/api/images/999/part?which=file").status_code == 404
    assert client.get("/api/images/..%2F..%2Fetc%2Fpasswd/part?which=file").status_code == 404


def test_nothing_outside_the_source_folder_is_served(shots, tmp_path):
    """A catalog that names a file outside the folder ("..", an absolute path, a link leading out) gets a
    403 saying so, never the file."""
    root, path = shots
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours")
    link = root / "phone" / "link.xmp"
    link.symlink_to(secret)
    try:
        client = TestClient(create_app(shutil.copytree(path, tmp_path / "ws")))
        found = ids(client)
        state = client.app.state.imgorg
        row = state.row(found[LIVE])
        for escape in [os.path.relpath(secret, root), str(secret), "phone/link.xmp"]:
            state.images.loc[row, "motion"] = escape
            answer = client.get(f"/api/images/{found[LIVE]}/part?which=motion")
            assert answer.status_code == 403, (escape, answer.status_code)
            assert "outside the source folder" in answer.json()["detail"] and b"not yours" not in answer.content
    finally:
        link.unlink()


def test_a_part_gone_since_the_run_is_404(shots, tmp_path):
    root, path = shots
    source = shutil.copytree(root, tmp_path / "photos")
    ws = shutil.copytree(path, tmp_path / "ws")
    client = TestClient(create_app(ws))
    client.app.state.imgorg.ws.manifest["source"]["root"] = str(source)
    (source / "cam/IMG_1234.DNG").unlink()
    answer = client.get(f"/api/images/{ids(client)[PAIR]}/part?which=original")
    assert answer.status_code == 404 and "not in the source folder any more" in answer.json()["detail"]


def test_camera_files_summary(client):
    d = client.get("/api/camera-files").json()
    found = ids(client)
    assert d["pairs"] == {"count": 1, "examples": [{"path": PAIR, "original": "cam/IMG_1234.DNG", "id": found[PAIR]}]}
    assert d["live_photos"]["count"] == 1 and d["live_photos"]["examples"][0]["motion"] == "phone/IMG_0001.MOV"
    assert d["sidecars"] == {"files": 3, "by_kind": {".aae": 1, ".json": 1, ".xmp": 1}, "photos": 3,
                             "with_rating": 1, "with_keywords": 1}
    assert d["videos"] == {"count": 1, "duration_s": 3.0, "formats": {"MP4 video": 1}, "failed": 0,
                           "examples": [{"path": CLIP, "id": found[CLIP]}]}
    assert d["truncated"] == {"count": 1, "examples": [{"path": SHORT, "id": found[SHORT]}]}
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/camera-files" in paths and "/api/images/{image_id}/part" in paths


def test_the_page_shows_badges_players_and_the_raw_of_a_pair(shots):
    require_browser()
    found = ids(TestClient(create_app(shots[1])))
    ARTIFACTS.mkdir(exist_ok=True)
    with serve_in_thread(create_app(shots[1])) as url, browser_page() as (page, errors):
        page.goto(url)
        page.wait_for_function("document.getElementById('map-plot').dataset.points === '8'")

        def figure_in_clusters(image_id: int):
            page.click("nav button[data-view=clusters]")
            page.wait_for_selector("#cluster-list li.active")
            for cluster in page.locator("#cluster-list li").evaluate_all("ls => ls.map((l) => l.dataset.cluster)"):
                page.click(f"#cluster-list li[data-cluster='{cluster}']")
                page.wait_for_function(f"document.querySelector('#cluster-list li.active')?.dataset.cluster === '{cluster}'")
                page.wait_for_selector("#cluster-gallery figure")
                figure = page.locator(f"#cluster-gallery figure[data-id='{image_id}']")
                if figure.count():
                    return figure
            raise AssertionError(f"image {image_id} is in no cluster's gallery")

        clip = figure_in_clusters(found[CLIP])
        assert clip.locator(".tag.video").inner_text() == "▶ 0:03"
        page.screenshot(path=str(ARTIFACTS / "app-camera-grid.png"))
        clip.locator("button.open").click()
        page.wait_for_selector("#detail[open] video#detail-video")
        src = page.get_attribute("#detail-video", "src")
        assert src == f"/api/images/{found[CLIP]}/part?which=file"
        assert "▶ video · 0:03" in page.inner_text("#detail-media")
        page.wait_for_function("document.getElementById('detail-video').readyState >= 1")  # the player read it
        assert page.evaluate("document.getElementById('detail-video').duration") == pytest.approx(3.0, abs=0.1)
        assert "container's creation date" in page.inner_text("#detail-facts")
        assert page.evaluate("fetch(document.getElementById('detail-video').src).then((r) => r.headers.get('content-type'))") == "video/mp4"
        page.screenshot(path=str(ARTIFACTS / "app-camera-video.png"))
        page.click("#detail-close")
        page.wait_for_selector("#detail", state="hidden")

        pair = figure_in_clusters(found[PAIR])
        assert pair.locator(".tag.raw").inner_text() == "RAW"
        pair.dblclick()
        page.wait_for_selector("#detail[open] #detail-parts li")
        assert page.inner_text("#detail-parts li[data-part='RAW original']") == "RAW original: IMG_1234.DNG"
        href = page.get_attribute("#detail-parts li[data-part='RAW original'] a", "href")
        assert href == f"/api/images/{found[PAIR]}/part?which=original"
        assert page.inner_text("#sidecar-facts .stars") == "★★★★☆"
        assert "harbour, boats" in page.inner_text("#detail-sidecar")
        assert "Sidecar (XMP): IMG_1234.xmp" in page.inner_text("#detail-parts")
        page.screenshot(path=str(ARTIFACTS / "app-camera-pair.png"))
        page.click("#detail-close")

        page.click("nav button[data-view=review]")
        page.wait_for_selector("#camera-files li[data-kind=pairs]")
        assert page.inner_text("#camera-files li[data-kind=pairs]").startswith("1 RAW+JPEG pair")
        assert page.inner_text("#camera-files li[data-kind=videos]").startswith("1 video, 0:03 in all (1 MP4 video)")
        assert page.inner_text("#camera-files li[data-kind=truncated]").startswith("1 file cut short")
        page.screenshot(path=str(ARTIFACTS / "app-camera-review.png"))
        page.click("#camera-files li[data-kind=live] button.file")  # an example opens with its motion
        page.wait_for_selector("#detail[open] video#detail-motion")
        assert page.get_attribute("#detail-motion", "src") == f"/api/images/{found[LIVE]}/part?which=motion"
        page.wait_for_function("document.getElementById('detail-motion').readyState >= 1")
        page.screenshot(path=str(ARTIFACTS / "app-camera-live.png"))
    assert errors == []
