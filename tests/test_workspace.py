import json

import numpy as np
import pandas as pd
import pytest

from imgorg.errors import WorkspaceError
from imgorg.sources import normalize_catalog
from imgorg.views import Workspace, load_workspace
from imgorg.tasks.saving import save_workspace
from imgorg.workspace import has_artifact, read_artifact, workspace_lock, write_artifact


def small_workspace(path) -> Workspace:
    catalog = normalize_catalog(pd.DataFrame({
        "id": [0, 1, 2], "path": ["a/x.jpg", "b/y.jpg", "b/bad.jpg"], "label": ["a", "b", "b"],
        "bytes": [10, 20, 0], "sha256": ["0" * 64, "1" * 64, None], "status": ["ok", "ok", "error"],
        "error": [None, None, "empty file"],
    }))
    rng = np.random.default_rng(0)
    return Workspace(
        path=path, manifest={"default_method": "kmeans", "counts": {"ok": 2}}, catalog=catalog,
        embeddings=rng.normal(size=(2, 8)).astype(np.float32), reduced=rng.normal(size=(2, 2)).astype(np.float32),
        assignments=pd.DataFrame({"id": [0, 1], "kmeans": [0, 1]}), metrics={"kmeans": {"acc": 1.0}},
    )


def test_round_trip_keeps_everything(tmp_path):
    saved = save_workspace(small_workspace(tmp_path / "ws"))
    loaded = load_workspace(tmp_path / "ws")
    pd.testing.assert_frame_equal(loaded.catalog, saved.catalog)
    pd.testing.assert_frame_equal(loaded.assignments, saved.assignments)
    np.testing.assert_array_equal(loaded.embeddings, saved.embeddings)
    np.testing.assert_array_equal(loaded.reduced, saved.reduced)
    assert loaded.metrics == saved.metrics
    assert loaded.manifest == saved.manifest
    assert loaded.images["path"].tolist() == ["a/x.jpg", "b/y.jpg"]
    assert loaded.failures["error"].tolist() == ["empty file"]
    assert loaded.cluster_labels().tolist() == [0, 1]


def test_files_open_with_plain_numpy_and_pandas(tmp_path):
    save_workspace(small_workspace(tmp_path))
    assert np.load(tmp_path / "embeddings.npy", allow_pickle=False).shape == (2, 8)
    assert list(pd.read_parquet(tmp_path / "assignments.parquet").columns) == ["id", "kmeans"]
    assert json.loads((tmp_path / "manifest.json").read_text())["format"] == "imgorg-workspace"


def test_a_changed_file_fails_the_checksum(tmp_path):
    save_workspace(small_workspace(tmp_path))
    np.save(tmp_path / "embeddings.npy", np.zeros((2, 8), np.float32))
    with pytest.raises(WorkspaceError, match="does not match the checksum"):
        load_workspace(tmp_path)


def test_a_folder_without_manifest_is_not_a_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match="not an imgorg workspace"):
        load_workspace(tmp_path)


def test_an_unknown_format_version_is_refused(tmp_path):
    save_workspace(small_workspace(tmp_path))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["format_version"] = 99
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(WorkspaceError, match="version 99 is not supported"):
        load_workspace(tmp_path)


def test_misaligned_rows_are_refused(tmp_path):
    ws = small_workspace(tmp_path)
    ws.embeddings = ws.embeddings[:1]
    with pytest.raises(WorkspaceError, match="rows disagree"):
        save_workspace(ws)


def test_a_second_writer_is_refused(tmp_path):
    import subprocess
    import sys

    other = [sys.executable, "-c", f"from imgorg.workspace import workspace_lock\nwith workspace_lock({str(tmp_path)!r}): pass"]
    with workspace_lock(tmp_path):
        with workspace_lock(tmp_path):  # the same process again (a task inside a run): not refused
            pass
        refused = subprocess.run(other, capture_output=True, text=True)
        assert refused.returncode != 0 and "in use by another imgorg process" in refused.stderr
    assert subprocess.run(other, capture_output=True).returncode == 0  # released again


