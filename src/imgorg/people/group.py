"""Faces into people: chinese whispers on the graph of descriptor pairs closer than a threshold,
then the rule that two faces of one photo are never one person.

Chinese whispers (dlib's, deterministic) lets each face take the label most of its neighbours
hold, so a chain of near pairs does not merge people the way linking every pair under the
threshold does (at 0.6, 1,216 of the 1,258 grouped faces in the photos of 62 LFW people fell
into one linked group). Pairs are found in blocks of the distance matrix, so the graph costs
memory for its edges only, not n^2.

Chinese whispers still chains two alike people through faces between them (two LFW people and
five strangers became one group of 43), so each group is cut by average linkage where its
parts' mean distance reaches ``cut`` (parts whose centres lie within ``rejoin`` stay together),
and then a face stays in a group, or moves to another, only within ``reach`` of its centre.

A group that still holds two faces of one photo is split: the faces of its photo with the most
faces each seed a part, and the others join, nearest first, the nearest part that has no face of
their photo yet (a new part when every part has one).
"""

from __future__ import annotations

import numpy as np

from .detect import require_dlib

UNRECOGNISED = -1  # the person of a face too small or too unsure to group
BLOCK_CELLS = 4_000_000  # distances computed at once while finding close pairs (16 MB)


def close_pairs(descriptors: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, distance) of every pair i < j whose Euclidean distance is under ``threshold``."""
    x = np.ascontiguousarray(descriptors, np.float32)
    n = len(x)
    norms = np.einsum("ij,ij->i", x, x)
    block = max(1, BLOCK_CELLS // max(n, 1))
    found_i, found_j, found_d = [], [], []
    for start in range(0, n, block):
        rows = slice(start, min(n, start + block))
        squared = norms[rows, None] + norms[None, :] - 2.0 * (x[rows] @ x.T)
        i, j = np.nonzero(squared < threshold * threshold)
        i += start
        keep = i < j
        found_i.append(i[keep])
        found_j.append(j[keep])
        found_d.append(np.sqrt(np.maximum(squared[i[keep] - start, j[keep]], 0.0)))
    if not found_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    return np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_d).astype(np.float32)


def chinese_whispers(descriptors: np.ndarray, threshold: float) -> np.ndarray:
    """A label per face (arbitrary numbers) from dlib's chinese whispers on the pairs under ``threshold``."""
    n = len(descriptors)
    if n == 0:
        return np.zeros(0, np.int64)
    dlib = require_dlib()
    i, j, _ = close_pairs(descriptors, threshold)
    # every face gets a self-edge, so one with no close pair is still a vertex of the graph
    edges = [(k, k) for k in range(n)] + list(zip(i.tolist(), j.tolist()))
    return np.asarray(dlib.chinese_whispers(edges), np.int64)


