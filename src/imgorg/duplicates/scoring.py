"""Candidate pairs of near-duplicates, and the score of each pair.

Candidates are pairs among each image's nearest neighbours by embedding (cosine >=
``CANDIDATE_COSINE``) and by 8x8 colour thumbnail: the thumbnail neighbours catch blurred,
shrunk or heavily re-encoded copies whose embedding sits behind ten look-alikes of the same
kind (without an embedding, ``--fast``, also by the thumbnails of each image's mirror and of
its 80% corners). Each candidate is scored by the mean of three similarities:

- the embedding cosine, which survives resizing, re-encoding, crops and brightness changes,
  but is high for two photos of one kind of thing too;
- the correlation of 16x16 colour thumbnails, the best over the views (the whole image
  against crops of the other), so that a cropped copy, or one cut to another shape, still
  lines up; the same against the other's mirror finds flipped copies, which must score
  ``MIRROR_MARGIN`` higher;
- the same for the thumbnails' details (each less its 4x4 block means): copies share their
  details, look-alikes only their layout.

Where only one image of a pair is framed, it is also compared as it is, frame included: a
photo whose sky and foreground are uniform can be "framed" while its brightened copy is not.
Images too small or too flat to have details (a few pixels wide, one solid colour) cannot
reach the default threshold: only exact copies of them are found.
"""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np

from ..index import SearchIndex, build_index
from .thumbnails import DETAIL_SIDE, SEARCH_SIDE, Thumbnails, centred_unit, corner_views, mirror_signatures, search_signatures

CANDIDATE_COSINE = 0.60  # embedding cosine for an embedding neighbour to be scored at all
MIRROR_MARGIN = 0.02  # what a mirrored copy must score above the threshold
NEIGHBOURS = 10
BLAS_THREADED_BELOW = 5000  # pairs: fewer are scored as they come (limiting the threads costs a few ms)
CORNER_NEIGHBOURS = 2  # per corner view: 1 found as many copies as 5 on the cropped corpus


def candidate_pairs(embeddings: np.ndarray, threshold: float = CANDIDATE_COSINE, index: SearchIndex | None = None,
                    k: int = NEIGHBOURS) -> np.ndarray:
    """(m, 2) rows i < j that are among each other's k nearest with cosine >= threshold."""
    if len(embeddings) < 2:
        return np.empty((0, 2), np.int64)
    sims, rows = (index or build_index(embeddings)).search(embeddings, k, exclude_self=True)
    return _neighbour_pairs(rows, sims >= threshold)


def thumbnail_pairs(thumbnails: Thumbnails, k: int = NEIGHBOURS, mirrored: bool = False,
                    cropped: bool = False) -> np.ndarray:
    """(m, 2) rows i < j among each other's k nearest by search thumbnail (readable images only),
    with ``mirrored`` also by the mirror of one's thumbnail, and with ``cropped`` by one's 80%
    corners: without an embedding (--fast) nothing else brings a flipped copy, or one cropped
    by 15-20% at a corner, near its original (with one, its neighbours already do)."""
    readable = np.flatnonzero(np.abs(thumbnails.search).sum(axis=1) > 0)
    if len(readable) < 2:
        return np.empty((0, 2), np.int64)
    search = thumbnails.search[readable]
    index = build_index(search)
    _, rows = index.search(search, k, exclude_self=True)
    pairs = [_neighbour_pairs(rows, np.ones(rows.shape, bool))]
    if mirrored:
        pairs.append(_query_pairs(index, mirror_signatures(search, SEARCH_SIDE), np.arange(len(search)), k))
    if cropped:
        for view in corner_views(thumbnails.layout):
            corner = search_signatures(thumbnails.views[readable, view])
            pairs.append(_query_pairs(index, corner, np.arange(len(search)), CORNER_NEIGHBOURS))
    framed = np.flatnonzero(thumbnails.framed[readable])
    if len(framed):  # a framed image as it is, against the others' contents (see pair_scores)
        as_is = thumbnails.framed_search[thumbnails.framed_index(readable[framed])]
        pairs.append(_query_pairs(index, as_is, framed, k))
    return readable[np.unique(np.concatenate(pairs), axis=0)]


def _query_pairs(index: SearchIndex, queries: np.ndarray, query_rows: np.ndarray, k: int) -> np.ndarray:
    """Sorted pairs (query's row, each of its k nearest but itself) for queries standing for ``query_rows``."""
    _, rows = index.search(queries, k + 1)
    # not itself: e.g. a symmetric image is its own mirror's neighbour
    return _neighbour_pairs(rows, rows != query_rows[:, None], query_rows)


