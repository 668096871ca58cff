"""imgorg review on a small collection with splits and planted problems: copies (and which one is kept),
a leak between splits, bad shots; acting on them (accept, dismiss, undo) and what a removal changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageEnhance, ImageFilter
from typer.testing import CliRunner

import imgorg
from imgorg import ClusterConfig, MapConfig, RunConfig, run
from imgorg.cli.main import app
from imgorg.config import ReviewConfig, SearchConfig
from imgorg.errors import ConfigError
from imgorg.review.leaks import split_of
from imgorg.tasks.search import find_similar, resolve_query
from imgorg.tasks.export import export_table, removed_files
from imgorg.tasks.review import accept_findings, dismiss_findings, review_collection
from imgorg.tasks.curate import edit_clusters
from imgorg.curation import Undo

from .conftest import extract_cifar
from .photo_corpus import make_exif

CONFIG = RunConfig(cluster=ClusterConfig(method="kmeans", k=5), map=MapConfig(method="none"))


def _save(image: Image.Image, path, **options) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **options)


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """train/ and test/ of real CIFAR images, with planted problems; returns the folder and what was planted."""
    root = tmp_path_factory.mktemp("review") / "images"
    extract_cifar(root / "train", per_class=8, split="train")
    extract_cifar(root / "test", per_class=4)
    leak_source = sorted((root / "test" / "cat").iterdir())[0]
    Image.open(leak_source).resize((48, 48)).save(root / "train" / "cat" / "leak.jpg", quality=92)
    original = sorted((root / "train" / "dog").iterdir())[0]
    shutil.copy(original, root / "train" / "dog" / "same.jpg")  # an exact copy
    ship = Image.open(sorted((root / "train" / "ship").iterdir())[0])
    _save(ship.resize((128, 128)).filter(ImageFilter.GaussianBlur(2)), root / "train" / "ship" / "enlarged.jpg")
    _save(ImageEnhance.Brightness(ship).enhance(0.05), root / "train" / "ship" / "dark.jpg")
    # a copy that has the capture time and GPS its twin lacks
    frog = Image.open(sorted((root / "train" / "frog").iterdir())[0]).convert("RGB")
    exif = make_exif(taken="2024:05:01 10:30:00", gps=(48.85, 2.35))
    _save(frog, root / "train" / "frog" / "with_exif.jpg", quality=75, exif=exif)
    _save(frog, root / "train" / "frog" / "without_exif.jpg", quality=95)
    return root, {"leak": leak_source.relative_to(root).as_posix()}


@pytest.fixture(scope="module")
def reviewed(collection, tmp_path_factory):
    root, planted = collection
    mapped = RunConfig(cluster=CONFIG.cluster, map=MapConfig(method="pca"))  # the review runs beside clustering and map
    ran = run(root, tmp_path_factory.mktemp("review-ws") / "ws", mapped, review=ReviewConfig())
    return ran.workspace.path, ran.review, planted


def test_a_run_reviews_in_a_process_beside_its_own_and_stores_what_a_review_finds(reviewed, tmp_path):
    path, result, _ = reviewed
    stored = pd.read_parquet(path / "review.parquet")
    pd.testing.assert_frame_equal(stored, result.table.drop(columns="status"), check_dtype=False)
    again = review_collection(shutil.copytree(path, tmp_path / "again"))
    pd.testing.assert_frame_equal(again.table, result.table)
    pd.testing.assert_frame_equal(again.scores, result.scores)
    timings = json.loads((path / "manifest.json").read_text())["timings"]
    assert timings["review beside"] > 0 and "review" in timings


def test_a_run_storing_half_precision_embeddings_hands_the_review_what_it_stores(collection, tmp_path):
    from imgorg.config import EmbedConfig

    root, _ = collection
    config = RunConfig(embed=EmbedConfig(float16=True), cluster=CONFIG.cluster, map=MapConfig(method="pca"))
    review = ReviewConfig(kinds=("copy", "outlier", "label_issue"))  # what reads the embeddings
    ran = run(root, tmp_path / "ws", config, review=review)
    again = review_collection(shutil.copytree(tmp_path / "ws", tmp_path / "again"), review)
    pd.testing.assert_frame_equal(again.table, ran.review.table)


def test_a_run_too_large_to_hand_its_embeddings_over_reviews_its_written_workspace_alike(reviewed, collection,
                                                                                        tmp_path, monkeypatch):
    import imgorg.tasks.run as run_task

    root, _ = collection
    monkeypatch.setattr(run_task, "HANDED_MAX_BYTES", 0)  # the review starts once the workspace is written
    mapped = RunConfig(cluster=CONFIG.cluster, map=MapConfig(method="pca"))
    ran = run(root, tmp_path / "ws", mapped, review=ReviewConfig())
    pd.testing.assert_frame_equal(ran.review.table, reviewed[1].table)
    assert ran.timings["review beside"] > 0


def test_the_run_command_says_what_its_review_found_and_what_it_added(collection, tmp_path):
    # `benchmarks/review_cost.py` reads the review's two clocks from this line
    import re

    root, _ = collection
    result = CliRunner().invoke(app, ["run", str(root), "--out", str(tmp_path / "ws"), "--method", "kmeans",
                                      "--k", "5", "--map", "pca", "--no-report"])
    assert result.exit_code == 0, result.output
    said = re.search(r"Review \(([\d.]+) s beside the run, ([\d.]+) s after it\): (.*copy.*); `imgorg review ",
                     " ".join(result.output.split()))
    assert said and float(said.group(1)) > 0, result.output
    assert "leak" in said.group(3) and (tmp_path / "ws" / "review.parquet").exists()


@pytest.fixture
def fresh(reviewed, tmp_path):
    path, result, planted = reviewed
    return shutil.copytree(path, tmp_path / "ws"), result, planted


def by_path(table, path_end: str):
    return table[table["path"].str.endswith(path_end)]


def test_the_report_totals_the_run_without_the_review_clock_that_ran_beside_it(fresh):
    from imgorg.tasks.report import write_report

    path, _, _ = fresh
    timings = json.loads((path / "manifest.json").read_text())["timings"]
    html = write_report(path).read_text(encoding="utf-8")
    own = sum(seconds for stage, seconds in timings.items() if stage != "review beside")
    assert f"<tr><th>total</th><td>{own:,.1f} s</td></tr>" in html
    assert f"<tr><th>review beside</th><td>{timings['review beside']:,.1f} s</td></tr>" in html


def test_copies_are_grouped_with_the_copy_to_keep_and_its_reason(reviewed):
    _, result, _ = reviewed
    copies = result.table[result.table["kind"] == "copy"]
    same = by_path(copies, "dog/same.jpg")
    assert len(same) == 1 and same["reason"].iat[0].startswith("the same file as")
    enlarged = by_path(copies, "ship/enlarged.jpg")  # more pixels, but blurry: the sharp original is kept
    assert enlarged["action"].iat[0] == "remove" and "sharpest" in enlarged["reason"].iat[0]
    exif = copies[copies["path"].str.contains("frog/with")]
    assert exif["action"].iat[0] == "keep" and "capture time" in exif["reason"].iat[0]
    assert set(copies["action"]) == {"keep", "remove"}
    assert (copies.groupby("group")["action"].apply(lambda a: (a == "keep").sum()) == 1).all()


def test_a_copy_in_another_split_is_a_leak_that_the_training_split_keeps(reviewed):
    _, result, planted = reviewed
    leaks = result.table[result.table["kind"] == "leak"]
    assert planted["leak"] in set(leaks["path"])
    row = leaks[leaks["path"] == planted["leak"]].iloc[0]
    assert row["split"] == "test" and row["action"] == "remove" and "train keeps it" in row["reason"]


def test_the_split_order_a_review_was_given_holds_for_the_next_review_and_a_rerun(reviewed, collection, tmp_path,
                                                                                  caplog):
    """--splits test,train once: later reviews without --splits, and a rerun, keep test first (they fell
    back to train first, and which copy of a leak to remove flipped without a word)."""
    caplog.set_level("INFO")
    root, planted = collection
    path = shutil.copytree(reviewed[0], tmp_path / "ws")
    review_collection(path, ReviewConfig(kinds=("copy", "leak"), splits=("test", "train")))
    again = review_collection(path, ReviewConfig(kinds=("copy", "leak")))
    leaks = again.table[again.table["kind"] == "leak"]
    assert again.splits == ("test", "train") and set(leaks["split"]) == {"train"}
    assert planted["leak"] not in set(leaks["path"]) and "as the last review was given them" in caplog.text
    rerun = run(root, path, CONFIG, review=ReviewConfig(kinds=("copy", "leak")))
    assert set(rerun.review.table.loc[rerun.review.table["kind"] == "leak", "split"]) == {"train"}
    back = review_collection(path, ReviewConfig(kinds=("copy", "leak"), splits=("train", "test")))  # said: changed
    assert set(back.table.loc[back.table["kind"] == "leak", "split"]) == {"test"}


def test_a_split_folder_left_out_of_the_splits_given_is_said(tmp_path):
    root = tmp_path / "images"
    for split, n in (("train", 3), ("val", 2), ("test", 2)):
        extract_cifar(root / split, per_class=n, split="train" if split == "train" else "test")
    ws = run(root, tmp_path / "ws", CONFIG).workspace
    result = review_collection(ws, ReviewConfig(kinds=("leak",), splits=("train", "test")))
    assert any(n.startswith("val not among the splits given (train,test)") for n in result.notes), result.notes


def test_the_review_says_how_often_its_label_classifier_is_right(reviewed):
    import re

    _, result, _ = reviewed
    said = [n for n in result.notes if n.startswith("label issues: the classifier behind them gets")]
    assert len(said) == 1 and 10 <= int(re.search(r"gets (\d+)%", said[0]).group(1)) <= 100, result.notes


def test_bad_shots_are_flagged_with_reasons(reviewed):
    _, result, _ = reviewed
    assert by_path(result.table[result.table["kind"] == "dark"], "ship/dark.jpg").shape[0] == 1
    assert by_path(result.table[result.table["kind"] == "blurry"], "ship/enlarged.jpg").shape[0] == 1
    assert set(result.scores.columns) >= {"id", "edge_width", "brightness", "clipped"}
    assert len(result.scores) == len(imgorg.load_workspace(reviewed[0]).images)


def test_no_labels_in_a_flat_folder_and_no_splits_are_said_once_not_errors(tmp_path):
    assert split_of(["a.jpg", "b/c.jpg"]) is None
    assert split_of(["train/a.jpg", "test/b.jpg"]).tolist() == ["train", "test"]
    with pytest.raises(ConfigError, match="no split 'val' in this collection; its top-level folders: test, train"):
        split_of(["train/a.jpg", "test/b.jpg"], ("train", "val"))
    with pytest.raises(ConfigError, match="kinds .* must be one or more of copy, similar"):
        ReviewConfig(kinds=("copies",)).validate()


def test_accepting_copies_removes_them_from_clusters_search_and_exports_and_undo_brings_them_back(fresh):
    path, _, _ = fresh
    ws = imgorg.load_workspace(path)
    before = ws.clusters()["size"].sum()
    same = int(by_path(ws.review(), "dog/same.jpg")["id"].iat[0])
    done = accept_findings(ws, "copy")
    ws = done[-1].workspace
    removed = set(ws.images["id"][ws.removed()])
    assert same in removed and ws.clusters()["size"].sum() == before - len(removed)
    assert same not in set(export_table(ws)["id"]) and same in set(removed_files(ws)["id"])
    found = find_similar(ws, SearchConfig(resolve_query(image_id=same), k=5))
    assert all(int(ws.images["id"].iat[n.row]) not in removed for n in found.neighbours)
    # from Python a plain id (or a file's path) is a query too, and the answer names ids
    plain = find_similar(ws, SearchConfig(same, k=5))
    assert plain.ids == found.ids == [int(ws.images["id"].iat[n.row]) for n in found.neighbours]
    by_file = find_similar(ws, SearchConfig(ws.root / "train" / "dog" / "same.jpg", k=5))
    assert len(by_file.ids) == 5
    with pytest.raises(ConfigError, match="not an image, an image id or words"):
        find_similar(ws, SearchConfig(3.5, k=5))
    assert (ws.review().query("kind == 'copy'")["status"] == "accepted").all()
    edit_clusters(ws, Undo())
    ws = imgorg.load_workspace(path)
    assert not ws.removed().any() and ws.clusters()["size"].sum() == before


def test_the_copy_kept_inherits_the_capture_time_and_gps_it_lacked(fresh):
    path, _, _ = fresh
    ws = imgorg.load_workspace(path)
    images = ws.images.set_index("path")
    kept, gone = "train/frog/with_exif.jpg", "train/frog/without_exif.jpg"
    assert images.at[kept, "gps_lat"] == pytest.approx(48.85, abs=1e-3)
    # remove the one with EXIF, keeping the other: the other takes its capture time and GPS
    edit_clusters(ws, imgorg.curation.Remove((int(images.at[kept, "id"]),), (int(images.at[gone, "id"]),), "copy"))
    after = imgorg.load_workspace(path).images.set_index("path")
    assert after.at[gone, "gps_lat"] == pytest.approx(48.85, abs=1e-3)
    assert after.at[gone, "taken_at_source"] == "exif" and str(after.at[gone, "taken_at"]).startswith("2024-05-01")


def test_dismissing_keeps_both_and_an_unknown_kind_lists_the_valid_ones(fresh):
    path, _, _ = fresh
    one = int(imgorg.load_workspace(path).review().query("kind == 'dark'")["id"].iat[0])
    dismiss_findings(path, "dark", ids=one)  # one id as it is, not in a list (a TypeError: 'int' is not iterable)
    assert imgorg.load_workspace(path).review().set_index("id").loc[one].query("kind == 'dark'")["status"].item() \
        == "dismissed"
    if (imgorg.load_workspace(path).review().query("kind == 'dark'")["status"] == "open").any():
        dismiss_findings(path, "dark")
    ws = imgorg.load_workspace(path)
    assert (ws.review().query("kind == 'dark'")["status"] == "dismissed").all() and not ws.removed().any()
    with pytest.raises(ConfigError, match="unknown kind 'darkness'; kinds: copy, similar"):
        accept_findings(ws, "darkness")
    with pytest.raises(ConfigError, match="no open dark finding to accept"):
        accept_findings(ws, "dark")


def test_the_review_command_prints_a_summary_acts_and_undoes(fresh):
    path, _, _ = fresh
    runner = CliRunner()
    stored = runner.invoke(app, ["review", str(path), "--json"])  # the stored review, shown as it is
    assert stored.exit_code == 0, stored.output
    every = {row["kind"]: row["images"] for row in json.loads(stored.stdout)}  # JSON alone on stdout
    assert {"copy", "dark", "leak", "label_issue"} <= set(every)
    shown = runner.invoke(app, ["review", str(path), "--json", "--kinds", "copy,dark,leak"])
    assert shown.exit_code == 0, shown.output
    kinds = {row["kind"] for row in json.loads(shown.stdout)}
    assert kinds == {"copy", "dark", "leak"}
    assert "findings of kinds not looked for now are kept" in shown.stderr
    again = {row["kind"]: row["images"] for row in json.loads(runner.invoke(app, ["review", str(path), "--json"]).stdout)}
    assert again == every  # looking again for some kinds kept the others' findings
    for refused, says in ((["--accept", "copy", "--dismiss", "copy"], "--accept and --dismiss cannot be given together"),
                          (["--ids", "3"], "--ids names the images to accept or dismiss")):
        answer = runner.invoke(app, ["review", str(path), *refused])
        assert answer.exit_code != 0 and says in str(answer.exception), answer.output
    accepted = runner.invoke(app, ["review", str(path), "--accept", "leak"])
    assert accepted.exit_code == 0 and "Removed 1 image (leak)" in accepted.output
    # --json keeps a kind with nothing open, with its counts (a script asks how many leaks went)
    counted = {row["kind"]: row for row in json.loads(runner.invoke(app, ["review", str(path), "--json"]).stdout)}
    assert counted["leak"]["open"] == 0 and counted["leak"]["accepted"] == 1
    listed = runner.invoke(app, ["export", str(path), "--removed", str(path / "removed.csv")])
    assert listed.exit_code == 0 and "1 removed files listed" in listed.output
    undone = runner.invoke(app, ["review", str(path), "--undo"])
    assert undone.exit_code == 0 and "Undone: removed 1 image (leak)" in undone.output
    assert not imgorg.load_workspace(path).removed().any()
    wrong = runner.invoke(app, ["review", str(path), "--accept", "copy", "--ids", "x"])
    assert wrong.exit_code != 0 and "--ids takes image ids" in str(wrong.exception)


def test_similar_shots_are_asked_for_and_keep_the_copies_apart(fresh, monkeypatch):
    import imgorg.duplicates as duplicates
    import imgorg.tasks.review as review_task

    path, _, _ = fresh
    assert "similar" not in ReviewConfig().kinds  # opt-in: it aligns every candidate pair
    reads, read = [], duplicates.image_thumbnails

    def counted(*args, **options):
        reads.append(len(args[1]))
        return read(*args, **options)

    for module in (duplicates, review_task):  # wherever the review may read thumbnails from
        monkeypatch.setattr(module, "image_thumbnails", counted)
    result = review_collection(path, ReviewConfig(kinds=("copy", "similar", "leak")))
    assert reads == [len(imgorg.load_workspace(path).images)]  # each image read once, for every kind
    table = result.table
    assert set(table["kind"]) <= {"copy", "similar", "leak"} and "similar" in result.seconds
    same = by_path(table[table["kind"] == "copy"], "dog/same.jpg")
    assert len(same) == 1 and same["action"].iat[0] == "remove"  # an exact copy stays a copy
    series = table[table["kind"] == "similar"]
    assert (series.groupby("group")["action"].apply(lambda a: (a == "keep").sum()) == 1).all()


def test_a_disk_without_room_to_keep_pixels_gets_the_same_review(fresh, monkeypatch):
    # the first read keeps the pixels the checks need in the workspace's cache; without the room, they decode again
    import imgorg.review.kept as kept

    path, result, _ = fresh
    monkeypatch.setattr(kept, "DISK_MARGIN", 1 << 60)
    again = review_collection(path, ReviewConfig())
    pd.testing.assert_frame_equal(again.table, result.table)
    pd.testing.assert_frame_equal(again.scores, result.scores)


def test_the_kept_pixels_leave_the_cache_with_the_review_and_after_a_killed_one(fresh, monkeypatch):
    import subprocess
    import sys

    import imgorg.review.kept as kept

    path, _, _ = fresh
    removed, rmtree = {}, kept.shutil.rmtree

    def remove(folder, **options):  # what each removed folder held
        removed[Path(folder).name] = sorted(p.name for p in Path(folder).iterdir())
        rmtree(folder, **options)

    monkeypatch.setattr(kept.shutil, "rmtree", remove)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = path / "cache" / f"{kept.PREFIX}{int(dead.stdout)}-x1"  # left by a review whose process is gone
    orphan.mkdir(parents=True)
    np.save(orphan / "a.npy", np.zeros(3))
    review_collection(path, ReviewConfig())
    assert removed.pop(orphan.name) == ["a.npy"] and not orphan.exists()
    # the review's own folder held the pixels of the 128 px copy (the 32 px images keep none), and is gone
    assert len(removed) == 1 and len(next(iter(removed.values()))) >= 1
    assert not list((path / "cache").glob(f"{kept.PREFIX}*"))


def test_a_review_that_fails_beside_the_map_leaves_the_run_complete_and_says_why(collection, tmp_path):
    root, _ = collection
    mapped = RunConfig(cluster=CONFIG.cluster, map=MapConfig(method="pca"))
    ran = run(root, tmp_path / "ws", mapped, review=ReviewConfig(splits=("train", "holdout")))
    assert ran.review is None and isinstance(ran.review_error, ConfigError)
    assert "no split 'holdout'" in str(ran.review_error) and "train" in str(ran.review_error)
    ws = imgorg.load_workspace(tmp_path / "ws")  # written whole: the map and the timings too
    assert ws.maps(2) and "map" in ws.manifest["timings"] and not (tmp_path / "ws" / "review.parquet").exists()
    result = CliRunner().invoke(app, ["run", str(root), "--out", str(tmp_path / "cli"), "--method", "kmeans",
                                      "--k", "5", "--map", "pca", "--no-report", "--splits", "train,holdout"])
    # the run's summary first, then the review's error (`imgorg` turns it into exit code 2 and its message)
    assert isinstance(result.exception, ConfigError) and "Workspace:" in result.output


def test_review_settings_a_run_cannot_use_are_refused_before_anything_is_embedded(collection, tmp_path):
    root, _ = collection
    with pytest.raises(ConfigError, match="two or more"):
        run(root, tmp_path / "ws", CONFIG, review=ReviewConfig(splits=("train",)))
    assert not (tmp_path / "ws" / "manifest.json").exists()


def test_a_run_that_reviews_decodes_each_large_photo_once_with_the_same_result(tmp_path, monkeypatch):
    # imgorg run keeps the 1/8 decodes of large JPEGs for the review: the same embeddings, the same review
    import contextlib
    import os

    import imgorg.tasks.review as review_task
    import imgorg.tasks.run as run_task

    from .photo_corpus import encode, source_photo

    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("chelsea", "coffee", "astronaut"):
        (folder / f"{name}.jpg").write_bytes(encode(source_photo(name, big=True), "JPEG", quality=90))
    (folder / "chelsea_again.jpg").write_bytes(encode(source_photo("chelsea", big=True), "JPEG", quality=80))
    source_photo("rocket").save(folder / "small.png")
    seen, real = [], review_task.first_read_decodes

    @contextlib.contextmanager
    def recording(cache):
        seen.append(sorted(os.listdir(cache / "first-read")))
        with real(cache) as decode:
            yield decode

    monkeypatch.setattr(review_task, "first_read_decodes", recording)
    # the review follows in this process, not beside it, where the test sees what it reads
    monkeypatch.setattr(run_task, "_review_beside", lambda *args: None)
    config = RunConfig(cluster=ClusterConfig(method="kmeans", k=2), map=MapConfig(method="none"))
    kept = run(folder, tmp_path / "kept", config, review=ReviewConfig())
    assert len(seen) == 1 and len(seen[0]) == 3 * 4  # the four 12-MP JPEGs' first reads, three files each
    assert not (tmp_path / "kept" / "cache" / "first-read").exists()  # read once, then gone
    monkeypatch.setattr(review_task, "first_read_decodes", real)
    plain = run(folder, tmp_path / "plain", config).workspace
    assert not (tmp_path / "plain" / "cache" / "first-read").exists()
    np.testing.assert_array_equal(kept.workspace.embeddings, plain.embeddings)
    without = review_collection(plain)
    pd.testing.assert_frame_equal(kept.review.table, without.table)
    pd.testing.assert_frame_equal(kept.review.scores, without.scores)


def test_a_run_cut_short_after_embedding_leaves_no_kept_decodes(tmp_path, monkeypatch):
    # the embed stage keeps large JPEGs' decodes for the review; a run that ends before it reads them
    # removes them, and a later run without a review removes what a killed run left
    import imgorg.tasks.run as run_task

    from .photo_corpus import encode, source_photo

    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("chelsea", "coffee"):
        (folder / f"{name}.jpg").write_bytes(encode(source_photo(name, big=True), "JPEG", quality=90))
    kept = tmp_path / "ws" / "cache" / "first-read"
    seen = []

    def interrupted(*args, **kwargs):
        seen.append(sorted(p.name for p in kept.iterdir()))
        raise KeyboardInterrupt

    monkeypatch.setattr(run_task, "_review_beside", lambda *args: None)
    monkeypatch.setattr(run_task, "analyse", interrupted)
    config = RunConfig(cluster=ClusterConfig(method="kmeans", k=2), map=MapConfig(method="none"))
    with pytest.raises(KeyboardInterrupt):
        run(folder, tmp_path / "ws", config, review=ReviewConfig())
    assert len(seen) == 1 and len(seen[0]) == 3 * 2  # it was kept: three files of each photo's first read
    assert not kept.exists()
    kept.mkdir(parents=True)  # as a run killed outright (SIGKILL) leaves it
    (kept / ("0" * 64 + ".q.npy")).write_bytes(b"")
    monkeypatch.undo()
    run(folder, tmp_path / "ws", config)
    assert not kept.exists()


def test_open_findings_are_the_decisions_left_and_every_count_of_them_is_one():
    """The copy kept of a group (action keep) was counted open in some places and not in others."""
    from imgorg.review.table import is_open, summary

    table = pd.DataFrame({"id": [1, 2, 3, 4, 5], "kind": ["copy"] * 3 + ["dark"] * 2, "group": [0, 0, 0, -1, -1],
                          "score": [1.0, 0.9, 0.8, 0.5, 0.4], "action": ["keep", "remove", "look", "look", "look"],
                          "path": list("abcde"), "status": ["open", "open", "dismissed", "accepted", "set aside"]})
    assert is_open(table).tolist() == [False, True, False, False, False]
    rows = summary(table).set_index("kind")
    assert rows.loc["copy", ["images", "groups", "open", "accepted", "dismissed", "set_aside"]].tolist() == [3, 1, 1, 0, 1, 0]
    assert rows.at["copy", "suggested"] == "1 remove" and rows.at["copy", "examples"] == ["b"]
    assert rows.loc["dark", ["open", "accepted", "set_aside"]].tolist() == [0, 1, 1]
    unstored = summary(table.drop(columns="status")).set_index("kind")  # a review not stored yet: all open
    assert unstored["open"].to_dict() == {"copy": 2, "dark": 2}


def test_a_copy_group_across_splits_keeps_its_copy_in_the_split_that_keeps_what_splits_share():
    from imgorg.review.copies import copy_findings, prefer_split
    from imgorg.review.leaks import split_of

    images = pd.DataFrame({"id": [10, 11, 12], "path": ["test/a.png", "train/b.jpg", "val/c.jpg"],
                           "sha256": ["a", "b", "c"], "bytes": [900, 500, 400]})
    groups = pd.DataFrame({"group": 0, "id": [10, 11, 12], "path": images["path"], "kind": "near",
                           "similarity": [1.0, 0.97, 0.95], "keep": [True, False, False]})
    split = split_of(images["path"])
    kept = prefer_split(groups, images, split)
    assert kept.loc[kept["keep"], "id"].tolist() == [11] and kept.loc[kept["id"] == 10, "similarity"].item() == 0.97
    found = copy_findings(kept, images)
    assert found.loc[found["action"] == "keep", "reason"].item().endswith("the copy in train, the split that keeps "
                                                                          "what splits share")
    ordered = prefer_split(groups, images, split, ("val", "train", "test"))  # --splits names the order
    assert ordered.loc[ordered["keep"], "id"].tolist() == [12]
    pd.testing.assert_frame_equal(prefer_split(groups, images, None), groups)  # no splits: as the keep rule chose


def test_accepting_every_kind_at_once_keeps_one_image_of_each_pair_and_says_each_kind(fresh):
    from imgorg.tasks.export import removed_files

    path, _, _ = fresh
    table = imgorg.load_workspace(path).review()
    accept_findings(path)
    ws = imgorg.load_workspace(path)
    removed = set(ws.images["id"][ws.removed()])
    for kind in ("copy", "leak", "similar"):
        for row in table[(table["kind"] == kind) & table["partner"].notna()].itertuples():
            assert int(row.partner) not in removed or row.id not in removed, (kind, row.path)
    listed = removed_files(ws)
    assert len(listed) == len(removed) and "review" not in set(listed["kind"])
    assert all(Path(f).is_file() and f.endswith(p) for f, p in zip(listed["file"], listed["path"]))  # nothing deleted
    # every kind at once acts on suggestions to remove or relabel; a finding that asks for a look stays open
    acted = table.loc[table["action"].isin(["remove", "relabel"]), "id"]
    looks = table[(table["action"] == "look") & ~table["id"].isin(list(acted))]  # only looked at
    assert len(looks) and not looks["id"].isin(list(removed)).any()
    assert set(listed["kind"]) <= set(table.loc[table["action"] == "remove", "kind"])
    accept_findings(path, "dark")  # named, a kind's looks are acted on
    assert imgorg.load_workspace(path).removed().sum() > len(removed)
    listed = removed_files(imgorg.load_workspace(path))  # in id order, not the order of the edits
    assert listed["id"].is_monotonic_increasing and len(listed) > len(removed)


def test_a_removal_never_sets_aside_the_copy_another_removal_keeps():
    from imgorg.tasks.review import _one_stays

    found = pd.DataFrame({"id": [1, 2, 3, 4], "kind": ["similar", "leak", "blurry", "copy"],
                          "partner": pd.array([2, 1, None, 5], dtype="Int64")})
    # the leak (2, keeping 1) goes first; the similar shot 1 is then kept for it; 4's copy 5 was set aside
    stays = _one_stays(found, removed={5: None})
    assert sorted(stays["id"]) == [2, 3]


def test_a_png_holding_a_jpegs_pixels_is_its_conversion_and_the_jpeg_is_kept(tmp_path):
    # "least compressed" would keep the larger PNG; a PNG that a JPEG was made from stays kept
    from imgorg.review.copies import prefer_source_jpeg

    from .photo_corpus import encode, source_photo

    photo = source_photo("chelsea")
    (tmp_path / "shot.jpg").write_bytes(encode(photo, "JPEG", quality=80))
    Image.open(tmp_path / "shot.jpg").save(tmp_path / "shot.png")  # the JPEG's pixels, losslessly
    photo.save(tmp_path / "drawn.png")
    (tmp_path / "drawn.jpg").write_bytes(encode(photo, "JPEG", quality=80))  # the PNG's lossy copy
    images = pd.DataFrame({"id": [0, 1, 2, 3], "path": ["shot.png", "shot.jpg", "drawn.png", "drawn.jpg"],
                           "format": ["PNG", "JPEG", "PNG", "JPEG"], "width": photo.width, "height": photo.height})
    groups = pd.DataFrame({"group": [0, 0, 1, 1], "id": [0, 1, 2, 3], "path": images["path"], "kind": "near",
                           "similarity": [1.0, 0.99, 1.0, 0.98], "keep": [True, False, True, False]})
    kept = prefer_source_jpeg(groups, images, tmp_path)
    assert kept.loc[kept["keep"], "path"].tolist() == ["shot.jpg", "drawn.png"]
    assert kept.loc[kept["path"] == "shot.jpg", "because"].item().startswith("the JPEG whose pixels the PNG copy holds")


def test_the_copy_kept_is_the_cameras_jpeg_with_its_raw_or_the_one_a_person_rated():
    # a JPEG with its camera RAW beside it is an original, as a HEIC is; a rating or keywords (a person's
    # own) then decide over pixels and bytes
    from imgorg.duplicates.grouping import _keep_order
    from imgorg.review.copies import why_keep

    members = pd.DataFrame({"id": [0, 1, 2], "path": ["a.heic", "b.jpg", "c.jpg"], "bytes": [900, 800, 2000],
                            "sha256": ["x", "y", "z"], "format": ["HEIF", "JPEG", "JPEG"],
                            "original": [None, "DSC_0100.DNG", None], "taken_at_source": "exif",
                            "gps_lat": [None, None, None], "rating": pd.array([None, 4, None], dtype="Int64"),
                            "keywords": [None, "grandma", None], "width": 100, "height": 100})
    order = _keep_order(members, None)
    assert members["path"].iloc[order].tolist() == ["b.jpg", "a.heic", "c.jpg"]
    assert why_keep(members, 1, [0]) == "it has a rating or keywords"
    assert why_keep(members, 1, [2]).startswith("the camera's JPEG with its RAW (DSC_0100.DNG)")
    # a frame rejected in Lightroom (rating -1) was kept "it has a rating or keywords" over the frames kept
    rejected = members.assign(rating=pd.array([None, -1, 0], dtype="Int64"), keywords=None)
    order = _keep_order(rejected, None)
    assert rejected["path"].iloc[order].tolist() == ["a.heic", "c.jpg", "b.jpg"]
    # b.jpg is rejected, c.jpg a conversion: each rule is said
    assert why_keep(rejected, 0, [1, 2]) == "not rejected (a rating of -1), then the camera's own HEIF file"
    assert why_keep(rejected, 2, [1]) == "the others were rejected (rated -1)"


def test_of_identical_files_the_one_not_named_like_a_copy_then_the_oldest_is_kept():
    from imgorg.duplicates.grouping import _keep_order
    from imgorg.review.copies import why_keep

    same = dict(bytes=900, sha256="x", format="JPEG", original=None, gps_lat=None, rating=None, keywords=None)
    named = pd.DataFrame({"id": [0, 1, 2], "path": ["edits/copy_0.jpg", "misc/IMG_1 (2).jpg", "misc/IMG_1.jpg"],
                          "taken_at": pd.Timestamp("2024-05-01"), "taken_at_source": "exif", **same})
    order = _keep_order(named, None)
    assert named["path"].iloc[order[0]] == "misc/IMG_1.jpg"  # the lowest id was kept before
    assert why_keep(named, 2, [0, 1]) == "identical files: the others are named like copies or kept in a backup folder"
    # a camera's file and its byte copy in Backup/ (which sorts first): the camera's is kept
    backup = pd.DataFrame({"id": [0, 1], "path": ["Backup/DSC01003.JPG", "DCIM/100MSDCF/DSC01003.JPG"],
                           "taken_at": pd.Timestamp("2024-05-01"), "taken_at_source": "exif", **same})
    assert backup["path"].iloc[_keep_order(backup, None)[0]] == "DCIM/100MSDCF/DSC01003.JPG"
    dated = pd.DataFrame({"id": [0, 1], "path": ["a.jpg", "b.jpg"], "taken_at_source": "file",
                          "taken_at": pd.to_datetime(["2024-05-02", "2023-01-01"]), **same})
    assert _keep_order(dated, None)[0] == 1 and why_keep(dated, 1, [0]) == "identical files: the oldest file"



def test_a_scanners_exif_datetime_is_no_capture_time_for_the_copy_kept():
    # a flatbed writes the day it scanned into EXIF DateTime: a 300 dpi TIFF was kept over the 600 dpi
    # re-scan of the same print, "it has the capture time", the day of scanning
    from imgorg.duplicates.grouping import _keep_order
    from imgorg.review.copies import why_keep

    scans = pd.DataFrame({"id": [0, 1], "path": ["1970s/scan0001.tif", "Album 3/Scan 27.tiff"], "sha256": ["a", "b"],
                          "bytes": [5_000_000, 20_000_000], "format": "TIFF", "original": None,
                          "width": [1300, 2600], "height": [1300, 2600], "gps_lat": None, "rating": None,
                          "keywords": None, "taken_at_source": ["exif_datetime", "file"],
                          "taken_at": pd.to_datetime(["2024-03-02 14:21:07", "2024-05-11 10:02:33"])})
    assert _keep_order(scans, None)[0] == 1
    assert why_keep(scans, 1, [0]) == "most pixels (2600x2600)"
    photographed = scans.assign(taken_at_source=["exif", "file"])  # a camera's DateTimeOriginal still decides
    assert _keep_order(photographed, None)[0] == 0 and why_keep(photographed, 0, [1]) == "it has the capture time"


def test_copies_of_one_size_and_capture_time_say_the_rule_that_kept_one():
    # one photo exported twice, both with the camera's capture time, of one size and one file size (the
    # exports differ in a few bytes of metadata): it was "the least compressed", which neither is
    from imgorg.duplicates.grouping import _keep_order
    from imgorg.review.copies import why_keep

    exports = pd.DataFrame({"id": [0, 1], "path": ["export/IMG_0001 copy.jpg", "export/IMG_0001.jpg"],
                            "sha256": ["x", "y"], "bytes": 4_200_000, "format": "JPEG", "original": None,
                            "taken_at": pd.Timestamp("2024-05-01 10:30:00"), "taken_at_source": "exif",
                            "gps_lat": None, "rating": None, "keywords": None, "width": 6000, "height": 4000})
    assert _keep_order(exports, None)[0] == 1
    assert why_keep(exports, 1, [0]) == "the others are named like copies or kept in a backup folder"
    unnamed = exports.assign(path=["export/IMG_0001.jpg", "export/IMG_0001-1.jpg"])
    assert _keep_order(unnamed, None)[0] == 0 and why_keep(unnamed, 0, [1]) == "the first found"
    larger = exports.assign(bytes=[4_300_000, 4_200_000])  # the least compressed decides, before the name
    assert _keep_order(larger, None)[0] == 0
    assert why_keep(larger, 0, [1]) == "the least compressed (largest file at its size)"


def _copies_of(tmp_path, saved: dict, **columns) -> pd.DataFrame:
    """A catalog of the files ``saved`` ({name: (image, save options)}) written to ``tmp_path``, as the copy
    search reads them: their sizes and bytes, no capture time, GPS or rating unless ``columns`` say."""
    for name, (image, options) in saved.items():
        image.save(tmp_path / name, **options)
    names = list(saved)
    sizes = [Image.open(tmp_path / n).size for n in names]
    return pd.DataFrame({"id": range(len(names)), "path": names, "sha256": names, "format": "JPEG", "original": None,
                         "bytes": [(tmp_path / n).stat().st_size for n in names], "width": [w for w, _ in sizes],
                         "height": [h for _, h in sizes], "taken_at_source": "file", "gps_lat": None,
                         "rating": None, "keywords": None, **columns})


def _noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def test_a_copy_kept_over_its_crop_says_so(tmp_path):
    # the order keeps the whole picture, but a crop of as many pixels in more bytes was "the first found"
    from imgorg.duplicates.grouping import duplicates_frame
    from imgorg.review.copies import copy_findings

    photo = _noise((192, 108))
    crop = photo.crop((60, 0, 121, 108)).resize((108, 192))  # a phone's 9:16 crop, saved at the photo's pixels
    images = _copies_of(tmp_path, {"photo.jpg": (photo, {"quality": 30}), "crop.jpg": (crop, {"quality": 100})})
    assert images["bytes"].iat[1] > images["bytes"].iat[0]  # the case: the crop is the larger file
    frame = duplicates_frame(images, np.eye(2, dtype=np.float32), np.zeros(2, np.int64), tmp_path,
                             crops=np.array([[1, 0]]))
    found = copy_findings(frame, images).set_index("row")
    assert found.at[0, "reason"] == "the copy kept: the whole picture, the others are crops"
    assert found.at[1, "reason"].endswith("which is kept: the whole picture, the others are crops")


def test_a_file_kept_over_its_symbolic_link_says_so(tmp_path):
    # the order keeps the real file, but the reason said "the first found is kept" of the link found first
    from imgorg.duplicates.grouping import duplicate_groups, duplicates_frame
    from imgorg.review.copies import copy_findings

    images = _copies_of(tmp_path, {"photo.jpg": (_noise((64, 48)), {})})
    (tmp_path / "a_link.jpg").symlink_to(tmp_path / "photo.jpg")
    images = pd.concat([images.assign(path="a_link.jpg"), images.assign(id=1)], ignore_index=True)
    frame = duplicates_frame(images, np.eye(2, dtype=np.float32), duplicate_groups(2, images["sha256"].to_numpy()),
                             tmp_path)
    found = copy_findings(frame, images, tmp_path).set_index("row")
    assert found.at[1, "action"] == "keep"
    assert found.at[1, "reason"] == "the copy kept: identical files: a real file, the others are symbolic links"
    assert found.at[0, "reason"] == ("the same file as photo.jpg (1.00), which is kept: identical files: a real file, "
                                     "the others are symbolic links")


@pytest.mark.parametrize("column, has, lacks", [("taken_at_source", "exif", "file"), ("gps_lat", 48.85, None)],
                         ids=["capture time", "GPS"])
def test_a_capture_time_that_only_some_copies_lack_is_said_with_the_rule_that_decided_the_rest(
        tmp_path, column, has, lacks):
    # "it has the capture time" where another copy had one too, and was removed for having fewer pixels
    from imgorg.duplicates.grouping import _keep_order
    from imgorg.review.copies import why_keep

    photo = _noise((64, 48))
    images = _copies_of(tmp_path, {"kept.jpg": (photo, {}), "larger.jpg": (photo.resize((128, 96)), {}),
                                   "smaller.jpg": (photo.resize((32, 24)), {})}, **{column: [has, lacks, has]})
    assert images["path"].iloc[_keep_order(images, tmp_path)].tolist() == ["kept.jpg", "smaller.jpg", "larger.jpg"]
    said = "it has the capture time" if column == "taken_at_source" else "it has GPS"
    assert why_keep(images, 0, [1, 2]) == f"{said}, then most pixels (64x48)"
    assert why_keep(images, 0, [1]) == said  # where it sets the copy apart from every other
    assert why_keep(images, 0, [2]) == "most pixels (64x48)"


def test_the_least_compressed_is_said_in_a_group_with_a_smaller_copy(tmp_path):
    # the bytes were compared with the smaller copy too (a larger file of fewer pixels): "the first found"
    from imgorg.duplicates.grouping import _keep_order
    from imgorg.review.copies import why_keep

    photo = _noise((64, 48))
    images = _copies_of(tmp_path, {"kept.jpg": (photo, {"quality": 90}), "saved.jpg": (photo, {"quality": 40}),
                                   "small.png": (photo.resize((48, 36)), {})})
    assert images["bytes"].iat[2] > images["bytes"].iat[0] > images["bytes"].iat[1]  # the case
    assert images["path"].iloc[_keep_order(images, tmp_path)].tolist() == ["kept.jpg", "saved.jpg", "small.png"]
    assert why_keep(images, 0, [1, 2]) == \
        "most pixels (64x48), then the least compressed (largest file at its size)"
    assert why_keep(images, 0, [1]) == "the least compressed (largest file at its size)"

def test_label_issues_not_looked_for_in_folders_that_are_no_classes_say_why():
    # six folders of scans (1960s/, Album 3/, ...) were said to be "fewer than two classes" with labels
    from imgorg.tasks.review import not_looked_for

    scans = pd.DataFrame({"path": ["1960s/scan0001.tif", "1970s/Scan 2.jpeg", "Album 3/Scan.jpeg"], "label": None})
    said = not_looked_for(scans, False)["label_issue"]
    assert said.startswith("no label issues looked for: folders named as") and "(1960s, 1970s, Album 3)" in said
    one = pd.DataFrame({"path": ["cats/a.jpg", "cats/b.jpg"], "label": "cats"})  # one class folder
    assert not_looked_for(one, False)["label_issue"].endswith("fewer than two classes have labels (labels are the "
                                                              "images' folder names)")


def test_similar_shots_are_said_not_looked_for_among_images_too_small_to_tell():
    from imgorg.tasks.review import not_looked_for

    tiny = pd.DataFrame({"label": ["cat", "dog"], "width": [32, 32], "height": [32, 32]})
    default = ("copy", "blurry")  # the default review: similar shots only where copies of photos fall apart
    said = not_looked_for(tiny, True, default)["similar"]
    assert said.startswith("no similar shots looked for: every image is under 96 px")
    assert "similar" not in not_looked_for(tiny, True, ("copy", "similar"))
    photos = tiny.assign(width=[32, 640], height=[32, 480])
    assert "similar" not in not_looked_for(photos, True, default)


def test_an_enlargement_is_not_kept_over_the_smaller_copy_it_was_made_from(tmp_path):
    # "most pixels" kept a 64 px PNG upscale and suggested removing the 32 px JPEG it came from
    from imgorg.review.copies import prefer_unenlarged

    from .conftest import extract_cifar
    from .photo_corpus import source_photo

    small = Image.open(next(extract_cifar(tmp_path / "cifar", per_class=1).rglob("*.jpg"))).convert("RGB")
    small.save(tmp_path / "original.jpg", quality=95)
    small.resize((64, 64), Image.BICUBIC).save(tmp_path / "enlarged.png")
    small.resize((96, 96), Image.BICUBIC).save(tmp_path / "enlarged more.jpg", quality=90)
    photo = source_photo("astronaut").resize((256, 256), Image.BOX)  # a real photo and its half: no enlargement
    photo.save(tmp_path / "photo.png")
    photo.resize((128, 128), Image.BOX).save(tmp_path / "half.png")
    images = pd.DataFrame({"id": range(5), "path": ["original.jpg", "enlarged.png", "enlarged more.jpg", "photo.png",
                                                    "half.png"], "width": [32, 64, 96, 256, 128],
                           "height": [32, 64, 96, 256, 128]})
    groups = pd.DataFrame({"group": [0, 0, 0, 1, 1], "id": [2, 1, 0, 3, 4], "kind": "near", "similarity": 0.9,
                           "keep": [True, False, False, True, False]})
    kept = prefer_unenlarged(groups, images, tmp_path)
    assert kept.loc[kept["keep"], "id"].tolist() == [0, 3]  # the original, through the 64 px one; the photo stays
    assert kept.loc[kept["id"] == 0, "because"].item().startswith("the others are enlargements of it")


def test_a_screenshot_is_kept_as_its_png_not_its_larger_jpeg_save(tmp_path):
    # a flat UI compresses better as PNG: its JPEG save was kept as "the least compressed"
    from PIL import ImageDraw

    from imgorg.duplicates.grouping import _keep_order
    from imgorg.review.copies import prefer_source_jpeg

    shot = Image.new("RGB", (390, 844), "white")
    draw = ImageDraw.Draw(shot)
    for y in range(40, 800, 36):
        draw.rounded_rectangle((20, y, 300, y + 26), 8, fill=(0, 122, 255) if y % 72 else (229, 229, 234))
        draw.text((30, y + 6), f"message {y}", fill="black")
    shot.save(tmp_path / "IMG_4100.PNG")
    shot.save(tmp_path / "screenshot_chat.jpg", quality=95)
    sizes = [(tmp_path / n).stat().st_size for n in ("IMG_4100.PNG", "screenshot_chat.jpg")]
    assert sizes[1] > sizes[0]  # the case: the JPEG is the larger file
    images = pd.DataFrame({"id": [0, 1], "path": ["IMG_4100.PNG", "screenshot_chat.jpg"], "bytes": sizes,
                           "format": ["PNG", "JPEG"], "width": 390, "height": 844, "sha256": ["a", "b"],
                           "taken_at_source": "file", "gps_lat": None, "rating": None, "keywords": None,
                           "original": None})
    order = _keep_order(images, tmp_path)
    groups = pd.DataFrame({"group": 0, "id": images["id"].iloc[order].to_numpy(), "kind": "near",
                           "similarity": 0.99, "keep": [True, False]})
    assert images["path"].iloc[order[0]] == "screenshot_chat.jpg"  # by bytes alone
    kept = prefer_source_jpeg(groups, images, tmp_path)
    assert kept.loc[kept["keep"], "id"].tolist() == [0]
    assert kept.loc[kept["id"] == 0, "because"].item().startswith("the PNG ")


def test_two_screenshots_of_one_layout_are_no_copies_but_a_resized_one_is(tmp_path, monkeypatch):
    # at the copy check's 256 px the text of two code screenshots is one texture: they passed as copies
    from PIL import ImageDraw

    from imgorg.review.copies import drop_unlike_copies

    def code(seed: int, size=(1920, 1080)) -> Image.Image:
        rng = np.random.default_rng(seed)
        shot = Image.new("RGB", (1920, 1080), (30, 30, 30))
        draw = ImageDraw.Draw(shot)
        for y in range(60, 1040, 22):
            x = 80 + 20 * int(rng.integers(0, 4))
            draw.text((x, y), "".join(rng.choice(list("abcdefghij_(){}=: "), 60)), fill=(200, 200, 160))
        return shot.resize(size, Image.LANCZOS) if size != shot.size else shot

    code(0, (2560, 1440)).save(tmp_path / "a.png")
    code(1).save(tmp_path / "b.png")  # another file's code, same editor
    code(0).save(tmp_path / "a small.png")  # the first, at another size
    images = pd.DataFrame({"id": [0, 1, 2], "path": ["a.png", "b.png", "a small.png"], "format": "PNG",
                           "width": [2560, 1920, 1920], "height": [1440, 1080, 1080]})
    groups = pd.DataFrame({"group": 0, "id": [0, 1, 2], "kind": "near", "similarity": 0.98,
                           "keep": [True, False, False]})
    kept = drop_unlike_copies(groups, images, tmp_path)
    assert kept["id"].tolist() == [0, 2]
    # the copy check's judge compared these pairs already: with its memo nothing is decoded again
    import imgorg.review.copies as copies

    agreed, decodes, decode = {}, [], copies.decode_image
    monkeypatch.setattr(copies, "decode_image", lambda *args, **kwargs: decodes.append(1) or decode(*args, **kwargs))
    for b in (1, 2):
        copies.judge_pair(images, tmp_path, np.ones(3, bool), 0, b, "copy", agreed=agreed)
    assert len(decodes) == 4
    assert drop_unlike_copies(groups, images, tmp_path, agreed)["id"].tolist() == [0, 2] and len(decodes) == 4


def test_a_page_or_screen_is_not_judged_for_exposure(reviewed):
    # white paper and dark themes are a screenshot's or a scan's design: 52 of 84 "overexposed" on a pile
    # of downloads were images tagged "web site"
    from imgorg.embed.tags import Tags
    from imgorg.review.quality import PAGE_CLASSES
    from imgorg.tasks.review import find_in_collection
    from imgorg.vocabulary import class_names

    path, _, _ = reviewed
    ws = imgorg.load_workspace(path)
    dark = find_in_collection(ws, ReviewConfig(kinds=("dark",))).table
    assert len(dark) and ws.tags() is not None
    tags = ws.tags()
    classes = np.array(tags.classes).copy()
    classes[ws.rows_of(dark["id"]), 0] = class_names().index(PAGE_CLASSES[0])  # as if each were a web page
    kept = find_in_collection(ws, ReviewConfig(kinds=("dark",)), tags=Tags(classes, tags.probs)).table
    assert kept.empty


def test_a_screenshot_among_small_photos_is_no_odd_size_but_a_huge_photo_is(tmp_path):
    from imgorg.embed.tags import Tags
    from imgorg.review.quality import PAGE_CLASSES
    from imgorg.tasks.review import find_in_collection
    from imgorg.vocabulary import class_names

    from .conftest import extract_cifar

    folder = tmp_path / "pile"
    folder.mkdir()
    for i, image in enumerate(sorted(extract_cifar(tmp_path / "cifar", per_class=1).rglob("*.jpg"))[:9]):
        Image.open(image).resize((300, 300)).save(folder / f"{i}.jpg")
    huge = Image.open(next(folder.glob("*.jpg"))).resize((1170, 2532))  # 8x their side
    huge.save(folder / "huge.jpg")  # a photo's file
    huge.save(folder / "screen.png")  # a phone screenshot's: a PNG of its screen's size, no camera (quality.screenshots)
    ws = run(folder, tmp_path / "ws", CONFIG).workspace
    odd = find_in_collection(ws, ReviewConfig(kinds=("odd_size",))).table
    assert odd["path"].tolist() == ["huge.jpg"]
    tags = ws.tags()
    classes = np.array(tags.classes).copy()
    classes[ws.rows_of(odd["id"]), 0] = class_names().index(PAGE_CLASSES[0])  # tagged as a web page: a screenshot
    assert find_in_collection(ws, ReviewConfig(kinds=("odd_size",)), tags=Tags(classes, tags.probs)).table.empty


def test_copies_labelled_apart_are_looked_at_not_removed():
    """An exact copy of a frog filed under airplane: removing either copy may lose the right label, so
    the copy is a look, its reason names both labels, and it still pairs with the kept one (leaks)."""
    from imgorg.review.copies import copy_findings, copy_pairs

    images = pd.DataFrame({"id": [10, 11, 12], "path": ["train/airplane/a.jpg", "train/frog/b.jpg", "train/frog/c.jpg"],
                           "label": ["airplane", "frog", "frog"], "sha256": ["s", "s", "t"], "bytes": [9, 9, 8]})
    groups = pd.DataFrame({"group": [0, 0, 0], "id": [10, 11, 12], "keep": [True, False, False],
                           "kind": ["exact", "exact", "near"], "similarity": [1.0, 1.0, 0.95],
                           "because": ["the first found"] * 3})
    found = copy_findings(groups, images)
    assert found["action"].tolist() == ["keep", "look", "look"]
    assert "labelled 'frog' here and 'airplane' there" in found["reason"].iat[1]
    assert len(copy_pairs(found)) == 2
    same = copy_findings(groups, images.assign(label=["frog", "frog", "frog"]))
    assert same["action"].tolist() == ["keep", "remove", "remove"]


def test_a_video_is_no_copy_of_a_photo_of_the_same_moment():
    """A clip's poster frame matched a photo; the review suggested removing the clip (or the photo)."""
    from imgorg.review.copies import drop_videos

    images = pd.DataFrame({"id": [1, 2, 3, 4, 5], "width": [640, 640, 320, 640, 640], "height": [480] * 5,
                           "duration_s": [4.0, None, None, None, 3.0]})
    groups = pd.DataFrame({"group": [0, 0, 0, 1, 1], "id": [1, 2, 3, 4, 5], "keep": [True, False, False, True, False],
                           "kind": ["near"] * 5, "similarity": [1.0, 0.9, 0.9, 1.0, 0.9], "because": ["most pixels"] * 5})
    left = drop_videos(groups, images)
    assert left["id"].tolist() == [2, 3]  # the clips gone, and the group of a photo and a clip with them
    assert left.set_index("id")["keep"].to_dict() == {2: True, 3: False}  # the larger photo kept in the clip's place


