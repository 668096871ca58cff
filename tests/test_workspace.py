import json

import numpy as np
import pandas as pd
import pytest

from imgorg.errors import WorkspaceError
from imgorg.sources import normalize_catalog
from imgorg.workspace import Workspace, load_workspace, save_workspace, workspace_lock


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
    with workspace_lock(tmp_path):
        with pytest.raises(WorkspaceError, match="in use by another imgorg process"):
            with workspace_lock(tmp_path):
                pass
    with workspace_lock(tmp_path):  # released again
        pass
