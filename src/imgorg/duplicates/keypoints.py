"""Keypoint checks of unsure pairs: heavy crops that no thumbnail view lines up.

A phone-format (9:16) crop of a landscape photo keeps about 32% of its width; a crop of
25-60% of the area, resized and recompressed, shares little of its original's 16x16
thumbnails. Its embedding often stays near the original's (the same subject), so the pair
is a candidate that scores below the threshold. Such unsure pairs are checked with local
features: ORB keypoints of both images (grayscale, contrast-equalised, longer side
``SIDE``, a pyramid that reaches above the image so that an original meets its crop's
finest keypoints), the matches that pass the ratio test either way, and a RANSAC fit of a
similarity transform (scale, rotation, shift; no mirror). A pair is a copy when at least
``MIN_INLIERS`` matches (and ``MIN_INLIER_SHARE`` of them) agree, the rotation is a whole
number of quarter turns (within ``MAX_ROTATION``), the scale is within ``MAX_SCALE``, one
image, mapped into the other, lies inside it (a crop, resized, or the whole picture, turned),
and the details agree there: the inner image's small grey thumbnail, high-passed (``DETAIL_SIGMA``)
and mapped by the fit onto the outer one's, correlates with it at least ``MIN_CORRELATION``. On every
fit of the crop corpora (seeds 0-2, the 9-MP and the crowded ones: 398 true crops) that
correlation is 0.50-0.97; on every fit among 1,200 enlarged LFW portraits (6,031 checked pairs,
423 fits of two pictures: the same person in the same pose, moments apart) it is at most 0.46,
where the plain grey thumbnails correlated up to 0.85 (a face in the middle, a dark suit) and
124 of them passed at 0.5. Two crops of one photo that do not contain each other, photos of one
scene, or two parts of a brick wall are not copies. A crop of a crop of a photo is a crop of the
photo (``contained_closure``). Nor is a photo shown inside a screenshot (a feed, a chat) its crop:
where the picture around the inner image is a flat frame (``framed``: at least ``SCREEN_FLAT`` of it
one grey level in every 3x3 patch of the thumbnail, as a screen's background is, and the inner image
at most a third as flat) and the outer file is lossless (a screenshot's PNG), the pair is no copy.
Around the crop corpora's 774 crops the frame is at most 0.048 flat; around three photos pasted
into phone feed screenshots 0.35-0.37 (the photos 0.002-0.074), and around a crop of a map
screenshot 0.63, but the crop itself is 0.52 flat, a screen too, and stays a crop.

Two shots of one camera (``shots_apart``: both 4032x3024, taken at different moments) are not
checked: a crop keeps its photo's capture time and has fewer pixels. The checks are bounded: each image brings at most ``PER_IMAGE`` unsure partners (best
embedding cosine first, or best thumbnail score without an embedding), so at most
``PER_IMAGE`` x images pairs; each image is decoded once for its keypoints (about 40 KB of
them per image), or not at all where the review kept a large photo's decode from its first
read (``_decode_plans``), and the work runs in processes. Images whose shorter side is under
``MIN_SIDE`` pixels (CIFAR's 32 px) have too few keypoints and are not checked: where the
catalog knows the sizes, they are not even read. Measured on crops of real photos and on
the CIFAR corpora in docs/benchmarks.md (near-duplicates, heavy crops).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np

from .. import progress as _progress
from ..errors import ImageDecodeError
from ..formats import LOSSLESS_FORMATS
from ..fileio import array_or_npy
from ..images import decode_image
from ..metadata import CAPTURE_SOURCES, SOURCE_EXIF_DATETIME
from ..parallel import available_cores, process_pool
from ..progress import ProgressFactory
from ..sources import source_path

log = logging.getLogger(__name__)

SIDE = 640  # px: longer side of the grayscale images the keypoints are found on
FEATURES = 1000  # ORB keypoints per image at most
CORNER_THRESHOLD = 5  # ORB's FAST threshold (grey levels; OpenCV's default 20 finds no corners on a blurred photo)
UPSCALED_LEVELS = 2  # ORB pyramid levels above the image (x1.2, x1.44): where an original meets its crop's finest keypoints
MIN_SIDE = 96  # px: images with a shorter side are not checked (too few keypoints)
PER_IMAGE = 6  # unsure partners checked per image at most
VERIFY_COSINE = 0.3  # embedding cosine for a neighbour to be checked at all
RATIO = 0.85  # Lowe's ratio test: best match distance below this fraction of the second best
MIN_INLIERS = 12  # matches that agree with the fitted transform (and then the details must agree: MIN_CORRELATION)
MIN_INLIER_SHARE = 0.06  # of the matches: on a periodic texture (a brick wall) many matches fit by chance, a few agree
MAX_ROTATION = 10.0  # degrees away from a whole number of quarter turns (a photo turned by EXIF, or saved turned)
MAX_SCALE = 6.0  # one image at most this much larger than the other, once both are SIDE px long
INSIDE_TOLERANCE = 0.05  # of the larger image's sides: how far the crop's mapped corners may stick out
WHOLE = 0.9  # a crop mapped onto at least this much of the other's area is the whole picture, not a crop
THUMB_SIDE = 192  # px: longer side of the grey thumbnail each image keeps for the detail check (27 KB at 4:3)
MIN_CORRELATION = 0.48  # of the high-passed thumbnails where one image, mapped by the fit, covers the other
DETAIL_SIGMA = 2.0  # px at THUMB_SIDE: a thumbnail less its Gaussian blur of this width is its detail
SCREEN_FLAT = 0.2  # share of flat thumbnail pixels around a crop that makes its surroundings a screen's frame
MIN_COVERED = 64  # thumbnail pixels the mapped image must cover for the correlation to count
REPROJECTION = 4.0  # px at SIDE: RANSAC's inlier distance
PAIR_CHUNK = 128  # pairs per task
RESHAPED = 0.1  # copies whose width/height ratios differ by more than this are checked too: which holds which
NATIVE_LONG = 3840  # px: photos this long (12 MP and up) have their keypoints found on the review's quality decode
NATIVE_DRAFT_SIDE = 448  # px: that decode's long side at least (review.quality.DRAFT_SIDE; a 12-MP JPEG at 1/8: 500 px)


@dataclass
class Keypoints:
    """ORB keypoints of one image at ``SIDE``: positions (m, 2) float32, descriptors (m, 32) uint8,
    the (width, height) they were found on, and the image in grey at ``THUMB_SIDE`` px (uint8)."""

    xy: np.ndarray
    descriptors: np.ndarray
    size: tuple[int, int]
    thumbnail: np.ndarray


@dataclass
class Match:
    """What the fitted transform says of a pair (a, b): its inliers, which image is a crop
    of the other: 0 = a is a crop of b, 1 = b of a, -1 = neither (the same framing), and whether
    that crop sits in a flat frame (``framed``: a picture shown on a screen, if the outer is one)."""

    inliers: int
    crop: int
    framed: bool = False


def image_keypoints(image, upscaled: int = UPSCALED_LEVELS) -> Keypoints:
    """ORB keypoints of a PIL image, resized (box filter) so that its longer side is at most ``SIDE``,
    with ``upscaled`` pyramid levels above it."""
    import cv2
    from PIL import Image

    scale = SIDE / max(image.size)
    if scale < 1:
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             resample=Image.BOX)
    gray = np.asarray(image.convert("L"))
    equalised = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray)  # corners in dim or hazy parts too
    orb = cv2.ORB_create(nfeatures=FEATURES, fastThreshold=CORNER_THRESHOLD, firstLevel=upscaled)
    found, descriptors = orb.detectAndCompute(equalised, None)
    xy = np.array([point.pt for point in found], np.float32).reshape(-1, 2)
    descriptors = np.zeros((0, 32), np.uint8) if descriptors is None else descriptors
    # the thumbnail before equalising: CLAHE's tiles differ between a crop and its original
    return Keypoints(xy, descriptors, (gray.shape[1], gray.shape[0]), _shrunk(gray, THUMB_SIDE / max(gray.shape)))


def crop_match(a: Keypoints, b: Keypoints) -> Match | None:
    """The pair as a crop and its original, or None when it is not (see the module docstring)."""
    import cv2

    if len(a.descriptors) < 2 or len(b.descriptors) < 2:
        return None
    source, target = _ratio_matches(a, b)
    if len(source) < MIN_INLIERS:
        return None
    cv2.setRNGSeed(0)  # RANSAC draws samples: the same pair gets the same answer in any process
    transform, inliers = cv2.estimateAffinePartial2D(source, target, method=cv2.RANSAC,
                                                     ransacReprojThreshold=REPROJECTION, maxIters=2000)
    if transform is None or int(inliers.sum()) < max(MIN_INLIERS, MIN_INLIER_SHARE * len(source)):
        return None
    scale = float(np.sqrt(abs(np.linalg.det(transform[:, :2]))))
    rotation = float(np.degrees(np.arctan2(transform[1, 0], transform[0, 0])))
    if abs(rotation - 90 * round(rotation / 90)) > MAX_ROTATION or not 1 / MAX_SCALE <= scale <= MAX_SCALE:
        return None
    inverse = cv2.invertAffineTransform(transform)
    for crop, (inner, outer, mapping) in enumerate(((a, b, transform), (b, a, inverse))):
        if _inside(inner.size, outer.size, mapping):
            if pixel_agreement(inner, outer, mapping) < MIN_CORRELATION:
                return None
            mapped = scale ** (1 if crop == 0 else -1)
            area = mapped**2 * inner.size[0] * inner.size[1] / (outer.size[0] * outer.size[1])
            if area >= WHOLE:
                return Match(int(inliers.sum()), -1)
            return Match(int(inliers.sum()), crop, framed(inner, outer, mapping))
    return None


def framed(inner: Keypoints, outer: Keypoints, transform: np.ndarray) -> bool:
    """Whether ``outer``'s thumbnail around ``inner`` (mapped onto it by ``transform``) is a flat frame
    (``SCREEN_FLAT``) and ``inner`` itself at most a third as flat: a picture on a screen's background."""
    import cv2

    mapping = transform * (outer.thumbnail.shape[1] / outer.size[0])
    mapping[:, :2] /= inner.thumbnail.shape[1] / inner.size[0]
    size = (outer.thumbnail.shape[1], outer.thumbnail.shape[0])
    around = cv2.warpAffine(np.ones(inner.thumbnail.shape, np.uint8), mapping, size, flags=cv2.INTER_NEAREST) == 0
    if around.sum() < MIN_COVERED:
        return False
    frame = float(_flat(outer.thumbnail)[around].mean())
    return frame >= SCREEN_FLAT and float(_flat(inner.thumbnail).mean()) <= frame / 3


