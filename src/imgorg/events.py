"""Events: photos grouped by when they were taken, a new event wherever a gap in capture time
exceeds a threshold (a day out, a trip, a party). Stored beside the visual clusterings as the
method ``events``; images without a capture time (``event_times``) belong to none (NOISE)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .constants import NOISE

DEFAULT_GAP_HOURS = 6.0


# Where an image's time comes from a capture, not a save: a file's modification time is when it was copied
# (a whole folder copied in a minute was one event) and EXIF DateTime alone when it was last saved (a flatbed
# writes the day it scanned a print there: 62 scans of forty years' prints were one event, "2 Mar 2024")
NOT_CAPTURED = ("file", "exif_datetime")


def event_times(images: pd.DataFrame) -> pd.Series:
    """``images``' capture times (the catalog's ``taken_at``), NaT where ``taken_at_source`` says the time
    is no capture's (``NOT_CAPTURED``): those images belong to no event."""
    taken = pd.to_datetime(images["taken_at"], errors="coerce")
    if "taken_at_source" not in images:
        return taken
    return taken.where(~images["taken_at_source"].isin(NOT_CAPTURED).to_numpy(bool))


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


# -- names: "Lisbon, 3-7 May 2024, with Ana and Rui" -------------------------------------------
PERSON_MIN_PHOTOS = 2  # a named person is in an event's name when in at least this many of its photos
PERSON_MIN_SHARE = 0.1  # ... and in at least this share of them
MAX_NAMED_PEOPLE = 3  # more are counted ("and 2 others")


def date_range(first: pd.Timestamp, last: pd.Timestamp) -> str:
    """"3 May 2024", "3-7 May 2024", "30 Apr - 2 May 2024", "30 Dec 2023 - 2 Jan 2024"."""
    if (first.year, first.month, first.day) == (last.year, last.month, last.day):
        return f"{first.day} {first:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}-{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} - {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} - {last.day} {last:%b %Y}"


def with_people(names: list[str]) -> str:
    """"with Ana", "with Ana and Rui", "with Ana, Rui and Eva", "with Ana, Rui, Eva and 2 others"."""
    if not names:
        return ""
    if len(names) > MAX_NAMED_PEOPLE:
        rest = len(names) - MAX_NAMED_PEOPLE
        names = names[:MAX_NAMED_PEOPLE] + [f"{rest} other{'s' if rest > 1 else ''}"]
    return "with " + (names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}")


def event_names(labels: np.ndarray, taken_at: pd.Series, cities: pd.Series | None = None,
                people: list[list[str]] | None = None) -> dict[int, str]:
    """A name per event: its most common city (where photos have a place), its dates, and the named
    people in at least PERSON_MIN_PHOTOS and PERSON_MIN_SHARE of its photos, most frequent first.
    ``cities`` and ``people`` (the names in each photo) are rows as ``labels``."""
    labels = np.asarray(labels)
    times = pd.to_datetime(pd.Series(taken_at), errors="coerce").reset_index(drop=True)
    names = {}
    for event in np.unique(labels[labels != NOISE]):
        rows = np.flatnonzero(labels == event)
        when = times.iloc[rows].dropna()
        parts = []
        if cities is not None:
            found = pd.Series(cities).iloc[rows].dropna()
            found = found[found.astype(str) != ""]
            if len(found):
                counts = found.value_counts(sort=False)
                parts.append(str(counts.index[int(np.argmax(counts.to_numpy()))]))  # ties: first seen
        if len(when):
            parts.append(date_range(when.min(), when.max()))
        if people is not None:
            seen = pd.Series([name for r in rows for name in dict.fromkeys(people[r])], dtype=object)
            counts = seen.value_counts(sort=False) if len(seen) else pd.Series(dtype=int)
            need = max(min(PERSON_MIN_PHOTOS, len(rows)), int(np.ceil(PERSON_MIN_SHARE * len(rows))))
            counts = counts[counts >= need]
            order = sorted(counts.index, key=lambda n: (-counts[n], list(seen).index(n)))
            text = with_people([str(n) for n in order])
            if text:
                parts.append(text)
        names[int(event)] = ", ".join(parts)
    return _told_apart(names, labels, times)


def _told_apart(names: dict[int, str], labels: np.ndarray, times: pd.Series) -> dict[int, str]:
    """Events of one name (two outings in a city on one day, a gap apart) get the hour each began."""
    by_name: dict[str, list[int]] = {}
    for event, name in names.items():
        by_name.setdefault(name, []).append(event)
    for events in by_name.values():
        if len(events) < 2:
            continue
        for event in events:
            start = times.iloc[np.flatnonzero(labels == event)].dropna()
            if len(start):
                names[event] = f"{names[event]}, from {start.min():%H:%M}"
    return names
