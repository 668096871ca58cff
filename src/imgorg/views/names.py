"""Cluster names as the read model gives them: words from the images' tags (``imgorg.naming``),
zero-shot for CLIP, and the base clustering's names kept for clusters edits left as they were."""

from __future__ import annotations

import logging
import numpy as np
import pandas as pd

from ..constants import CLIP_BACKBONE, NOISE
from ..errors import ImgorgError

log = logging.getLogger(__name__)

SAME_CLUSTER = 0.9  # share of a cluster's earlier images it keeps, and holds, to keep its earlier name
# Where faces were found: a cluster more than this share of whose images show a face is said to show
# people. ImageNet has no class for a person, so a cluster of portraits is otherwise named by what
# they wear ("bra, hose", "suits, ties"); 310 of 313 LFW portraits show a face.
PEOPLE_SHARE = 0.5
PEOPLE = "people"


def kept_names(base: np.ndarray, curated: np.ndarray, base_names: dict[int, str]) -> dict[int, str]:
    """The base clustering's names of the curated clusters that edits left (nearly) as they were.

    Names are relative to the other clusters, so merging two clusters would otherwise rename
    clusters nobody touched, and their export folders with them. Images added since (no base
    cluster) do not count: a cluster that only grew keeps its name."""
    earlier = base != NOISE
    base, curated = base[earlier], curated[earlier]
    was, now = pd.Series(base).value_counts(), pd.Series(curated).value_counts()  # one pass: called per request
    both = pd.Series(base[base == curated]).value_counts()
    return {int(c): name for c, name in base_names.items()
            if both.get(c, 0) and both.get(c, 0) >= SAME_CLUSTER * was.get(c, 0)
            and both.get(c, 0) >= SAME_CLUSTER * now.get(c, 0)}


def tag_names(tags, labels: np.ndarray) -> dict[int, str]:
    """Names from the images' top ImageNet classes (``imgorg.naming``); none without tags."""
    from ..naming import cluster_names  # the vocabulary: loaded when a name is first asked for

    named = cluster_names(tags.classes, tags.probs, labels) if tags is not None else {}
    return {int(c): n.name for c, n in named.items() if n.name}


def with_people(names: dict[int, str], labels: np.ndarray, has_face: np.ndarray,
                who: list[frozenset[str]]) -> dict[int, str]:
    """``names`` where faces were found: a cluster more than PEOPLE_SHARE of whose images show a face
    is "people, " and its first word ("people, suits"), or the name of the person more than that share
    of them show, the most often shown first ("Ana, suits"). ``has_face``: per image (row of
    ``labels``); ``who``: per image, the names of the named people it shows."""
    named, said = dict(names), set()
    for cluster in sorted(np.unique(labels[labels != NOISE]), key=lambda c: -(labels == c).sum()):
        rows = np.flatnonzero(labels == cluster)
        if has_face[rows].mean() <= PEOPLE_SHARE:
            continue
        counts = pd.Series([name for r in rows for name in who[r]], dtype=object).value_counts()
        counts = counts[counts > PEOPLE_SHARE * len(rows)]
        lead = str(counts.index[0]) if len(counts) else PEOPLE  # value_counts: the most shown first
        words = [w for w in names.get(int(cluster), "").split(", ") if w and w != lead]
        # the first of its words no larger cluster of the same lead took: two "people, goods" tell nothing apart
        word = next((w for w in words if (lead, w) not in said), ", ".join(words[:2]))
        said.add((lead, word))
        named[int(cluster)] = f"{lead}, {word}" if word else lead
    return named


def zero_shot_names(manifest: dict, embeddings: np.ndarray, labels: np.ndarray) -> dict[int, str]:
    """CLIP: the vocabulary words nearest each cluster (imgorg.naming.zero_shot_names); none when the
    checkpoint's text tower or its vocabulary cannot be found (names are a help, not a requirement)."""
    from ..embed import get_backbone
    from ..embed.clip_text import word_embeddings
    from ..naming import zero_shot_names as nearest_words
    from ..vocabulary import vocabulary_words

    words = vocabulary_words()
    try:
        weights = get_backbone(CLIP_BACKBONE).weights_path(manifest["config"]["embed"].get("weights"))
        vectors = word_embeddings(weights, words)
    except (ImgorgError, OSError) as err:
        log.warning("no zero-shot cluster names: %s", err)
        return {}
    named = nearest_words(np.asarray(embeddings), labels, vectors, words)
    return {int(c): n.name for c, n in named.items() if n.name}
