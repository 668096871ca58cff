"""scan's MIN_STEPS on small collections, against k-means, over seeds (labels only to sample and score).

    python benchmarks/scan_min_steps.py /tmp/ws-t-new --sizes 300,1000,3000 --min-steps 100,200,400,800 --seeds 5
    python benchmarks/scan_min_steps.py /tmp/ws-tr-l0 --sizes 300 --min-steps 100 --seeds 1   # a smoke test
    python benchmarks/scan_min_steps.py /tmp/ws-tr10k --min-steps 100 --spare-clusters 0,1   # spare cluster or not

For each size and seed, a stratified random subset of the workspace's images (drawn with that
seed) gets the features of `imgorg run --method scan` (power_features of the subset). scan fits
on them once per MIN_STEPS (imgorg.scan.MIN_STEPS set for the fit): small collections train for
max(epochs, ceil(MIN_STEPS / steps per epoch)) epochs, so MIN_STEPS sets their cost. k-means
fits once on the same features (as imgorg's: k-means++, n_init 10; `--method kmeans` itself
clusters the L2 + PCA features). Prints ACC / NMI / ARI and seconds per fit, then a markdown
table: ACC mean [min, max], mean NMI and ARI, median seconds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.model_selection import train_test_split

import imgorg.scan
from imgorg import load_workspace
from imgorg.reduce import power_features
from imgorg.scan import SCANClusterer

from _seeds import label_scores  # benchmarks/ is on the path when run as a script


def ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--sizes", type=ints, default=[300, 1000, 3000])
    parser.add_argument("--min-steps", type=ints, default=[100, 200, 400, 800])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--spare-clusters", type=ints, default=[SCANClusterer().spare_clusters])
    args = parser.parse_args()
    ws = load_workspace(args.workspace)
    embeddings, truth = np.asarray(ws.embeddings), ws.images["label"].to_numpy()
    fits = {}  # (size, method) -> [(ACC, NMI, ARI, seconds)] over seeds
    for size in args.sizes:
        for seed in range(args.seeds):
            rows, _ = train_test_split(np.arange(len(truth)), train_size=size, stratify=truth, random_state=seed)
            X, y = power_features(embeddings[rows]), truth[rows]
            runs = [(steps, spare) for steps in args.min_steps for spare in args.spare_clusters]
            for steps, spare in [(None, None), *runs]:  # None: the k-means baseline
                if steps is None:
                    method, model = "kmeans", KMeans(args.k, init="k-means++", n_init=10, random_state=seed)
                else:
                    imgorg.scan.MIN_STEPS = steps  # read by SCANClusterer.fit
                    method = f"scan MIN_STEPS={steps}" + (f", {spare} spare" if len(args.spare_clusters) > 1 else "")
                    model = SCANClusterer(n_clusters=args.k, spare_clusters=spare, random_state=seed)
                start = time.perf_counter()
                labels = model.fit(X).labels_
                seconds = time.perf_counter() - start
                acc, nmi, ari = label_scores(y, labels)
                fits.setdefault((size, method), []).append((acc, nmi, ari, seconds))
                print(f"size {size} seed {seed} {method}: ACC {acc:.3f} NMI {nmi:.3f} ARI {ari:.3f} "
                      f"({seconds:.1f} s)", flush=True)
    print("\n| size | method | ACC mean [min, max] | NMI mean | ARI mean | median s |")
    print("|---:|---|---|---:|---:|---:|")
    for (size, method), scores in fits.items():
        acc, nmi, ari, seconds = np.asarray(scores).T
        print(f"| {size} | {method} | {acc.mean():.3f} [{acc.min():.3f}, {acc.max():.3f}] | {nmi.mean():.3f} | "
              f"{ari.mean():.3f} | {np.median(seconds):.1f} |")


if __name__ == "__main__":
    main()
