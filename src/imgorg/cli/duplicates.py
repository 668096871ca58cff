"""`imgorg duplicates WORKSPACE|FOLDER [--threshold 0.82]`: groups of exact and near-duplicate images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..duplicates import DEFAULT_THRESHOLD, DUPLICATES_FILE, find_duplicates
from ..errors import WorkspaceError
from ..index import load_index
from ..workspace import MANIFEST, load_workspace, workspace_lock, write_artifact
from .console import console, progress_bars
from .options import Out

SHOWN_GROUPS = 10


def workspace_of_folder(folder: Path, out: Path | None) -> Path:
    """The workspace for a folder of images: the one at --out (or ./workspaces/<name>) if it
    was made from this folder, else a new one. k-means, not scan, and no report: only the
    embeddings matter here (10,000 images: 48 s against about 66 s for `imgorg run`)."""
    from ..config import ClusterConfig, RunConfig
    from ..pipeline import default_workspace, run as run_pipeline

    path = out or default_workspace(folder)
    if (path / MANIFEST).is_file():
        root = load_workspace(path, verify=False).manifest.get("source", {}).get("root")
        if not root or Path(root).resolve() != folder.resolve():
            raise WorkspaceError(f"{path} is the workspace of another source ({root}); pass --out with a new "
                                 f"folder for {folder}")
        console.print(f"Using the workspace {path} made from {folder} (images added since are not in it: "
                      f"`imgorg run {folder} --out {path}` refreshes it)")
        return path
    console.print(f"{folder} is a folder of images: embedding it into {path} first")
    with progress_bars() as progress:
        run_pipeline(folder, path, RunConfig(cluster=ClusterConfig(method="kmeans")), progress=progress)
    return path


def duplicates(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`, or a folder of images: embedded first (into --out), with k-means instead of scan to save time.")],
    out: Out = None,
    threshold: Annotated[float, typer.Option(help="Mean of embedding cosine and aligned 16x16-thumbnail and detail correlations at or above which two images are copies.")] = DEFAULT_THRESHOLD,
    csv: Annotated[Optional[Path], typer.Option(help="Also write the groups to this CSV file.")] = None,
) -> None:
    """Find copies: identical files by content hash, then resized/re-encoded/cropped ones by embedding."""
    if workspace.is_dir() and not (workspace / MANIFEST).is_file():
        workspace = workspace_of_folder(workspace, out)
    ws = load_workspace(workspace)
    images = ws.images
    with console.status(f"comparing {len(images):,} images"):
        frame = find_duplicates(images, ws.embeddings, ws.manifest["source"]["root"], threshold,
                                index=load_index(workspace, ws.embeddings))
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
