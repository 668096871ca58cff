import numpy as np
import pytest

from imgorg.errors import ConfigError, WorkspaceError
from imgorg.index import build_index, index_data, recall_at_k, restore_index
from imgorg.metrics import retrieval_scores


def clustered(n=4000, dim=32, centres=40, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centres, dim))
    x = (c[rng.integers(0, centres, n)] + 0.4 * rng.standard_normal((n, dim))).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_exact_search_is_brute_force_cosine_best_first():
    x = clustered(500)
    sims, rows = build_index(x, "exact").search(x[:20], 5)
    brute = x[:20] @ x.T
    assert np.array_equal(rows[:, 0], np.arange(20))  # each vector finds itself first
    assert np.allclose(sims, -np.sort(-brute, axis=1)[:, :5], atol=1e-5)
    assert np.all(np.diff(sims, axis=1) <= 1e-7)


@pytest.mark.parametrize("n_queries", [20, 300])  # numpy's path, then FAISS's brute force (FAISS_KNN_QUERIES)
def test_exact_search_answers_the_same_for_few_and_many_queries(n_queries):
    x = clustered(500)
    queries = x[:n_queries] + 0.05 * clustered(n_queries, seed=1)
    sims, rows = build_index(x, "exact").search(queries, 7, exclude_self=True)
    brute = queries @ x.T
    brute[np.arange(n_queries), np.arange(n_queries)] = -np.inf
    expected = np.argsort(-brute, axis=1, kind="stable")[:, :7]
    assert rows.dtype == np.int64 and np.array_equal(rows, expected)
    assert np.allclose(sims, np.take_along_axis(brute, expected, axis=1), atol=1e-5)


def test_exact_search_works_without_faiss_and_faiss_kinds_say_what_to_install(monkeypatch):
    import sys

    x = clustered(500)
    with_faiss = build_index(x, "exact").search(x[:300], 7)
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss now raises ImportError
    sims, rows = build_index(x, "exact").search(x[:300], 7)
    assert np.array_equal(rows, with_faiss[1]) and np.allclose(sims, with_faiss[0], atol=1e-5)
    with pytest.raises(ConfigError, match="pip install faiss-cpu"):
        build_index(x, "hnsw")


def test_exclude_self_and_k_larger_than_the_collection():
    x = clustered(6)
    sims, rows = build_index(x).search(x, 10, exclude_self=True)
    assert rows.shape == (6, 5)  # the other 5, never itself
    assert not np.any(rows == np.arange(6)[:, None])


@pytest.mark.parametrize("kind", ["hnsw", "ivf-flat", "ivf-pq"])
def test_faiss_kinds_agree_with_exact_and_survive_storage(kind):
    x = clustered()
    _, truth = build_index(x, "exact").search(x[:300], 10)
    index = build_index(x, kind)
    _, found = index.search(x[:300], 10)
    assert recall_at_k(found, truth) >= 0.9
    data = index_data(index)
    assert data.dtype == np.uint8  # FAISS's own bytes: no pickle
    loaded = restore_index(index.record(), data, x)
    assert loaded.kind == kind and loaded.params == index.params
    assert np.array_equal(loaded.search(x[:50], 10)[1], index.search(x[:50], 10)[1])
    with pytest.raises(WorkspaceError, match="rebuild it"):
        restore_index(index.record(), data, x[:-1])


def test_auto_is_exact_for_small_collections_and_unknown_kind_is_refused():
    assert build_index(clustered(100)).kind == "exact"
    with pytest.raises(ConfigError, match="exact"):
        build_index(clustered(100), "annoy")


def test_retrieval_scores_by_hand():
    labels = ["a", "a", "a", "b"]
    rows = np.array([[1, 3], [3, 0], [1, 2], [0, 1]])  # neighbours of each row, itself excluded
    scores = retrieval_scores(rows, labels)
    # precision@2: 1/2, 1/2, 1, 0 -> 0.5
    assert scores["precision_at_k"] == pytest.approx(0.5)
    # AP@2 (divided by min(2, other images with the label)): row0 1/2, row1 (1/2)/2, row2 1, row3 0 (none exist -> /1)
    assert scores["map_at_k"] == pytest.approx((0.5 + 0.25 + 1 + 0) / 4)


def test_a_few_queries_search_on_one_thread_and_leave_the_pool_as_it_was():
    faiss = pytest.importorskip("faiss")
    vectors = clustered(n=2000)
    index = build_index(vectors, kind="ivf-pq")

    class ThreadsSeen:  # the real index, noting FAISS's thread count at each search
        def __init__(self, inner):
            self.inner, self.threads = inner, []

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def __setattr__(self, name, value):  # search parameters (k_factor) go to the real index
            if name in ("inner", "threads"):
                object.__setattr__(self, name, value)
            else:
                setattr(self.inner, name, value)

        def search(self, *args):
            self.threads.append(faiss.omp_get_max_threads())
            return self.inner.search(*args)

    index._faiss = spy = ThreadsSeen(index._faiss)
    before = faiss.omp_get_max_threads()
    try:
        faiss.omp_set_num_threads(2)
        one = index.search(vectors[:1], 5)[1]
        many = index.search(vectors[:20], 5)[1]
        assert spy.threads == [1, 2] and faiss.omp_get_max_threads() == 2
        assert one[0].tolist() == many[0].tolist()  # same answer either way
    finally:
        faiss.omp_set_num_threads(before)


def test_a_remembered_search_asks_the_index_once_for_the_same_search():
    from imgorg.index import RememberedSearch

    x = clustered(300)
    index = build_index(x, "exact")
    calls = []
    real = index.search
    index.search = lambda *args, **kwargs: calls.append(args) or real(*args, **kwargs)
    remembered = RememberedSearch(index)
    first = remembered.search(x, 10, exclude_self=True)
    again = remembered.search(x, 10, exclude_self=True)
    other = remembered.search(x, 5, exclude_self=True)
    assert len(calls) == 2 and again is first and other[1].shape == (300, 5)
    assert np.array_equal(first[1], real(x, 10, exclude_self=True)[1])
    assert remembered.kind == "exact" and len(remembered) == 300


def test_ivf_on_a_small_collection_trains_each_list_on_enough_vectors_and_probes_several():
    # FAISS warns below 39 training vectors a list; with a list or two probed, true neighbours were lost
    from imgorg.index import default_params

    small = default_params("ivf-flat", 1_310, 1280)
    assert small["nlist"] * 39 <= 1_310 and small["nprobe"] == 8
    assert default_params("ivf-flat", 10**6, 1280) == {"nlist": 1000, "nprobe": 62}  # as measured at scale
