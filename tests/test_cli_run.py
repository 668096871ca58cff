import json
import shutil

import numpy as np
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
    # the default decoder count is recorded as it was resolved (2 beside a CPU model), not as "None"
    from imgorg.embed import resolve_device

    beside_cpu = resolve_device("auto") == "cpu"  # beside a GPU the default is every core
    assert ws.manifest["config"]["embed"]["workers"] is None and (ws.manifest["decode_workers"] == 2 or not beside_cpu)


def test_the_skipped_files_are_listed_by_kind(tmp_path):
    """Each reason lists every kind of file it holds, not only the first: "2 not an image: text" hid the PDF."""
    from .conftest import make_image

    for i in range(3):
        make_image(tmp_path / "img" / f"r{i}.png", (220, 20, 20))
        make_image(tmp_path / "img" / f"b{i}.png", (20, 20, 220))
    (tmp_path / "img" / "readme.txt").write_text("trip notes")
    (tmp_path / "img" / "notes.pdf").write_bytes(b"%PDF-1.4\n" + bytes(100))
    (tmp_path / "img" / "logo.svg").write_text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>')
    result = CliRunner().invoke(app, ["run", str(tmp_path / "img"), "--out", str(tmp_path / "ws"), "--k", "2",
                                      "--method", "kmeans", "--map", "none", "--no-report"], terminal_width=300)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "not an image" in x)
    assert "3 not an image: " in line and "PDF document (1)" in line and "text (1)" in line
    assert "SVG (a vector drawing" in line  # it was "text" with the notes


def test_bad_k_is_refused_with_the_rule(tmp_path):
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--k", "ten"])
    assert result.exit_code != 0 and "whole number or 'auto'" in result.output


def test_version_prints_without_a_command():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("imgorg ")


def test_a_bad_method_k_or_out_is_refused_before_anything_is_embedded(tmp_path):
    """Each used to be found only after the whole folder was embedded (or as a raw traceback)."""
    from .conftest import make_image

    for i in range(3):
        make_image(tmp_path / "img" / f"{i}.png", (20 * i, 20, 20))
    (tmp_path / "afile").write_text("")
    for args, message in ((["--method", "kmean"], "valid methods: auto, kmeans"),
                          (["--k", "1"], "must be a whole number of 2 or more, or 'auto'"),
                          (["--out", str(tmp_path / "afile")], "is a file; pass a folder")):
        out = ["--out", str(tmp_path / "ws")] if "--out" not in args else []
        result = CliRunner().invoke(app, ["run", str(tmp_path / "img"), *out, *args])
        assert result.exit_code != 0 and message in str(result.exception), (args, result.exception)
        assert not (tmp_path / "ws" / "cache").exists(), args  # refused before the embedding cache was touched


def test_missing_source_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(app, ["run", str(tmp_path / "nowhere"), "--out", str(tmp_path / "ws")])
    assert result.exit_code != 0
    assert "does not exist" in str(result.exception)
    assert not (tmp_path / "ws").exists()  # a refused run leaves no folder behind (it used to leave one with a .lock)


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


def test_a_rerun_keeps_results_that_still_hold_and_names_what_it_replaces(tmp_path, caplog):
    import pandas as pd

    from imgorg import ClusterConfig, MapConfig, ReduceConfig, RunConfig, run
    from imgorg.workspace import read_artifact, write_artifact

    from .conftest import make_image

    for i in range(6):
        make_image(tmp_path / "img" / f"{i}.png", (40 * i, 20, 20))
    no_map = MapConfig(method="none")  # what a rerun keeps, without the map a run makes by default
    config = RunConfig(cluster=ClusterConfig(method="kmeans", k=2), map=no_map)
    first = run(tmp_path / "img", tmp_path / "ws", config).workspace
    write_artifact(tmp_path / "ws", "outliers.parquet", pd.DataFrame({"id": [5, 0], "score": [1.0, 0.5],
                                                                      "cluster": [7, 7]}))
    write_artifact(tmp_path / "ws", "classify.json", {"best": "svm"})
    write_artifact(tmp_path / "ws", "projection_umap_2d.npy", first.reduced[:, :2].copy())
    write_artifact(tmp_path / "ws", "projections.json", {"projection_umap_2d.npy": {"method": "umap"}})
    write_artifact(tmp_path / "ws", "duplicates.parquet", pd.DataFrame({"group": [0], "id": [0]}))
    with caplog.at_level("WARNING"):  # another k: the same images and features, other clusters
        ws = run(tmp_path / "img", tmp_path / "ws", RunConfig(cluster=ClusterConfig(method="kmeans", k=3),
                                                              map=no_map)).workspace
    kept = {"projection_umap_2d.npy", "projections.json", "duplicates.parquet", "outliers.parquet", "classify.json"}
    assert kept <= set(ws.manifest["files"]) and "held the workspace of" not in caplog.text
    assert "replaces them" not in caplog.text
    assert np.array_equal(read_artifact(tmp_path / "ws", "projection_umap_2d.npy"), first.reduced[:, :2])
    outliers = read_artifact(tmp_path / "ws", "outliers.parquet")  # verified against the manifest's checksum
    assert outliers["cluster"].tolist() == [ws.cluster_labels()[5], ws.cluster_labels()[0]]  # the new clusters
    caplog.clear()
    with caplog.at_level("WARNING"):  # other reduced features (PCA to 2): maps, outliers, classify no longer hold
        ws = run(tmp_path / "img", tmp_path / "ws", RunConfig(cluster=ClusterConfig(method="kmeans", k=2), map=no_map,
                                                              reduce=ReduceConfig(pca_dim=2))).workspace
    assert "`imgorg outliers`" in caplog.text and "`imgorg map`" in caplog.text and "again" in caplog.text
    assert "`imgorg duplicates`" not in caplog.text  # the embeddings are the same: duplicates still hold
    assert set(ws.manifest["files"]) & kept == {"duplicates.parquet"}
    assert not (tmp_path / "ws" / "outliers.parquet").exists()  # a stale table is removed, not left unlisted
    make_image(tmp_path / "other" / "a.png", (1, 2, 3))
    make_image(tmp_path / "other" / "b.png", (200, 2, 3))
    caplog.clear()
    with caplog.at_level("WARNING"):
        ws = run(tmp_path / "other", tmp_path / "ws", config).workspace  # another folder into the same --out
    assert f"held the workspace of {(tmp_path / 'img').resolve()}" in caplog.text
    assert not kept & set(ws.manifest["files"])  # maps of other images are not kept
    assert not kept & {p.name for p in (tmp_path / "ws").iterdir()}  # nor left for pandas to read