def test_the_cli_shows_one_kinds_findings_with_the_ids_accept_takes(reviewed, tmp_path):
    """`--ids` needs ids, and the CLI showed only three example paths per kind."""
    path = shutil.copytree(reviewed[0], tmp_path / "ws")
    out = CliRunner().invoke(app, ["review", str(path), "--show", "leak", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert rows and {"id", "group", "action", "score", "path", "reason", "kind", "status", "partner", "split"} <= set(rows[0])
    assert "\\/" not in out.output and rows[0]["split"] in ("train", "test")  # fields, slashes as they are
    labels = json.loads(CliRunner().invoke(app, ["review", str(path), "--show", "label_issue", "--json"]).output)
    assert labels and all(row["suggested"] for row in labels)  # the suggested label in a field, not only in words
    leak = rows[0]["id"]
    done = CliRunner().invoke(app, ["review", str(path), "--accept", "leak", "--ids", str(leak)])
    assert done.exit_code == 0, done.output
    after = json.loads(CliRunner().invoke(app, ["review", str(path), "--show", "leak", "--json"]).output)
    assert leak not in {r["id"] for r in after}  # accepted: no longer open
    table = CliRunner().invoke(app, ["review", str(path), "--show", "dark"], terminal_width=200)
    assert "ship/dark.jpg" in table.output and "--accept dark --ids" in table.output


def test_an_edit_saved_beside_its_original_is_no_copy_to_remove():
    """An iPhone's IMG_E0012.JPG (the edit) was suggested for removal as a copy of IMG_0012.HEIC."""
    from imgorg.review.copies import drop_edits, edit_of

    assert edit_of("2024/05/IMG_E0012.JPG") == "2024/05/IMG_0012" and edit_of("PXL_1-edited.jpg") == "PXL_1"
    assert edit_of("IMG_0012.JPG") is None and edit_of("credited.jpg") is None
    images = pd.DataFrame({"id": [1, 2, 3, 4], "path": ["a/IMG_0012.HEIC", "a/IMG_E0012.JPG", "a/IMG_0012 (1).HEIC",
                                                        "b/IMG_E0099.JPG"],
                           "width": [4032, 4032, 4032, 800], "height": [3024] * 3 + [600]})
    groups = pd.DataFrame({"group": [0, 0, 0, 1, 1], "id": [2, 1, 3, 4, 3], "keep": [True, False, False, True, False],
                           "kind": ["near"] * 5, "similarity": [1.0, 0.95, 0.99, 1.0, 0.9]})
    left = drop_edits(groups, images)
    assert sorted(left.loc[left["group"] == 0, "id"]) == [1, 3]  # the edit out; the original and its copy stay
    assert left.loc[left["group"] == 0, "keep"].sum() == 1
    assert sorted(left.loc[left["group"] == 1, "id"]) == [3, 4]  # no original of IMG_E0099 in its group: stays


def test_when_a_keep_rule_changes_the_copy_kept_each_score_is_against_the_new_one():
    """A copy's reason said 'a copy of X (0.84)' with 0.84 its score against the copy kept before a keep
    rule (here: the split that keeps what splits share) chose X; the others' reasons named the old rule."""
    from imgorg.review.copies import copy_findings, prefer_split, rescored

    images = pd.DataFrame({"id": [0, 1, 2], "path": ["train/a.jpg", "test/b.jpg", "train/c.jpg"],
                           "sha256": ["a", "b", "c"]})
    vectors = np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8]], np.float32)  # cos(b, c) = 0.96, cos(a, c) = 0.6
    groups = pd.DataFrame({"group": [0, 0, 0], "id": [0, 1, 2], "keep": [True, False, False], "kind": ["near"] * 3,
                           "similarity": [1.0, 0.8, 0.6], "because": ["the least compressed"] * 3})
    split = np.array(["train", "test", "train"], dtype=object)
    moved = prefer_split(groups, images, split, ("test", "train"))
    assert moved.loc[moved["keep"], "id"].tolist() == [1]
    scored = rescored(moved, images, vectors, None, first_kept={0})
    assert scored.set_index("id")["similarity"].round(2).to_dict() == {0: 0.8, 1: 1.0, 2: 0.96}
    reasons = copy_findings(scored, images).set_index("row")["reason"]
    assert reasons[2].startswith("a copy of test/b.jpg (0.96), which is kept: the copy in test")
    assert rescored(groups, images, vectors, None, first_kept={0}).equals(groups)  # kept as found: left as it was


