"""Names for clusters and word search, from ImageNet tags or from CLIP embeddings (pure functions).

Tags are each image's top-5 ImageNet-1k classes with their probabilities: ``classes``
and ``probs``, both (n, 5). An image's probability counts for its classes and for every
WordNet synset above them, so 40 dog breeds add up under "dog" and airliner plus warplane
under "aircraft".

A cluster's name is the few words that tell it apart from the other clusters: a synset
scores ``mass * share ** 2``, where ``mass`` is the mean probability its members put under
it and ``share`` the part of that mass, summed over the clusters, that falls in this one
(a term frequency times a smooth inverse cluster frequency; the square keeps classes that
blurry images of every kind get, like "fox squirrel" on CIFAR-10, out of names). A synset
above a quarter of the classes ("animal", "artifact") never names anything, nor, where the
cluster has an everyday word to say, one none of whose lemmas is in common use (wordfreq Zipf
< 3.5: "even-toed ungulate", "aquatic mammal"). A synset is said by its most common lemma
("plane"). Of the best word and the synsets above and below it that score nearly as well, the
name takes the broadest of the most common words (basic level): "horse" rather than "sorrel"
or "equine", "dog" rather than "canine", "truck" rather than "van"; a word for objects or
organisms that holds much of the cluster reads as a plural ("horses"). Clusters whose first
words are equal get second words scored among themselves only, so two "dog" clusters differ
by what sets them apart from each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from . import vocabulary, words
from .constants import NOISE
from .errors import ConfigError

# A synset above or below the best word that scores at least this part of it may name the
# cluster instead, when it is the more familiar word (docs/benchmarks.md).
CLOSE = 0.6
# A name's word for objects or organisms reads as a plural ("horses") when the cluster's members
# put at least this mean probability under it: the cluster is many of that one thing.
PLURAL_MASS = 0.3
# Zipf: a broader word within this much of the most common candidate names the cluster instead.
BASIC_LEVEL = 0.3


@dataclass(frozen=True)
class ClusterName:
    cluster: int
    name: str  # the words joined, e.g. "dog, terrier"; "" when nothing scored
    words: tuple[str, ...]  # most telling first
    scores: tuple[float, ...]  # one per word; comparable within one call only
    synsets: tuple[str, ...]  # WordNet ids of the words ("" for a zero-shot word outside WordNet)
    size: int  # members of the cluster

    def to_dict(self) -> dict:
        return {"cluster": self.cluster, "name": self.name, "words": list(self.words),
                "scores": [round(s, 4) for s in self.scores], "synsets": list(self.synsets), "size": self.size}


def _check_tags(classes: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    classes, probs = np.asarray(classes), np.asarray(probs, dtype=np.float64)
    if classes.ndim != 2 or classes.shape != probs.shape:
        raise ConfigError(f"classes {classes.shape} and probs {probs.shape} must be two (n, top-k) arrays of "
                          "one shape: pass the class_* and prob_* columns of tags.parquet")
    if len(classes) and (classes.min() < 0 or classes.max() >= vocabulary.N_CLASSES):
        raise ConfigError(f"class indices span {classes.min()}..{classes.max()}: they must be ImageNet-1k "
                          f"logit indices 0..{vocabulary.N_CLASSES - 1}")
    return classes.astype(np.int64), probs


def word_scores(classes: np.ndarray, probs: np.ndarray, word: str | np.ndarray) -> np.ndarray:
    """Per image, the probability its top-k classes put on the classes that show ``word``, each
    times how directly it shows it (``words.reach``: 1 for a class under the word's own synsets,
    less through parts, glosses, sisters); 0 when none does.

    ``word`` is a word, or the (1000,) class weights of a ``words.Reach``. Rank images by it for a
    word search: ``np.argsort(-scores, kind="stable")``. A word that reaches no class is scored
    through the nearest word that does (``words.reach``)."""
    from .words import reach

    classes, probs = _check_tags(classes, probs)
    weights = reach(word).weights if isinstance(word, str) else np.asarray(word, dtype=np.float64)
    return (probs * weights[classes]).sum(axis=1)


def class_mass(classes: np.ndarray, probs: np.ndarray, clusters: np.ndarray,
               normalize: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cluster ids, sizes, (n_clusters, n_synsets) mean probability under each synset).

    Noise is left out. ``normalize`` scales each image's top-k probabilities to sum to
    one, so an unsure image still counts as one image."""
    classes, probs = _check_tags(classes, probs)
    clusters = np.asarray(clusters)
    keep = clusters != NOISE
    classes, probs, clusters = classes[keep], probs[keep], clusters[keep]
    if normalize:
        probs = probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
    ids, members, sizes = np.unique(clusters, return_inverse=True, return_counts=True)
    n = len(clusters)
    rows = np.repeat(np.arange(n), classes.shape[1])
    per_image = sparse.csr_matrix((probs.ravel(), (rows, classes.ravel())), shape=(n, vocabulary.N_CLASSES))
    pick = sparse.csr_matrix((np.ones(n), (members, np.arange(n))), shape=(len(ids), n))
    per_class = np.asarray((pick @ per_image).todense()) / sizes[:, None]
    below = vocabulary.hierarchy().below.astype(np.float64)
    return ids, sizes, per_class @ below.T


