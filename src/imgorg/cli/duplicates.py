"""`imgorg duplicates WORKSPACE|FOLDER [--threshold 0.82] [--fast]`: groups of exact and near-duplicate images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer

from ..config import DuplicatesConfig
from ..duplicates import DEFAULT_THRESHOLD, FAST_THRESHOLD, check_threshold
from ..errors import ConfigError, TooFewImagesError, WorkspaceError
from ..sources import count_image_files
from ..workspace import DUPLICATES_FILE, is_workspace
from .console import console, escape, progress_bars
from .options import Out

SHOWN_GROUPS = 10


def duplicates(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`, or a folder of images: embedded first (into --out), with k-means instead of scan to save time.")],
    out: Out = None,
    threshold: Annotated[Optional[float], typer.Option(help=f"Score at or above which two images are copies: the mean of embedding cosine and aligned 16x16-thumbnail and detail correlations (default {DEFAULT_THRESHOLD}), or of the last two with --fast (default {FAST_THRESHOLD}).")] = None,
    fast: Annotated[bool, typer.Option("--fast", help="For a folder without a workspace: compare thumbnails only, no model (5x faster; misses more cropped copies). Writes only duplicates.parquet to --out.")] = False,
    csv: Annotated[Optional[Path], typer.Option(help="Also write the groups to this CSV file.")] = None,
    keypoint_checks: Annotated[int, typer.Option(min=0, help="Candidates below the threshold checked by keypoints per image, which finds heavy crops (a 9:16 phone crop of a landscape photo, 25-60% of the area); 0 turns the checks off.")] = DuplicatesConfig().keypoint_checks,
) -> None:
    """Find copies: identical files by content hash, then resized/re-encoded/cropped/mirrored ones by
    embedding and thumbnails, and heavy crops by keypoints. WORKSPACE may also be a folder of images."""
    from ..pipeline import default_workspace
    from ..tasks import find_duplicates, find_folder_duplicates

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
        if count_image_files(workspace, 2) < 2:
            console.print(f"0 groups of duplicates: {workspace} holds fewer than two images", markup=False)
            return
        dest = out or default_workspace(workspace)
        if fast and not is_workspace(dest):
            console.print(f"Comparing the thumbnails of {workspace} (--fast: no model)", markup=False)
            with progress_bars() as progress:
                config = DuplicatesConfig(threshold, fast=True, keypoint_checks=keypoint_checks)
                frame = find_folder_duplicates(workspace, dest, config, progress)
            _show(frame, FAST_THRESHOLD if threshold is None else threshold, dest / DUPLICATES_FILE, csv)
            return
        if fast:  # where the folder has a workspace, its embeddings cost nothing
            console.print(f"--fast not needed: {dest} holds this folder's embeddings, so they are used "
                          f"(--threshold applies to the score with the embedding, default {DEFAULT_THRESHOLD})",
                          markup=False)
        workspace = _workspace_of_folder(workspace, dest)
        if workspace is None:
            return
    with progress_bars() as progress:
        frame = find_duplicates(workspace, DuplicatesConfig(threshold, keypoint_checks=keypoint_checks), progress)
    _show(frame, DEFAULT_THRESHOLD if threshold is None else threshold, Path(workspace) / DUPLICATES_FILE, csv)


def _workspace_of_folder(folder: Path, dest: Path) -> Path | None:
    """The folder's workspace at ``dest``, embedded first if there is none; None, having said why,
    when the folder holds fewer than two readable images."""
    from ..tasks.inputs import workspace_for

    if not is_workspace(dest):
        console.print(f"{folder} is a folder of images: embedding it into {dest} first", markup=False)
    try:
        with progress_bars() as progress:
            path, made = workspace_for(folder, dest, progress)
    except TooFewImagesError as err:  # nothing to compare; still say which files failed
        console.print(f"0 groups of duplicates: {err}", highlight=False, markup=False)
        return None
    if not made:
        console.print(f"Using the workspace {path} made from {folder} (images added since are not in it: "
                      f"`imgorg run {folder} --out {path}` refreshes it)", markup=False)
    return path


def _show(frame: pd.DataFrame, threshold: float, stored: Path, csv: Path | None) -> None:
    """The first groups, how many images could go, and where the groups are."""
    if csv:
        frame.to_csv(csv, index=False)
    n_groups = frame["group"].nunique()
    removable = int((~frame["keep"]).sum())
    console.print(f"{n_groups:,} groups of duplicates ({removable:,} images could go, keeping one per group); "
                  f"threshold {threshold}")
    for group, members in list(frame.groupby("group"))[:SHOWN_GROUPS]:
        console.print(f"[bold]group {group}[/] ({escape(members['kind'].iloc[0])})", highlight=False)
        for row in members.itertuples():
            mark = "keep" if row.keep else f"{row.similarity:.3f}"
            console.print(f"  {mark:>6}  {row.id:>7}  {row.path}", highlight=False, markup=False)
    if n_groups > SHOWN_GROUPS:
        console.print(f"... and {n_groups - SHOWN_GROUPS:,} more groups")
    console.print(f"Stored: [bold]{escape(str(stored))}[/]")
