"""`imgorg export WORKSPACE --to folders DIR | csv FILE | parquet FILE`: the clusters, outside the workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import EXPORT_FORMS as FORMS
from ..errors import ConfigError
from .console import console, escape


def export_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    to: Annotated[Optional[tuple[str, Path]], typer.Option(help="folders DIR (a folder per cluster), csv FILE or parquet FILE (a row per image).")] = None,
    link: Annotated[bool, typer.Option("--link/--copy", help="folders: symlink each image (default) or copy it.")] = True,
    method: Annotated[Optional[str], typer.Option(help="Clustering to export (default: the workspace's).")] = None,
    force: Annotated[bool, typer.Option(help="folders: add to a non-empty DIR (nothing in it is overwritten).")] = False,
    by: Annotated[str, typer.Option(help="folders: cluster (a folder per cluster, named after it), date (YYYY/MM by capture time), place (Country/City from GPS), some nested (cluster,date; place,date), or person (a folder per person).")] = "cluster",
    removed: Annotated[Optional[Path], typer.Option("--removed", help="Write the files a review set aside (path, kind, the copy kept) to this CSV (or .parquet); nothing is deleted.")] = None,
) -> None:
    """Export the clusters: a folder per cluster (noise in `noise`), or a table with distances, outlier scores and duplicate groups.
    What a review removed (`imgorg review --accept`) is left out; --removed lists it."""
    from ..tasks.export import export_folders, write_removed, write_table

    from ..views import load_workspace

    if to is None and removed is None:
        raise ConfigError("give --to folders DIR | csv FILE | parquet FILE, or --removed FILE")
    if removed is not None:
        frame = write_removed(load_workspace(workspace), removed)
        console.print(f"{len(frame):,} removed files listed in [bold]{escape(str(removed))}[/] (nothing was deleted)")
        if to is None:
            return
    form, target = to
    if form not in FORMS:
        raise ConfigError(f"--to {form!r} is not one of {', '.join(FORMS)}; e.g. --to folders out/ or --to csv out.csv")
    ws = load_workspace(workspace)
    if form != "folders":
        frame = write_table(ws, target, form, method)
        console.print(f"{len(frame):,} images written to [bold]{escape(str(target))}[/] ({form}, clusters of "
                      f"{escape(method or ws.method)})")
    else:
        with console.status(f"{'linking' if link else 'copying'} {len(ws.images):,} images"):
            done = export_folders(ws, target, copy=not link, method=method, force=force, by=by)
        console.print(f"{done.images:,} images {'linked' if link else 'copied'} into {_folders(done)} under "
                      f"[bold]{escape(str(target))}[/]"
                      + (f" (clusters of {escape(done.method)})" if "cluster" in done.by else "")
                      + (f"; {done.renamed:,} renamed to avoid a name collision" if done.renamed else "")
                      + (f"; with them {done.companions:,} files of the same shots (RAW originals, Live Photo "
                         f"videos, sidecars)" if done.companions else ""))
        if done.missing:
            console.print(f"[yellow]{len(done.missing):,} images are no longer in the source folder and were "
                          f"skipped[/], e.g. {escape(done.missing[0])}", highlight=False)
    failed = len(ws.failures)
    if failed:
        console.print(f"{failed:,} file{'s' if failed != 1 else ''} failed to decode and {'was' if failed == 1 else 'were'} not exported (`imgorg inspect "
                      f"{escape(str(ws.root))}` says why).", highlight=False)


def _folders(done) -> str:
    """Where the images went: "4 cluster folders and noise (2)", "5 month folders (YYYY/MM)", ..."""
    noise = f" and noise ({done.noise:,})" if done.noise else ""
    if done.by == ("cluster",):
        return f"{done.clusters:,} cluster folders{noise}"
    if done.by == ("date",):
        return f"{done.folders:,} month folders (YYYY/MM by capture time)"
    if done.by == ("place",):
        return f"{done.folders:,} place folders (Country/City)"
    if done.by == ("person",):
        return f"{done.folders:,} person folders"
    if "cluster" not in done.by:
        return f"{done.folders:,} {'/'.join(done.by)} folders"
    nesting = "cluster/YYYY/MM" if done.by[0] == "cluster" else "YYYY/MM/cluster"
    return f"{done.folders:,} {nesting} folders ({done.clusters:,} clusters{noise})"
