"""`imgorg add WORKSPACE FOLDER`: new images into the curated clusters; nothing already sorted moves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import AddConfig
from ..tasks.add import add_images
from .clusters import show
from .console import console, escape, print_skipped, progress_bars


def add_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    folder: Annotated[Path, typer.Argument(help="Images to add (images the workspace already holds are skipped).")],
    threshold: Annotated[float, typer.Option(help="Join the most probable cluster at this probability or more, else 'unsorted'.")] = AddConfig.threshold,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Embed only the new images and place each in its most probable curated cluster, or in 'unsorted' for review."""
    with progress_bars() as progress:
        result = add_images(workspace, AddConfig(folder=str(folder), threshold=threshold, seed=seed), progress)
    added = result.added
    ok = int((added["status"] == "ok").sum())
    if ok == 0 and added.empty:
        console.print(f"Nothing to add: the {result.already:,} images under {escape(str(folder))} are in the "
                      f"workspace already.")
        print_skipped(result.skipped)
        return
    unsorted = result.placed.get(result.unsorted, 0) if result.unsorted is not None else 0
    review = f" (cluster {result.unsorted})" if result.unsorted is not None else ""
    console.print(f"Added {ok:,} images in {result.seconds:.1f} s: {ok - unsorted:,} placed in a cluster, "
                  f"{unsorted:,} in 'unsorted'{review} for review, "
                  f"{len(added) - ok:,} failed, {result.already:,} already in the workspace.", highlight=False)
    for row in added[added["status"] != "ok"].itertuples():
        console.print(f"  {row.path}: {row.error}", highlight=False, markup=False)
    print_skipped(result.skipped)
    show(workspace)
