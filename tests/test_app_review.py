"""The review over REST and in the page: a collection with splits and planted problems (tests/test_review.py's),
reviewed through POST /api/review/run; findings by kind and group; accepting a removal takes the image out
of its cluster, the map and search, undo brings it back; dismissing keeps both; bad requests say why."""

from __future__ import annotations

import json
import re
import shutil
import time
from contextlib import contextmanager

import pytest
from typer.testing import CliRunner

from imgorg import run
from imgorg.cli.main import app as cli

from .browser import ARTIFACTS, browser_page, require_browser, serve_in_thread
from .test_review import CONFIG, collection  # noqa: F401 (the fixture, used by name)

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from imgorg.app import create_app  # noqa: E402
from imgorg.app.edits import MAX_IMAGES  # noqa: E402
from imgorg.workspace import REVIEW_NOTES_FILE  # noqa: E402


@pytest.fixture(scope="module")
def made(collection, tmp_path_factory):  # noqa: F811
    """The collection's workspace, not reviewed yet."""
    root, planted = collection
    return run(root, tmp_path_factory.mktemp("app-review") / "ws", CONFIG).workspace.path, planted


def wait_for_review(client: TestClient, seconds: float = 120) -> dict:
    deadline = time.time() + seconds
    while (data := client.get("/api/review").json())["job"]["state"] == "running":
        assert time.time() < deadline, "the review did not finish"
        time.sleep(0.2)
    return data


@pytest.fixture(scope="module")
def reviewed(made, tmp_path_factory):
    """A copy of the workspace reviewed through the app (POST /api/review/run)."""
    path, planted = made
    path = shutil.copytree(path, tmp_path_factory.mktemp("app-reviewed") / "ws")
    client = TestClient(create_app(path))
    assert client.post("/api/review/run").status_code == 202
    assert wait_for_review(client)["job"]["state"] == "done"
    return path, planted


@pytest.fixture
def client(reviewed, tmp_path):
    """The app on a fresh copy of the reviewed workspace, for a test that acts on it."""
    return TestClient(create_app(shutil.copytree(reviewed[0], tmp_path / "ws")))


def finding(client: TestClient, kind: str, path_end: str, status: str = "open") -> dict:
    groups = client.get(f"/api/review/{kind}?status={status}&page_size=500").json()["groups"]
    return next(f for g in groups for f in g["images"] if f["path"].endswith(path_end))


def test_without_a_review_the_app_says_how_to_make_one_and_computes_it(made, tmp_path):
    client = TestClient(create_app(shutil.copytree(made[0], tmp_path / "ws")))
    data = client.get("/api/review").json()
    assert data["stored"] is False and data["kinds"] == [] and "imgorg review" in data["how"]
    missing = client.get("/api/review/copy")
    assert missing.status_code == 404 and "imgorg review" in missing.json()["detail"]
    refused = client.post("/api/review/run", json={"kinds": ["copies"]})
    assert refused.status_code == 400 and "one or more of copy, similar" in refused.json()["detail"]
    misspelt = client.post("/api/review/run", json={"splits": ["trian", "test"]})  # refused now, not in the job
    assert misspelt.status_code == 400 and "no split 'trian'" in misspelt.json()["detail"]
    assert client.post("/api/review/run", json={"kinds": ["dark"]}).status_code == 202
    data = wait_for_review(client)
    assert data["stored"] and [k["kind"] for k in data["kinds"]] == ["dark"]  # only what was asked for
    assert data["kinds"][0]["examples"] == ["train/ship/dark.jpg"]


def test_the_review_endpoints_are_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ["/api/review", "/api/review/{kind}", "/api/review/accept", "/api/review/dismiss", "/api/review/run",
                 "/api/quality"]:
        assert path in paths


def test_the_summary_counts_each_kind(reviewed, client):
    data = client.get("/api/review").json()
    kinds = {k["kind"]: k for k in data["kinds"]}
    assert {"copy", "dark", "blurry", "leak"} <= set(kinds)
    copies = kinds["copy"]
    assert copies["title"] == "Copies" and copies["groups"] >= 3
    assert copies["open"] == copies["images"] - copies["groups"]  # every copy but the one kept per group
    assert data["open"] == sum(k["open"] for k in kinds.values()) and data["removed"] == 0
    assert not any("no splits" in n for n in data["notes"])  # train/ and test/ are splits
    assert set(data["none_found"]).isdisjoint(kinds)


