"""Single-query latency of the default ivf-pq index at 1M x 256: FAISS threads and re-rank depth.

    python benchmarks/search_threads.py [--n 1000000] [--queries 1000]

Runs each re-rank depth (k_factor 15, 20, 30) twice with FAISS's default OpenMP
threads and twice with one thread, on the same index and queries; prints p50/p99
(ms) and recall@10 against exact search. Note that ``SearchIndex.search`` itself
switches to one thread for up to ``FEW_QUERIES`` queries, so the "default" rows
bypass it by searching the FAISS index directly.
"""

from __future__ import annotations

import argparse
import time

import faiss
import numpy as np

from imgorg.index import _set_search_params, build_index, recall_at_k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n, args.dim), dtype=np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Q = rng.standard_normal((args.queries, args.dim), dtype=np.float32)
    Q /= np.linalg.norm(Q, axis=1, keepdims=True)
    exact = build_index(X, kind="exact").search(Q, 10)[1]
    index = build_index(X, kind="ivf-pq")
    default_threads = faiss.omp_get_max_threads()
    for threads in (default_threads, 1) * 2:
        faiss.omp_set_num_threads(threads)
        for k_factor in (15, 20, 30):
            _set_search_params(index._faiss, index.kind, {**index.params, "k_factor": k_factor})
            times, rows = [], []
            for q in Q:
                start = time.perf_counter()
                rows.append(index._faiss.search(q[None], 10)[1][0])
                times.append((time.perf_counter() - start) * 1e3)
            print(f"threads {threads} k_factor {k_factor}: p50 {np.percentile(times, 50):.2f} ms "
                  f"p99 {np.percentile(times, 99):.2f} ms recall@10 {recall_at_k(np.array(rows), exact):.3f}",
                  flush=True)


if __name__ == "__main__":
    main()
