"""`imgorg places WORKSPACE [--json]`: the places the photos were taken, from their GPS positions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .console import console, escape


def places_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the places (nearest GeoNames city, region, country) with their photo counts and dates."""
    from ..places import NO_GPS
    from ..views import load_workspace

    ws = load_workspace(workspace)
    table = ws.places_table() if ws.has_places() else None
    if json_out:
        rows = [] if table is None else [
            {**r, "first": _day(r["first"]), "last": _day(r["last"])} for r in table.to_dict(orient="records")]
        typer.echo(json.dumps({"places": rows, "images_with_gps": int(ws.places()["place_city"].notna().sum())
                               if table is not None else 0, "images": len(ws.images)}, indent=2))
        return
    if table is None:
        console.print(NO_GPS[0].upper() + NO_GPS[1:], highlight=False, markup=False)
        return
    shown = Table(title=f"{len(table):,} places, {int(table['images'].sum()):,} of {len(ws.images):,} images "
                        "(GeoNames places of 1,000+ people, CC BY 4.0)")
    for column in ("city", "region", "country", "images", "first", "last"):
        shown.add_column(column, justify="right" if column == "images" else "left")
    for row in table.itertuples(index=False):
        shown.add_row(escape(row.city), escape(row.region), escape(row.country), f"{row.images:,}", _day(row.first),
                      _day(row.last))
    console.print(shown)


def _day(value) -> str:
    import pandas as pd

    return "" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()