def distinctive(mass: np.ndarray) -> np.ndarray:
    """``mass * share ** 2``: how much of a cluster a synset covers, times the square of the part
    of the synset's mass over all clusters that this cluster holds. One cluster: its mass."""
    total = mass.sum(axis=0, keepdims=True)
    return mass * np.divide(mass, total, out=np.zeros_like(mass), where=total > 0) ** 2


def cluster_names(classes: np.ndarray, probs: np.ndarray, clusters: np.ndarray,
                  n_words: int = 2) -> dict[int, ClusterName]:
    """A name for every cluster but noise, from its members' top-k ImageNet classes."""
    ids, sizes, mass = class_mass(classes, probs, clusters)
    table = vocabulary.hierarchy()
    display, zipfs = _everyday(table)
    scores = _everyday_scores(distinctive(mass), table.generic, zipfs)

    def rescore(group: np.ndarray) -> np.ndarray:
        return _everyday_scores(distinctive(mass[group]), table.generic, zipfs)

    picks = _choose(scores, sizes, rescore, _hierarchy_blocks(table, display), _familiar(table, zipfs), n_words)
    countable = table.up[:, table.row[words.COUNTABLE]]
    names = {}
    for k, (cluster, chosen) in enumerate(zip(ids, picks)):
        # many of one thing: the words for objects and organisms that hold much of the cluster read as plurals
        said = tuple(words.plural(display[w]) if countable[w] and mass[k, w] >= PLURAL_MASS else display[w]
                     for w in chosen)
        names[int(cluster)] = ClusterName(int(cluster), ", ".join(said), said,
                                          tuple(float(scores[k, w]) for w in chosen),
                                          tuple(table.order[w] for w in chosen), int(sizes[k]))
    return names


def _everyday(table) -> tuple[np.ndarray, np.ndarray]:
    """Per synset of the vocabulary, the lemma people use most and its Zipf frequency."""
    pairs = [words.everyday_name(w) for w in table.order]
    return np.array([p[0] for p in pairs], dtype=object), np.array([p[1] for p in pairs])


def _everyday_scores(scores: np.ndarray, generic: np.ndarray, zipfs: np.ndarray) -> np.ndarray:
    """Scores less the generic synsets and, in a cluster that has an everyday word to say, the
    synsets no lemma of which is in common use (Zipf < words.EVERYDAY: "even-toed ungulate")."""
    scores = np.where(generic, 0.0, scores)
    rare = zipfs < words.EVERYDAY
    everyday = np.where(rare, 0.0, scores)
    return np.where(everyday.max(axis=1, keepdims=True) > 0, everyday, scores)


def _hierarchy_blocks(table, display: np.ndarray) -> Callable[[list[int]], np.ndarray]:
    """Once words are chosen: they, their ancestors and any synset of the same name are out;
    narrower words stay ("dog, terrier")."""
    names = display

    def blocked(chosen: list[int]) -> np.ndarray:
        return table.up[chosen].any(axis=0) | np.isin(names, names[chosen])

    return blocked


def _familiar(table, zipfs: np.ndarray) -> Callable[[int, np.ndarray], int]:
    """Of a word and the synsets above and below it that score at least CLOSE of it, the most
    familiar (of those whose everyday lemma is within BASIC_LEVEL Zipf of the most common, the
    broadest; then WordNet's tag count; then the best score): "horse" for sorrel alone, "dog" rather than "canine". Also returns the mask
    of those near equals, which later words of the name skip ("plane", not "plane, aircraft")."""
    counts = np.array([table.synsets[w].count for w in table.order])
    size = table.below.sum(axis=1)

    def refine(word: int, row: np.ndarray) -> tuple[int, np.ndarray]:
        near = (table.up[word] | table.up[:, word]) & (row >= CLOSE * row[word]) & (row > 0)
        candidates = np.flatnonzero(near)
        # basic level: of the words nearly as common as the most common, the broadest ("truck" over "van")
        common = candidates[zipfs[candidates] >= zipfs[candidates].max() - BASIC_LEVEL]
        order = np.lexsort((-row[common], -counts[common], -size[common]))
        return int(common[order[0]]), near

    return refine