def test_a_rerun_that_adds_nothing_counts_only_the_findings_still_open(reviewed, collection, tmp_path):
    """The line said '1 dark' after the dark shot was accepted: the stored review counted decided ones."""
    root, _ = collection
    path = shutil.copytree(reviewed[0], tmp_path / "ws")
    assert CliRunner().invoke(app, ["review", str(path), "--accept", "dark"]).exit_code == 0
    out = CliRunner().invoke(app, ["run", str(root), "--out", str(path), "--method", "kmeans", "--k", "5",
                                   "--map", "pca"], terminal_width=400)
    assert out.exit_code == 0, out.output
    line = next(line for line in out.output.splitlines() if line.startswith("Review ("))
    assert "stored: nothing new to look at; open findings" in line and " dark" not in line, line


def test_an_unsure_label_suggestion_asks_for_a_look_and_is_relabelled_never_removed_when_accepted(fresh):
    """`--accept all` relabelled every label issue, about 20 of 50 wrongly on a curator's set: only those
    whose suggestion the classifier is sure of (SURE_RELABEL or more, where it is right that sure:
    sure_relabels) are relabels; the others ask for a look, and say why, and accepting them by kind
    relabels them too (a label issue is never a removal)."""
    from imgorg.tasks.review import SURE_RELABEL

    path, result, _ = fresh
    issues = imgorg.load_workspace(path).review().query("kind == 'label_issue'")
    confident = issues["reason"].str.extract(r"\((\d+)% by a classifier")[0].astype(int) >= SURE_RELABEL * 100
    relabel = issues["action"] == "relabel"
    assert (~relabel).any() and confident[relabel].all() and set(issues["action"]) <= {"relabel", "look"}
    looks = issues.loc[~relabel, "reason"]
    assert (looks.str.endswith("a look before relabelling") == ~confident[~relabel]).all()
    assert looks[confident[~relabel]].str.contains("; a look: the classifier ").all()
    accept_findings(path, "label_issue")
    ws = imgorg.load_workspace(path)
    assert not ws.removed()[ws.rows_of(issues["id"])].any()
    relabelled = ws.curated().relabeled
    assert set(issues["id"]) <= set(relabelled)
    after = ws.review().query("kind == 'label_issue'")
    assert (after["status"] == "accepted").all()  # the looks too: they were open after their relabel


