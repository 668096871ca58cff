"""Near-duplicate groups: exact copies by content hash, then near copies by their embeddings
and thumbnails (``thumbnails``: signatures of each image's views; ``scoring``: candidate pairs
and their scores; ``keypoints``: unsure pairs checked by local features, which finds heavy
crops; ``grouping``: stars of copies and the image to keep in each). Measured on planted
corpora, dense and held out, and on crops of real photos (docs/benchmarks.md, near-duplicates).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..index import SearchIndex
from ..progress import ProgressFactory
from .grouping import COLUMNS, duplicate_groups, duplicates_frame, hash_pairs
from .keypoints import PER_IMAGE, VERIFY_COSINE, checkable, keypoint_pairs, reshaped
from .scoring import CANDIDATE_COSINE, MIRROR_MARGIN, candidate_pairs, pair_cosines, pair_scores, thumbnail_pairs
from .thumbnails import VIEWS, Thumbnails, View, image_thumbnails

DEFAULT_THRESHOLD = 0.82  # mean of embedding cosine, aligned thumbnail and detail correlation
FAST_THRESHOLD = 0.88  # mean of the two thumbnail correlations alone (--fast: no embedding)
FAST_UNSURE = 0.6  # --fast: thumbnail score from which a pair below the threshold is checked by keypoints

__all__ = [
    "CANDIDATE_COSINE", "COLUMNS", "DEFAULT_THRESHOLD", "FAST_THRESHOLD", "FAST_UNSURE", "MIRROR_MARGIN", "PER_IMAGE",
    "VIEWS", "Thumbnails", "View", "candidate_pairs", "check_threshold", "duplicate_groups", "duplicates_frame",
    "duplicate_table", "hash_pairs", "image_thumbnails", "keypoint_pairs", "pair_scores", "scored_candidates",
    "thumbnail_pairs",
]


def duplicate_table(images: pd.DataFrame, embeddings: np.ndarray | None, root: str | Path,
                    threshold: float | None = None, index: SearchIndex | None = None,
                    progress: ProgressFactory | None = None, views: tuple[View, ...] = VIEWS,
                    keypoint_checks: int = PER_IMAGE, thumbnails: Thumbnails | None = None,
                    decoded: dict[int, np.ndarray | str] | None = None) -> pd.DataFrame:
    """Exact and near duplicates among a workspace's images (rows aligned with ``embeddings``).

    Without embeddings (``imgorg duplicates FOLDER --fast``) the thumbnails alone find and
    score the candidates, at ``FAST_THRESHOLD``: no model runs, and recall drops on
    cropped copies. ``views``: the crops each image is compared with (``thumbnails.VIEWS``).
    Candidates below the threshold are checked by keypoints (``keypoints``), at most
    ``keypoint_checks`` per image (0: none): each image's embedding neighbours (cosine >=
    ``VERIFY_COSINE``), which hold most heavy crops of it; without an embedding, its thumbnail
    candidates that score at least ``FAST_UNSURE``. Those hold few heavy crops (their
    thumbnails are of another part of the picture): --fast confirms the crops its thumbnails
    bring near, mostly of 60% of the area, and misses most smaller ones. Copies of another
    shape than their partner are checked first, to tell which holds the other: a crop is never
    the image kept. ``thumbnails``: the images' ``image_thumbnails`` (of ``views``) if already read;
    ``decoded``: large photos' grey pixels if already read (``keypoints.keypoint_pairs``)."""
    default = DEFAULT_THRESHOLD if embeddings is not None else FAST_THRESHOLD
    threshold = default if threshold is None else threshold
    check_threshold(threshold, default)
    candidates = scored_candidates(images, embeddings, root, threshold, index, progress, views, thumbnails)
    pairs, scores, thumbnails, neighbours, cosines = candidates
    copies, crops = pairs[scores >= threshold], np.empty((0, 2), np.int64)
    if keypoint_checks:
        if embeddings is not None:  # neighbours by embedding: a heavy crop keeps its subject
            unsure = ~_rows_in(neighbours, copies)
            candidates, strength = neighbours[unsure], cosines[unsure]
        else:
            candidates, strength = _fast_unsure(images, pairs, scores, thumbnails, threshold)
        other_shape = copies[reshaped(images, copies)]  # copies already: checked first, for which holds which
        candidates = np.concatenate([other_shape, candidates])
        strength = np.concatenate([np.full(len(other_shape), 2.0), strength])
        found, crops = keypoint_pairs(images, root, candidates, strength, keypoint_checks, progress, decoded)
        copies = np.concatenate([copies, found])
    groups = duplicate_groups(len(images), images["sha256"].to_numpy(), copies)
    return duplicates_frame(images, embeddings, groups, root, thumbnails, crops)


def scored_candidates(images: pd.DataFrame, embeddings: np.ndarray | None, root: str | Path, floor: float,
                      index: SearchIndex | None = None, progress: ProgressFactory | None = None,
                      views: tuple[View, ...] = VIEWS, thumbnails: Thumbnails | None = None):
    """(candidate pairs, their scores, thumbnails, embedding neighbours, their cosines) as
    ``duplicate_table`` finds them: scores below ``floor`` may be -1 (not computed). The
    review (``imgorg.review.series``) takes the same candidates at a lower floor, to tell
    copies from similar shots; the neighbours are empty without embeddings."""
    if thumbnails is None:
        thumbnails = image_thumbnails(root, images["path"].astype(str).to_numpy(), progress, views=views)
    pairs = [thumbnail_pairs(thumbnails, mirrored=embeddings is None, cropped=embeddings is None)]
    neighbours, cosines = np.empty((0, 2), np.int64), np.empty(0, np.float32)
    if embeddings is not None:
        neighbours = candidate_pairs(embeddings, min(VERIFY_COSINE, floor), index)
        cosines = pair_cosines(neighbours, embeddings)
        pairs.append(neighbours[cosines >= min(CANDIDATE_COSINE, floor)])
    pairs = np.unique(np.concatenate(pairs), axis=0)
    scores = pair_scores(pairs, embeddings, thumbnails, floor=floor)
    return pairs, scores, thumbnails, neighbours, cosines


def _fast_unsure(images: pd.DataFrame, pairs: np.ndarray, scores: np.ndarray, thumbnails: Thumbnails,
                 threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Without an embedding: the thumbnail candidates below the threshold that score at least
    ``FAST_UNSURE``, with their scores (computed only for images large enough to be checked)."""
    below = pairs[(scores < threshold) & checkable(images)[pairs].all(axis=1)]
    floor = min(FAST_UNSURE, threshold)
    strength = pair_scores(below, None, thumbnails, floor=floor)
    return below[strength >= floor], strength[strength >= floor]


def _rows_in(pairs: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Whether each row of ``pairs`` (sorted pairs) is a row of ``others``."""
    if len(pairs) == 0 or len(others) == 0:
        return np.zeros(len(pairs), bool)
    key = lambda p: p[:, 0].astype(np.int64) * (1 << 32) + p[:, 1]  # noqa: E731
    return np.isin(key(pairs), key(others))


def check_threshold(value: float, default: float) -> None:
    if not 0.0 < value <= 1.0:
        raise ConfigError(f"threshold ({value}) must be a similarity in (0, 1]; the default is {default}")
