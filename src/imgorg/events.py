"""Events: photos grouped by when they were taken, a new event wherever a gap in capture time
exceeds a threshold (a day out, a trip, a party). Stored beside the visual clusterings as the
method ``events``; images without a capture time belong to none (NOISE)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .constants import NOISE

DEFAULT_GAP_HOURS = 6.0


def event_labels(taken_at: pd.Series, gap_hours: float = DEFAULT_GAP_HOURS) -> np.ndarray:
    """An event number per image, numbered in time order; a gap longer than ``gap_hours`` between
    two consecutive capture times starts a new event."""
    times = pd.to_datetime(pd.Series(taken_at), errors="coerce").reset_index(drop=True)
    labels = np.full(len(times), NOISE, np.int64)
    known = times.notna().to_numpy()
    if not known.any():
        return labels
    order = np.flatnonzero(known)[np.argsort(times[known].to_numpy(), kind="stable")]
    gaps = np.diff(times.to_numpy()[order]) > np.timedelta64(int(gap_hours * 3600), "s")
    labels[order] = np.concatenate([[0], np.cumsum(gaps)])
    return labels
