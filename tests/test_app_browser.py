"""The app in headless Chromium: map, cluster gallery, upload search, curation, dates, no console errors."""

import re
import shutil

import pytest

from imgorg import ClusterConfig, RunConfig, run

from .browser import ARTIFACTS, browser_page, require_browser, serve_in_thread

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def made(cifar_small, tmp_path_factory):
    require_browser()
    source = shutil.copytree(cifar_small, tmp_path_factory.mktemp("browser") / "images")
    ws = run(source, tmp_path_factory.mktemp("browser-ws") / "ws", RunConfig(cluster=ClusterConfig(method="scan")))
    return ws.workspace.path


@pytest.fixture(scope="module")
def app_url(made):
    from imgorg.app import create_app

    with serve_in_thread(create_app(made)) as url:
        yield url


@pytest.fixture
def editable_url(made, tmp_path):
    """The app on a copy of the workspace, for a test that edits it."""
    from imgorg.app import create_app

    with serve_in_thread(create_app(shutil.copytree(made, tmp_path / "ws"))) as url:
        yield url


def test_map_clusters_and_search_in_the_browser(app_url, cifar_small):
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page() as (page, errors):
        page.goto(app_url)
        page.wait_for_function("document.getElementById('map-plot').dataset.points === '300'")
        points = page.evaluate("document.getElementById('map-plot').data.reduce((n, t) => n + t.x.length, 0)")
        assert points == 300
        # the menu lists the maps stored (the run's 2D UMAP), and the info line names what is drawn
        assert page.locator("#map-kind option").all_inner_texts() == ["UMAP"]
        assert "UMAP map stored" in page.inner_text("#map-info")
        legend = page.evaluate("document.getElementById('map-plot').data.map((t) => t.name)")
        names = {c["id"]: c["name"] for c in page.evaluate("fetch('/api/clusters').then((r) => r.json())")["clusters"]}
        assert legend == [f"{i} · {names[i]}" for i in sorted(names)]  # the legend names the clusters
        page.select_option("#map-dims", "3")  # no 3D map stored: the first three PCA components, said so
        page.wait_for_function("document.getElementById('map-info').textContent.includes('first three PCA components')")
        assert page.locator("#map-kind option").all_inner_texts() == ["PCA components"]
        page.screenshot(path=str(ARTIFACTS / "app-map.png"))

        page.click("nav button[data-view=clusters]")
        page.wait_for_selector("#cluster-gallery figure")
        first = page.inner_text("#cluster-list li.active .name")
        assert first and page.inner_text("#cluster-name") == first  # named in the list and over the gallery
        assert page.locator("#cluster-gallery figure").count() > 0
        page.screenshot(path=str(ARTIFACTS / "app-clusters.png"))

        query = sorted((cifar_small / "ship").glob("*.jpg"))[0]
        page.click("nav button[data-view=search]")
        page.set_input_files("#search-file", str(query))
        page.click("#search-form button[type=submit]")
        page.wait_for_selector("#search-gallery figure")
        captions = page.locator("#search-gallery figcaption").all_inner_texts()
        assert len(captions) == 12
        assert sum("ship" in c for c in captions) >= 4  # itself plus same-class neighbours (chance: 1.2)
        page.screenshot(path=str(ARTIFACTS / "app-search.png"))
        # a word, on a workspace without CLIP: ImageNet classes under it, and the page says so; typing it
        # clears the file chosen before (the field changed last is the query)
        page.fill("#search-text", "dog")
        assert page.eval_on_selector("#search-file", "input => input.files.length") == 0
        page.click("#search-form button[type=submit]")
        page.wait_for_function("document.getElementById('search-result').textContent.includes('ImageNet classes')")
        assert "(ImageNet classes for 'dog'" in page.inner_text("#search-result")
        captions = page.locator("#search-gallery figcaption").all_inner_texts()
        assert sum(c.endswith(" · dog") for c in captions) >= 3  # labelled dog (chance: 1.2 of 12)

        page.click("nav button[data-view=methods]")
        page.wait_for_selector("#methods-table tr td")
        assert "scan" in page.inner_text("#methods-table") and "kmeans" in page.inner_text("#methods-table")
        page.select_option("#method", "kmeans")
        page.click("nav button[data-view=review]")  # no review stored: the tab says how to make one
        page.wait_for_function("document.getElementById('kinds-none').textContent.includes('imgorg review')")
        assert page.inner_text("#review-run") == "Run review" and page.inner_text("#unused-title") == "Files not used (0)"
        assert page.locator("#kind-pane").is_hidden()
    assert errors == []