def test_the_exported_table_carries_the_reviews_copy_groups_splits_labels_and_open_kinds(fresh):
    """duplicate_group and outlier_score were empty though the review had found copies; no split column,
    and a relabel left no trace of the folder's label."""
    from imgorg.tasks.export import export_table

    path, result, planted = fresh
    table = export_table(imgorg.load_workspace(path))
    copies = result.table[(result.table["kind"] == "copy")]
    grouped = table.set_index("path").loc[copies["path"].astype(str), "duplicate_group"]
    assert grouped.notna().all() and set(table["split"].dropna()) == {"train", "test"}
    assert table.set_index("path").loc["train/ship/dark.jpg", "review"].split(";")[0] == "dark"
    issue = result.table[result.table["kind"] == "label_issue"].iloc[0]
    accept_findings(path, "label_issue", ids=[int(issue["id"])])
    row = export_table(imgorg.load_workspace(path)).set_index("id").loc[int(issue["id"])]
    assert row["label"] == issue["suggested"] and row["label_given"] == str(issue["path"]).split("/")[1]


def test_a_logo_in_another_colour_is_no_copy_but_a_brightened_copy_is(tmp_path):
    """Grey thumbnails, keypoints and detail line a purple logo up with its green twin: they passed as copies."""
    from PIL import ImageDraw

    from imgorg.review.copies import drop_recoloured

    def logo(colour, name):
        image = Image.new("RGB", (400, 400), "white")
        draw = ImageDraw.Draw(image)
        draw.ellipse((10, 10, 390, 390), fill=colour)
        draw.rectangle((150, 120, 250, 280), fill="white")
        image.save(tmp_path / name)
        return image

    purple = logo((160, 20, 190), "purple.png")
    logo((20, 210, 40), "green.png")
    ImageEnhance.Brightness(purple).enhance(1.3).save(tmp_path / "brighter.png")
    images = pd.DataFrame({"id": [0, 1, 2], "path": ["purple.png", "green.png", "brighter.png"],
                           "width": [400] * 3, "height": [400] * 3})
    groups = pd.DataFrame({"group": [0, 0, 0], "id": [0, 1, 2], "keep": [True, False, False],
                           "kind": ["near"] * 3, "similarity": [1.0, 0.9, 0.95]})
    left = drop_recoloured(groups, images, tmp_path)
    assert left["id"].tolist() == [0, 2]
    # the first read's working pixels are measured, not the files decoded again (they are gone here)
    from imgorg.review.series import WORK_SIDE, working_bytes
    kept = {row: working_bytes(Image.open(tmp_path / name), WORK_SIDE) for row, name in enumerate(images["path"])}
    for name in images["path"]:
        (tmp_path / name).unlink()
    assert drop_recoloured(groups, images, tmp_path)["id"].tolist() == [0, 1, 2]  # nothing to measure: kept
    assert drop_recoloured(groups, images, tmp_path, kept)["id"].tolist() == [0, 2]


