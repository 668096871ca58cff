"""Which ImageNet-1k classes show a word, through more of WordNet than the words of the classes and
the synsets above them, ranked by how directly they relate; and how common a word is.

The data is ``imgorg/data/wordnet_words.tsv.gz`` (``tools/make_words.py``): per word, its wordfreq
Zipf frequency and the vocabulary synsets it reaches by each WordNet relation. ``reach`` adds the
relation the vocabulary itself holds (the word is a lemma of a class or of a synset above classes)
and the reach of the nouns WordNet derives the word from ("snowy" -> snow), less direct. A word that
reaches nothing is answered with the nearest words that do, never with an error.
"""

from __future__ import annotations

import difflib
import functools
import gzip
import re
from dataclasses import dataclass, replace
from importlib import resources

import numpy as np

from . import vocabulary
from .errors import ConfigError

_DATA = "data/wordnet_words.tsv.gz"

# How directly a relation says that a class shows the word: a class's weight is the best of the
# relations that reach it, and an image's score is the probability its top classes put on each
# class times that weight. The word's own synsets come first; a derived word's reach counts DERIVED
# as much.
RELATIONS = {"name": 1.0, "looks like": 1.0, "part": 0.5, "gloss": 0.4, "sister": 0.2, "gloss word": 0.15}
_CODES = {"P": "part", "G": "gloss", "S": "sister", "W": "gloss word"}
DERIVED = 0.8
BEHIND_NAME = 0.25  # a word that names classes itself ("dog") lets the other relations only order what is left
_GLUE = {"a", "an", "the", "of", "on", "in", "at", "with", "and", "or", "by", "for", "to", "from", "my", "our"}
COMMON = 3.0  # Zipf: a nearest word offered for a word that reaches nothing is at least this common

# Words newer than WordNet 3.0 (2006), answered with the nearest WordNet words that show them.
# A screenshot is tagged "web site" most (52 of benchmarks/mixed_pile.py's 67), a screen or monitor seldom.
NEWER = {"selfie": ("face", "person"), "screenshot": ("web site", "screen", "monitor"), "smartphone": ("cellular telephone",),
         "emoji": ("face",), "drone": ("aircraft",), "ebook": ("book",), "e-book": ("book",)}

# Everyday words for written matter that no ImageNet class names, whose WordNet relations reach
# other things ("document" reaches palaces through the "official" of its gloss): answered by the
# classes pictures of such matter are tagged with. On benchmarks/mixed_pile.py's pile, receipts are
# tagged "menu" (10 of 10), scanned letters "web site" (16 of 16), photos of documents "book jacket"
# and "binder" (2 each).
_PAPERS = ("web site", "menu", "envelope", "book jacket", "binder")
LOOKS_LIKE = {"document": _PAPERS, "paperwork": _PAPERS, "scan": _PAPERS, "page": _PAPERS, "text": _PAPERS,
              "notes": _PAPERS, "contract": _PAPERS, "certificate": _PAPERS,
              "receipt": ("menu", "web site"), "invoice": ("menu", "web site"), "ticket": ("menu", "web site")}

LOOKS_LIKE_STEP = 0.05


@dataclass(frozen=True)
class Through:
    """One synset a query went through: a class or a synset above classes."""

    wnid: str
    name: str
    relation: str  # a key of RELATIONS, or "derived"
    via: str  # the word the relation went through ("shore" for beach), "" for a name
    weight: float
    classes: int  # classes it covers

    def describe(self) -> str:
        how = self.relation if not self.via else f"{self.relation} via {self.via!r}"
        return f"{self.name} ({how}, {self.classes} class{'es' if self.classes != 1 else ''})"

    def to_dict(self) -> dict:
        return {"wnid": self.wnid, "name": self.name, "relation": self.relation, "via": self.via,
                "weight": round(self.weight, 3), "classes": self.classes}


