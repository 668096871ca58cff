"""`imgorg index WORKSPACE [--kind auto]`: build the search index once and store it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..index import KINDS, build_index, save_index
from ..workspace import load_workspace, workspace_lock
from .console import console


def index_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    kind: Annotated[str, typer.Option(help=f"{', '.join(KINDS)}; auto = exact up to 200,000 images, else ivf-pq.")] = "auto",
) -> None:
    """Build the nearest-neighbour index used by search, duplicates, outliers and the app."""
    ws = load_workspace(workspace)
    with console.status(f"building a {kind} index of {len(ws.embeddings):,} vectors"):
        index = build_index(ws.embeddings, kind)
    with workspace_lock(workspace):
        save_index(workspace, index)
    console.print(f"{index.kind} index of {len(index):,} vectors built in {index.build_seconds:.1f} s "
                  f"{index.params or ''}")
