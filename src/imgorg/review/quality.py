"""Per-image quality: blurry, dark, overexposed, low information, odd size, odd aspect ratio.

Two steps, as the rest of imgorg: ``quality_scores`` reads every image once and stores plain
per-image measurements (one row per path, NaN where a file cannot be read); ``quality_flags``
turns a collection's scores into findings, each with a score in 0..1 (higher is worse) and a
reason in words. The flags are relative to the collection where that is what makes sense: an
image is dark when it is dark in absolute terms AND darker than its collection's own spread
allows (a night album is not all "dark"), and tiny or huge against the collection's median (a
folder of icons is not all "odd size"). Below a hard floor (a near-black frame, an image of a
few pixels) an image is flagged whatever its collection.

Scores assume the working image ``image_scores`` is given: RGB uint8 with a long side of at
most ``WORK_SIDE`` (512) px, larger images reduced to exactly that (area average), smaller ones
as they are (never enlarged: enlarging invents blur). The sharpness and information measures
are ratios (edges against the image's own contrast), so a photo and its copy at another size
score alike.
"""

from __future__ import annotations

import io
import logging
import math
import re
import unicodedata
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from PIL import Image

from .. import progress as _progress
from ..errors import ImageDecodeError
from ..formats import LOSSLESS_FORMATS
from .. import video
from ..images import decode_image, decode_jpeg_as
from ..parallel import available_cores, chunked_map
from ..sources import source_path

log = logging.getLogger(__name__)

__all__ = ["FEATURES", "KINDS", "MODEL_FLAGS", "SCORE_COLUMNS", "WORK_SIDE", "image_scores",
           "model_features", "quality_flags", "quality_scores", "read_work_image", "screenshots", "shared_decode"]

WORK_SIDE = 512  # px: the long side the scores are measured at (larger images are reduced to it)
DRAFT_SIDE = 448  # px: a JPEG decodes at the smallest scale whose long side reaches this (then at most WORK_SIDE)
SHARED_MIN_BYTES = 256 << 10  # a file smaller than this is no JPEG of 2,688 px and more (shared_decode's): not opened
KINDS = ("blurry", "dark", "overexposed", "low_information", "odd_size", "odd_aspect")
SCORE_COLUMNS = ("edge_width", "brightness", "highlights", "clipped", "detail", "width", "height", "aspect",
                 "shadows", "detailed", "backdrop")
CHUNK = 256  # images per worker task: small enough for progress, large enough to amortise the pickling