def test_api_docs_render_without_a_network(app_url):
    # The browser has no route out here: a page that needs a CDN stays blank.
    with browser_page() as (page, errors):
        page.goto(app_url + "/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=15000)
        paths = [p.replace("\u200b", "") for p in page.locator(".opblock-summary-path").all_inner_texts()]
    assert "/api/clusters/{cluster_id}" in paths
    assert errors == []


def cluster_sizes(page) -> dict[int, int]:
    """Each listed cluster's size, as the list shows it ("#3 · 42 · ...")."""
    out = {}
    for li in page.locator("#cluster-list li").all():
        meta = li.locator(".meta").inner_text()
        out[int(li.get_attribute("data-cluster"))] = int(re.match(r"#-?\d+ · ([\d,]+)", meta).group(1).replace(",", ""))
    return out


def wait_status(page, start: str):
    page.wait_for_function(f"document.getElementById('edit-status').textContent.startsWith({start!r})")


def test_rename_merge_move_and_undo_in_the_browser(editable_url):
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page() as (page, errors):
        page.goto(editable_url)
        page.click("nav button[data-view=clusters]")
        page.wait_for_selector("#cluster-gallery figure")
        assert page.input_value("#method") == "scan"

        # rename in place: click the name over the gallery, type, Enter
        renamed = int(page.get_attribute("#cluster-list li.active", "data-cluster"))
        page.click("#cluster-name")
        page.fill("#rename-input", "beach photos")
        page.press("#rename-input", "Enter")
        wait_status(page, f"Renamed cluster {renamed} to 'beach photos'")
        page.wait_for_function("document.getElementById('cluster-name').textContent === 'beach photos'")
        assert page.inner_text(f"#cluster-list li[data-cluster='{renamed}'] .name") == "beach photos"
        assert page.input_value("#method") == "curated"  # the page now shows the curated clustering

        # an empty name is refused with the library's reason, and the name stays
        assert errors == []
        page.click("#cluster-name")
        page.fill("#rename-input", "  ")
        page.press("#rename-input", "Enter")
        wait_status(page, "a cluster's name cannot be empty")
        page.wait_for_function("document.getElementById('cluster-name').textContent === 'beach photos'")
        # Chromium logs every 4xx answer to fetch; that refusal is the one expected here
        assert errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
        errors.clear()

        # merge two clusters: tick them in the list, name the result, Merge
        sizes = cluster_sizes(page)
        a, b = [c for c in sizes if c != -1][1:3]
        page.check(f"#cluster-list li[data-cluster='{a}'] input")
        page.check(f"#cluster-list li[data-cluster='{b}'] input")
        page.fill("#merge-name", "two merged")
        page.click("#merge-button")
        wait_status(page, f"Merged clusters {a}, {b} into cluster {a} ('two merged')")
        page.wait_for_selector(f"#cluster-list li[data-cluster='{b}']", state="detached")
        assert cluster_sizes(page)[a] == sizes[a] + sizes[b]
        assert page.inner_text("#cluster-list li.active .name") == "two merged"  # the merged cluster is shown
        page.wait_for_function("document.getElementById('cluster-name').textContent === 'two merged'")

        # select images: click one, shift-click two further (a range of three), click the middle one off
        figures = page.locator("#cluster-gallery figure")
        ids = [int(figures.nth(i).get_attribute("data-id")) for i in range(3)]
        figures.nth(0).click()
        figures.nth(2).click(modifiers=["Shift"])
        assert page.locator("#cluster-gallery figure.selected").count() == 3
        figures.nth(1).click()
        assert page.inner_text("#selection-info") == "2 images selected"
        # and move them to the renamed cluster, chosen by name
        page.select_option("#move-to", label=f"beach photos (#{renamed})")
        page.click("#move-button")
        wait_status(page, f"Moved 2 images to cluster {renamed} ('beach photos')")
        page.wait_for_function("document.querySelectorAll('#cluster-gallery figure.selected').length === 0")
        moved = page.evaluate(f"Promise.all({[ids[0], ids[2]]}.map((i) => fetch('/api/images/' + i).then((r) => r.json())))")
        assert [m["cluster"] for m in moved] == [renamed, renamed]
        after_move = cluster_sizes(page)
        assert after_move[a] == sizes[a] + sizes[b] - 2 and after_move[renamed] == sizes[renamed] + 2
        page.screenshot(path=str(ARTIFACTS / "app-curation.png"))

        # undo takes the move back and says what it undid; the history strikes the move through
        page.click("#undo-button")
        wait_status(page, f"Undid: moved 2 images to cluster {renamed}")
        page.wait_for_function(f"document.querySelector(\"#cluster-list li[data-cluster='{renamed}'] .meta\")"
                               f".textContent.startsWith('#{renamed} · {sizes[renamed]} ')")
        assert cluster_sizes(page)[a] == sizes[a] + sizes[b]
        history = page.locator("#history-list li").all_inner_texts()
        assert len(history) == 4 and history[0].startswith(f"renamed cluster {renamed} to 'beach photos'")
        assert history[3].startswith("undid #3: moved 2 images")
        assert page.locator("#history-list li.undone").all_inner_texts()[0].startswith("moved 2 images")

        # a date range with no photo in it empties the list; "All dates" brings it back
        page.fill("#date-from", "2099-01-01")
        page.wait_for_function("document.querySelectorAll('#cluster-list li').length === 0")
        assert page.inner_text("#cluster-name") == "No image taken in this date range"
        page.click("#date-clear")
        page.wait_for_function("document.querySelectorAll('#cluster-list li').length > 0")
        page.screenshot(path=str(ARTIFACTS / "app-history.png"))
    assert errors == []
