"""CLIP text search with a tiny random text tower and a hand-made BPE vocabulary, saved locally."""

import gzip
import json

import numpy as np
import pandas as pd
import pytest
import torch
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from imgorg.app.server import create_app
from imgorg.cli.main import app
from imgorg.embed.clip_text import VOCAB_NAME, BpeTokenizer, ClipTextEncoder, build_text_tower
from imgorg.errors import BackboneError, ConfigError
from imgorg.tasks.search import Searcher
from imgorg.sources import scan_folder
from imgorg.views import Workspace, load_workspace
from imgorg.tasks.saving import save_workspace

from .conftest import make_image

MERGES = ["r e", "re d</w>", "c a", "ca r</w>", "d o", "do g</w>"]
WIDTH, CONTEXT, DIM, N_TOKENS = 64, 16, 8, 512 + len(MERGES) + 2
RED_CAR = 3  # the image row planted at the text embedding of "a red car"


def _vocab(folder):
    with gzip.open(folder / VOCAB_NAME, "wt", encoding="utf-8") as handle:
        handle.write("#version: 0.2\n" + "\n".join(MERGES) + "\n")
    return folder / VOCAB_NAME


def _random_clip(folder, layers=2):
    """A state dict with CLIP's text keys (and one visual key, ignored), random weights, fp16 like OpenAI's."""
    torch.manual_seed(0)
    from imgorg.embed.clip_text import ClipTextTransformer

    tower = ClipTextTransformer(N_TOKENS, CONTEXT, WIDTH, layers, 1, DIM)
    for p in tower.parameters():
        torch.nn.init.normal_(p, std=0.1)
    state = {k: v.half() for k, v in tower.state_dict().items()}
    state["visual.proj"] = torch.zeros(4, DIM)
    state["logit_scale"] = torch.tensor(4.6)
    torch.save(state, folder / "ViT-B-32.pt")
    _vocab(folder)
    return folder / "ViT-B-32.pt"


def test_tokenizer_merges_by_rank_and_marks_word_ends(tmp_path):
    tokens = BpeTokenizer(_vocab(tmp_path))
    red, car = tokens.encoder["red</w>"], tokens.encoder["car</w>"]
    assert (red, car) == (513, 515)  # 512 byte symbols, then the merges in order
    assert tokens.encode("A  RED car!") == [tokens.encoder["a</w>"], red, car, tokens.encoder["!</w>"]]
    assert tokens.encode("a red&amp;car") == [tokens.encoder["a</w>"], red, tokens.encoder["&</w>"], car]
    assert tokens.encode("reds") == [tokens.encoder["re"], tokens.encoder["d"], tokens.encoder["s</w>"]]
    ids = tokens.tokenize("dog " * 40, CONTEXT)
    assert ids[0] == tokens.start and ids[-1] == tokens.end and len(ids) == CONTEXT
    assert tokens.tokenize("dog", CONTEXT).tolist()[:4] == [tokens.start, tokens.encoder["dog</w>"], tokens.end, 0]


def test_encoder_is_unit_length_deterministic_and_causal(tmp_path):
    encoder = ClipTextEncoder(_random_clip(tmp_path))
    red, blue = encoder("a red car"), encoder("a dog")
    assert red.dtype == np.float32 and red.shape == (DIM,) and abs(np.linalg.norm(red) - 1) < 1e-5
    assert np.allclose(red, encoder("a red car")) and not np.allclose(red, blue)
    tokens = torch.from_numpy(encoder.tokenizer.tokenize("a red car", CONTEXT))[None]
    changed = tokens.clone()
    changed[0, 5:] = 7  # [start, a, red, car, end, padding...]: a causal model never reads past the end
    with torch.inference_mode():
        assert torch.allclose(encoder.model(tokens), encoder.model(changed), atol=1e-5)


def test_a_checkpoint_without_a_text_tower_is_refused(tmp_path):
    with pytest.raises(BackboneError, match="no CLIP text tower"):
        build_text_tower({"visual.proj": torch.zeros(2, 2)})


