"""Pixels decoded once and kept for the review's later steps, so that no photo is decoded twice.

- **The embed stage's decode** (``first_read_keeper``): where a review follows ``imgorg run``, the
  embed stage's decoders finish a large JPEG's 1/8 decode three ways (the model's input, the
  review's quality decode, its thumbnails' decode) and make the review's whole first read of the
  photo there (quality scores, thumbnails, the pixels below), written into the workspace's
  ``cache/first-read/`` under the file's sha256; the review takes it from there by the catalog's
  sha256, without reading the file (``stored_first_read``), and removes the folder
  (``first_read_decodes``).
- **The first read's pixels** (``spill_keeping``): the thumbnails pass (``duplicates.image_thumbnails``)
  measures each image's quality scores on its decode and also writes, into a folder of the
  workspace's cache, what the later checks would decode the image again for: its working pixels,
  which the copy check aligns (``series.WORK_SIDE`` px, 147 KB for a photo), and for a photo of
  ``keypoints.NATIVE_LONG`` px or more its grey pixels, on which the crop check finds keypoints
  (500 px for 12 MP, 188 KB). A check reads them back (``fileio.array_or_npy``: under 1 ms against
  25-30 ms to decode a 12-MP JPEG again). `imgorg duplicates` keeps the grey pixels alone
  (``spill_gray``).

On disk, not in memory, so that any number of photos can keep them: about 335 MB of disk per
1,000 12-MP photos, for the length of the review. Images under ``series.MIN_SIDE`` px keep nothing: neither check looks at
them by default, and they decode again in a tenth of a millisecond where the `similar` kind aligns
them. Where the disk lacks the room (``DISK_MARGIN`` to spare), nothing is kept and the checks
decode again: the same review, slower.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import tempfile
import uuid
import zipfile
from pathlib import Path

import numpy as np
from ..duplicates.keypoints import NATIVE_DRAFT_SIDE, NATIVE_LONG
from ..duplicates.thumbnails import THUMBNAIL_DRAFT, first_read_signatures
from ..errors import ImageDecodeError
from ..parallel import process_alive
from .quality import header_sides, measure_decoded, shared_decodes
from .series import MIN_SIDE, TINY_SIDE, WORK_SIDE, working_bytes

log = logging.getLogger(__name__)

FIRST_READ = "first-read"  # the embed stage's decodes for the review, in the workspace's cache
PREFIX = "review-pixels-"  # the folder's name in the workspace's cache: PREFIX, the process id, a random tail
DISK_MARGIN = 1 << 30  # bytes the disk keeps free beyond what the kept pixels may take


def measure_keeping(data: bytes, decoded=None) -> tuple[dict[str, float], np.ndarray, np.ndarray | None]:
    """(the quality scores, this image's working pixels as 8-bit RGB, its grey pixels where it is a
    photo of ``NATIVE_LONG`` px or more, else None) from the decode the scores were measured on
    (``quality.measure_decoded``): the copy check aligns those working pixels and the crop check finds
    a large photo's keypoints on those grey pixels (``duplicates.keypoints``) instead of decoding the
    image again."""
    scores, image = measure_decoded(data, decoded)
    return (scores, *_kept_arrays(data, image))


def spill_keeping(folder: str, data: bytes, decoded=None,
                  name: str | None = None) -> tuple[dict[str, float], str | None, str | None]:
    """(the quality scores, the path of this image's working pixels, that of its grey pixels or None)
    as ``measure_keeping`` makes them, each written to ``folder`` as a .npy file (``name``.w.npy and
    ``name``.g.npy, by default a random name each). None for an image under ``MIN_SIDE`` px, which
    keeps nothing (and costs nothing more than its scores), and where the disk is full."""
    scores, image = measure_decoded(data, decoded)
    if min(image.size) < MIN_SIDE:
        return scores, None, None
    pixels, gray = _kept_arrays(data, image)
    try:
        return scores, _write(folder, pixels, name and f"{name}.w"), \
            None if gray is None else _write(folder, gray, name and f"{name}.g")
    except OSError:  # the disk filled up since the review began: the checks decode this image again
        return scores, None, None


def _kept_arrays(data: bytes, image) -> tuple[np.ndarray, np.ndarray | None]:
    return working_bytes(image, TINY_SIDE if min(image.size) < MIN_SIDE else WORK_SIDE), _native_gray(data, image)


def _native_gray(data: bytes, image) -> np.ndarray | None:
    """The grey pixels of ``image`` (the quality decode) where ``data`` is a photo of ``NATIVE_LONG`` px
    or more: those the crop check finds its keypoints on; else None."""
    return np.asarray(image.convert("L")) if max(header_sides(data)) >= NATIVE_LONG else None


def spill_gray(folder: str, data: bytes, decoded) -> str | None:
    """The path of the grey pixels the crop check would find a photo's keypoints on, written to
    ``folder``, where ``decoded`` is that decode already (a JPEG of ``NATIVE_LONG`` px or more, which
    ``quality.shared_decode`` decodes once for its thumbnails and its quality decode); else None.
    What `imgorg duplicates` keeps from its thumbnails pass (it measures no quality)."""
    gray = None if decoded is None or max(decoded.size) < NATIVE_DRAFT_SIDE else _native_gray(data, decoded)
    if gray is None:
        return None
    try:
        return _write(folder, gray)
    except OSError:
        return None


def first_read_keeper(cache: Path, model: tuple[int, int]):
    """``Preprocess.first_read`` for an embed stage a review follows (``imgorg run``): a large JPEG
    is decoded once at 1/8 for the model (``model``: its (draft size, reduce gap)), the review's
    quality decode and its thumbnails' decode, and the review's whole first read of it is made
    there (``keep_first_read``) and written into ``cache``'s ``FIRST_READ`` folder under the file's
    sha256, where the review takes it instead of reading the photo again (``stored_first_read``)."""
    return functools.partial(keep_first_read, str(Path(cache) / FIRST_READ), model)


def keep_first_read(folder: str, model: tuple[int, int], data: bytes, sha: str):
    """The model's decode of ``data`` where it shares one decode with the review's two; the review's
    first read of it (its quality scores, thumbnails and kept pixels) is then written to ``folder``
    (while the disk keeps ``DISK_MARGIN`` free). Else None."""
    found = shared_decodes(data, THUMBNAIL_DRAFT, model)
    if found is None:
        return None
    quality, thumbnail, image = found
    try:
        os.makedirs(folder, exist_ok=True)  # made by the first photo kept: a run refused earlier leaves nothing
        if shutil.disk_usage(folder).free > DISK_MARGIN:
            _write_first_read(folder, sha, data, quality, thumbnail)
    except (OSError, ValueError, ImageDecodeError):  # no room, the folder went, or a header that fails:
        pass  # the review reads this photo itself
    return image


def _write_first_read(folder: str, sha: str, data: bytes, quality, thumbnail) -> None:
    """What ``_thumbnail_chunk`` and ``spill_keeping`` make of one photo, as ``sha``'s files in ``folder``:
    its kept pixels (``.w.npy``, ``.g.npy``) and, written last and whole (so that a run killed
    meanwhile leaves no half of it), the rest (``.npz``)."""
    scores, working, gray = spill_keeping(folder, data, quality, name=sha)
    if working is None:  # no room: the review reads this photo itself
        return
    (search, views), as_is = first_read_signatures(thumbnail)
    framed = {} if as_is is None else {"framed_search": as_is[0], "framed_views": as_is[1]}
    part = os.path.join(folder, f"{sha}.{os.getpid()}.part.npz")
    np.savez(part, search=search, views=views, names=np.array(list(scores)), scores=np.array(list(scores.values())),
             gray=np.array(gray is not None), **framed)
    os.replace(part, os.path.join(folder, f"{sha}.npz"))


def stored_first_read(folder: str, sha: str):
    """``keep_first_read``'s first read of the file whose sha256 is ``sha`` as
    ``duplicates.image_thumbnails`` takes it (((search, views), those with the frame or None), (quality
    scores, working pixels' file, grey pixels' file or None)); None where none was kept."""
    try:
        with np.load(os.path.join(folder, f"{sha}.npz"), allow_pickle=False) as stored:
            framed = (stored["framed_search"], stored["framed_views"]) if "framed_search" in stored else None
            scores = dict(zip(stored["names"].tolist(), stored["scores"].tolist()))
            gray = os.path.join(folder, f"{sha}.g.npy") if bool(stored["gray"]) else None
            return ((stored["search"], stored["views"]), framed), (scores, os.path.join(folder, f"{sha}.w.npy"), gray)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # not kept (an embedding from the cache)
        return None


def drop_first_read(cache: Path) -> None:
    """Remove what ``keep_first_read`` wrote into ``cache`` for a review that will not read it: a run
    interrupted while embedding, or one without a review after it (the files are named by content, so a
    review would read them correctly, but nothing else ever removes them)."""
    shutil.rmtree(Path(cache) / FIRST_READ, ignore_errors=True)


@contextlib.contextmanager
def first_read_decodes(cache: Path):
    """``stored_first_read`` for the review's first read where the embed stage kept its first reads in
    ``cache`` (``first_read_keeper``), which are removed afterwards; else None."""
    folder = Path(cache) / FIRST_READ
    if not folder.is_dir():
        yield None
        return
    try:
        yield functools.partial(stored_first_read, str(folder))
    finally:
        drop_first_read(cache)


@contextlib.contextmanager
def kept_pixels_folder(cache: Path, sizes: np.ndarray):
    """A fresh folder under ``cache`` for the pixels of images of ``sizes`` ((n, 2) widths and heights
    from the catalog, NaN where unknown), removed afterwards; None where the disk lacks the room or
    the cache cannot be written. Folders left by a review that was killed are removed first."""
    folder = _new_folder(Path(cache), sizes)
    try:
        yield folder
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _new_folder(cache: Path, sizes: np.ndarray) -> Path | None:
    try:
        cache.mkdir(parents=True, exist_ok=True)
        _remove_orphans(cache)
        need, free = kept_bytes(sizes), shutil.disk_usage(cache).free
        if need + DISK_MARGIN > free:
            log.info("%.1f GB free beside %s: the review's copy checks decode photos again instead of keeping "
                     "%.1f GB of their pixels", free / 1e9, cache, need / 1e9)
            return None
        return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=cache))
    except OSError as err:  # a workspace this user may read but not write
        log.info("cannot keep pixels in %s (%s): the review's copy checks decode photos again", cache, err)
        return None


def catalog_sizes(images) -> np.ndarray:
    """(n, 2) widths and heights from a catalog, NaN where it does not know them."""
    if not {"width", "height"} <= set(images.columns):
        return np.full((len(images), 2), np.nan)
    return images[["width", "height"]].astype("float64").to_numpy()


def kept_bytes(sizes: np.ndarray) -> int:
    """At most what ``spill_keeping`` writes for images of these sizes (an image of unknown size counts
    as a 12-MP photo)."""
    sizes = np.asarray(sizes, np.float64).reshape(-1, 2)
    sizes = np.where(np.isfinite(sizes), sizes, [4000.0, 3000.0])
    short, long = sizes.min(axis=1), sizes.max(axis=1)
    working = np.where(short >= MIN_SIDE, 3 * WORK_SIDE * np.ceil(WORK_SIDE * short / long), 0)
    gray = np.where(long >= NATIVE_LONG, np.ceil(long / 8) * np.ceil(short / 8), 0)  # the 1/8 JPEG decode
    return int((working + gray).sum() + 128 * 2 * len(sizes))  # and each .npy file's header


def _write(folder: str, pixels: np.ndarray, name: str | None = None) -> str:
    path = os.path.join(folder, f"{name or uuid.uuid4().hex}.npy")
    np.save(path, pixels, allow_pickle=False)
    return path


def _remove_orphans(cache: Path) -> None:
    for folder in cache.glob(f"{PREFIX}*"):
        try:
            pid = int(folder.name[len(PREFIX):].split("-")[0])
        except ValueError:
            continue
        if not process_alive(pid):
            shutil.rmtree(folder, ignore_errors=True)

