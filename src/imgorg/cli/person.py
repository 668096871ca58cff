"""`imgorg person list|name|merge|split|move|not|undo|history WS ...`: the people, curated like clusters.

Every edit goes to the people's log (person_edits.json) and is applied on read: the faces as
`imgorg people` found them stay as they were, `undo` takes back the latest edit, and names hold
across reruns, `add` and a recompute of the faces."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..persons import MergePeople, MoveFaces, NamePerson, NotPerson, SplitPerson, UndoPerson, describe
from .console import console, escape

app = typer.Typer(help="List and curate the people: name, merge, split, move faces, 'not this person', undo.",
                  no_args_is_help=True)
Workspace = Annotated[Path, typer.Argument(help="A workspace where `imgorg people` found faces.")]
Faces = Annotated[list[int], typer.Option("--faces", help="Face ids (`imgorg person list WS --faces`).")]


def _edit(workspace: Path, edit) -> None:
    from ..tasks.person import edit_people

    done = edit_people(workspace, edit)
    console.print(describe(done.edit), highlight=False, markup=False)


@app.command("list")
def list_people(workspace: Workspace,
                faces: Annotated[bool, typer.Option("--faces", help="List every face (face id, image, person) instead.")] = False,
                json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """One row per person: id, name, faces, images, the face shown for them."""
    from ..views import load_workspace

    ws = load_workspace(workspace)
    table = ws.faces()[["face_id", "image_id", "person", "name", "score", "x", "y", "w", "h"]] if faces else ws.people()
    if json_out:
        typer.echo(table.to_json(orient="records", indent=2))
        return
    shown = Table(title=f"{len(table):,} {'faces' if faces else 'people'} in {escape(str(workspace))}")
    for column in table.columns:
        shown.add_column(column, justify="left" if column == "name" else "right")
    for row in table.itertuples(index=False):
        shown.add_row(*[escape(f"{v:.3f}" if isinstance(v, float) else str(v)) for v in row])
    console.print(shown)


@app.command("name")
def name(workspace: Workspace, person: int, new_name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Give PERSON a name."""
    _edit(workspace, NamePerson(person, new_name))


@app.command("merge")
def merge(workspace: Workspace, persons: Annotated[list[int], typer.Argument(help="Two or more person ids; the first keeps its id.")],
          new_name: Annotated[Optional[str], typer.Option("--name", help="The merged person's name.")] = None) -> None:
    """Merge people who are one person."""
    _edit(workspace, MergePeople(tuple(persons), new_name))


@app.command("split")
def split(workspace: Workspace, person: int, faces: Faces) -> None:
    """These faces of PERSON become a new person (the rest keep the name)."""
    _edit(workspace, SplitPerson(person, tuple(faces)))


@app.command("move")
def move(workspace: Workspace, faces: Faces, to: Annotated[int, typer.Option("--to", help="The person they go to.")]) -> None:
    """Move faces to another person."""
    _edit(workspace, MoveFaces(tuple(faces), to))


@app.command("not")
def not_person(workspace: Workspace, faces: Faces) -> None:
    """'Not this person': the faces belong to no one."""
    _edit(workspace, NotPerson(tuple(faces)))


@app.command("undo")
def undo(workspace: Workspace) -> None:
    """Take back the latest edit of the people that stands."""
    from ..tasks.person import edit_people, person_history

    standing = [e for e in person_history(workspace) if e["standing"]]
    edit_people(workspace, UndoPerson())
    console.print(f"undid: {describe(standing[-1])}" if standing else "undid the latest edit", highlight=False,
                  markup=False)


@app.command("history")
def history(workspace: Workspace, json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every edit of the people, in order, and whether it stands."""
    from ..tasks.person import person_history

    edits = person_history(workspace)
    if json_out:
        typer.echo(json.dumps([{k: v for k, v in e.items() if k not in ("faces", "to_faces")} for e in edits], indent=2))
        return
    for i, edit in enumerate(edits, 1):  # numbered from 1, as the clusters' history
        console.print(f"{i:3d}  {edit.get('at', '')}  {describe(edit)}{'' if edit['standing'] else '  (undone)'}",
                      highlight=False, markup=False)