def test_one_count_of_open_findings_in_the_api_and_the_cli(client):
    """The sidebar, the kind's title, `imgorg review --show KIND` and `--json` each counted open findings
    their own way: the title and --show counted the copy kept of each group as open too."""
    path = str(client.app.state.imgorg.ws.path)
    same = finding(client, "copy", "dog/same.jpg")
    assert client.post("/api/review/accept", json={"kind": "copy", "ids": [same["id"]]}).status_code == 200
    assert client.post("/api/review/dismiss", json={"kind": "dark"}).status_code == 200
    kinds = {k["kind"]: k for k in client.get("/api/review").json()["kinds"]}
    stored = {r["kind"]: r for r in json.loads(CliRunner().invoke(cli, ["review", path, "--json"]).stdout)}
    assert kinds["copy"]["open"] > 0 and kinds["copy"]["groups"] > 0  # copies kept beside the open ones
    assert kinds["copy"]["accepted"] == 1 and kinds["dark"]["open"] == 0
    assert stored["dark"]["open"] == 0 and stored["dark"]["dismissed"] == kinds["dark"]["dismissed"] > 0  # counted
    for kind, counts in kinds.items():
        shown = json.loads(CliRunner().invoke(cli, ["review", path, "--show", kind, "--json"]).stdout)
        assert len(shown) == counts["open"] == sum(counts["open_actions"].values()), kind
        assert stored.get(kind, {"open": 0})["open"] == counts["open"], kind
        assert counts["open"] == 0 or sum(stored[kind]["actions"].values()) == counts["open"], kind
    assert "keep" not in kinds["copy"]["suggested"]


def test_copies_come_by_group_with_the_copy_kept_first(client):
    data = client.get("/api/review/copy").json()
    assert data["units"] == len(data["groups"]) >= 3
    for group in data["groups"]:
        kept, *copies = group["images"]
        assert kept["action"] == "keep" and kept["reason"].startswith("the copy kept")
        assert copies and all(c["action"] == "remove" and c["partner"] == kept["id"] for c in copies)
    same = finding(client, "copy", "dog/same.jpg")
    assert same["reason"].startswith("the same file as") and same["cluster_name"]
    thumbnail = client.get(same["thumbnail"])
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"


def test_a_leak_names_its_split_and_its_match(reviewed, client):
    planted = reviewed[1]
    leak = finding(client, "leak", planted["leak"])
    assert leak["split"] == "test" and leak["action"] == "remove" and "train keeps it" in leak["reason"]
    assert client.get(f"/api/images/{leak['partner']}").json()["path"].startswith("train/")
    assert leak["partner_split"] == "train"  # the match is no finding of its own: its split comes with the leak


def test_the_reviews_notes_are_stored_with_it_and_shown_by_the_api_and_the_cli(client):
    """The CLI logged the notes (the label classifier's accuracy, splits left out) as it reviewed;
    the app and a later `imgorg review WS` never showed them."""
    path = str(client.app.state.imgorg.ws.path)
    notes = client.get("/api/review").json()["notes"]
    assert any(n.startswith("Label issues: the classifier behind them gets") and n.endswith(".") for n in notes), notes
    assert "label issues: the classifier behind them gets" in CliRunner().invoke(cli, ["review", path]).output
    assert client.post("/api/review/run", json={"kinds": ["dark"]}).status_code == 202
    assert wait_for_review(client)["notes"] == notes  # a review of other kinds keeps them
    ws = client.app.state.imgorg.ws
    ws.write_artifact(REVIEW_NOTES_FILE, {"notes": {**ws.review_notes(), "leak": ["an old note about leaks"]}})
    assert "An old note about leaks." in client.get("/api/review").json()["notes"]
    assert client.post("/api/review/run", json={"kinds": ["leak"]}).status_code == 202
    assert wait_for_review(client)["notes"] == notes  # a review of leaks replaces the notes about leaks alone


