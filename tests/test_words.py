"""Words that reach ImageNet classes through WordNet's relations, words that reach nothing, and
cluster names in everyday words (the packaged tables only: no model, no images)."""

from __future__ import annotations

import numpy as np
import pytest

from imgorg import naming, vocabulary, words
from imgorg.errors import ConfigError

INDEX = {name: i for i, name in enumerate(vocabulary.class_names())}


def through(word: str) -> dict[str, words.Through]:
    return {t.name: t for t in words.reach(word).through}


def reached_classes(word: str) -> set[str]:
    return {vocabulary.class_name(i) for i in words.reach(word).classes}


def test_a_word_of_the_vocabulary_reaches_its_classes_by_name_first():
    reach = words.reach("cars")
    assert reach.reached and {"car", "railcar"} == {t.name for t in reach.through if t.relation == "name"}
    assert reach.weights[vocabulary.classes_under("car")].min() == 1.0  # its own classes count fully
    assert through("car")["grille"].relation == "part"  # a grille is part of a car
    others = np.setdiff1d(reach.classes, vocabulary.classes_under("car"))
    assert len(others) and reach.weights[others].max() <= words.BEHIND_NAME  # related classes only order the rest


def test_beach_reaches_the_shore_as_a_part_and_landforms_as_sisters():
    found = through("beach")
    assert found["shore"].relation == "part" and found["shore"].via == "shore"
    assert {"seashore", "lakeside"} <= reached_classes("beach")
    assert found["cliff"].relation == "sister"  # both are geological formations
    assert found["shore"].weight > found["cliff"].weight  # the more direct relation ranks first


def test_snow_reaches_the_classes_whose_glosses_name_it():
    found = through("snow")
    assert {"ski", "snowmobile"} <= {name for name, t in found.items() if t.relation == "gloss"}
    assert "Brittany spaniel" not in through("dog")  # its gloss names dogs, but "dog" reached it already
    assert "dogsled" in reached_classes("snow")  # the gloss of "sled", above it, names snow


def test_a_derived_word_reaches_through_the_noun_it_comes_from():
    found = through("snowy")
    assert found["ski"].relation == "derived" and found["ski"].via == "snow"
    assert found["ski"].weight == pytest.approx(words.RELATIONS["gloss"] * words.DERIVED)


def test_a_word_reaches_through_the_words_of_its_own_gloss():
    found = through("sunset")  # "the time in the evening when the sun disappears"
    assert found["sunglass"].relation == "gloss word" and found["sunglass"].via == "sun"


def test_a_phrase_goes_through_each_of_its_words():
    reach = words.reach("dog on the beach")
    assert reach.reached and reach.searched == "dog, beach"
    assert reach.weights[vocabulary.classes_under("dog")].min() == 1.0
    assert reach.weights[INDEX["seashore"]] == words.reach("beach").weights[INDEX["seashore"]]  # as for beach alone
    assert words.reach("hot dog").through[0].name == "hotdog"  # a phrase WordNet knows stays one word


def test_a_misspelt_word_goes_through_the_nearest_word_and_says_so():
    reach = words.reach("beachh")
    assert not reach.reached and reach.nearest[0] == "beach" and reach.searched == "beach"
    assert np.array_equal(reach.weights, words.reach("beach").weights)
    assert "reaches no ImageNet class" in reach.describe() and "nearest words that do: beach" in reach.describe()


def test_a_word_newer_than_wordnet_gets_stand_ins_in_fields():
    said = words.reach("selfie").to_dict()
    assert said["reached"] is False and said["nearest"][:2] == ["face", "person"] and said["searched"] == "face"
    assert said["classes"] > 0 and said["through"][0]["relation"]
    assert words.reach("screenshots").searched == "web site"  # the plural reached nothing at all; screenshots are tagged so
    assert words.reach("selfies").nearest[:2] == ("face", "person")  # not "selfish"


def test_a_word_for_written_matter_reaches_the_classes_pages_are_tagged_with():
    """"document" reached palaces and gowns through the "official" of its gloss; words for papers are
    answered by the classes that pictures of pages, receipts and letters are tagged with."""
    found = through("document")
    assert set(found) == {"web site", "menu", "envelope", "book jacket", "binder"}
    assert {t.relation for t in found.values()} == {"looks like"} and "palace" not in reached_classes("document")
    assert words.reach("document").through[0].name == "web site"  # the first listed a little ahead
    assert reached_classes("receipts") == {"menu", "web site"}  # not "receipts" as income (fodder)
    assert words.reach("documents").searched == "document" and words.reach("documents").reached