# --- blurry ------------------------------------------------------------------------------------
# edge_width: how many pixels (at the working size) the image's sharpest edges take to rise. Each
# monotone run of a row or a column (an edge profile) has a rise and a steepest step; rise / step
# is its width (a sharp step is about 1 px, a Gaussian blur of sigma s widens it to about 2.5 s).
# Only edges rising at least EDGE_RISE of the tonal range count, and the 10th percentile of their
# widths is kept: the sharpest edges decide, so a shallow depth of field is not blurry, and the
# measure does not depend on contrast or brightness. On the dev corpus it separated blurred copies
# from clean photos at AUC 0.996, against 0.92-0.97 for Laplacian variance, gradient percentiles
# and Crete's blur effect (docs/review.md).
EDGE_RISE = 0.2  # of the tonal range (99th less 1st luma percentile): smaller steps are texture or noise
EDGE_QUANTILE = 0.10
# --- dark --------------------------------------------------------------------------------------
# brightness: mean luma (0..1, sRGB values as stored). highlights: its 99th percentile, what the
# brightest parts of the picture reach. Underexposure compresses the whole tonal range into the low
# end: the highlights stay far below white AND the mean is low. A night sky with stars, a street with
# lit windows has a low mean but keeps its bright parts, and is dark by design, not underexposed.
DARK_HIGHLIGHTS = 0.46  # highlights reaching this (-2 stops from white and more)...
NIGHT_BRIGHTNESS = 0.09  # ...in a frame whose mean luma is under this: a night or space photo, dark by design
#                          and never "dark" (a tone curve that darkens a day photo leaves its mean at 0.11-0.15)
DARK_RELATIVE = 0.6  # the learned dark flag needs a mean luma under this share of the collection's median:
#                      an album of dusk shots is not all dark (a frame under BLACK_HIGHLIGHTS is, whatever its album)
BLACK_HIGHLIGHTS = 0.15  # highlights under this (38 of 255): dark in any collection, nothing is lit
# --- overexposed -------------------------------------------------------------------------------
# clipped: the fraction of pixels whose luma is at least CLIP_LEVEL (blown highlights).
CLIP_LEVEL = 250 / 255
OVER_FLOOR = 0.60  # clipped fraction above which an image is overexposed in any collection
REACHES_WHITE = 0.95  # overexposure drives the whites to white (highlights this high, or more than
OVER_CLIPPED = 0.02  # ...this share clipped) or lifts everything under a veil (shadows over VEILED_SHADOWS):
#                      a pale subject whose whites stay under (frost, paper) is high-key, not overexposed
# shadows: the SHADOW_QUANTILE of luma. Overexposure also shows as a lost black point: brightened in
# gamma space (a tone curve, HSV brightness) the whites reach white but nothing stays dark; under a
# veil of flare or haze nothing is dark and the whites need not be white. cleanvision's light issue
# looks at the same percentile (1 - p5 < 0.05) but only catches frames nearly all white.
SHADOW_QUANTILE = 0.05
LIFTED_SHADOWS = 0.25  # shadows above this (a photo's darkest 5% are usually under 0.15)...
LIFTED_HIGHLIGHTS = 0.97  # ...with its whites at white (a pale, flat subject, a scanned page, stays under)...
WASHED_BRIGHTNESS = 0.62  # ...and mean luma above this: a lifted tone curve
VEILED_SHADOWS = 0.70  # shadows above this with mean luma over WASHED_BRIGHTNESS: a veil, whatever the
#                        whites (half the light a veil; dev's high-key frost photo is at 0.61-0.72)
VEILED_RANGE = 0.06  # a veil leaves a photo's tones spread over at least this (highlights less shadows;
#                      a blank page with one small mark: 0.02): under it the frame is judged for blankness
WASHED_TAIL_Z = 2.0  # both: this many robust SDs (SD floor 0.05) over the collection's median shadows
#                   (a washed-out photo is judged blank against the tonal range its veil leaves)
# --- low information ---------------------------------------------------------------------------
# detail: the standard deviation of the image's detail, luma after a 3x3 box blur (sensor noise and
# JPEG grain are no content) less its large-scale trend (the image reduced 16 times and enlarged
# back): a blank wall, a lens cap, a faint gradient or vignette, a photo faded to a few percent
# contrast all have next to none. It is judged per unit of brightness (detail / (brightness +
# DETAIL_OFFSET)), so a dark photo with its detail intact is dark, not blank. On the dev corpus this
# separated near-blank images at AUC 1.000, against 0.996 for the luma SD and 0.994 for entropy.
LOW_DETAIL = 0.025  # detail per unit of brightness under which an image is low information
DETAIL_OFFSET = 0.05  # keeps near-black frames from dividing by almost nothing
TREND_FACTOR = 16  # the large-scale trend: the image reduced this many times
# detailed: the share of the image that has any detail: of its TILE x TILE px tiles (working size),
# those whose own detail per unit of brightness reaches LOW_DETAIL. A white page with one small mark
# has detail overall (the mark) but almost nowhere: it is blank all the same.
TILE = 16
LOW_DETAILED = 0.06  # share of detailed tiles under which an image is low information
# --- odd size ----------------------------------------------------------------------------------
# size: the long side, against the collection's median (a 300x30 strip is an odd shape, not tiny).
TINY_RATIO = 4.0  # a long side this many times shorter than the collection's median is odd (a thumbnail)
HUGE_RATIO = 6.0  # ...or this many times longer: a wider margin, a large image costs storage but loses nothing
# In a collection whose sizes keep close to its median (this image's robust z of the log side at least
# SIZE_Z, its spread taken as at least SIZE_SPREAD) these ratios suffice: a 40 px copy among 150 px photos
# of one size, a 1,280 px download among a phone's 4,032 px photos. Among sizes that vary, 4x and 6x.
TIGHT_TINY_RATIO, TIGHT_HUGE_RATIO = 3.0, 4.0
SIZE_Z, SIZE_SPREAD = 4.0, 0.1
TINY_SIDE = 16  # px: a long side under this is odd in any collection (an icon is 16 px and up)
MIN_COLLECTION = 8  # fewer images than this: no statistics of the collection, absolute rules only
# --- odd aspect --------------------------------------------------------------------------------
ODD_ASPECT = 3.0  # long side / short side: 3:1 and beyond is a strip (16:9 is 1.78, a phone screen 2.17)
ODD_ASPECT_RATIO = 2.0  # ...and this many times as elongated as the collection's median (a panorama album)
LITTLE_DETAIL = 0.7  # of the collection's median fine detail: where a blur reason names it
MAD_SCALE = 1.4826  # the median absolute deviation of a normal distribution is 1/1.4826 of its SD
# --- small images --------------------------------------------------------------------------------
# Under MODEL_MIN_SIDE px (long side) the learned models, fitted on photos of 150-512 px, are not
# used: these images (CIFAR-10's 32 px) are judged by hand-written thresholds, relative to the collection.
MODEL_MIN_SIDE = 96
BLUR_WIDTH = 1.9  # px: sharpest edges this wide and more are blurry...
BLUR_TAIL_Z = 2.0  # ...when also this many robust SDs (log width) over the collection's median
BLUR_SPREAD = 0.25  # the least robust SD of log width
BLUR_FLOOR_WIDTH = 4.0  # px: wider than this is blurry in any collection
DARK_FLOOR = 0.06  # mean luma under which a frame with dim highlights is dark in any collection
DARK_CEILING = 0.26  # mean luma above which nothing is called dark
DARK_TAIL_Z = -2.0  # between floor and ceiling: dark this many robust SDs (log brightness) under the median
OVER_MIN_CLIPPED = 0.08  # clipped fraction under which nothing is overexposed by clipping
OVER_MIN_BRIGHTNESS = 0.70  # mean luma under which nothing is overexposed (pictures on white backgrounds)
OVER_TAIL_Z = 2.0  # between: overexposed this far (robust SDs) above the collection's clipped fraction
# backdrop: the share of the frame that is a white backdrop, blown on purpose: a product shot on a white
# seamless, a cutout whose transparency is read over white. It is the blown pixels (CLIP_LEVEL) joined to the
# frame's edge, where they line at least BACKDROP_SIDES of each of its four sides (they surround the subject)
# and at least BACKDROP_CRISP of the pixels along their inner edge are clearly darker than white (under
# BACKDROP_EDGE: the subject's own edge). Overexposure blows a photo from its brightest parts outward, so the
# pixels beside its blown parts are nearly white. Twelve photos 2-4 stops over or gained x2-x3.5 (scikit-image's,
# LFW's, CIFAR-10's) leave their blown parts on under 70% of some side; 100 product shots and cutouts on
# white (a shop's catalogue) line every side wholly, 33-90% of their inner edge crisp. A subject as pale as a washed-out photo (its darkest 5% at SUBJECT_PALE_SHADOWS
# or brighter and its median at SUBJECT_PALE_MEDIAN: a product shot 2 stops over, and a white product) has no
# backdrop: the frame is judged as any photo. A frame with a backdrop is overexposed where its subject is:
# over OVER_FLOOR of the pixels left blown; the mean, highlights and shadows the other rules and the learned
# model weigh are the backdrop's. 0 where there is none.
BACKDROP_SIDES = 0.9
BACKDROP_CRISP = 0.3
BACKDROP_EDGE = 0.8
BACKDROP_RING = 5  # px (working size): the width of the band along the backdrop's edge that is looked at
SUBJECT_PALE_SHADOWS, SUBJECT_PALE_MEDIAN = 0.45, 0.85
# --- the learned decision ------------------------------------------------------------------------
# blurry, dark and overexposed are also decided by small gradient-boosted tree models over the stored
# scores and where each image stands in its collection (``model_features``), trained on generated
# defects over about 650 real photos in random collections (benchmarks/quality_training.py, which
# writes MODEL_FILE). In images of MODEL_MIN_SIDE px and more a flag is raised where its model's
# probability reaches MODEL_THRESHOLD and the guards agree (NIGHT_BRIGHTNESS, DARK_RELATIVE,
# REACHES_WHITE), or where a floor that holds in any collection does (BLACK_HIGHLIGHTS, OVER_FLOOR, a
# washed-out veil); smaller images keep the hand-written rules above.
MODEL_FILE = Path(__file__).resolve().parent.parent / "data" / "quality_model.json"
# Pages and screens (the ImageNet classes a screenshot, a scan, a receipt is tagged with most): their
# white paper and dark themes are their design, not exposure, so dark and overexposed are not judged
# there. On benchmarks/mixed_pile.py's pile of downloads, 57 of the 84 images flagged overexposed without
# this and 6 of the 10 dark are tagged first "web site" or "menu".
PAGE_CLASSES = ("web site", "comic book", "crossword puzzle", "book jacket", "menu", "envelope")
# Screenshots by their file (``screenshots``): the tags miss many (of the mixed pile's 69 screenshots, 17 are
# tagged first as something else: a map "oscilloscope", a chat with photos "Windsor tie"). The name a phone
# or a desktop gives them, in any format (Samsung's are JPEGs), and a few of the names macOS gives in other
# languages...
SCREENSHOT_NAME = re.compile(r"screen[ _-]?(shot|capture|record)|bildschirmfoto|capture d.[eé]cran|captura de "
                             r"pantalla|schermata|schermafbeelding|sk[aä]rmavbild|zrzut ekranu", re.IGNORECASE)
