"""The faces table a workspace stores (``faces.parquet``) and what it says in sum.

    face_id   0..n-1, the row of the face's descriptor in face_descriptors.npy
    image_id  the catalog id of its image
    x, y, w, h  the box in the original (EXIF-rotated) image's pixels
    score     the detector's score (dlib HOG; higher is surer)
    person    0..P-1, the largest group first, or UNRECOGNISED (-1): too small or too unsure to
              group, or the only face of its group (``PeopleConfig.min_faces``)
    size_px   the box's longer side in the original image's pixels
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import PeopleConfig
from .detect import DESCRIPTOR_DIM, Faces
from .group import UNRECOGNISED, group_faces, seen_once_aside

COLUMNS = ("face_id", "image_id", "x", "y", "w", "h", "score", "person", "size_px")


def faces_table(image_ids, faces: list[Faces], config: PeopleConfig,
                grouping=group_faces) -> tuple[pd.DataFrame, np.ndarray]:
    """(the faces table, descriptors) of images in order: ``faces[i]`` are the faces of ``image_ids[i]``.
    Faces under ``min_face_px`` (in the scaled image) or ``min_score`` are UNRECOGNISED and their
    descriptor rows are zeros; the others are grouped into people by ``grouping`` (``group_faces``'s
    signature: benchmarks try others), and a group of fewer than ``min_faces`` is set aside as
    UNRECOGNISED with its descriptors kept."""
    counts = np.array([len(f.scores) for f in faces], np.int64)
    boxes = np.concatenate([f.boxes for f in faces]).reshape(-1, 4) if faces else np.zeros((0, 4), np.int64)
    scores = np.concatenate([f.scores for f in faces]) if faces else np.zeros(0, np.float32)
    work_px = np.concatenate([f.work_px for f in faces]) if faces else np.zeros(0, np.int64)
    descriptors = (np.concatenate([f.descriptors for f in faces]).reshape(-1, DESCRIPTOR_DIM) if faces
                   else np.zeros((0, DESCRIPTOR_DIM), np.float32)).astype(np.float32)
    owners = np.repeat(np.asarray(image_ids, np.int64), counts)
    recognised = (work_px >= config.min_face_px) & (scores >= config.min_score)
    descriptors[~recognised] = 0.0
    people = grouping(descriptors, owners, config.threshold, recognised, config.reach, config.cut, config.rejoin)
    people = seen_once_aside(people, config.min_faces)
    table = pd.DataFrame({
        "face_id": np.arange(len(owners), dtype=np.int64), "image_id": owners,
        "x": boxes[:, 0], "y": boxes[:, 1], "w": boxes[:, 2], "h": boxes[:, 3],
        "score": scores.astype(np.float64), "person": people.astype(np.int64),
        "size_px": np.maximum(boxes[:, 2], boxes[:, 3]).astype(np.int64)})
    return table, descriptors


def people_summary(table: pd.DataFrame) -> dict[str, int]:
    """faces, people (groups), in_groups (people with two faces or more), unrecognised, images_with_faces."""
    grouped = table.loc[table["person"] != UNRECOGNISED, "person"]
    sizes = grouped.value_counts()
    return {"faces": len(table), "people": len(sizes), "in_groups": int((sizes >= 2).sum()),
            "unrecognised": int((table["person"] == UNRECOGNISED).sum()),
            "images_with_faces": int(table["image_id"].nunique())}