@dataclass(frozen=True)
class Reach:
    word: str  # as asked
    searched: str  # the word whose classes are used: the word itself, or the nearest word that reaches some
    weights: np.ndarray  # (1000,) how directly each class shows ``searched``; 0 = not reached
    through: tuple[Through, ...]  # the synsets it went through, most direct first
    nearest: tuple[str, ...] = ()  # when the word itself reaches nothing: the nearest words that do

    @property
    def reached(self) -> bool:
        """Whether the word itself reaches classes (not only a nearest word)."""
        return not self.nearest and bool(self.weights.any())

    @property
    def classes(self) -> np.ndarray:
        return np.flatnonzero(self.weights)

    def describe(self, n: int = 6) -> str:
        """E.g. "ImageNet classes for 'beach': shore (part via 'shore', 2 classes), ..."."""
        if not self.through:
            return f"{self.word!r} reaches no ImageNet class through WordNet, and no word near it does"
        parts = ", ".join(t.describe() for t in self.through[:n])
        more = f" and {len(self.through) - n} more" if len(self.through) > n else ""
        if self.nearest:
            head = (f"{self.word!r} reaches no ImageNet class through WordNet; nearest words that do: "
                    f"{', '.join(self.nearest)}; searched {self.searched!r}")
            return f"{head}: {parts}{more}"
        return f"ImageNet classes for {self.word!r}: {parts}{more}"

    def to_dict(self) -> dict:
        return {"word": self.word, "reached": self.reached, "searched": self.searched if self.through else None,
                "nearest": list(self.nearest), "classes": len(self.classes),
                "through": [t.to_dict() for t in self.through]}


@functools.cache
def _table() -> dict[str, str]:
    """word -> the rest of its line (zipf, links, derived, near), the packaged table read once per
    process; ``_row`` splits a line when it is asked for."""
    raw = gzip.decompress(resources.files("imgorg").joinpath(_DATA).read_bytes()).decode("utf-8")
    start = raw.index("\nword\t") + 1
    lines = raw[start:].splitlines()[1:]
    return dict(line.split("\t", 1) for line in lines)


def _row(word: str) -> tuple[float, str, str, str]:
    rest = _table().get(word)
    if rest is None:
        return 0.0, "", "", ""
    zipf_, links, derived, near = rest.split("\t")
    return float(zipf_), links, derived, near


def zipf(word: str) -> float:
    """wordfreq's Zipf frequency of ``word`` in English (6 is "the"-like, 3 a word of common use);
    0 for a word outside the table."""
    return _row(vocabulary.normalize(word))[0]


def _direct(word: str) -> dict[str, tuple[str, str, float]]:
    """wnid -> (relation, via, weight) for the synsets ``word`` (one form) reaches itself."""
    table = vocabulary.hierarchy()
    found = {wnid: ("name", "", RELATIONS["name"]) for wnid in table.words.get(word, ())}
    for link in filter(None, _row(word)[1].split(";")):
        code, wnid, via = link.split(":")
        relation = _CODES[code]
        if wnid not in found:
            found[wnid] = (relation, via.replace("_", " "), RELATIONS[relation])
    return found


def _looks_like(word: str) -> dict[str, tuple[str, str, float]]:
    """wnid -> ("looks like", "", weight) for the classes ``LOOKS_LIKE`` answers ``word`` with, the
    first listed a little ahead (LOOKS_LIKE_STEP less for each next)."""
    table = vocabulary.hierarchy()
    return {wnid: ("looks like", "", RELATIONS["looks like"] - LOOKS_LIKE_STEP * rank)
            for rank, name in enumerate(LOOKS_LIKE[word])
            for wnid in table.words.get(name, ()) if table.below[table.row[wnid]].sum() == 1}


def _reach_form(word: str) -> dict[str, tuple[str, str, float]]:
    found = _direct(word)
    for other in filter(None, _row(word)[2].split(";")):
        for wnid, (_, _, weight) in _direct(other).items():
            if wnid not in found or found[wnid][2] < weight * DERIVED:
                found[wnid] = ("derived", other, weight * DERIVED)
    return found


