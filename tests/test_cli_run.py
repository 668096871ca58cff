import json
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from imgorg import load_workspace
from imgorg.cli.main import app


def test_help_lists_run():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "run" in result.output


def test_k_auto_and_method_choice_are_recorded(tmp_path):
    from .conftest import make_image

    for i in range(12):
        make_image(tmp_path / "img" / f"r{i}.png", (220, 20, 20))
        make_image(tmp_path / "img" / f"b{i}.png", (20, 20, 220))
    out = tmp_path / "ws"
    result = CliRunner().invoke(app, ["run", str(tmp_path / "img"), "--out", str(out), "--k", "auto",
                                      "--method", "auto"])
    assert result.exit_code == 0, result.output
    ws = load_workspace(out)
    assert ws.manifest["selection"]["k_auto"] is True
    assert ws.manifest["selection"]["k"] == 2  # two colours
    assert {"kmeans", "agglomerative", "dbscan", "hdbscan", "scan"} <= set(ws.metrics)
    assert ws.method in ws.metrics and ws.manifest["selection"]["reason"]


def test_bad_k_is_refused_with_the_rule(tmp_path):
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--k", "ten"])
    assert result.exit_code != 0 and "whole number or 'auto'" in result.output


def test_missing_source_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(app, ["run", str(tmp_path / "nowhere"), "--out", str(tmp_path / "ws")])
    assert result.exit_code != 0
    assert "does not exist" in str(result.exception)


@pytest.mark.slow
def test_run_end_to_end_on_real_cifar_images(cifar_small, tmp_path):
    source = shutil.copytree(cifar_small, tmp_path / "images")  # the fixture is shared: leave it untouched
    (source / "cat" / "zz-corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    out = tmp_path / "ws"
    result = CliRunner().invoke(app, ["run", str(source), "--out", str(out), "--k", "10"])
    assert result.exit_code == 0, result.output
    assert "Workspace:" in result.output and "zz-corrupt.jpg" in result.output

    ws = load_workspace(out)
    assert len(ws.catalog) == 301 and len(ws.images) == 300
    assert ws.failures["path"].tolist() == ["cat/zz-corrupt.jpg"]
    assert ws.embeddings.shape == (300, 1280) and ws.reduced.shape == (300, 50)
    assert sorted(set(ws.cluster_labels())) == list(range(10))
    assert ws.method == "scan"
    scores = ws.metrics["scan"]
    # Chance for 10 balanced classes is about 0.1-0.15 (Hungarian on 300 images).
    assert scores["acc"] > 0.35 and scores["nmi"] > 0.25
    assert ws.metrics["kmeans"]["acc"] > 0.35  # the baseline is always kept beside the chosen method
    assert set(pd.read_parquet(out / "assignments.parquet").columns) == {
        "id", "scan", "scan_distance", "kmeans", "kmeans_distance"}
    assert json.loads((out / "manifest.json").read_text())["counts"]["embedded_now"] == 300

    again = CliRunner().invoke(app, ["run", str(source), "--out", str(out), "--k", "10"])
    assert again.exit_code == 0
    assert "0 now, 300 from cache" in again.output
    assert load_workspace(out).metrics["scan"]["acc"] == scores["acc"]  # deterministic for a seed
