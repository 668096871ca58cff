"""imgorg export on a hand-built workspace: folders (links and copies), CSV and Parquet."""

import hashlib
import os

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from imgorg.cli.main import app
from imgorg.errors import ConfigError
from imgorg.tasks.export import export_folders, export_table
from imgorg.sources import scan_folder
from imgorg.views import Workspace, load_workspace
from imgorg.tasks.saving import save_workspace
from imgorg.workspace import write_artifact

from .conftest import make_image

# path -> (kmeans cluster, hdbscan cluster); bad.jpg fails to decode
IMAGES = {"cats/a.jpg": (0, 0), "cats/b.jpg": (0, 0), "cats/same.jpg": (1, -1),
          "dogs/c.png": (1, 1), "dogs/same.jpg": (1, 1), "dogs/d.jpg": (0, -1)}


@pytest.fixture()
def workspace(tmp_path):
    source = tmp_path / "source"
    for i, rel in enumerate(IMAGES):
        make_image(source / rel, (30 * i, 100, 200 - 30 * i))
    (source / "dogs" / "bad.jpg").write_bytes(b"not an image")
    catalog = scan_folder(source)
    catalog["taken_at"] = pd.to_datetime(["2024-05-17 10:00", "2024-05-30 09:00", "2024-06-02 12:00", None,
                                          "2023-12-31 23:59", "2024-06-01 00:00", "2024-05-18 08:00"])
    catalog["status"] = np.where(catalog["path"] == "dogs/bad.jpg", "error", "ok")
    catalog["error"] = catalog["error"].where(catalog["path"] != "dogs/bad.jpg", "not an image (unknown format)")
    ok = catalog[catalog["status"] == "ok"]
    n = len(ok)
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(n, 8)).astype(np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    kmeans = np.array([IMAGES[p][0] for p in ok["path"]])
    hdbscan = np.array([IMAGES[p][1] for p in ok["path"]])
    assignments = pd.DataFrame({"id": ok["id"].to_numpy(), "kmeans": kmeans,
                                "kmeans_distance": np.arange(n, dtype=np.float32) / 10,
                                "hdbscan": hdbscan,
                                "hdbscan_distance": np.where(hdbscan < 0, np.nan, 1.0).astype(np.float32)})
    ws = Workspace(tmp_path / "ws", {"default_method": "kmeans", "source": {"kind": "folder", "root": str(source)}},
                   catalog, embeddings, embeddings[:, :4].copy(), assignments, {})
    save_workspace(ws)
    return load_workspace(ws.path), source


def _hashes(folder):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _tree(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir())


def test_folders_of_symlinks_with_collisions_suffixed_and_source_untouched(workspace, tmp_path):
    ws, source = workspace
    before = _hashes(source)
    done = export_folders(ws, tmp_path / "out")
    assert _tree(tmp_path / "out") == ["cluster_000/a.jpg", "cluster_000/b.jpg", "cluster_000/d.jpg",
                                       "cluster_001/c.png", "cluster_001/same.jpg", "cluster_001/same_2.jpg"]
    link = tmp_path / "out" / "cluster_001" / "same_2.jpg"
    assert link.is_symlink() and link.resolve() == (source / "dogs" / "same.jpg").resolve()
    assert (done.images, done.clusters, done.noise, done.renamed, done.failed) == (6, 2, 0, 1, 1)
    assert _hashes(source) == before and sorted(os.listdir(source)) == ["cats", "dogs"]


def test_copies_of_another_method_with_noise(workspace, tmp_path):
    ws, source = workspace
    before = _hashes(source)
    done = export_folders(ws, tmp_path / "out", copy=True, method="hdbscan")
    assert _tree(tmp_path / "out") == ["cluster_000/a.jpg", "cluster_000/b.jpg", "cluster_001/c.png",
                                       "cluster_001/same.jpg", "noise/d.jpg", "noise/same.jpg"]
    copied = tmp_path / "out" / "noise" / "d.jpg"
    assert not copied.is_symlink() and copied.read_bytes() == (source / "dogs" / "d.jpg").read_bytes()
    assert done.noise == 2 and done.clusters == 2
    assert _hashes(source) == before


def test_refuses_non_empty_folder_unless_forced_and_never_overwrites(workspace, tmp_path):
    ws, _ = workspace
    out = tmp_path / "out"
    (out / "cluster_000").mkdir(parents=True)
    (out / "cluster_000" / "a.jpg").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        export_folders(ws, out)
    export_folders(ws, out, force=True)
    assert (out / "cluster_000" / "a.jpg").read_text() == "mine"
    assert (out / "cluster_000" / "a_2.jpg").is_symlink()


def test_refuses_to_write_inside_the_source(workspace):
    ws, source = workspace
    with pytest.raises(ConfigError, match="inside the source"):
        export_folders(ws, source / "clusters")
    assert not (source / "clusters").exists()


def test_unknown_method_lists_the_stored_ones(workspace):
    ws, _ = workspace
    with pytest.raises(ConfigError, match="kmeans, hdbscan"):
        export_table(ws, "spectral")


def test_table_without_and_with_outliers_and_duplicates(workspace):
    ws, _ = workspace
    frame = export_table(ws)
    assert list(frame.columns) == ["id", "path", "label", "cluster", "cluster_name", "distance", "outlier_score",
                                   "duplicate_group", "taken_at", "split", "label_given", "review"]
    assert frame[["split", "label_given", "review"]].isna().all().all()  # no splits, no relabel, no review
    assert len(frame) == 6 and "dogs/bad.jpg" not in set(frame["path"])
    assert frame["outlier_score"].isna().all() and frame["duplicate_group"].isna().all()
    assert frame["label"].tolist() == ["cats"] * 3 + ["dogs"] * 3
    ids = frame["id"].tolist()
    write_artifact(ws.path, "outliers.parquet", pd.DataFrame({"id": ids[::-1], "score": [0.5, 0.4, 0.3, 0.2, 0.1, 0.0]}))
    write_artifact(ws.path, "duplicates.parquet", pd.DataFrame({"group": [0, 0], "id": [ids[2], ids[4]]}))
    frame = export_table(ws, "hdbscan")
    assert frame["outlier_score"].tolist() == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert frame["duplicate_group"].isna().sum() == 4 and frame["duplicate_group"][[2, 4]].tolist() == [0, 0]
    assert frame["cluster"].tolist() == [0, 0, -1, 1, -1, 1]
    assert np.isnan(frame["distance"][2]) and frame["distance"][0] == 1.0


def _invoke(*args):
    result = CliRunner().invoke(app, ["export", *[str(a) for a in args]])
    return result


def test_cli_csv_parquet_and_folders(workspace, tmp_path):
    ws, source = workspace
    result = _invoke(ws.path, "--to", "csv", tmp_path / "t.csv")
    assert result.exit_code == 0, result.output
    assert "1 file failed to decode" in result.output
    csv = pd.read_csv(tmp_path / "t.csv")
    assert len(csv) == 6 and csv["outlier_score"].isna().all() and csv["distance"].tolist()[1] == 0.1
    result = _invoke(ws.path, "--to", "parquet", tmp_path / "t.parquet", "--method", "hdbscan")
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(tmp_path / "t.parquet")
    assert str(table["duplicate_group"].dtype) == "Int64" and (table["cluster"] == -1).sum() == 2
    result = _invoke(ws.path, "--to", "folders", tmp_path / "f", "--copy")
    assert result.exit_code == 0, result.output
    assert "6 images copied into 2 cluster folders" in result.output
    assert not (tmp_path / "f" / "cluster_000" / "a.jpg").is_symlink()
    assert _invoke(ws.path, "--to", "folders", tmp_path / "f").exit_code != 0  # not empty now
    assert _invoke(ws.path, "--to", "zip", tmp_path / "x").exit_code != 0


def test_folders_named_after_clusters_made_safe_for_every_file_system(workspace, tmp_path):
    from imgorg import edit_clusters
    from imgorg.curation import Rename

    ws, _ = workspace
    edit_clusters(ws, Rename(0, 'cats: "the" best/worst?'))
    edit_clusters(ws, Rename(1, "CON"))  # a Windows device name: the id alone names the folder
    export_folders(load_workspace(ws.path), tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["000 cats the best worst", "cluster_001"]


@pytest.mark.parametrize("by, expected", [
    ("date", ["2023/12/c.png", "2024/05/a.jpg", "2024/05/b.jpg", "2024/05/same.jpg", "2024/06/d.jpg",
              "2024/06/same.jpg"]),
    ("cluster,date", ["cluster_000/2024/05/a.jpg", "cluster_000/2024/05/b.jpg", "cluster_000/2024/06/d.jpg",
                      "cluster_001/2023/12/c.png", "cluster_001/2024/05/same.jpg", "cluster_001/2024/06/same.jpg"]),
])
def test_folders_by_capture_month(workspace, tmp_path, by, expected):
    ws, _ = workspace
    export_folders(ws, tmp_path / "out", by=by)
    assert _tree(tmp_path / "out") == expected


def test_the_cli_says_which_folders_an_export_by_date_made(workspace, tmp_path):
    """--by date makes month folders: it said "6 images linked into 2 cluster folders"."""
    ws, source = workspace
    result = _invoke(ws.path, "--to", "folders", tmp_path / "d", "--by", "date")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "6 images linked into 3 month folders (YYYY/MM by capture time)" in said and "cluster" not in said
    assert f"1 file failed to decode and was not exported (`imgorg inspect {source}`" in said
    result = _invoke(ws.path, "--to", "folders", tmp_path / "cd", "--by", "cluster,date")
    assert "6 images linked into 5 cluster/YYYY/MM folders (2 clusters)" in " ".join(result.output.split())


def test_an_unknown_grouping_is_refused(workspace, tmp_path):
    with pytest.raises(ConfigError, match="cluster,date"):
        export_folders(workspace[0], tmp_path / "out", by="week")


def test_the_id_of_a_file_that_failed_is_said_to_be_one(workspace):
    """The catalog gives a failed file an id; asking for it said 'failed images have none'."""
    ws, _ = workspace
    failed = int(ws.catalog.loc[ws.catalog["status"] != "ok", "id"].iloc[0])
    with pytest.raises(ConfigError, match=rf"no image with id {failed} .*is a file that failed to decode"):
        ws.rows_of([failed])
    with pytest.raises(ConfigError, match=r"no image with id 999 in this workspace \(ids run 0\.\."):
        ws.rows_of([999])


def test_the_review_says_which_files_it_could_not_look_at(workspace):
    """The summary never said that 2 undecodable files are in no finding."""
    ws, _ = workspace
    out = CliRunner().invoke(app, ["review", str(ws.path), "--kinds", "dark"], terminal_width=400)
    assert out.exit_code == 0, out.output
    assert "1 file could not be decoded and is in no finding (e.g. dogs/bad.jpg: not an image" in out.output


def test_where_a_backup_shares_a_name_the_original_keeps_it(tmp_path):
    """Backup/DSC01001.JPG was linked as DSC01001.JPG and the camera's own file (and its sidecar) became
    DSC01001_2.JPG: files in a backup folder, or named like a copy, come after the others."""
    source = tmp_path / "source"
    for i, rel in enumerate(("Backup/DSC01001.JPG", "DCIM/DSC01001.JPG", "DCIM/DSC01002 copy.JPG", "DCIM/DSC01002.JPG")):
        make_image(source / rel, (60 * i, 100, 200 - 40 * i))
    catalog = scan_folder(source)
    catalog["status"] = "ok"
    n = len(catalog)
    embeddings = np.eye(n, 8, dtype=np.float32)
    assignments = pd.DataFrame({"id": catalog["id"].to_numpy(), "kmeans": np.zeros(n, int),
                                "kmeans_distance": np.zeros(n, np.float32)})
    ws = Workspace(tmp_path / "ws", {"default_method": "kmeans", "source": {"kind": "folder", "root": str(source)}},
                   catalog, embeddings, embeddings[:, :4].copy(), assignments, {})
    save_workspace(ws)
    export_folders(load_workspace(ws.path), tmp_path / "out")
    folder = tmp_path / "out" / "cluster_000"
    assert (folder / "DSC01001.JPG").resolve() == (source / "DCIM" / "DSC01001.JPG").resolve()
    assert (folder / "DSC01001_2.JPG").resolve() == (source / "Backup" / "DSC01001.JPG").resolve()