def test_ctrl_c_says_how_to_go_on(monkeypatch, capsys):
    """typer turns KeyboardInterrupt into exit code 130 without a word; main() says that a rerun resumes."""
    import typer

    import imgorg.cli.main as cli

    def stop() -> None:
        raise KeyboardInterrupt

    interrupted = typer.Typer()
    interrupted.command("stop")(stop)
    interrupted.command("other")(lambda: None)
    monkeypatch.setattr(cli, "build_app", lambda only=None: interrupted)
    monkeypatch.setattr("sys.argv", ["imgorg", "stop"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 130 and "run the same command again" in capsys.readouterr().err


def test_openmp_threads_wait_passively_unless_the_user_says_otherwise():
    """Spinning OpenMP threads doubled scan's time when another process held a core."""
    import os
    import subprocess
    import sys

    code = "import imgorg, os; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip() == "PASSIVE"
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip() == "ACTIVE"


def test_progress_in_a_log_is_a_line_per_finished_stage_and_one_now_and_then_for_a_long_one():
    import io

    from imgorg.cli.console import plain_progress

    now = [0.0]
    out = io.StringIO()
    factory = plain_progress(out, every=30, clock=lambda: now[0])
    advance = factory("Embedding (x)", 100)
    for step in range(4):  # 25 images every 20 s: one line while going, at 40 s
        now[0] += 20
        advance(25)
    factory("Clustering", 2, unit="method")(2)
    assert out.getvalue().splitlines() == ["Embedding (x): 50/100 img (50%), 40 s",
                                           "Embedding (x): 100 img in 80.0 s, 1.2 img/s",
                                           "Clustering: 2 methods in 0.0 s"]


def test_an_interrupted_command_says_what_it_keeps_for_itself():
    from imgorg.cli.main import interrupted_message

    assert "embedded are cached" in interrupted_message("run")
    assert "faces" in interrupted_message("people") and "embedded" not in interrupted_message("people")
    assert "embedded" not in interrupted_message("review")  # it said so of every command


def test_a_rerun_warns_only_of_the_results_it_does_not_make_again(caplog, tmp_path):
    from imgorg.tasks.run import _say_what_is_replaced
    from imgorg.workspace import CarryOver

    carry = CarryOver(dropped=["map", "outliers", "review"])
    _say_what_is_replaced(tmp_path, {"source": {"root": "x"}}, {"root": "x"}, carry, {"map", "review"})
    assert "(outliers)" in caplog.text and "`imgorg outliers`" in caplog.text and "imgorg map" not in caplog.text


def test_a_run_says_why_images_in_folders_got_no_labels():
    import pandas as pd

    from imgorg.sources import why_no_labels

    said = why_no_labels(pd.Series(["ana/1.jpg", "rui/2.jpg", "3.jpg"]))  # person folders and a loose photo
    assert said.startswith("No labels") and "1 of 3 images do not (e.g. 3.jpg)" in said
    assert why_no_labels(pd.Series(["1.jpg", "2.jpg"])) is None  # a flat folder meant none
    assert why_no_labels(["cat/1.jpg", "dog/2.jpg"]) is None  # labels given: nothing to explain
