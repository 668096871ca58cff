"""`imgorg search WORKSPACE QUERY | --text "..."`: the images most like an image file, an image id or a sentence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from ..config import SearchConfig
from ..errors import ConfigError
from .console import console, escape

if TYPE_CHECKING:  # annotations only: the module loads them when a command runs
    from ..tasks.search import Searcher


def search(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    query: Annotated[Optional[str], typer.Argument(help="An image file, or the id of an image in the workspace.")] = None,
    k: Annotated[int, typer.Option("-k", "--k", min=1, help="Neighbours to return.")] = 10,
    method: Annotated[Optional[str], typer.Option(help="Clustering whose cluster ids are shown.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    image: Annotated[Optional[Path], typer.Option("--image", help="An image file (as QUERY, but never read as an id).")] = None,
    image_id: Annotated[Optional[int], typer.Option("--id", help="The id of an image in the workspace (as QUERY).")] = None,
    text: Annotated[Optional[str], typer.Option("--text", help="Search by words: a sentence through CLIP (clip-vit-b-32 workspaces), else words through WordNet's relations to the images' ImageNet tags; says which classes it went through.")] = None,
    evaluate: Annotated[bool, typer.Option(help="Score retrieval against the labels: precision@k and mAP@k, every image a query.")] = False,
    place: Annotated[Optional[list[str]], typer.Option("--place", help="Only images taken at this city, region or country (repeat: any of them).")] = None,
    person: Annotated[Optional[list[str]], typer.Option("--person", help="Only images showing this person, by name or id (repeat: all of them together).")] = None,
) -> None:
    """Find the images most similar to QUERY (cosine similarity of the embeddings)."""
    from ..tasks.search import Searcher, find_similar, resolve_query
    from ..views import load_workspace

    ws = load_workspace(workspace)
    method = ws.check_method(method)  # an unknown method fails before any search
    if evaluate:
        return _evaluate(ws, Searcher(ws), k, json_out)
    given = {name: value for name, value in (("QUERY", query), ("--image", image), ("--id", image_id),
                                             ("--text", text)) if value is not None}
    if (place or person) and not given:
        return _filtered(ws, place or (), person or (), k, json_out)
    if len(given) > 1:
        raise ConfigError(f"give one query, not {' and '.join(given)}")
    if not given:
        raise ConfigError("give a QUERY (an image file or an image id), --image, --id, --text, or --evaluate")
    if image is not None:
        if not image.is_file():
            raise ConfigError(f"--image {str(image)!r} is no file")
        query = str(image)
    within = ws.image_filter(place or (), person or ()) if (place or person) else None
    asked = k if within is None else len(ws.images)  # filtered after the search: ask for all, keep k
    result = find_similar(ws, SearchConfig(resolve_query(query, text=text, image_id=image_id), asked, method))
    found, query = result.neighbours, result.query.name
    if within is not None:
        found = [n for n in found if within[n.row]][:k]
    how = result.how if text is not None else None
    clusters = ws.cluster_labels(method)
    images = ws.images
    rows = [{"rank": i + 1, "id": int(images["id"].iloc[n.row]), "similarity": round(n.similarity, 4),
             "cluster": int(clusters[n.row]), "path": str(images["path"].iloc[n.row])}
            for i, n in enumerate(found)]
    if json_out:
        payload = {"query": query, "query_id": result.query.image_id, "text": text is not None, "how": how,
                   "method": method, "index": result.index, "neighbours": rows,
                   "cluster": None if result.query.text is not None else result.cluster,  # words have no cluster
                   "words": result.words.to_dict() if result.words is not None else None}
        typer.echo(json.dumps(payload, indent=2))
        return
    if how and not rows:  # word search: no image's top ImageNet classes show the word
        console.print(f"No image matches {text!r}: none has, among its most probable classes, one that shows it. "
                      f"{how}. Try a broader word (e.g. 'animal', 'vehicle') or search by an image.",
                      highlight=False, markup=False)
        return
    # a word search without CLIP says what it went through under the table, not in its title
    what = "word search through ImageNet tags" if result.words is not None else escape(how) if how else f"{result.index} search"
    table = Table(title=f"Nearest to {escape(query)} ({what}, clusters of {escape(method)})")
    for column in ("rank", "id", "similarity", "cluster", "path"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for record in rows:
        table.add_row(*[f"{v:.4f}" if isinstance(v, float) else escape(str(v)) for v in record.values()])
    console.print(table)
    if how:
        console.print(how if how.startswith(("'", '"')) else f"Found by {how}", highlight=False, markup=False)
        return
    console.print(f"{'Its cluster' if result.row is not None else 'Predicted cluster'}: [bold]{result.cluster}[/]",
                  highlight=False)


def _evaluate(ws, searcher: Searcher, k: int, json_out: bool) -> None:
    from ..metrics import retrieval_scores

    labels = ws.labels
    if labels is None:
        raise ConfigError("--evaluate needs a label for every image (a folder-per-class tree)")
    with console.status(f"searching {len(labels):,} queries"):
        _, rows = searcher.index.search(ws.embeddings, k, exclude_self=True)
    scores = retrieval_scores(rows, labels)
    if json_out:
        typer.echo(json.dumps(scores, indent=2))
    else:
        console.print(f"precision@{k} {scores['precision_at_k']:.3f}, mAP@{k} {scores['map_at_k']:.3f} "
                      f"over {scores['queries']:,} queries ({searcher.index.kind} search)")


def _filtered(ws, places, people, k: int, json_out: bool) -> None:
    """The images at these places that show all these people (no query): capture order, k at most."""
    import pandas as pd

    hit = ws.image_filter(places, people)
    images = ws.images[hit]
    where = ws.places()[hit]["place_city"] if ws.has_places() else pd.Series([None] * len(images))
    taken = pd.to_datetime(images["taken_at"], errors="coerce") if "taken_at" in images else pd.Series([pd.NaT] * len(images))
    rows = [{"id": int(i), "path": str(p), "taken_at": None if pd.isna(t) else pd.Timestamp(t).isoformat(),
             "place": None if c is None or pd.isna(c) else str(c)}
            for i, p, t, c in zip(images["id"], images["path"], taken, where)]
    rows = sorted(rows, key=lambda r: (r["taken_at"] is None, r["taken_at"] or "", r["id"]))
    what = " and ".join([f"at {' or '.join(places)}"] * bool(places) + [f"with {' and '.join(people)}"] * bool(people))
    if json_out:
        typer.echo(json.dumps({"places": list(places), "people": list(people), "found": len(rows),
                               "images": rows[:k]}, indent=2))
        return
    table = Table(title=f"{len(rows):,} images {escape(what)}" + (f" (first {k})" if len(rows) > k else ""))
    for column in ("id", "taken_at", "place", "path"):
        table.add_column(column, justify="right" if column == "id" else "left")
    for record in rows[:k]:
        table.add_row(*[escape("" if record[c] is None else str(record[c])) for c in ("id", "taken_at", "place", "path")])
    console.print(table)
