"""Label issues: labelled images whose given label is probably wrong.

Two steps, both on the embeddings, nothing else:

1. ``out_of_fold_probabilities``: each labelled image gets class probabilities from
   a model that never saw its label. A multinomial logistic regression is fitted on
   stratified folds (no image is scored by a model trained on it) and its logits are
   temperature-scaled on the out-of-fold predictions (one scalar, fitted by
   likelihood), then blended with the labels of the image's nearest neighbours
   (leave-one-out, so out-of-sample too) and temperature-scaled again. Unlabelled images get the mean of the fold
   models and their labelled neighbours: a prediction, never scored.
2. ``label_issues``: scores each labelled image by how unlikely its given label is
   (mostly 1 - p(given); see ``issue_scores``) and reports those scoring at least
   ``REPORT_SCORE``, most likely first, with the likeliest other label as suggestion.
3. ``sure_relabels``: which suggestions are sure enough to relabel without a look, from how
   often the classifier names the given label among the images it is as sure of.

cleanlab's ``find_label_issues`` on the same probabilities is the reference
(benchmarks/label_issues.py); cleanlab is not a dependency, the counting is done here.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from ..errors import ConfigError

log = logging.getLogger(__name__)

FOLDS = 5
NEIGHBOURS = 10  # labelled neighbours whose labels join the classifier's vote
KNN_WEIGHT = 0.25  # share of the neighbours' vote in the blended probabilities (measured: 0, 0.25, 0.5, 0.75)
LOGISTIC_C = 1.0  # inverse regularisation of the logistic regression (features are unit vectors)
MAX_FIT_DIMS = 128  # wider features are projected to this many principal components first (cost)
MARGIN_WEIGHT = 0.05  # weight of the likeliest other label in the score (issue_scores)
NOISE_WEIGHT = 0.03  # weight of the label-noise posterior in the score (issue_scores)
REPORT_SCORE = 0.94  # rows scoring at least this are reported (label_issues)
SURE_SHARE = 0.92  # a relabel is sure where the classifier names this share of the given labels as sure (sure_relabels)
SURE_BOUND_Z = 1.28  # ... by a one-sided 90% lower bound (Wilson's), so that a few images cannot make it
COLUMNS = ["row", "given", "suggested", "confidence", "score"]


def out_of_fold_probabilities(features: np.ndarray, labels, folds: int = FOLDS, seed: int = 0, *,
                              neighbour_weight: float = KNN_WEIGHT,
                              groups: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(n, n_classes) probabilities and the sorted class names.

    ``labels``: one per row, missing (None, NaN, pd.NA) for unlabelled rows; only
    labelled rows are fitted. A labelled row's probabilities come from a model that
    did not see it. Classes with fewer members than ``folds`` take part in the fit
    (their members spread over the folds they can fill) but some of their members are
    scored by models that never saw the class; ``label_issues`` does not judge them.
    With one class every row gets probability 1; with none, an (n, 0) array.
    ``neighbour_weight``: the share of the nearest labelled neighbours' vote (0: the
    classifier alone). ``groups``: per row, a group of copies (-1: none); a row's
    probabilities then come from a model that saw none of its copies, and its copies do
    not vote as its neighbours: copies of one picture filed under one wrong label
    otherwise vouch for each other (a shop's product in the wrong folder, with its web
    exports beside it).
    """
    if not 0.0 <= neighbour_weight <= 1.0:
        raise ConfigError(f"neighbour_weight ({neighbour_weight}) must be between 0 and 1")
    features = _check_features(features)
    given, known, classes = _encode(labels, len(features))
    n, c = len(features), len(classes)
    if c < 2:
        log.info("%s: no classifier to fit", "no image has a label" if c == 0 else f"one class only ({classes[0]!r})")
        return np.ones((n, c), np.float32), classes
    from threadpoolctl import threadpool_limits

    # one BLAS thread: the matrices are small, and with other work on the cores two threads made
    # the fit 40x slower (8,000 x 50 logistic regression: 0.85 s on one thread, 34 s on two)
    with threadpool_limits(1):
        x = _fit_features(features, known, seed)
        groups = _copy_groups(groups, len(features))
        logits = _out_of_fold_logits(x, given, known, c, folds, seed, groups)
        probs = _softmax(logits / _temperature(logits[known], given[known]))
        if neighbour_weight:
            probs = (1 - neighbour_weight) * probs + neighbour_weight * _neighbour_votes(x, given, known, c, groups)
            # the blend is under-confident (the neighbours' votes are smoothed): a second temperature
            # took CIFAR-10 test's calibration error (15 bins, vs the true labels) from 0.09 to 0.05
            log_probs = np.log(np.maximum(probs, 1e-12))
            probs = _softmax(log_probs / _temperature(log_probs[known], given[known]))
    return probs.astype(np.float32), classes


