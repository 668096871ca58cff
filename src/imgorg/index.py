"""Nearest-neighbour search over L2-normalised embeddings: exact or FAISS, one API.

Similarity is cosine (inner product of unit vectors). Small collections are
searched exactly with BLAS; past ``EXACT_MAX`` vectors FAISS takes over:

    exact     numpy matrix product, blocks of queries; nothing stored
    hnsw      FAISS HNSW32 graph; good recall on real (clustered) data, slow to build
    ivf-flat  FAISS IVF with full vectors; nprobe lists scanned per query
    ivf-pq    FAISS IVF + 4-bit PQ fast-scan codes, candidates re-ranked with the full
              vectors (RFlat): the choice for millions of vectors

A FAISS index is stored as FAISS's own serialised bytes (``index_data``, uint8) plus
its record (``SearchIndex.record``): data only, never a pickle.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ConfigError, WorkspaceError

KINDS = ("auto", "exact", "hnsw", "ivf-flat", "ivf-pq")
FEW_QUERIES = 8  # up to this many queries, FAISS searches on one thread (see _threads_for)
EXACT_MAX = 200_000  # past this many vectors, "auto" builds an ivf-pq index
IVF_PQ_FLAT_MAX = 2_000_000  # up to here ivf-pq scans every code (one list)
_QUERY_BLOCK = 1024  # queries per matrix product: bounds memory at block x n floats
FAISS_KNN_QUERIES = 64  # from this many queries on, exact search is FAISS's brute force (one query: numpy, 4 ms vs 11)


@dataclass
class SearchIndex:
    """``search(queries, k)`` -> (similarities, rows), both (n_queries, k), best first."""

    kind: str
    vectors: np.ndarray  # the (n, d) float32 unit vectors; exact search reads them directly
    params: dict[str, Any] = field(default_factory=dict)
    build_seconds: float = 0.0
    _faiss: Any = None

    def __len__(self) -> int:
        return len(self.vectors)

    def search(self, queries: np.ndarray, k: int, exclude_self: bool = False,
               exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k by cosine, best first.

        ``exclude`` gives one row per query to leave out of its answer (the query's own
        row when it is an image of the collection); ``exclude_self`` means query i is row i.
        """
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if exclude_self:
            exclude = np.arange(len(queries))
        k_wanted = min(k, len(self) - int(exclude is not None))
        if k_wanted < 1:
            return np.empty((len(queries), 0), np.float32), np.empty((len(queries), 0), np.int64)
        fetch = min(k_wanted + int(exclude is not None), len(self))
        if self._faiss is None:
            sims, rows = _exact_search(self.vectors, queries, fetch)
        else:
            _set_search_params(self._faiss, self.kind, self.params)
            with _threads_for(len(queries)):
                sims, rows = self._faiss.search(queries, fetch)
        if exclude is not None:
            sims, rows = _drop_rows(sims, rows, np.asarray(exclude))
        return sims[:, :k_wanted], rows[:, :k_wanted]

    def record(self) -> dict:
        return {"kind": self.kind, "n": len(self), "dim": int(self.vectors.shape[1]), "params": self.params,
                "build_seconds": round(self.build_seconds, 3)}


def build_index(vectors: np.ndarray, kind: str = "auto", **params) -> SearchIndex:
    """Build a search index over unit vectors; ``kind="auto"`` picks by size (see module doc)."""
    if kind not in KINDS:
        raise ConfigError(f"index kind {kind!r} is not one of {', '.join(KINDS)}")
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if kind == "auto":
        kind = "exact" if len(vectors) <= EXACT_MAX else "ivf-pq"
    start = time.perf_counter()
    if kind == "exact":
        return SearchIndex(kind, vectors, {}, time.perf_counter() - start)
    params = {**default_params(kind, len(vectors), vectors.shape[1]), **params}
    index = _faiss_index(kind, vectors, params)
    return SearchIndex(kind, vectors, params, time.perf_counter() - start, index)


