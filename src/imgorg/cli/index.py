"""`imgorg index WORKSPACE [--kind auto]`: build the search index once and store it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import IndexConfig
from ..index import KINDS
from .console import console, escape


def index_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    kind: Annotated[str, typer.Option(help=f"{', '.join(KINDS)}; auto = exact up to 200,000 images, else ivf-pq.")] = "auto",
) -> None:
    """Build the nearest-neighbour index used by search, duplicates, outliers and the app."""
    from ..tasks import build_search_index

    with console.status(f"building a {escape(kind)} index"):
        index = build_search_index(workspace, IndexConfig(kind=kind))
    console.print(f"{index.kind} index of {len(index):,} vectors built in {index.build_seconds:.1f} s "
                  f"{index.params or ''}", markup=False)