def test_a_word_near_nothing_says_so_without_an_error():
    reach = words.reach("qzxwvk")
    assert not reach.reached and not reach.classes.size and reach.to_dict()["searched"] is None
    assert "no word near it does" in reach.describe()
    with pytest.raises(ConfigError, match="empty"):
        words.reach("  ")


def test_zipf_and_plurals():
    assert words.zipf("dog") > 5 > words.EVERYDAY > words.zipf("even-toed ungulate")
    assert [words.plural(w) for w in ("horse", "golden retriever", "mouse", "deer", "bus", "puppy", "fireman")] == \
        ["horses", "golden retrievers", "mice", "deer", "buses", "puppies", "firemen"]
    # a mass noun has no plural: a cluster of sports gear is "sports equipment", not "equipments"
    assert [words.plural(w) for w in ("sports equipment", "furniture", "footwear")] == \
        ["sports equipment", "furniture", "footwear"]


def test_a_name_moves_from_a_rare_to_an_everyday_word():
    ungulates = [vocabulary.class_name(i) for i in vocabulary.classes_under("even-toed ungulate")]
    rng = np.random.default_rng(0)
    tops = [INDEX[ungulates[i % len(ungulates)]] for i in range(60)] + [INDEX["tabby"]] * 60
    classes = np.array([[t, *rng.choice(1000, 4, replace=False)] for t in tops])
    probs = np.tile([0.6, 0.1, 0.05, 0.03, 0.02], (120, 1))
    clusters = np.repeat([0, 1], 60)
    _, _, mass = naming.class_mass(classes, probs, clusters)
    scores = naming.distinctive(mass)
    table = vocabulary.hierarchy()
    scores[:, table.generic] = 0
    assert table.order[int(np.argmax(scores[0]))] == vocabulary.synsets_for("even-toed ungulate")[0].wnid
    name = naming.cluster_names(classes, probs, clusters)[0]  # the best-scoring word is rare: an everyday one says it
    assert all(words.everyday_name(wnid)[1] >= words.EVERYDAY for wnid in name.synsets)
    assert "even-toed ungulate" not in name.name


def test_a_phrase_counts_as_rarer_than_its_rarest_word_in_names():
    # wordfreq rates "sea cow" as about "cow" (an upper bound); as a name part it is not in common use
    assert words.zipf("sea cow") >= words.EVERYDAY > words.name_zipf("sea cow")
    assert words.name_zipf("plane") == words.zipf("plane")
    rng = np.random.default_rng(0)
    tops = [INDEX["dugong"]] * 36 + [INDEX["airliner"]] * 24 + [INDEX["tabby"]] * 60
    classes = np.array([[t, *rng.choice(1000, 4, replace=False)] for t in tops])
    probs = np.tile([0.6, 0.1, 0.05, 0.03, 0.02], (120, 1))
    name = naming.cluster_names(classes, probs, np.repeat([0, 1], 60), n_words=1)[0]
    assert "sea cow" not in name.name  # the everyday word says the airliners instead
    assert INDEX["airliner"] in vocabulary.classes_under(vocabulary.hierarchy().synsets[name.synsets[0]].name)


def test_an_article_is_no_part_of_the_word_and_alone_reaches_nothing():
    assert words.reach("a dog").searched == "dog" and words.reach("a dog").reached  # was "sea dog", spelled like it
    assert words.reach("the beach").classes.tolist() == words.reach("beach").classes.tolist()
    alone = words.reach("a")  # its glosses reached telescopes ("a" unit of radiation)
    assert not alone.through and not alone.nearest


def test_a_proper_adjective_alone_is_never_the_everyday_name_of_a_class():
    """ "Afghan" (the Afghan hound) named a cluster of portraits "Marta, Afghan"."""
    table = vocabulary.hierarchy()
    for lemma, said in (("Afghan hound", "Afghan hound"), ("Maltese dog", "Maltese dog"), ("Siamese cat", "Siamese cat")):
        assert {words.everyday_name(wnid)[0] for wnid in table.words[lemma.lower()]} == {said}
    assert words.everyday_name(next(iter(table.words["samoyed"])))[0] == "Samoyed"  # its only name stays
