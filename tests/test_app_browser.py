"""The app in headless Chromium: map, cluster gallery, upload search, no console errors."""

import shutil

import pytest

from imgorg import ClusterConfig, RunConfig, run

from .browser import ARTIFACTS, browser_page, require_browser, serve_in_thread

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app_url(cifar_small, tmp_path_factory):
    require_browser()
    from imgorg.app import create_app

    source = shutil.copytree(cifar_small, tmp_path_factory.mktemp("browser") / "images")
    ws = run(source, tmp_path_factory.mktemp("browser-ws") / "ws", RunConfig(cluster=ClusterConfig(method="scan")))
    with serve_in_thread(create_app(ws.workspace.path)) as url:
        yield url


def test_map_clusters_and_search_in_the_browser(app_url, cifar_small):
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page() as (page, errors):
        page.goto(app_url)
        page.wait_for_function("document.getElementById('map-plot').dataset.points === '300'")
        points = page.evaluate("document.getElementById('map-plot').data.reduce((n, t) => n + t.x.length, 0)")
        assert points == 300
        page.screenshot(path=str(ARTIFACTS / "app-map.png"))

        page.click("nav button[data-view=clusters]")
        page.wait_for_selector("#cluster-gallery figure")
        first = page.inner_text("#cluster-list li.active")
        assert "cluster" in first
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

        page.click("nav button[data-view=methods]")
        page.wait_for_selector("#methods-table tr td")
        assert "scan" in page.inner_text("#methods-table") and "kmeans" in page.inner_text("#methods-table")
        page.select_option("#method", "kmeans")
        page.click("nav button[data-view=quality]")
        page.wait_for_selector("#quality h2")
    assert errors == []


def test_api_docs_render_without_a_network(app_url):
    # The browser has no route out here: a page that needs a CDN stays blank.
    with browser_page() as (page, errors):
        page.goto(app_url + "/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=15000)
        paths = [p.replace("\u200b", "") for p in page.locator(".opblock-summary-path").all_inner_texts()]
    assert "/api/clusters/{cluster_id}" in paths
    assert errors == []
