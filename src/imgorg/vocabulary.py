"""The ImageNet-1k classes and their WordNet ancestors: names, hypernyms, word look-up.

The data is one TSV shipped with the package (``imgorg/data/imagenet_wordnet.tsv``,
written by ``tools/make_vocabulary.py``): the 1000 classes in logit order and every
WordNet 3.0 noun synset above them, each with its lemmas and parents. A word names
every synset that has it as a lemma; the classes under a word are those whose synset
or one of whose ancestors is such a synset ("dog" covers 118 breeds, "aircraft" covers
airliner, warplane, airship, ...).
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from importlib import resources

import numpy as np

from .errors import ConfigError

N_CLASSES = 1000
_DATA = "data/imagenet_wordnet.tsv"

# A synset above more than this many of the 1000 classes names nothing in a photo collection:
# it leaves "entity", "physical entity", "object", "whole", "living thing", "organism",
# "animal", "artifact", "chordate", "vertebrate" and "instrumentality" out of names and of
# the default zero-shot vocabulary; "mammal" (218 classes) and "dog" (118) stay.
GENERIC_CLASSES = 250

_IRREGULAR = {"mice": "mouse", "geese": "goose", "oxen": "ox", "feet": "foot", "teeth": "tooth",
              "people": "person", "children": "child", "women": "woman", "men": "man", "lice": "louse"}


@dataclass(frozen=True)
class Synset:
    wnid: str  # WordNet 3.0 noun id, "n" + offset ("n02084071" is dog)
    name: str  # what people read: the first lemma, made unique over the table ("crane (wading bird)")
    lemmas: tuple[str, ...]  # every word of the synset, underscores as spaces
    parents: tuple[str, ...]  # hypernym wnids ("entity" has none)
    index: int | None  # logit index of an ImageNet-1k class, None for an ancestor
    count: int = 0  # times WordNet's sense-tagged corpus tagged its lemmas: how familiar the word is


@dataclass(frozen=True)
class Hierarchy:
    """The vocabulary as arrays: which classes fall under which synset, and which synsets are above which."""

    synsets: dict[str, Synset]  # wnid -> synset, classes first in logit order
    classes: tuple[str, ...]  # wnid of each class, in logit order
    order: tuple[str, ...]  # every wnid; its position is the row of ``below``
    row: dict[str, int]  # wnid -> its position in ``order``
    below: np.ndarray  # (n_synsets, 1000) bool: class j is the synset or under it
    generic: np.ndarray  # (n_synsets,) bool: above more than GENERIC_CLASSES classes
    up: np.ndarray  # (n_synsets, n_synsets) bool: [i, j] when j is i or an ancestor of i
    words: dict[str, tuple[str, ...]]  # normalised lemma -> wnids that have it


def normalize(word: str) -> str:
    """Lower case; spaces, hyphens and underscores are one separator."""
    return " ".join(re.split(r"[\s_\-]+", word.strip().lower())).strip()


@functools.cache
def hierarchy() -> Hierarchy:
    """The packaged table, read once per process."""
    text = resources.files("imgorg").joinpath(_DATA).read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")][1:]
    synsets = {}
    for wnid, index, name, lemmas, parents, count in rows:
        synsets[wnid] = Synset(wnid, name, tuple(lemmas.split("|")), tuple(parents.split()),
                               int(index) if index else None, int(count))
    classes = tuple(s.wnid for s in synsets.values() if s.index is not None)
    if [synsets[w].index for w in classes] != list(range(N_CLASSES)) or list(synsets)[:N_CLASSES] != list(classes):
        raise RuntimeError(f"{_DATA} must list the {N_CLASSES} classes first, in logit order")
    order = tuple(synsets)
    row = {wnid: i for i, wnid in enumerate(order)}
    up = np.zeros((len(order), len(order)), dtype=bool)
    for i, wnid in enumerate(order):
        up[i, [row[w] for w in _closure(synsets, wnid)]] = True
    below = up[:len(classes)].T.copy()  # classes come first in the table
    words: dict[str, list[str]] = {}
    for s in synsets.values():
        for lemma in {normalize(x) for x in s.lemmas}:
            words.setdefault(lemma, []).append(s.wnid)
    return Hierarchy(synsets, classes, order, row, below, below.sum(axis=1) > GENERIC_CLASSES, up,
                  {w: tuple(ids) for w, ids in words.items()})


def _closure(synsets: dict[str, Synset], wnid: str) -> list[str]:
    """The synset and all its ancestors, nearest first (breadth first)."""
    seen, queue = [wnid], [wnid]
    while queue:
        for parent in synsets[queue.pop(0)].parents:
            if parent not in seen:
                seen.append(parent)
                queue.append(parent)
    return seen


def class_names() -> list[str]:
    """The display names of the 1000 classes, in logit order (unique: "crane (wading bird)")."""
    table = hierarchy()
    return [table.synsets[w].name for w in table.classes]


def class_name(index: int) -> str:
    """The display name of class ``index`` (0..999)."""
    table = hierarchy()
    if not 0 <= index < len(table.classes):
        raise ConfigError(f"class index {index} is outside 0..{len(table.classes) - 1}: "
                          "pass the logit index of an ImageNet-1k class")
    return table.synsets[table.classes[index]].name


def class_synset(index: int) -> Synset:
    class_name(index)  # validates
    table = hierarchy()
    return table.synsets[table.classes[index]]


def ancestors(index: int) -> list[Synset]:
    """Every WordNet synset above class ``index``, nearest first, up to "entity"."""
    return lineage(class_synset(index).wnid)[1:]


def lineage(wnid: str) -> list[Synset]:
    """The synset ``wnid`` (a class or an ancestor of one) and every synset above it, nearest first."""
    table = hierarchy()
    if wnid not in table.synsets:
        raise ConfigError(f"{wnid!r} is neither an ImageNet-1k class nor above one: pass a WordNet id "
                          "of imgorg's vocabulary, e.g. 'n02084071' (dog)")
    return [table.synsets[w] for w in _closure(table.synsets, wnid)]


def is_generic(wnid: str) -> bool:
    """Whether a synset is above more than GENERIC_CLASSES classes ("animal", "artifact")."""
    table = hierarchy()
    lineage(wnid)  # validates
    return bool(table.generic[table.row[wnid]])


def synsets_for(word: str) -> list[Synset]:
    """The synsets that have ``word`` as a lemma (plurals reduced to the singular).

    Raises ConfigError for a word that neither a class nor an ancestor has, with close words."""
    table = hierarchy()
    for form in word_forms(normalize(word)):
        if form in table.words:
            return [table.synsets[w] for w in table.words[form]]
    close = difflib.get_close_matches(normalize(word), list(table.words), n=5, cutoff=0.75)
    hint = f"close words: {', '.join(close)}" if close else "no word of the vocabulary is close"
    raise ConfigError(f"{word!r} is not the name of an ImageNet-1k class or of a WordNet word above "
                      f"one ({hint}); pass one of those, e.g. 'dog', 'car', 'bird'")


@dataclass(frozen=True)
class WordMatch:
    word: str  # as asked
    synsets: tuple[Synset, ...]  # the synsets that have it as a lemma
    classes: np.ndarray  # sorted logit indices of the classes they cover

    def describe(self) -> str:
        """E.g. "'dogs': dog (118 classes), frank (1 class)"."""
        table = hierarchy()
        parts = []
        for s in self.synsets:
            n = int(table.below[table.row[s.wnid]].sum())
            parts.append(f"{s.name} ({n} class{'es' if n != 1 else ''})")
        return f"{self.word!r}: {', '.join(parts)}"


def match_word(word: str) -> WordMatch:
    """The synsets a word names and the classes they cover (raises ConfigError, with close words)."""
    table = hierarchy()
    synsets = synsets_for(word)
    rows = [table.row[s.wnid] for s in synsets]
    return WordMatch(word, tuple(synsets), np.flatnonzero(table.below[rows].any(axis=0)))


def classes_under(word: str) -> np.ndarray:
    """The sorted logit indices of the classes that ``word`` covers (its synsets and all below them)."""
    return match_word(word).classes


def vocabulary_words() -> list[str]:
    """The default zero-shot vocabulary: every class name and the name of every synset above
    the classes, less the most general (``GENERIC_CLASSES``); unique, in table order."""
    table = hierarchy()
    names = [table.synsets[w].name for w, generic in zip(table.order, table.generic) if not generic]
    return list(dict.fromkeys(names))


def word_forms(word: str) -> list[str]:
    """The word, then singular forms of its last word by simple English rules."""
    head, _, last = word.rpartition(" ")
    forms = [last]
    if last in _IRREGULAR:
        forms.append(_IRREGULAR[last])
    if last.endswith("men"):
        forms.append(last[:-3] + "man")
    if last.endswith("ies"):
        forms.append(last[:-3] + "y")
    if last.endswith("ves"):
        forms += [last[:-3] + "f", last[:-3] + "fe"]
    if last.endswith("es"):
        forms.append(last[:-2])
    if last.endswith("s") and not last.endswith("ss"):
        forms.append(last[:-1])
    return [f"{head} {f}" if head else f for f in forms]
