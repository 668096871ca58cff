"""Groups of duplicates: exact copies by content hash, near copies as stars of scored pairs.

Pairs form groups as stars, not connected components: each member is a copy of its group's
centre. Chains of look-alikes (ship A like ship B like ship C ...) made components of 78
different ships in CIFAR-10's test images. Each group gets one keep candidate (``keep_keys``):
real files before symbolic links, then images that are no crop of another member (a 9:16 phone
crop saved at 1080x1920 has as many pixels as its 1920x1080 original), then those not rejected,
the camera's own file, a capture time, GPS, a rating or keywords, most pixels, the least compressed,
..., then lowest id.
"""

from __future__ import annotations

import heapq
import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..formats import RAW_EXTENSIONS
from ..metadata import CAPTURE_SOURCES, SOURCE_EXIF_DATETIME
from ..sources import source_path
from .scoring import pair_cosines, pair_scores
from .thumbnails import Thumbnails

COLUMNS = ["group", "id", "path", "kind", "similarity", "keep"]


def duplicate_groups(n: int, sha256: np.ndarray, pairs: np.ndarray | None = None) -> np.ndarray:
    """A group number per row (-1: no duplicate); equal hashes always share a group.

    Near pairs form stars: the image with the most copies not yet grouped becomes a
    centre and takes those copies, again until no pair is left. Every member is thus
    a copy of its centre, and a chain of look-alikes does not become one group."""
    exact = _components(n, hash_pairs(sha256))  # identical files act as one image
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


def hash_pairs(sha256: np.ndarray) -> np.ndarray:
    codes = pd.factorize(pd.Series(sha256))[0]  # missing hashes get -1 and are never paired
    order = np.argsort(codes, kind="stable")
    same = (codes[order][1:] == codes[order][:-1]) & (codes[order][1:] >= 0)
    return np.stack([order[:-1][same], order[1:][same]], axis=1).astype(np.int64)


def _number_by_first_row(component: np.ndarray) -> np.ndarray:
    """Groups numbered 0.. in the order of their first row, so the output is stable."""
    _, first_index, inverse = np.unique(component, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first_index))
    return rank[inverse]


