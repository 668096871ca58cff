"""Cluster names and word search from the backbone's own ImageNet classes, on real CIFAR-10 images."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from imgorg import ClusterConfig, RunConfig, run
from imgorg.cli.main import app
from imgorg.tasks.search import Searcher


@pytest.fixture(scope="module")
def workspace(cifar_small, tmp_path_factory):
    return run(cifar_small, tmp_path_factory.mktemp("names") / "ws",
               RunConfig(cluster=ClusterConfig(method="kmeans", k=10))).workspace


def test_tags_are_stored_and_name_the_clusters(workspace):
    tags = workspace.read("tags.parquet")
    assert len(tags) == 300 and {"tag_1", "class_1", "prob_1"} <= set(tags.columns)
    assert (tags["prob_1"] >= tags["prob_2"]).all()
    names = workspace.clusters()["name"]
    assert names.str.len().gt(0).all() and names.is_unique  # every cluster named, no two alike


def test_word_search_without_clip_ranks_the_word_s_images_first(workspace):
    found, how = Searcher(workspace).search_text("dogs", 10)
    assert "dog" in how and len(found) == 10
    labels = workspace.images["label"].to_numpy()[[n.row for n in found]]
    assert (labels == "dog").mean() >= 0.5  # 30 dogs among 300 images: chance is 0.1 (measured 0.6)
    assert all(a.similarity >= b.similarity for a, b in zip(found, found[1:]))
    found, how = Searcher(workspace).search_text("terier", 10)  # misspelt: the nearest word is searched, and said
    assert found and "nearest words that do: terrier" in how and "searched 'terrier'" in how


def test_the_cli_says_how_it_searched(workspace):
    out = CliRunner().invoke(app, ["search", str(workspace.path), "--text", "car", "--json"])
    assert out.exit_code == 0 and "ImageNet classes for 'car'" in out.stdout


def test_a_word_that_reaches_nothing_answers_with_the_nearest_words_in_json_fields(workspace):
    out = CliRunner().invoke(app, ["search", str(workspace.path), "--text", "selfie", "--json"])
    assert out.exit_code == 0, out.stdout
    said = json.loads(out.stdout)["words"]
    assert said["reached"] is False and said["nearest"][0] == "face" and said["searched"] == "face"
    assert said["through"] and {"name", "relation", "via", "weight", "classes"} <= set(said["through"][0])


def test_a_word_no_image_matches_is_said_not_shown_as_an_empty_table(workspace):
    searcher = Searcher(workspace)
    word = next(w for w in ("volcano", "guacamole", "toilet tissue", "mushroom", "pretzel", "bubble")
                if not searcher.search_text(w, 10)[0])  # no CIFAR image's top classes fall under it
    out = CliRunner().invoke(app, ["search", str(workspace.path), "--text", word])
    said = " ".join(out.stdout.split())
    assert out.exit_code == 0 and f"No image matches '{word}'" in said and "broader word" in said
    assert "rank" not in said  # no empty table


def test_a_query_is_given_as_image_id_or_words_and_one_at_a_time(workspace, tmp_path):
    runner = CliRunner()
    by_id = runner.invoke(app, ["search", str(workspace.path), "--id", "3", "--json", "-k", "4"])
    positional = runner.invoke(app, ["search", str(workspace.path), "3", "--json", "-k", "4"])
    assert by_id.exit_code == 0 and json.loads(by_id.stdout)["neighbours"] == json.loads(positional.stdout)["neighbours"]
    file = workspace.root / workspace.images["path"].iloc[3]
    by_file = runner.invoke(app, ["search", str(workspace.path), "--image", str(file), "--json", "-k", "4"])
    assert by_file.exit_code == 0 and json.loads(by_file.stdout)["neighbours"][0]["id"] == 3  # itself
    both = runner.invoke(app, ["search", str(workspace.path), "--id", "3", "--text", "dog"])
    assert both.exit_code != 0 and "give one query, not --id and --text" in str(both.exception)


def test_python_searches_words_with_search_config_text(workspace):
    import imgorg

    words = imgorg.find_similar(workspace, imgorg.SearchConfig(text="dogs", k=5))
    assert words.words is not None and len(words.ids) == 5
    with pytest.raises(imgorg.ConfigError, match=r"for words, pass SearchConfig\(text='dogs'\)"):
        imgorg.find_similar(workspace, imgorg.SearchConfig("dogs"))  # neither a file nor an id
    with pytest.raises(imgorg.ConfigError, match="give one query"):
        imgorg.SearchConfig(3, text="dogs").validate()


def test_a_word_search_returns_no_image_that_barely_shows_the_word(workspace):
    # an image whose tags put a trace on the word (astronauts at 0.003 for "car") is no answer
    from imgorg.tasks.search import MIN_WORD_SCORE

    from imgorg import naming, words

    tags, searcher = workspace.tags(), Searcher(workspace)
    for word in ("cow", "tractor", "sea", "harbor", "bus", "farm", "dog"):  # one with traces and real answers
        scores = naming.word_scores(tags.classes, tags.probs, words.reach(word).weights)
        if ((scores > 0) & (scores < MIN_WORD_SCORE)).any() and (scores >= MIN_WORD_SCORE).any():
            break
    found, _ = searcher.search_text(word, len(workspace.images))
    assert len(found) == int((scores >= MIN_WORD_SCORE).sum()) and min(n.similarity for n in found) >= MIN_WORD_SCORE


def test_the_words_a_person_gave_a_photo_find_it_first(tmp_path):
    # a keyword from its XMP sidecar ("grandma") names the photo: first, at similarity 1, said in how
    import shutil

    from imgorg import ClusterConfig, MapConfig, RunConfig, run

    from .companion_corpus import xmp_sidecar
    from .conftest import extract_cifar

    folder = extract_cifar(tmp_path / "photos", per_class=2)
    scan = sorted(folder.glob("*/*.jpg"))[5]
    shutil.copy(scan, folder / "scan_0001.jpg")
    (folder / "scan_0001.jpg.xmp").write_bytes(xmp_sidecar(keywords=("Grandma", "kitchen")))
    ws = run(folder, tmp_path / "ws", RunConfig(cluster=ClusterConfig(method="kmeans", k=2),
                                                map=MapConfig(method="none"))).workspace
    found, how = Searcher(ws).search_text("grandma", 5)
    assert ws.images["path"].iloc[found[0].row] == "scan_0001.jpg" and found[0].similarity == 1.0
    assert how.startswith("1 image whose keywords or description say 'grandma'") and len(found) <= 5
    assert Searcher(ws).named_by("grand")[0].size == 0  # whole words only


def test_an_empty_or_overlong_text_query_says_which(workspace):
    from imgorg.tasks.search import MAX_TEXT

    from imgorg import ConfigError

    with pytest.raises(ConfigError, match="the text query is empty"):  # it said "1 characters" for a space
        Searcher(workspace).search_words(" ", 5)
    with pytest.raises(ConfigError, match=f"give at most {MAX_TEXT:,}"):
        Searcher(workspace).search_words("x" * (MAX_TEXT + 1), 5)
