"""`imgorg classify WORKSPACE --labels labels.csv|from-folders`: label a few, predict the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..config import ClassifyConfig
from ..workspace import CLASSIFY_FILE, PREDICTIONS_FILE
from .console import console, escape


def classify_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    labels: Annotated[str, typer.Option(help="A CSV (columns id or path, and label; unlabelled images left out) or 'from-folders'.")] = ClassifyConfig.labels,
    models: Annotated[str, typer.Option(help=f"Comma-separated: {', '.join(ClassifyConfig.models)}.")] = ",".join(ClassifyConfig.models),
    folds: Annotated[int, typer.Option(help="Stratified cross-validation folds.")] = 5,
    features: Annotated[str, typer.Option(help="embeddings (full) or reduced (PCA, faster).")] = "embeddings",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Cross-validate SVM (RBF), random forest and logistic regression; predict unlabelled images."""
    from ..tasks import train_classifiers

    names = tuple(m.strip() for m in models.split(",") if m.strip())
    config = ClassifyConfig(labels=labels, models=names, folds=folds, features=features, seed=seed)
    with console.status(f"cross-validating {escape(', '.join(names))}"):
        run = train_classifiers(workspace, config)
    result = run.result
    table = Table(title=f"{result.scores[0].folds}-fold cross-validation on {features} ({run.labelled:,} labelled images)")
    for column in ("model", "accuracy", "macro-F1", "seconds"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for s in result.scores:
        table.add_row(s.name + (" (best)" if s.name == result.best else ""), f"{s.accuracy:.3f}",
                      f"{s.macro_f1:.3f}", f"{s.seconds:.1f}")
    console.print(table)
    unlabelled = int((result.predictions["source"] == "unlabelled").sum())
    console.print(f"Predicted {unlabelled:,} unlabelled images with {result.best}: "
                  f"[bold]{escape(str(Path(workspace) / PREDICTIONS_FILE))}[/]; confusion matrices in {CLASSIFY_FILE}")
