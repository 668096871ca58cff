"""Tags: each image's most probable ImageNet-1k classes, from the backbone's own classifier.

They come out of the same forward pass as the embedding (see ``PooledFeatures``) and are
cached with it; ``imgorg run`` stores them in the workspace as ``tags.parquet``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TOP = 5  # classes kept per image


@dataclass
class Tags:
    classes: np.ndarray  # (n, TOP) int16 ImageNet-1k class indices, most probable first
    probs: np.ndarray  # (n, TOP) float32 softmax probabilities

    def __len__(self) -> int:
        return len(self.classes)

    def rows(self, index) -> Tags:
        return Tags(self.classes[index], self.probs[index])

    @staticmethod
    def stack(items: list[tuple[np.ndarray, np.ndarray]]) -> Tags:
        """Tags from per-image (classes, probs) pairs."""
        if not items:
            return Tags(np.zeros((0, TOP), np.int16), np.zeros((0, TOP), np.float32))
        return Tags(np.stack([c for c, _ in items]).astype(np.int16), np.stack([p for _, p in items]).astype(np.float32))


def top_tags(probabilities: np.ndarray, k: int = TOP) -> Tags:
    """The k most probable classes of each row of (n, n_classes) probabilities."""
    top = np.argpartition(-probabilities, k - 1, axis=1)[:, :k]
    probs = np.take_along_axis(probabilities, top, axis=1)
    order = np.argsort(-probs, axis=1, kind="stable")
    return Tags(np.take_along_axis(top, order, axis=1).astype(np.int16),
                np.take_along_axis(probs, order, axis=1).astype(np.float32))


def tags_frame(ids: np.ndarray, tags: Tags) -> pd.DataFrame:
    """The workspace's tags.parquet: id, then tag_1..tag_5 (the classes' names), class_1..class_5
    (ImageNet-1k indices, most probable first) and prob_1..prob_5."""
    from ..vocabulary import class_names

    names = np.asarray(class_names(), dtype=object)
    frame = pd.DataFrame({"id": np.asarray(ids, dtype=np.int64)})
    for i in range(tags.classes.shape[1]):
        frame[f"tag_{i + 1}"] = pd.array(names[tags.classes[:, i]], dtype="string")
    for i in range(tags.classes.shape[1]):
        frame[f"class_{i + 1}"] = tags.classes[:, i].astype(np.int16)
    for i in range(tags.probs.shape[1]):
        frame[f"prob_{i + 1}"] = tags.probs[:, i].astype(np.float32)
    return frame


def read_tags(frame: pd.DataFrame) -> Tags:
    """Tags from a tags.parquet frame (rows in its order)."""
    classes = frame[[c for c in frame.columns if c.startswith("class_")]].to_numpy(np.int64)
    probs = frame[[c for c in frame.columns if c.startswith("prob_")]].to_numpy(np.float32)
    return Tags(classes, probs)