def label_issues(labels, probs: np.ndarray, classes) -> pd.DataFrame:
    """One row per labelled image whose given label is probably wrong, most likely first.

    Columns: ``row`` (position in ``labels``), ``given``, ``suggested`` (the likeliest
    other label), ``confidence`` (its probability), ``score`` (how likely the given
    label is wrong, 0..1; see ``issue_scores``).

    Which rows: those whose score reaches ``REPORT_SCORE`` (0.94: the given label has
    about a 6% chance or less). Chosen by measurement on CIFAR-10 test with 5% of the
    labels (500) flipped, mean of 3 seeds: about 510 rows reported, precision 0.75 and
    recall 0.76 of the random flips (F1 0.755); 390 rows, 0.57 and 0.45 between look-alike
    classes (F1 0.50). Thresholds 0.925 and 0.95 gave F1 0.738/0.514 and 0.759/0.483;
    cleanlab's default filter on the same probabilities reports about 1,350 rows at
    precision 0.3 (docs/review.md). Unlabelled rows and members of classes
    smaller than ``FOLDS`` are never reported.
    """
    probs = np.asarray(probs, dtype=np.float64)
    classes = np.asarray(classes, dtype=object)
    given, known, _ = _encode(labels, len(probs), classes)
    if probs.ndim != 2 or probs.shape[1] != len(classes):
        raise ConfigError(f"probs has shape {probs.shape}; expected ({len(probs)}, {len(classes)}), one column "
                          "per class in the order out_of_fold_probabilities returns them")
    if len(classes) < 2:
        log.info("%s: no label issues", "no image has a label" if len(classes) == 0 else
                 f"every labelled image has the same label ({classes[0]!r})")
        return _frame([], [], [], [], [])
    judged = known & _judged_classes(given, known, len(classes))[np.where(known, given, 0)]
    if len(np.unique(given[judged])) < 2:
        log.info("fewer than two classes have %d or more labelled images: no label issues", FOLDS)
        return _frame([], [], [], [], [])
    score, suggested = issue_scores(probs, given, judged)
    order = np.argsort(-score, kind="stable")
    order = order[score[order] >= REPORT_SCORE]
    return _frame(order, classes[given[order]], classes[suggested[order]], probs[order, suggested[order]],
                  score[order])


