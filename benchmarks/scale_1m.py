"""1,000,000 synthetic embeddings through imgorg's analysis, end to end.

    python benchmarks/scale_1m.py --n 1000000 --out /tmp/ws-1m

The embeddings are a mixture of 100 Gaussians in 256-d (unit centres, noise of
norm --sigma, rows L2-normalised like a backbone's), so the true cluster of every
point is known. They go through what `imgorg run --method kmeans --k 100` does
after embedding: L2 + PCA-50 (fitted on a 100k sample), k-means (FAISS past
200k points), the scores, the workspace written, the ivf-pq search index built
and saved; then single-query search latency and recall@10 against exact search.
A side-by-side MiniBatchKMeans run on the same PCA features gives the ratio.
Peak resident memory is sampled every 50 ms per stage.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from imgorg import build_search_index
from imgorg.config import ClusterConfig, IndexConfig, ReduceConfig, RunConfig
from imgorg.index import build_index, recall_at_k
from imgorg.metrics import external_scores
from imgorg.pipeline import analyse
from imgorg.tasks.saving import save_workspace


class PeakRSS:
    """Peak resident set size of this process while a stage runs (GiB), from /proc."""

    def __init__(self):
        self.peak = 0

    @staticmethod
    def now() -> int:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS"))

    @contextmanager
    def watch(self):
        self.peak, stop = self.now(), threading.Event()

        def sample():
            while not stop.wait(0.05):
                self.peak = max(self.peak, self.now())

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        yield
        stop.set()
        thread.join()


def mixture(n: int, dim: int, k: int, sigma: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    truth = rng.integers(0, k, n)
    X = np.empty((n, dim), np.float32)
    for i in range(0, n, 100_000):  # in chunks: no float64 temporaries of the whole array
        rows = slice(i, min(n, i + 100_000))
        noise = rng.standard_normal((rows.stop - rows.start, dim), dtype=np.float32) * (sigma / np.sqrt(dim))
        X[rows] = centres[truth[rows]] + noise
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--sigma", type=float, default=1.0, help="noise norm; centres have norm 1")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("/tmp/imgorg-scale-1m"))
    parser.add_argument("--no-minibatch", action="store_true", help="skip the MiniBatchKMeans comparison")
    args = parser.parse_args()

    rss, stages = PeakRSS(), {}
    start_all = time.perf_counter()

    def stage(name):
        @contextmanager
        def timed():
            start = time.perf_counter()
            with rss.watch():
                yield
            stages[name] = {"seconds": round(time.perf_counter() - start, 1), "peak_rss_gib": round(rss.peak / 2**30, 2)}
            print(name, stages[name], flush=True)
        return timed()

    with stage("generate"):
        X, truth = mixture(args.n, args.dim, args.k, args.sigma)
    catalog = pd.DataFrame({"id": np.arange(args.n), "path": [f"synthetic/{i}.png" for i in range(args.n)],
                            "label": truth.astype(str), "status": "ok", "error": None})
    config = RunConfig(reduce=ReduceConfig(pca_dim=50), cluster=ClusterConfig(method="kmeans", k=args.k))
    timings: dict = {}
    with stage("analyse (reduce + k-means + scores)"):
        ws, _ = analyse(X, catalog, config, timings)
    scores = ws.metrics["kmeans"]
    with stage("write workspace"):
        ws.path = args.out
        save_workspace(ws)
    with stage("build + save index"):
        index = build_search_index(ws, IndexConfig())
    queries = X[np.random.default_rng(1).choice(args.n, args.queries, replace=False)]
    exact = build_index(X, kind="exact").search(queries, 10)[1]
    latencies, found = [], []
    for q in queries:
        t = time.perf_counter()
        found.append(index.search(q[None], 10)[1][0])
        latencies.append((time.perf_counter() - t) * 1000)
    result = {
        "n": args.n, "dim": args.dim, "k": args.k, "sigma": args.sigma,
        "stages": stages, "pipeline_timings": timings,
        "kmeans": {key: scores.get(key) for key in ("acc", "nmi", "ari", "seconds")},
        "index": {**index.record(), "recall_at_10": recall_at_k(np.array(found), exact),
                  "p50_ms": round(float(np.percentile(latencies, 50)), 2),
                  "p99_ms": round(float(np.percentile(latencies, 99)), 2)},
        "total_seconds_after_generate": round(time.perf_counter() - start_all - stages["generate"]["seconds"], 1),
    }
    if not args.no_minibatch:
        from sklearn.cluster import MiniBatchKMeans

        with stage("minibatch k-means (comparison)"):
            labels = MiniBatchKMeans(n_clusters=args.k, n_init=10, random_state=0, batch_size=4096).fit_predict(ws.reduced)
        external = external_scores(truth, labels)
        result["minibatch"] = {**{key: external[key] for key in ("acc", "nmi", "ari")}, "seconds": stages["minibatch k-means (comparison)"]["seconds"]}
    print(json.dumps(result, indent=2, default=float))


if __name__ == "__main__":
    main()
