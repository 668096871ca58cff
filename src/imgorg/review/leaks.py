"""Leaks between splits: an image of an evaluation split with a copy or a similar shot in another
split. A folder holds splits when its top-level folders are named like them (train, val, valid,
validation, test), or as a person names them (``--splits a,b,c``); the first split in that order
keeps an image both hold, and the other's copy is the leak."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ConfigError

SPLIT_FOLDERS = ("train", "val", "valid", "validation", "test")  # in the order that keeps a shared image


def split_of(paths, splits: tuple[str, ...] | None = None) -> np.ndarray | None:
    """Each image's split (the top-level folder of its path), or None when the collection has fewer
    than two: a folder without splits simply has no leaks. ``splits`` named by a person must all be
    top-level folders; an unknown one is a ConfigError listing those there are."""
    top = np.array([str(p).split("/", 1)[0] if "/" in str(p) else "" for p in paths], dtype=object)
    folders = sorted(set(top.tolist()) - {""})
    if splits:
        unknown = [s for s in splits if s not in folders]
        if unknown:
            raise ConfigError(f"no split {', '.join(map(repr, unknown))} in this collection; its top-level folders: "
                              f"{', '.join(folders) or 'none'}")
        known = set(splits)
    else:
        known = {f for f in folders if f.lower() in SPLIT_FOLDERS}
    if len(known) < 2:
        return None
    return np.array([t if t in known else None for t in top], dtype=object)


def left_out_splits(paths, splits: tuple[str, ...] | None) -> list[str]:
    """Top-level folders named like splits that the ``splits`` a person named leave out (their images
    are in no split: no leak into or out of them is looked for)."""
    if not splits:
        return []
    top = {str(p).split("/", 1)[0] for p in paths if "/" in str(p)}
    return sorted(f for f in top if f.lower() in SPLIT_FOLDERS and f not in splits)


def split_order(present, splits: tuple[str, ...] | None = None) -> list[str]:
    """The splits in the order that keeps a shared image: as named by ``--splits``, else train first."""
    if splits:
        return list(splits)
    rank = {name: i for i, name in enumerate(SPLIT_FOLDERS)}
    return sorted(set(present) - {None}, key=lambda s: (rank.get(str(s).lower(), len(rank)), str(s)))


def leak_findings(images: pd.DataFrame, split: np.ndarray, pairs: pd.DataFrame,
                  splits: tuple[str, ...] | None = None) -> pd.DataFrame:
    """One ``leak`` finding per image with a match in a split that comes before its own.

    ``pairs``: rows a, b (rows of ``images``), kind (copy or similar) and similarity. The best
    match of each leaking image is named: copies before similar shots, then by similarity."""
    order = {name: i for i, name in enumerate(split_order(split, splits))}
    a, b = pairs["a"].to_numpy(np.int64), pairs["b"].to_numpy(np.int64)
    sa, sb = split[a], split[b]
    across = np.array([x is not None and y is not None and x != y for x, y in zip(sa, sb)], dtype=bool)
    rows = []
    for i in np.flatnonzero(across):
        first, second = (a[i], b[i]) if order[sa[i]] < order[sb[i]] else (b[i], a[i])
        rows.append({"row": int(second), "partner": int(first), "match": pairs["kind"].iat[i],
                     "similarity": float(pairs["similarity"].iat[i])})
    if not rows:
        return pd.DataFrame(columns=["row", "partner", "match", "similarity", "split", "reason"])
    found = pd.DataFrame(rows)
    found["copy_first"] = found["match"] != "copy"
    found = found.sort_values(["row", "copy_first", "similarity"], ascending=[True, True, False])
    found = found.drop_duplicates("row").drop(columns="copy_first").reset_index(drop=True)
    paths = images["path"].astype(str).to_numpy()
    found["split"] = [split[r] for r in found["row"]]
    found["reason"] = [f"{'a copy' if m == 'copy' else 'a similar shot'} of {paths[p]} ({s:.2f}): "
                       f"{split[p]} keeps it, so it leaks into {split[r]}"
                       for r, p, m, s in zip(found["row"], found["partner"], found["match"], found["similarity"])]
    return found