def _flat(gray: np.ndarray) -> np.ndarray:
    """Per pixel, whether its 3x3 neighbourhood is one grey level."""
    import cv2

    kernel = np.ones((3, 3), np.uint8)
    return cv2.dilate(gray, kernel) == cv2.erode(gray, kernel)


def pixel_agreement(inner: Keypoints, outer: Keypoints, transform: np.ndarray, detail: bool = True) -> float:
    """Correlation of ``outer``'s thumbnail detail with ``inner``'s mapped onto it by ``transform``
    (inner's keypoint frame to outer's), over the part it covers; -1 where it covers too little to
    tell. Detail: each thumbnail less its blur (``DETAIL_SIGMA``), so that a shared layout (a face in
    the middle, a dark suit, a bright sky) does not agree, only the picture's own texture; with
    ``detail`` False, the grey thumbnails themselves (benchmarks/crop_detail.py compares both). The
    inner thumbnail is then shrunk to the scale it lands at, so that nothing aliases."""
    import cv2

    to_thumb = lambda keypoints: keypoints.thumbnail.shape[1] / keypoints.size[0]  # noqa: E731
    mapping = transform * to_thumb(outer)
    mapping[:, :2] /= to_thumb(inner)
    scale = float(np.sqrt(abs(np.linalg.det(mapping[:, :2]))))
    take = fine_detail if detail else (lambda gray: gray.astype(np.float32))
    source = take(inner.thumbnail)
    if scale < 1:
        source = _shrunk(source, scale)
        mapping[:, :2] *= inner.thumbnail.shape[1] / source.shape[1]
    target = take(outer.thumbnail)
    size = (target.shape[1], target.shape[0])
    warped = cv2.warpAffine(source, mapping, size, flags=cv2.INTER_LINEAR)
    covered = cv2.warpAffine(np.ones(source.shape, np.uint8), mapping, size, flags=cv2.INTER_NEAREST) > 0
    if covered.sum() < MIN_COVERED:
        return -1.0
    return correlation(warped[covered], target[covered])


