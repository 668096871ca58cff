"""Label a few, predict the rest: simple classifiers on the embeddings.

Each model is scored with stratified k-fold cross-validation on the labelled
images (accuracy, macro-F1, confusion matrix), then fitted on all of them to
predict the unlabelled ones with a probability. Labelled images also get their
out-of-fold prediction, so mistakes can be reviewed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from .config import ClassifyConfig
from .errors import ConfigError

MODELS = ClassifyConfig.models  # logistic, svm, rf: written once, in the config
FROM_FOLDERS = ClassifyConfig.labels  # "from-folders": the ImageFolder labels of the catalog


def make_model(name: str, seed: int = 0):
    """scikit-learn estimators with settings that suit L2-normalised embeddings."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    if name == "logistic":
        return LogisticRegression(C=10.0, max_iter=2000)
    if name == "svm":  # RBF; probabilities, where needed, come from calibration (_with_probabilities)
        return SVC(kernel="rbf", C=10.0, gamma="scale", random_state=seed)
    if name == "rf":
        return RandomForestClassifier(n_estimators=300, n_jobs=-1, random_state=seed)
    raise ConfigError(f"classifier {name!r} is not one of {', '.join(MODELS)}")


@dataclass
class ModelScores:
    name: str
    accuracy: float
    macro_f1: float
    classes: list[str]
    confusion: list[list[int]]  # rows: true class, columns: predicted, in ``classes`` order
    seconds: float
    folds: int

    def to_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass
class ClassifyResult:
    scores: list[ModelScores]
    predictions: pd.DataFrame  # id, label, predicted, probability, source ("cv" or "unlabelled")
    best: str = ""
    details: dict = field(default_factory=dict)


def classify(features: np.ndarray, labels: pd.Series, ids: np.ndarray, models=MODELS, folds: int = 5,
             seed: int = 0, progress=None) -> ClassifyResult:
    """Cross-validate each model on the labelled rows; predict the rest with the best one."""
    labels = pd.Series(labels).astype("string").reset_index(drop=True)
    known = labels.notna().to_numpy()
    y = labels[known].to_numpy(dtype=object)
    folds = _check_labels(y, folds)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores, out_of_fold = [], {}
    for name in models:
        start = time.perf_counter()
        model = make_model(name, seed)
        predicted = cross_val_predict(model, features[known], y, cv=cv)
        classes = sorted(set(y))
        scores.append(ModelScores(
            name, float(accuracy_score(y, predicted)), float(f1_score(y, predicted, average="macro")),
            classes, confusion_matrix(y, predicted, labels=classes).tolist(), time.perf_counter() - start, folds))
        out_of_fold[name] = predicted
        if progress:
            progress(name)
    best = max(scores, key=lambda s: (s.macro_f1, s.accuracy)).name
    frame = _predictions(features, labels, ids, known, out_of_fold[best], best, seed)
    return ClassifyResult(scores, frame, best)


def read_labels(path: str | Path, images: pd.DataFrame) -> pd.Series:
    """Labels from a CSV with columns ``label`` and ``id`` or ``path``, aligned to ``images``."""
    try:
        table = pd.read_csv(path, dtype=str)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read the labels CSV {path}: {err} (columns 'label' and 'id' or 'path'; or pass "
                          "--labels from-folders)") from None
    if "label" not in table.columns or not ({"id", "path"} & set(table.columns)):
        raise ConfigError(f"{path} needs a 'label' column and an 'id' or 'path' column; it has "
                          f"{', '.join(table.columns)}")
    key = "id" if "id" in table.columns else "path"
    mapping = dict(zip(table[key].str.strip(), table["label"]))
    unknown = set(mapping) - set(images[key].astype(str))
    if unknown:
        raise ConfigError(f"{len(unknown)} {key}s in {path} are not images of this workspace, "
                          f"e.g. {sorted(unknown)[:3]}")
    return pd.Series([mapping.get(str(v)) for v in images[key]], dtype="string")


def _check_labels(y: np.ndarray, folds: int) -> int:
    if len(y) == 0:
        raise ConfigError("no image has a label: pass --labels labels.csv (columns id or path, label), "
                          "or use --labels from-folders on a folder-per-class tree")
    counts = pd.Series(y).value_counts()
    if len(counts) < 2:
        raise ConfigError(f"only one label ({counts.index[0]!r}) is present; a classifier needs two or more")
    if counts.min() < 2:
        raise ConfigError(f"label {counts.idxmin()!r} has a single image; give each label at least 2")
    return int(min(folds, counts.min()))


def _with_probabilities(model):
    """SVC has no predict_proba of its own: calibrate it (Platt scaling) on internal folds."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    return CalibratedClassifierCV(model, ensemble=False, cv=3) if isinstance(model, SVC) else model


def _predictions(features, labels, ids, known, out_of_fold, best, seed) -> pd.DataFrame:
    frame = pd.DataFrame({"id": ids, "label": labels.to_numpy(), "predicted": pd.NA, "probability": np.nan,
                          "source": "cv"})
    frame.loc[known, "predicted"] = out_of_fold
    unknown = ~known
    if unknown.any():
        model = _with_probabilities(make_model(best, seed)).fit(features[known], labels[known].to_numpy(dtype=object))
        proba = model.predict_proba(features[unknown])
        frame.loc[unknown, "predicted"] = model.classes_[proba.argmax(axis=1)]
        frame.loc[unknown, "probability"] = proba.max(axis=1).round(4)
        frame.loc[unknown, "source"] = "unlabelled"
    frame["model"] = best
    return frame.astype({"label": "string", "predicted": "string", "source": "string", "model": "string"})