def test_accepting_a_removal_takes_the_image_out_of_its_cluster_the_map_and_search_and_undo_brings_it_back(client):
    same = finding(client, "copy", "dog/same.jpg")
    image, cluster = same["id"], same["cluster"]
    members = lambda: [im["id"] for im in client.get(f"/api/clusters/{cluster}?page_size=500").json()["images"]]  # noqa: E731
    points = lambda: client.get("/api/map").json()["ids"]  # noqa: E731
    before = len(points())
    assert image in members() and image in points()

    done = client.post("/api/review/accept", json={"kind": "copy", "ids": [image]})
    assert done.status_code == 200 and done.json()["text"] == "Removed 1 image (copy)"
    assert image not in members() and image not in points() and len(points()) == before - 1
    neighbours = client.post(f"/api/search?id={same['partner']}&k=20").json()["neighbours"]
    assert image not in [n["id"] for n in neighbours]
    assert client.get("/api/review").json()["removed"] == 1
    said = f"set aside by the review (#{same['partner']} is kept)"  # not "noise": it is in no cluster
    assert client.get(f"/api/images/{image}").json()["cluster_name"] == said
    searched = client.post(f"/api/search?id={image}&k=3").json()
    assert searched["cluster_name"] == said and searched["set_aside"] is True  # the page says it from the flag
    assert finding(client, "copy", "dog/same.jpg", "accepted")["status"] == "accepted"
    again = client.post("/api/review/accept", json={"kind": "copy", "ids": [image]})
    assert again.status_code == 400 and "no open copy finding" in again.json()["detail"]

    undone = client.post("/api/clusters/undo").json()
    assert undone["text"] == "undid: removed 1 image (copy)"
    assert image in members() and len(points()) == before
    assert finding(client, "copy", "dog/same.jpg")["status"] == "open"


def test_accepting_a_whole_kind_and_keeping_both(client):
    copies = client.get("/api/review").json()["kinds"][0]
    done = client.post("/api/review/accept", json={"kind": "copy"}).json()
    assert done["text"] == f"Removed {copies['open']} images (copy)"
    after = {k["kind"]: k for k in client.get("/api/review").json()["kinds"]}
    assert after["copy"]["open"] == 0 and after["copy"]["accepted"] == copies["open"]

    map_size = len(client.get("/api/map").json()["ids"])
    kept = client.post("/api/review/dismiss", json={"kind": "dark"})
    assert kept.status_code == 200 and kept.json()["text"] == "Kept 1 image flagged as dark"
    assert client.get("/api/review/dark").json()["groups"] == []  # nothing open any more
    assert finding(client, "dark", "ship/dark.jpg", "dismissed")["status"] == "dismissed"
    assert len(client.get("/api/map").json()["ids"]) == map_size  # keeping removes nothing


@pytest.mark.parametrize("method, path, body, status, says", [
    ("get", "/api/review/darkness", None, 400, "unknown kind 'darkness'; kinds: copy, similar, blurry"),
    ("post", "/api/review/accept", {"kind": "darkness"}, 400, "unknown kind 'darkness'; kinds: copy"),
    ("post", "/api/review/accept", {"kind": "copy", "ids": [10**9]}, 400, "no image with id 1000000000"),
    ("post", "/api/review/accept", {"kind": "copy", "idz": [1]}, 422, "extra"),
    ("post", "/api/review/dismiss", {"ids": [1]}, 422, "kind"),
    ("get", "/api/review/copy?status=maybe", None, 422, "status"),
])
def test_bad_requests_say_why(client, method, path, body, status, says):
    response = client.get(path) if method == "get" else client.post(path, json=body)
    assert response.status_code == status
    assert says in str(response.json()["detail"])


