"""Near-duplicate groups: exact copies by content hash, then near copies by two signals.

Candidates are pairs among each image's nearest neighbours by embedding (cosine
>= ``CANDIDATE_COSINE``) and by 8x8 colour thumbnail: the thumbnail neighbours
catch blurred, shrunk or heavily re-encoded copies whose embedding sits behind ten
look-alikes of the same kind (without an embedding, ``--fast``, also by the thumbnails of
each image's mirror and of its 80% corners). Each candidate is scored by the mean of three
similarities:

- the embedding cosine, which survives resizing, re-encoding, crops and brightness
  changes, but is high for two photos of one kind of thing too;
- the correlation of 16x16 colour thumbnails (mean removed, so brightness does not
  matter), the best over a few alignments (the whole image against crops of the
  other: 90% and 80% at the centre and at each corner, strips of 80% of one side), so that
  a cropped copy, or one cut to another shape, still lines up;
  the same against the other's mirror finds flipped copies, which must score
  ``MIRROR_MARGIN`` higher;
- the same for the thumbnails' details (each less its 4x4 block means): copies
  share their details, look-alikes only their layout.

A frame (uniform lines of one colour at two opposite edges or all four: a passe-partout,
letterbox bars) is trimmed before the thumbnails are taken: otherwise a framed copy does not line
up with its original, and two different photos in the same frame look alike. Where
only one image of a pair is framed, it is also compared as it is, frame included: a
photo whose sky and foreground are uniform can be "framed" while its brightened copy
is not.

Images too small or too flat to have details (a few pixels wide, one solid colour)
cannot reach the default threshold: only exact copies of them are found.

Pairs scoring >= ``threshold`` form groups as stars, not connected components:
each member is a copy of its group's centre. Chains of look-alikes (ship A like
ship B like ship C ...) made components of 78 different ships in CIFAR-10's test
images. Each group gets one keep candidate: most pixels, then largest file, then
lowest id. Measured on planted corpora, dense and held out (docs/benchmarks.md,
"Near-duplicates").
"""

from __future__ import annotations

import heapq
import logging
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from . import progress as _progress
from .parallel import available_cores, process_pool
from .errors import ConfigError, ImageDecodeError
from .images import decode_image
from .index import SearchIndex, build_index
from .progress import ProgressFactory
from .sources import source_path

log = logging.getLogger(__name__)

CANDIDATE_COSINE = 0.60  # embedding cosine for an embedding neighbour to be scored at all
DEFAULT_THRESHOLD = 0.82  # mean of embedding cosine, aligned thumbnail and detail correlation
FAST_THRESHOLD = 0.88  # mean of the two thumbnail correlations alone (--fast: no embedding)
MIRROR_MARGIN = 0.02  # what a mirrored copy must score above the threshold
NEIGHBOURS = 10
SEARCH_SIDE = 8  # thumbnails for finding candidates
DETAIL_SIDE = 16  # thumbnails for scoring them
# (kept width, kept height, x, y) of each view: the whole image first, then the crops it is
# compared with: 90% and 80% at the centre and at each corner, and strips of 80% of the width
# or height at both ends and the centre. Corners at 90% only found 28% of the copies cropped
# by 6-22% at a corner; without the strips a copy cut to another shape was found at 0.26
# (docs/benchmarks.md, "Crops of other sizes", "Copies of another shape").
VIEWS = ((1.0, 1.0, 0.5, 0.5), (0.9, 0.9, 0.5, 0.5), (0.8, 0.8, 0.5, 0.5),
         (0.9, 0.9, 0, 0), (0.9, 0.9, 1, 0), (0.9, 0.9, 0, 1), (0.9, 0.9, 1, 1),
         (0.8, 0.8, 0, 0), (0.8, 0.8, 1, 0), (0.8, 0.8, 0, 1), (0.8, 0.8, 1, 1),
         (0.8, 1.0, 0, 0.5), (0.8, 1.0, 0.5, 0.5), (0.8, 1.0, 1, 0.5),
         (1.0, 0.8, 0.5, 0), (1.0, 0.8, 0.5, 0.5), (1.0, 0.8, 0.5, 1))
# --fast also searches with these views (80% corners): a copy cropped at a corner is near one of them
CORNER_VIEWS = tuple(i for i, (width, height, x, y) in enumerate(VIEWS)
                     if width == height == 0.8 and (x, y) != (0.5, 0.5))
