"""Thumbnails of every image for the duplicate finder: small colour signatures, frame trimmed.

Each image gets an 8x8 search signature (to find candidates) and 16x16 signatures of a
few views (to score them): the whole image, 90% and 80% crops at the centre and at each
corner, and strips of 80% of the width or height at both ends and the centre, so that a
cropped copy, or one cut to another shape, lines up with one of its original's views.
Signatures have their mean removed (brightness does not matter) and unit length.

A frame (uniform lines of one colour at two opposite edges or all four: a passe-partout,
letterbox bars) is trimmed before the thumbnails are taken: otherwise a framed copy does
not line up with its original, and two different photos in the same frame look alike.
Framed images keep their thumbnails with the frame too (``Thumbnails.with_frames``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import progress as _progress
from ..errors import ImageDecodeError
from ..images import decode_image
from ..parallel import available_cores, chunked_map
from ..progress import ProgressFactory
from ..sources import source_path

log = logging.getLogger(__name__)

SEARCH_SIDE = 8  # thumbnails for finding candidates
DETAIL_SIDE = 16  # thumbnails for scoring them
View = tuple[float, float, float, float]  # (kept width, kept height, x, y) as fractions; 0.5 is centred
# The whole image first, then the crops it is compared with: 90% and 80% at the centre and at
# each corner, and strips of 80% of the width or height at both ends and the centre. Corners at
# 90% only found 28% of the copies cropped by 6-22% at a corner; without the strips a copy cut
# to another shape was found at 0.26 (docs/benchmarks.md, near-duplicates).
VIEWS: tuple[View, ...] = (
    (1.0, 1.0, 0.5, 0.5), (0.9, 0.9, 0.5, 0.5), (0.8, 0.8, 0.5, 0.5),
    (0.9, 0.9, 0, 0), (0.9, 0.9, 1, 0), (0.9, 0.9, 0, 1), (0.9, 0.9, 1, 1),
    (0.8, 0.8, 0, 0), (0.8, 0.8, 1, 0), (0.8, 0.8, 0, 1), (0.8, 0.8, 1, 1),
    (0.8, 1.0, 0, 0.5), (0.8, 1.0, 0.5, 0.5), (0.8, 1.0, 1, 0.5),
    (1.0, 0.8, 0.5, 0), (1.0, 0.8, 0.5, 0.5), (1.0, 0.8, 0.5, 1))
THUMBNAIL_CHUNK = 1024  # images per progress step
FRAME_TOLERANCE = 12  # grey levels: how far a frame line's pixels (95%) may be from its edge's colour
MAX_FRAME = 0.25  # of the side: at most this much is trimmed at each edge
FRAME_PROBE = 64  # px: frames are found on a copy at most this large
THUMBNAIL_DRAFT = 4 * DETAIL_SIDE  # px: the least side a decode for the thumbnails keeps


def corner_views(views: tuple[View, ...]) -> tuple[int, ...]:
    """Indices of the 80% corner crops among ``views``: ``--fast`` also searches with them, since a
    copy cropped at a corner is near one of them."""
    return tuple(i for i, (width, height, x, y) in enumerate(views)
                 if width == height == 0.8 and (x, y) != (0.5, 0.5))


@dataclass
class Thumbnails:
    """Normalised thumbnails of every image, frame trimmed: ``search`` (n, 192) for neighbours,
    ``views`` (n, len(layout), 768) float16 for scores, about 27 KB per image.
    An unreadable image is all zeros: it never verifies. ``framed`` marks the images
    whose frame was trimmed; ``framed_search`` and ``framed_views`` hold those images'
    thumbnails with their frame, in row order."""

    search: np.ndarray
    views: np.ndarray
    layout: tuple[View, ...] = VIEWS  # the view of each column of ``views``
    framed: np.ndarray | None = None
    framed_search: np.ndarray | None = None
    framed_views: np.ndarray | None = None
    measured: list | None = None  # per image, what ``image_thumbnails``'s ``measure`` said of it (None: not asked)

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


def image_thumbnails(root: str | Path, paths, progress: ProgressFactory | None = None,
                     workers: int | None = None, views: tuple[View, ...] = VIEWS,
                     measure: Callable | None = None, decode: Callable | None = None,
                     stored: Callable | None = None, keys=None) -> Thumbnails:
    """Thumbnails of every image in ``paths`` and of its ``views``, re-read from the files, at most
    ``THUMBNAIL_CHUNK`` images per task in ``workers`` processes (default: every core this process
    may use). ``measure(bytes, image)`` is asked of each image too (``Thumbnails.measured``), and
    ``decode(bytes, side)`` may give (the image ``measure`` wants, the thumbnails' ``decode_image(bytes,
    side)``) from one decode, or None: one decode then serves both. A path of None is not read (a file
    known to be gone: unreadable, and not warned of). ``stored(key)`` (``keys``: one per
    path, such as its sha256) may give an image's whole first read as ``first_read`` made it earlier
    ((signatures, those with the frame or None), what ``measure`` said), or None: that file is not read.

    Processes, not threads: for small images this is Python work that threads serialise
    on the GIL (2 threads on 2 cores took 15.2 s against 12.3 s for one, on 10,000 CIFAR
    images; docs/benchmarks.md has the process figures)."""
    n, layout = len(paths), tuple(views)
    search = np.zeros((n, 3 * SEARCH_SIDE**2), np.float32)
    views = np.zeros((n, len(layout), 3 * DETAIL_SIDE**2), np.float16)
    readable = np.zeros(n, bool)
    framed: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    measured: list = []
    advance = _progress.start(progress, "Reading thumbnails", n)
    workers = workers or available_cores()
    size = max(1, min(THUMBNAIL_CHUNK, -(-n // workers)))  # a few thousand images still use every core
    items = list(zip(paths, keys if stored is not None and keys is not None else [None] * n))
    results = chunked_map(functools.partial(_thumbnail_chunk, root, layout=layout, measure=measure, decode=decode,
                                            stored=stored), items, size, min(workers, -(-n // size)))
    for start, (chunk_search, chunk_views, chunk_readable, chunk_framed, chunk_measured) in zip(range(0, n, size), results):
        measured.extend(chunk_measured)
        rows = slice(start, start + len(chunk_readable))
        search[rows], views[rows], readable[rows] = chunk_search, chunk_views, chunk_readable
        framed.update({start + row: signatures for row, signatures in chunk_framed.items()})
        advance(len(chunk_readable))
    unread = int((~readable).sum()) - sum(path is None for path in paths)
    if unread:
        log.warning("%d files could not be read or decoded as images for their thumbnails; only exact copies "
                    "of them are found", unread)
    rows = sorted(framed)
    return Thumbnails(
        search, views, layout, framed=np.isin(np.arange(n), rows),
        framed_search=np.array([framed[row][0] for row in rows], np.float32).reshape(len(rows), search.shape[1]),
        framed_views=np.array([framed[row][1] for row in rows], np.float16).reshape(len(rows), *views.shape[1:]),
        measured=measured if measure else None)


def _thumbnail_chunk(root: str | Path, items: list[tuple[str, object]], layout: tuple[View, ...],
                     measure: Callable | None = None, decode: Callable | None = None,
                     stored: Callable | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict, list]:
    """(search signatures, views' signatures, readable, {row: signatures with the frame}, what
    ``measure(bytes, decoded image)`` says of each, None where unreadable) of a few (path, key)
    images; zeros where unreadable. One read and one decode (``decode``'s, else the thumbnails' own)
    serve the review's quality scores too: a 12-MP JPEG decoded for its thumbnails (39 ms) and again
    for its quality scores cost 100 ms where one decode costs 63. None where ``stored(key)`` gives
    the image's first read."""
    measured = [None] * len(items) if measure else []
    search = np.zeros((len(items), 3 * SEARCH_SIDE**2), np.float32)
    views = np.zeros((len(items), len(layout), 3 * DETAIL_SIDE**2), np.float16)
    readable = np.zeros(len(items), bool)
    framed = {}
    for row, (relpath, key) in enumerate(items):
        if relpath is None:  # known to be gone
            continue
        found = stored(key) if stored is not None and key is not None else None
        if found is not None:
            (signatures, as_is), said = found
        else:
            try:
                data = source_path(root, relpath).read_bytes()
                shared = decode(data, THUMBNAIL_DRAFT) if decode else None
                image = decode_image(data, draft_size=THUMBNAIL_DRAFT) if shared is None else shared[1]
            except (OSError, ImageDecodeError):
                continue
            said = _measured(measure, data, image if shared is None else shared[0], relpath) if measure else None
            signatures, as_is = first_read_signatures(image, layout)
        if measure:
            measured[row] = said
        if as_is is not None:
            framed[row] = as_is
        (search[row], views[row]), readable[row] = signatures, True
    return search, views, readable, framed, measured


