"""`imgorg duplicates WORKSPACE|FOLDER [--threshold 0.82] [--fast]`: groups of exact and near-duplicate images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer

from ..duplicates import DEFAULT_THRESHOLD, DUPLICATES_FILE, FAST_THRESHOLD, check_threshold, find_duplicates
from ..errors import ConfigError, TooFewImagesError, WorkspaceError
from ..fileio import write_parquet
from ..index import load_index
from ..sources import STATUS_ERROR, count_image_files, scan_folder
from ..workspace import is_workspace, load_workspace, read_manifest, workspace_lock, write_artifact
from .console import console, progress_bars
from .options import Out

SHOWN_GROUPS = 10


def workspace_of_folder(folder: Path, path: Path) -> Path | None:
    """The workspace for a folder of images: the one at ``path`` if it was made from all of
    this folder, else a new one there. k-means, not scan, and no report: only the
    embeddings matter here (10,000 images: 48 s against about 66 s for `imgorg run`).
    None, having said why, when the folder holds fewer than two readable images."""
    from ..config import ClusterConfig, RunConfig
    from ..pipeline import run as run_pipeline

    if is_workspace(path):
        _check_source(path, folder)
        console.print(f"Using the workspace {path} made from {folder} (images added since are not in it: "
                      f"`imgorg run {folder} --out {path}` refreshes it)")
        return path
    console.print(f"{folder} is a folder of images: embedding it into {path} first")
    with progress_bars() as progress:
        try:
            run_pipeline(folder, path, RunConfig(cluster=ClusterConfig(method="kmeans", k=2)), progress=progress)
        except TooFewImagesError as err:  # nothing to compare; still say which files failed
            console.print(f"0 groups of duplicates: {err}", highlight=False, markup=False)
            return None
    return path


def _check_source(path: Path, folder: Path) -> None:
    """Refuse a workspace made from another source, or from only part of this folder."""
    source = read_manifest(path).get("source", {})
    root = source.get("root")
    if not root or Path(root).resolve() != folder.resolve():
        raise WorkspaceError(f"{path} is the workspace of another source ({root}); pass --out with a new "
                             f"folder for {folder}")
    subset = {key: source[key] for key in ("limit", "sample") if source.get(key)}
    if subset:
        option = " ".join(f"--{key} {value}" for key, value in subset.items())
        raise WorkspaceError(f"{path} holds only part of {folder} ({option}); run `imgorg run {folder} --out "
                             f"{path}` to embed all of it, or pass --out with a new folder")


def fast_duplicates(folder: Path, dest: Path, threshold: float | None) -> pd.DataFrame:
    """Groups of a folder from its thumbnails alone, written to ``dest``/duplicates.parquet
    (no workspace: there are no embeddings to keep)."""
    console.print(f"Comparing the thumbnails of {folder} (--fast: no model)")
    with progress_bars() as progress:
        catalog = scan_folder(folder, progress=progress)
        images = catalog[catalog["status"] != STATUS_ERROR].reset_index(drop=True)
        frame = find_duplicates(images, None, folder, threshold, progress=progress)
    dest.mkdir(parents=True, exist_ok=True)
    write_parquet(dest / DUPLICATES_FILE, frame)
    return frame


def duplicates(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`, or a folder of images: embedded first (into --out), with k-means instead of scan to save time.")],
    out: Out = None,
    threshold: Annotated[Optional[float], typer.Option(help=f"Score at or above which two images are copies: the mean of embedding cosine and aligned 16x16-thumbnail and detail correlations (default {DEFAULT_THRESHOLD}), or of the last two with --fast (default {FAST_THRESHOLD}).")] = None,
    fast: Annotated[bool, typer.Option("--fast", help="For a folder without a workspace: compare thumbnails only, no model (5x faster; misses more cropped copies). Writes only duplicates.parquet to --out.")] = False,
    csv: Annotated[Optional[Path], typer.Option(help="Also write the groups to this CSV file.")] = None,
) -> None:
    """Find copies: identical files by content hash, then resized/re-encoded/cropped/mirrored ones by
    embedding and thumbnails. WORKSPACE may also be a folder of images."""
    if not workspace.exists():
        raise WorkspaceError(f"{workspace} does not exist; pass a workspace made by `imgorg run` or a folder of images")
    if threshold is not None:  # before any work: hashing or embedding a folder takes minutes
        check_threshold(threshold, FAST_THRESHOLD if fast else DEFAULT_THRESHOLD)
    if out is not None and out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; pass a folder (new, or a workspace of {workspace})")
    if is_workspace(workspace):
        if out is not None:
            raise ConfigError(f"--out is for a folder of images; {workspace} is already a workspace")
        if fast:
            raise ConfigError(f"--fast is for a folder of images; {workspace} is a workspace with embeddings: "
                              f"drop --fast")
    elif workspace.is_dir():
        from ..pipeline import default_workspace

        if count_image_files(workspace, 2) < 2:
            console.print(f"0 groups of duplicates: {workspace} holds fewer than two images")
            return
        dest = out or default_workspace(workspace)
        if fast and not is_workspace(dest):
            frame = fast_duplicates(workspace, dest, threshold)
            _show(frame, FAST_THRESHOLD if threshold is None else threshold, dest / DUPLICATES_FILE, csv)
            return
        if fast:  # where the folder has a workspace, its embeddings cost nothing
            console.print(f"--fast not needed: {dest} holds this folder's embeddings, so they are used "
                          f"(--threshold applies to the score with the embedding, default {DEFAULT_THRESHOLD})")
        workspace = workspace_of_folder(workspace, dest)
        if workspace is None:
            return
    ws = load_workspace(workspace)
    with progress_bars() as progress:
        frame = find_duplicates(ws.images, ws.embeddings, ws.manifest["source"]["root"], threshold,
                                index=load_index(workspace, ws.embeddings), progress=progress)
    with workspace_lock(workspace):
        write_artifact(workspace, DUPLICATES_FILE, frame)
    _show(frame, DEFAULT_THRESHOLD if threshold is None else threshold, Path(workspace) / DUPLICATES_FILE, csv)


def _show(frame: pd.DataFrame, threshold: float, stored: Path, csv: Path | None) -> None:
    """The first groups, how many images could go, and where the groups are."""
    if csv:
        frame.to_csv(csv, index=False)
    n_groups = frame["group"].nunique()
    removable = int((~frame["keep"]).sum())
    console.print(f"{n_groups:,} groups of duplicates ({removable:,} images could go, keeping one per group); "
                  f"threshold {threshold}")
    for group, members in list(frame.groupby("group"))[:SHOWN_GROUPS]:
        console.print(f"[bold]group {group}[/] ({members['kind'].iloc[0]})", highlight=False)
        for row in members.itertuples():
            mark = "keep" if row.keep else f"{row.similarity:.3f}"
            console.print(f"  {mark:>6}  {row.id:>7}  {row.path}", highlight=False, markup=False)
    if n_groups > SHOWN_GROUPS:
        console.print(f"... and {n_groups - SHOWN_GROUPS:,} more groups")
    console.print(f"Stored: [bold]{stored}[/]")
