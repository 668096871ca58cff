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
