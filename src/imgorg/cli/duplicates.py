"""`imgorg duplicates WORKSPACE [--threshold 0.9]`: groups of exact and near-duplicate images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..duplicates import DEFAULT_THRESHOLD, DUPLICATES_FILE, find_duplicates
from ..index import load_index
from ..workspace import load_workspace, workspace_lock, write_artifact
from .console import console

SHOWN_GROUPS = 10


def duplicates(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    threshold: Annotated[float, typer.Option(help="Mean of embedding cosine and aligned 16x16-thumbnail and detail correlations at or above which two images are copies.")] = DEFAULT_THRESHOLD,
    csv: Annotated[Optional[Path], typer.Option(help="Also write the groups to this CSV file.")] = None,
) -> None:
    """Find copies: identical files by content hash, then resized/re-encoded/cropped ones by embedding."""
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