def duplicates_frame(images: pd.DataFrame, embeddings: np.ndarray | None, groups: np.ndarray,
                     root: str | Path | None = None, thumbnails: Thumbnails | None = None,
                     crops: np.ndarray | None = None) -> pd.DataFrame:
    """One row per image in a group, keep candidate first, with its similarity to the keeper:
    the pair score the threshold applies to when ``thumbnails`` are given, else the embedding cosine.
    ``crops``: (crop row, row of the image it was cut from) found by keypoints; such a crop of the
    keeper is of kind "crop" (its score is below the threshold: no thumbnail view lines it up)."""
    out = []
    crops = np.empty((0, 2), np.int64) if crops is None else np.asarray(crops, np.int64).reshape(-1, 2)
    for group in np.unique(groups[groups >= 0]):
        rows = np.flatnonzero(groups == group)
        members = images.iloc[rows]
        inside = crops[np.isin(crops, rows).all(axis=1)]  # crop pairs within the group
        order = _keep_order(members, root, np.isin(rows, inside[:, 0]))
        rows, members = rows[order], members.iloc[order]
        with_keeper = np.stack([np.full(len(rows), rows[0]), rows], axis=1)
        sims = (pair_scores(with_keeper, embeddings, thumbnails) if thumbnails is not None
                else pair_cosines(with_keeper, embeddings))
        sims[members["sha256"].to_numpy() == members["sha256"].iloc[0]] = 1.0  # the same file
        kinds = _kinds(members["sha256"].to_numpy())
        kinds[np.isin(rows, inside[inside[:, 1] == rows[0], 0]) & (kinds == "near")] = "crop"
        out.append(pd.DataFrame({
            "group": int(group), "id": members["id"].to_numpy(), "path": members["path"].to_numpy(),
            "kind": kinds, "similarity": np.round(sims, 4),
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


# What a camera or phone wrote, kept over a JPEG or PNG made from it: camera RAW (catalogued by its kind:
# "DNG", "NEF", "CR3", ...; "RAW" where the kind is unknown), HEIF and AVIF.
# A file name as copying makes it: "IMG_1 copy.jpg", "IMG_1 (2).jpg", "IMG_1 - Copy.jpg", "Copy of IMG_1.jpg",
# "copy_0.jpg": of identical files, the one not so named is kept
COPY_NAME = re.compile(r"(^|[\s_-])copy([\s_-]*\d+)?$|^copy of\b|\s\(\d+\)$", re.IGNORECASE)
ORIGINAL_FORMATS = frozenset({"RAW", "HEIF", "AVIF", *(ext.lstrip(".").upper() for ext in RAW_EXTENSIONS)})


# A capture time the keep rule counts: EXIF DateTime alone is when the file was last saved (an editor's
# export, a scanner's scan: a flatbed writes the day it scanned the print there), no time the photo was taken
SHOT_TIME_SOURCES = CAPTURE_SOURCES - {SOURCE_EXIF_DATETIME}


def _keep_order(members: pd.DataFrame, root: str | Path | None, cropped: np.ndarray | None = None) -> np.ndarray:
    """Order of ``members``, the copy to keep first, by ``keep_keys``."""
    return np.lexsort([key for _, key in reversed(keep_keys(members, root, cropped))])


def keep_keys(members: pd.DataFrame, root: str | Path | None = None,
              cropped: np.ndarray | None = None) -> list[tuple[str, np.ndarray]]:
    """The keep order's rules as (name, a key per member, lowest kept first), the first rule deciding:
    real files before symbolic links (deleting the target would break the link; "link"), then images
    that are no crop of another member (``cropped``; "crop"), then those a person did not reject (a rating
    under 0: XMP's -1; "rejected"), then the camera's own format (RAW, HEIC, or a JPEG with its camera RAW
    beside it) over a conversion of it ("original"), then the copy with a capture time (``SHOT_TIME_SOURCES``:
    not EXIF DateTime alone, a scanner's or an editor's save; "time"), then with
    GPS ("gps"), then with a rating of 1 or more or keywords (a person's own; "marked"), then most pixels
    (the catalog's size, else the file header's; "pixels"), then the least compressed (bytes per pixel,
    then bytes; "bytes"), then a file not named like a copy (``COPY_NAME``) nor in a backup folder
    ("copy name"), then the oldest file time (where no capture time was read; "file time"), then lowest
    id ("first"). ``keep_reasons`` tells which of them set the copy kept apart."""
    n = len(members)
    column = lambda name: members[name] if name in members else pd.Series([None] * n, index=members.index)  # noqa: E731
    links = np.array([source_path(root, p).is_symlink() for p in members["path"]], bool) if root else np.zeros(n, bool)
    cropped = np.zeros(n, bool) if cropped is None else np.asarray(cropped, bool)
    converted = ~(column("format").isin(ORIGINAL_FORMATS).to_numpy() | column("original").notna().to_numpy())
    no_time = ~column("taken_at_source").isin(list(SHOT_TIME_SOURCES)).to_numpy()
    no_gps = column("gps_lat").isna().to_numpy()
    rating = pd.to_numeric(column("rating"), errors="coerce").astype("float64").to_numpy()
    unmarked = ~(rating > 0) & column("keywords").isna().to_numpy()
    pixels = member_pixels(members, root)
    size = pd.to_numeric(column("bytes"), errors="coerce").astype("float64").fillna(0).to_numpy()
    ids = pd.to_numeric(column("id"), errors="coerce").astype("float64").to_numpy()
    ids = np.where(np.isnan(ids), np.arange(n), ids)
    return [("link", links), ("crop", cropped), ("rejected", rating < 0), ("original", converted),
            ("time", no_time), ("gps", no_gps), ("marked", unmarked), ("pixels", -pixels),
            ("bytes", -size / np.maximum(pixels, 1)), ("bytes", -size), ("copy name", copy_named(members["path"])),
            ("file time", file_times(members)), ("first", ids)]


def keep_reasons(keys: list[tuple[str, np.ndarray]], kept: int = 0) -> list[str]:
    """The rules of ``keys`` (``keep_keys``) that set member ``kept`` (a position) before the others, in
    their order: for each other member, the first rule that sets it after the kept one. In the keep order
    that is the first rule the two are not level by; where a rule would set the other first, a later
    keep rule overrode the order (the sharp copy kept over a blurry one), and the next rule that sets it
    after is taken. Empty where no rule sets any other after."""
    others = np.arange(len(keys[0][1])) != kept if keys else np.zeros(0, bool)
    decided = np.zeros(len(others), bool)
    names = []
    for name, key in keys:
        after = others & ~decided & (key > key[kept])
        if after.any() and name not in names:
            names.append(name)
        decided |= after
    return names


def member_pixels(members: pd.DataFrame, root: str | Path | None = None) -> np.ndarray:
    """Each member's pixels: its width x height as the catalog has them (a camera RAW's size, not its
    preview's), else read from the file header under ``root``, else 0."""
    n = len(members)
    pixels = np.zeros(n)
    if {"width", "height"} <= set(members.columns):
        size = [pd.to_numeric(members[c], errors="coerce").astype("float64").to_numpy() for c in ("width", "height")]
        pixels = size[0] * size[1]
    unknown = ~(np.isfinite(pixels) & (pixels > 0))
    if root and unknown.any():
        pixels[unknown] = [_pixels(root, p) for p in members["path"].to_numpy()[unknown]]
    return np.where(np.isfinite(pixels), pixels, 0.0)


BACKUP_FOLDER = re.compile(r"^(backups?|copies|copy)$", re.IGNORECASE)  # a folder of copies: Backup/DSC01001.JPG


def copy_named(paths) -> np.ndarray:
    """Whether each file's name is one copying makes (``COPY_NAME``), or it sits in a backup folder
    (``BACKUP_FOLDER``): of identical files, the other is the original."""
    def copied(path: str) -> bool:
        parts = Path(path).parts
        return bool(COPY_NAME.search(Path(path).stem.strip())) or any(BACKUP_FOLDER.match(p) for p in parts[:-1])

    return np.array([copied(str(p)) for p in paths], bool)


def file_times(members: pd.DataFrame) -> np.ndarray:
    """Seconds of each file's modification time where that is its only time (``taken_at_source`` "file");
    +inf elsewhere: an older file is the original of an identical one, a capture time says nothing."""
    if "taken_at" not in members or "taken_at_source" not in members:
        return np.full(len(members), np.inf)
    taken = pd.to_datetime(members["taken_at"], errors="coerce")
    seconds = (taken - pd.Timestamp(0)).dt.total_seconds().to_numpy(np.float64)
    return np.where((members["taken_at_source"] == "file").to_numpy(bool) & ~np.isnan(seconds), seconds, np.inf)


def _pixels(root: str | Path, relpath: str) -> int:
    from PIL import Image

    try:
        with Image.open(source_path(root, relpath)) as image:
            return image.width * image.height
    except Exception:  # the file changed since the run: rank it by bytes alone
        return 0
