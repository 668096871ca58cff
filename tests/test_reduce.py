import numpy as np
import pytest
from sklearn.decomposition import PCA

from imgorg.errors import ConfigError
from imgorg.reduce import Reducer, l2_normalize


def test_reducer_matches_sklearn_pca_on_l2_normalised_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 64)).astype(np.float32)
    ours = Reducer(n_components=10).fit_transform(X)
    reference = PCA(n_components=10, random_state=0).fit_transform(l2_normalize(X))
    np.testing.assert_allclose(np.abs(ours), np.abs(reference), atol=1e-4)


def test_components_are_capped_by_the_data():
    X = np.random.default_rng(1).normal(size=(7, 30))
    reducer = Reducer(n_components=50).fit(X)
    assert reducer.n_components_ == 7
    assert reducer.transform(X).shape == (7, 7)


def test_invalid_parameters_fail_in_fit_not_init():
    reducer = Reducer(n_components=0)  # storing is fine (scikit-learn contract)
    with pytest.raises(ConfigError, match="n_components"):
        reducer.fit(np.ones((5, 3)))


def test_pca_fits_on_a_sample_of_large_inputs_and_transforms_every_row():
    rng = np.random.default_rng(0)
    basis = rng.standard_normal((8, 64))
    X = (rng.standard_normal((5000, 8)) * np.arange(8, 0, -1)) @ basis + 0.01 * rng.standard_normal((5000, 64))
    sampled = Reducer(n_components=8, max_fit_samples=500).fit(X)
    full = Reducer(n_components=8).fit(X)
    assert sampled.pca_.n_samples_ == 500 and full.pca_.n_samples_ == 5000
    assert sampled.transform(X).shape == (5000, 8)
    # The sample finds the same subspace: projecting on either keeps the same variance.
    assert sampled.pca_.explained_variance_ratio_.sum() == pytest.approx(full.pca_.explained_variance_ratio_.sum(), abs=0.01)
    overlap = np.linalg.svd(sampled.pca_.components_ @ full.pca_.components_.T, compute_uv=False)
    assert overlap.min() > 0.99
