"""`imgorg outliers WORKSPACE [--method knn|lof]`: a score per image, the most unusual first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import OutlierConfig
from ..outliers import DEFAULT_K, METHODS
from ..workspace import OUTLIERS_FILE
from .console import console, escape


def outliers(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    method: Annotated[str, typer.Option(help=f"{' or '.join(METHODS)}: k-NN cosine distance, or Local Outlier Factor.")] = "knn",
    k: Annotated[int, typer.Option("-k", "--k", help="Neighbours per image.")] = DEFAULT_K,
    top: Annotated[int, typer.Option(help="How many to print.")] = 20,
) -> None:
    """Score how unusual each image is; store the scores for the app and the report."""
    from ..tasks import score_outliers

    with console.status(f"scoring outliers ({escape(method)})"):
        frame = score_outliers(workspace, OutlierConfig(method=method, k=k))
    console.print(f"The {min(top, len(frame))} most unusual of {len(frame):,} images ({escape(method)}, k={k}):")
    for row in frame.head(top).itertuples():
        console.print(f"  {row.rank:>4}  {row.score:.4f}  cluster {row.cluster:>3}  {row.path}",
                      highlight=False, markup=False)
    console.print(f"Stored: [bold]{escape(str(Path(workspace) / OUTLIERS_FILE))}[/]")