def fine_detail(gray: np.ndarray) -> np.ndarray:
    """``gray`` (float32) less its Gaussian blur of ``DETAIL_SIGMA`` px: the picture's own texture."""
    import cv2

    pixels = gray.astype(np.float32)
    return pixels - cv2.GaussianBlur(pixels, (0, 0), DETAIL_SIGMA)


def correlation(x: np.ndarray, y: np.ndarray) -> float:
    """The correlation of two arrays of pixels of one size."""
    x, y = x - x.mean(), y - y.mean()
    return float((x * y).sum() / np.sqrt((x * x).sum() * (y * y).sum() + 1e-6))


def _shrunk(gray: np.ndarray, scale: float) -> np.ndarray:
    """``gray`` resized by ``scale`` (at most 1) with an area filter, at least 1 px a side."""
    import cv2

    if scale >= 1:
        return gray
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _ratio_matches(a: Keypoints, b: Keypoints) -> tuple[np.ndarray, np.ndarray]:
    """Positions in a and in b of the matches that pass the ratio test either way: from a crop, most
    keypoints find their match in the original; from the original, only those inside the crop do,
    and the ratio test decides differently, so a single direction missed some crops. Both directions'
    two nearest descriptors come from one matrix of Hamming distances (FAISS's ``hammings``): the whole
    match of two images' 1,000 descriptors takes 2.1 ms, where FAISS's 2-nearest search each way took
    2.4 ms for the searches alone (``benchmarks/crop_matching.py``) and OpenCV's brute-force matcher
    6.4 ms one way, with the same answers (a tie for the nearest fails the ratio test either way)."""
    import faiss

    query, train = np.ascontiguousarray(a.descriptors), np.ascontiguousarray(b.descriptors)
    distances = np.empty((len(query), len(train)), np.int32)
    faiss.hammings(faiss.swig_ptr(query), faiss.swig_ptr(train), len(query), len(train), query.shape[1],
                   faiss.swig_ptr(distances))
    found = []
    for axis in (1, 0):  # a's nearest in b, then b's nearest in a
        first, second, nearest = _two_nearest(distances, axis)
        good = np.flatnonzero(first < RATIO * second)
        found.append(np.stack([good, nearest[good]] if axis == 1 else [nearest[good], good], axis=1))
    pairs = np.unique(np.concatenate(found), axis=0)
    return a.xy[pairs[:, 0]], b.xy[pairs[:, 1]]


