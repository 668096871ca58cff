"""Curation that lasts: edits applied on read, undo, reruns that keep or refuse, new images added."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

import imgorg
from imgorg import AddConfig, ClusterConfig, ConfigError, EmbedConfig, MapConfig, RunConfig, add_images, edit_clusters, run
from imgorg.cli.main import app
from imgorg.constants import NOISE
from imgorg.errors import WorkspaceError
from imgorg.constants import CURATED
from imgorg.curation import Drop, Merge, Move, Rename, Split, Undo, apply, describe, new_log
from imgorg.workspace import SKIPPED_FILE

from .conftest import extract_cifar

CONFIG = RunConfig(cluster=ClusterConfig(method="kmeans", k=6))


@pytest.fixture(scope="module")
def made(cifar_small, tmp_path_factory):
    """A workspace of 300 CIFAR images (k-means, k = 6) and the folder it was made from."""
    folder = shutil.copytree(cifar_small, tmp_path_factory.mktemp("cur") / "images")
    ws = run(folder, tmp_path_factory.mktemp("cur-ws") / "ws", CONFIG).workspace
    return folder, ws.path


@pytest.fixture
def fresh(made, tmp_path):
    """A copy of the workspace (and its folder) a test may edit."""
    folder, ws = made
    copy = shutil.copytree(folder, tmp_path / "images")
    target = shutil.copytree(ws, tmp_path / "ws")
    manifest = (target / "manifest.json").read_text().replace(str(folder.resolve()), str(copy.resolve()))
    (target / "manifest.json").write_text(manifest)
    return copy, target


def test_edits_make_a_curated_clustering_and_undo_restores_it(fresh):
    _, path = fresh
    ws = imgorg.load_workspace(path)
    base = ws.cluster_labels("kmeans").copy()
    ids = ws.images["id"].to_numpy()
    edit_clusters(ws, Rename(0, "first"))
    edit_clusters(ws, Merge((1, 2), name="one and two"))
    after_merge = ws.cluster_labels().copy()
    edit_clusters(ws, Move((int(ids[0]), int(ids[1])), to=3))
    edit_clusters(ws, Drop((int(ids[2]),)))
    ws = imgorg.load_workspace(path)  # applied on read, from the log on disk
    labels = ws.cluster_labels()
    assert ws.method == CURATED and CURATED in ws.methods
    assert labels[0] == labels[1] == 3 and labels[2] == NOISE
    assert set(np.unique(labels)) == set(np.unique(base)) - {2} | {NOISE}
    names = ws.clusters().set_index("id")["name"]
    assert names[0] == "first" and names[1] == "one and two"
    edit_clusters(ws, Undo())
    edit_clusters(ws, Undo())
    assert np.array_equal(imgorg.load_workspace(path).cluster_labels(), after_merge)
    edit_clusters(ws, Undo())
    edit_clusters(ws, Undo())
    assert np.array_equal(imgorg.load_workspace(path).cluster_labels(), base)  # every edit undone
    assert np.array_equal(imgorg.load_workspace(path).cluster_labels("kmeans"), base)  # the base never changed
    with pytest.raises(ConfigError, match="nothing to undo"):
        edit_clusters(ws, Undo())


def test_clusters_an_edit_leaves_alone_keep_their_names(fresh, tmp_path):
    folder, path = fresh
    before = imgorg.load_workspace(path).cluster_names()
    edit_clusters(path, Merge((0, 1)))
    after = imgorg.load_workspace(path).cluster_names()
    assert {c: after[c] for c in before if c not in (0, 1)} == {c: before[c] for c in before if c not in (0, 1)}
    extract_cifar(tmp_path / "new", per_class=1, offset=30)
    add_images(path, AddConfig(folder=str(tmp_path / "new")))  # clusters that only grew keep their names too
    grown = imgorg.load_workspace(path).cluster_names()
    assert {c: grown[c] for c in before if c not in (0, 1)} == {c: before[c] for c in before if c not in (0, 1)}


def test_split_gives_new_ids_and_invalid_edits_are_refused_with_a_reason(fresh):
    _, path = fresh
    ws = imgorg.load_workspace(path)
    sizes = ws.clusters().set_index("id")["size"]
    result = edit_clusters(ws, Split(0, k=2))
    parts = [int(p) for p in result.edit["parts"]]
    assert min(parts) > int(ws.assignments["kmeans"].max())  # ids no clustering used
    assert sum(len(m) for m in result.edit["parts"].values()) == sizes[0]
    after = imgorg.load_workspace(path).clusters().set_index("id")
    assert 0 not in after.index and set(parts) <= set(after.index)
    for edit, reason in [(Rename(99, "x"), "no cluster 99"), (Rename(1, "   "), "cannot be empty"),
                         (Merge((1,)), "two or more"), (Move((10**6,), to=1), "no image with id"),
                         (Move((0,), to=0), "no cluster 0"), (Split(1, k=10**6), "parts")]:
        with pytest.raises(ConfigError, match=reason):
            edit_clusters(ws, edit)


def test_a_rerun_keeps_the_edits_when_the_clustering_is_kept_and_refuses_otherwise(fresh):
    folder, path = fresh
    edit_clusters(path, Rename(2, "kept"))
    again = run(folder, path, CONFIG).workspace  # same folder, same settings: same clustering
    assert again.method == CURATED and again.clusters().set_index("id")["name"][2] == "kept"
    with pytest.raises(ConfigError, match="--discard-edits"):
        run(folder, path, RunConfig(cluster=ClusterConfig(method="kmeans", k=4)))
    assert imgorg.load_workspace(path).clusters().set_index("id")["name"][2] == "kept"  # refused: nothing lost
    dropped = run(folder, path, RunConfig(cluster=ClusterConfig(method="kmeans", k=4)), discard_edits=True).workspace
    assert dropped.method == "kmeans" and dropped.edit_log() is None
    assert not (path / "edits.json").exists()  # not left to look like a live log
    assert json.loads((path / "edits-discarded.json").read_text())["edits"][0]["name"] == "kept"  # but not lost


def test_added_images_join_curated_clusters_and_nothing_curated_moves(fresh, tmp_path):
    folder, path = fresh
    ws = imgorg.load_workspace(path)
    edit_clusters(ws, Rename(1, "mine"))
    edit_clusters(ws, Move((0,), to=4))
    before = imgorg.load_workspace(path)
    curated, old_ids = before.cluster_labels().copy(), before.images["id"].to_numpy().copy()
    new = extract_cifar(tmp_path / "new", per_class=3, offset=30)  # 30 images the workspace lacks
    shutil.copy(next(folder.glob("*/*.jpg")), tmp_path / "new" / "copy_of_an_old_one.jpg")
    result = add_images(path, AddConfig(folder=str(new), threshold=0.5))
    # the copy of an old one is a new file: catalogued (a review finds it a copy), as a fresh run would
    assert result.already == 0 and len(result.added) == 31
    assert add_images(path, AddConfig(folder=str(new), threshold=0.5)).already == 31  # by path: once
    after = imgorg.load_workspace(path)
    assert np.array_equal(after.images["id"].to_numpy()[:len(old_ids)], old_ids)
    assert np.array_equal(after.cluster_labels()[:len(old_ids)], curated)  # nothing already sorted moved
    placed = after.cluster_labels()[len(old_ids):]
    assert (placed != NOISE).all() and set(placed) <= set(curated) | {result.unsorted}
    assert after.clusters().set_index("id")["name"][1] == "mine"
    assert np.isnan(after.assignments["kmeans_distance"].to_numpy()[len(old_ids):]).all()  # kmeans never saw them
    assert describe(imgorg.load_workspace(path).edit_log()["edits"][-1], {}) == "added 31 new images"
    assert not (path / "edits-discarded.json").exists()  # the add keeps its log: nothing was discarded
    edit_clusters(path, Undo())  # the add is one edit: undo takes the new images out of the clusters
    assert (imgorg.load_workspace(path).cluster_labels()[len(old_ids):] == NOISE).all()


def test_a_rerun_on_a_grown_folder_adds_the_new_images(fresh, tmp_path, monkeypatch):
    import imgorg.tasks.add as add_task
    import imgorg.tasks.run as run_task

    folder, path = fresh
    edit_clusters(path, Rename(3, "curated name"))
    extract_cifar(folder, per_class=2, offset=30)  # the folder grows by 20 images
    scans = []
    for module in (run_task, add_task):  # every file read and hashed once, not once per step
        monkeypatch.setattr(module, "scan_source", lambda *a, real=module.scan_source, **k: scans.append(1) or real(*a, **k))
    result = run(folder, path, CONFIG)
    assert len(scans) == 1
    assert result.added is not None and result.n_computed == 20
    ws = result.workspace
    assert len(ws.images) == 320 and ws.clusters().set_index("id")["name"][3] == "curated name"


def test_the_cli_rerun_on_a_grown_folder_rewrites_the_report(fresh):
    folder, path = fresh
    edit_clusters(path, Rename(3, "curated name"))
    extract_cifar(folder, per_class=1, offset=30)
    (path / "report.html").unlink(missing_ok=True)
    out = CliRunner().invoke(app, ["run", str(folder), "--out", str(path), "--method", "kmeans", "--k", "6"],
                             terminal_width=300)
    assert out.exit_code == 0, out.output
    assert "is curated: new images are added" in out.output and "Report:" in out.output
    assert (path / "report.html").is_file()  # a grown-folder rerun skipped it before


def test_added_folders_keep_every_file_accounted_for_and_a_rerun_finds_them(fresh, tmp_path):
    """`imgorg add` from another folder, then `imgorg run` on the grown source: the skipped table keeps the
    source's rows and gains the new folders' non-images (it was dropped by the add, and the grown folder's
    were never listed); the rerun does not call the images added from elsewhere gone."""
    folder, path = fresh
    (folder / "readme.txt").write_text("trip notes")
    run(folder, path, CONFIG, discard_edits=True)  # its skipped table lists readme.txt
    edit_clusters(path, Rename(0, "kept"))
    new = extract_cifar(tmp_path / "new", per_class=1, offset=40)
    (new / "notes.txt").write_text("not a photo")
    result = add_images(path, AddConfig(folder=str(new)))
    notes = (new / "notes.txt").as_posix()  # tmp_path is absolute
    assert result.skipped["path"].tolist() == [notes] and result.skipped["reason"].tolist() == ["not an image"]
    ws = imgorg.load_workspace(path)
    assert ws.has(SKIPPED_FILE), "the add dropped the workspace's skipped table"
    assert set(ws.read(SKIPPED_FILE)["path"]) == {"readme.txt", notes}
    assert ws.manifest["counts"]["skipped"] == 2
    extract_cifar(folder, per_class=1, offset=50)  # the source grows by 10 images and a file that is not one
    (folder / "cat" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0" + bytes(100))
    grown = run(folder, path, CONFIG)  # refused before: the 10 images added from `new` were "gone"
    assert grown.added is not None and len(grown.workspace.images) == 320
    assert set(grown.workspace.read(SKIPPED_FILE)["path"]) == {"readme.txt", notes, "cat/Thumbs.db"}
    assert grown.workspace.clusters().set_index("id")["name"][0] == "kept"


def test_the_add_command_says_what_failed_and_what_was_skipped(fresh, tmp_path):
    """An empty file is a failure, not "already in the workspace" because another empty file is; the folder's
    non-images are listed; no "(cluster None)" when nothing went to unsorted."""
    folder, path = fresh
    (folder / "cat" / "empty.jpg").write_bytes(b"")
    run(folder, path, CONFIG)  # the workspace holds a failed empty file
    new = extract_cifar(tmp_path / "new", per_class=1, offset=60)
    (new / "zero.jpg").write_bytes(b"")
    (new / "notes.txt").write_text("not a photo")
    result = CliRunner().invoke(app, ["add", str(path), str(new), "--threshold", "0"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "Added 10 images" in said and "1 failed, 0 already in the workspace" in said
    assert f"{new / 'zero.jpg'}: empty file" in said and "None" not in said
    assert "1 not an image: text" in said


def test_the_cli_lists_and_curates(fresh):
    _, path = fresh
    runner = CliRunner()
    listed = runner.invoke(app, ["clusters", str(path), "--json"])
    assert listed.exit_code == 0 and listed.stdout.lstrip().startswith("[")
    assert runner.invoke(app, ["clusters", str(path), "rename", "2", "beach"]).exit_code == 0
    assert runner.invoke(app, ["clusters", str(path), "merge", "0", "1", "--name", "both"]).exit_code == 0
    undone = runner.invoke(app, ["clusters", str(path), "undo"])
    assert undone.exit_code == 0
    assert "Undone: merged clusters 0, 1 into cluster 0 ('both')" in undone.stdout  # which edit, not "the latest"
    history = runner.invoke(app, ["clusters", str(path), "history"]).stdout
    assert "renamed cluster 2" in history and "(undone)" in history
    refused = runner.invoke(app, ["clusters", str(path), "merge", "0"])
    assert refused.exit_code != 0


def test_apply_ignores_images_no_longer_there():
    log = new_log("kmeans")
    log["edits"] = [{"op": "move", "images": [5, 99], "to": 1}, {"op": "undo"}, {"op": "drop", "images": [6]}]
    state = apply(log, np.array([0, 0, 2]), np.array([5, 6, 7]))
    assert state.labels.tolist() == [0, NOISE, 2]


def test_the_report_and_scores_show_the_curated_clustering(fresh):
    _, path = fresh
    edit_clusters(path, Merge((0, 1), name="merged"))
    ws = imgorg.load_workspace(path)
    scores = ws.scores()  # curated: not in metrics.json, scored now
    assert scores["n_clusters"] == 5 and scores["acc"] is not None
    assert ws.scores("kmeans") == ws.metrics["kmeans"]
    report = CliRunner().invoke(app, ["report", str(path)])
    assert report.exit_code == 0, report.output
    methods = (path / "report.html").read_text(encoding="utf-8").split('<section id="methods">')[1]
    assert "curated (chosen)" in methods.split("</section>")[0]


def test_a_rerun_says_which_setting_would_change_the_clustering_and_ignores_how_it_runs(fresh, tmp_path):
    folder, path = fresh
    edit_clusters(path, Rename(3, "curated name"))
    with pytest.raises(ConfigError, match=r"cluster\.k: 6 -> 4.*--discard-edits"):
        run(folder, path, RunConfig(cluster=ClusterConfig(method="kmeans", k=4)))
    extract_cifar(folder, per_class=2, offset=30)  # the folder grows by 20 images
    # the map and the device make no other clustering: the new images are added, the edits kept
    other = RunConfig(cluster=CONFIG.cluster, map=MapConfig(method="none"), embed=EmbedConfig(device="cpu", batch_size=16))
    result = run(folder, path, other)
    assert result.added is not None and result.n_computed == 20
    assert result.workspace.clusters().set_index("id")["name"][3] == "curated name"


def test_the_cli_add_says_where_the_images_went_and_names_what_failed(fresh, tmp_path):
    _, path = fresh
    new = extract_cifar(tmp_path / "new", per_class=1, offset=30)
    (new / "cat" / "broken.jpg").write_bytes((new / "cat").glob("*.jpg").__next__().read_bytes()[:300])
    (new / "notes.txt").write_text("not a photo")
    out = CliRunner().invoke(app, ["add", str(path), str(new)], terminal_width=400)
    assert out.exit_code == 0, out.output
    assert "Added 10 images" in out.output and "1 failed" in out.output
    assert "Placed: " in out.output or "10 in 'unsorted'" in out.output  # where they went, per cluster
    assert "broken.jpg: corrupt or truncated" in out.output  # which file failed, and why
    assert "1 file is not an image imgorg can read" in out.output and "not an image: text" in out.output
    assert "notes.txt" in out.output


def test_the_cli_says_what_undo_undid_and_history_json_says_what_stands(fresh):
    _, path = fresh
    runner = CliRunner()
    assert runner.invoke(app, ["clusters", str(path), "rename", "2", "beach"]).exit_code == 0
    assert runner.invoke(app, ["clusters", str(path), "move", "0", "--to", "2"]).exit_code == 0
    undone = runner.invoke(app, ["clusters", str(path), "undo"], terminal_width=200)
    assert undone.exit_code == 0 and "Undone: moved 1 image to cluster 2 ('beach')" in undone.output
    history = runner.invoke(app, ["clusters", str(path), "history", "--json"]).stdout
    assert [(e["op"], e["standing"]) for e in json.loads(history)] == [("rename", True), ("move", False), ("undo", False)]


def test_a_one_image_cluster_cannot_be_split_and_says_so(fresh):
    _, path = fresh
    ws = imgorg.load_workspace(path)
    parts = edit_clusters(ws, Split(1, k=len(ws.members(1)))).edit["parts"]  # a cluster per image
    part = int(next(iter(parts)))
    assert len(imgorg.load_workspace(path).members(part)) == 1
    with pytest.raises(ConfigError, match=f"cluster {part} has only 1 image: there is nothing to split"):
        edit_clusters(ws, Split(part, k=2))


def test_a_rerun_that_adds_nothing_keeps_the_stored_review_instead_of_looking_again(fresh, monkeypatch):
    from imgorg.config import ReviewConfig
    from imgorg.tasks import review as review_task

    folder, path = fresh
    edit_clusters(path, Rename(3, "curated name"))
    first = run(folder, path, CONFIG, review=ReviewConfig())  # a grown rerun of nothing reviews once
    assert first.review is not None and (path / "review.parquet").exists()
    monkeypatch.setattr(review_task, "find_in_collection", lambda *a, **k: pytest.fail("looked again"))
    again = run(folder, path, CONFIG, review=ReviewConfig())
    assert again.added.added.empty and "stored" in again.review.seconds
    pd.testing.assert_frame_equal(again.review.table, imgorg.load_workspace(path).review())  # with each status


def test_the_cli_add_reviews_again_and_says_what_no_longer_covers_every_image(fresh, tmp_path):
    _, path = fresh
    runner = CliRunner()
    assert runner.invoke(app, ["review", str(path), "--kinds", "copy,outlier"]).exit_code == 0
    assert runner.invoke(app, ["outliers", str(path)]).exit_code == 0
    new = extract_cifar(tmp_path / "new", per_class=1, offset=30)
    held = Image.open(next((path.parent / "images" / "cat").glob("*.jpg")))
    held.resize((64, 64)).save(new / "cat" / "a held cat enlarged.png")  # an exact copy is not added at all
    out = CliRunner().invoke(app, ["add", str(path), str(new)], terminal_width=400)
    assert out.exit_code == 0, out.output
    assert "Reviewing the collection again" in out.output  # the add dropped the review: made again, silently before
    reviewed = imgorg.load_workspace(path).review()
    assert reviewed is not None and len(reviewed["id"].drop_duplicates()) > 0
    added = set(imgorg.load_workspace(path).images["id"].tail(11))
    assert added & set(reviewed.loc[reviewed["kind"] == "copy", "id"])  # the new copy of a held image is found
    assert f"outliers (`imgorg outliers {path}`)" in out.output  # what it does not make again, said with its command
    plain = CliRunner().invoke(app, ["add", str(path), str(extract_cifar(tmp_path / "more", per_class=1, offset=40)),
                                     "--no-review"], terminal_width=400)
    assert plain.exit_code == 0 and f"review (`imgorg review {path}`)" in plain.output


def test_a_rerun_drops_a_damaged_result_and_a_damaged_core_file_names_discard_edits(fresh, caplog):
    folder, path = fresh
    edit_clusters(path, Rename(3, "curated name"))
    assert CliRunner().invoke(app, ["outliers", str(path)]).exit_code == 0
    (path / "outliers.parquet").write_bytes(b"junk")  # damaged after it was written
    tags = pd.read_parquet(path / "tags.parquet")
    (path / "tags.parquet").unlink()  # and a result deleted by hand
    result = run(folder, path, CONFIG)  # stopped at "run `imgorg run` again to rebuild it", which stopped there too
    assert result.workspace.clusters().set_index("id")["name"][3] == "curated name"  # the edits kept
    # the tags come back from the embedding cache (names and word search came from nothing after it)
    pd.testing.assert_frame_equal(pd.read_parquet(path / "tags.parquet"), tags)
    assert "outliers was missing or damaged and is dropped; `imgorg outliers` makes it again" in caplog.text
    assert not result.workspace.has("outliers.parquet")
    with open(path / "reduced.npy", "ab") as damaged:
        damaged.write(b"junk")
    with pytest.raises(WorkspaceError, match="--discard-edits, which drops the edits"):
        run(folder, path, CONFIG)
    assert run(folder, path, CONFIG, discard_edits=True).workspace.has("reduced.npy")  # rebuilt


def test_images_added_without_labels_leave_the_top_labels_of_the_labelled_ones(fresh, tmp_path):
    _, path = fresh
    loose = tmp_path / "loose"
    loose.mkdir()
    for i, image in enumerate(sorted(extract_cifar(tmp_path / "new", per_class=1, offset=30).rglob("*.jpg"))[:4]):
        shutil.move(image, loose / f"{i}.jpg")  # no class folder: no label
    before = imgorg.load_workspace(path).clusters().set_index("id")
    add_images(path, AddConfig(str(loose)))
    after = imgorg.load_workspace(path).clusters().set_index("id")
    assert imgorg.load_workspace(path).images["label"].isna().sum() == 4
    shared = before.index.intersection(after.index)  # the columns vanished once one image had no label
    assert (after.loc[shared, "top_label"] == before.loc[shared, "top_label"]).all()
    assert (after.loc[shared, "top_share"] == before.loc[shared, "top_share"]).all()


def test_compare_on_a_curated_workspace_says_the_curated_clustering_stays_shown(fresh):
    _, path = fresh
    edit_clusters(path, Rename(3, "curated name"))
    out = CliRunner().invoke(app, ["compare", str(path), "--methods", "kmeans,agglomerative"], terminal_width=300)
    assert out.exit_code == 0, out.output
    assert "shows its curated clustering (your edits) as before" in out.output
    assert "default method is now" not in out.output  # it said so, and every command went on showing curated
    assert imgorg.load_workspace(path).method == CURATED


def test_added_live_photos_and_sidecars_from_outside_the_source_are_found_again(fresh, tmp_path):
    """Images added from a folder outside the workspace's source are stored by absolute path; their
    Live Photo video and sidecar were stored relative to the added folder, and the app and exports
    could not find them ("no longer in the source folder")."""
    pytest.importorskip("av")
    from imgorg.sources import source_path

    from .companion_corpus import live_still, make_video, write, xmp_sidecar

    _, path = fresh
    batch = tmp_path / "batch" / "2024 06"
    write(batch, "IMG_0104.JPG", live_still())
    write(batch, "IMG_0104.MOV", make_video(".mov", seconds=1))
    write(batch, "IMG_0104.JPG.xmp", xmp_sidecar(rating=4))
    add_images(path, AddConfig(str(tmp_path / "batch")))
    ws = imgorg.load_workspace(path)
    row = ws.catalog[ws.catalog["path"].str.endswith("IMG_0104.JPG")].iloc[0]
    for part in (row["motion"], row["sidecars"]):
        assert part.startswith(str(tmp_path)) and source_path(ws.root, part).is_file(), part


def test_a_rerun_after_photos_were_deleted_sets_them_aside_and_keeps_every_edit(fresh, caplog):
    """Deleting one photo from the folder refused the rerun of a curated workspace ("put them back, or
    pass --discard-edits"). The deleted photos are set aside as removals are; the edits stay, and a
    photo changed in place is still refused (its edits would point at another picture)."""
    folder, path = fresh
    edit_clusters(path, Rename(3, "curated name"))
    ws = imgorg.load_workspace(path)
    deleted = ws.images["path"].iloc[:2].tolist()
    for rel in deleted:
        (folder / rel).unlink()
    result = run(folder, path, CONFIG)
    after = result.workspace
    assert after.clusters().set_index("id")["name"][3] == "curated name"
    gone = set(ws.images["id"].iloc[:2])
    assert gone <= set(after.curated().removed) and after.removal_kinds()[min(gone)] == "gone"
    assert "2 images are gone from the folder" in caplog.text
    from imgorg.tasks.export import export_table, removed_files

    assert not set(export_table(after)["id"]) & gone  # out of the exports
    assert removed_files(after).empty  # nothing to move: the files are gone already
    again = run(folder, path, CONFIG)  # set aside once
    assert len(again.workspace.edit_log()["edits"]) == len(after.edit_log()["edits"])
    # a photo changed in place (rotated): read again under its id, where it was, every edit kept (it
    # refused the rerun, and --discard-edits lost every edit)
    rel = ws.images["path"].iloc[5]
    image_id, label = int(ws.images["id"].iloc[5]), int(again.workspace.cluster_labels()[5])
    Image.open(folder / rel).rotate(90).save(folder / rel)
    turned = run(folder, path, CONFIG).workspace
    row = int(turned.rows_of([image_id])[0])
    assert turned.images["path"].iat[row] == rel and int(turned.cluster_labels()[row]) == label
    assert not np.allclose(turned.embeddings[row], again.workspace.embeddings[row])  # embedded anew
    assert turned.clusters().set_index("id")["name"][3] == "curated name" and "changed in place" in caplog.text
    assert turned.maps(2) == again.workspace.maps(2) != []  # the map kept, the photo placed among its neighbours


def test_a_moved_or_renamed_photo_keeps_its_place_and_a_photo_put_back_comes_back(fresh, caplog):
    """A renamed folder set its photos aside as gone (and `add` skipped their known content), for good:
    moving them back did not bring them back."""
    folder, path = fresh
    edit_clusters(path, Rename(3, "curated name"))
    before = imgorg.load_workspace(path)
    labels = dict(zip(before.images["id"], before.cluster_labels()))
    cat = folder / "cat"
    moved_ids = set(before.images.loc[before.images["path"].str.startswith("cat/"), "id"])
    cat.rename(folder / "kitten")
    after = run(folder, path, CONFIG).workspace
    assert "moved or renamed in the folder" in caplog.text
    assert not after.removed().any() and set(after.images.loc[after.images["id"].isin(moved_ids), "path"].str[:7]) == {"kitten/"}
    assert dict(zip(after.images["id"], after.cluster_labels())) == labels  # every image where it was
    assert after.clusters().set_index("id")["name"][3] == "curated name"
    # a photo deleted, then put back: set aside while gone, where it was once back
    one = folder / after.images["path"].iloc[0]
    kept = one.read_bytes()
    one.unlink()
    gone = run(folder, path, CONFIG).workspace
    assert gone.removed()[0] and gone.removal_kinds()[int(gone.images["id"].iloc[0])] == "gone"
    one.write_bytes(kept)
    back = run(folder, path, CONFIG).workspace
    assert not back.removed().any() and dict(zip(back.images["id"], back.cluster_labels())) == labels


def test_a_removed_copy_whose_kept_copy_is_gone_takes_its_place_back():
    """Deleting the copy a review kept left its twin set aside, and `export --removed` listed the twin
    (now the only copy) for moving away."""
    from imgorg.curation import Curated, set_gone

    state = Curated(np.array([4, -1, 2]), removed={11: 10})  # image 11 removed as a copy of 10 (cluster 4)
    state = set_gone(state, np.array([10, 11, 12]), [10])
    assert state.removed == {10: None} and state.labels.tolist() == [-1, 4, 2]


def test_a_photo_saved_over_with_another_picture_is_placed_where_it_belongs_and_undo_takes_it_back(fresh, caplog):
    """A file changed in place kept its cluster whatever it now shows: another picture saved under the old
    name stayed among the cats. Where its look changed (embedding cosine under 0.5) and the placing
    classifier is sure of another cluster, it moves there (an edit: undo takes it back)."""
    folder, path = fresh
    ws = edit_clusters(path, Rename(3, "curated name")).workspace  # curated: a rerun keeps the clusters
    labels, vectors = ws.cluster_labels(), np.asarray(ws.embeddings)
    centre = {c: vectors[labels == c].mean(axis=0) for c in np.unique(labels[labels != NOISE])}
    first, second = sorted(centre)[:2]
    source = int(np.argmax(vectors[labels == second] @ centre[second]))  # the most typical of the second cluster
    source_row = np.flatnonzero(labels == second)[source]
    targets = np.flatnonzero(labels == first)
    target = int(targets[np.argmin(vectors[targets] @ vectors[source_row])])  # the least like it in the first
    rel, image_id = ws.images["path"].iat[target], int(ws.images["id"].iat[target])
    Image.open(folder / ws.images["path"].iat[source_row]).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(folder / rel)
    after = run(folder, path, CONFIG).workspace
    row = int(after.rows_of([image_id])[0])
    assert int(after.cluster_labels()[row]) == second and after.images["path"].iat[row] == rel
    assert "now another picture" in caplog.text and f"clusters {path} undo" in caplog.text
    undone = edit_clusters(after, Undo()).workspace
    assert int(undone.cluster_labels()[row]) == first


def test_a_review_after_photos_were_deleted_reads_none_of_them_and_warns_of_none(fresh, caplog):
    """After the files a review set aside were moved out (as the docs suggest), the rerun's review warned
    that 28 files 'could not be read or decoded' and their quality scores were NaN: images known to be
    gone are not read."""
    from imgorg import ReviewConfig, review_collection

    folder, path = fresh
    edit_clusters(path, Rename(3, "curated name"))
    ws = imgorg.load_workspace(path)
    for rel in ws.images["path"].iloc[:2]:
        (folder / rel).unlink()
    run(folder, path, CONFIG)
    caplog.clear()
    for kinds in (("copy", "dark"), ("dark",)):  # the first read with thumbnails, and the quality scores alone
        review_collection(path, ReviewConfig(kinds=kinds))
    assert "could not be read" not in caplog.text