# ...or a lossless file (an iPhone's screenshot is IMG_1234.PNG) with no camera make or model, the shape of a
# phone's screen upright or a monitor's (1.78:1 for 16:9, 2.16:1 an iPhone since the X, 2.0-2.33:1 Androids,
# 2.56:1 a Galaxy Fold's cover screen; a camera's photos are 4:3, 3:2 or 1:1) and at least SCREEN_MIN_SIDE
# across, and not named as a camera names its photos (DSC_0042, PXL_20240517_101112123, P1000123).
SCREEN_ASPECTS = (1.75, 2.6)  # long side / short side
SCREEN_MIN_SIDE = 640  # px: the short side of the smallest such screen (an iPhone 5's 640x1136)
CAMERA_NAME = re.compile(r"^(_?DSC|PXL_|GOPR|G[HX]\d{6}|DJI_|P\d{7}|IMG_\d{8}_)", re.IGNORECASE)
EXPOSURE_KINDS = ("dark", "overexposed")
MODEL_FLAGS = ("blurry", "dark", "overexposed")
MODEL_THRESHOLD = 0.5
FEATURES = ("log_width", "width_vs_collection", "collection_width", "brightness", "highlights", "shadows",
            "clipped", "brightness_vs_collection", "shadows_vs_collection", "clipped_vs_collection", "log_detail",
            "log_side")


def pages(tags, n: int) -> np.ndarray:
    """Per image (rows of ``tags``, an ``embed.tags.Tags``), whether its most probable class is one of
    PAGE_CLASSES; all False without tags."""
    if tags is None or len(tags) != n:
        return np.zeros(n, bool)
    from .. import vocabulary

    names = vocabulary.class_names()
    wanted = [i for i, name in enumerate(names) if name in PAGE_CLASSES]
    return np.isin(np.asarray(tags.classes)[:, 0], wanted)


