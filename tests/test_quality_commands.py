"""search, duplicates, outliers and classify on a real workspace with planted copies."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from imgorg import ClusterConfig, RunConfig, run
from imgorg.cli.main import app
from imgorg.workspace import read_artifact

from .corpus import TRANSFORMS, write_copies

pytestmark = pytest.mark.slow
COPIED = 5


@pytest.fixture(scope="module")
def corpus(cifar_small, tmp_path_factory):
    """8 CIFAR images per class; 5 of them with 4 transformed copies; one exact copy; one noise image."""
    source = tmp_path_factory.mktemp("dups") / "images"
    for folder in sorted(cifar_small.iterdir()):
        for path in sorted(folder.iterdir())[:8]:
            (source / folder.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, source / folder.name / path.name)
    originals = [sorted((source / c).iterdir())[0] for c in ("cat", "dog", "ship", "truck", "frog")]
    for original in originals:
        write_copies(original, original.parent)
    shutil.copy(sorted((source / "bird").iterdir())[1], source / "bird" / "exact_copy.jpg")
    noise = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    Image.fromarray(noise).save(source / "horse" / "noise.png")
    ws = run(source, tmp_path_factory.mktemp("dups-ws") / "ws",
             RunConfig(cluster=ClusterConfig(method="kmeans", k=10))).workspace
    return ws, originals


def invoke(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def test_duplicates_finds_every_planted_copy_and_nothing_else(corpus):
    ws, originals = corpus
    invoke("duplicates", ws.path)
    frame = read_artifact(ws.path, "duplicates.parquet")
    stems = frame["path"].str.split("_").str[0].str.replace(".jpg", "")  # "cat/0014_crop10.png" -> "cat/0014"
    expected = {f"{o.parent.name}/{o.stem}" for o in originals}
    for stem in expected:
        members = frame[stems == stem]
        assert len(members) == 1 + len(TRANSFORMS), f"{stem}: {members['path'].tolist()}"
        assert members["group"].nunique() == 1
        kept = members[members["keep"]]
        assert len(kept) == 1 and kept["path"].iloc[0].endswith("_resized.png")  # the most pixels
        # similarity is the pair score the threshold applies to: the keeper is in its group's star,
        # so the centre (or, if the keeper is the centre, every member) scores at least the threshold
        assert members.loc[~members["keep"], "similarity"].max() >= 0.82
    exact = frame[frame["kind"] == "exact"]
    assert len(exact) == 2 and exact["path"].str.endswith("exact_copy.jpg").any()
    assert frame["group"].nunique() == len(expected) + 1  # no false groups


def test_outliers_rank_noise_first_and_are_stored_for_the_app(corpus):
    ws, _ = corpus
    out = invoke("outliers", ws.path, "--top", 3)
    frame = read_artifact(ws.path, "outliers.parquet")
    assert frame["path"].iloc[0] == "horse/noise.png" and "horse/noise.png" in out
    assert frame["rank"].tolist() == list(range(1, len(ws.images) + 1))
    assert frame["score"].is_monotonic_decreasing
    invoke("outliers", ws.path, "--method", "lof")
    assert read_artifact(ws.path, "outliers.parquet")["method"].iloc[0] == "lof"


def test_search_by_file_by_id_and_json(corpus):
    ws, originals = corpus
    data = json.loads(invoke("search", ws.path, originals[0], "-k", "5", "--json"))
    top = [n["path"] for n in data["neighbours"]]
    assert top[0] == f"cat/{originals[0].name}" and data["neighbours"][0]["similarity"] > 0.999
    assert sum(p.startswith(f"cat/{originals[0].stem}_") for p in top) >= 3  # its copies come next
    image_id = int(ws.images.loc[ws.images["path"] == f"cat/{originals[0].name}", "id"].iloc[0])
    data = json.loads(invoke("search", ws.path, image_id, "-k", "3", "--json"))
    assert data["query_id"] == image_id and image_id not in [n["id"] for n in data["neighbours"]]
    own = ws.cluster_labels(ws.method)  # an image of the workspace is in its own cluster, whatever its neighbours say
    for row in range(0, len(ws.images), 7):
        data = json.loads(invoke("search", ws.path, int(ws.images["id"].iloc[row]), "-k", "3", "--json"))
        assert data["cluster"] == own[row], row
    assert f"Its cluster: {own[0]}" in invoke("search", ws.path, int(ws.images["id"].iloc[0]), "-k", "3")  # the table
    assert "Predicted cluster:" in invoke("search", ws.path, originals[0], "-k", "3")
    assert "precision@10" in invoke("search", ws.path, "--evaluate")
    result = CliRunner().invoke(app, ["search", str(ws.path), "999999"])
    assert result.exit_code != 0


def test_classify_from_folders_and_from_a_csv(corpus, tmp_path):
    ws, _ = corpus
    out = invoke("classify", ws.path, "--models", "logistic,rf", "--folds", "3")
    record = read_artifact(ws.path, "classify.json")
    assert {m["name"] for m in record["models"]} == {"logistic", "rf"}
    assert max(m["accuracy"] for m in record["models"]) > 0.4  # 10 classes: chance is 0.1
    assert "best" in out
    images = ws.images
    few = images[images["label"].isin(["cat", "ship"])].head(16)
    pd.DataFrame({"path": few["path"], "label": few["label"]}).to_csv(tmp_path / "labels.csv", index=False)
    invoke("classify", ws.path, "--labels", tmp_path / "labels.csv", "--models", "svm")
    predictions = read_artifact(ws.path, "predictions.parquet")
    unlabelled = predictions[predictions["source"] == "unlabelled"]
    assert len(unlabelled) == len(images) - len(few)
    assert set(unlabelled["predicted"]) <= {"cat", "ship"} and unlabelled["probability"].between(0.5, 1).all()


def test_classify_says_what_is_missing(corpus, tmp_path):
    ws, _ = corpus
    (tmp_path / "bad.csv").write_text("file,label\na.jpg,cat\n")
    result = CliRunner().invoke(app, ["classify", str(ws.path), "--labels", str(tmp_path / "bad.csv")])
    assert result.exit_code != 0 and "needs a 'label' column and an 'id' or 'path' column" in str(result.exception)
    missing = CliRunner().invoke(app, ["classify", str(ws.path), "--labels", str(tmp_path / "nofile.csv")])
    assert "cannot read the labels CSV" in str(missing.exception)  # a traceback of pandas' before


def test_duplicates_of_a_folder_embeds_it_once_then_reuses_its_workspace(corpus, tmp_path):
    ws, originals = corpus
    folder, out = ws.manifest["source"]["root"], tmp_path / "ws"
    first = " ".join(invoke("duplicates", folder, "--out", out).split())  # rich wraps long lines
    assert "embedding it into" in first and "groups of duplicates" in first
    expected = read_artifact(ws.path, "duplicates.parquet") if (ws.path / "duplicates.parquet").exists() else None
    groups = read_artifact(out, "duplicates.parquet")
    assert groups["group"].nunique() == len(originals) + 1  # the planted copies and the exact copy
    if expected is not None:
        assert sorted(groups["path"]) == sorted(expected["path"])
    again = " ".join(invoke("duplicates", folder, "--out", out).split())
    assert "Using the workspace" in again and "embedding it into" not in again
    other = tmp_path / "other"
    (other / "a").mkdir(parents=True)
    shutil.copy(originals[0], other / "a" / "x.jpg")
    shutil.copy(originals[1], other / "a" / "y.jpg")
    refused = CliRunner().invoke(app, ["duplicates", str(other), "--out", str(out)])
    assert refused.exit_code != 0 and "another source" in str(refused.exception)


def test_fast_duplicates_of_a_folder_skip_the_embedding_and_find_the_planted_copies(corpus, tmp_path):
    ws, originals = corpus
    folder, out = ws.manifest["source"]["root"], tmp_path / "fast"
    printed = " ".join(invoke("duplicates", folder, "--fast", "--out", out, "--csv", tmp_path / "d.csv").split())
    assert "embedding" not in printed and "threshold 0.88" in printed
    assert not (out / "manifest.json").exists()  # the groups only, no workspace
    frame = pd.read_parquet(out / "duplicates.parquet")
    assert frame.equals(pd.read_csv(tmp_path / "d.csv").astype(frame.dtypes.to_dict()))
    stems = frame["path"].str.split("_").str[0].str.replace(".jpg", "")
    for original in originals:
        members = frame[stems == f"{original.parent.name}/{original.stem}"]
        assert len(members) == 1 + len(TRANSFORMS) and members["group"].nunique() == 1, members["path"].tolist()
    assert frame["path"].str.endswith("exact_copy.jpg").any()
    assert frame["group"].nunique() == len(originals) + 1  # no false groups
    # ids are the catalog's, as a workspace of the folder would number them
    assert dict(zip(frame["path"], frame["id"])).items() <= dict(zip(ws.catalog["path"], ws.catalog["id"])).items()
    # where the folder has a workspace, its embeddings are used: better recall for no more time
    again = " ".join(invoke("duplicates", folder, "--fast", "--out", ws.path).split())
    assert "--fast not needed" in again and "Using the workspace" in again and "threshold 0.82" in again
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "fewer than two images" in " ".join(invoke("duplicates", empty, "--fast", "--out", tmp_path / "e").split())
    for args, message in (([folder, "--fast", "--threshold", "1.5"], "the default is 0.88"),
                          ([folder, "--out", tmp_path / "d.csv"], "is a file")):
        result = CliRunner().invoke(app, ["duplicates", *map(str, args)])
        assert result.exit_code != 0 and message in str(result.exception), result.output


def test_duplicates_says_what_it_takes(corpus, tmp_path):
    ws, originals = corpus
    photos = tmp_path / "photos"  # a folder of images that has a manifest.json of its own
    photos.mkdir()
    shutil.copy(originals[0], photos / "a.jpg")
    shutil.copy(originals[0], photos / "b.jpg")
    shutil.copy(originals[1], photos / "c.jpg")
    (photos / "manifest.json").write_text('{"name": "my photos"}')
    out = " ".join(invoke("duplicates", photos, "--out", tmp_path / "ws").split())
    assert "1 groups of duplicates" in out
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(originals[0], one / "a.jpg")
    assert "fewer than two images" in " ".join(invoke("duplicates", one).split())
    (one / "b.jpg").write_text("not a picture")  # two image files, one readable: said, not a crash
    out = " ".join(invoke("duplicates", one, "--out", tmp_path / "ws-one").split())
    assert "0 groups of duplicates: 1 of the 2 files selected" in out and "b.jpg: not an image" in out
    for args, message in (([ws.path, "--out", tmp_path / "x"], "already a workspace"),
                          ([ws.path, "--fast"], "drop --fast"),
                          ([tmp_path / "missing"], "does not exist")):
        result = CliRunner().invoke(app, ["duplicates", *map(str, args)])
        assert result.exit_code != 0 and message in str(result.exception), result.output
    part = tmp_path / "part"
    invoke("run", photos, "--out", part, "--limit", "2", "--method", "kmeans", "--k", "2", "--no-report")
    result = CliRunner().invoke(app, ["duplicates", str(photos), "--out", str(part)])
    assert result.exit_code != 0 and "only part of" in str(result.exception)


def test_labels_of_another_length_than_the_images_are_a_clear_error(corpus):
    import pandas as pd
    import pytest

    from imgorg import ConfigError, train_classifiers

    ws, _ = corpus
    with pytest.raises(ConfigError, match="values and the workspace"):  # an IndexError of numpy's before
        train_classifiers(ws, labels=pd.Series(["cat"] * (len(ws.images) - 1)))