def _two_nearest(distances: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(nearest distance, second nearest, index of the nearest) along ``axis`` of a distance matrix,
    which is left as it was."""
    nearest = distances.argmin(axis=axis)
    across = np.arange(distances.shape[1 - axis])
    at = (across, nearest) if axis == 1 else (nearest, across)
    first = distances[at]
    distances[at] = np.iinfo(distances.dtype).max  # the nearest set aside: the minimum left is the second
    second = distances.min(axis=axis)
    distances[at] = first
    return first, second, nearest


def _inside(inner: tuple[int, int], outer: tuple[int, int], transform: np.ndarray) -> bool:
    """Whether the corners of an ``inner``-sized image, mapped by ``transform``, lie within ``outer``."""
    width, height = inner
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]], np.float64)
    mapped = corners @ transform[:, :2].T + transform[:, 2]
    slack = INSIDE_TOLERANCE * np.asarray(outer, np.float64)
    return bool(((mapped >= -slack) & (mapped <= np.asarray(outer) + slack)).all())


def unsure_pairs(pairs: np.ndarray, strength: np.ndarray, per_image: int = PER_IMAGE) -> np.ndarray:
    """Indices of the ``pairs`` to check: each image's ``per_image`` strongest (by ``strength``:
    embedding cosine, or thumbnail score), so at most ``per_image`` x images in all."""
    if len(pairs) == 0 or per_image < 1:
        return np.empty(0, np.int64)
    owner = np.concatenate([pairs[:, 0], pairs[:, 1]])
    index = np.tile(np.arange(len(pairs)), 2)
    order = np.lexsort((-np.tile(strength, 2), owner))
    owner, index = owner[order], index[order]
    first = np.flatnonzero(np.diff(owner, prepend=-1))  # where each owner's run starts
    rank = np.arange(len(owner)) - np.repeat(first, np.diff(np.append(first, len(owner))))
    return np.unique(index[rank < per_image])


def keypoint_pairs(images, root, pairs: np.ndarray, strength: np.ndarray, per_image: int = PER_IMAGE,
                   progress: ProgressFactory | None = None,
                   decoded: dict[int, np.ndarray | str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(pairs found to be copies, (crop row, row of the image it was cut from) for each of them that
    is a crop) among the unsure ``pairs`` of ``images`` rows, each image's ``per_image`` strongest
    checked. Images that the catalog says are under ``MIN_SIDE`` px are left out before anything
    is decoded, and before each image's strongest are chosen. ``decoded``: {row: the grey pixels of
    a photo of ``NATIVE_LONG`` px or more, as its quality decode gave them, or the .npy file holding
    them}, read already (the review's first read keeps them), so that such a photo is not decoded again."""
    large = checkable(images)[pairs].all(axis=1) & ~shots_apart(images, pairs)
    pairs, strength = pairs[large], strength[large]
    checked = pairs[unsure_pairs(pairs, strength, per_image)]
    drafts, native = _decode_plans(images)
    matches = verify_pairs(root, images["path"].astype(str).to_numpy(), checked, progress, drafts, native=native,
                           decoded=decoded)
    matches = _off_screens(matches, checked, images)
    found = np.array([m is not None for m in matches], bool)
    crop = np.array([-1 if m is None else m.crop for m in matches], np.int64)
    cut = np.flatnonzero(found & (crop >= 0))
    crops = contained_closure(np.stack([checked[cut, crop[cut]], checked[cut, 1 - crop[cut]]], axis=1))
    log.info("%d unsure pairs checked by keypoints: %d copies, %d of them crops", len(checked), found.sum(), len(cut))
    copies = np.unique(np.concatenate([checked[found].reshape(-1, 2), np.sort(crops, axis=1)]), axis=0)
    return copies, crops


