"""Near-duplicate groups: exact copies by content hash, then near copies by their embeddings
and thumbnails (``thumbnails``: signatures of each image's views; ``scoring``: candidate pairs
and their scores; ``grouping``: stars of copies and the image to keep in each). Measured on
planted corpora, dense and held out (docs/benchmarks.md, near-duplicates).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..index import SearchIndex
from ..progress import ProgressFactory
from .grouping import COLUMNS, duplicate_groups, duplicates_frame, hash_pairs
from .scoring import CANDIDATE_COSINE, MIRROR_MARGIN, candidate_pairs, pair_scores, thumbnail_pairs
from .thumbnails import VIEWS, Thumbnails, View, image_thumbnails

DEFAULT_THRESHOLD = 0.82  # mean of embedding cosine, aligned thumbnail and detail correlation
FAST_THRESHOLD = 0.88  # mean of the two thumbnail correlations alone (--fast: no embedding)

__all__ = [
    "CANDIDATE_COSINE", "COLUMNS", "DEFAULT_THRESHOLD", "FAST_THRESHOLD", "MIRROR_MARGIN", "VIEWS", "Thumbnails",
    "View", "candidate_pairs", "check_threshold", "duplicate_groups", "duplicates_frame",
    "duplicate_table", "hash_pairs", "image_thumbnails", "pair_scores", "thumbnail_pairs",
]


def duplicate_table(images: pd.DataFrame, embeddings: np.ndarray | None, root: str | Path,
                    threshold: float | None = None, index: SearchIndex | None = None,
                    progress: ProgressFactory | None = None, views: tuple[View, ...] = VIEWS) -> pd.DataFrame:
    """Exact and near duplicates among a workspace's images (rows aligned with ``embeddings``).

    Without embeddings (``imgorg duplicates FOLDER --fast``) the thumbnails alone find and
    score the candidates, at ``FAST_THRESHOLD``: no model runs, and recall drops on
    cropped copies. ``views``: the crops each image is compared with (``thumbnails.VIEWS``)."""
    default = DEFAULT_THRESHOLD if embeddings is not None else FAST_THRESHOLD
    threshold = default if threshold is None else threshold
    check_threshold(threshold, default)
    paths = images["path"].astype(str).to_numpy()
    thumbnails = image_thumbnails(root, paths, progress, views=views)
    pairs = [thumbnail_pairs(thumbnails, mirrored=embeddings is None, cropped=embeddings is None)]
    if embeddings is not None:
        pairs.append(candidate_pairs(embeddings, min(CANDIDATE_COSINE, threshold), index))
    pairs = np.unique(np.concatenate(pairs), axis=0)
    pairs = pairs[pair_scores(pairs, embeddings, thumbnails, floor=threshold) >= threshold]
    groups = duplicate_groups(len(images), images["sha256"].to_numpy(), pairs)
    return duplicates_frame(images, embeddings, groups, root, thumbnails)


def check_threshold(value: float, default: float) -> None:
    if not 0.0 < value <= 1.0:
        raise ConfigError(f"threshold ({value}) must be a similarity in (0, 1]; the default is {default}")