CORNER_NEIGHBOURS = 2  # per corner view: 1 found as many copies as 5 on the cropped corpus
THUMBNAIL_CHUNK = 1024  # images per progress step
FRAME_TOLERANCE = 12  # grey levels: how far a frame line's pixels (95%) may be from its edge's colour
MAX_FRAME = 0.25  # of the side: at most this much is trimmed at each edge
FRAME_PROBE = 64  # px: frames are found on a copy at most this large
DUPLICATES_FILE = "duplicates.parquet"
COLUMNS = ["group", "id", "path", "kind", "similarity", "keep"]


@dataclass
class Thumbnails:
    """Normalised thumbnails of every image, frame trimmed: ``search`` (n, 192) for neighbours,
    ``views`` (n, len(VIEWS), 768) float16 for scores, about 27 KB per image.
    An unreadable image is all zeros: it never verifies. ``framed`` marks the images
    whose frame was trimmed; ``framed_search`` and ``framed_views`` hold those images'
    thumbnails with their frame, in row order."""

    search: np.ndarray
    views: np.ndarray
    framed: np.ndarray | None = None
    framed_search: np.ndarray | None = None
    framed_views: np.ndarray | None = None

    def __post_init__(self):
        if self.framed is None:
            self.framed = np.zeros(len(self.search), bool)
            self.framed_search = np.zeros((0, self.search.shape[1]), self.search.dtype)
            self.framed_views = np.zeros((0, *self.views.shape[1:]), self.views.dtype)

    def with_frames(self, rows: np.ndarray) -> np.ndarray:
        """The views of ``rows`` as the images are, frames included."""
        out = self.views[rows]
        framed = self.framed[rows]
        out[framed] = self.framed_views[self.framed_index(rows[framed])]
        return out

    def framed_index(self, rows: np.ndarray) -> np.ndarray:
        """Where framed images' ``rows`` are in ``framed_search`` and ``framed_views``."""
        return np.cumsum(self.framed)[rows] - 1


def candidate_pairs(embeddings: np.ndarray, threshold: float = CANDIDATE_COSINE, index: SearchIndex | None = None,
                    k: int = NEIGHBOURS) -> np.ndarray:
    """(m, 2) rows i < j that are among each other's k nearest with cosine >= threshold."""
    check_threshold(threshold, CANDIDATE_COSINE)
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
        pairs.append(_query_pairs(index, _mirror(search, SEARCH_SIDE), np.arange(len(search)), k))
    if cropped:
        for view in CORNER_VIEWS:
            corner = _search_signatures(thumbnails.views[readable, view])
            pairs.append(_query_pairs(index, corner, np.arange(len(search)), CORNER_NEIGHBOURS))
    framed = np.flatnonzero(thumbnails.framed[readable])
    if len(framed):  # a framed image as it is, against the others' contents (see pair_scores)
        as_is = thumbnails.framed_search[thumbnails.framed_index(readable[framed])]
        pairs.append(_query_pairs(index, as_is, framed, k))
    return readable[np.unique(np.concatenate(pairs), axis=0)]


def _search_signatures(views: np.ndarray) -> np.ndarray:
    """Search signatures (8x8) of views' signatures (16x16: DETAIL_SIDE is twice SEARCH_SIDE):
    2x2 means, mean removed, unit length."""
    pixels = views.astype(np.float32).reshape(len(views), SEARCH_SIDE, 2, SEARCH_SIDE, 2, 3).mean(axis=(2, 4))
    return _centred_unit(pixels.reshape(len(views), -1))


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


