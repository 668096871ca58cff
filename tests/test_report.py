"""The HTML report on a real workspace: every section, inline images only, escaped file names."""

import re
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from imgorg import ClusterConfig, MapConfig, RunConfig, run
from imgorg.cli.main import app
from imgorg.errors import ConfigError
from imgorg.workspace import projection_name
from imgorg.config import ReportConfig
from imgorg.report import MAX_CLUSTERS, SECTIONS, render_report
from imgorg.tasks.report import write_report
from imgorg.views import load_workspace
from imgorg.workspace import write_artifact

from .browser import ARTIFACTS, browser_page, require_browser

pytestmark = pytest.mark.slow

EVIL = "<img src=x onerror=alert(1)>.jpg"


@pytest.fixture(scope="module")
def workspace(cifar_small, tmp_path_factory):
    source = shutil.copytree(cifar_small, tmp_path_factory.mktemp("report") / "images")
    (source / "cat" / EVIL).write_bytes(b"not an image")
    out = tmp_path_factory.mktemp("report-ws") / "ws"
    run(source, out, RunConfig(cluster=ClusterConfig(method="kmeans"), map=MapConfig(method="none")))  # no map yet
    return out


@pytest.fixture(scope="module")
def report_html(workspace):
    return write_report(workspace).read_text(encoding="utf-8")


def test_report_has_every_section_and_is_self_contained(workspace, report_html):
    assert (workspace / "report.html").is_file()
    for section in SECTIONS:
        assert f'<section id="{section}">' in report_html
    assert "efficientnet-lite0" in report_html and "kmeans: set by --method" in report_html
    assert "300 embedded" in report_html
    images = re.findall(r'<img [^>]*src="([^"]*)"', report_html)
    assert len(images) == 5  # methods, map, clusters, contingency, neighbours: all inline PNG
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert not re.search(r"(src|href)=\"(https?:|file:|//)", report_html)  # nothing fetched from anywhere
    assert "<script" not in report_html.lower()


def test_failed_file_is_listed_escaped(report_html):
    assert EVIL not in report_html
    assert "&lt;img src=x onerror=alert(1)&gt;.jpg" in report_html
    failures = report_html.split('<section id="failures">')[1]
    assert "not an image" in failures and "1 file could not be decoded" in failures


def test_methods_table_and_stored_map(workspace, report_html):
    ws = load_workspace(workspace)
    methods = report_html.split('<section id="methods">')[1].split("</section>")[0]
    assert "kmeans (chosen)" in methods and "nmi" in methods
    assert "first two PCA components" in report_html
    write_artifact(workspace, projection_name("tsne", 2), ws.reduced[:, 2:4].copy())
    assert "t-SNE map stored by `imgorg map`" in render_report(load_workspace(workspace))


def test_a_curated_workspace_reports_its_curated_scores(workspace, tmp_path):
    """metrics.json holds the stored clusterings only: the curated one's scores are computed, not looked up
    (`imgorg report` on a workspace with one rename raised KeyError: 'curated')."""
    from imgorg import edit_clusters
    from imgorg.curation import Merge

    curated = shutil.copytree(workspace, tmp_path / "ws")
    edit_clusters(load_workspace(curated), Merge((0, 1), name="merged"))
    result = CliRunner().invoke(app, ["report", str(curated)])
    assert result.exit_code == 0, result.output
    methods = (curated / "report.html").read_text(encoding="utf-8").split('<section id="methods">')[1]
    row = methods.split("curated (chosen)")[1].split("</tr>")[0]
    ws = load_workspace(curated)
    assert ws.scores()["n_clusters"] == ws.scores("kmeans")["n_clusters"] - 1 and ws.scores()["nmi"] is not None
    assert f"<td>{ws.scores()['n_clusters']}</td>" in row


def test_an_unknown_method_names_the_stored_ones(workspace):
    with pytest.raises(ConfigError, match="stored: kmeans"):
        write_report(workspace, ReportConfig(method="dbscan"))


def test_many_clusters_are_capped_and_said_so(workspace):
    ws = load_workspace(workspace)
    ws.assignments["kmeans"] = np.arange(len(ws.assignments)) % 45
    html = render_report(ws)
    assert f"45 clusters by kmeans; the {MAX_CLUSTERS} largest are shown" in html


def test_report_command_and_run_writes_one(workspace, tmp_path):
    target = tmp_path / "out" / "r.html"
    result = CliRunner().invoke(app, ["report", str(workspace), "--out", str(target), "--method", "kmeans"])
    assert result.exit_code == 0, result.output
    assert target.is_file() and str(target) in result.output.replace("\n", "")

    from .conftest import make_image

    for i in range(6):
        make_image(tmp_path / "img" / f"r{i}.png", (220, 20, 20))
        make_image(tmp_path / "img" / f"b{i}.png", (20, 20, 220))
    for flag, written in (("--no-report", False), ("--report", True)):
        out = tmp_path / f"ws{flag}"
        result = CliRunner().invoke(app, ["run", str(tmp_path / "img"), "--out", str(out), "--k", "2",
                                          "--method", "kmeans", flag])
        assert result.exit_code == 0, result.output
        assert (out / "report.html").is_file() == written
    assert "no labels" in (out / "report.html").read_text(encoding="utf-8").lower()


def test_report_in_the_browser(workspace):
    require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    path = write_report(workspace)
    with browser_page() as (page, errors):
        page.goto(path.as_uri())
        for section in SECTIONS:
            assert page.locator(f"#{section}").is_visible()
            assert page.locator(f"#{section} h2").inner_text()
        loaded = page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
        assert loaded and page.locator("img").count() == 5
        assert EVIL in page.inner_text("#failures")  # shown as text, not run as markup
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert errors == []


def test_noise_is_shown_after_the_largest_clusters(workspace):
    ws = load_workspace(workspace)
    labels = np.arange(len(ws.assignments)) % 40
    labels[:100] = -1
    ws.assignments["kmeans"] = labels
    ws.assignments["kmeans_distance"] = np.where(labels == -1, np.nan, 1.0)
    html = render_report(ws)
    assert "40 clusters by kmeans and 100 images of noise; the 30 largest are shown" in html
    assert "Noise (no cluster): a random sample." in html and "grey: noise" in html
