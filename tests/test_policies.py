"""The pure policy functions on tiny inputs: what a rerun keeps, when a curated workspace refuses a
run, which names survive an edit, what a search query is, what a config accepts."""

from __future__ import annotations

import numpy as np
import pytest

from imgorg.config import ClusterConfig, DuplicatesConfig, EmbedConfig, MapConfig, RunConfig
from imgorg.errors import ConfigError
from imgorg.tasks.rerun import clustering_changes, is_curated, same_run, source_changes
from imgorg.tasks.search import resolve_query
from imgorg.views import kept_names
from imgorg.workspace import plan_carry_over

INPUTS = {"images": "i1", "embeddings": "e1", "reduced": "r1", "clusters": "c1", "clusters:scan": "s1"}


def manifest(files: dict, artifacts: dict) -> dict:
    return {"files": {"catalog.parquet": "x", **files}, "artifacts": artifacts}


def test_an_artifact_whose_inputs_hold_is_kept_and_one_whose_inputs_changed_is_dropped():
    previous = manifest({"duplicates.parquet": "d", "projection_umap_2d.npy": "m", "projections.json": "p"},
                        {"duplicates": {"inputs": {"images": "i1", "embeddings": "e0"}},
                         "map": {"inputs": {"images": "i1", "reduced": "r1"}}})
    plan = plan_carry_over(previous, INPUTS)
    assert plan.kept == ["map"] and plan.dropped == ["duplicates"]
    assert set(plan.files) == {"projection_umap_2d.npy", "projections.json"}  # core files are never carried


def test_an_artifact_that_only_shows_the_clusters_follows_them_instead_of_being_dropped():
    previous = manifest({"outliers.parquet": "o"}, {"outliers": {"inputs": {"images": "i1", "embeddings": "e1",
                                                                            "reduced": "r1", "clusters": "c0"}}})
    assert plan_carry_over(previous, INPUTS).kept == ["outliers"]


def test_an_unregistered_file_or_one_without_a_record_is_dropped():
    previous = manifest({"duplicates.parquet": "d", "notes.txt": "n"}, {})
    assert plan_carry_over(previous, INPUTS).dropped == ["duplicates", "notes.txt"]
    assert plan_carry_over(None, INPUTS).kept == []


def test_the_edit_log_is_kept_only_while_its_base_clustering_is_unchanged():
    log = {"edits": {"inputs": {"images": "i1", "clusters:scan": "s1"}}}
    assert plan_carry_over(manifest({"edits.json": "e"}, log), INPUTS).kept == ["edits"]
    assert plan_carry_over(manifest({"edits.json": "e"}, log), {**INPUTS, "clusters:scan": "s2"}).dropped == ["edits"]


def run_manifest(config: RunConfig, source: dict | None = None) -> dict:
    return {"config": config.to_dict(), "source": source or {"kind": "folder", "root": "/p"},
            "files": {"edits.json": "e"}}


def test_a_clustering_setting_that_changed_is_named_and_one_that_only_changes_how_it_runs_is_not():
    before = run_manifest(RunConfig(cluster=ClusterConfig(k=10)))
    assert clustering_changes(before, RunConfig(cluster=ClusterConfig(k=8))) == ["cluster.k: 10 -> 8"]
    assert clustering_changes(before, RunConfig(embed=EmbedConfig(batch_size=8, device="cpu"))) == []
    assert clustering_changes(before, RunConfig(cluster=ClusterConfig(event_gap_hours=2.0))) == []  # events only
    assert clustering_changes(before, RunConfig(embed=EmbedConfig(tta=True))) == ["embed.tta: False -> True"]


def test_a_setting_an_older_manifest_does_not_record_counts_as_unchanged():
    before = run_manifest(RunConfig())
    del before["config"]["cluster"]["linkage"]
    assert clustering_changes(before, RunConfig(cluster=ClusterConfig(linkage="average"))) == []


def test_the_same_run_ignores_how_it_runs_and_the_map_but_not_the_folder():
    source = {"kind": "folder", "root": "/p"}
    before = run_manifest(RunConfig(), source)
    assert same_run(before, source, RunConfig(embed=EmbedConfig(workers=1), map=MapConfig("tsne")))
    assert not same_run(before, {**source, "root": "/q"}, RunConfig())
    assert not same_run(before, source, RunConfig(cluster=ClusterConfig(k=3)))
    assert source_changes(before, {**source, "limit": 5}) == ["source.limit: None -> 5"]
    assert is_curated(before) and not is_curated({"files": {}}) and not is_curated(None)


def test_clusters_an_edit_left_as_they_were_keep_their_names_and_a_merged_one_does_not():
    base = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2, -1])
    merged = np.array([0, 0, 0, 0, 0, 0, 2, 2, 2, 2, -1])  # 1 merged into 0
    names = {0: "cat", 1: "dog", 2: "ship"}
    assert kept_names(base, merged, names) == {2: "ship"}
    moved_one = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 1, -1])  # ship keeps 3 of 4: under 90%
    assert kept_names(base, moved_one, names) == {0: "cat"}
    grown = np.concatenate([base, [2, 2]])  # images added later (no base cluster) do not count
    assert kept_names(np.concatenate([base, [-1, -1]]), grown, names) == names


def test_a_query_is_words_an_id_or_an_image_and_nothing_else(tmp_path):
    image = tmp_path / "q.jpg"
    image.write_bytes(b"\xff\xd8 not really")
    assert resolve_query(text="a dog").kind == "text"
    assert resolve_query("12").image_id == 12 and resolve_query(image_id=3).kind == "id"
    assert resolve_query(str(image)).image == b"\xff\xd8 not really"
    assert resolve_query(b"bytes").kind == "image"
    with pytest.raises(ConfigError, match="neither an image file nor an image id"):
        resolve_query(str(tmp_path / "missing.jpg"))
    with pytest.raises(ConfigError, match="give one query, not 2"):
        resolve_query("12", text="dog")
    with pytest.raises(ConfigError, match="give one query"):
        resolve_query()


@pytest.mark.parametrize("config, message", [
    (ClusterConfig(k=1), r"k \(1\) must be a whole number of 2 or more, or 'auto'"),
    (ClusterConfig(linkage="single"), r"linkage \('single'\) must be one of ward, average, complete"),
    (EmbedConfig(batch_size=0), r"batch_size \(0\) must be a positive integer"),
    (EmbedConfig(backbone="a+b", weights="w.pt"), "--weights names one file"),
    (MapConfig(dims=4), r"dims \(4\) must be 2 or 3"),
    (DuplicatesConfig(threshold=1.5), r"threshold \(1.5\) must be a similarity in \(0, 1\]"),
])
def test_each_config_is_checked_by_its_constraints(config, message):
    with pytest.raises(ConfigError, match=message):
        config.validate()


def test_validate_returns_the_config():
    config = RunConfig()
    assert config.validate() is config and ClusterConfig().validate() == ClusterConfig()
    assert RunConfig.from_dict({}).map == RunConfig().map  # the run's map written once
