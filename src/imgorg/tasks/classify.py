"""``train_classifiers``: cross-validate simple classifiers on the labelled images, predict the rest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..classify import FROM_FOLDERS, ClassifyResult, classify, read_labels
from ..config import ClassifyConfig
from ..errors import ConfigError
from ..views import Workspace, open_workspace
from ..workspace import CLASSIFY_FILE, PREDICTIONS_FILE, workspace_lock


@dataclass
class ClassifyRun:
    result: ClassifyResult  # scores per model, the best one, predictions
    labelled: int  # images with a label
    record: dict  # what classify.json holds


def train_classifiers(workspace: Workspace | str, config: ClassifyConfig = ClassifyConfig(),
                      labels: pd.Series | None = None) -> ClassifyRun:
    """Labels from ``labels`` (one per image, NA = unlabelled), else from ``config.labels``: the
    folder labels (``from-folders``) or a CSV. Stores classify.json and predictions.parquet."""
    ws = open_workspace(workspace)
    config.validate()
    images = ws.images
    if labels is None:
        labels = (images["label"].astype("string") if config.labels == FROM_FOLDERS
                  else read_labels(Path(config.labels), images))
    if len(labels) != len(images):
        raise ConfigError(f"labels has {len(labels):,} values and the workspace {len(images):,} images: one per image, "
                          "in the order of `workspace.images` (a workspace read before images were added has fewer: "
                          "read it again)")
    features = ws.embeddings if config.features == "embeddings" else ws.reduced
    result = classify(features, labels, images["id"].to_numpy(), config.models, config.folds, config.seed)
    result.predictions.insert(1, "path", images["path"].astype("string").to_numpy())
    record = {"features": config.features, "best": result.best, "models": [s.to_dict() for s in result.scores]}
    with workspace_lock(ws.path):
        ws.write_artifact(CLASSIFY_FILE, record)
        ws.write_artifact(PREDICTIONS_FILE, result.predictions)
    return ClassifyRun(result, int(pd.Series(labels).notna().sum()), record)
