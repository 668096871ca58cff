"""The ImageNet-1k class names and WordNet hierarchy shipped with the package."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from imgorg import vocabulary
from imgorg.errors import ConfigError


def names_under(word: str) -> set[str]:
    return {vocabulary.class_name(i) for i in vocabulary.classes_under(word)}


def test_class_names_are_the_thousand_classes_in_logit_order():
    names = vocabulary.class_names()
    assert len(names) == 1000 and len(set(names)) == 1000
    assert names[0] == "tench" and names[1] == "goldfish" and names[999] == "toilet tissue"
    assert vocabulary.class_name(404) == "airliner"
    # two classes share the lemma "crane": each is told apart by its parent
    assert {names[134], names[517]} == {"crane (wading bird)", "crane (lifting device)"}


def test_a_class_index_outside_the_logits_is_refused():
    with pytest.raises(ConfigError, match="1000"):
        vocabulary.class_name(1000)


def test_ancestors_run_from_the_class_up_to_the_root():
    chain = [s.name for s in vocabulary.ancestors(vocabulary.class_names().index("airliner"))]
    assert chain[0] == "airplane" and "aircraft" in chain and chain[-1] == "entity"
    tabby = [s.name for s in vocabulary.ancestors(vocabulary.class_names().index("tabby"))]
    assert tabby.index("domestic cat") < tabby.index("cat") < tabby.index("feline")


def test_a_word_covers_the_classes_below_it():
    dogs = names_under("dog")
    assert len(dogs) == 118 and {"golden retriever", "Chihuahua", "toy terrier"} <= dogs
    assert "tabby" not in dogs and "timber wolf" not in dogs
    assert names_under("aircraft") == {"airliner", "warplane", "airship", "balloon"}
    assert names_under("tench") == {"tench"}


@pytest.mark.parametrize("asked, word", [
    ("Dogs", "dog"), ("  DOG ", "dog"), ("motor-vehicle", "motor vehicle"), ("motor_vehicle", "motor vehicle"),
    ("cars", "car"), ("buses", "bus"), ("wolves", "wolf"), ("butterflies", "butterfly"), ("mice", "mouse"),
    ("sports cars", "sports car"),
])
def test_case_separators_and_plurals_name_the_same_classes(asked, word):
    assert np.array_equal(vocabulary.classes_under(asked), vocabulary.classes_under(word))
    assert len(vocabulary.classes_under(word)) > 0


def test_an_unknown_word_is_refused_with_close_words():
    with pytest.raises(ConfigError, match="terrier"):
        vocabulary.classes_under("terier")
    with pytest.raises(ConfigError, match="not the name"):
        vocabulary.classes_under("qwxz")


def test_match_word_says_which_synsets_a_word_named():
    match = vocabulary.match_word("cranes")
    assert {s.name for s in match.synsets} == {"crane (wading bird)", "crane (lifting device)"}
    assert "crane (wading bird) (1 class)" in match.describe()


def test_the_default_vocabulary_leaves_out_the_top_of_wordnet():
    words = vocabulary.vocabulary_words()
    assert len(words) == len(set(words))
    assert {"dog", "aircraft", "tabby", "mammal", "car"} <= set(words)
    assert not {"entity", "physical entity", "object", "whole", "artifact", "animal"} & set(words)


def test_the_data_file_is_small_and_states_its_sources_and_licence():
    data = resources.files("imgorg").joinpath("data/imagenet_wordnet.tsv")
    text = data.read_text(encoding="utf-8")
    assert len(text.encode()) < 200_000
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert "WordNet 3.0 Copyright 2006 by Princeton University" in header
    assert "imagenet_synsets.txt" in header and "Apache-2.0" in header


def test_lineage_and_generic_synsets():
    assert [s.name for s in vocabulary.lineage("n02084071")][:2] == ["dog", "canine"]
    assert vocabulary.is_generic("n00015388") and not vocabulary.is_generic("n02084071")  # animal, dog
    with pytest.raises(ConfigError, match="n02084071"):
        vocabulary.lineage("n99999999")
