"""The review table: one row per finding, whatever found it, and its summary per kind.

    id         the image (catalog id)
    kind       copy, similar, blurry, dark, overexposed, low_information, odd_size, odd_aspect,
               outlier, leak, label_issue
    group      images that belong together (a set of copies, a series, an image and its match in
               another split); -1 for a finding about one image
    score      how sure or how strong, 0..1 (higher: more certainly an issue)
    action     the suggestion: keep, remove, relabel or look
    reason     in words
    split      the image's split, where the collection has splits
    partner    the image it was compared with (the copy kept, the best shot, the match in another split)
    suggested  for a label issue, the label the classifier suggests
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import REVIEW_KINDS
from ..constants import SET_ASIDE

COLUMNS = {"id": "int64", "kind": "string", "group": "int64", "score": "float64", "action": "string",
           "reason": "string", "split": "string", "partner": "Int64", "suggested": "string", "path": "string"}
ACTIONS = ("keep", "remove", "relabel", "look")
SUMMARY_COLUMNS = ["kind", "images", "groups", "open", "accepted", "dismissed", "set_aside", "suggested", "actions",
                   "examples"]
# Each kind in words, for the app and the report: a title and what it means
KIND_TITLES = {
    "copy": ("Copies", "the same picture more than once (exact, resized, re-encoded or cropped); one copy of each "
                       "set is kept, the best one, and the reason is given"),
    "similar": ("Similar shots", "the same scene taken moments apart or slightly changed (a burst, a series), "
                                 "not copies; each series has a suggested best shot"),
    "blurry": ("Blurry", "out of focus or shaken"),
    "dark": ("Dark", "under-exposed for this collection"),
    "overexposed": ("Overexposed", "blown-out highlights"),
    "low_information": ("Low information", "near-uniform or blank frames"),
    "odd_size": ("Odd size", "tiny or huge for this collection"),
    "odd_aspect": ("Odd aspect ratio", "much wider or taller than the rest"),
    "outlier": ("Outliers", "unlike anything else in the collection"),
    "leak": ("Leaks between splits", "an image of one split with a copy or a similar shot in another"),
    "label_issue": ("Wrong labels", "the given label is probably wrong; a label is suggested"),
}


def findings_frame(parts: list[pd.DataFrame], images: pd.DataFrame) -> pd.DataFrame:
    """The findings of every kind in one typed table, in the order of ``REVIEW_KINDS``, each kind's
    strongest first; ``parts`` hold at least row, kind, score, action, reason (rows of ``images``)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in COLUMNS.items()})
    frame = pd.concat(parts, ignore_index=True)
    rows = frame.pop("row").to_numpy(np.int64)
    frame["id"] = images["id"].to_numpy()[rows]
    frame["path"] = images["path"].astype(str).to_numpy()[rows]
    if "partner" in frame:  # partners come as rows too
        partner = frame["partner"]
        frame["partner"] = pd.array([None if pd.isna(p) else int(images["id"].iat[int(p)]) for p in partner],
                                    dtype="Int64")
    for column, dtype in COLUMNS.items():
        if column not in frame:
            frame[column] = -1 if column == "group" else None
    frame["group"] = frame["group"].fillna(-1)
    frame["score"] = frame["score"].astype(float).clip(0, 1).round(4)
    order = {k: i for i, k in enumerate(REVIEW_KINDS)}
    frame["_kind"] = frame["kind"].map(order)
    frame = frame.sort_values(["_kind", "group", "score"], ascending=[True, True, False], kind="stable")
    return frame[list(COLUMNS)].astype(COLUMNS).reset_index(drop=True)


def is_open(table: pd.DataFrame) -> pd.Series:
    """Whether each finding is open: a decision a person can make now (accept it or keep the image).

    Open is a status of ``open`` (nothing accepted, dismissed or set aside for it; a table without
    ``status``, a review not stored yet, has every finding open) and a suggestion other than ``keep``:
    the copy kept of a set of copies and the best shot of a series are what the others are compared
    with, nothing to decide. Each image is in one finding per kind, so this counts images too. Every
    count of open findings (``summary``: the app, ``GET /api/review``, ``imgorg review``, its
    ``--show`` and ``--json``, ``imgorg run``, the report) is this one."""
    status = table["status"] if "status" in table else pd.Series("open", index=table.index)
    return (status == "open") & (table["action"] != "keep")


def summary(table: pd.DataFrame, examples: int = 3) -> pd.DataFrame:
    """Per kind found: images and groups (the copies kept too), the findings a person decides on by
    status (open as ``is_open``, accepted, dismissed, set aside), what is suggested for the open ones
    (in words and as counts per action) and a few open ones' paths, strongest first."""
    status = table["status"] if "status" in table else pd.Series("open", index=table.index)
    decided = status.where(table["action"] != "keep")  # the copy kept waits for no decision
    waiting = is_open(table)
    rows = []
    for kind in REVIEW_KINDS:
        of_kind = table["kind"] == kind
        if not of_kind.any():
            continue
        found, counts = table[of_kind], decided[of_kind].value_counts()
        open_ = found[waiting[of_kind]]
        actions = open_["action"].value_counts()
        rows.append({"kind": kind, "images": int(len(found)),
                     "groups": int(found.loc[found["group"] >= 0, "group"].nunique()),
                     "open": int(len(open_)),
                     **{s.replace(" ", "_"): int(counts.get(s, 0)) for s in ("accepted", "dismissed", SET_ASIDE)},
                     "suggested": ", ".join(f"{n:,} {a}" for a, n in actions.items()),
                     "actions": {str(a): int(n) for a, n in actions.items()},  # the same, for a program
                     "examples": open_.sort_values("score", ascending=False)["path"].head(examples).tolist()})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def robust_z(values: np.ndarray) -> np.ndarray:
    """How many robust deviations (1.4826 MAD) each value lies above the median: a collection's own
    scale, so that a night album is not all dark and a folder of icons not all tiny."""
    values = np.asarray(values, dtype=np.float64)
    median = np.nanmedian(values)
    mad = 1.4826 * np.nanmedian(np.abs(values - median))
    return (values - median) / max(mad, 1e-9)


def outlier_findings(scores: np.ndarray, z: float) -> pd.DataFrame:
    """Images whose k-NN distance lies ``z`` robust deviations above the collection's median."""
    deviations = robust_z(scores)
    rows = np.flatnonzero(deviations >= z)
    return pd.DataFrame({"row": rows, "kind": "outlier", "score": 1.0 - 1.0 / (1.0 + deviations[rows] / z),
                         "action": "look",
                         "reason": [f"unlike the rest: its nearest images are {1 - scores[r]:.2f} similar on "
                                    f"average, {deviations[r]:.1f} deviations below the collection's usual"
                                    for r in rows]})
