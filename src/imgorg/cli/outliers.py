"""`imgorg outliers WORKSPACE [--method knn|lof]`: a score per image, the most unusual first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..index import load_index
from ..outliers import DEFAULT_K, METHODS, OUTLIERS_FILE, outlier_scores, outliers_frame
from ..workspace import load_workspace, workspace_lock, write_artifact
from .console import console


def outliers(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    method: Annotated[str, typer.Option(help=f"{' or '.join(METHODS)}: k-NN cosine distance, or Local Outlier Factor.")] = "knn",
    k: Annotated[int, typer.Option("-k", "--k", help="Neighbours per image.")] = DEFAULT_K,
    top: Annotated[int, typer.Option(help="How many to print.")] = 20,
) -> None:
    """Score how unusual each image is; store the scores for the app and the report."""
    ws = load_workspace(workspace)
    with console.status(f"scoring {len(ws.embeddings):,} images ({method})"):
        scores = outlier_scores(ws.embeddings, ws.reduced, method, k, index=load_index(workspace, ws.embeddings))
    frame = outliers_frame(ws.images, scores, ws.cluster_labels())
    frame["method"] = method
    with workspace_lock(workspace):
        write_artifact(workspace, OUTLIERS_FILE, frame)
    console.print(f"The {min(top, len(frame))} most unusual of {len(frame):,} images ({method}, k={k}):")
    for row in frame.head(top).itertuples():
        console.print(f"  {row.rank:>4}  {row.score:.4f}  cluster {row.cluster:>3}  {row.path}",
                      highlight=False, markup=False)
    console.print(f"Stored: [bold]{Path(workspace) / OUTLIERS_FILE}[/]")