def _off_screens(matches: list, checked: np.ndarray, images) -> list:
    """``matches`` less the crops framed in a lossless outer image: pictures shown in a screenshot."""
    if "format" not in images.columns:
        return matches
    lossless = images["format"].isin(LOSSLESS_FORMATS).to_numpy()
    shown = [m is not None and m.framed and lossless[pair[1 - m.crop]] for m, pair in zip(matches, checked)]
    if any(shown):
        log.info("%d pictures shown in screenshots are not their copies", sum(shown))
    return [None if off else m for m, off in zip(matches, shown)]


def reshaped(images, pairs: np.ndarray) -> np.ndarray:
    """Per pair, whether its images' shapes (width / height, by the catalog) differ by more than
    ``RESHAPED``: a copy of another shape is a crop, and which image holds the other decides which
    to keep (a 9:16 phone crop saved at 1080x1920 has as many pixels as its 1920x1080 original, and
    a mostly vertical layout, sky over ground, can line its thumbnails up)."""
    if not {"width", "height"} <= set(images.columns) or len(pairs) == 0:
        return np.zeros(len(pairs), bool)
    sizes = images[["width", "height"]].astype("float64").to_numpy()
    ratio = np.log(sizes[:, 0] / sizes[:, 1])
    return np.abs(ratio[pairs[:, 0]] - ratio[pairs[:, 1]]) > np.log1p(RESHAPED)


