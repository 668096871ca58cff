"""`imgorg classify WORKSPACE --labels labels.csv|from-folders`: label a few, predict the rest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..classify import CLASSIFY_FILE, MODELS, PREDICTIONS_FILE, classify, read_labels
from ..errors import ConfigError
from ..workspace import load_workspace, workspace_lock, write_artifact
from .console import console

FROM_FOLDERS = "from-folders"


def classify_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    labels: Annotated[str, typer.Option(help="A CSV (columns id or path, and label; unlabelled images left out) or 'from-folders'.")] = FROM_FOLDERS,
    models: Annotated[str, typer.Option(help=f"Comma-separated: {', '.join(MODELS)}.")] = ",".join(MODELS),
    folds: Annotated[int, typer.Option(help="Stratified cross-validation folds.")] = 5,
    features: Annotated[str, typer.Option(help="embeddings (full) or reduced (PCA, faster).")] = "embeddings",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Cross-validate SVM (RBF), random forest and logistic regression; predict unlabelled images."""
    ws = load_workspace(workspace)
    images = ws.images
    known = images["label"].astype("string") if labels == FROM_FOLDERS else read_labels(Path(labels), images)
    if features not in ("embeddings", "reduced"):
        raise ConfigError(f"--features {features!r} must be embeddings or reduced")
    X = ws.embeddings if features == "embeddings" else ws.reduced
    names = [m.strip() for m in models.split(",") if m.strip()]
    with console.status(f"cross-validating {', '.join(names)} on {int(known.notna().sum()):,} labelled images"):
        result = classify(X, known, images["id"].to_numpy(), names, folds, seed)
    result.predictions.insert(1, "path", images["path"].astype("string").to_numpy())
    record = {"features": features, "best": result.best, "models": [s.to_dict() for s in result.scores]}
    with workspace_lock(workspace):
        write_artifact(workspace, CLASSIFY_FILE, record)
        write_artifact(workspace, PREDICTIONS_FILE, result.predictions)
    table = Table(title=f"{result.scores[0].folds}-fold cross-validation on {features}")
    for column in ("model", "accuracy", "macro-F1", "seconds"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for s in result.scores:
        table.add_row(s.name + (" (best)" if s.name == result.best else ""), f"{s.accuracy:.3f}",
                      f"{s.macro_f1:.3f}", f"{s.seconds:.1f}")
    console.print(table)
    unlabelled = int((result.predictions["source"] == "unlabelled").sum())
    console.print(f"Predicted {unlabelled:,} unlabelled images with {result.best}: "
                  f"[bold]{Path(workspace) / PREDICTIONS_FILE}[/]; confusion matrices in {CLASSIFY_FILE}")
