"""Label issues: out-of-fold probabilities and the ranking of wrong labels, on synthetic clusters."""

import logging

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from imgorg.errors import ConfigError
from imgorg.review.labels import COLUMNS, label_issues, out_of_fold_probabilities

NAMES = np.array(["ant", "bee", "cat", "dog"], dtype=object)


def blobs(n=400, flips=12, seed=0, dims=16):
    """Four separable clusters, ``flips`` labels moved to another class (those rows returned)."""
    x, y = make_blobs(n_samples=n, centers=4, n_features=dims, cluster_std=1.5, random_state=seed)
    rng = np.random.default_rng(seed)
    flipped = np.sort(rng.choice(n, flips, replace=False))
    noisy = y.copy()
    noisy[flipped] = (y[flipped] + rng.integers(1, 4, flips)) % 4
    return x.astype(np.float32), NAMES[y], NAMES[noisy].astype(object), flipped


def test_flipped_labels_rank_first_with_the_true_label_suggested():
    x, truth, noisy, flipped = blobs()
    probs, classes = out_of_fold_probabilities(x, noisy, seed=0)
    assert probs.shape == (len(x), 4) and list(classes) == list(NAMES)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    issues = label_issues(noisy, probs, classes)
    assert list(issues.columns) == COLUMNS
    top = issues["row"].to_numpy()[:len(flipped)]
    assert set(top) == set(flipped)
    # the suggestion is the true label, with a high confidence; scores fall down the ranking
    assert (issues["suggested"].to_numpy()[:len(flipped)] == truth[top]).all()
    assert (issues["given"].to_numpy()[:len(flipped)] == noisy[top]).all()
    assert issues["confidence"].iloc[:len(flipped)].min() > 0.5
    assert issues["score"].is_monotonic_decreasing and issues["score"].between(0, 1).all()
    # the rule reports the flips and not many more on separable data
    assert len(flipped) <= len(issues) <= 2 * len(flipped)


def test_unlabelled_rows_are_not_fitted_nor_reported_but_get_probabilities():
    x, _, noisy, flipped = blobs()
    labels = pd.Series(noisy, dtype="object")
    missing = np.setdiff1d(np.arange(len(x)), flipped)[::5]
    labels[missing] = None
    probs, classes = out_of_fold_probabilities(x, labels, seed=0)
    assert np.isfinite(probs[missing]).all() and np.allclose(probs[missing].sum(axis=1), 1.0, atol=1e-5)
    issues = label_issues(labels, probs, classes)
    assert not set(issues["row"]) & set(missing)
    assert set(issues["row"][:len(flipped)]) == set(flipped)
    # pandas' missing value and NaN are missing too
    as_string = pd.Series(noisy, dtype="string")
    as_string[missing] = pd.NA
    assert label_issues(as_string, probs, classes)["row"].tolist() == issues["row"].tolist()


def test_one_class_or_no_labels_gives_no_issues_and_says_so(caplog):
    x, _, _, _ = blobs(n=60, flips=0)
    with caplog.at_level(logging.INFO, logger="imgorg.review.labels"):
        probs, classes = out_of_fold_probabilities(x, ["cat"] * len(x))
        issues = label_issues(["cat"] * len(x), probs, classes)
    assert probs.shape == (60, 1) and list(classes) == ["cat"]
    assert issues.empty and list(issues.columns) == COLUMNS
    assert "one class only" in caplog.text and "same label ('cat')" in caplog.text
    probs, classes = out_of_fold_probabilities(x, [None] * len(x))
    assert probs.shape == (60, 0) and label_issues([None] * len(x), probs, classes).empty


def test_tiny_classes_are_fitted_but_their_members_not_judged():
    x, truth, noisy, flipped = blobs()
    # a class of 3 images inside the ants: judged, they would be reported as ants
    extra = x[truth == "ant"][:3] + np.random.default_rng(1).normal(0, 0.1, (3, x.shape[1])).astype(np.float32)
    x = np.vstack([x, extra])
    labels = np.concatenate([noisy, np.array(["eel"] * 3, dtype=object)])
    probs, classes = out_of_fold_probabilities(x, labels, seed=0)
    assert "eel" in classes
    issues = label_issues(labels, probs, classes)
    assert not set(issues["row"]) & {len(x) - 3, len(x) - 2, len(x) - 1}
    assert set(issues["row"][:len(flipped)]) == set(flipped)
    # a class of one image and a collection smaller than the folds still fit
    probs, classes = out_of_fold_probabilities(x[:4], ["ant", "ant", "bee", "cat"], folds=5)
    assert probs.shape == (4, 3)
    # two folders, one of them a single backup copy: the fold that holds it out sees one class (`imgorg run`
    # on DCIM/ and Backup/ stopped with sklearn's "needs samples of at least 2 classes")
    probs, classes = out_of_fold_probabilities(x[:8], ["DCIM"] * 7 + ["Backup"], folds=5)
    assert probs.shape == (8, 2) and np.isfinite(probs).all()


def test_same_seed_same_result_and_bad_input_says_what_to_pass():
    x, _, noisy, _ = blobs()
    first = label_issues(noisy, *out_of_fold_probabilities(x, noisy, seed=3))
    second = label_issues(noisy, *out_of_fold_probabilities(x, noisy, seed=3))
    pd.testing.assert_frame_equal(first, second)
    probs, classes = out_of_fold_probabilities(x, noisy)
    with pytest.raises(ConfigError, match="one label per row"):
        out_of_fold_probabilities(x, noisy[:-1])
    with pytest.raises(ConfigError, match="not among the classes"):
        label_issues(np.where(noisy == "ant", "emu", noisy), probs, classes)
    with pytest.raises(ConfigError, match="one column per class"):
        label_issues(noisy, probs[:, :3], classes)


def test_probabilities_are_out_of_fold():
    """Labels that carry no signal: a model that saw them would give them high probability."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 100)).astype(np.float32)
    labels = rng.choice(np.array(["ant", "bee"], dtype=object), 120)
    probs, classes = out_of_fold_probabilities(x, labels, seed=0)
    given = probs[np.arange(120), np.searchsorted(classes, labels)]
    assert 0.4 < given.mean() < 0.6