def test_a_mug_in_another_colour_on_white_is_no_copy_but_its_resized_copy_is(tmp_path):
    """A red and a blue mug on a white backdrop line up in grey; their colour covers a fifth of the frame,
    too little for the whole frame to be vivid, so they passed as copies of each other."""
    from PIL import ImageDraw

    from imgorg.review.copies import drop_recoloured

    def mug(colour, name):
        image = Image.new("RGB", (600, 600), "white")
        draw = ImageDraw.Draw(image)
        draw.rectangle((210, 180, 370, 420), fill=colour)
        draw.ellipse((340, 230, 430, 350), outline=colour, width=18)
        image.save(tmp_path / name, quality=93)
        return image

    red, blue = mug((190, 25, 25), "red.jpg"), mug((30, 75, 165), "blue.jpg")
    red.resize((300, 300), Image.LANCZOS).save(tmp_path / "red-300.jpg", quality=80)
    blue.resize((300, 300), Image.LANCZOS).save(tmp_path / "blue-300.jpg", quality=80)
    images = pd.DataFrame({"id": [0, 1, 2, 3], "path": ["red.jpg", "blue.jpg", "red-300.jpg", "blue-300.jpg"],
                           "width": [600, 600, 300, 300], "height": [600, 600, 300, 300]})
    groups = pd.DataFrame({"group": [0] * 4, "id": [0, 1, 2, 3], "keep": [True, False, False, False],
                           "kind": ["near"] * 4, "similarity": [1.0, 0.9, 0.97, 0.88]})
    left = drop_recoloured(groups, images, tmp_path)
    kept = left.loc[left["keep"], "id"].tolist()
    assert sorted(left.groupby("group")["id"].apply(sorted).tolist()) == [[0, 2], [1, 3]] and sorted(kept) == [0, 1]