def _neighbour_pairs(rows: np.ndarray, keep: np.ndarray, query_rows: np.ndarray | None = None) -> np.ndarray:
    """(m, 2) sorted unique pairs (query row i, rows[i, j]) where ``keep`` holds and a neighbour was
    found; query row i is ``query_rows[i]``, by default i itself."""
    keep = keep & (rows >= 0)
    query_rows = np.arange(len(rows)) if query_rows is None else query_rows
    pairs = np.stack([np.repeat(query_rows, keep.sum(axis=1)), rows[keep]], axis=1)
    return np.unique(np.sort(pairs, axis=1), axis=0)


def pair_scores(pairs: np.ndarray, embeddings: np.ndarray | None, thumbnails: Thumbnails,
                floor: float = -1.0, mirrored: bool = True, mirror_margin: float = MIRROR_MARGIN) -> np.ndarray:
    """Mean of embedding cosine, aligned thumbnail correlation and aligned detail correlation
    (aligned: the best over the crop views), or of the last two without ``embeddings``;
    with ``mirrored``, the same against b's mirror, less ``mirror_margin``, where that is higher.

    The margin because mirroring doubles the alignments a look-alike can match: on the
    dense corpus it added 23 pairs of different ships, planes and cars at 0.82-0.87,
    while true mirrored copies scored >= 0.84, 95% >= 0.86 (docs/benchmarks.md).

    Images are compared without their frames; where only one of the two is framed, also
    with its frame, the higher score counting (see the module's docstring)."""
    cosines = None if embeddings is None else pair_cosines(pairs, embeddings)
    with _one_blas_thread(len(pairs)):
        scores = _scores(pairs, cosines, thumbnails.views, floor, mirrored, mirror_margin)
        one = np.flatnonzero(thumbnails.framed[pairs[:, 0]] != thumbnails.framed[pairs[:, 1]])
        if len(one):
            rows, local = np.unique(pairs[one], return_inverse=True)
            as_is = _scores(local.reshape(-1, 2), None if cosines is None else cosines[one],
                            thumbnails.with_frames(rows), floor, mirrored, mirror_margin)
            scores[one] = np.maximum(scores[one], as_is)
    return scores


def _one_blas_thread(pairs: int):
    """BLAS on one thread while scoring many pairs: the products are small (an image's partners
    by 17 views), and OpenBLAS's threads on them took 2.6x the CPU time (14.4 s against 5.5 s for
    CIFAR's 245,803 candidates, with other processes on the 2 cores)."""
    if pairs < BLAS_THREADED_BELOW:
        return nullcontext()
    from threadpoolctl import threadpool_limits  # scikit-learn's dependency

    return threadpool_limits(limits=1, user_api="blas")


def _scores(pairs: np.ndarray, cosines: np.ndarray | None, views: np.ndarray, floor: float, mirrored: bool,
            mirror_margin: float) -> np.ndarray:
    """The mean of the signals, the best of b as it is and, with ``mirrored``, of b mirrored (less the margin).

    Pairs that cannot reach the floor even with perfect correlations get -1 without
    computing them: first by cosine alone, then by cosine and layout (on CIFAR-10's test
    images 95% of the candidates never need the costly detail pass). Both orientations are
    computed in one sweep over the images per pass, so each image's views are converted
    (and their details taken) once, not once per orientation and side."""
    terms = 2 if cosines is None else 3
    known = np.zeros(len(pairs), np.float32) if cosines is None else cosines
    floors = [floor, floor + mirror_margin] if mirrored else [floor]
    flips = [False, True][: len(floors)]
    rows = [np.flatnonzero(known + 2 >= terms * f) for f in floors]  # both correlations perfect
    partial = [known[r] + c for r, c in zip(rows, _correlations(pairs, rows, flips, views, None))]
    reachable = [p + 1 >= terms * f for p, f in zip(partial, floors)]
    rows = [r[m] for r, m in zip(rows, reachable)]
    details = _correlations(pairs, rows, flips, views, _details)
    scores = []
    for r, p, m, d in zip(rows, partial, reachable, details):
        one = np.full(len(pairs), -1.0, np.float32)
        one[r] = (p[m] + d) / terms
        scores.append(one)
    return np.maximum(scores[0], scores[1] - mirror_margin) if mirrored else scores[0]


