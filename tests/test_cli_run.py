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
    scores = ws.metrics["kmeans"]
    # Chance for 10 balanced classes is about 0.1-0.15 (Hungarian on 300 images).
    assert scores["acc"] > 0.35 and scores["nmi"] > 0.25
    assert set(pd.read_parquet(out / "assignments.parquet").columns) == {"id", "kmeans", "kmeans_distance"}
    assert json.loads((out / "manifest.json").read_text())["counts"]["embedded_now"] == 300

    again = CliRunner().invoke(app, ["run", str(source), "--out", str(out), "--k", "10"])
    assert again.exit_code == 0
    assert "0 now, 300 from cache" in again.output
    assert load_workspace(out).metrics["kmeans"]["acc"] == scores["acc"]