def split_by_average(labels: np.ndarray, descriptors: np.ndarray, cut: float, largest: int = 5000,
                     rejoin: float | None = None) -> np.ndarray:
    """Labels where each group is cut where the mean distance between two of its parts reaches ``cut``
    (average linkage within the group). Chinese whispers chains two alike people through a few
    faces between them; their faces' mean distance keeps them apart. A group of more than
    ``largest`` faces (its distance matrix would pass 100 MB) stays whole."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    labels = np.asarray(labels, np.int64).copy()
    next_label = int(labels.max()) + 1 if len(labels) else 0
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < 3 or len(members) > largest:
            continue
        tree = linkage(pdist(np.asarray(descriptors[members], np.float64)), method="average")
        parts = fcluster(tree, t=cut, criterion="distance")
        if rejoin is not None:
            parts = _rejoin(parts, np.asarray(descriptors[members], np.float64), rejoin)
        for part in np.unique(parts)[1:]:
            labels[members[parts == part]] = next_label
            next_label += 1
    return labels


def _rejoin(parts: np.ndarray, x: np.ndarray, within: float) -> np.ndarray:
    """Parts merged back, closest centres first, while two centres lie within ``within``."""
    parts = parts.copy()
    while True:
        values = np.unique(parts)
        if len(values) < 2:
            return parts
        centres = np.stack([x[parts == v].mean(0) for v in values])
        gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2)
        gaps[np.diag_indices(len(values))] = np.inf
        a, b = np.unravel_index(np.argmin(gaps), gaps.shape)
        if gaps[a, b] >= within:
            return parts
        parts[parts == values[b]] = values[a]


def refine_by_centres(labels: np.ndarray, descriptors: np.ndarray, reach: float, min_size: int = 3,
                      rounds: int = 10) -> np.ndarray:
    """Labels where each face of a group of ``min_size`` or more lies within ``reach`` of its group's
    centre (the mean of its other faces), else it leaves as a group of its own; and a face within
    ``reach`` of another such group's centre, nearer than its own, moves there. Repeated until
    nothing moves (at most ``rounds`` times).

    A face joins a chinese-whispers group through one close pair; the group's centre is the surer
    test: on 50 LFW people, 1% of faces lay farther than 0.45 from their own person's centre, and
    0.5% nearer than 0.45 to another person's (docs/people.md)."""
    x = np.asarray(descriptors, np.float64)
    labels = np.asarray(labels, np.int64).copy()
    if len(labels) == 0:
        return labels
    for _ in range(rounds):
        values, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
        big = np.flatnonzero(counts >= min_size)
        if not len(big):
            break
        sums = np.zeros((len(values), x.shape[1]))
        np.add.at(sums, inverse, x)
        own_count = counts[inverse]
        own = np.full(len(x), np.inf)
        member = own_count >= min_size
        loo = (sums[inverse[member]] - x[member]) / (own_count[member, None] - 1)
        own[member] = np.linalg.norm(x[member] - loo, axis=1)
        best, best_group = _nearest_centres(x, sums[big] / counts[big, None], inverse, big)
        moves = (best < reach) & (best < own)
        leaves = ~moves & member & (own > reach)
        if not moves.any() and not leaves.any():
            break
        labels[moves] = values[big[best_group[moves]]]
        fresh = labels.max() + 1
        labels[leaves] = fresh + np.arange(int(leaves.sum()))
    return labels