def _measured(measure: Callable, data: bytes, decoded, relpath: str):
    try:
        return measure(data, decoded)
    except (OSError, ImageDecodeError, ValueError) as err:
        log.debug("%s: %s", relpath, err)
        return None


def first_read_signatures(image, layout: tuple[View, ...] = VIEWS) -> tuple[tuple[np.ndarray, np.ndarray],
                                                                               tuple[np.ndarray, np.ndarray] | None]:
    """(the (search, views) signatures of ``image`` with its frame trimmed, those of the image as it
    is where a frame was trimmed, else None)."""
    signatures = as_is = _signatures(image, layout)
    content = _trim_frame(image)
    if content is image:
        return signatures, None
    signatures = _signatures(content, layout)
    if signatures[0].any():
        return signatures, as_is
    return as_is, None  # the frame held all there is (a square on black): keep it


def _signatures(image, layout: tuple[View, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(search signature, the views' signatures) of one image: bit for bit ``_signature`` of the
    whole image and of each ``_crop``, computed together from the image's pixels.

    Pillow's box resize is two passes, each a fixed-point mean of a run of pixels rounded to
    8 bits (``_pixel_runs``); here each pass is a difference of cumulative sums for all the
    views that share a pass order. Pillow's 18 crops and resizes per image, with their array
    conversions, were 80% of the thumbnails' time on CIFAR."""
    pixels = np.asarray(image)
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:  # decode_image gives RGB
        return _pillow_signatures(image, layout)
    height, width = pixels.shape[:2]
    resized = [None] * (1 + len(layout))
    for rows, side, vertical_first, across, down in _resize_plan(width, height, tuple(layout)):
        if vertical_first is None:  # neither order is Pillow's (never seen): Pillow itself
            for row in rows:
                resized[row] = _pillow_resized(image, ((1.0, 1.0, 0.5, 0.5), *layout)[row], side)
            continue
        for row, one in zip(rows, _two_passes(pixels, across, down, vertical_first)):
            resized[row] = one.ravel()
    return _unit_rows(np.stack(resized[:1]))[0], _unit_rows(np.stack(resized[1:]))


def _two_passes(pixels: np.ndarray, across: np.ndarray, down: np.ndarray, vertical_first: bool) -> np.ndarray:
    """(views, side, side, 3) box resizes of ``pixels`` (h, w, 3) uint8, in Pillow's pass order.
    ``across``/``down``: (3, views, side) first pixel, end and fixed-point weight of each output's run."""
    (x_lo, x_hi, x_k), (y_lo, y_hi, y_k) = across, down
    if vertical_first:
        sums = _cumulative(pixels, axis=0)  # (h + 1, w, 3)
        columns = _fixed_point((sums[y_hi] - sums[y_lo]) * y_k[..., None, None])  # (views, side, w, 3)
        sums = _cumulative(columns, axis=2)
        x_lo, x_hi = x_lo[:, None, :, None], x_hi[:, None, :, None]
        return _fixed_point((np.take_along_axis(sums, x_hi, 2) - np.take_along_axis(sums, x_lo, 2))
                            * x_k[:, None, :, None])
    # horizontal first: each colour plane's rows, cumulated, then each view's rows down
    views, side = x_lo.shape
    height, width = pixels.shape[:2]
    sums = np.zeros((height * 3, width + 1), np.int64)
    np.cumsum(pixels.transpose(0, 2, 1).reshape(height * 3, width), axis=1, out=sums[:, 1:])
    rows = _fixed_point((sums.take(x_hi.ravel(), axis=1) - sums.take(x_lo.ravel(), axis=1)) * x_k.ravel())
    sums = np.zeros((height + 1, 3, views, side), np.int64)
    np.cumsum(rows.reshape(height, 3, views, side), axis=0, out=sums[1:])
    sums = sums.transpose(2, 0, 1, 3).reshape(views * (height + 1), 3 * side)  # one block of rows per view
    first = (np.arange(views) * (height + 1))[:, None]
    out = (sums.take((y_hi + first).ravel(), axis=0) - sums.take((y_lo + first).ravel(), axis=0)) * y_k.reshape(-1, 1)
    return _fixed_point(out).reshape(views, side, 3, side).transpose(0, 1, 3, 2)


def _cumulative(values: np.ndarray, axis: int) -> np.ndarray:
    """Cumulative sums along ``axis`` (int64), a zero first: sums[b] - sums[a] adds values a..b-1."""
    shape = list(values.shape)
    shape[axis] = 1
    return np.concatenate([np.zeros(shape, np.int64), np.cumsum(values, axis=axis, dtype=np.int64)], axis=axis)


def _fixed_point(sums: np.ndarray) -> np.ndarray:
    """Pillow's 8-bit result of weighted sums (weights scaled by 2**22): rounded, at most 255."""
    return np.minimum((sums + (1 << (_PRECISION_BITS - 1))) >> _PRECISION_BITS, 255)


def _unit_rows(pixels: np.ndarray) -> np.ndarray:
    """``_signature``'s normalisation of each row, bit for bit: float32, mean removed, divided by
    its norm (a dot product per row, as ``np.linalg.norm`` of one row computes it)."""
    pixels = pixels.astype(np.float32)
    pixels -= pixels.mean(axis=1, keepdims=True)
    norms = np.sqrt(np.matmul(pixels[:, None, :], pixels[:, :, None])[:, 0, 0])
    return pixels / (norms + np.float32(1e-6))[:, None]


def _pillow_signatures(image, layout: tuple[View, ...]) -> tuple[np.ndarray, np.ndarray]:
    return _signature(image, SEARCH_SIDE), np.stack([_signature(_crop(image, *view), DETAIL_SIDE) for view in layout])


def _pillow_resized(image, view: View, side: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(_crop(image, *view).resize((side, side), resample=Image.BOX)).ravel()


_PRECISION_BITS = 22  # Pillow's Resample.c: 32 - 8 - 2


@functools.lru_cache(maxsize=256)
def _resize_plan(width: int, height: int, layout: tuple[View, ...]) -> list[tuple]:
    """How ``_signatures`` resizes an image of ``width`` x ``height``: groups of (rows: 0 the search
    thumbnail, 1.. the views; side; vertical pass first, or None: Pillow's own resize; runs
    across; runs down (``_two_passes``)).

    Pillow runs its two passes in an order it picks from the sizes (often vertical first where
    the image is about twice as tall as wide; the rule is not documented), and each pass rounds.
    The order is read off Pillow itself, once per image size: both are tried on noise."""
    from PIL import Image

    specs = [((1.0, 1.0, 0.5, 0.5), SEARCH_SIDE)] + [(view, DETAIL_SIDE) for view in layout]
    noise = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    noise_image = Image.fromarray(noise)
    groups: dict[tuple, list] = {}
    for row, (view, side) in enumerate(specs):
        left, top, crop_width, crop_height = _crop_box(width, height, *view)
        across = _pixel_runs(width, left, crop_width, side)
        down = _pixel_runs(height, top, crop_height, side)
        order = None
        if across is not None and down is not None:
            truth = _pillow_resized(noise_image, view, side).reshape(1, side, side, 3)
            order = next((first for first in (False, True) if np.array_equal(
                _two_passes(noise, across[:, None], down[:, None], first), truth)), None)
        groups.setdefault((side, order), []).append((row, across, down))
    return [(tuple(row for row, _, _ in members), side, order,
             None if order is None else np.stack([a for _, a, _ in members], axis=1),
             None if order is None else np.stack([d for _, _, d in members], axis=1))
            for (side, order), members in groups.items()]


@functools.lru_cache(maxsize=4096)  # the views of images of nearby sizes share most of their runs
def _pixel_runs(size: int, start: int, length: int, out: int) -> np.ndarray | None:
    """(3, out) int64: first pixel, end and fixed-point weight of the run each output of a box
    resize averages (``_resize_weights``: a box's weights are one value on a run), or None if not runs.
    Whole-array checks: a plan is made for every image size a worker meets (CIFAR's trimmed frames
    give dozens), and a loop over the outputs took most of that time."""
    weights = _resize_weights(size, start, length, out)
    taken = weights != 0
    count = taken.sum(axis=1)
    first = taken.argmax(axis=1)
    last = size - 1 - taken[:, ::-1].argmax(axis=1)
    value = weights[np.arange(out), first]
    contiguous = (count == 0) | (last - first + 1 == count)
    equal = np.where(taken, weights == value[:, None], True).all(axis=1)
    if not (contiguous & equal).all():
        return None
    used = count > 0
    runs = np.stack([np.where(used, first, 0), np.where(used, last + 1, 0), np.where(used, value, 0)]).astype(np.int64)
    runs.flags.writeable = False  # cached: shared by every plan that asks for it
    return runs


def _resize_weights(size: int, start: int, length: int, out: int) -> np.ndarray:
    """(out, size) weights of Pillow's BOX filter resizing pixels start..start+length to ``out``
    (``precompute_coeffs`` and ``normalize_coeffs_8bpc`` in Pillow's Resample.c, same arithmetic).
    A pass that changes nothing has weight 2**22 on one pixel: it gives each pixel back as it is."""
    weights = np.zeros((out, size))
    scale = length / out
    filterscale = max(scale, 1.0)
    support, reciprocal = 0.5 * filterscale, 1.0 / filterscale
    for xx in range(out):
        centre = (xx + 0.5) * scale
        lo = max(int(centre - support + 0.5), 0)
        hi = min(int(centre + support + 0.5), length)
        box = [1.0 if -0.5 < (x + lo - centre + 0.5) * reciprocal <= 0.5 else 0.0 for x in range(hi - lo)]
        total = sum(box)
        for x, w in enumerate(box):
            weights[xx, start + lo + x] = int(0.5 + (w / total if total else w) * (1 << _PRECISION_BITS))
    return weights


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


def _signature(image, side: int) -> np.ndarray:
    """The image at side x side (box filter), mean removed, unit length."""
    from PIL import Image

    pixels = np.asarray(image.resize((side, side), resample=Image.BOX), np.float32).ravel()
    pixels -= pixels.mean()
    return pixels / (np.linalg.norm(pixels) + 1e-6)


def centred_unit(pixels: np.ndarray) -> np.ndarray:
    """Each row (last axis) less its mean, at unit length, as ``_signature`` makes one image's
    (which keeps its own 1-D norm: the stored thumbnails stay bit for bit what they were)."""
    pixels -= pixels.mean(axis=-1, keepdims=True)
    return pixels / (np.linalg.norm(pixels, axis=-1, keepdims=True) + 1e-6)


def _crop(image, width: float, height: float, x: float, y: float):
    """The part of the image ``width`` x ``height`` (fractions of its sides) at relative position
    (x, y) (0.5: centred)."""
    if width == height == 1.0:
        return image
    left, top, crop_width, crop_height = _crop_box(*image.size, width, height, x, y)
    return image.crop((left, top, left + crop_width, top + crop_height))


def _crop_box(image_width: int, image_height: int, width: float, height: float, x: float,
              y: float) -> tuple[int, int, int, int]:
    """(left, top, width, height) in pixels of ``_crop``'s part of an image of this size."""
    crop_width, crop_height = max(1, round(width * image_width)), max(1, round(height * image_height))
    return (round((image_width - crop_width) * x), round((image_height - crop_height) * y),
            crop_width, crop_height)


def search_signatures(views: np.ndarray) -> np.ndarray:
    """Search signatures (8x8) of views' signatures (16x16: DETAIL_SIDE is twice SEARCH_SIDE):
    2x2 means, mean removed, unit length."""
    pixels = views.astype(np.float32).reshape(len(views), SEARCH_SIDE, 2, SEARCH_SIDE, 2, 3).mean(axis=(2, 4))
    return centred_unit(pixels.reshape(len(views), -1))


def mirror_signatures(signatures: np.ndarray, side: int) -> np.ndarray:
    """Left-right mirror of flattened side x side x 3 signatures (any leading axes).

    The mirror of b's top-left crop is a top-right crop of b's mirror: comparing a with
    the mirrored views of b aligns a flipped and cropped copy as well."""
    shape = signatures.shape
    return signatures.reshape(*shape[:-1], side, side, 3)[..., ::-1, :].reshape(shape)