def default_params(kind: str, n: int, dim: int) -> dict:
    """Parameters measured to keep recall@10 >= 0.95 (docs/benchmarks.md, search)."""
    # ~sqrt(n) lists of ~sqrt(n) vectors, and 39 training vectors a list at least (FAISS warns below that)
    nlist = int(min(4096, max(1, math.isqrt(n)), max(1, n // 39)))
    if kind == "hnsw":
        return {"M": 32, "ef_construction": 80, "ef_search": 128}
    if kind == "ivf-flat":
        return {"nlist": nlist, "nprobe": max(min(nlist, 8), nlist // 16)}  # a small collection: 8 lists
    # ivf-pq: 4-bit fast-scan PQ, one code per 2 dimensions, 30 x k candidates re-ranked exactly.
    # Up to IVF_PQ_FLAT_MAX vectors one list (a full fast scan) keeps recall on any data:
    # on structureless vectors IVF lists lose most true neighbours (recall 0.59 at nprobe 256/1000).
    lists = 1 if n <= IVF_PQ_FLAT_MAX else nlist
    return {"nlist": lists, "nprobe": max(1, lists // 8), "pq_m": _pq_m(dim), "k_factor": 30}


def index_data(index: SearchIndex) -> np.ndarray | None:
    """FAISS's own serialised bytes of the index (uint8), or None for exact search (nothing to store)."""
    return None if index._faiss is None else _import_faiss().serialize_index(index._faiss)


def restore_index(record: dict, data: np.ndarray | None, vectors: np.ndarray) -> SearchIndex:
    """The index that ``record`` (``SearchIndex.record()``) and ``data`` (``index_data``) describe, over
    ``vectors``; refused when it was built over another number of vectors."""
    if record.get("n") != len(vectors):
        raise WorkspaceError(f"the stored index holds {record.get('n')} vectors but the workspace has "
                             f"{len(vectors)}; rebuild it with `imgorg index WORKSPACE`")
    if record["kind"] == "exact" or data is None:
        return build_index(vectors, "exact")
    index = _import_faiss().deserialize_index(data)
    return SearchIndex(record["kind"], np.ascontiguousarray(vectors, dtype=np.float32), record["params"],
                       record.get("build_seconds", 0.0), index)


@contextlib.contextmanager
def _threads_for(n_queries: int):
    """One OpenMP thread for a few queries: waking the pool for one query set the tail.

    Measured at 1M x 256 (ivf-pq, 1,000 single queries, 2 cores): p99 between 5.4 and
    42 ms from run to run with the default threads, 5.6-5.7 ms with one, p50 alike
    (benchmarks/search_threads.py, docs/benchmarks.md)."""
    import faiss

    if n_queries > FEW_QUERIES:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of the true k nearest rows that the index returned, averaged over queries."""
    k = truth.shape[1]
    return float(np.mean([len(set(f[:k]) & set(t)) / k for f, t in zip(found, truth)]))


# -- internals ---------------------------------------------------------------------------------

def _exact_search(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    faiss = _faiss_if_installed() if len(queries) >= FAISS_KNN_QUERIES else None
    if faiss is not None:
        # FAISS keeps a heap of k per query; numpy partitions every full row of similarities.
        # Same answers; 46,400 thumbnail queries (192-d) among 11,600: 2.0 s against 5.4 s.
        sims, rows = faiss.knn(queries, np.ascontiguousarray(vectors, dtype=np.float32), k,
                               metric=faiss.METRIC_INNER_PRODUCT)
        return sims, rows.astype(np.int64, copy=False)
    sims_out = np.empty((len(queries), k), np.float32)
    rows_out = np.empty((len(queries), k), np.int64)
    for start in range(0, len(queries), _QUERY_BLOCK):
        block = queries[start:start + _QUERY_BLOCK] @ vectors.T
        top = np.argpartition(-block, k - 1, axis=1)[:, :k] if k < block.shape[1] else np.argsort(-block, axis=1)
        top_sims = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-top_sims, axis=1, kind="stable")
        rows_out[start:start + len(block)] = np.take_along_axis(top, order, axis=1)
        sims_out[start:start + len(block)] = np.take_along_axis(top_sims, order, axis=1)
    return sims_out, rows_out


def _drop_rows(sims: np.ndarray, rows: np.ndarray, exclude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove row ``exclude[i]`` from answer i; answers that lack it lose their last entry."""
    drop = rows == exclude[:, None]
    drop[~drop.any(axis=1), -1] = True
    keep = ~drop
    return sims[keep].reshape(len(rows), -1), rows[keep].reshape(len(rows), -1)


def _pq_m(dim: int) -> int:
    m = max(1, dim // 2)
    while dim % m:
        m -= 1
    return m


def _faiss_index(kind: str, vectors: np.ndarray, params: dict):
    faiss = _import_faiss()
    n, dim = vectors.shape
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, params["M"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = params["ef_construction"]
    elif kind == "ivf-flat":
        index = faiss.index_factory(dim, f"IVF{params['nlist']},Flat", faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.index_factory(dim, f"IVF{params['nlist']},PQ{params['pq_m']}x4fs,RFlat",
                                    faiss.METRIC_INNER_PRODUCT)
    if not index.is_trained:
        # k-means on a sample: FAISS wants ~40 points per list; more only costs time.
        sample = vectors[np.random.default_rng(0).permutation(n)[: max(50 * params.get("nlist", 1), 20_000)]]
        index.train(sample)
    index.add(vectors)
    return index


def _set_search_params(index, kind: str, params: dict) -> None:
    faiss = _import_faiss()
    if kind == "hnsw":
        index.hnsw.efSearch = params["ef_search"]
        return
    if kind == "ivf-pq":
        index.k_factor = params["k_factor"]
        faiss.extract_index_ivf(index.base_index).nprobe = params["nprobe"]
        return
    faiss.extract_index_ivf(index).nprobe = params["nprobe"]


def _faiss_if_installed():
    """faiss, or None where it is not installed: exact search then stays on numpy (same answers)."""
    try:
        import faiss
    except ImportError:
        return None
    return faiss


def _import_faiss():
    try:
        import faiss
    except ImportError:
        raise ConfigError("FAISS indexes need the faiss-cpu package: pip install faiss-cpu "
                          "(or use --kind exact)") from None
    return faiss


class RememberedSearch:
    """A search index that answers a search it has just made from memory: the review's copies and
    its outliers both ask for every image's 10 nearest (1.3 s of 10,000 images' review, once)."""

    def __init__(self, index: SearchIndex):
        self.index = index
        self.kind = index.kind
        self._last: tuple | None = None

    def __len__(self) -> int:
        return len(self.index)

    def search(self, queries: np.ndarray, k: int, exclude_self: bool = False,
               exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        key = (id(queries), k, exclude_self, None if exclude is None else id(exclude))
        if self._last is None or self._last[0] != key:
            self._last = (key, self.index.search(queries, k, exclude_self=exclude_self, exclude=exclude))
        return self._last[1]
