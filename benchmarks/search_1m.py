"""Issue 6: search on N random unit vectors (default 1,000,000 x 256) against exact answers.

    python benchmarks/search_1m.py [--n 1000000] [--queries 300]

Prints build time, index size in memory (FAISS's serialised bytes), p50/p99 latency
of single queries and recall@10 against exact search, for each index kind and a few
search settings. Random vectors are the hardest case for ANN (no cluster structure).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from imgorg.index import build_index, recall_at_k


def unit(rng, n, d):
    x = rng.standard_normal((n, d), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def latency(index, queries, k=10):
    times, rows = [], []
    for q in queries:
        start = time.perf_counter()
        _, r = index.search(q, k)
        times.append(time.perf_counter() - start)
        rows.append(r[0])
    return np.median(times) * 1e3, np.percentile(times, 99) * 1e3, np.array(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--kinds", default="exact,ivf-pq,ivf-flat")
    args = parser.parse_args()
    import faiss

    rng = np.random.default_rng(0)
    vectors, queries = unit(rng, args.n, args.dim), unit(rng, args.queries, args.dim)
    truth_index = faiss.IndexFlatIP(args.dim)
    truth_index.add(vectors)
    _, truth = truth_index.search(queries, 10)
    del truth_index
    print(f"{args.n:,} x {args.dim} random unit vectors, {args.queries} single queries, k=10")
    print(f"{'index':<44} {'build s':>8} {'MB':>7} {'p50 ms':>7} {'p99 ms':>7} {'recall@10':>9}")
    settings = {
        "exact": [{}],
        "ivf-pq": [{"k_factor": kf} for kf in (10, 30)]  # the default: one list up to 2M vectors
                  + [{"nlist": 1000, "nprobe": p, "k_factor": 30} for p in (64, 256)],
        "ivf-flat": [{"nprobe": p} for p in (32, 128)],
        "hnsw": [{"ef_search": ef} for ef in (128, 512)],
    }
    for kind in args.kinds.split(","):
        built = {}
        for params in settings[kind]:
            build_keys = {key: v for key, v in params.items() if key in ("nlist",)}
            key = tuple(sorted(build_keys.items()))
            if key not in built:
                built[key] = build_index(vectors, kind, **build_keys)
            index = built[key]
            index.params.update(params)
            p50, p99, rows = latency(index, queries)
            size = index.vectors.nbytes if index._faiss is None else faiss.serialize_index(index._faiss).nbytes
            shown = {k: v for k, v in index.params.items() if k != "ef_construction"}
            print(f"{kind + ' ' + str(shown):<44} {index.build_seconds:8.1f} {size / 2**20:7.0f} {p50:7.2f} "
                  f"{p99:7.2f} {recall_at_k(rows, truth):9.3f}", flush=True)


if __name__ == "__main__":
    main()