@pytest.mark.slow
def test_accept_a_removal_in_the_browser_and_undo_it(reviewed, tmp_path):
    require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    path = shutil.copytree(reviewed[0], tmp_path / "ws")
    with serve_in_thread(create_app(path)) as url, browser_page() as (page, errors):
        page.goto(url)
        page.wait_for_function("+document.getElementById('map-plot').dataset.points > 0")
        points = int(page.get_attribute("#map-plot", "data-points"))
        same = page.evaluate("fetch('/api/review/copy?page_size=500').then((r) => r.json())")
        image = next(f for g in same["groups"] for f in g["images"] if f["path"].endswith("dog/same.jpg"))
        cluster = image["cluster"]

        def gallery_of_cluster() -> list[int]:
            page.click("nav button[data-view=clusters]")
            page.click(f"#cluster-list li[data-cluster='{cluster}']")
            page.wait_for_function(f"document.querySelector('#cluster-list li.active')?.dataset.cluster === '{cluster}'")
            page.wait_for_selector("#cluster-gallery figure")
            return [int(i) for i in page.locator("#cluster-gallery figure").evaluate_all("fs => fs.map((f) => f.dataset.id)")]

        def cluster_shows_image(shown: bool) -> bool:
            """Whether the cluster's gallery shows the image, once the gallery has caught up with the latest
            edit (the Clusters tab reloads it after an accept or an undo; an earlier answer may be drawn first)."""
            gallery_of_cluster()
            page.wait_for_function(f"[...document.querySelectorAll('#cluster-gallery figure')]"
                                   f".some((f) => f.dataset.id === '{image['id']}') === {str(shown).lower()}")
            return image["id"] in gallery_of_cluster()

        assert image["id"] in gallery_of_cluster()
        size = int(page.inner_text(f"#cluster-list li[data-cluster='{cluster}'] .meta").split(" · ")[1])

        # the Review tab: copies first, each removal preselected; keep only the one to accept selected
        page.click("nav button[data-view=review]")
        page.wait_for_selector("#review-grid .unit")
        assert page.inner_text("#kind-title") == "Copies"
        assert page.locator("#review-grid figure.kept").count() == len(same["groups"])  # the kept one of each group
        chosen = page.locator("#review-grid figure:has(input:checked)").evaluate_all("fs => fs.map((f) => f.dataset.id)")
        assert str(image["id"]) in chosen and len(chosen) == sum(f["action"] == "remove" for g in same["groups"] for f in g["images"])
        for other in set(chosen) - {str(image["id"])}:
            page.click(f"#review-grid figure[data-id='{other}'] input")
        assert page.inner_text("#review-selection") == "1 selected"
        page.click("#accept-selected")
        page.wait_for_function("document.getElementById('review-status').textContent === 'Removed 1 image (copy)'")
        page.screenshot(path=str(ARTIFACTS / "app-review.png"))

        page.click("nav button[data-view=map]")
        page.wait_for_function(f"document.getElementById('map-plot').dataset.points === '{points - 1}'")
        assert not cluster_shows_image(False)
        assert page.inner_text(f"#cluster-list li[data-cluster='{cluster}'] .meta").startswith(f"#{cluster} · {size - 1}")

        page.click("nav button[data-view=review]")
        page.wait_for_selector("#review-undo:not([disabled])")
        page.click("#review-undo")
        page.wait_for_function("document.getElementById('review-status').textContent === 'Undid: removed 1 image (copy)'")
        assert page.locator(f"#review-grid figure[data-id='{image['id']}'] input:checked").count() == 1  # open again
        page.click("nav button[data-view=map]")
        page.wait_for_function(f"document.getElementById('map-plot').dataset.points === '{points}'")
        assert cluster_shows_image(True)
    assert errors == []


@contextmanager
def review_tab(reviewed_workspace, tmp_path):
    """A browser on the app of a copy of ``reviewed_workspace``, its Review tab open (no console errors after)."""
    require_browser()
    path = shutil.copytree(reviewed_workspace, tmp_path / "ws")
    with serve_in_thread(create_app(path)) as url, browser_page() as (page, errors):
        page.goto(url)
        page.wait_for_function("+document.getElementById('map-plot').dataset.points > 0")
        page.click("nav button[data-view=review]")
        yield page
    assert errors == []


def test_accepting_a_whole_kind_in_the_browser_says_first_what_it_will_do(reviewed, tmp_path):
    """'Accept all of this kind' set aside findings that only ask for a look (unselected in the grid)
    without a word; after it the Clusters tab still showed the base clustering, read-only."""
    with review_tab(reviewed[0], tmp_path) as page:
        page.click("#kind-list li[data-kind=dark]")
        page.wait_for_function("document.getElementById('kind-title').textContent === 'Dark'")
        asked = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        page.click("#accept-kind")
        page.wait_for_timeout(300)
        assert asked and "1 of them only marked for a look" in asked[0] and "sets aside 1 image" in asked[0]
        assert page.inner_text("#review-status") == ""  # declined: nothing done
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#accept-kind")
        page.wait_for_function("document.getElementById('review-status').textContent === 'Removed 1 image (dark)'")
        page.wait_for_function("document.getElementById('method').value === 'curated'")  # where the edit is
        page.select_option("#kind-status", "accepted")
        page.wait_for_selector("#review-grid figure.done")
        assert "set aside by the review" in page.inner_text("#review-grid figure.done figcaption")  # not "noise"
        page.select_option("#kind-status", "open")
        page.click("#kind-list li[data-kind=copy]")
        page.wait_for_function("document.getElementById('kind-title').textContent === 'Copies'")
        page.click("#select-none")
        assert page.inner_text("#review-selection") == "0 selected"
        page.click("#select-all")
        assert page.inner_text("#review-selection") == f"{page.locator('#review-grid figure input').count()} selected"
        # what a person unticked stays unticked when they page away and back (it came back preselected)
        page.evaluate("state.review.pageSize = 1; state.review.page = 0; loadKind()")
        page.wait_for_function("document.getElementById('review-page').textContent.startsWith('page 1 of ')")
        first = page.locator("#review-grid figure input").first
        first.uncheck()
        page.click("#review-next")
        page.wait_for_function("document.getElementById('review-page').textContent.startsWith('page 2 of ')")
        page.click("#review-prev")
        page.wait_for_function("document.getElementById('review-page').textContent.startsWith('page 1 of ')")
        assert not page.locator("#review-grid figure input").first.is_checked()