def _nearest_centres(x: np.ndarray, centres: np.ndarray, inverse: np.ndarray, big: np.ndarray):
    """(distance, index into ``big``) of each face's nearest centre other than its own group's."""
    best = np.full(len(x), np.inf)
    best_group = np.zeros(len(x), np.int64)
    block = max(1, BLOCK_CELLS // max(len(centres), 1))
    centre_norms = np.einsum("ij,ij->i", centres, centres)
    for start in range(0, len(x), block):
        rows = slice(start, min(len(x), start + block))
        squared = np.einsum("ij,ij->i", x[rows], x[rows])[:, None] + centre_norms[None] - 2.0 * x[rows] @ centres.T
        squared[inverse[rows, None] == big[None, :]] = np.inf  # its own group is measured without it
        best_group[rows] = np.argmin(squared, 1)
        best[rows] = np.sqrt(np.maximum(squared[np.arange(squared.shape[0]), best_group[rows]], 0.0))
    return best, best_group


def split_shared_photos(labels: np.ndarray, descriptors: np.ndarray, image_ids: np.ndarray) -> np.ndarray:
    """Labels where no group holds two faces of one image; groups without such a pair stay as they are."""
    labels = np.asarray(labels, np.int64).copy()
    image_ids = np.asarray(image_ids)
    next_label = int(labels.max()) + 1 if len(labels) else 0
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(np.unique(image_ids[members])) == len(members):
            continue
        parts = _split_group(members, descriptors, image_ids)
        for part in parts[1:]:
            labels[part] = next_label
            next_label += 1
    return labels


def _split_group(members: np.ndarray, descriptors: np.ndarray, image_ids: np.ndarray) -> list[np.ndarray]:
    """Parts of one group, none with two faces of one image (the first part keeps the group's label)."""
    images, counts = np.unique(image_ids[members], return_counts=True)
    seed_image = images[np.argmax(counts)]  # np.unique sorts: ties go to the smallest image id
    seeds = [int(m) for m in members if image_ids[m] == seed_image]
    parts = [[m] for m in seeds]
    taken = [{image_ids[m]} for m in seeds]
    centres = [descriptors[m].astype(np.float64) for m in seeds]
    rest = [int(m) for m in members if image_ids[m] != seed_image]
    while rest:
        vectors = descriptors[rest].astype(np.float64)
        distances = np.stack([np.linalg.norm(vectors - centre, axis=1) for centre in centres], 1)
        for p, images_of_part in enumerate(taken):
            distances[[image_ids[m] in images_of_part for m in rest], p] = np.inf
        row, part = np.unravel_index(np.argmin(distances), distances.shape)
        face = rest.pop(int(row))
        if not np.isfinite(distances[row, part]):  # every part has a face of its photo: a part of its own
            parts.append([face])
            taken.append({image_ids[face]})
            centres.append(descriptors[face].astype(np.float64))
            continue
        parts[part].append(face)
        taken[part].add(image_ids[face])
        centres[part] = descriptors[parts[part]].astype(np.float64).mean(0)
    return [np.array(p, np.int64) for p in parts]


def by_size(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0..P-1, the largest group first (ties: the group of the earliest face first)."""
    labels = np.asarray(labels, np.int64)
    if not len(labels):
        return labels
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    new = np.empty(len(values), np.int64)
    new[order] = np.arange(len(values))
    return new[np.searchsorted(values, labels)]


def seen_once_aside(people: np.ndarray, min_faces: int) -> np.ndarray:
    """Groups of fewer than ``min_faces`` faces made UNRECOGNISED (their faces keep their descriptors, so a
    person can take them later), the others renumbered by size. A face seen once is no person yet, as
    photo libraries have it (Immich asks for 3): a stranger in one photo would be a person of their own,
    and a person's one odd photo a second person beside them."""
    people = np.asarray(people, np.int64).copy()
    grouped = people >= 0
    if not grouped.any() or min_faces <= 1:
        return people
    values, counts = np.unique(people[grouped], return_counts=True)
    small = np.isin(people, values[counts < min_faces]) & grouped
    people[small] = UNRECOGNISED
    kept = people >= 0
    people[kept] = by_size(people[kept])
    return people


def group_faces(descriptors: np.ndarray, image_ids: np.ndarray, threshold: float = 0.5,
                recognised: np.ndarray | None = None, reach: float | None = None,
                cut: float | None = None, rejoin: float | None = None) -> np.ndarray:
    """A person per face: 0..P-1, the largest group first, or UNRECOGNISED where ``recognised`` is False.
    Two faces with the same image id never share a person."""
    descriptors = np.asarray(descriptors, np.float32)
    image_ids = np.asarray(image_ids)
    if len(descriptors) != len(image_ids):
        raise ValueError(f"{len(descriptors)} descriptors for {len(image_ids)} image ids: pass one image id per face")
    recognised = np.ones(len(descriptors), bool) if recognised is None else np.asarray(recognised, bool)
    people = np.full(len(descriptors), UNRECOGNISED, np.int64)
    rows = np.flatnonzero(recognised)
    if len(rows):
        labels = chinese_whispers(descriptors[rows], threshold)
        if cut is not None:
            labels = split_by_average(labels, descriptors[rows], cut, rejoin=rejoin)
        if reach is not None:
            labels = refine_by_centres(labels, descriptors[rows], reach)
        labels = split_shared_photos(labels, descriptors[rows], image_ids[rows])
        people[rows] = by_size(labels)
    return people