def sure_relabels(labels, probs: np.ndarray, classes, confidence, floor: float, *, share: float = SURE_SHARE,
                  z: float = SURE_BOUND_Z) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per suggestion (``confidence``: label_issues' column): whether it is sure enough to relabel
    without a look; the share of the judged labelled images at least that sure whose given label the
    classifier names; and how many such images there are.

    The given labels, mostly right, check the classifier on this collection: among the images it
    predicts with confidence c or more, the share whose given label it names estimates how often it
    is right that sure. A suggestion is sure from the lowest c, not under ``floor``, at which that
    share reaches ``share`` (0.92) by its one-sided 90% lower bound (Wilson's, ``z`` 1.28: a high
    share of a few images is no evidence); where no c reaches it, none is. The estimate is low by
    about the collection's noise rate (a wrong label counts as the classifier's error), so from about
    8% of the labels wrong hardly any relabel is sure. It measures the classifier, not a relabel: a
    relabel is right where the classifier is right and the label wrong, so relabels are mostly right
    only where the classifier errs on fewer images than the labels do; at 5% of labels wrong, a
    share of 0.92 is a classifier right on about 97% of them, and at 2% its relabels are right less
    than half the time, as at a fixed 80%. The figures (``benchmarks/label_issues.py confidence``)
    are in docs/review.md and beside ``tasks.review.SURE_RELABEL``.
    """
    confidence = np.round(np.asarray(confidence, dtype=np.float64), 4)  # as label_issues rounds it
    probs = np.asarray(probs, dtype=np.float64)
    given, known, _ = _encode(labels, len(probs), np.asarray(classes, dtype=object))
    if not len(confidence):
        return np.zeros(0, bool), np.zeros(0), np.zeros(0, np.int64)
    judged = known & _judged_classes(given, known, probs.shape[1])[np.where(known, given, 0)]
    sure_of = np.round(probs[judged].max(axis=1), 4)
    order = np.argsort(-sure_of, kind="stable")
    sure_of, named = sure_of[order], (probs[judged].argmax(axis=1) == given[judged])[order]
    count = np.arange(1, len(sure_of) + 1)
    named = np.cumsum(named) / count  # among the images at least as sure as each, the share it names
    bound = (named + z * z / (2 * count) - z * np.sqrt(named * (1 - named) / count + (z / (2 * count)) ** 2)) \
        / (1 + z * z / count)  # Wilson's
    ends = np.r_[sure_of[1:] != sure_of[:-1], True]  # "c or more" takes every image at c
    reached = ends & (sure_of >= floor) & (bound >= share)
    threshold = sure_of[reached].min() if reached.any() else np.inf
    at = np.searchsorted(-sure_of, -confidence, side="right")  # how many images are at least as sure
    return confidence >= threshold, named[np.maximum(at, 1) - 1], at


def issue_scores(probs: np.ndarray, given: np.ndarray, judged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: how likely its given label is wrong (0..1; -1 where not judged) and the
    likeliest other class.

    score = (1 - p + MARGIN_WEIGHT * p(other)) / (1 + MARGIN_WEIGHT), where p mixes the
    model's probability of the given label (1 - NOISE_WEIGHT) with its posterior under the
    collection's label noise (NOISE_WEIGHT; ``noise_posterior``): labels swapped between
    look-alike classes are then found, not only labels the model doubts. The likeliest
    other label breaks near-ties: of two images the model doubts equally, the one with a
    clear alternative comes first. Measured on CIFAR-10 test, 5% of labels flipped,
    precision at k = flips, mean of 3 seeds (docs/review.md): random flips
    0.756, flips between look-alikes 0.514; 1 - p(given) alone (cleanlab's self-confidence
    ranking) 0.759 and 0.465; NOISE_WEIGHT 0.1: 0.745 and 0.535 (more look-alike swaps
    found, fewer random ones; 0.03 kept random flips within noise of 1 - p(given)).
    """
    n = len(probs)
    g = np.where(judged, given, 0)
    rows = np.arange(n)
    p_given = probs[rows, g]
    p_given = (1 - NOISE_WEIGHT) * p_given + NOISE_WEIGHT * noise_posterior(probs, g, judged)[rows, g]
    others = probs.copy()
    others[rows, g] = -np.inf
    suggested = others.argmax(axis=1)
    score = (1.0 - p_given + MARGIN_WEIGHT * others[rows, suggested]) / (1.0 + MARGIN_WEIGHT)
    return np.where(judged, np.clip(score, 0.0, 1.0), -1.0), suggested


def noise_posterior(probs: np.ndarray, given: np.ndarray, judged: np.ndarray) -> np.ndarray:
    """P(true class j | image, given label) under the label noise confident learning estimates.

    The confident joint (Northcutt et al.; cleanlab's): an image labelled i counts for
    (i, j) when p(j) reaches class j's threshold, the mean p(j) over images labelled j
    (the likeliest such j). Its columns, plus one count per pair so that no swap is
    impossible, estimate T[i, j] = P(labelled i | truly j); the posterior is
    p(j) T[given, j], normalised.
    """
    c = probs.shape[1]
    p, g = probs[judged], given[judged]
    thresholds = np.array([p[g == j, j].mean() if (g == j).any() else 1.0 for j in range(c)])
    above = np.where(p >= thresholds - 1e-9, p, -np.inf)
    counted = np.isfinite(above).any(axis=1)
    joint = np.ones((c, c))
    np.add.at(joint, (g[counted], above[counted].argmax(axis=1)), 1.0)
    joint = joint / joint.sum(axis=1, keepdims=True) * np.bincount(g, minlength=c)[:, None]  # rows: label counts
    noise = joint / joint.sum(axis=0, keepdims=True)
    posterior = probs * noise[given]
    return posterior / np.maximum(posterior.sum(axis=1, keepdims=True), 1e-12)


