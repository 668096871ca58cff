"""`imgorg add WORKSPACE FOLDER`: new images into the curated clusters; nothing already sorted moves."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..config import AddConfig
from .clusters import show
from .console import console, escape, print_skipped, progress_bars

if TYPE_CHECKING:  # annotations only: the module loads them when a command runs
    from ..tasks.add import AddResult

MAX_LISTED = 20  # failed and skipped files listed; the rest are counted


def add_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    folder: Annotated[Path, typer.Argument(help="Images to add (images the workspace already holds are skipped).")],
    threshold: Annotated[float, typer.Option(help="Join the most probable cluster at this probability or more, else 'unsorted'.")] = AddConfig.threshold,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    review: Annotated[bool, typer.Option("--review/--no-review", help="Where the workspace had a review, review the whole collection again (copies among the new and the old images; the decisions taken stay).")] = True,
) -> None:
    """Embed only the new images and place each in its most probable curated cluster, or in 'unsorted' for review."""
    from ..tasks.add import add_images
    from ..workspace import FACES_FILE

    had_people = (Path(workspace) / FACES_FILE).is_file()
    with progress_bars() as progress:
        result = add_images(workspace, AddConfig(folder=str(folder), threshold=threshold, seed=seed), progress)
    print_added(result, folder)
    if "review" in result.dropped and review:
        review_again(result.workspace)
    print_dropped(result, workspace, review)
    if had_people and not result.added.empty:  # the new images' faces (the others' come from the cache)
        from .people import find_and_summarise, print_summary

        print_summary(find_and_summarise(result.workspace))
    show(workspace)


def review_again(workspace) -> None:
    """The review of the whole collection, new images with the old (what a person adding photos wants
    to know first: are they copies of ones held?); accepted and dismissed findings stay decided."""
    from ..config import ReviewConfig
    from ..tasks.review import review_collection
    from .review import show_findings

    console.print("Reviewing the collection again, the new images with the others", highlight=False)
    with progress_bars() as progress:
        result = review_collection(workspace, ReviewConfig(), progress)
    for note in result.notes:
        console.print(note, highlight=False, markup=False)
    show_findings(result.summary, False, "Review")


def print_dropped(result: AddResult, workspace: Path, reviewed: bool) -> None:
    """What the add no longer stores (it covered the old images only), each with its command."""
    from ..workspace import ARTIFACTS

    gone = [name for name in result.dropped if not (name == "review" and reviewed)]
    if gone:
        console.print("No longer stored, as they covered the images before: " + ", ".join(
            f"{name} (`{ARTIFACTS[name].made_by} {workspace}`)" if name in ARTIFACTS else name for name in gone),
            highlight=False, markup=False)


def print_added(result: AddResult, folder: Path) -> None:
    """How many images were added and where each went (per cluster, and to 'unsorted'), which files
    failed and why, and which were skipped as not images."""
    added = result.added
    ok = int((added["status"] == "ok").sum())
    if added.empty:
        console.print(f"Nothing to add: the {result.already:,} files under {escape(str(folder))} are in the "
                      f"workspace's catalog already (those that failed to decode too).")
        print_skipped(result.skipped)
        return
    unsorted = result.placed.get(result.unsorted, 0) if result.unsorted is not None else 0
    review = f" (cluster {result.unsorted})" if result.unsorted is not None else ""
    console.print(f"Added {ok:,} images in {result.seconds:.1f} s: {ok - unsorted:,} placed in a cluster, "
                  f"{unsorted:,} in 'unsorted'{review} for review, "
                  f"{len(added) - ok:,} failed, {result.already:,} already in the workspace.", highlight=False)
    names = result.workspace.cluster_names()
    placed = [f"{n:,} to {c} ({names.get(c, '')!r})" for c, n in result.placed.items() if c != result.unsorted]
    if placed:
        console.print("Placed: " + ", ".join(placed), highlight=False, markup=False)
    failed = added[added["status"] != "ok"]
    for row in failed.head(MAX_LISTED).itertuples():
        console.print(f"  failed: {row.path}: {row.error}", highlight=False, markup=False)
    if len(failed) > MAX_LISTED:
        console.print(f"  ... and {len(failed) - MAX_LISTED:,} more failed: `imgorg inspect {folder} --json "
                      f"inspect.json` lists them all with their reasons", highlight=False, markup=False)
    print_skipped(result.skipped)