def _build(word: str, searched: str, found: dict, nearest: tuple[str, ...], merged: bool = False) -> Reach:
    table = vocabulary.hierarchy()
    if not merged and any(relation == "name" for relation, _, _ in found.values()):  # its own classes first
        found = {w: (r, v, x if r == "name" else x * BEHIND_NAME) for w, (r, v, x) in found.items()}
    weights = np.zeros(vocabulary.N_CLASSES)
    through = []
    # most direct first; a synset whose classes a more direct one already reached adds nothing to say
    for wnid, (relation, via, weight) in sorted(found.items(), key=lambda kv: (-kv[1][2], kv[0])):
        covered = table.below[table.row[wnid]]
        if not (weights[covered] < weight).any():
            continue
        weights[covered] = np.maximum(weights[covered], weight)
        through.append(Through(wnid, table.synsets[wnid].name, relation, via, weight, int(covered.sum())))
    through.sort(key=lambda t: (-t.weight, t.classes, t.name))
    return Reach(word, searched, weights, tuple(through), nearest)


def reach(word: str) -> Reach:
    """The classes that show ``word`` and the synsets it went through; for a word that reaches
    nothing, those of the nearest word that does (``Reach.nearest``). Never raises for an unknown
    word; an empty one is a ConfigError."""
    text = vocabulary.normalize(word)
    if not text:
        raise ConfigError(f"word {word!r} is empty: give a word, e.g. 'beach', 'dog', 'snow'")
    names, rows = vocabulary.hierarchy().words, _table()
    if set(text.split()) <= _GLUE:  # "a", "the": words that show nothing (glosses would reach telescopes)
        return _build(word, text, {}, ())
    for form in _forms(text):  # "receipts" as "receipt", though WordNet knows "receipts" (income)
        if form in LOOKS_LIKE:
            return _build(word, form, _looks_like(form), ())
    for form in _forms(text):
        found = _reach_form(form)
        if found:
            return _build(word, form, found, ())
        if form in names or form in rows:  # known to WordNet: never a stem of it ("wedding" is not "wed")
            break
    parts = [p for p in text.split() if p not in _GLUE]
    if len(parts) == 1 and parts[0] != text and text not in rows:  # "a dog" is "dog" (spelled like it: "sea dog")
        return replace(reach(parts[0]), word=word)
    if len(parts) > 1 and text not in rows:  # a phrase WordNet does not know ("dog on the beach"): its words
        reached = [r for r in map(reach, parts) if r.reached]
        if reached:
            return _build(word, ", ".join(r.searched for r in reached), _merge(reached), (), merged=True)
    nearest = tuple(nearest_words(text))
    for other in nearest:
        found = _reach_form(other)
        if found:
            return _build(word, other, found, nearest)
    return _build(word, text, {}, nearest)


def _merge(reaches: list[Reach]) -> dict[str, tuple[str, str, float]]:
    """The synsets several words went through, each at the best weight one of them gave it; an image
    whose classes show two of the words scores for both."""
    found: dict[str, tuple[str, str, float]] = {}
    for r in reaches:
        for t in r.through:
            via = t.via or r.searched
            if t.wnid not in found or found[t.wnid][2] < t.weight:
                found[t.wnid] = (t.relation if t.relation != "name" or t.via else "name", via, t.weight)
    return found


def _forms(text: str) -> list[str]:
    forms = vocabulary.word_forms(text)
    if text.endswith("ing"):  # "skiing" is in WordNet, "partying" is not: try the verb's noun
        forms += [text[:-3], text[:-3] + "e", text[:-4]]
    return list(dict.fromkeys(forms))


def nearest_words(word: str, n: int = 5) -> list[str]:
    """Words that reach classes and are near ``word``: for a word newer than WordNet its WordNet
    stand-ins, for a WordNet word the words of the synsets above it, for any other word the common
    words spelled most like it."""
    text = vocabulary.normalize(word)
    rows = _table()  # only the words in it count as known to WordNet
    found = [w for form in _forms(text) for w in NEWER.get(form, ())]  # "screenshots" as "screenshot"
    forms = [f for f in _forms(text) if f in rows]
    for form in forms:
        found += [w for w in _row(form)[3].split(";") if w]
    if not forms and len(found) < n:  # a word WordNet does not know: a misspelling, or a form of a common word
        found += difflib.get_close_matches(text, _common_words(), n=n, cutoff=0.75)
    return [w for w in dict.fromkeys(found) if w != text and _reach_form(w)][:n]


