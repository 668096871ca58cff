"""Take the clusters out of the workspace: a folder per cluster, or one table row per image.

The source folder is only ever read. Folders hold symlinks by default (instant,
no extra disk) or copies; a destination that already holds files is refused
unless forced, and even then nothing in it is overwritten or deleted: a name
already taken gets a suffix. Failed images have no embedding, so no cluster:
they are counted, not exported.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..companions import renamed_part, shot_parts
from ..constants import GONE, NOISE, REVIEW_SPLITS
from ..duplicates.grouping import copy_named
from ..errors import ConfigError, SourceError
from ..config import ExportConfig
from ..review.leaks import split_of
from ..review.table import is_open
from ..sources import source_path
from ..views import Workspace, open_workspace
from ..workspace import DUPLICATES_FILE, OUTLIERS_FILE

NOISE_FOLDER = "noise"
UNDATED_FOLDER = "undated"
TABLE_FORMATS = ("csv", "parquet")
TABLE_COLUMNS = ["id", "path", "label", "cluster", "cluster_name", "distance", "outlier_score", "duplicate_group",
                 "taken_at", "split", "label_given", "review"]
GROUPINGS = ("cluster", "date", "place", "person")  # --by: folders by cluster, capture month (YYYY/MM), place
# (Country/City), or nested (cluster,date); person alone (a photo of two people goes in both their folders)
NO_PLACE_FOLDER = "no place"
UNNAMED = "unnamed"
MAX_FOLDER_NAME = 80  # characters of a cluster folder's name
# Names Windows keeps for devices, whatever the extension: a folder so named cannot be made there.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')


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
    by: tuple[str, ...] = ("cluster",)  # the grouping: "cluster", "date", or both nested in that order
    folders: int = 0  # the folders the images went into (the innermost ones: YYYY/MM under a cluster is one)
    companions: int = 0  # files exported beside their photo: RAW originals, Live Photo videos, sidecars


def cluster_folder(cluster: int, name: str = "") -> str:
    """"000 dog, terrier", "001 beach photos", ... (cluster_000 without a name); noise (-1) in "noise".
    Zero-padded ids first, so folders sort by number and two clusters of one name stay apart."""
    if cluster == NOISE:
        return NOISE_FOLDER
    safe = safe_folder_name(name)
    return f"{int(cluster):03d} {safe}" if safe else f"cluster_{int(cluster):03d}"


def safe_folder_name(name: str) -> str:
    """``name`` as a folder name every file system takes: NFC, no characters Windows, macOS or Linux
    refuse, no leading or trailing dots and spaces, not a Windows device name, at most MAX_FOLDER_NAME
    characters; "" when nothing is left."""
    text = _UNSAFE.sub(" ", unicodedata.normalize("NFC", str(name or "")))
    text = " ".join(text.split())[:MAX_FOLDER_NAME].strip(" .")
    return "" if text.split(".")[0].lower() in _RESERVED else text


def date_folder(taken_at) -> str:
    """YYYY/MM of a capture time; "undated" without one."""
    when = pd.Timestamp(taken_at) if taken_at is not None and not pd.isna(taken_at) else None
    return f"{when.year:04d}/{when.month:02d}" if when is not None else UNDATED_FOLDER


def check_grouping(by: str) -> tuple[str, ...]:
    """``--by`` as a tuple: "cluster", "date", "place", nested ("cluster,date", "place,date", ...), or "person"."""
    parts = tuple(p.strip() for p in str(by).split(",") if p.strip())
    if not parts or len(set(parts)) != len(parts) or set(parts) - set(GROUPINGS) or ("person" in parts and len(parts) > 1):
        raise ConfigError(f"--by {by!r} must be cluster, date, place, some of them nested (cluster,date; "
                          "place,date): folders per cluster, capture month (YYYY/MM) or place (Country/City), one "
                          "inside the other; or person alone (a folder per person)")
    return parts


def place_folder(city, country) -> str:
    """Country/City of a photo's place; "no place" without GPS."""
    if city is None or pd.isna(city):
        return NO_PLACE_FOLDER
    return f"{safe_folder_name(country) or 'unknown country'}/{safe_folder_name(city) or 'unknown place'}"


def person_folder(person: int, name: str) -> str:
    """"Ana" for a named person; "unnamed 007" for one no one named."""
    return safe_folder_name(name) or f"{UNNAMED} {int(person):03d}"