def test_the_stored_reviews_json_says_suggestions_and_decisions_in_fields(fresh):
    """--json said the suggestions in prose ("63 remove, 51 keep") and no decision counts."""
    path, _, _ = fresh
    assert CliRunner().invoke(app, ["review", str(path), "--dismiss", "dark"]).exit_code == 0
    out = CliRunner().invoke(app, ["review", str(path), "--json"])
    records = {r["kind"]: r for r in json.loads(out.stdout)}
    copy = records["copy"]
    assert copy["actions"]["remove"] == copy["open"] and {"accepted", "dismissed", "set_aside"} <= set(copy)
    assert records["dark"]["open"] == 0 and records["dark"]["dismissed"] == 1  # the one dark shot kept as it is


def test_after_the_split_order_flips_a_leak_whose_copy_was_set_aside_is_no_leak(fresh):
    """Leaks accepted train first (the test copy set aside), then a review test first: the train image
    was a leak whose 'remove' could never be accepted (its kept copy was gone), open for ever."""
    path, _, planted = fresh
    review_collection(path, ReviewConfig(kinds=("copy", "leak"), splits=("train", "test")))
    accept_findings(path, "leak")
    review_collection(path, ReviewConfig(kinds=("copy", "leak"), splits=("test", "train")))
    open_ = imgorg.load_workspace(path).review().query("kind == 'leak' and status == 'open'")
    assert "train/cat/leak.jpg" not in set(open_["path"]) and planted["leak"] not in set(open_["path"])


