"""`imgorg people WORKSPACE`: find the faces in every image and group them into people."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from ..config import PeopleConfig
from ..workspace import FACES_FILE
from .console import console, escape, progress_bars

_DEFAULT = PeopleConfig()


def people_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    long_side: Annotated[int, typer.Option(help="Images are searched scaled down to this long side (pixels).")] = _DEFAULT.long_side,
    upsample: Annotated[int, typer.Option(help="Detector upsamplings: 1 finds faces down to about 40 px; each more costs about 4x.")] = _DEFAULT.upsample,
    min_face_px: Annotated[int, typer.Option(help="Smaller faces (pixels of the scaled image) are kept as unrecognised.")] = _DEFAULT.min_face_px,
    min_score: Annotated[float, typer.Option(help="Faces the detector scores lower are kept as unrecognised.")] = _DEFAULT.min_score,
    threshold: Annotated[float, typer.Option(help="Descriptor distance under which two faces are linked (lower: fewer merges, more splits).")] = _DEFAULT.threshold,
    workers: Annotated[int, typer.Option(help="Processes (default: every core this process may use).")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Find faces (dlib, offline), group them into people; store faces.parquet and face_descriptors.npy."""
    config = PeopleConfig(long_side=long_side, upsample=upsample, min_face_px=min_face_px, min_score=min_score,
                          threshold=threshold)
    summary = find_and_summarise(workspace, config, workers or None)
    if json_out:
        typer.echo(json.dumps(summary, indent=2))
        return
    print_summary(summary)
    console.print(f"Stored: [bold]{escape(str(Path(workspace) / FACES_FILE))}[/]")


def find_and_summarise(workspace, config: PeopleConfig = _DEFAULT, workers: int | None = None) -> dict:
    """Run ``find_people`` with progress bars; its summary with the images looked at and the seconds."""
    from ..tasks.people import find_people

    start = time.perf_counter()
    with progress_bars() as progress:
        table = find_people(workspace, config, progress, workers)
    return {**table.attrs, "seconds": round(time.perf_counter() - start, 1)}


def print_summary(summary: dict) -> None:
    cached = summary.get("images", 0) - summary["looked_at"]
    looked = f"{summary['looked_at']:,} images looked at" + (f", {cached:,} from the cache" if cached > 0 else "")
    console.print(
        f"People ({summary['seconds']:.1f} s, {looked}): "
        f"{summary['faces']:,} faces in {summary['images_with_faces']:,} images; {summary['people']:,} people "
        f"({summary['in_groups']:,} with two faces or more); {summary['unrecognised']:,} faces in no group "
        "(too small, unsure, or seen once)", highlight=False)