def screenshots(images: pd.DataFrame) -> np.ndarray:
    """Per catalogued file (``images``: the catalog's path, format, width, height, camera_make and
    camera_model; any missing counts as unknown), whether it is a screenshot: named as one
    (``SCREENSHOT_NAME``: "Screenshot_20240517-101112.png", "Screen Shot 2019-05-17 at 10.11.12.png"),
    or a PNG, TIFF or BMP with no camera make or model, the shape and size of a phone's or a monitor's
    screen (``SCREEN_ASPECTS``, ``SCREEN_MIN_SIDE``) and no camera's name (``CAMERA_NAME``).

    Why: a screen's white app background or dark theme is its design, not exposure, and a person going
    through a phone's camera roll does not want each screenshot called overexposed or dark. Its file
    says what it is where the ImageNet tags (``pages``) do not: screenshot tools name their files so,
    and write them lossless at the screen's size without a camera's EXIF. A photo saved as PNG keeps
    its camera's make and model, or its camera's name, or a photo's shape (4:3, 3:2): it is still
    judged; so are the PNGs of image datasets (CIFAR's 32 px)."""
    n = len(images)
    names = [unicodedata.normalize("NFC", str(path).rsplit("/", 1)[-1]) for path in
             (images["path"] if "path" in images else [""] * n)]
    named = np.array([bool(SCREENSHOT_NAME.search(name)) for name in names], bool)
    camera_named = np.array([bool(CAMERA_NAME.match(name)) for name in names], bool)

    def column(name: str) -> pd.Series:
        return images[name] if name in images else pd.Series([pd.NA] * n, index=images.index, dtype=object)

    lossless = column("format").isin(list(LOSSLESS_FORMATS)).to_numpy(bool)
    camera = (column("camera_make").notna() | column("camera_model").notna()).to_numpy(bool)
    sides = np.stack([pd.to_numeric(column(name), errors="coerce").to_numpy(np.float64, na_value=np.nan)
                      for name in ("width", "height")], axis=1) if n else np.zeros((0, 2))
    short, long = sides.min(axis=1), sides.max(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shaped = (short >= SCREEN_MIN_SIDE) & (long / short >= SCREEN_ASPECTS[0]) & (long / short <= SCREEN_ASPECTS[1])
    return named | (lossless & ~camera & ~camera_named & shaped)


def image_scores(pixels: np.ndarray, width: int | None = None, height: int | None = None) -> dict[str, float]:
    """Quality measurements of one image: ``pixels`` RGB (h, w, 3) or gray (h, w) uint8, with a long
    side of at most ``WORK_SIDE`` (``read_work_image`` makes it); ``width`` and ``height`` are the
    original's displayed size (default: the array's)."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 3 and pixels.shape[2] >= 3:
        gray = cv2.cvtColor(np.ascontiguousarray(pixels[..., :3]), cv2.COLOR_RGB2GRAY)
    else:
        gray = pixels.reshape(pixels.shape[:2])
    height_px, width_px = gray.shape
    width, height = int(width or width_px), int(height or height_px)
    luma = gray.astype(np.float32) * (1 / 255)
    histogram = cv2.calcHist([np.ascontiguousarray(gray)], [0], None, [256], [0, 256]).ravel().astype(np.int64)  # 3x bincount's speed
    low, shadows, high = _percentiles(histogram, (0.01, SHADOW_QUANTILE, 0.99))
    smooth = cv2.blur(luma, (3, 3)) if min(gray.shape) >= 3 else luma
    brightness = float(luma.mean())
    residual = _residual(smooth)
    return {
        "edge_width": _edge_width(gray, high - low),
        "brightness": brightness,
        "highlights": high,
        "clipped": float(histogram[math.ceil(CLIP_LEVEL * 255):].sum() / gray.size),
        "detail": float(residual.std()),
        "width": float(width),
        "height": float(height),
        "aspect": width / height if height else math.nan,
        "shadows": shadows,
        "detailed": _detailed_share(residual, brightness),
        "backdrop": _backdrop(gray),
    }


def _backdrop(gray: np.ndarray) -> float:
    """The share of the frame in a white backdrop (see BACKDROP_SIDES), 0 where there is none."""
    blown = (gray >= math.ceil(CLIP_LEVEL * 255)).astype(np.uint8)
    if min(gray.shape) < 3 or not (blown[0].any() and blown[-1].any() and blown[:, 0].any() and blown[:, -1].any()):
        return 0.0
    _, parts = cv2.connectedComponents(blown, connectivity=4)
    edge = np.concatenate([parts[0], parts[-1], parts[:, 0], parts[:, -1]])
    region = np.isin(parts, np.unique(edge[edge > 0]))
    if min(region[0].mean(), region[-1].mean(), region[:, 0].mean(), region[:, -1].mean()) < BACKDROP_SIDES:
        return 0.0
    ring = cv2.dilate(region.astype(np.uint8), np.ones((BACKDROP_RING, BACKDROP_RING), np.uint8)).astype(bool) \
        & ~blown.astype(bool)
    if not ring.any() or (gray[ring] < BACKDROP_EDGE * 255).mean() < BACKDROP_CRISP:
        return 0.0
    shadows, median = np.percentile(gray[~region], (100 * SHADOW_QUANTILE, 50)) / 255
    if shadows >= SUBJECT_PALE_SHADOWS and median >= SUBJECT_PALE_MEDIAN:
        return 0.0
    return float(region.mean())


def _percentiles(histogram: np.ndarray, quantiles: tuple[float, ...]) -> list[float]:
    """Luma quantiles (0..1) from a 256-bin histogram: cheaper than sorting the pixels."""
    cumulative = np.cumsum(histogram) / histogram.sum()
    return [float(np.searchsorted(cumulative, q) / 255) for q in quantiles]


def _edge_width(gray: np.ndarray, tonal_range: float) -> float:
    """The EDGE_QUANTILE of the widths of the edges rising at least EDGE_RISE, along the rows and
    along the columns apart, the wider of the two: motion blur widens the edges
    across its direction only, and the other direction's sharp edges must not hide it."""
    if min(gray.shape) < 4 or tonal_range < 1e-3:
        return math.nan  # no edges to measure: blank images are low information, not blurry
    rises, steps, along_rows = _edge_runs(gray, EDGE_RISE * tonal_range * 255)
    widths = []
    for direction in (along_rows, ~along_rows):
        width = rises[direction] / steps[direction]
        if width.size >= 3:
            k = int(EDGE_QUANTILE * (width.size - 1))
            widths.append(float(np.partition(width, k)[k]))
    return max(widths) if widths else math.nan


def _edge_runs(gray: np.ndarray, min_rise: float = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rise, steepest step, whether along a row) in grey levels of every monotone run along the rows and
    the columns of ``gray`` (uint8) that rises at least ``min_rise``; a flat step ends a run."""
    lines = gray.astype(np.int16)
    rows = _line_runs(lines, min_rise)
    columns = _line_runs(np.ascontiguousarray(lines.T), min_rise)
    along_rows = np.arange(rows[0].size + columns[0].size) < rows[0].size
    return np.concatenate([rows[0], columns[0]]), np.concatenate([rows[1], columns[1]]), along_rows


def _line_runs(lines: np.ndarray, min_rise: float) -> tuple[np.ndarray, np.ndarray]:
    """(rise, steepest step) of the monotone runs along each row of ``lines`` (int16) rising at least
    ``min_rise``. A run's steps share a sign, so its rise is the difference of its end pixels; the
    steepest step is taken only over the runs kept (a few thousand of a 12-MP photo's 500 px decode's
    250,000): a running maximum over every step cost 4x as much."""
    step = np.zeros(lines.shape, np.int16)  # a flat step after each line's last pixel: no run crosses lines
    np.subtract(lines[:, 1:], lines[:, :-1], out=step[:, :-1])
    step = step.ravel()
    sign = np.sign(step)
    moving = sign != 0
    change = np.empty(step.size + 1, bool)
    change[0] = change[-1] = True
    np.not_equal(sign[1:], sign[:-1], out=change[1:-1])
    first = np.flatnonzero(change[:-1] & moving)  # a run's first step, then its last: same order, same count
    last = np.flatnonzero(change[1:] & moving)
    pixels = lines.ravel()  # step i goes from pixel i to pixel i + 1 of its line
    rise = np.abs(pixels[last + 1].astype(np.int32) - pixels[first])
    kept = rise >= min_rise
    first, last, rise = first[kept], last[kept], rise[kept]
    if not first.size:
        return rise, rise.copy()
    bounds = np.empty(2 * first.size, np.intp)
    bounds[0::2], bounds[1::2] = first, last + 1  # the runs, and the steps between them (dropped)
    return rise, np.maximum.reduceat(np.abs(step), bounds)[0::2].astype(np.int32)


def _residual(smooth: np.ndarray) -> np.ndarray:
    """``smooth`` less its large-scale trend (see LOW_DETAIL)."""
    height, width = smooth.shape
    small = (max(1, round(width / TREND_FACTOR)), max(1, round(height / TREND_FACTOR)))
    trend = cv2.resize(cv2.resize(smooth, small, interpolation=cv2.INTER_AREA), (width, height),
                       interpolation=cv2.INTER_LINEAR)
    return smooth - trend


def _detailed_share(residual: np.ndarray, brightness: float) -> float:
    """The share of TILE x TILE tiles whose own detail per unit of brightness reaches LOW_DETAIL."""
    height, width = residual.shape
    rows, columns = height // TILE, width // TILE
    if rows == 0 or columns == 0:  # smaller than a tile: the whole image is one
        return float(residual.std() / (brightness + DETAIL_OFFSET) >= LOW_DETAIL)
    # each tile's pixels made contiguous first: std over two strided axes took 3x as long
    tiles = residual[:rows * TILE, :columns * TILE].reshape(rows, TILE, columns, TILE).swapaxes(1, 2) \
        .reshape(rows, columns, TILE * TILE).std(axis=2)
    return float((tiles / (brightness + DETAIL_OFFSET) >= LOW_DETAIL).mean())


def read_work_image(data: bytes) -> tuple[np.ndarray, int, int]:
    """(RGB pixels at the working size, original displayed width, height) of an encoded image.

    JPEGs decode at 1/2, 1/4 or 1/8 scale (Pillow's draft mode) so that the long side still
    reaches ``DRAFT_SIDE``: a 12-MP photo decodes at 1/8 (500 px; at 1/4 the decode took about
    4x as long, for measures 2% apart in scale). EXIF orientation applied."""
    short, long = header_sides(data)
    return _work_pixels(_decode_for_work(data, short, long), short, long)


def measure(data: bytes, decoded: Image.Image | None = None) -> dict[str, float]:
    """``image_scores`` of an encoded image. ``decoded``: the same image as ``decode_image`` gave it
    (EXIF orientation applied) at some draft scale, for another use: used when it is as large as the
    scores need, so one decode serves both (the duplicate finder's thumbnails pass)."""
    return measure_decoded(data, decoded)[0]


def measure_decoded(data: bytes, decoded: Image.Image | None = None) -> tuple[dict[str, float], Image.Image]:
    """(``measure``'s scores, the decode they were measured on), for a caller that keeps pixels of it."""
    short, long = header_sides(data)
    needed = min(long, DRAFT_SIDE)
    if decoded is None or max(decoded.size) < needed:
        decoded = _decode_for_work(data, short, long)
    return image_scores(*_work_pixels(decoded, short, long)), decoded


def work_decode(data: bytes) -> Image.Image:
    """The decode ``measure`` makes for itself: a JPEG at the smallest DCT scale whose long side
    reaches ``DRAFT_SIDE`` (a 12-MP photo at 1/8, 500 px), other images whole. EXIF orientation applied."""
    return _decode_for_work(data, *header_sides(data))


def shared_decode(data: bytes, thumbnail_side: int) -> tuple[Image.Image, Image.Image] | None:
    """(the decode ``measure`` asks for, ``decode_image(data, thumbnail_side)``) from one decode, where
    both come out of the same scale: a JPEG so large that both decode at 1/8, the smallest (a 12-MP
    photo: 500 px, decoded once instead of twice, 39 ms saved). None for any other image: the
    duplicate finder's thumbnails decode it for themselves, which costs little when it is small."""
    found = shared_decodes(data, thumbnail_side)
    return None if found is None else (found[0], found[1])


def shared_decodes(data: bytes, thumbnail_side: int, model: tuple[int, int] | None = None) -> list | None:
    """``shared_decode``'s two images and, with ``model`` ((draft size, reduce gap) of a model's
    input), ``decode_image(data, *model)`` too, from one decode at 1/8; None where not all of them
    come out of that scale. The embed stage keeps the first two for the review (``review.kept``)."""
    if len(data) < SHARED_MIN_BYTES or video.sniff_video(data[:64]):  # small: not worth opening it a third time
        return None
    with Image.open(io.BytesIO(data)) as header:
        if header.format != "JPEG":
            return None
        short, long = sorted(header.size)
    draft = max(1, math.ceil(DRAFT_SIDE * short / long))
    requests = ((draft, 1), (thumbnail_side, 1)) + ((model,) if model else ())
    if long <= WORK_SIDE or any(short < 8 * side for side, _ in requests):  # not all at 1/8
        return None
    try:
        return decode_jpeg_as(data, draft, requests)
    except (OSError, ImageDecodeError):  # a truncated JPEG: decode_image's own way, for each
        return None


def header_sides(data: bytes) -> tuple[int, int]:
    """(shorter, longer side) from the header alone: no pixels are decoded (a video's from its container)."""
    if video.sniff_video(data[:64]):
        fields = video.video_fields(data)
        return tuple(sorted((fields["width"], fields["height"])))
    with Image.open(io.BytesIO(data)) as header:
        return tuple(sorted(header.size))


def _decode_for_work(data: bytes, short: int, long: int) -> Image.Image:
    draft = max(1, math.ceil(DRAFT_SIDE * short / long)) if long > WORK_SIDE else None
    return decode_image(data, draft_size=draft)


def _work_pixels(image: Image.Image, short: int, long: int) -> tuple[np.ndarray, int, int]:
    """(pixels with a long side of at most WORK_SIDE, the original's displayed width, height)."""
    scale = image.width * image.height / (short * long) if short and long else 1.0
    # a reduced decode: the sides from the header (exact), in the decode's orientation (EXIF applied);
    # from the decode's area they came out a pixel off (1169x2533 for a 1170x2532 screenshot)
    width, height = ((long, short) if image.width >= image.height else (short, long)) if scale < 1 else image.size
    if max(image.size) > WORK_SIDE:
        factor = WORK_SIDE / max(image.size)
        size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        return cv2.resize(np.asarray(image), size, interpolation=cv2.INTER_AREA), width, height
    return np.asarray(image), width, height


def quality_scores(paths, root: str | Path, progress=None, workers: int | None = 2) -> pd.DataFrame:
    """One row of ``SCORE_COLUMNS`` per path (relative to ``root``), in order; NaN where a file
    cannot be read or decoded, or its path is None (a file known to be gone: not read, not warned of).
    ``workers`` processes (None: every core this process may use)."""
    paths = list(paths)
    workers = max(1, min(workers or available_cores(), available_cores()))
    size = max(1, min(CHUNK, -(-len(paths) // workers)))  # a few large photos still use every core
    advance = _progress.start(progress, "Measuring image quality", len(paths))
    rows = []
    for chunk_rows in chunked_map(partial(_score_chunk, str(root)), paths, size, workers):
        rows.extend(chunk_rows)
        advance(len(chunk_rows))
    return quality_frame(rows, sum(path is None for path in paths))


def quality_frame(rows: list, absent: int = 0) -> pd.DataFrame:
    """The scores of each image as a table (``SCORE_COLUMNS``); None rows (unreadable images) are NaN.
    ``absent``: how many of those were not read since their files are known to be gone (not warned of)."""
    rows = [dict.fromkeys(SCORE_COLUMNS, math.nan) if row is None else row for row in rows]
    frame = pd.DataFrame(rows, columns=list(SCORE_COLUMNS), dtype=np.float64)
    unreadable = int(frame["width"].isna().sum()) - absent
    if unreadable:
        log.warning("%d of %d images could not be read; their quality scores are NaN", unreadable, len(frame))
    return frame


def _score_chunk(root: str, relpaths: list[str]) -> list[dict[str, float]]:
    rows = []
    for relpath in relpaths:
        if relpath is None:  # known to be gone
            rows.append(dict.fromkeys(SCORE_COLUMNS, math.nan))
            continue
        try:
            rows.append(measure(source_path(root, relpath).read_bytes()))
        except (OSError, ImageDecodeError, ValueError) as err:
            log.debug("quality scores of %s: %s", relpath, err)
            rows.append(dict.fromkeys(SCORE_COLUMNS, math.nan))
    return rows


def quality_flags(scores: pd.DataFrame, ids=None, page: np.ndarray | None = None) -> pd.DataFrame:
    """The findings of a collection's ``quality_scores``: one row per (image, kind) flagged, with
    ``id`` (``ids``, default the scores' index), ``kind`` (one of ``KINDS``), ``score`` (0..1,
    higher is worse) and ``reason`` (in words, with the threshold or the collection figure that
    decided). Rows with NaN scores (unreadable images) are never flagged. ``page``: per row, whether
    the image is a page or a screen (``pages``, ``screenshots``): never dark or overexposed, nor odd
    size where it is as long as most images or longer (a phone screenshot among small photos)."""
    missing = [column for column in SCORE_COLUMNS if column not in scores.columns and column != "backdrop"]
    if missing:
        raise ValueError(f"scores lack the columns {missing}: pass what quality_scores returns")
    if "backdrop" not in scores.columns:  # scores measured before backdrops were: none
        scores = scores.assign(backdrop=0.0)
    ids = scores.index.to_numpy() if ids is None else np.asarray(ids)
    if len(ids) != len(scores):
        raise ValueError(f"ids has {len(ids)} values for {len(scores)} rows of scores: give one id per row")
    findings = []
    exempt = _page_exemptions(scores, page)
    for kind, check in _CHECKS.items():
        flagged, badness, reasons = check(scores)
        for row in np.flatnonzero(flagged & ~exempt.get(kind, False)):
            findings.append((ids[row], kind, float(np.clip(badness[row], 0, 1)), reasons[row]))
    frame = pd.DataFrame(findings, columns=["id", "kind", "score", "reason"])
    order = frame["kind"].map({kind: i for i, kind in enumerate(KINDS)})
    return frame.assign(_order=order).sort_values(["_order", "score"], ascending=[True, False]) \
        .drop(columns="_order").reset_index(drop=True)


def _page_exemptions(scores: pd.DataFrame, page: np.ndarray | None) -> dict[str, np.ndarray]:
    """Per kind, the rows a page or a screen is not flagged for (see ``quality_flags``)."""
    if page is None or not np.any(page):
        return {}
    page = np.asarray(page, bool)
    long = np.fmax(scores["width"].to_numpy(np.float64), scores["height"].to_numpy(np.float64))
    with np.errstate(invalid="ignore"):
        as_long = long >= np.nanmedian(long) if np.isfinite(long).any() else np.zeros(len(long), bool)
    return {**{kind: page for kind in EXPOSURE_KINDS}, "odd_size": page & as_long}


class _Collection:
    """Where a measure of one image stands in its collection: robust z (median and MAD, on a log
    scale where the measure is a ratio) and percentile rank. With fewer than MIN_COLLECTION
    readable images there is no collection to compare with: z is 0 and nothing is relative."""

    def __init__(self, values: pd.Series, log: bool = True, min_spread: float = 0.05):
        self.values = values.to_numpy(np.float64)
        finite = self.values[np.isfinite(self.values)]
        self.enough = finite.size >= MIN_COLLECTION
        transform = (lambda v: np.log(np.maximum(v, 1e-6))) if log else (lambda v: v)
        scaled = transform(finite) if finite.size else np.zeros(1)
        self.median = float(np.median(scaled))
        spread = MAD_SCALE * float(np.median(np.abs(scaled - self.median)))
        self.spread = max(spread, min_spread)  # a uniform collection: deviations still need a size
        self.z = (transform(self.values) - self.median) / self.spread if self.enough else np.zeros(len(self.values))
        with np.errstate(invalid="ignore"):
            self.rank = (np.searchsorted(np.sort(finite), self.values, side="right") / max(finite.size, 1))
        self.typical = float(np.exp(self.median)) if log else self.median


def _learned(scores, flag: str) -> tuple[pd.DataFrame, np.ndarray]:
    """(``model_features`` of the scores, and the probability of ``flag`` by its model)."""
    features = model_features(scores)
    return features, model_probability(features, flag)


def _blurry(scores):
    return _by_size(scores, _blurry_learned, _blurry_rule)


def _blurry_learned(scores):
    features, p = _learned(scores, "blurry")
    w, typical = scores["edge_width"].to_numpy(np.float64), np.exp(features["collection_width"].to_numpy())
    detail = features["log_detail"].to_numpy()
    # the model weighs fine detail too: an enlargement's edges can be as wide as the collection's,
    # and the reason says so where the detail is scarce
    finite = detail[np.isfinite(detail)]
    detail = np.exp(detail - np.median(finite)) if finite.size >= MIN_COLLECTION else np.full(len(detail), np.nan)
    flagged = p >= MODEL_THRESHOLD
    reasons = [f"blurry by the learned model ({v:.0%}): its sharpest edges are {x:.1f} px wide"
               + (f", {x / t:.1f}x this collection's median of {t:.1f} px" if np.isfinite(t) else "")
               + (f", and only {d:.1f}x the median fine detail" if d < LITTLE_DETAIL else "") if f else ""
               for v, x, t, d, f in zip(p, w, typical, detail, flagged)]
    return flagged, p, reasons


def _dark(scores):
    return _by_size(scores, _dark_learned, _dark_rule)


def _dark_learned(scores):
    features, p = _learned(scores, "dark")
    b, high = scores["brightness"].to_numpy(np.float64), scores["highlights"].to_numpy(np.float64)
    median = np.exp(np.log(np.maximum(b, 1e-3)) - features["brightness_vs_collection"].to_numpy())
    with np.errstate(invalid="ignore"):
        floor = high < BLACK_HIGHLIGHTS
        night = (high >= DARK_HIGHLIGHTS) & (b < NIGHT_BRIGHTNESS)
        darker = features["brightness_vs_collection"].to_numpy() < np.log(DARK_RELATIVE)
        learned = (p >= MODEL_THRESHOLD) & ~night & darker
    reasons = [(f"mean brightness {v:.2f} and its highlights reach only {h:.2f} (dark in any collection)" if f else
                f"dark by the learned model ({q:.0%}): mean brightness {v:.2f} (this collection's median {m:.2f}), "
                f"its highlights reach {h:.2f}") if f or lr else ""
               for v, h, m, q, f, lr in zip(b, high, median, p, floor, learned)]
    return floor | learned, np.where(floor, 1.0, p), reasons


def _overexposed(scores):
    flagged, badness, reasons = _by_size(scores, _overexposed_learned, _overexposed_rule)
    backdrop = scores["backdrop"].to_numpy(np.float64)
    framed = np.nan_to_num(backdrop) > 0
    if not framed.any():
        return flagged, badness, reasons
    clipped = scores["clipped"].to_numpy(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        subject = np.clip((clipped - backdrop) / (1 - backdrop), 0, 1)
        blown = subject > OVER_FLOOR
    reasons = [(f"{v:.0%} of the subject's pixels are blown out, over {OVER_FLOOR:.0%} (the white backdrop "
                f"around it, {b:.0%} of the frame, left out)" if o else "") if f else r
               for r, f, o, v, b in zip(reasons, framed, blown, subject, backdrop)]
    return np.where(framed, blown, flagged), np.where(framed, subject, badness), reasons


def _overexposed_learned(scores):
    features, p = _learned(scores, "overexposed")
    c, b = scores["clipped"].to_numpy(np.float64), scores["brightness"].to_numpy(np.float64)
    s, high = scores["shadows"].to_numpy(np.float64), scores["highlights"].to_numpy(np.float64)
    with np.errstate(invalid="ignore"):
        floor = c > OVER_FLOOR
        white = (high >= REACHES_WHITE) | (c > OVER_CLIPPED) | (s > VEILED_SHADOWS)
        learned = (p >= MODEL_THRESHOLD) & white
    shadow = _Collection(scores["shadows"], log=False, min_spread=0.05)
    washed = _washed(scores, shadow) & ~floor & ~learned  # a veil that leaves the whites under white
    reasons = [(f"{v:.0%} of the pixels are blown out (over {OVER_FLOOR:.0%}: overexposed in any collection)" if f
                else f"washed out: its darkest {SHADOW_QUANTILE:.0%} are at {sv:.2f} or brighter (this collection's "
                f"median {shadow.typical:.2f}), its mean brightness is {bv:.2f} and its highlights reach {h:.2f}" if w
                else f"overexposed by the learned model ({q:.0%}): mean brightness {bv:.2f}, {v:.0%} blown out, "
                f"its darkest {SHADOW_QUANTILE:.0%} at {sv:.2f} or brighter, its highlights at {h:.2f}")
               if f or lr or w else "" for v, bv, sv, h, q, f, lr, w in zip(c, b, s, high, p, floor, learned, washed)]
    return floor | learned | washed, np.where(floor, 1.0, np.fmax(p, washed)), reasons


def _blurry_rule(scores):
    width = _Collection(scores["edge_width"], min_spread=BLUR_SPREAD)
    w = width.values
    with np.errstate(invalid="ignore"):
        floor = w > BLUR_FLOOR_WIDTH
        relative = (w > BLUR_WIDTH) & ((width.z > BLUR_TAIL_Z) | ~width.enough)
    reasons = [(f"its sharpest edges are {v:.1f} px wide, over {BLUR_FLOOR_WIDTH} (blurry in any collection)" if f else
                f"its sharpest edges are {v:.1f} px wide, over {BLUR_WIDTH}, and in the widest {_pct(1 - r + 1 / len(w))} "
                f"of this collection (median {width.typical:.1f} px)") if f or rel else ""
               for v, f, rel, r in zip(w, floor, relative, width.rank)]
    return floor | relative, (w - 1) / (2 * BLUR_FLOOR_WIDTH - 1), reasons


def _dark_rule(scores):
    bright = _Collection(scores["brightness"], min_spread=0.2)
    b, high = bright.values, scores["highlights"].to_numpy(np.float64)
    with np.errstate(invalid="ignore"):
        dim = high < DARK_HIGHLIGHTS
        floor = (high < BLACK_HIGHLIGHTS) | (dim & (b < DARK_FLOOR))
        relative = dim & (b < DARK_CEILING) & (bright.z < DARK_TAIL_Z)
    reasons = [(f"mean brightness {v:.2f} and its highlights reach only {h:.2f} (dark in any collection)" if f else
                f"mean brightness {v:.2f} is in the darkest {_pct(r)} of this collection (median {bright.typical:.2f}, "
                f"{-z:.1f} robust SDs under it), under {DARK_CEILING}, and its highlights reach only {h:.2f}")
               if f or rel else "" for v, h, f, rel, r, z in zip(b, high, floor, relative, bright.rank, bright.z)]
    return floor | relative, 1 - b / DARK_CEILING, reasons


def _overexposed_rule(scores):
    clip = _Collection(scores["clipped"], log=False, min_spread=0.03)
    shadow = _Collection(scores["shadows"], log=False, min_spread=0.05)
    c, b, s = clip.values, scores["brightness"].to_numpy(np.float64), shadow.values
    high = scores["highlights"].to_numpy(np.float64)
    with np.errstate(invalid="ignore"):
        floor = c > OVER_FLOOR
        relative = (c > OVER_MIN_CLIPPED) & (b > OVER_MIN_BRIGHTNESS) & (clip.z > OVER_TAIL_Z)
    washed = _washed(scores, shadow)
    reasons = [(f"{v:.0%} of the pixels are blown out (over {OVER_FLOOR:.0%}: overexposed in any collection)" if f
                else f"{v:.0%} of the pixels are blown out, more than {_pct(1 - r + 1 / len(c))} of this collection "
                f"(median {clip.typical:.0%}), and its mean brightness is {bv:.2f}" if rel
                else f"washed out: its darkest {SHADOW_QUANTILE:.0%} are at {sv:.2f} or brighter (this collection's "
                f"median {shadow.typical:.2f}), its mean brightness is {bv:.2f} and its highlights reach {h:.2f}")
               if f or rel or w else "" for v, bv, sv, h, f, rel, w, r in
               zip(c, b, s, high, floor, relative, washed, clip.rank)]
    return floor | relative | washed, np.fmax(c, (s - LIFTED_SHADOWS) / (1 - LIFTED_SHADOWS)), reasons


def _by_size(scores, learned, rule):
    """The learned check's result where an image's long side reaches MODEL_MIN_SIDE, the rule's elsewhere."""
    small = np.fmax(scores["width"].to_numpy(np.float64), scores["height"].to_numpy(np.float64)) < MODEL_MIN_SIDE
    if not small.any():
        return learned(scores)
    if small.all():
        return rule(scores)
    (a, sa, ra), (b, sb, rb) = learned(scores), rule(scores)
    return np.where(small, b, a), np.where(small, sb, sa), [y if s else x for x, y, s in zip(ra, rb, small)]


def _washed(scores, shadow=None) -> np.ndarray:
    """Overexposed by a lost black point (see LIFTED_SHADOWS)."""
    shadow = shadow or _Collection(scores["shadows"], log=False, min_spread=0.05)
    b, s = scores["brightness"].to_numpy(np.float64), shadow.values
    high = scores["highlights"].to_numpy(np.float64)
    with np.errstate(invalid="ignore"):
        lifted = (s > LIFTED_SHADOWS) & (high >= LIFTED_HIGHLIGHTS) | (s > VEILED_SHADOWS)
        return lifted & (b > WASHED_BRIGHTNESS) & (shadow.z > WASHED_TAIL_Z)


def _low_information(scores):
    detail, brightness = scores["detail"].to_numpy(np.float64), scores["brightness"].to_numpy(np.float64)
    detailed, shadows = scores["detailed"].to_numpy(np.float64), scores["shadows"].to_numpy(np.float64)
    relative = detail / (brightness + DETAIL_OFFSET)
    # a washed-out photo's veil scales its detail down with the tonal range it leaves (1 - shadows):
    # judged against that range it is overexposed, not blank, unless nothing is left under the veil
    toned = scores["highlights"].to_numpy(np.float64) - shadows >= VEILED_RANGE
    washed = _washed(scores) & toned
    relative = np.where(washed, detail / (1 - shadows + DETAIL_OFFSET), relative)
    with np.errstate(invalid="ignore"):
        faint = relative < LOW_DETAIL
        sparse = (detailed < LOW_DETAILED) & ~washed
    reasons = [f"near-blank: its detail varies by {v:.3f} per unit of brightness, under {LOW_DETAIL} "
               f"(SD {d:.4f} at mean brightness {b:.2f})" if f else
               f"near-blank: only {share:.1%} of it has any detail (under {LOW_DETAILED:.0%})" if sp else ""
               for v, d, b, share, f, sp in zip(relative, detail, brightness, detailed, faint, sparse)]
    badness = np.fmax(1 - relative / LOW_DETAIL, 1 - detailed / LOW_DETAILED)
    return faint | sparse, badness, reasons


def _odd_size(scores):
    width, height = scores["width"].to_numpy(np.float64), scores["height"].to_numpy(np.float64)
    side = np.fmax(width, height)
    size = _Collection(pd.Series(side), min_spread=SIZE_SPREAD)
    ratio = side / size.typical
    with np.errstate(invalid="ignore"):
        tiny = side < TINY_SIDE
        tight = np.abs(size.z) >= SIZE_Z  # beyond what this collection's sizes vary by
        short, long = np.where(tight, TIGHT_TINY_RATIO, TINY_RATIO), np.where(tight, TIGHT_HUGE_RATIO, HUGE_RATIO)
        relative = ((ratio < 1 / short) | (ratio > long)) & size.enough
    reasons = [(f"{w:.0f}x{h:.0f} px is tiny (a long side under {TINY_SIDE} px is odd in any collection)" if t else
                f"{w:.0f}x{h:.0f} px: its long side is {max(q, 1 / q):.1f} times {'shorter' if q < 1 else 'longer'} "
                f"than this collection's median of {size.typical:.0f} px, beyond {lo if q < 1 else hi:g}x"
                + (" in a collection whose sizes keep close to it" if lo < TINY_RATIO else ""))
               if t or rel else "" for w, h, q, t, rel, lo, hi in zip(width, height, ratio, tiny, relative, short, long)]
    badness = np.abs(np.log(ratio)) / np.log(TINY_RATIO**2)  # 1 at 16 times the median
    return tiny | relative, np.where(tiny, 1.0, badness), reasons


def _odd_aspect(scores):
    aspect = scores["aspect"].to_numpy(np.float64)
    elongation = np.maximum(aspect, 1 / aspect)
    typical = float(np.nanmedian(elongation)) if np.isfinite(elongation).sum() >= MIN_COLLECTION else 1.0
    with np.errstate(invalid="ignore"):
        flagged = (elongation >= ODD_ASPECT) & (elongation >= ODD_ASPECT_RATIO * typical)
    reasons = [f"{e:.1f}:1 ({'wide' if a > 1 else 'tall'}) is beyond {ODD_ASPECT:g}:1 and {ODD_ASPECT_RATIO:g} times "
               f"this collection's median of {typical:.2f}:1" if f else ""
               for a, e, f in zip(aspect, elongation, flagged)]
    return flagged, np.log(elongation) / np.log(4 * ODD_ASPECT), reasons


def model_features(scores: pd.DataFrame) -> pd.DataFrame:
    """``FEATURES`` of each image of a collection's scores: its own measures and their distance from
    the collection's median (0 where the collection has fewer than MIN_COLLECTION readable images)."""
    width = np.log(scores["edge_width"].to_numpy(np.float64))
    bright = np.log(np.maximum(scores["brightness"].to_numpy(np.float64), 1e-3))
    columns = {"log_width": width, "brightness": scores["brightness"], "highlights": scores["highlights"],
               "shadows": scores["shadows"], "clipped": scores["clipped"]}
    for name, values in (("width", width), ("brightness", bright), ("shadows", scores["shadows"].to_numpy(np.float64)),
                         ("clipped", scores["clipped"].to_numpy(np.float64))):
        finite = values[np.isfinite(values)]
        enough = finite.size >= MIN_COLLECTION
        columns[f"{name}_vs_collection"] = values - float(np.median(finite)) if enough else np.zeros(len(values))
    finite = width[np.isfinite(width)]
    columns["collection_width"] = np.full(len(width), float(np.median(finite)) if finite.size >= MIN_COLLECTION
                                          else math.nan)
    detail = scores["detail"].to_numpy(np.float64) / (scores["brightness"].to_numpy(np.float64) + DETAIL_OFFSET)
    columns["log_detail"] = np.log(np.maximum(detail, 1e-4))
    side = np.fmax(scores["width"].to_numpy(np.float64), scores["height"].to_numpy(np.float64))
    columns["log_side"] = np.log(np.clip(side, 1, WORK_SIDE))
    return pd.DataFrame({name: np.asarray(columns[name], np.float64) for name in FEATURES})


_MODELS: dict | None = None


def _models() -> dict:
    global _MODELS
    if _MODELS is None:
        import json

        data = json.loads(MODEL_FILE.read_text())
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{MODEL_FILE} was fitted on the features {data['features']}, not {list(FEATURES)}: "
                             "refit it with benchmarks/quality_training.py fit")
        _MODELS = {flag: [{key: np.asarray(values) for key, values in tree.items()} for tree in model["trees"]]
                   + [model["baseline"]] for flag, model in data["models"].items()}
    return _MODELS


def model_probability(features: pd.DataFrame, flag: str) -> np.ndarray:
    """The probability of ``flag`` (one of MODEL_FLAGS) of each row of ``model_features``: the sum of
    the trees' leaf values, through a logistic; NaN features go where the fit sent missing values."""
    *trees, baseline = _models()[flag]
    x = features[list(FEATURES)].to_numpy(np.float64)
    raw = np.full(len(x), baseline)
    rows = np.arange(len(x))
    for tree in trees:
        node = np.zeros(len(x), np.int64)
        for _ in range(64):  # deeper than any fitted tree
            inner = tree["leaf"][node] == 0
            if not inner.any():
                break
            value = x[rows, tree["feature"][node]]
            left = np.where(np.isnan(value), tree["nan_left"][node] == 1, value <= tree["threshold"][node])
            node = np.where(inner, np.where(left, tree["left"][node], tree["right"][node]), node)
        raw += tree["value"][node]
    return 1 / (1 + np.exp(-raw))


def _pct(fraction: float) -> str:
    return f"{max(fraction, 1e-4):.0%}" if fraction >= 0.01 else f"{max(fraction, 1e-4):.1%}"


_CHECKS = {"blurry": _blurry, "dark": _dark, "overexposed": _overexposed, "low_information": _low_information,
           "odd_size": _odd_size, "odd_aspect": _odd_aspect}
