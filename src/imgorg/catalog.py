"""The catalog's statuses and what its label column means, in a module with no heavy imports
(the workspace store and every stage read them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

STATUS_OK = "ok"  # decoded and embedded
STATUS_ERROR = "error"  # failed to decode: the error column says why
STATUS_PENDING = "pending"  # found, not yet decoded


def labels_of(images: pd.DataFrame) -> np.ndarray | None:
    """Each image's label (object array), or None unless every image has one: labels only ever
    score a clustering, so a partly labelled collection is scored as an unlabelled one."""
    labels = images["label"]
    return labels.to_numpy(dtype=object) if len(labels) and bool(labels.notna().all()) else None