# -- fitting ---------------------------------------------------------------------------------

def _fit_features(features: np.ndarray, known: np.ndarray, seed: int) -> np.ndarray:
    """Unit rows, at most MAX_FIT_DIMS wide: the classifier's and the neighbours' space.

    A backbone's pooled features (non-negative) are power-normalised first, as for
    clustering (imgorg.reduce.power_features): on CIFAR-10 test the out-of-fold accuracy
    rose from 0.774 to 0.783 at 128 dimensions. Wider features are projected to their
    first principal components (of the labelled rows), for cost: 128 of 1280 kept the
    accuracy of 256 (0.783 vs 0.785); 64 lost more (0.770).
    """
    from sklearn.decomposition import PCA

    from ..reduce import l2_normalize, power_features

    x = power_features(features) if features.min() >= 0 else l2_normalize(features)
    dims = min(MAX_FIT_DIMS, int(known.sum()))
    if x.shape[1] <= MAX_FIT_DIMS or dims < 2:
        return x
    pca = PCA(n_components=dims, svd_solver="randomized", random_state=seed).fit(x[known])
    return l2_normalize(pca.transform(x))


def _copy_groups(groups, n: int) -> np.ndarray | None:
    """``groups`` as one id per row, a row of no group its own; None where no two rows share one."""
    if groups is None:
        return None
    groups = np.asarray(groups, np.int64)
    if len(groups) != n:
        raise ConfigError(f"groups has {len(groups)} values for {n} rows: give one per row (-1: no group)")
    alone = groups < 0
    if alone.all() or np.unique(groups[~alone]).size == (~alone).sum():
        return None
    return np.where(alone, groups.max() + 1 + np.arange(n), groups)


def _out_of_fold_logits(x, given, known, c, folds, seed, groups=None) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    rows = np.flatnonzero(known)
    y = given[rows]
    splits = max(2, min(folds, len(rows)))
    logits = np.zeros((len(x), c))
    unlabelled = np.flatnonzero(~known)
    counts = np.bincount(y, minlength=c)
    cv = StratifiedKFold(n_splits=splits, shuffle=True, random_state=seed) if groups is None else \
        StratifiedGroupKFold(n_splits=splits, shuffle=True, random_state=seed)  # copies held out together
    # StratifiedKFold warns when a class has fewer members than folds; that case is documented
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        fold_list = list(cv.split(rows, y, None if groups is None else groups[rows])) \
            if counts[counts > 0].max() >= splits else _round_robin(y, splits)
    for train, test in fold_list:
        seen = np.unique(y[train])
        if len(seen) < 2:  # a class of one image held out: the fold saw one class, which it always predicts
            fold = lambda part: np.where(np.arange(c) == seen[0], 0.0, -30.0)[None].repeat(len(part), 0)  # noqa: E731
        else:
            model = LogisticRegression(C=LOGISTIC_C, max_iter=1000, random_state=seed).fit(x[rows[train]], y[train])
            fold = lambda part, model=model: _full_logits(model, x[part], c)  # noqa: E731
        logits[rows[test]] = fold(rows[test])
        if len(unlabelled):
            logits[unlabelled] += fold(unlabelled) / len(fold_list)
    return logits


def _round_robin(y, splits):
    """Folds for classes all smaller than ``splits`` (StratifiedKFold refuses them)."""
    fold_of = np.zeros(len(y), int)
    for j in np.unique(y):
        members = np.flatnonzero(y == j)
        fold_of[members] = np.arange(len(members)) % splits
    return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(splits)
            if (fold_of == f).any() and len(np.unique(y[fold_of != f])) > 1]