def _choose(scores: np.ndarray, sizes: np.ndarray, rescore: Callable[[np.ndarray], np.ndarray],
            blocked: Callable[[list[int]], np.ndarray],
            refine: Callable[[int, np.ndarray], tuple[int, np.ndarray]],
            n_words: int) -> list[list[int]]:
    """Word indices per cluster: the best first, then words not blocked by those before; clusters
    with one first word pick the rest by ``rescore`` among themselves, never the same word."""
    if n_words < 1:
        raise ConfigError(f"n_words ({n_words}) must be at least 1: a name needs a word")
    picks: list[list[int]] = []
    same = np.zeros(scores.shape, dtype=bool)  # near equals of the words chosen so far
    for k, row in enumerate(scores):
        word, near = refine(int(np.argmax(row)), row) if row.max() > 0 else (None, None)
        picks.append([] if word is None else [word])
        if word is not None:
            same[k] |= near
    firsts: dict[int, list[int]] = {}
    for k, chosen in enumerate(picks):
        if chosen:
            firsts.setdefault(chosen[0], []).append(k)
    for group in firsts.values():
        group = np.array(sorted(group, key=lambda k: -sizes[k]))
        local = rescore(group) if len(group) > 1 else scores[group]
        for _ in range(n_words - 1):
            taken: list[int] = []
            for row, k in zip(local, group):
                row = np.where(blocked(picks[k] + taken) | same[k], 0.0, row)
                if row.max() > 0:
                    word, near = refine(int(np.argmax(row)), row)
                    same[k] |= near
                    picks[k].append(word)
                    taken.append(word)
    return picks


def zero_shot_names(image_embeddings: np.ndarray, clusters: np.ndarray, word_embeddings: np.ndarray,
                    words: list[str], n_words: int = 2) -> dict[int, ClusterName]:
    """Names for CLIP workspaces: the vocabulary words nearest to each cluster's mean embedding
    relative to the other clusters (cosine minus its mean over the clusters). ``word_embeddings``
    are the text embeddings of ``words`` (e.g. ``vocabulary.vocabulary_words()``), in the images' space."""
    image_embeddings, word_embeddings = np.asarray(image_embeddings, np.float64), np.asarray(word_embeddings, np.float64)
    clusters = np.asarray(clusters)
    if len(words) != len(word_embeddings) or image_embeddings.shape[1] != word_embeddings.shape[1]:
        raise ConfigError(f"{len(words)} words with {word_embeddings.shape} word embeddings and "
                          f"{image_embeddings.shape} image embeddings: pass one embedding per word, of the images' width")
    keep = clusters != NOISE
    ids, members, sizes = np.unique(clusters[keep], return_inverse=True, return_counts=True)
    means = np.zeros((len(ids), image_embeddings.shape[1]))
    np.add.at(means, members, image_embeddings[keep])
    means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
    unit = word_embeddings / np.maximum(np.linalg.norm(word_embeddings, axis=1, keepdims=True), 1e-12)
    cosine = means @ unit.T

    def relative(group: np.ndarray) -> np.ndarray:
        sims = cosine[group]
        return sims - sims.mean(axis=0) if len(group) > 1 else sims

    scores = relative(np.arange(len(ids)))
    # the picker treats 0 as "nothing left": shift each row so that its worst word is just above 0
    shift = lambda s: s - s.min(axis=1, keepdims=True) + 1e-9  # noqa: E731
    words_arr = np.array(words)
    picks = _choose(shift(scores), sizes, lambda g: shift(relative(g)),
                    lambda chosen: np.isin(words_arr, words_arr[chosen]),
                    lambda w, row: (w, words_arr == words_arr[w]), n_words)
    return {int(c): ClusterName(int(c), ", ".join(words_arr[p]), tuple(str(w) for w in words_arr[p]),
                                tuple(float(scores[k, w]) for w in p), ("",) * len(p), int(sizes[k]))
            for k, (c, p) in enumerate(zip(ids, picks))}