def test_pages_and_screens_are_copies_or_nothing_never_a_series(tmp_path):
    """Seven different receipts, nine letters and five desktop screenshots were each shown as a burst
    with a best shot (one click set 25 documents aside): two pages or screens the alignment calls
    similar are neither; two photos stay similar shots."""
    from imgorg.review.copies import judge_pair

    images = pd.DataFrame({"id": [0, 1, 2, 3], "path": ["r1.jpg", "r2.jpg", "s1.png", "s2.png"],
                           "format": ["JPEG", "JPEG", "PNG", "PNG"], "width": [800] * 4, "height": [1100] * 4})
    page = np.array([True, True, False, False])  # the receipts' tags make them pages; the PNGs are screens
    assert judge_pair(images, tmp_path, page, 0, 1, "similar") == "neither"
    assert judge_pair(images, tmp_path, page, 2, 3, "similar") == "neither"
    assert judge_pair(images, tmp_path, np.zeros(4, bool), 0, 1, "similar") is None  # two photos: a series


def test_burst_frames_that_align_as_copies_are_similar_shots_by_their_capture_times():
    """A photographer's burst (one camera, 6000x4000, frames 0.12 s apart) was reported as copies and most
    frames suggested for removal: two shots of one camera size whose capture times differ are no copies
    (a copy keeps its photo's capture time), so the copy check calls them similar shots. A copy of one
    capture time, a web export (another size) and a photo without a capture time stay copies."""
    from imgorg.duplicates.keypoints import shot_moments
    from imgorg.review.copies import judge_pair

    images = pd.DataFrame({
        "id": range(5), "path": [f"DSC0100{i}.JPG" for i in range(5)], "format": "JPEG",
        "width": [6000, 6000, 6000, 2048, 6000], "height": [4000, 4000, 4000, 1365, 4000],
        "taken_at": ["2023-06-10 09:43:05.120", "2023-06-10 09:43:05.240", "2023-06-10 09:43:05.120",
                     "2023-06-10 09:43:05.120", None],
        "taken_at_source": ["exif", "exif", "exif", "exif", None]})
    page, moments = np.zeros(5, bool), shot_moments(images)
    judged = {b: judge_pair(images, ".", page, 0, b, "copy", moments=moments) for b in (1, 2, 3, 4)}
    assert judged == {1: "similar", 2: None, 3: None, 4: None}
    assert judge_pair(images, ".", page, 0, 1, "copy") == "similar"  # the same without the moments handed in


def test_an_image_set_aside_is_no_label_issue_when_the_review_looks_again(fresh):
    """A blank frame removed as low information came back as a label issue when the review looked again
    (the classifier was fitted and judged on every image, set aside or not)."""
    path, result, _ = fresh
    issue = int(result.table[result.table["kind"] == "label_issue"]["id"].iat[0])
    edit_clusters(path, imgorg.curation.Remove((issue,), (), "dark"))
    again = review_collection(path, ReviewConfig(kinds=("label_issue",)))
    assert issue not in set(again.table.loc[again.table["kind"] == "label_issue", "id"])


def test_decided_findings_stay_counted_when_the_review_looks_again(fresh):
    """Looking again after leaks were accepted took the accepted leaks out of the table (their image set
    aside, no pair names it): REST and the CLI then said no leak was ever found or removed."""
    path, _, _ = fresh
    accept_findings(path, "leak")
    accepted = imgorg.load_workspace(path).review().query("kind == 'leak' and status == 'accepted'")
    assert len(accepted)
    review_collection(path, ReviewConfig(kinds=("copy", "leak")))
    again = imgorg.load_workspace(path).review().query("kind == 'leak'")
    assert set(accepted["id"]) <= set(again.loc[again["status"] == "accepted", "id"])