def _full_logits(model, x, c) -> np.ndarray:
    """Logits in all ``c`` columns: a class the fold's model never saw gets a very low logit."""
    out = np.full((len(x), c), -30.0)
    scores = model.decision_function(x)
    if scores.ndim == 1:  # two classes seen: sklearn gives one margin
        scores = np.stack([-scores / 2, scores / 2], axis=1)
    out[:, model.classes_] = scores
    return out


def _temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The scalar T minimising the negative log-likelihood of softmax(logits / T)."""
    from scipy.optimize import minimize_scalar

    def nll(log_t):
        z = logits / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]))

    return float(np.exp(minimize_scalar(nll, bounds=(-3, 3), method="bounded").x))


def _neighbour_votes(features, given, known, c, groups=None) -> np.ndarray:
    """Each row's share of each label among its NEIGHBOURS nearest labelled rows (itself and
    its copies, ``groups``, left out), smoothed towards uniform so one neighbour cannot make a
    probability 0 or 1."""
    from ..index import build_index
    from ..reduce import l2_normalize

    features = l2_normalize(features)
    rows = np.flatnonzero(known)
    index = build_index(features[rows], "auto")
    k = min(NEIGHBOURS, len(rows) - 1)
    votes = np.full((len(features), c), 1.0 / c)
    if k < 1:
        return votes
    exclude = np.full(len(features), -1)
    exclude[rows] = np.arange(len(rows))
    if groups is None:
        _, found = index.search(features, k, exclude=exclude)
        valid = np.ones(found.shape, bool)
    else:  # fetch as many more as the largest group has copies, then leave the copies out
        extra = int(np.bincount(groups).max()) - 1
        _, found = index.search(features, min(k + extra, len(rows) - 1), exclude=exclude)
        valid = groups[rows][found] != groups[:, None]
        valid &= np.cumsum(valid, axis=1) <= k
    counts = np.zeros((len(features), c))
    hit = np.nonzero(valid)
    np.add.at(counts, (hit[0], given[rows][found[hit]]), 1.0)
    return (counts + 1.0 / c) / (valid.sum(axis=1, keepdims=True) + 1.0)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


# -- inputs and outputs ----------------------------------------------------------------------

def _check_features(features) -> np.ndarray:
    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 2:
        raise ConfigError(f"features must be a 2-D array (images x dimensions), got shape {features.shape}")
    return features


def _encode(labels, n: int, classes=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class index per row (-1 where unlabelled), the labelled mask, the sorted class names."""
    series = pd.Series(labels, dtype="object").reset_index(drop=True)
    if len(series) != n:
        raise ConfigError(f"{len(series)} labels for {n} rows; give one label per row (missing for unlabelled)")
    known = series.notna().to_numpy()
    text = series[known].astype(str).to_numpy()
    if classes is None:
        classes = np.array(sorted(set(text)), dtype=object)
    lookup = {name: i for i, name in enumerate(classes)}
    unknown = sorted(set(text) - set(lookup))
    if unknown:
        raise ConfigError(f"labels {unknown[:3]} are not among the classes ({', '.join(map(str, classes))}); "
                          "pass the classes out_of_fold_probabilities returned with these labels")
    given = np.full(n, -1, dtype=np.int64)
    given[known] = [lookup[t] for t in text]
    return given, known, classes


def _judged_classes(given, known, c) -> np.ndarray:
    counts = np.bincount(given[known], minlength=c)
    small = counts < FOLDS
    if small.any():
        log.info("classes with fewer than %d labelled images are not judged: %d images", FOLDS, counts[small].sum())
    return ~small


def _frame(rows, given, suggested, confidence, score) -> pd.DataFrame:
    frame = pd.DataFrame({"row": np.asarray(rows, dtype=np.int64),
                          "given": pd.Series(np.asarray(given, dtype=object), dtype="string"),
                          "suggested": pd.Series(np.asarray(suggested, dtype=object), dtype="string"),
                          "confidence": np.asarray(confidence, dtype=np.float64).round(4),
                          "score": np.asarray(score, dtype=np.float64).round(4)})
    return frame[COLUMNS]
