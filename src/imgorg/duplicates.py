"""Near-duplicate groups: exact copies by content hash, then near copies by two signals.

Candidates are pairs among each image's nearest neighbours with embedding cosine
>= ``CANDIDATE_COSINE``. Each candidate is scored by the mean of two similarities:

- the embedding cosine, which survives resizing, re-encoding, crops and brightness
  changes, but is high for two photos of one kind of thing too;
- the correlation of the two images' 8x8 colour thumbnails (mean removed, so
  brightness does not matter): copies share their layout, different photos rarely do.

Pairs scoring >= ``threshold`` are joined into groups (connected components); each
group gets one keep candidate: most pixels, then largest file, then lowest id.
On a planted corpus (docs/benchmarks.md, issue 6) the embedding alone reached at
best precision 0.93 at recall 0.86; the mean of both, 0.999 and 0.996.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .errors import ConfigError, ImageDecodeError
from .images import decode_image
from .index import SearchIndex, build_index
from .sources import source_path

log = logging.getLogger(__name__)

CANDIDATE_COSINE = 0.60  # embedding cosine for a pair to be scored at all
DEFAULT_THRESHOLD = 0.825  # mean of embedding cosine and thumbnail correlation
NEIGHBOURS = 10
SIGNATURE_SIDE = 8
DUPLICATES_FILE = "duplicates.parquet"
COLUMNS = ["group", "id", "path", "kind", "similarity", "keep"]


def candidate_pairs(embeddings: np.ndarray, threshold: float = CANDIDATE_COSINE, index: SearchIndex | None = None,
                    k: int = NEIGHBOURS) -> np.ndarray:
    """(m, 2) rows i < j that are among each other's k nearest with cosine >= threshold."""
    _check_unit_interval("threshold", threshold)
    if len(embeddings) < 2:
        return np.empty((0, 2), np.int64)
    sims, rows = (index or build_index(embeddings)).search(embeddings, k, exclude_self=True)
    close = (sims >= threshold) & (rows >= 0)
    pairs = np.stack([np.repeat(np.arange(len(embeddings)), close.sum(axis=1)), rows[close]], axis=1)
    return np.unique(np.sort(pairs, axis=1), axis=0)


def pixel_signatures(root: str | Path, paths, rows: np.ndarray, n: int) -> np.ndarray:
    """(n, 192) thumbnail signatures for ``rows`` (others stay zero: they never verify)."""
    out = np.zeros((n, 3 * SIGNATURE_SIDE**2), np.float32)
    missing = 0
    for row in rows:
        try:
            image = decode_image(source_path(root, paths[row]).read_bytes(), draft_size=4 * SIGNATURE_SIDE)
        except (OSError, ImageDecodeError):
            missing += 1
            continue
        pixels = np.asarray(image.resize((SIGNATURE_SIDE, SIGNATURE_SIDE), resample=_box()), np.float32).ravel()
        pixels -= pixels.mean()
        out[row] = pixels / (np.linalg.norm(pixels) + 1e-6)
    if missing:
        log.warning("%d images could not be re-read to verify near-duplicates; only exact copies of them are found",
                    missing)
    return out


def pair_scores(pairs: np.ndarray, embeddings: np.ndarray, signatures: np.ndarray) -> np.ndarray:
    """Mean of embedding cosine and thumbnail correlation for each pair."""
    cosine = np.einsum("ij,ij->i", embeddings[pairs[:, 0]], embeddings[pairs[:, 1]])
    pixels = np.einsum("ij,ij->i", signatures[pairs[:, 0]], signatures[pairs[:, 1]])
    return (cosine + pixels) / 2


def duplicate_groups(n: int, sha256: np.ndarray, pairs: np.ndarray | None = None) -> np.ndarray:
    """A group number per row (-1: no duplicate) joining ``pairs``; equal hashes always share a group."""
    edges = [_hash_pairs(sha256)] + ([pairs] if pairs is not None and len(pairs) else [])
    edges = np.concatenate(edges).astype(np.int64)
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    in_group = np.bincount(component)[component] > 1
    groups = np.full(n, -1, np.int64)
    groups[in_group] = _number_by_first_row(component[in_group])
    return groups


def find_duplicates(images: pd.DataFrame, embeddings: np.ndarray, root: str | Path,
                    threshold: float = DEFAULT_THRESHOLD, index: SearchIndex | None = None) -> pd.DataFrame:
    """Exact and near duplicates among a workspace's images (rows aligned with ``embeddings``)."""
    _check_unit_interval("threshold", threshold)
    pairs = candidate_pairs(embeddings, min(CANDIDATE_COSINE, threshold), index)
    paths = images["path"].astype(str).to_numpy()
    signatures = pixel_signatures(root, paths, np.unique(pairs), len(images))
    pairs = pairs[pair_scores(pairs, embeddings, signatures) >= threshold]
    groups = duplicate_groups(len(images), images["sha256"].to_numpy(), pairs)
    return duplicates_frame(images, embeddings, groups, root)


def duplicates_frame(images: pd.DataFrame, embeddings: np.ndarray, groups: np.ndarray,
                     root: str | Path | None = None) -> pd.DataFrame:
    """One row per image in a group, keep candidate first, with its cosine to the keeper."""
    out = []
    for group in np.unique(groups[groups >= 0]):
        rows = np.flatnonzero(groups == group)
        members = images.iloc[rows]
        order = _keep_order(members, root)
        rows, members = rows[order], members.iloc[order]
        sims = embeddings[rows] @ embeddings[rows[0]]
        out.append(pd.DataFrame({
            "group": int(group), "id": members["id"].to_numpy(), "path": members["path"].to_numpy(),
            "kind": "exact" if members["sha256"].nunique() == 1 else "near", "similarity": np.round(sims, 4),
            "keep": np.arange(len(rows)) == 0,
        }))
    if not out:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                             zip(COLUMNS, ("int64", "int64", "string", "string", "float32", "bool"))})
    return pd.concat(out, ignore_index=True).astype({"path": "string", "kind": "string"})


def _check_unit_interval(name: str, value: float) -> None:
    if not 0.0 < value <= 1.0:
        raise ConfigError(f"{name} ({value}) must be a similarity in (0, 1]; the default is {DEFAULT_THRESHOLD}")


def _hash_pairs(sha256: np.ndarray) -> np.ndarray:
    codes = pd.factorize(pd.Series(sha256))[0]  # missing hashes get -1 and are never paired
    order = np.argsort(codes, kind="stable")
    same = (codes[order][1:] == codes[order][:-1]) & (codes[order][1:] >= 0)
    return np.stack([order[:-1][same], order[1:][same]], axis=1).astype(np.int64)


def _number_by_first_row(component: np.ndarray) -> np.ndarray:
    """Groups numbered 0.. in the order of their first row, so the output is stable."""
    _, first_index, inverse = np.unique(component, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first_index))
    return rank[inverse]


def _keep_order(members: pd.DataFrame, root: str | Path | None) -> np.ndarray:
    """Most pixels first (read from the file header only), then bytes, then lowest id."""
    pixels = np.array([_pixels(root, p) for p in members["path"]]) if root else np.zeros(len(members))
    return np.lexsort((members["id"].to_numpy(), -members["bytes"].to_numpy(), -pixels))


def _pixels(root: str | Path, relpath: str) -> int:
    from PIL import Image

    try:
        with Image.open(source_path(root, relpath)) as image:
            return image.width * image.height
    except Exception:  # the file changed since the run: rank it by bytes alone
        return 0


def _box():
    from PIL import Image

    return Image.BOX