def export_table(ws: Workspace, method: str | None = None) -> pd.DataFrame:
    """One row per clustered image: id, path, label, cluster, cluster_name, distance, outlier_score,
    duplicate_group, taken_at, split, label_given, review.

    distance is to the centre of its cluster in the reduced space (empty for noise and for
    methods without one); outlier_score is empty unless `imgorg outliers` has run; duplicate_group
    is `imgorg duplicates`' group, else the stored review's copy group (empty for images in none).
    split: the top-level folder where the collection has splits (as the last review was given
    them); label_given: the label the folders gave, where a review's relabel changed ``label``;
    review: the kinds of the review's open findings that ask something of the image ("copy;blurry").
    """
    method = ws.check_method(method)
    images = ws.images
    names = ws.cluster_names(method)
    distance = ws.distances(method)
    frame = pd.DataFrame({
        "id": images["id"].astype("int64"),
        "path": images["path"].astype("string"),
        "label": images["label"].astype("string"),
        "cluster": ws.cluster_labels(method).astype("int64"),
        "cluster_name": pd.array([names.get(int(c), "") for c in ws.cluster_labels(method)], dtype="string"),
        "distance": np.full(len(images), np.nan) if distance is None else np.round(distance.astype(np.float64), 6),  # float32: no false digits
    })
    frame["outlier_score"] = _by_id(ws, OUTLIERS_FILE, "score", frame["id"]).astype("float64").round(6)
    review = ws.review()
    if ws.has(DUPLICATES_FILE) or review is None:
        frame["duplicate_group"] = _by_id(ws, DUPLICATES_FILE, "group", frame["id"]).astype("Int64")
    else:
        copies = review[review["kind"] == "copy"].drop_duplicates("id").set_index("id")["group"]
        frame["duplicate_group"] = frame["id"].map(copies).astype("Int64")
    frame["taken_at"] = images["taken_at"].to_numpy() if "taken_at" in images else pd.NaT
    split = split_of(images["path"], ws.manifest.get(REVIEW_SPLITS))
    frame["split"] = pd.array([None] * len(images) if split is None else list(split), dtype="string")
    given = ws.catalog.set_index("id")["label"].reindex(frame["id"].to_numpy()).to_numpy(object)
    frame["label_given"] = pd.array([g if isinstance(g, str) and g != now else None
                                     for g, now in zip(given, frame["label"].astype(object))], dtype="string")
    frame["review"] = pd.array(_open_kinds(review, frame["id"]), dtype="string")
    return frame[TABLE_COLUMNS][~ws.removed()].reset_index(drop=True)  # what a review set aside is not exported


def _open_kinds(review: pd.DataFrame | None, ids: pd.Series) -> list[str | None]:
    """Per image, the kinds of the review's open findings that ask something of it ("copy;blurry"), or None."""
    if review is None:
        return [None] * len(ids)
    asking = review[is_open(review)]
    kinds = asking.groupby("id")["kind"].agg(lambda k: ";".join(dict.fromkeys(k)))
    return [kinds.get(int(i)) for i in ids]


def removed_files(ws: Workspace) -> pd.DataFrame:
    """The files a review set aside (path, id, kind, kept_id, kept_path, file: the path on this machine),
    for ``imgorg export --removed``: nothing is deleted; moving them is a separate, explicit step."""
    state = ws.curated()
    images = ws.images.set_index("id")
    kinds = ws.removal_kinds()
    rows = [{"id": int(i), "path": str(images.at[i, "path"]), "kind": kinds.get(int(i), "review"),
             "kept_id": k, "kept_path": str(images.at[k, "path"]) if k is not None and k in images.index else None}
            for i, k in state.removed.items() if i in images.index and kinds.get(int(i)) != GONE]  # gone already
    frame = pd.DataFrame(rows, columns=["id", "path", "kind", "kept_id", "kept_path"]).astype({"kept_id": "Int64"})
    frame = frame.sort_values("id", kind="stable").reset_index(drop=True)  # by id, not in the order of the edits
    frame["file"] = [str(source_path(ws.root, p)) for p in frame["path"]]  # paths are relative to the source folder
    return frame


def write_removed(ws: Workspace, target: str | os.PathLike) -> pd.DataFrame:
    """``removed_files`` as CSV (or Parquet by the name's extension)."""
    frame = removed_files(ws)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(target, index=False) if target.suffix == ".parquet" else frame.to_csv(target, index=False)
    return frame


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


def export_clusters(workspace: Workspace | str, config: ExportConfig) -> FolderExport | pd.DataFrame:
    """The clusters outside the workspace: folders of links (or copies) per cluster or month, or one
    table row per image (CSV, Parquet). What a review removed is left out (``write_removed`` lists it)."""
    ws = open_workspace(workspace)
    config.validate()
    if config.to == "folders":
        return export_folders(ws, config.target, copy=config.copy, method=config.method, force=config.force,
                              by=config.by)
    return write_table(ws, config.target, config.to, config.method)


