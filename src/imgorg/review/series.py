"""Copies kept apart from similar shots, and similar shots grouped into series with a best shot.

The duplicate finder's candidates (``duplicates.scored_candidates``) include two exposures
taken moments apart: their thumbnails and embeddings are as close as a copy's. What tells
them apart is what is left once one image is aligned onto the other (``align_pair``):

- an affine fit (ECC, OpenCV's ``findTransformECC``, also against the mirror) of the two
  grayscale images at ``WORK_SIDE`` px (``TINY_SIDE`` for images under ``MIN_SIDE``), from a
  few starting scales, then a per-channel linear tone fit (brightness, contrast, colour);
- ``misfit``: the residual smoothed over a few pixels (compression and resampling noise
  average out, a moved subject does not), relative to the image's contrast, plus what the
  fit needed beyond a shift and a scale (a rotation, a shear: a copy is not turned by a few
  degrees, another viewpoint is);
- ``contained``: whether one image, mapped into the other, lies inside it. A copy in a photo
  collection is the picture or a crop of it; a re-framed second shot brings new content in
  at an edge. Images under ``MIN_SIDE`` px (CIFAR's 32 px) are exempt: a small dataset's
  images are often cut independently from one bigger photo (hand-judged copies in CIFAR-10).

A pair is a ``copy`` when its misfit is at most ``COPY_MISFIT`` (``TINY_COPY_MISFIT`` for
tiny images) and it is contained; else ``similar`` when its duplicate score is at least
``SIMILAR_SCORE``. Pairs the keypoint check found to be crops stay copies (heavy crops are
too far apart for the ECC fit). The thresholds were chosen on the development halves of
``benchmarks/data/cifar_pairs_judged.csv`` and ``tests/series_corpus.py``
(``benchmarks/similar_shots.py``, docs/review.md).

``series_table``: copies grouped as stars (``duplicates.grouping``), then similar pairs
between the images kept of each, grouped as stars too, so that a long burst does not chain
into one series of unrelated ends. Each series gets a best shot (``_best_order``): the sharpest,
then the best exposed, then the one with most pixels, then the earliest taken, then the first
found; the reason in words, which names the rule that decided.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import progress as _progress
from ..duplicates import (
    DEFAULT_THRESHOLD,
    FAST_THRESHOLD,
    Thumbnails,
    duplicate_groups,
    scored_candidates,
)
from ..duplicates.keypoints import MIN_SIDE
from ..errors import ConfigError, ImageDecodeError
from ..fileio import array_or_npy
from ..images import decode_image
from ..index import SearchIndex
from ..parallel import available_cores
from ..progress import ProgressFactory
from ..sources import source_path
from .quality import work_decode

log = logging.getLogger(__name__)

WORK_SIDE = 256  # px: longer side the pairs of photos are aligned and compared at
TINY_SIDE = 64  # px: the same for images under MIN_SIDE (32 px CIFAR images enlarged twice)
SMOOTH = 2.0  # px at the working size: residuals are averaged this widely (Gaussian sigma)
GOOD_FIT = 0.98  # ECC correlation at which the first fit found is kept (most copies: 1 fit, not 8)
COARSE = 0.25  # of the working size: where the starts of a pair that is no plain copy are compared
COARSE_MIN = 128  # px: images with a shorter side under this try every start at full size
START_SCALES = (1.0, 0.9, 1.1)  # starting scales of the alignment (b's frame against a's), and a shift
SHEAR_WEIGHT = 0.38  # misfit per unit of log(anisotropy) of the fitted transform
ROTATION_WEIGHT = 0.011  # misfit per degree of rotation (at most MAX_ROTATION counted)
MAX_ROTATION = 20.0
COPY_MISFIT = 0.15  # photos: a copy's misfit at most this (a brighter copy whose highlights clip: 0.14)
TINY_COPY_MISFIT = 0.32  # images under MIN_SIDE px (95% of the hand-judged CIFAR copies of the dev half)
CONTAINED = 0.985  # one image covers at least this share of the other: it holds it (a 2% move is a new frame)
SIMILAR_SCORE = 0.70  # duplicate score (embedding + thumbnails) from which a pair is a similar shot
# A similar shot aligns with the other: misfit at most this. Second shots of the series corpus: 53 of 56
# pairs (0.31, 0.32, 0.46 above); different people's portraits (150 px enlarged to 12 MP, a face in the
# middle) that the copy search grouped: 0.32-0.58, 18 of 18 above.
SIMILAR_MISFIT = 0.30
SHARPNESS_TIE = 0.10  # shots within 10% of the sharpest are equally sharp: exposure decides
EXPOSURE_TIE = 0.02  # clipped share within 2 points: pixels decide
COLUMNS = ["group", "id", "path", "kind", "similarity", "best", "reason"]


@dataclass
class Alignment:
    """What is left of a pair (a, b) once b is aligned onto a (see the module docstring)."""

    correlation: float  # ECC's correlation of the aligned grayscale images
    residual: float  # smoothed residual RMS after the tone fit, relative to a's contrast
    anisotropy: float  # ratio of the fitted transform's singular values (1: no shear or stretch)
    rotation: float  # degrees
    scale: float  # b's frame against a's (at the working sizes)
    covered: float  # share of a that b covers, and of b that a covers, the larger
    mirrored: bool

    @property
    def misfit(self) -> float:
        return (self.residual + SHEAR_WEIGHT * np.log(self.anisotropy)
                + ROTATION_WEIGHT * min(self.rotation, MAX_ROTATION))

    @property
    def contained(self) -> bool:
        return self.covered >= CONTAINED


FAILED = Alignment(0.0, 1.0, 1.0, MAX_ROTATION, 1.0, 0.0, False)


def working_pixels(image, side: int) -> np.ndarray:
    """RGB float32 in [0, 1], longer side ``side`` (box filter)."""
    return _as_float(working_bytes(image, side))


def working_bytes(image, side: int) -> np.ndarray:
    """``working_pixels`` as 8-bit RGB: a quarter of the memory, for pixels kept until the check."""
    from PIL import Image

    scale = side / max(image.size)
    size = (max(8, round(image.width * scale)), max(8, round(image.height * scale)))
    return np.asarray(image.convert("RGB").resize(size, resample=Image.BOX))


def _as_float(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.float32) / 255


def align_pair(a: np.ndarray, b: np.ndarray) -> Alignment:
    """Align ``b`` onto ``a`` (working pixels of both, as ``working_pixels`` makes them)."""
    import cv2

    found = _best_fit(_gray(a), _gray(b))
    if found is None:
        return FAILED
    correlation, warp, mirrored = found
    b = b[:, ::-1] if mirrored else b
    height, width = a.shape[:2]
    warped = cv2.warpAffine(np.ascontiguousarray(b), warp, (width, height),
                            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    inside = cv2.warpAffine(np.ones(b.shape[:2], np.float32), warp, (width, height),
                            flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP) > 0.5
    inside = cv2.erode(inside.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    if inside.mean() < 0.2:
        return FAILED
    residual = _tone_residual(a, warped, inside)
    singular = np.linalg.svd(warp[:, :2], compute_uv=False)
    rotation = abs(np.degrees(np.arctan2(warp[1, 0] - warp[0, 1], warp[0, 0] + warp[1, 1])))
    covers_b = _covered(warp, a.shape[:2], b.shape[:2])
    return Alignment(float(correlation), residual, float(singular[0] / max(singular[1], 1e-6)), float(rotation),
                     float(np.sqrt(abs(np.linalg.det(warp[:, :2])))), float(max(inside.mean(), covers_b)), mirrored)


def _gray(pixels: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(pixels @ np.array([0.299, 0.587, 0.114], np.float32))


def _best_fit(a: np.ndarray, b: np.ndarray):
    """(correlation, 2x3 warp from a's pixels to b's, mirrored) of the best ECC affine fit, or None.

    The first start (b as it is, at a's scale) is fitted at full size: a copy lines up from it
    (``GOOD_FIT``) in one fit. Otherwise the eight starts (three scales and a phase-correlation
    shift, each also mirrored) are fitted at ``COARSE`` of the size, a sixteenth of the pixels, and
    only the best of them is refined at full size: a second shot costs about two full fits, not eight."""
    first = _fit(a, b, _start(_ratio(a, b) * START_SCALES[0], a.shape, b.shape))
    if first is not None and first[0] >= GOOD_FIT:
        return (*first, False)
    if min(a.shape) < COARSE_MIN:
        return _fine_search(a, b, first)
    small_a, small_b = _scaled(a, COARSE), _scaled(b, COARSE)
    best = None
    for mirrored in (False, True):
        target = np.ascontiguousarray(small_b[:, ::-1]) if mirrored else small_b
        for start in _starts(small_a, target):
            found = _fit(small_a, target, start)
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], found[1], mirrored)
    refined = None
    if best is not None:
        warp = best[1].copy()
        warp[:, 2] /= COARSE
        target = np.ascontiguousarray(b[:, ::-1]) if best[2] else b
        found = _fit(a, target, warp)
        refined = None if found is None else (*found, best[2])
    candidates = [c for c in (None if first is None else (*first, False), refined) if c is not None]
    return max(candidates, key=lambda c: c[0]) if candidates else None


def _fine_search(a: np.ndarray, b: np.ndarray, first):
    """Every start at full size (images too small to fit at ``COARSE``), the first one's fit given."""
    best = (*first, False) if first is not None else None
    for mirrored in (False, True):
        target = np.ascontiguousarray(b[:, ::-1]) if mirrored else b
        for k, start in enumerate(_starts(a, target)):
            if k == 0 and not mirrored:
                continue  # fitted already
            found = _fit(a, target, start)
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], found[1], mirrored)
            if best is not None and best[0] >= GOOD_FIT:
                return best
    return best