def _correlations(pairs: np.ndarray, rows: list[np.ndarray], flips: list[bool], views: np.ndarray,
                  transform) -> list[np.ndarray]:
    """``aligned_correlation`` of ``pairs[rows[i]]``, b mirrored where ``flips[i]``, for every i at once."""
    requests = []
    for r, flip in zip(rows, flips):
        a, b = pairs[r, 0], pairs[r, 1]
        requests += [(a, b, flip), (b, a, flip)]
    found = _wholes_against_views(requests, views, transform)
    return [np.minimum(np.maximum(found[2 * i], found[2 * i + 1]), 1.0)  # float16 views can sum a hair above 1
            for i in range(len(rows))]


def pair_cosines(pairs: np.ndarray, embeddings: np.ndarray, block: int = 8192) -> np.ndarray:
    """Embedding cosine of each pair (rows are unit vectors), a block of pairs at a time."""
    out = np.empty(len(pairs), np.float32)
    for start in range(0, len(pairs), block):
        rows = pairs[start : start + block]
        out[start : start + block] = np.einsum("ij,ij->i", embeddings[rows[:, 0]], embeddings[rows[:, 1]])
    return out


def aligned_correlation(pairs: np.ndarray, views: np.ndarray, transform=None, mirror: bool = False) -> np.ndarray:
    """max over views v of corr(whole a, view v of b) and corr(view v of a, whole b), of the
    views as they are or as ``transform`` makes them, b mirrored if ``mirror``."""
    # corr(view of a, mirrored whole b) = corr(mirrored view of a, whole b): either way the views are mirrored
    return _correlations(pairs, [np.arange(len(pairs))], [mirror], views, transform)[0]


def _wholes_against_views(requests: list[tuple[np.ndarray, np.ndarray, bool]], views: np.ndarray,
                          transform) -> list[np.ndarray]:
    """Per request (whole rows, view rows, mirror) and pair, the best correlation of one image's
    whole view with the other's views.

    One image's views at a time, against the wholes of all its partners: gathering
    and converting every partner's seven float16 views per pair cost 3x more
    (an image has about 30 candidate partners). The requests are swept together, so an
    image's views are converted from float16 and transformed once for all of them (that
    conversion was a third of the scoring's time); each product is the same as one request's alone."""
    plans = []
    for whole_rows, view_rows, mirror in requests:
        if not len(whole_rows):
            plans.append((np.empty(0, np.float32), None, None, None, None, {}))
            continue
        unique_wholes, whole_of = np.unique(whole_rows, return_inverse=True)
        wholes = views[unique_wholes, :1].astype(np.float32)
        wholes = (transform(wholes) if transform else wholes)[:, 0]
        # corr(whole a, mirrored view of b) = corr(mirrored whole a, view of b): mirror the few wholes,
        # not every image's views (a mirror commutes with the transforms: details' blocks mirror onto blocks)
        wholes = mirror_signatures(wholes, DETAIL_SIDE) if mirror else wholes
        order = np.argsort(view_rows, kind="stable")
        bounds = np.flatnonzero(np.diff(view_rows[order], prepend=-1, append=-1))
        plans.append((np.empty(len(whole_rows), np.float32), wholes, whole_of, order, bounds,
                      {int(view_rows[order[lo]]): k for k, lo in enumerate(bounds[:-1])}))
    for image_row in sorted(set().union(*(plan[5] for plan in plans))):
        image = views[image_row][None].astype(np.float32)
        image = (transform(image) if transform else image)[0]
        for out, wholes, whole_of, order, bounds, starts in plans:
            k = starts.get(image_row)
            if k is not None:
                rows = order[bounds[k] : bounds[k + 1]]
                out[rows] = (wholes[whole_of[rows]] @ image.T).max(axis=1)
    return [plan[0] for plan in plans]


def _details(views: np.ndarray) -> np.ndarray:
    """Each 16x16 view less its 4x4 block means, unit length: what is left once the layout is gone.

    Sea-and-sky ships or planes share a layout; only copies share these details
    (dense CIFAR corpus: precision 0.86 -> 0.93 at the same recall, docs/benchmarks.md)."""
    p, v, _ = views.shape
    pixels = views.reshape(p, v, 4, DETAIL_SIDE // 4, 4, DETAIL_SIDE // 4, 3)
    return centred_unit((pixels - pixels.mean(axis=(3, 5), keepdims=True)).reshape(p, v, -1))