def shots_apart(images, pairs: np.ndarray, moments: np.ndarray | None = None) -> np.ndarray:
    """Per pair, whether its images are two camera shots: photos of one size (width and height as
    displayed, by the catalog) of ``NATIVE_LONG`` px or more, whose capture times (camera metadata)
    differ. Neither is a copy or a crop of the other: a copy and an editor's crop keep their photo's
    capture time, and a crop has fewer pixels unless it was enlarged back to the camera's size. A
    phone library is mostly such pairs (every 4032x3024 photo), and checking them is most of the crop
    check's cost on large photos. Not such pairs: turned copies (3024x4032 beside 4032x3024), web sizes
    (a zoomed crop re-saved at 1080x1080), two files of one capture time and photos without one.
    ``moments``: ``shot_moments(images)``, where the caller asks of many pairs."""
    if len(pairs) == 0:
        return np.zeros(len(pairs), bool)
    moments = shot_moments(images) if moments is None else moments
    first, second = moments[pairs[:, 0]], moments[pairs[:, 1]]
    return np.array([a is not None and b is not None and a[0] == b[0] and a[1] != b[1]
                     for a, b in zip(first, second)], bool)


def shot_moments(images) -> np.ndarray:
    """Per row, ((width, height), capture time) of a photo of ``NATIVE_LONG`` px or more with a capture time
    from camera metadata; None for any other image (``shots_apart``)."""
    columns = {"width", "height", "taken_at", "taken_at_source"}
    out = np.full(len(images), None, object)
    if not columns <= set(images.columns):
        return out
    sizes = images[["width", "height"]].astype("float64").to_numpy()
    shot = CAPTURE_SOURCES - {SOURCE_EXIF_DATETIME}  # EXIF DateTime is when an editor last saved the file
    timed = images["taken_at_source"].isin(shot).to_numpy() & images["taken_at"].notna().to_numpy()
    taken = images["taken_at"].astype(str).to_numpy()
    for row in np.flatnonzero(timed & (np.nan_to_num(sizes).max(axis=1) >= NATIVE_LONG)):
        out[row] = ((sizes[row, 0], sizes[row, 1]), taken[row])
    return out


def checkable(images) -> np.ndarray:
    """Per row, whether the image may have keypoints enough: a shorter side of at least ``MIN_SIDE``
    px by the catalog, or a size the catalog does not know (it is then read to tell)."""
    if not {"width", "height"} <= set(images.columns):
        return np.ones(len(images), bool)
    sides = images[["width", "height"]].astype("float64").fillna(np.inf).to_numpy().min(axis=1)
    return sides >= MIN_SIDE


def contained_closure(crops: np.ndarray) -> np.ndarray:
    """(crop, whole) rows plus those that containment implies: a crop of a crop of a photo is a
    crop of the photo, though its own check may have been one too many for the per-image cap."""
    crops = crops.reshape(-1, 2)
    wholes: dict[int, set[int]] = {}
    for crop, whole in crops.tolist():
        wholes.setdefault(crop, set()).add(whole)
    out = set()
    for crop in wholes:
        seen, todo = set(), list(wholes[crop])
        while todo:
            whole = todo.pop()
            if whole not in seen and whole != crop:
                seen.add(whole)
                todo += wholes.get(whole, ())
        out.update((crop, whole) for whole in seen)
    return np.array(sorted(out), np.int64).reshape(-1, 2)


