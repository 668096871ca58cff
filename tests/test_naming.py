"""Cluster names and word search from ImageNet tags; zero-shot names from embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from imgorg import naming, vocabulary, words
from imgorg.constants import NOISE
from imgorg.errors import ConfigError

INDEX = {name: i for i, name in enumerate(vocabulary.class_names())}
DOGS = [vocabulary.class_name(i) for i in vocabulary.classes_under("dog")][:40]
CATS = ["tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"]
CARS = ["sports car", "convertible", "cab", "beach wagon"]


def make_tags(groups: dict[int, list[str]], per_cluster: int = 60, seed: int = 0):
    """Each image: one class of its cluster's list at 0.6, four random classes of a shared pool below."""
    rng = np.random.default_rng(seed)
    pool = rng.choice(1000, 200, replace=False)
    classes, probs, clusters = [], [], []
    for cluster, members in groups.items():
        for i in range(per_cluster):
            top = INDEX[members[i % len(members)]]
            classes.append([top, *rng.choice(pool[pool != top], 4, replace=False)])
            probs.append([0.6, 0.1, 0.05, 0.03, 0.02])
            clusters.append(cluster)
    return np.array(classes, dtype=np.int16), np.array(probs, dtype=np.float32), np.array(clusters)


def test_hypernyms_name_a_cluster_of_several_classes():
    names = naming.cluster_names(*make_tags({0: ["airliner", "warplane"], 1: DOGS, 2: CATS, 3: CARS}))
    assert names[0].words[0] == "aircraft"  # neither "airliner" nor "craft"/"vehicle"
    assert names[1].words[0] == "dogs"  # 40 breeds; not "canine", "mammal" or a breed; many of them: plural
    assert names[2].words[0] == "cats"
    assert names[3].words[0] == "cars"
    assert names[1].name.startswith("dogs, ") and len(names[1].words) == 2
    assert names[1].synsets[0] == "n02084071" and names[1].size == 60


def test_noise_gets_no_name():
    classes, probs, clusters = make_tags({0: DOGS, 1: CATS, NOISE: ["tench", "goldfish"]})
    names = naming.cluster_names(classes, probs, clusters)
    assert set(names) == {0, 1}


def test_clusters_with_one_first_word_differ_by_the_second():
    classes, probs, clusters = make_tags({0: DOGS, 1: DOGS, 2: CATS, 3: CARS}, seed=1)
    names = naming.cluster_names(classes, probs, clusters)
    assert names[0].words[0] == names[1].words[0] == "dogs"
    assert names[0].name != names[1].name
    assert len({n.name for n in names.values()}) == len(names)


def test_one_word_names_and_a_bad_word_count():
    names = naming.cluster_names(*make_tags({0: DOGS, 1: CATS}), n_words=1)
    assert [n.words for n in names.values()] == [("dogs",), ("cats",)]
    with pytest.raises(ConfigError, match="n_words"):
        naming.cluster_names(*make_tags({0: DOGS}), n_words=0)


def test_word_search_ranks_the_images_tagged_under_the_word_first():
    classes, probs, clusters = make_tags({0: CATS, 1: DOGS, 2: CARS})
    scores = naming.word_scores(classes, probs, "dogs")
    order = np.argsort(-scores, kind="stable")
    assert (clusters[order[:60]] == 1).all()
    assert scores[clusters == 1].min() >= 0.6 and scores[clusters == 2].max() < 0.6


def test_word_search_adds_up_the_mass_under_the_word():
    classes = np.array([[INDEX["tabby"], INDEX["beagle"], INDEX["Persian cat"], INDEX["cab"], INDEX["tench"]]])
    probs = np.array([[0.4, 0.3, 0.2, 0.05, 0.05]])
    assert naming.word_scores(classes, probs, "cat") == pytest.approx([0.6])
    # the beagle counts fully; classes that only relate to "dog" (a gloss, a sister) count a quarter or less
    assert 0.3 <= naming.word_scores(classes, probs, "dog")[0] <= 0.3 + words.BEHIND_NAME * 0.7


def test_word_search_goes_through_the_nearest_word_and_refuses_bad_tags():
    classes, probs, _ = make_tags({0: DOGS})
    assert np.array_equal(naming.word_scores(classes, probs, "terier"), naming.word_scores(classes, probs, "terrier"))
    with pytest.raises(ConfigError, match="logit indices"):
        naming.word_scores(classes + 1000, probs, "dog")
    with pytest.raises(ConfigError, match="one shape"):
        naming.word_scores(classes[:, :3], probs, "dog")


def synthetic_clip(n_clusters: int = 4, per_cluster: int = 50, seed: int = 0):
    """Word k is the direction of cluster k; "thing" is near every cluster; "other" near none."""
    rng = np.random.default_rng(seed)
    dim = 32
    basis = np.linalg.qr(rng.normal(size=(dim, dim)))[0]
    common = basis[n_clusters]
    words = [f"word{k}" for k in range(n_clusters)] + ["thing", "other"]
    word_vecs = np.vstack([basis[:n_clusters] + 0.5 * common, common, basis[n_clusters + 1]])
    images, clusters = [], []
    for k in range(n_clusters):
        images.append(basis[k] + common + 0.2 * rng.normal(size=(per_cluster, dim)))
        clusters += [k] * per_cluster
    images.append(rng.normal(size=(10, dim)))
    clusters += [NOISE] * 10
    return np.vstack(images), np.array(clusters), word_vecs, words


def test_zero_shot_names_take_each_cluster_its_own_word_not_the_shared_one():
    images, clusters, word_vecs, words = synthetic_clip()
    names = naming.zero_shot_names(images, clusters, word_vecs, words)
    assert set(names) == {0, 1, 2, 3}  # noise unnamed
    assert [n.words[0] for n in names.values()] == ["word0", "word1", "word2", "word3"]
    assert all("thing" != n.words[0] for n in names.values())
    assert len({n.name for n in names.values()}) == 4


def test_zero_shot_names_refuse_mismatched_embeddings():
    images, clusters, word_vecs, words = synthetic_clip()
    with pytest.raises(ConfigError, match="one embedding per word"):
        naming.zero_shot_names(images, clusters, word_vecs[:-1], words)
