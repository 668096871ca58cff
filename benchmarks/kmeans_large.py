"""k-means at 1M points on raw 256-d vectors: FAISS (own seeding), FAISS seeded by k-means++
(imgorg's FaissKMeans), scikit-learn's MiniBatchKMeans, side by side (issue 8).

    python benchmarks/kmeans_large.py [--n 1000000] [--sigma 1.0]

Same mixture of 100 Gaussians as scale_1m.py; one run each, ACC against the mixture.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import faiss
import numpy as np
from sklearn.cluster import MiniBatchKMeans

from imgorg.cluster import FaissKMeans
from imgorg.metrics import hungarian_accuracy

sys.path.insert(0, str(Path(__file__).parent))
from scale_1m import mixture  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--sigma", type=float, default=1.0)
    args = parser.parse_args()
    X, truth = mixture(args.n, 256, args.k, args.sigma)

    def faiss_own_seeding():
        kmeans = faiss.Kmeans(X.shape[1], args.k, niter=25, seed=0, max_points_per_centroid=256)
        kmeans.train(X)
        return kmeans.index.search(X, 1)[1][:, 0]

    candidates = {
        "faiss, own random seeding": faiss_own_seeding,
        "FaissKMeans (k-means++ seeds), n_init 1": lambda: FaissKMeans(args.k, n_init=1).fit(X).labels_,
        "FaissKMeans, n_init 10 (imgorg's default)": lambda: FaissKMeans(args.k, n_init=10).fit(X).labels_,
        "MiniBatchKMeans, n_init 10": lambda: MiniBatchKMeans(args.k, n_init=10, random_state=0,
                                                              batch_size=4096).fit_predict(X),
    }
    for name, fit in candidates.items():
        start = time.perf_counter()
        labels = fit()
        print(f"{name}: {time.perf_counter() - start:.1f} s, ACC {hungarian_accuracy(truth, labels):.3f}", flush=True)


if __name__ == "__main__":
    main()