def test_the_review_tab_counts_a_kinds_open_findings_as_its_sidebar_does(reviewed, tmp_path):
    """The sidebar said '3 open' for copies, the kind's title 'open: 3 remove, 3 keep'."""
    with review_tab(reviewed[0], tmp_path) as page:
        page.wait_for_function("document.getElementById('kind-title').textContent === 'Copies'")
        copies = next(k for k in page.evaluate("fetch('/api/review').then((r) => r.json())")["kinds"] if k["kind"] == "copy")
        assert copies["open"] and page.inner_text("#kind-list li[data-kind=copy] .meta").startswith(f"{copies['open']} open")
        info = page.inner_text("#kind-info")
        assert f" · {copies['open']} open ({copies['suggested']})" in info and "keep" not in info, info


def test_a_leak_tile_says_which_image_its_match_is_and_in_which_split(reviewed, tmp_path):
    """A leak's match was captioned "its match" alone: no id or split to find it by."""
    with review_tab(reviewed[0], tmp_path) as page:
        page.wait_for_function("document.getElementById('kind-title').textContent === 'Copies'")
        page.click("#kind-list li[data-kind=leak]")
        page.wait_for_function("document.getElementById('kind-title').textContent === 'Leaks between splits'")
        page.wait_for_selector("#review-grid figure.context")
        leak = page.evaluate("fetch('/api/review/leak').then((r) => r.json())")["groups"][0]["images"][0]
        match = page.locator(f"#review-grid figure.context[data-id='{leak['partner']}']").first
        assert match.locator("figcaption").inner_text() == f"its match #{leak['partner']} in train"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "app-review-leak.png"))


def test_the_review_tab_shows_the_reviews_notes_at_its_top(reviewed, tmp_path):
    """What the review did not look for, and how far its label suggestions hold, was not on the page."""
    with review_tab(reviewed[0], tmp_path) as page:
        page.wait_for_selector("#review-notes p")
        notes = page.locator("#review-notes p").all_inner_texts()
        assert any(n.startswith("Label issues: the classifier behind them gets") for n in notes), notes
        above = page.evaluate("document.getElementById('review-notes').getBoundingClientRect().bottom <= "
                              "document.getElementById('kind-list').getBoundingClientRect().top")
        assert above  # at the top of the tab, above the kinds


def test_the_report_has_a_review_section_with_the_copy_kept_of_each_group(reviewed, tmp_path):
    from imgorg.report import REVIEW_GROUPS, render_report
    from imgorg.tasks.review import accept_findings
    from imgorg.views import load_workspace

    ws = load_workspace(shutil.copytree(reviewed[0], tmp_path / "ws"))
    same = ws.review().query("kind == 'copy' and path.str.endswith('dog/same.jpg')", engine="python")["id"].iat[0]
    ws = accept_findings(ws, "copy", [int(same)])[-1].workspace
    section = render_report(ws).split('<section id="review">')[1].split("</section>")[0]
    assert "<th>Copies</th>" in section and "<th>Leaks between splits</th>" in section
    groups = ws.review().query("kind == 'copy'")["group"].nunique()
    assert section.count("class='tile kept'") == min(groups, REVIEW_GROUPS)  # one kept per group shown
    assert "removed · train" in section and "1 image was set aside" in section
    assert "The copy kept: identical files" in section  # why that one is kept
    assert all(src.startswith("data:image/png;base64,") for src in re.findall(r'src="([^"]*)"', section))
    assert "1 set aside by the review left out" in render_report(ws).split('<section id="map">')[1]