@pytest.fixture()
def workspace(tmp_path):
    (tmp_path / "weights").mkdir()
    weights = _random_clip(tmp_path / "weights")
    source = tmp_path / "source"
    for i in range(6):
        make_image(source / f"{i}.png", (40 * i, 10, 10))
    catalog = scan_folder(source)
    catalog["status"] = "ok"
    rng = np.random.default_rng(1)
    embeddings = rng.normal(size=(6, DIM)).astype(np.float32)
    embeddings[RED_CAR] = ClipTextEncoder(weights)("a red car") + rng.normal(0, 0.01, DIM)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    assignments = pd.DataFrame({"id": catalog["id"], "kmeans": [0, 0, 1, 1, 2, 2]})
    manifest = {"default_method": "kmeans", "source": {"kind": "folder", "root": str(source)},
                "config": {"embed": {"backbone": "clip-vit-b-32", "weights": str(weights)}},
                "backbone": {"id": "clip-vit-b-32", "dim": DIM}}
    save_workspace(Workspace(tmp_path / "ws", manifest, catalog, embeddings, embeddings.copy(), assignments, {}))
    return load_workspace(tmp_path / "ws")


def test_searcher_finds_the_image_nearest_the_sentence(workspace):
    found = Searcher(workspace).neighbours(Searcher(workspace).embed_text("a red car"), 3)
    assert found[0].row == RED_CAR and found[0].similarity > 0.99


def test_cli_text_search(workspace):
    result = CliRunner().invoke(app, ["search", str(workspace.path), "--text", "a red car", "-k", "2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["text"] is True and data["neighbours"][0]["path"] == f"{RED_CAR}.png"
    both = CliRunner().invoke(app, ["search", str(workspace.path), "0", "--text", "a red car"])
    assert both.exit_code != 0


def test_api_text_search(workspace):
    client = TestClient(create_app(workspace.path))
    response = client.post("/api/search", params={"text": "a red car", "k": 2})
    assert response.status_code == 200, response.text
    assert response.json()["neighbours"][0]["id"] == RED_CAR and response.json()["text"] == "a red car"
    assert client.post("/api/search", params={"text": "x" * 1001}).status_code == 422


def test_text_search_refuses_other_backbones(workspace):
    workspace.manifest["config"]["embed"]["backbone"] = "efficientnet-lite0"
    with pytest.raises(ConfigError, match="clip-vit-b-32 alone"):
        Searcher(workspace).embed_text("a red car")
    path = workspace.path / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["config"]["embed"]["backbone"] = "clip-vit-b-32+dinov2-vits14"  # the DINO part has no text tower
    path.write_text(json.dumps(manifest))
    response = TestClient(create_app(workspace.path)).post("/api/search", params={"text": "a red car"})
    assert response.status_code == 400 and "clip-vit-b-32" in response.json()["detail"]


@pytest.mark.slow
def test_text_search_in_the_browser(workspace):
    from .browser import browser_page, require_browser, serve_in_thread

    require_browser()
    with serve_in_thread(create_app(workspace.path)) as url, browser_page() as (page, errors):
        page.goto(url)
        page.click("nav button[data-view=search]")
        page.fill("#search-text", "a red car")
        page.fill("#search-k", "3")
        page.click("#search-form button[type=submit]")
        page.wait_for_selector("#search-gallery figure")
        assert page.locator("#search-gallery img").first.get_attribute("alt") == f"{RED_CAR}.png"
        assert page.locator("#search-gallery figure").count() == 3
    assert not [e for e in errors if "search" in e.lower()]


def test_clip_clusters_are_named_zero_shot_from_the_vocabulary(workspace):
    """A CLIP workspace has no ImageNet tags: its clusters take the vocabulary words nearest them."""
    from imgorg.vocabulary import vocabulary_words

    names = workspace.clusters()["name"]
    assert names.str.len().gt(0).all() and names.is_unique
    words = set(vocabulary_words())
    assert all(set(n.split(", ")) <= words for n in names)


def test_the_predicted_cluster_of_a_new_image_weighs_its_neighbours_by_similarity():
    """An exact copy (similarity 1.0) of an image of cluster 3 was predicted "cluster 0" with k = 2 or 5:
    a plain majority broke ties by the lowest id."""
    import numpy as np

    from imgorg.tasks.search import Neighbour, Searcher

    labels = np.array([0, 0, 3, 3, 1, -1])
    predict = Searcher.predicted_cluster
    assert predict(None, [Neighbour(2, 1.0), Neighbour(0, 0.6)], labels) == 3
    assert predict(None, [Neighbour(2, 0.99), Neighbour(0, 0.6), Neighbour(1, 0.55), Neighbour(3, 0.5),
                          Neighbour(4, 0.4)], labels) == 3  # 1.49 against 1.15
    assert predict(None, [Neighbour(5, 0.9), Neighbour(0, 0.3)], labels) == 0  # noise only if nothing else
    assert predict(None, [Neighbour(5, 0.9)], labels) == -1 and predict(None, [], labels) == -1