def _decode_plans(images) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per image, from the catalog's sizes where it has them: the shorter side to decode at, and
    whether the photo is native. Most images decode so that the longer side is at least ``SIDE``
    (a JPEG decodes at 1/2, 1/4 or 1/8 scale). A photo of ``NATIVE_LONG`` px or more decodes as the
    review's quality scores decode it (a 12-MP JPEG at 1/8, 500 px: 25 ms where 1/4 took 30, and
    none when the review kept it), its pyramid one level higher, so that its finest level is as
    fine as a 640 px image's: on 4000x2250 photos the same crops are found (seeds 0-2 of
    heavy_crops.py --big: 0.956, 0.941, 0.971 of the crops either way)."""
    if not {"width", "height"} <= set(images.columns):
        return None, None
    sides = images[["width", "height"]].astype("float64").to_numpy()
    short, long = sides.min(axis=1), sides.max(axis=1)
    native = long >= NATIVE_LONG
    draft = np.ceil(np.where(native, NATIVE_DRAFT_SIDE, SIDE) * short / long)
    draft = np.where(np.isfinite(draft), draft, SIDE).clip(MIN_SIDE, SIDE).astype(np.int64)
    return draft, native


def verify_pairs(root, paths, pairs: np.ndarray, progress: ProgressFactory | None = None,
                 drafts: np.ndarray | None = None, workers: int | None = None, native: np.ndarray | None = None,
                 decoded: dict[int, np.ndarray | str] | None = None) -> list[Match | None]:
    """The keypoint check of each pair of rows of ``paths`` (files under ``root``): each image is
    decoded once (at least ``drafts`` px on its shorter side, default ``SIDE``; ``native`` photos as
    ``_decode_plans`` says, from ``decoded`` where given), its keypoints found, then the pairs
    matched, in ``workers`` processes."""
    if len(pairs) == 0:
        return []
    rows = np.unique(pairs)
    drafts = np.full(rows.max() + 1, SIDE) if drafts is None else drafts
    native = np.zeros(rows.max() + 1, bool) if native is None else native
    decoded = decoded or {}
    workers = min(workers or available_cores(), max(1, len(rows) // 8))
    advance = _progress.start(progress, "Checking crops by keypoints", len(rows) + len(pairs), unit="check")
    size = max(1, min(64, -(-len(rows) // workers)))
    chunks = [[(str(paths[r]), int(drafts[r]), bool(native[r]), decoded.get(int(r)) if native[r] else None)
               for r in rows[i : i + size]] for i in range(0, len(rows), size)]
    with process_pool(workers) if workers > 1 else nullcontext() as pool:
        run = pool.map if pool else map
        found: list[Keypoints | None] = []
        for chunk in run(_keypoints_chunk, [root] * len(chunks), chunks):
            found += chunk
            advance(len(chunk))
        keypoints = dict(zip(rows.tolist(), found))
        tasks = [pairs[i : i + PAIR_CHUNK] for i in range(0, len(pairs), PAIR_CHUNK)]
        out: list[Match | None] = []
        for matched in run(_match_chunk, [_task(task, keypoints) for task in tasks]):
            out += matched
            advance(len(matched))
    return out


def _task(pairs: np.ndarray, keypoints: dict) -> list[tuple[Keypoints | None, Keypoints | None]]:
    return [(keypoints[a], keypoints[b]) for a, b in pairs.tolist()]


def _keypoints_chunk(root, images: list[tuple[str, int, bool, np.ndarray | str | None]]) -> list[Keypoints | None]:
    """Keypoints of a few (path, draft side, native, grey pixels already decoded, their .npy file, or None) images;
    None where unreadable or under ``MIN_SIDE`` px."""
    from PIL import Image

    out = []
    with _one_thread():
        for relpath, draft, native, gray in images:
            try:
                image = Image.fromarray(array_or_npy(gray)) if gray is not None else \
                    decode_image(source_path(root, relpath).read_bytes(), draft_size=draft)
            except (OSError, ImageDecodeError):
                out.append(None)
                continue
            upscaled = UPSCALED_LEVELS + (1 if native and max(image.size) < SIDE else 0)
            out.append(image_keypoints(image, upscaled) if min(image.size) >= MIN_SIDE else None)
    return out


def _match_chunk(pairs: list[tuple[Keypoints | None, Keypoints | None]]) -> list[Match | None]:
    with _one_thread():
        return [None if a is None or b is None else crop_match(a, b) for a, b in pairs]


@contextmanager
def _one_thread():
    """OpenCV's and FAISS's own threads beside the processes would only compete for the same
    cores; restored after, for when this runs in the caller's process."""
    import cv2
    import faiss

    before = cv2.getNumThreads(), faiss.omp_get_max_threads()
    cv2.setNumThreads(1)
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before[0])
        faiss.omp_set_num_threads(before[1])