def test_a_finding_without_a_score_is_shown_with_none(reviewed, tmp_path):
    # JSON has no NaN: a finding whose score is missing must not fail its kind's page
    from imgorg.views import open_workspace
    from imgorg.workspace import REVIEW_FILE

    path = shutil.copytree(reviewed[0], tmp_path / "ws")
    ws = open_workspace(path)
    table = ws.read(REVIEW_FILE)
    kind = table["kind"].iat[0]
    table.loc[table.index[0], "score"] = float("nan")
    ws.write_artifact(REVIEW_FILE, table)
    answer = TestClient(create_app(path)).get(f"/api/review/{kind}?status=all&page_size=500")
    assert answer.status_code == 200, answer.text
    scores = [f["score"] for g in answer.json()["groups"] for f in g["images"]]
    assert None in scores and all(s is None or 0 <= s <= 1 for s in scores)


def test_a_review_that_found_nothing_is_shown_as_such(reviewed, tmp_path):
    """A stored review without a single finding failed GET /api/review: its statuses were no booleans."""
    from imgorg.views import open_workspace
    from imgorg.workspace import REVIEW_FILE

    path = shutil.copytree(reviewed[0], tmp_path / "ws")
    ws = open_workspace(path)
    ws.write_artifact(REVIEW_FILE, ws.read(REVIEW_FILE).iloc[:0])
    answer = TestClient(create_app(path)).get("/api/review")
    assert answer.status_code == 200, answer.text
    assert answer.json()["kinds"] == [] and "copy" in answer.json()["none_found"]


def test_accepting_every_kind_at_once_says_how_many_looks_stay_open(client):
    table = client.app.state.imgorg.ws.review()
    looks = table[(table["status"] == "open") & (table["action"] == "look")]
    done = client.post("/api/review/accept", json={})
    assert done.status_code == 200, done.text
    answer = done.json()
    # the looks of images no removal took stay open, each said in the count
    assert 0 < answer["left_open"] <= len(looks) and "ask for a look stay open" in answer["text"]
    if len(answer["edits"]) > 1:  # relabels and removals: one edit each in the log, one undo each
        assert f"({len(answer['edits'])} edits: Undo takes back one at a time)" in answer["text"]


def test_an_invalid_request_is_answered_without_its_whole_body(client):
    ids = list(range(MAX_IMAGES + 1))  # one past the limit: refused, and the answer does not quote them all
    refused = client.post("/api/review/accept", json={"kind": "copy", "ids": ids})
    assert refused.status_code == 422 and len(refused.content) < 2000
    assert "characters)" in refused.json()["detail"][0]["input"]


def test_a_relabel_shows_in_the_image_details_at_once_and_its_undo_too(client):
    issues = client.get("/api/review/label_issue?page_size=500").json()["groups"]
    if not issues:
        pytest.skip("this collection's review reports no label issue")
    issue = issues[0]["images"][0]
    given = client.get(f"/api/images/{issue['id']}").json()["label"]
    assert client.post("/api/review/accept", json={"kind": "label_issue", "ids": [issue["id"]]}).status_code == 200
    assert client.get(f"/api/images/{issue['id']}").json()["label"] == issue["suggested"] != given
    client.post("/api/clusters/undo")
    assert client.get(f"/api/images/{issue['id']}").json()["label"] == given


def test_a_finding_whose_image_went_with_another_kind_is_set_aside_not_accepted(client):
    leaks = client.post("/api/review/accept", json={"kind": "leak"})
    assert leaks.status_code == 200
    every = client.get("/api/review/copy?status=all&page_size=500").json()["groups"]
    gone = {f["id"] for g in client.get("/api/review/leak?status=accepted&page_size=500").json()["groups"]
            for f in g["images"]}
    elsewhere = [f for g in every for f in g["images"] if f["id"] in gone]
    assert elsewhere, "the planted leak is also a copy"
    assert {f["status"] for f in elsewhere} == {"set aside"}  # nobody accepted it as a copy
    copies = next(k for k in client.get("/api/review").json()["kinds"] if k["kind"] == "copy")
    assert copies["set_aside"] == len(elsewhere) and copies["accepted"] == 0
