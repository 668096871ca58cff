"""`imgorg map WORKSPACE --method umap --dims 2`: compute and store a projection."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import MapConfig
from .console import console, escape


def map_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    method: Annotated[str, typer.Option(help="umap, tsne or pca.")] = "umap",
    dims: Annotated[int, typer.Option(help="2 or 3.")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Project the embeddings to 2D or 3D and store the map in the workspace."""
    from ..tasks import make_map

    with console.status(f"{escape(method)} map to {dims}D"):
        result = make_map(workspace, MapConfig(method=method, dims=dims, seed=seed))
    if result.fast_path:
        console.print(f"Fast path: {result.fast_path}", markup=False)
    console.print(f"{escape(method)} map of {len(result.points):,} images in {result.seconds:.1f} s: "
                  f"[bold]{escape(str(Path(workspace) / result.file))}[/]")
