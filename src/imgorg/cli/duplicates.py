"""`imgorg duplicates WORKSPACE|FOLDER [--threshold 0.82]`: groups of exact and near-duplicate images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..duplicates import DEFAULT_THRESHOLD, DUPLICATES_FILE, find_duplicates
from ..errors import ConfigError, TooFewImagesError, WorkspaceError
from ..index import load_index
from ..sources import count_image_files
from ..workspace import is_workspace, load_workspace, read_manifest, workspace_lock, write_artifact
from .console import console, progress_bars
from .options import Out

SHOWN_GROUPS = 10


def workspace_of_folder(folder: Path, out: Path | None) -> Path | None:
    """The workspace for a folder of images: the one at --out (or ./workspaces/<name>) if it
    was made from all of this folder, else a new one. k-means, not scan, and no report: only
    the embeddings matter here (10,000 images: 48 s against about 66 s for `imgorg run`).
    None, having said why, when the folder holds fewer than two readable images."""
    from ..config import ClusterConfig, RunConfig
    from ..pipeline import default_workspace, run as run_pipeline

    if count_image_files(folder, 2) < 2:
        console.print(f"0 groups of duplicates: {folder} holds fewer than two images")
        return None
    path = out or default_workspace(folder)
    if is_workspace(path):
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


def duplicates(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`, or a folder of images: embedded first (into --out), with k-means instead of scan to save time.")],
    out: Out = None,
    threshold: Annotated[float, typer.Option(help="Mean of embedding cosine and aligned 16x16-thumbnail and detail correlations at or above which two images are copies.")] = DEFAULT_THRESHOLD,
    csv: Annotated[Optional[Path], typer.Option(help="Also write the groups to this CSV file.")] = None,
) -> None:
    """Find copies: identical files by content hash, then resized/re-encoded/cropped ones by embedding
    and thumbnails. WORKSPACE may also be a folder of images."""
    if not workspace.exists():
        raise WorkspaceError(f"{workspace} does not exist; pass a workspace made by `imgorg run` or a folder of images")
    if is_workspace(workspace):
        if out is not None:
            raise ConfigError(f"--out is for a folder of images; {workspace} is already a workspace")
    elif workspace.is_dir():
        folder, workspace = workspace, workspace_of_folder(workspace, out)
        if workspace is None:
            return
    ws = load_workspace(workspace)
    images = ws.images
    with progress_bars() as progress:
        frame = find_duplicates(images, ws.embeddings, ws.manifest["source"]["root"], threshold,
                                index=load_index(workspace, ws.embeddings), progress=progress)
    with workspace_lock(workspace):
        write_artifact(workspace, DUPLICATES_FILE, frame)
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
    console.print(f"Stored: [bold]{Path(workspace) / DUPLICATES_FILE}[/]")
