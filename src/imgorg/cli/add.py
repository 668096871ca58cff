"""`imgorg add WORKSPACE FOLDER`: new images into the curated clusters; nothing already sorted moves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import AddConfig
from ..tasks.add import AddResult, add_images
from .clusters import show
from .console import console, escape, progress_bars

MAX_LISTED = 20  # failed and skipped files listed; the rest are counted


def add_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    folder: Annotated[Path, typer.Argument(help="Images to add (images the workspace already holds are skipped).")],
    threshold: Annotated[float, typer.Option(help="Join the most probable cluster at this probability or more, else 'unsorted'.")] = AddConfig.threshold,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Embed only the new images and place each in its most probable curated cluster, or in 'unsorted' for review."""
    with progress_bars() as progress:
        result = add_images(workspace, AddConfig(folder=str(folder), threshold=threshold, seed=seed), progress)
    print_added(result, folder)
    show(workspace)


def print_added(result: AddResult, folder: Path) -> None:
    """How many images were added and where each went (per cluster, and to 'unsorted'), which files
    failed and why, and which were skipped as not images."""
    added = result.added
    ok = int((added["status"] == "ok").sum())
    if added.empty:
        console.print(f"Nothing to add: the {result.already:,} images under {escape(str(folder))} are in the "
                      f"workspace already.")
        _print_skipped(result, folder)
        return
    unsorted = result.placed.get(result.unsorted, 0) if result.unsorted is not None else 0
    console.print(f"Added {ok:,} images in {result.seconds:.1f} s: {ok - unsorted:,} placed in a cluster, "
                  f"{unsorted:,} in 'unsorted' (cluster {result.unsorted}) for review, "
                  f"{len(added) - ok:,} failed, {result.already:,} already in the workspace.", highlight=False)
    names = result.workspace.cluster_names()
    placed = [f"{n:,} to {c} ({names.get(c, '')!r})" for c, n in result.placed.items() if c != result.unsorted]
    if placed:
        console.print("Placed: " + ", ".join(placed), highlight=False, markup=False)
    failed = added[added["status"] != "ok"]
    for row in failed.head(MAX_LISTED).itertuples():
        console.print(f"  failed: {row.path}: {row.error}", highlight=False, markup=False)
    if len(failed) > MAX_LISTED:
        console.print(f"  ... and {len(failed) - MAX_LISTED:,} more failed (see catalog.parquet)")
    _print_skipped(result, folder)


def _print_skipped(result: AddResult, folder: Path) -> None:
    skipped = result.skipped
    if skipped is None or skipped.empty:
        return
    many = len(skipped) != 1
    console.print(f"{len(skipped):,} file{'s' if many else ''} under {escape(str(folder))} {'are' if many else 'is'} "
                  f"not {'images' if many else 'an image'} imgorg can read, skipped:", highlight=False)
    for row in skipped.head(MAX_LISTED).itertuples():
        console.print(f"  {row.path}: {row.reason}" + (f" ({row.detail})" if row.detail else ""),
                      highlight=False, markup=False)
    if len(skipped) > MAX_LISTED:
        console.print(f"  ... and {len(skipped) - MAX_LISTED:,} more")
