"""`imgorg clusters WORKSPACE [rename|merge|split|move|drop|undo|history]`: list and curate the clusters.

Every edit goes to the workspace's curation log and is applied on read: the clustering it was
made on stays as it was, `undo` takes back the latest edit, `history` lists them all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from ..curation import (
    UNSORTED_NAME, Drop, Merge, Move, Rename, Split, Undo, check_name, compact, describe, latest_standing,
)
from ..errors import ConfigError
from .console import console, escape

if TYPE_CHECKING:  # annotations only: the module loads them when a command runs
    from ..views import Workspace

ACTIONS = ("rename", "merge", "split", "move", "drop", "undo", "history")


def clusters_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    action: Annotated[Optional[str], typer.Argument(help=f"One of {', '.join(ACTIONS)}; none lists the clusters.")] = None,
    args: Annotated[Optional[list[str]], typer.Argument(help="rename ID NAME | merge ID ID... | split ID | move IMAGE... | drop IMAGE...")] = None,
    to: Annotated[Optional[int], typer.Option("--to", help="move: the cluster the images go to.")] = None,
    name: Annotated[Optional[str], typer.Option(help="merge: the merged cluster's name.")] = None,
    k: Annotated[int, typer.Option("--k", "-k", help="split: parts (k-means on the cluster's images).")] = 2,
    seed: Annotated[int, typer.Option(help="split: random seed.")] = 0,
    method: Annotated[Optional[str], typer.Option(help="Clustering to list (default: the workspace's; curated once edited).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the list (or the history) as JSON.")] = False,
    person: Annotated[Optional[list[str]], typer.Option("--person", help="List: count only the images that show this person (id or name; repeat: all of them).")] = None,
    place: Annotated[Optional[list[str]], typer.Option("--place", help="List: count only the images taken at this city, region or country (repeat: any of them).")] = None,
) -> None:
    """List the clusters (id, name, size, top label where labels exist), or curate them:

    rename ID NAME, merge ID ID... [--name N], split ID [--k N], move IMAGE... --to ID,
    drop IMAGE..., undo, history. Edits are kept in the workspace's curation log and applied
    on read; the clustering they were made on stays as it was."""
    from ..tasks.curate import edit_clusters
    from ..views import load_workspace

    args = list(args or [])
    if action is None:
        return show(workspace, method, json_out, people=tuple(person or ()), places=tuple(place or ()))
    if action not in ACTIONS:
        raise ConfigError(f"unknown action {action!r}; actions: {', '.join(ACTIONS)} (or none, to list)")
    if action == "history":
        return _history(workspace, json_out)
    edit, said = _edit(action, args, to, name, k, seed)
    ws = load_workspace(workspace)  # once: the edit and the listing after it use the same object
    if isinstance(edit, Undo):
        ws, said = undo(ws)
    else:
        ws = edit_clusters(ws, edit).workspace
    console.print(said, highlight=False, markup=False)
    show(ws)


def undo(ws: Workspace) -> tuple[Workspace, str]:
    """Take back the latest edit that stands (`clusters undo`, `review --undo`), and say which, named as
    it was before."""
    from ..tasks.curate import edit_clusters

    undone = latest_standing(ws.edit_log())
    said = f"Undone: {describe(undone, ws.cluster_names())}" if undone is not None else "Undone: the latest edit that stood"
    return edit_clusters(ws, Undo()).workspace, said


def _edit(action: str, args: list[str], to: int | None, name: str | None, k: int, seed: int):
    """The edit an action asks for, and the sentence that says it was done."""
    numbers = _ints(args if action != "rename" else args[:1])
    if action == "rename":
        if len(args) != 2:
            raise ConfigError("rename takes a cluster id and a name: imgorg clusters WS rename 3 'beach photos'")
        return Rename(numbers[0], args[1]), f"Cluster {numbers[0]} is now {check_name(args[1])!r}"
    if action == "merge":
        return Merge(tuple(numbers), name), f"Merged {', '.join(map(str, numbers))} into {numbers[0] if numbers else '?'}"
    if action == "split":
        if len(numbers) != 1:
            raise ConfigError("split takes one cluster id: imgorg clusters WS split 3 --k 2")
        return Split(numbers[0], k, seed), f"Split cluster {numbers[0]} into {k} new clusters"
    if action == "move":
        if to is None:
            raise ConfigError("move needs --to CLUSTER: imgorg clusters WS move 12 40 --to 3")
        return Move(tuple(numbers), to), f"Moved {len(numbers)} image(s) to cluster {to}"
    if action == "drop":
        return Drop(tuple(numbers)), f"{len(numbers)} image(s) now belong to no cluster"
    if args:
        raise ConfigError(f"undo takes nothing after it, not {' '.join(args)!r}")
    return Undo(), "Undone: the latest edit that stood"


def _ints(values: list[str]) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError:
        raise ConfigError(f"expected whole numbers (ids), got {' '.join(values)!r}") from None


def show(workspace: Path | Workspace, method: str | None = None, json_out: bool = False,
         people: tuple[str, ...] = (), places: tuple[str, ...] = ()) -> None:
    """The cluster table; with ``people`` or ``places`` the sizes count only their images (clusters with
    none of them are left out)."""
    from ..views import Workspace, load_workspace

    ws = workspace if isinstance(workspace, Workspace) else load_workspace(workspace)
    method = ws.check_method(method)
    within = ws.image_filter(places, people) if (people or places) else None
    table = ws.clusters(method, within=within)
    if json_out:
        typer.echo(json.dumps(table.to_dict(orient="records"), indent=2, default=_json))
        return
    shown = " and ".join([f"at {' or '.join(places)}"] * bool(places) + [f"with {' and '.join(people)}"] * bool(people))
    out = Table(title=f"Clusters ({method})" + (f", images {shown}" if shown else ""))
    labelled = "top_label" in table  # where some images have labels (folder names)
    for column in ("id", "name", "images") + (("top label", "share") if labelled else ()):
        out.add_column(column, justify="right" if column in ("id", "images", "share") else "left")
    for row in table.itertuples():
        cells = [str(row.id), escape(row.name + (" (unsorted)" if row.unsorted and row.name != UNSORTED_NAME else "")), f"{row.size:,}"]
        if labelled:
            cells += [escape(str(row.top_label)), f"{row.top_share:.0%}" if row.top_label else ""]
        out.add_row(*cells)
    console.print(out)


def _json(value):
    return value.item() if hasattr(value, "item") else str(value)


def _history(workspace: Path, json_out: bool) -> None:
    from ..tasks.curate import history
    from ..views import load_workspace

    edits = history(workspace)
    if json_out:
        typer.echo(json.dumps([{**compact(edit), "standing": edit["standing"]} for edit in edits], indent=2))
        return
    if not edits:
        console.print("No edits yet.")
        return
    names = load_workspace(workspace).cluster_names()
    for i, edit in enumerate(edits, 1):
        mark = "" if edit["standing"] or edit["op"] == "undo" else "  (undone)"
        console.print(f"{i:>3}  {edit['at']}  {describe(edit, names)}{mark}", highlight=False, markup=False)
