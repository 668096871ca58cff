"""Take the clusters out of the workspace: a folder per cluster, or one table row per image.

The source folder is only ever read. Folders hold symlinks by default (instant,
no extra disk) or copies; a destination that already holds files is refused
unless forced, and even then nothing in it is overwritten or deleted: a name
already taken gets a suffix. Failed images have no embedding, so no cluster:
they are counted, not exported.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .cluster import NOISE
from .errors import ConfigError, SourceError
from .sources import source_path
from .workspace import DUPLICATES_FILE, OUTLIERS_FILE, Workspace

NOISE_FOLDER = "noise"
TABLE_FORMATS = ("csv", "parquet")
TABLE_COLUMNS = ["id", "path", "label", "cluster", "distance", "outlier_score", "duplicate_group"]


@dataclass
class FolderExport:
    """What export_folders did: counts a person wants to read back."""

    folder: Path
    method: str
    images: int  # links or copies made
    clusters: int  # cluster folders, noise not counted
    noise: int  # images in the noise folder
    renamed: int  # names that collided and got a suffix
    missing: list[str]  # catalog paths no longer in the source folder (skipped)
    failed: int  # catalog rows that never decoded (not in any cluster)


def cluster_folder(cluster: int) -> str:
    """cluster_000, cluster_001, ...; noise (-1) in "noise". Zero-padded so folders sort by number."""
    return NOISE_FOLDER if cluster == NOISE else f"cluster_{int(cluster):03d}"


def export_table(ws: Workspace, method: str | None = None) -> pd.DataFrame:
    """One row per clustered image: id, path, label, cluster, distance, outlier_score, duplicate_group.

    distance is to the centre of its cluster in the reduced space (empty for noise and for
    methods without one); outlier_score and duplicate_group are empty unless `imgorg outliers` /
    `imgorg duplicates` have run (duplicate_group is also empty for images in no group).
    """
    method = ws.check_method(method)
    images = ws.images
    distance = ws.assignments.get(f"{method}_distance")
    frame = pd.DataFrame({
        "id": images["id"].astype("int64"),
        "path": images["path"].astype("string"),
        "label": images["label"].astype("string"),
        "cluster": ws.cluster_labels(method).astype("int64"),
        "distance": np.full(len(images), np.nan) if distance is None else np.round(distance.to_numpy(np.float64), 6),  # float32: no false digits
    })
    frame["outlier_score"] = _by_id(ws, OUTLIERS_FILE, "score", frame["id"]).astype("float64").round(6)
    frame["duplicate_group"] = _by_id(ws, DUPLICATES_FILE, "group", frame["id"]).astype("Int64")
    return frame[TABLE_COLUMNS]


def write_table(ws: Workspace, target: str | os.PathLike, fmt: str, method: str | None = None) -> pd.DataFrame:
    """Write export_table as CSV (empty cells for missing values) or Parquet (typed nulls)."""
    if fmt not in TABLE_FORMATS:
        raise ConfigError(f"table format {fmt!r} is not one of {', '.join(TABLE_FORMATS)}")
    frame = export_table(ws, method)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        frame.to_csv(target, index=False)
    else:
        frame.to_parquet(target, index=False)
    return frame


def export_folders(ws: Workspace, target: str | os.PathLike, *, copy: bool = False, method: str | None = None,
                   force: bool = False) -> FolderExport:
    """A folder per cluster under ``target`` holding a symlink (or, with ``copy``, a copy) of each image."""
    method = ws.check_method(method)
    source = ws.root
    target = Path(target)
    _check_target(source, target, force)
    clusters = ws.cluster_labels(method)
    taken: dict[Path, set[str]] = {}
    renamed, missing, made = 0, [], 0
    for rel, cluster in zip(ws.images["path"].astype(str), clusters):
        origin = source_path(source, rel)
        if not origin.is_file():
            missing.append(rel)
            continue
        folder = target / cluster_folder(int(cluster))
        name = _free_name(folder, origin.name, taken)  # the name on disk, not its escaped text
        renamed += name != origin.name
        try:
            _place(origin, folder / name, copy)
        except OSError as err:
            raise ConfigError(f"cannot write {str(folder / name)!r}: {err.strerror or err}; check the export "
                              f"folder's permissions and free space ({made} images were already exported)") from None
        made += 1
    return FolderExport(target, method, made, int(len(set(clusters.tolist()) - {NOISE})),
                        int((clusters == NOISE).sum()), renamed, missing, int(len(ws.failures)))


def _check_target(source: Path, target: Path, force: bool) -> None:
    """Never write into the source tree; never mix with other files unless asked."""
    if not source.is_dir():
        raise SourceError(f"the workspace's source folder {str(source)!r} no longer exists; "
                          "move it back or export to a table (--to csv) instead")
    resolved, root = target.resolve(), source.resolve()
    if resolved == root or root in resolved.parents:
        raise ConfigError(f"export folder {str(target)!r} is inside the source folder {str(source)!r}; "
                          "exports never write into the source: choose a folder outside it")
    if target.exists() and not target.is_dir():
        raise ConfigError(f"export folder {str(target)!r} exists and is not a folder; choose another path")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ConfigError(f"export folder {str(target)!r} is not empty; choose an empty or new folder, "
                          "or pass --force to add to it (nothing in it is overwritten)")


def _free_name(folder: Path, name: str, taken: dict[Path, set[str]]) -> str:
    """``name``, or ``stem_2.ext``, ``stem_3.ext``, ... when the folder already has it.

    Compared case-insensitively, so the result is the same on case-insensitive file systems.
    """
    if folder not in taken:
        taken[folder] = {p.name.lower() for p in folder.iterdir()} if folder.is_dir() else set()
    used = taken[folder]
    stem, suffix = os.path.splitext(name)
    candidate, n = name, 1
    while candidate.lower() in used:
        n += 1
        candidate = f"{stem}_{n}{suffix}"
    used.add(candidate.lower())
    return candidate


def _place(origin: Path, destination: Path, copy: bool) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    if copy:
        shutil.copy2(origin, destination)
    else:
        os.symlink(origin.resolve(), destination)


def _by_id(ws: Workspace, artifact: str, column: str, ids: pd.Series) -> pd.Series:
    """``column`` of a stored artifact, aligned on image id; all missing when the artifact is absent."""
    if not ws.has(artifact):
        return pd.Series(np.nan, index=ids.index, dtype="float64")
    stored = ws.read(artifact)
    values = stored.drop_duplicates("id").set_index("id")[column]
    return ids.map(values)
