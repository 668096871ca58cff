"""`imgorg map WORKSPACE --method umap --dims 2`: compute and store a projection."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..project import PROJECTIONS_RECORD, Projector, projection_name
from ..workspace import has_artifact, load_workspace, read_artifact, workspace_lock, write_artifact
from .console import console


def map_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    method: Annotated[str, typer.Option(help="umap, tsne or pca.")] = "umap",
    dims: Annotated[int, typer.Option(help="2 or 3.")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Project the embeddings to 2D or 3D and store the map in the workspace."""
    ws = load_workspace(workspace)
    projector = Projector(method=method, n_components=dims, random_state=seed)
    with console.status(f"{method} of {len(ws.reduced):,} images to {dims}D"):
        points = projector.fit_transform(ws.reduced)
    with workspace_lock(workspace):
        name = projection_name(method, dims)
        write_artifact(workspace, name, points)
        record = read_artifact(workspace, PROJECTIONS_RECORD) if has_artifact(workspace, PROJECTIONS_RECORD) else {}
        record[name] = {"method": method, "dims": dims, "seed": seed, "images": len(points),
                        "seconds": round(projector.seconds_, 2), "input": "reduced (L2 + PCA)",
                        "fast_path": projector.fast_path_}
        write_artifact(workspace, PROJECTIONS_RECORD, record)
    if projector.fast_path_:
        console.print(f"Fast path: {projector.fast_path_}")
    console.print(f"{method} map of {len(points):,} images in {projector.seconds_:.1f} s: "
                  f"[bold]{Path(workspace) / name}[/]")