def image_thumbnails(root: str | Path, paths, progress: ProgressFactory | None = None,
                     workers: int | None = None) -> Thumbnails:
    """Thumbnails of every image in ``paths``, re-read from the files, at most ``THUMBNAIL_CHUNK``
    images per task in ``workers`` processes (default: every core this process may use).

    Processes, not threads: for small images this is Python work that threads serialise
    on the GIL (2 threads on 2 cores took 15.2 s against 12.3 s for one, on 10,000 CIFAR
    images; docs/benchmarks.md has the process figures)."""
    n = len(paths)
    search = np.zeros((n, 3 * SEARCH_SIDE**2), np.float32)
    views = np.zeros((n, len(VIEWS), 3 * DETAIL_SIDE**2), np.float16)
    readable = np.zeros(n, bool)
    framed: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    advance = _progress.start(progress, "Reading thumbnails", n)
    workers = workers or available_cores()
    size = max(1, min(THUMBNAIL_CHUNK, -(-n // workers)))  # a few thousand images still use every core
    starts = range(0, n, size)
    chunks = [list(paths[start : start + size]) for start in starts]
    workers = min(workers, len(chunks))
    with process_pool(workers) if workers > 1 else nullcontext() as pool:
        results = (pool.map if pool else map)(_thumbnail_chunk, [root] * len(chunks), chunks)
        for start, (chunk_search, chunk_views, chunk_readable, chunk_framed) in zip(starts, results):
            rows = slice(start, start + len(chunk_readable))
            search[rows], views[rows], readable[rows] = chunk_search, chunk_views, chunk_readable
            framed.update({start + row: signatures for row, signatures in chunk_framed.items()})
            advance(len(chunk_readable))
    if not readable.all():
        log.warning("%d files could not be read or decoded as images for their thumbnails; only exact copies "
                    "of them are found", (~readable).sum())
    rows = sorted(framed)
    return Thumbnails(search, views, np.isin(np.arange(n), rows),
                      np.array([framed[row][0] for row in rows], np.float32).reshape(len(rows), search.shape[1]),
                      np.array([framed[row][1] for row in rows], np.float16).reshape(len(rows), *views.shape[1:]))


def _thumbnail_chunk(root: str | Path, relpaths: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """(search signatures, views' signatures, readable, {row: signatures with the frame}) of a few
    images; zeros where unreadable."""
    search = np.zeros((len(relpaths), 3 * SEARCH_SIDE**2), np.float32)
    views = np.zeros((len(relpaths), len(VIEWS), 3 * DETAIL_SIDE**2), np.float16)
    readable = np.zeros(len(relpaths), bool)
    framed = {}
    for row, relpath in enumerate(relpaths):
        try:
            image = decode_image(source_path(root, relpath).read_bytes(), draft_size=4 * DETAIL_SIDE)
        except (OSError, ImageDecodeError):
            continue
        signatures = as_is = _signatures(image)
        content = _trim_frame(image)
        if content is not image:
            signatures = _signatures(content)
            if signatures[0].any():  # else the frame held all there is (a square on black): keep it
                framed[row] = as_is
            else:
                signatures = as_is
        (search[row], views[row]), readable[row] = signatures, True
    return search, views, readable, framed


def _signatures(image) -> tuple[np.ndarray, np.ndarray]:
    """(search signature, the views' signatures) of one image."""
    return _signature(image, SEARCH_SIDE), np.stack([_signature(_crop(image, *view), DETAIL_SIDE) for view in VIEWS])


def _trim_frame(image):
    """The image without its frame, or the image itself when it has none.

    Each edge loses the lines (at most ``MAX_FRAME`` of the side) whose pixels stay within
    ``FRAME_TOLERANCE`` of that edge's colour. A frame is such lines at two opposite edges,
    of one colour: a uniform sky above and a uniform field below are part of the photo.
    Known limit: one frame only. A photo whose own dark edges pass for a frame, and its
    copy in a white frame, are both "framed" and compared trimmed: the copy keeps the
    dark edges that the photo lost."""
    from PIL import Image

    probe = image
    if max(image.size) > FRAME_PROBE:  # resized directly: no full-size copy of a large image
        scale = FRAME_PROBE / max(image.size)
        probe = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             resample=Image.BOX)
    pixels = np.asarray(probe.convert("RGB"), np.int16)
    top, bottom = _frame_pair(pixels)
    left, right = _frame_pair(pixels.transpose(1, 0, 2))
    if not (top or left):
        return image
    scale_x, scale_y = image.width / probe.width, image.height / probe.height
    # a probe line blends frame and photo at the boundary: it stays, so only whole frame lines go
    return image.crop((round(left * scale_x), round(top * scale_y),
                       image.width - round(right * scale_x), image.height - round(bottom * scale_y)))


def _frame_pair(pixels: np.ndarray) -> tuple[int, int]:
    """Frame lines at the first and the last row of ``pixels`` (h, w, 3), or (0, 0) if the two are not one frame."""
    first, first_colour = _frame_lines(pixels)
    if not first:  # most photos: their first line is no frame line, and the last need not be looked at
        return 0, 0
    last, last_colour = _frame_lines(pixels[::-1])
    if last and np.abs(first_colour - last_colour).max() < FRAME_TOLERANCE:
        return first, last
    return 0, 0


def _frame_lines(pixels: np.ndarray) -> tuple[int, np.ndarray]:
    """(how many lines from the first inwards stay near the first line's colour, that colour).

    The first line alone is looked at first: for most photos it is no frame line, and
    this runs on every image (all lines at once took longer than the thumbnails)."""
    colour = np.median(pixels[0], axis=0)
    most = int(MAX_FRAME * len(pixels))
    if not most or _spread(pixels[:1], colour)[0] >= FRAME_TOLERANCE:
        return 0, colour
    spread = _spread(pixels[1:most], colour)
    return (1 + int(np.argmax(spread >= FRAME_TOLERANCE)) if (spread >= FRAME_TOLERANCE).any() else most), colour


def _spread(lines: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Per line, the 95th percentile of its pixels' distance (largest channel) from ``colour``:
    ``np.percentile``'s linear interpolation, from a partition (np.percentile's own overhead
    was most of the cost on 32 px lines)."""
    distance = np.abs(lines - colour).max(axis=2).astype(np.float64)
    rank = 0.95 * (distance.shape[1] - 1)
    lo = int(rank)
    hi, t = min(lo + 1, distance.shape[1] - 1), rank - lo
    ordered = np.partition(distance, [lo, hi], axis=1)
    a, b = ordered[:, lo], ordered[:, hi]
    return a + (b - a) * t if t < 0.5 else b - (b - a) * (1 - t)


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
    scores = _scores(pairs, cosines, thumbnails.views, floor, mirrored, mirror_margin)
    one = np.flatnonzero(thumbnails.framed[pairs[:, 0]] != thumbnails.framed[pairs[:, 1]])
    if len(one):
        rows, local = np.unique(pairs[one], return_inverse=True)
        as_is = _scores(local.reshape(-1, 2), None if cosines is None else cosines[one],
                        thumbnails.with_frames(rows), floor, mirrored, mirror_margin)
        scores[one] = np.maximum(scores[one], as_is)
    return scores


def _scores(pairs: np.ndarray, cosines: np.ndarray | None, views: np.ndarray, floor: float, mirrored: bool,
            mirror_margin: float) -> np.ndarray:
    scores = _aligned_scores(pairs, cosines, views, floor, mirror=False)
    if mirrored:
        flipped = _aligned_scores(pairs, cosines, views, floor + mirror_margin, mirror=True)
        scores = np.maximum(scores, flipped - mirror_margin)
    return scores


def _aligned_scores(pairs: np.ndarray, cosines: np.ndarray | None, views: np.ndarray, floor: float,
                    mirror: bool) -> np.ndarray:
    """The mean of the signals, b mirrored or not.

    Pairs that cannot reach ``floor`` even with perfect correlations get -1 without
    computing them: first by cosine alone, then by cosine and layout (on CIFAR-10's test
    images 95% of the candidates never need the costly detail pass)."""
    terms = 2 if cosines is None else 3
    known = np.zeros(len(pairs), np.float32) if cosines is None else cosines
    scores = np.full(len(pairs), -1.0, np.float32)
    rows = np.flatnonzero(known + 2 >= terms * floor)  # both correlations perfect
    partial = known[rows] + aligned_correlation(pairs[rows], views, mirror=mirror)
    reachable = partial + 1 >= terms * floor
    rows, partial = rows[reachable], partial[reachable]
    scores[rows] = (partial + aligned_correlation(pairs[rows], views, _details, mirror=mirror)) / terms
    return scores


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
    if len(pairs) == 0:
        return np.empty(0, np.float32)
    # corr(view of a, mirrored whole b) = corr(mirrored view of a, whole b): either way the views are mirrored
    out = np.maximum(_wholes_against_views(pairs[:, 0], pairs[:, 1], views, transform, mirror),
                     _wholes_against_views(pairs[:, 1], pairs[:, 0], views, transform, mirror))
    return np.minimum(out, 1.0)  # float16 views can sum a hair above 1


def _wholes_against_views(whole_rows: np.ndarray, view_rows: np.ndarray, views: np.ndarray, transform,
                          mirror: bool) -> np.ndarray:
    """Per pair, the best correlation of one image's whole view with the other's views.

    One image's views at a time, against the wholes of all its partners: gathering
    and converting every partner's seven float16 views per pair cost 3x more
    (an image has about 30 candidate partners)."""
    out = np.empty(len(whole_rows), np.float32)
    unique_wholes, whole_of = np.unique(whole_rows, return_inverse=True)
    wholes = views[unique_wholes, :1].astype(np.float32)
    wholes = (transform(wholes) if transform else wholes)[:, 0]
    order = np.argsort(view_rows, kind="stable")
    bounds = np.flatnonzero(np.diff(view_rows[order], prepend=-1, append=-1))
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        rows = order[lo:hi]
        image = views[view_rows[rows[0]]][None].astype(np.float32)
        image = _mirror(image, DETAIL_SIDE) if mirror else image
        image = (transform(image) if transform else image)[0]
        out[rows] = (wholes[whole_of[rows]] @ image.T).max(axis=1)
    return out


def _mirror(signatures: np.ndarray, side: int) -> np.ndarray:
    """Left-right mirror of flattened side x side x 3 signatures (any leading axes).

    The mirror of b's top-left crop is a top-right crop of b's mirror: comparing a with
    the mirrored views of b aligns a flipped and cropped copy as well."""
    shape = signatures.shape
    return signatures.reshape(*shape[:-1], side, side, 3)[..., ::-1, :].reshape(shape)


def _details(views: np.ndarray) -> np.ndarray:
    """Each 16x16 view less its 4x4 block means, unit length: what is left once the layout is gone.

    Sea-and-sky ships or planes share a layout; only copies share these details
    (dense CIFAR corpus: precision 0.86 -> 0.93 at the same recall, docs/benchmarks.md)."""
    p, v, _ = views.shape
    pixels = views.reshape(p, v, 4, DETAIL_SIDE // 4, 4, DETAIL_SIDE // 4, 3)
    return _centred_unit((pixels - pixels.mean(axis=(3, 5), keepdims=True)).reshape(p, v, -1))


def duplicate_groups(n: int, sha256: np.ndarray, pairs: np.ndarray | None = None) -> np.ndarray:
    """A group number per row (-1: no duplicate); equal hashes always share a group.

    Near pairs form stars: the image with the most copies not yet grouped becomes a
    centre and takes those copies, again until no pair is left. Every member is thus
    a copy of its centre, and a chain of look-alikes does not become one group."""
    exact = _components(n, _hash_pairs(sha256))  # identical files act as one image
    groups = np.full(n, -1, np.int64)
    centre_of = np.full(n, -1, np.int64)
    if pairs is not None and len(pairs):
        nodes = np.unique(exact[pairs], axis=0)
        nodes = nodes[nodes[:, 0] != nodes[:, 1]]
        for centre, members in _stars(nodes):
            centre_of[members] = centre
    label = np.where(centre_of[exact] >= 0, centre_of[exact], exact)
    in_group = np.bincount(label, minlength=n)[label] > 1
    groups[in_group] = _number_by_first_row(label[in_group])
    return groups


def _components(n: int, edges: np.ndarray) -> np.ndarray:
    """Each row's component, named by its lowest row."""
    if n == 0:
        return np.empty(0, np.int64)
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    lowest = np.full(component.max() + 1, n, np.int64)
    np.minimum.at(lowest, component, np.arange(n))
    return lowest[component]


def _stars(edges: np.ndarray):
    """(centre, members including the centre) of greedy stars over an undirected edge list."""
    neighbours: dict[int, set[int]] = {}
    for a, b in edges.tolist():
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    heap = [(-len(near), node) for node, near in neighbours.items()]
    heapq.heapify(heap)
    taken: set[int] = set()
    while heap:
        degree, node = heapq.heappop(heap)
        if node in taken:
            continue
        free = neighbours[node] - taken
        if len(free) != -degree:  # stale: some neighbours were taken since it was pushed
            if free:
                heapq.heappush(heap, (-len(free), node))
            continue
        taken |= free | {node}
        yield node, np.fromiter(free | {node}, np.int64)


def find_duplicates(images: pd.DataFrame, embeddings: np.ndarray | None, root: str | Path,
                    threshold: float | None = None, index: SearchIndex | None = None,
                    progress: ProgressFactory | None = None) -> pd.DataFrame:
    """Exact and near duplicates among a workspace's images (rows aligned with ``embeddings``).

    Without embeddings (``imgorg duplicates FOLDER --fast``) the thumbnails alone find and
    score the candidates, at ``FAST_THRESHOLD``: no model runs, and recall drops on
    cropped copies (docs/benchmarks.md, "Without an embedding" and "Frames")."""
    default = DEFAULT_THRESHOLD if embeddings is not None else FAST_THRESHOLD
    threshold = default if threshold is None else threshold
    check_threshold(threshold, default)
    paths = images["path"].astype(str).to_numpy()
    thumbnails = image_thumbnails(root, paths, progress)
    pairs = [thumbnail_pairs(thumbnails, mirrored=embeddings is None, cropped=embeddings is None)]
    if embeddings is not None:
        pairs.append(candidate_pairs(embeddings, min(CANDIDATE_COSINE, threshold), index))
    pairs = np.unique(np.concatenate(pairs), axis=0)
    pairs = pairs[pair_scores(pairs, embeddings, thumbnails, floor=threshold) >= threshold]
    groups = duplicate_groups(len(images), images["sha256"].to_numpy(), pairs)
    return duplicates_frame(images, embeddings, groups, root, thumbnails)


def duplicates_frame(images: pd.DataFrame, embeddings: np.ndarray | None, groups: np.ndarray,
                     root: str | Path | None = None, thumbnails: Thumbnails | None = None) -> pd.DataFrame:
    """One row per image in a group, keep candidate first, with its similarity to the keeper:
    the pair score the threshold applies to when ``thumbnails`` are given, else the embedding cosine."""
    out = []
    for group in np.unique(groups[groups >= 0]):
        rows = np.flatnonzero(groups == group)
        members = images.iloc[rows]
        order = _keep_order(members, root)
        rows, members = rows[order], members.iloc[order]
        with_keeper = np.stack([np.full(len(rows), rows[0]), rows], axis=1)
        sims = (pair_scores(with_keeper, embeddings, thumbnails) if thumbnails is not None
                else pair_cosines(with_keeper, embeddings))
        sims[members["sha256"].to_numpy() == members["sha256"].iloc[0]] = 1.0  # the same file
        out.append(pd.DataFrame({
            "group": int(group), "id": members["id"].to_numpy(), "path": members["path"].to_numpy(),
            "kind": _kinds(members["sha256"].to_numpy()), "similarity": np.round(sims, 4),
            "keep": np.arange(len(rows)) == 0,
        }))
    if not out:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                             zip(COLUMNS, ("int64", "int64", "string", "string", "float32", "bool"))})
    return pd.concat(out, ignore_index=True).astype({"path": "string", "kind": "string"})


def _kinds(sha256: np.ndarray) -> np.ndarray:
    """Per member, keeper first: "exact" for the same file as the keeper, else "near"; the keeper
    is "exact" only in a group of identical files."""
    kinds = np.where(sha256 == sha256[0], "exact", "near").astype(object)
    kinds[0] = "exact" if (kinds == "exact").all() else "near"
    return kinds


def check_threshold(value: float, default: float) -> None:
    if not 0.0 < value <= 1.0:
        raise ConfigError(f"threshold ({value}) must be a similarity in (0, 1]; the default is {default}")


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
    """Real files before symbolic links (deleting the target would break the link), then most
    pixels (read from the file header only), then bytes, then lowest id."""
    pixels = np.array([_pixels(root, p) for p in members["path"]]) if root else np.zeros(len(members))
    links = np.array([source_path(root, p).is_symlink() for p in members["path"]]) if root else np.zeros(len(members))
    return np.lexsort((members["id"].to_numpy(), -members["bytes"].to_numpy(), -pixels, links))


def _pixels(root: str | Path, relpath: str) -> int:
    from PIL import Image

    try:
        with Image.open(source_path(root, relpath)) as image:
            return image.width * image.height
    except Exception:  # the file changed since the run: rank it by bytes alone
        return 0


def _signature(image, side: int) -> np.ndarray:
    """The image at side x side (box filter), mean removed, unit length."""
    from PIL import Image

    pixels = np.asarray(image.resize((side, side), resample=Image.BOX), np.float32).ravel()
    pixels -= pixels.mean()
    return pixels / (np.linalg.norm(pixels) + 1e-6)


def _centred_unit(pixels: np.ndarray) -> np.ndarray:
    """Each row (last axis) less its mean, at unit length, as ``_signature`` makes one image's
    (which keeps its own 1-D norm: the stored thumbnails stay bit for bit what they were)."""
    pixels -= pixels.mean(axis=-1, keepdims=True)
    return pixels / (np.linalg.norm(pixels, axis=-1, keepdims=True) + 1e-6)


def _crop(image, width: float, height: float, x: float, y: float):
    """The part of the image ``width`` x ``height`` (fractions of its sides) at relative position
    (x, y) (0.5: centred)."""
    if width == height == 1.0:
        return image
    image_width, image_height = image.size
    crop_width, crop_height = max(1, round(width * image_width)), max(1, round(height * image_height))
    left, top = round((image_width - crop_width) * x), round((image_height - crop_height) * y)
    return image.crop((left, top, left + crop_width, top + crop_height))