def export_folders(ws: Workspace, target: str | os.PathLike, *, copy: bool = False, method: str | None = None,
                   force: bool = False, by: str = "cluster") -> FolderExport:
    """A folder per cluster (named after it), per capture month (``by="date"``: YYYY/MM), or one inside
    the other (``"cluster,date"``, ``"date,cluster"``) under ``target``, holding a symlink (or, with
    ``copy``, a copy) of each image."""
    grouping = check_grouping(by)
    if grouping == ("person",):
        return export_people(ws, target, copy=copy, force=force)
    method = ws.check_method(method)
    source = ws.root
    target = Path(target)
    _check_target(source, target, force)
    kept = ~ws.removed()  # what a review set aside is not exported
    order = _originals_first(ws.images[kept]["path"].astype(str))
    images = ws.images[kept].iloc[order].reset_index(drop=True)
    clusters = ws.cluster_labels(method)[kept][order]
    names = ws.cluster_names(method)
    dates = images["taken_at"] if "taken_at" in images else pd.Series([None] * len(clusters))
    if "place" in grouping:
        at = ws.places()[kept].iloc[order].reset_index(drop=True)
        places = [place_folder(c, k) for c, k in zip(at["place_city"], at["place_country"])]
    else:
        places = [""] * len(clusters)
    taken: dict[Path, set[str]] = {}
    renamed, missing, made, folders, companions = 0, [], 0, set(), 0
    for rel, cluster, when, where, belonging in zip(images["path"].astype(str), clusters, dates, places,
                                                    shot_parts(images)):
        origin = source_path(source, rel)
        if not origin.is_file():
            missing.append(rel)
            continue
        parts = {"cluster": cluster_folder(int(cluster), names.get(int(cluster), "")), "date": date_folder(when),
                 "place": where}
        folder = target.joinpath(*[parts[g] for g in grouping])
        name = _free_name(folder, origin.name, taken)  # the name on disk, not its escaped text
        renamed += name != origin.name
        try:
            _place(origin, folder / name, copy)
        except OSError as err:
            raise ConfigError(f"cannot write {str(folder / name)!r}: {err.strerror or err}; check the export "
                              f"folder's permissions and free space ({made} images were already exported)") from None
        made += 1
        folders.add(folder)
        companions += _place_parts(source, belonging, origin.name, folder, name, copy, taken, missing)
    return FolderExport(target, method, made, int(len(set(clusters.tolist()) - {NOISE})),
                        int((clusters == NOISE).sum()), renamed, missing, int(len(ws.failures)), grouping,
                        len(folders), companions)


def export_people(ws: Workspace, target: str | os.PathLike, *, copy: bool = False, force: bool = False,
                  people=()) -> FolderExport:
    """A folder per person (their name, else "unnamed NNN") holding a link (or copy) of each photo they
    are in; ``people`` (ids or names) limits it to those. Unrecognised faces go in no folder."""
    source, target = ws.root, Path(target)
    _check_target(source, target, force)
    faces = ws.faces()
    faces = faces[faces["person"] >= 0]
    if people:
        faces = faces[faces["person"].isin([ws.person_id(p) for p in people])]
    kept = ws.images[~ws.removed()].reset_index(drop=True)
    parts_of = dict(zip(kept["id"].astype(int), shot_parts(kept)))
    images = kept.set_index("id")
    faces = faces[faces["image_id"].isin(images.index)].drop_duplicates(["person", "image_id"])
    taken: dict[Path, set[str]] = {}
    renamed, missing, made, folders, companions = 0, [], 0, set(), 0
    for person, name, image in zip(faces["person"], faces["name"].fillna(""), faces["image_id"]):
        rel = str(images.at[int(image), "path"])
        origin = source_path(source, rel)
        if not origin.is_file():
            missing.append(rel)
            continue
        folder = target / person_folder(int(person), str(name))
        file = _free_name(folder, origin.name, taken)
        renamed += file != origin.name
        _place(origin, folder / file, copy)
        made += 1
        folders.add(folder)
        companions += _place_parts(source, parts_of[int(image)], origin.name, folder, file, copy, taken, missing)
    return FolderExport(target, "people", made, len(folders), 0, renamed, sorted(set(missing)), int(len(ws.failures)),
                        ("person",), len(folders), companions)


def _place_parts(source, parts, original_name: str, folder: Path, name: str, copy: bool,
                 taken: dict[Path, set[str]], missing: list[str]) -> int:
    """A shot's other files (RAW original, Live Photo video, sidecars) beside its image, exported as
    ``name``, renamed as it was; returns how many were placed (those gone are added to ``missing``)."""
    placed = 0
    for part in parts:
        part_origin = source_path(source, part)
        if not part_origin.is_file():
            missing.append(part)
            continue
        _place(part_origin, folder / _free_name(folder, renamed_part(part_origin.name, original_name, name), taken),
               copy)
        placed += 1
    return placed


def _originals_first(paths: pd.Series) -> np.ndarray:
    """The order to export files in: a file named like a copy ("IMG_1 copy.jpg") or kept in a backup
    folder (``grouping.copy_named``) after the others, so that where two share a name the original keeps
    it (Backup/DSC01001.JPG took "DSC01001.JPG", and the camera's file and its sidecar became
    "DSC01001_2.JPG"); else as listed."""
    return np.lexsort((np.arange(len(paths)), copy_named(paths)))


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