def test_artifacts_round_trip_and_are_checksummed(tmp_path):
    save_workspace(small_workspace(tmp_path))
    write_artifact(tmp_path, "projection_umap_2d.npy", np.arange(4, dtype=np.float32).reshape(2, 2))
    write_artifact(tmp_path, "outliers.parquet", pd.DataFrame({"id": [0, 1], "score": [0.1, 0.9]}))
    write_artifact(tmp_path, "index.json", {"kind": "exact"})
    assert has_artifact(tmp_path, "projection_umap_2d.npy") and not has_artifact(tmp_path, "nothing.npy")
    assert read_artifact(tmp_path, "projection_umap_2d.npy").tolist() == [[0, 1], [2, 3]]
    assert read_artifact(tmp_path, "outliers.parquet")["score"].tolist() == [0.1, 0.9]
    assert read_artifact(tmp_path, "index.json") == {"kind": "exact"}
    load_workspace(tmp_path)  # still verifies
    np.save(tmp_path / "projection_umap_2d.npy", np.zeros((2, 2), np.float32))
    with pytest.raises(WorkspaceError, match="checksum"):
        read_artifact(tmp_path, "projection_umap_2d.npy")
    with pytest.raises(WorkspaceError, match="has no 'nothing.npy'"):
        read_artifact(tmp_path, "nothing.npy")


@pytest.mark.parametrize("name", ["catalog.parquet", "manifest.json", "../x.npy", "sub/projection_umap_2d.npy",
                                  ".hidden.npy", "mine.npy"])
def test_only_registered_artifacts_can_be_written(tmp_path, name):
    save_workspace(small_workspace(tmp_path))
    with pytest.raises(WorkspaceError, match="not the file of a registered artifact"):
        write_artifact(tmp_path, name, np.zeros(2))


def test_a_wrong_type_for_the_extension_is_refused(tmp_path):
    save_workspace(small_workspace(tmp_path))
    with pytest.raises(WorkspaceError, match="use .npy for arrays"):
        write_artifact(tmp_path, "projection_umap_2d.npy", {"a": 1})


def test_files_are_readable_by_others_like_any_file_the_user_writes(tmp_path):
    import os

    save_workspace(small_workspace(tmp_path))
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "catalog.parquet").stat().st_mode & 0o777 == 0o666 & ~umask


def test_float16_storage_halves_the_file_and_reads_back_as_float32(tmp_path):
    full = save_workspace(small_workspace(tmp_path / "f32"))
    half = small_workspace(tmp_path / "f16")
    half.manifest["config"] = {"embed": {"float16": True}}
    save_workspace(half)
    assert np.load(tmp_path / "f16" / "embeddings.npy").dtype == np.float16
    loaded = load_workspace(tmp_path / "f16")
    assert loaded.embeddings.dtype == np.float32
    np.testing.assert_allclose(loaded.embeddings, full.embeddings, rtol=1e-3, atol=1e-3)


def test_float32_embeddings_are_memory_mapped_read_only(tmp_path):
    save_workspace(small_workspace(tmp_path / "ws"))
    loaded = load_workspace(tmp_path / "ws")
    assert isinstance(loaded.embeddings, np.memmap) and not loaded.embeddings.flags.writeable


def test_threads_of_one_process_take_turns_on_the_lock(tmp_path):
    import threading
    import time

    inside, overlap = [], []

    def hold():
        with workspace_lock(tmp_path):
            if inside:
                overlap.append(True)
            inside.append(1)
            time.sleep(0.05)
            inside.pop()

    threads = [threading.Thread(target=hold) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not overlap  # each waited for the one before: none was refused, none interleaved


def test_a_short_hold_is_waited_for_not_refused(tmp_path):
    # six edits from six shells at once: three were refused for another's 0.1 s hold
    import subprocess
    import sys
    import time

    other = [sys.executable, "-c", f"from imgorg.workspace import workspace_lock\nwith workspace_lock({str(tmp_path)!r}): pass"]
    with workspace_lock(tmp_path):
        waiting = subprocess.Popen(other, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)  # it is blocked on the lock now (imports take about a second)
    _, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