def _starts(a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    ratio = _ratio(a, b)
    return [_start(ratio * scale, a.shape, b.shape) for scale in START_SCALES] + [_shifted_start(a, b, ratio)]


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array([b.shape[1] / a.shape[1], b.shape[0] / a.shape[0]], np.float32)


def _fit(a: np.ndarray, b: np.ndarray, start: np.ndarray):
    """(correlation, warp) of ECC's affine fit of b onto a from ``start``, or None where it does not converge."""
    import cv2

    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-5)
    try:
        return cv2.findTransformECC(a, b, start, cv2.MOTION_AFFINE, criteria, None, 3)
    except cv2.error:  # no convergence (a flat image, a fit that left the frame)
        return None


def _scaled(gray: np.ndarray, factor: float) -> np.ndarray:
    import cv2

    size = (max(8, round(gray.shape[1] * factor)), max(8, round(gray.shape[0] * factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _start(scale: np.ndarray, a_shape, b_shape) -> np.ndarray:
    """a's frame scaled by ``scale`` (x, y), centred in b's."""
    return np.array([[scale[0], 0, (b_shape[1] - scale[0] * a_shape[1]) / 2],
                     [0, scale[1], (b_shape[0] - scale[1] * a_shape[0]) / 2]], np.float32)


def _shifted_start(a: np.ndarray, b: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """The shift phase correlation finds between a and b (b resized to a's frame): a frame moved by
    10% or more is too far for ECC to find from the centred starts."""
    import cv2

    resized = cv2.resize(b, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_AREA)
    window = cv2.createHanningWindow((a.shape[1], a.shape[0]), cv2.CV_32F)
    (dx, dy), _ = cv2.phaseCorrelate(a.astype(np.float32), resized.astype(np.float32), window)
    return np.array([[ratio[0], 0, ratio[0] * dx], [0, ratio[1], ratio[1] * dy]], np.float32)


def _tone_residual(a: np.ndarray, warped: np.ndarray, inside: np.ndarray) -> float:
    """RMS of the residual after a per-channel linear tone fit, smoothed by ``SMOOTH`` px, over a's contrast."""
    import cv2

    target, source = a[inside], warped[inside]
    residual = np.zeros_like(a)
    for channel in range(3):
        design = np.stack([source[:, channel], np.ones(len(source), np.float32)], axis=1)
        coef, *_ = np.linalg.lstsq(design, target[:, channel], rcond=None)
        residual[..., channel][inside] = target[:, channel] - design @ coef
    weight = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), SMOOTH)
    smooth = cv2.GaussianBlur(residual, (0, 0), SMOOTH) / (weight[..., None] + 1e-6)
    core = inside & (weight > 0.5)
    if not core.any():
        return 1.0
    return float(np.sqrt((smooth[core] ** 2).mean()) / (target.std() + 1e-3))


def _covered(warp: np.ndarray, a_shape: tuple[int, int], b_shape: tuple[int, int]) -> float:
    """Share of b's frame that a's frame, mapped by ``warp``, covers (corners' polygon, clipped)."""
    import cv2

    height, width = a_shape
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    mapped = corners @ warp[:, :2].T + warp[:, 2]
    frame = np.array([[0, 0], [b_shape[1], 0], [b_shape[1], b_shape[0]], [0, b_shape[0]]], np.float32)
    area, _ = cv2.intersectConvexConvex(mapped, frame)
    return float(area / (b_shape[0] * b_shape[1]))


def pair_kind(alignment: Alignment, tiny: bool, score: float = 1.0) -> str:
    """"copy", "similar" or "" (neither) for an aligned pair with its duplicate ``score``."""
    if alignment.misfit <= (TINY_COPY_MISFIT if tiny else COPY_MISFIT) and (tiny or alignment.contained):
        return "copy"
    return "similar" if score >= SIMILAR_SCORE and (tiny or alignment.misfit <= SIMILAR_MISFIT) else ""


def classify_pairs(images: pd.DataFrame, root: str | Path, pairs: np.ndarray, scores: np.ndarray | None = None,
                   progress: ProgressFactory | None = None, kept: dict[int, np.ndarray] | None = None) -> pd.DataFrame:
    """One row per pair of ``images`` rows: a, b, score, kind ("copy", "similar", ""), misfit,
    covered, tiny. Each image is decoded once, at the working size, unless its pixels were ``kept``
    (``kept.measure_keeping``: {row: 8-bit working pixels}); an unreadable one gives ""."""
    kept = kept or {}
    _one_thread()
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    scores = np.ones(len(pairs), np.float32) if scores is None else np.asarray(scores, np.float32)
    paths = images["path"].astype(str).to_numpy()
    advance = _progress.start(progress, "Telling copies from similar shots", len(pairs), unit="pair")
    pixels: dict[int, np.ndarray | None] = {}
    rows = []
    for (a, b), score in zip(pairs.tolist(), scores.tolist()):
        for row in (a, b):
            if row not in pixels:
                pixels[row] = _load(root, paths[row], kept.get(row))
        if pixels[a] is None or pixels[b] is None:
            rows.append((a, b, score, "", np.nan, np.nan, False))
            continue
        tiny = max(pixels[a].shape[:2]) <= TINY_SIDE and max(pixels[b].shape[:2]) <= TINY_SIDE
        alignment = align_pair(*_same_side(pixels[a], pixels[b]))
        rows.append((a, b, score, pair_kind(alignment, tiny, score), alignment.misfit, alignment.covered, tiny))
        advance(1)
    return pd.DataFrame(rows, columns=["a", "b", "score", "kind", "misfit", "covered", "tiny"]).astype(
        {"a": "int64", "b": "int64", "score": "float32", "kind": "string", "misfit": "float32",
         "covered": "float32", "tiny": "bool"})


def _one_thread() -> None:
    """OpenCV on one thread in this process: the duplicate finder's forked workers hang in OpenCV
    (a futex) once the parent has started OpenCV's thread pool (seen running duplicate_table after
    classify_pairs in one process); the pairs are small, so threads bought little."""
    import cv2

    cv2.setNumThreads(1)


def _load(root, relpath: str, kept: np.ndarray | None = None) -> np.ndarray | None:
    """Working pixels of one image: ``TINY_SIDE`` px for images under ``MIN_SIDE``, else ``WORK_SIDE``,
    from the decode the quality scores measure (``quality.work_decode``), or from ``kept``, the
    same pixels as ``kept.measure_keeping`` makes them (an array, or the .npy file ``kept.spill_keeping`` wrote)."""
    if kept is not None:
        return _as_float(array_or_npy(kept))
    try:
        image = work_decode(source_path(root, relpath).read_bytes())
    except (OSError, ImageDecodeError, ValueError):
        return None
    return working_pixels(image, TINY_SIDE if min(image.size) < MIN_SIDE else WORK_SIDE)


def _same_side(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A tiny image beside a photo: the photo at the tiny image's working size, so both compare alike."""
    import cv2

    side = min(max(a.shape[:2]), max(b.shape[:2]))
    out = []
    for pixels in (a, b):
        if max(pixels.shape[:2]) > side:
            scale = side / max(pixels.shape[:2])
            size = (max(8, round(pixels.shape[1] * scale)), max(8, round(pixels.shape[0] * scale)))
            pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
        out.append(pixels)
    return out[0], out[1]


def series_table(images: pd.DataFrame, embeddings: np.ndarray | None, root: str | Path,
                 threshold: float | None = None, index: SearchIndex | None = None,
                 progress: ProgressFactory | None = None, crops: np.ndarray | None = None,
                 similar_score: float = SIMILAR_SCORE, kept: dict[int, np.ndarray] | None = None,
                 judge: Callable[[int, int, str], str | None] | None = None,
                 thumbnails: Thumbnails | None = None) -> pd.DataFrame:
    """Copies and series of similar shots among a workspace's images (rows aligned with ``embeddings``).

    The duplicate finder's candidates scoring at least ``similar_score`` are aligned
    (``classify_pairs``); ``threshold`` (default: the duplicate finder's) is not needed for a
    copy, which is told by its alignment, but a pair at or above it that does not align is a
    similar shot whatever ``similar_score`` says. ``crops``: (crop row, whole row) pairs the
    keypoint check found (``duplicate_table``'s kind "crop"): copies without alignment. ``kept``:
    working pixels already read (``classify_pairs``); ``judge``: as for ``checked_copy_groups``;
    ``thumbnails``: the images' ``image_thumbnails`` if already read (the review's first read: else each
    image is read again for them). Returns ``COLUMNS``: one row per image in a
    copy group (kind "copy", ``best``: the one to keep) or a series (kind "similar", ``best``: the
    suggested shot), ``reason`` in words."""
    default = DEFAULT_THRESHOLD if embeddings is not None else FAST_THRESHOLD
    threshold = default if threshold is None else threshold
    if not 0.0 < similar_score <= threshold:
        raise ConfigError(f"similar_score ({similar_score}) must be in (0, threshold ({threshold})]; "
                          f"the default is {SIMILAR_SCORE}")
    pairs, scores, *_ = scored_candidates(images, embeddings, root, similar_score, index, progress,
                                          thumbnails=thumbnails)
    keep = scores >= similar_score
    checked = _judged(classify_pairs(images, root, pairs[keep], scores[keep], progress, kept), judge)
    copies = checked.loc[checked["kind"] == "copy", ["a", "b"]].to_numpy()
    if crops is not None and len(crops):
        copies = np.concatenate([copies, np.sort(np.asarray(crops, np.int64).reshape(-1, 2), axis=1)])
    similar = checked[checked["kind"] == "similar"]
    log.info("%d candidate pairs aligned: %d copies, %d similar shots", len(checked), len(copies), len(similar))
    return _table(images, root, copies, similar, checked)


def checked_copy_groups(images: pd.DataFrame, root: str | Path, groups: pd.DataFrame,
                        progress: ProgressFactory | None = None,
                        kept: dict[int, np.ndarray] | None = None,
                        judge: Callable[[int, int, str], str | None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The copy search's groups (``duplicate_table``'s frame) with the pairs of photos in each aligned:
    (the copy groups that hold, ``series_table``'s rows of the series the rest form).

    The review's default: ``series_table`` aligns every candidate from ``SIMILAR_SCORE`` (about 10x
    the copy search's time), this only the pairs within the copy search's groups, which is where a
    burst shot passes for a copy. A group falls apart into the parts whose pairs align as copies; a
    part of two or more stays a copy group (keeping the copy the group kept, or its next in the
    group's order), and the parts of one group form a series of similar shots. Pairs of tiny images
    (under ``MIN_SIDE`` px, CIFAR's 32 px: there the residuals of copies and look-alikes overlap,
    docs/review.md), of identical files and of crops the keypoints confirmed stay copies. ``kept``:
    working pixels already read (``classify_pairs``). ``judge(a, b, kind)``: what a pair the alignment
    called ``kind`` is instead, or None (``review.copies.judge_pair``: two photos that align as copies
    but differ in fine detail are shots of a burst, "similar"; two pages or screens are copies or
    nothing, never a series)."""
    if groups.empty:
        return groups, _no_series()
    row_of = pd.Series(np.arange(len(images)), index=images["id"].to_numpy())
    rows = row_of.loc[groups["id"].to_numpy()].to_numpy()
    checkable = photo_sized(images)[rows] & (groups["kind"].to_numpy() != "crop")
    sha = images["sha256"].to_numpy() if "sha256" in images else np.arange(len(images)).astype(object)
    checked, unchecked, plans = [], [], []
    for members in groups.groupby("group", sort=False).indices.values():
        rows_of = rows[members]
        twin = pd.Series(sha[rows_of]).duplicated().to_numpy()  # an identical file: a copy of its first twin
        first_twin = {sha[r]: int(r) for r in rows_of[::-1]}
        unchecked += [(first_twin[sha[r]], int(r)) for r in rows_of[twin]]
        plans.append((members, rows_of, twin, checkable[members] & ~twin))
    # groups in threads: decoding and OpenCV's fits release the GIL (processes forked after OpenCV has
    # run in this one can hang), and a group's images are decoded by the thread that aligns them
    advance = _progress.start(progress, "Checking the copies of photos", len(plans), unit="group")
    all_stars = []
    with ThreadPoolExecutor(max_workers=available_cores()) as pool:
        for stars in pool.map(lambda plan: _star_copies(images, root, plan[1][plan[3]], kept or {}), plans):
            all_stars.append(stars)
            advance(1)
    for (members, rows_of, twin, aligned), stars in zip(plans, all_stars):
        checked += stars
        # crops the keypoints confirmed, tiny images: the largest part's (the copies', not a burst shot's)
        others = rows_of[~checkable[members] & ~twin]
        if len(others):
            anchor = _largest_part(rows_of[aligned], stars) if aligned.any() else int(others[0])
            unchecked += [(anchor, int(r)) for r in others if int(r) != anchor]
    checked = pd.DataFrame(checked, columns=["a", "b", "kind"]) if checked else \
        pd.DataFrame({"a": pd.Series(dtype="int64"), "b": pd.Series(dtype="int64"), "kind": pd.Series(dtype="string")})
    if checked.empty:
        return groups, _no_series()
    checked = _judged(checked, judge)
    # a pair's score: the lower of its two images' copy scores with their group's kept copy (the copy
    # search scored each member against it alone); 1.0 for twins and the kept copy itself
    to_kept = dict(zip(rows.tolist(), groups["similarity"].to_numpy(np.float32).tolist()))
    checked["score"] = np.fmin(checked["a"].map(to_kept), checked["b"].map(to_kept)).astype(np.float32)
    copies = np.concatenate([checked.loc[checked["kind"] == "copy", ["a", "b"]].to_numpy(np.int64),
                             np.array(unchecked, np.int64).reshape(-1, 2)])
    part = duplicate_groups(len(images), np.full(len(images), None), copies)[rows]
    part = np.where(part >= 0, part, -1 - np.arange(len(rows)))  # an image that is a copy of none: a part alone
    log.info("%d pairs of photos in copy groups aligned: %d copies", len(checked), int((checked["kind"] == "copy").sum()))
    if len(np.unique(part)) == groups["group"].nunique():
        return groups, _no_series()
    return _split_groups(groups, part), _table(images, root, np.empty((0, 2), np.int64),
                                               _series_links(groups, rows, part, checked), checked, to_kept)


def _judged(checked: pd.DataFrame, judge: Callable[[int, int, str], str | None] | None) -> pd.DataFrame:
    """``checked`` (pairs a, b, kind) with each pair's kind as ``judge`` has it."""
    if judge is None or checked.empty:
        return checked
    checked = checked.reset_index(drop=True)
    for i, (a, b, kind) in enumerate(checked[["a", "b", "kind"]].itertuples(index=False)):
        instead = judge(int(a), int(b), str(kind)) if kind in ("copy", "similar") else None
        if instead:
            checked.loc[i, "kind"] = instead
    return checked


def _largest_part(rows: np.ndarray, stars: list[tuple[int, int, str]]) -> int:
    """The first image of the largest part that ``_star_copies``' pairs make of ``rows`` (ties: the earlier)."""
    part = {int(r): int(r) for r in rows}
    for a, b, kind in stars:
        if kind == "copy":
            part[b] = part[a]
    sizes = pd.Series(list(part.values())).value_counts(sort=False)
    return int(sizes.index[sizes.to_numpy().argmax()])


def _star_copies(images: pd.DataFrame, root, rows: np.ndarray,
                 kept: dict[int, np.ndarray]) -> list[tuple[int, int, str]]:
    """(a, b, "copy", "similar" or "neither") pairs of ``rows`` (one copy group's photos, kept copy first) aligned as
    stars: each image onto the first, those that are no copy of it onto the first of them, and so on,
    so a group of copies costs one alignment per image, and a burst shot kept first still leaves the
    true copies of another shot together."""
    _one_thread()
    paths = images["path"].astype(str).to_numpy()
    pixels: dict[int, np.ndarray | None] = {}  # each image decoded once, at the working size
    out, left = [], [int(r) for r in rows]
    while len(left) > 1:
        centre, rest, left = left[0], left[1:], []
        for row in rest:
            for r in (centre, row):
                if r not in pixels:
                    pixels[r] = _load(root, paths[r], kept.get(r))
            if pixels[centre] is None or pixels[row] is None:
                kind = "copy"  # unreadable now: left as the copy search found it
            else:  # neither: another picture the copy search grouped (a look-alike), in no series with it
                kind = _aligned_kind(pixels[centre], pixels[row])
            out.append((centre, row, kind))
            if kind != "copy":
                left.append(row)
    return out


def _aligned_kind(a: np.ndarray, b: np.ndarray) -> str:
    """"copy", "similar" or "neither" for ``b`` aligned onto ``a``; turned a quarter either way where their
    shapes are each other's turned (3000x4000 beside 4000x3000: an export turned in its pixels, which the
    copy search's keypoints matched, and which no alignment of the picture as it is can fit)."""
    (ha, wa), (hb, wb) = a.shape[:2], b.shape[:2]
    turned = (wa > ha) != (wb > hb) and abs(wa / ha - hb / wb) <= 0.02 * wa / ha and abs(wa / ha - 1) > 0.05
    kinds = [pair_kind(align_pair(*_same_side(a, np.ascontiguousarray(np.rot90(b, k) if turned else b))), False)
             for k in ((1, -1) if turned else (0,))]
    return "copy" if "copy" in kinds else "similar" if "similar" in kinds else "neither"


def _split_groups(groups: pd.DataFrame, part: np.ndarray) -> pd.DataFrame:
    """The parts of two or more images, as copy groups (numbered by part), each keeping the copy its
    group kept or else its first in the group's order."""
    out = groups.assign(group=part)
    out = out[out.groupby("group")["id"].transform("size") > 1].copy()
    has_keeper = out.groupby("group")["keep"].transform("any")
    first = ~out.duplicated("group")
    out["keep"] = out["keep"] | (~has_keeper & first)
    if "because" in out:  # why the group's copy was kept says nothing of a part without it
        out.loc[~has_keeper, "because"] = None
    out.loc[out["keep"], "similarity"] = 1.0
    numbers = {g: n for n, g in enumerate(pd.unique(out["group"]))}
    out["group"] = out["group"].map(numbers).astype(np.int64)
    return out.sort_values(["group", "keep"], ascending=[True, False], kind="stable").reset_index(drop=True)


def _series_links(groups: pd.DataFrame, rows: np.ndarray, part: np.ndarray, checked: pd.DataFrame) -> pd.DataFrame:
    """(a, b, score) linking the parts of each copy group that fell apart, by their first images, where
    an image of one aligned with an image of the other as a similar shot (not where neither aligned)."""
    first_of_part = pd.Series(rows).groupby(part).transform("first").to_numpy()
    first = dict(zip(rows.tolist(), first_of_part.tolist()))
    score = dict(zip(rows.tolist(), groups["similarity"].to_numpy(np.float32).tolist()))
    links = set()
    for a, b in checked.loc[checked["kind"] == "similar", ["a", "b"]].itertuples(index=False):
        fa, fb = first[int(a)], first[int(b)]
        if fa != fb:
            links.add((min(fa, fb), max(fa, fb)))
    return pd.DataFrame([(a, b, min(score[a], score[b])) for a, b in sorted(links)],
                        columns=["a", "b", "score"]).astype({"a": "int64", "b": "int64", "score": "float32"})


def photo_sized(images: pd.DataFrame) -> np.ndarray:
    """Per image, whether both its sides are at least ``MIN_SIDE`` px (by the catalog; unknown: yes)."""
    if not {"width", "height"} <= set(images.columns):
        return np.ones(len(images), bool)
    short = np.fmin(images["width"].astype("float64").to_numpy(), images["height"].astype("float64").to_numpy())
    return ~(short < MIN_SIDE)


def _no_series() -> pd.DataFrame:
    """``series_table``'s rows, none."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
        COLUMNS, ("int64", "int64", "string", "string", "float32", "bool", "string"))})


def _table(images: pd.DataFrame, root, copies: np.ndarray, similar: pd.DataFrame,
           checked: pd.DataFrame, to_kept: dict[int, float] | None = None) -> pd.DataFrame:
    """Copy groups (stars), then series of similar shots between the images each copy group keeps.
    ``to_kept``: {row: its copy score with its copy group's kept image}, the score of a pair of a series
    never aligned with each other (the lower of the two)."""
    involved = np.unique(np.concatenate([copies.ravel(), similar[["a", "b"]].to_numpy().ravel()]))
    quality = shot_quality(images, root, involved)
    hashes = images["sha256"].to_numpy() if "sha256" in images else np.full(len(images), None)
    copy_group = duplicate_groups(len(images), hashes, copies)
    scores = {(min(a, b), max(a, b)): s for a, b, s in checked[["a", "b", "score"]].itertuples(index=False)}
    to_kept = to_kept or {}

    def score_of(a: int, b: int) -> float:
        pair = (min(a, b), max(a, b))
        if pair in scores:
            return scores[pair]
        return min(to_kept[a], to_kept[b]) if a in to_kept and b in to_kept else np.nan
    groups, representative = [], np.arange(len(images))
    for group in np.unique(copy_group[copy_group >= 0]):
        rows = np.flatnonzero(copy_group == group)
        rows = rows[_best_order(rows, quality)]
        representative[rows] = rows[0]
        groups.append((rows, "copy", _reasons(rows, quality, "copy")))
    links = np.unique(np.sort(representative[similar[["a", "b"]].to_numpy()], axis=1), axis=0).reshape(-1, 2)
    series = duplicate_groups(len(images), np.full(len(images), None), links[links[:, 0] != links[:, 1]])
    for group in np.unique(series[series >= 0]):
        rows = np.flatnonzero(series == group)
        rows = rows[_best_order(rows, quality)]
        groups.append((rows, "similar", _reasons(rows, quality, "similar")))
    if not groups:
        return _no_series()
    frame = pd.concat([_rows(images, number, rows, kind, score_of, reasons)
                       for number, (rows, kind, reasons) in enumerate(groups)], ignore_index=True)
    return frame.astype({"path": "string", "kind": "string", "reason": "string"})


def _rows(images: pd.DataFrame, group: int, rows: np.ndarray, kind: str, score_of,
          reasons: list[str]) -> pd.DataFrame:
    """One group's rows, best first; ``similarity``: the pair's duplicate score with the best image."""
    best = int(rows[0])
    sims = [1.0 if r == best else score_of(int(r), best) for r in rows]
    return pd.DataFrame({"group": np.full(len(rows), group, np.int64), "id": images["id"].to_numpy()[rows],
                         "path": images["path"].astype(str).to_numpy()[rows], "kind": kind,
                         "similarity": np.round(np.asarray(sims, np.float32), 4),
                         "best": np.arange(len(rows)) == 0, "reason": reasons})


def shot_quality(images: pd.DataFrame, root, rows: np.ndarray) -> pd.DataFrame:
    """Per row of ``images`` (only ``rows`` measured, others NaN): ``sharpness`` (variance of the
    Laplacian at ``WORK_SIDE`` px, the scale every image is compared at), ``clipped`` (share of
    pixels at black or white), ``pixels`` (from the catalog's width and height, else decoded) and
    ``taken`` (the catalog's ``taken_at``, else NaT)."""
    import cv2

    _one_thread()
    out = pd.DataFrame({"sharpness": np.nan, "clipped": np.nan, "pixels": np.nan,
                        "taken": pd.to_datetime(images["taken_at"], errors="coerce") if "taken_at" in images
                        else pd.NaT}, index=np.arange(len(images)))
    paths = images["path"].astype(str).to_numpy()
    for row in np.asarray(rows, np.int64).tolist():
        try:
            image = decode_image(source_path(root, paths[row]).read_bytes(), draft_size=WORK_SIDE)
        except (OSError, ImageDecodeError):
            continue
        gray = np.asarray(image.convert("L"), np.float32)
        sized = cv2.resize(gray, None, fx=WORK_SIDE / max(gray.shape), fy=WORK_SIDE / max(gray.shape),
                           interpolation=cv2.INTER_AREA)
        out.loc[row, "sharpness"] = float(cv2.Laplacian(sized, cv2.CV_32F).var())
        out.loc[row, "clipped"] = float(((gray <= 2) | (gray >= 253)).mean())
        out.loc[row, "pixels"] = image.width * image.height
    if {"width", "height"} <= set(images.columns):
        known = (images["width"].astype("float64") * images["height"].astype("float64")).to_numpy()
        out["pixels"] = np.where(np.isfinite(known), known, out["pixels"])
    return out


def _best_order(rows: np.ndarray, quality: pd.DataFrame) -> np.ndarray:
    """Order of ``rows``, best shot first: sharpest (within ``SHARPNESS_TIE``
    of the sharpest counts as as sharp), then best exposed (least clipped, within
    ``EXPOSURE_TIE``), then most pixels, then earliest taken (equal times tie; unknown
    is latest), then lowest row (the first found)."""
    _, as_sharp, exposed, pixels, taken = _order_keys(rows, quality)
    return np.lexsort((rows, taken, -pixels, ~exposed, ~as_sharp))


def _order_keys(rows: np.ndarray, quality: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """``_best_order``'s keys of ``rows``: (sharpness, as sharp as the sharpest, as sharp and as well
    exposed as the best exposed of those, pixels, capture time in ns with +inf where unknown)."""
    q = quality.iloc[rows]
    sharp = q["sharpness"].fillna(0).to_numpy()
    clipped = q["clipped"].fillna(1).to_numpy()
    as_sharp = sharp >= (1 - SHARPNESS_TIE) * sharp.max()
    exposed = as_sharp & (clipped <= clipped[as_sharp].min() + EXPOSURE_TIE)
    taken = q["taken"].to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
    taken[pd.isna(q["taken"]).to_numpy()] = np.inf
    return sharp, as_sharp, exposed, q["pixels"].fillna(0).to_numpy(), taken


def _reasons(rows: np.ndarray, quality: pd.DataFrame, kind: str) -> list[str]:
    """Why the first of ``rows`` (in ``_best_order``) is the best, and what each other one is: the
    first of its keys after which no other is level with it (equal capture times are level: the
    first found is kept, and said so)."""
    why = []
    if len(rows) > 1:
        sharp, as_sharp, exposed, pixels, taken = _order_keys(rows, quality)
        level = as_sharp[1:]  # the others still level with the best, key by key
        if not level.any():
            known = quality["sharpness"].iloc[rows[1:]].dropna()
            why.append(f"sharpest ({sharp[0] / max(known.max(), 1e-6):.1f}x the next)" if len(known) else "sharpest")
        elif not (level := level & exposed[1:]).any():
            why.append("as sharp, best exposed")
        elif not (level := level & (pixels[1:] == pixels[0])).any():
            why.append(f"as sharp and exposed, most pixels ({int(pixels[0]):,})")
        elif not (taken[1:][level] == taken[0]).any():
            later = np.isfinite(taken[1:][level])
            why.append("as sharp and exposed, earliest taken" if later.all() else
                       "as sharp and exposed, with a capture time the others lack" if not later.any() else
                       "as sharp and exposed, earliest taken (some others have no capture time)")
        else:
            why.append("as good as the next, the first found")
    noun = "copy" if kind == "copy" else "shot"
    first = (f"keep: the best {noun} of {len(rows)}, " + ", ".join(why)) if why else f"keep: best {noun}"
    return [first] + [f"{'copy' if kind == 'copy' else 'similar shot'} of the best" for _ in rows[1:]]