@functools.cache
def _common_words() -> list[str]:
    """The words of the table that reach classes and are in common use (Zipf >= COMMON)."""
    words = set(vocabulary.hierarchy().words)
    rows = ((w, *_row(w)) for w in _table())
    return sorted(w for w, z, links, derived, _ in rows if z >= COMMON and (links or derived or w in words))


EVERYDAY = 3.5  # Zipf: a word of a cluster name is in common use ("dog" 5.4, "canine" 3.3, "mammal" 3.3)
# Nouns whose plural is the singular, and irregular plurals, for names like "deer", "mice".
_SAME_PLURAL = {"deer", "sheep", "fish", "aircraft", "moose", "bison", "trout", "salmon", "series", "species",
                "swine", "cattle", "poultry", "shrimp", "squid", "elk", "hovercraft", "spacecraft", "watercraft",
                # mass nouns among the vocabulary's names: "equipment", never "equipments"
                "equipment", "furniture", "footwear", "wear", "gear", "armor", "bedding", "cutlery", "cookware",
                "crockery", "tableware", "headgear", "neckwear", "outerwear", "jewelry", "linen", "clothing", "ware"}
_PLURAL = {"mouse": "mice", "goose": "geese", "ox": "oxen", "foot": "feet", "tooth": "teeth", "person": "people",
           "child": "children", "woman": "women", "man": "men", "louse": "lice", "knife": "knives", "wolf": "wolves",
           "leaf": "leaves", "loaf": "loaves", "calf": "calves", "shelf": "shelves", "half": "halves"}
# Zipf taken off a multiword lemma per word after the first, for names: wordfreq rates a phrase by
# its words (1/f = 1/f1 + 1/f2: about its rarest word, "sea cow" 4.09 as "cow" 4.14), an upper
# bound that makes "sea cow" or "paper knife" look as common as "plane" (docs/words.md).
PHRASE = 1.0
COUNTABLE = "n00003553"  # "whole, unit": objects and organisms, things a photo shows one or many of


def name_zipf(word: str) -> float:
    """Zipf of a word as a name part: wordfreq's, less PHRASE per further word of a phrase (split at
    spaces and hyphens, as wordfreq splits it): "sea cow" 3.09, "hot dog" 3.83, "plane" 4.72."""
    return max(zipf(word) - PHRASE * len(re.findall(r"[ -]+", word.strip())), 0.0)


def everyday_name(wnid: str) -> tuple[str, float]:
    """The lemma of a vocabulary synset that people use most (highest ``name_zipf``; the first on
    ties), and that Zipf: "plane" for airplane/aeroplane/plane, "dog" for dog/domestic dog/Canis
    familiaris, "dugong" (2.7) for dugong/sea cow (3.09)."""
    synset = vocabulary.hierarchy().synsets[wnid]
    lemmas = list(dict.fromkeys(vocabulary.normalize(x) if x.isupper() else x for x in synset.lemmas))
    # a proper adjective alone ("Afghan" for the Afghan hound, "Maltese", "Siamese") reads as a people on
    # a cluster of portraits: another lemma is said where there is one
    lemmas = [x for x in lemmas if not (x[:1].isupper() and " " not in x)] or lemmas
    best = max(lemmas, key=lambda x: (name_zipf(x), -lemmas.index(x)))
    return best, name_zipf(best)


def plural(word: str) -> str:
    """The English plural of a noun (its last word for a compound): "horses", "golden retrievers", "mice"."""
    head, _, last = word.rpartition(" ")
    low = last.lower()
    if low in _SAME_PLURAL or low.endswith(("fish", "craft", "sheep", "deer")):
        out = last
    elif low in _PLURAL:
        out = _PLURAL[low]
    elif low.endswith("man") and low not in ("shaman", "german", "human", "talisman"):
        out = last[:-3] + "men"
    elif low.endswith(("s", "x", "z", "ch", "sh")):
        out = last + "es"
    elif low.endswith("y") and low[-2:-1] not in "aeiou":
        out = last[:-1] + "ies"
    else:
        out = last + "s"
    return f"{head} {out}" if head else out
