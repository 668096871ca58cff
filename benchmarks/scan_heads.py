"""scan with a given number of heads on a workspace, over seeds (labels only to score).

    python benchmarks/scan_heads.py /tmp/ws-official --heads 30 --seeds 5
    python benchmarks/scan_heads.py /tmp/ws-official --heads 10 --seeds 5   # the default until 2026-11-30
    python benchmarks/scan_heads.py /tmp/ws-official --neighbours 10 --entropy-weight 2   # other settings
    python benchmarks/scan_heads.py /tmp/ws-official --spare-clusters 1   # train k + 1 clusters, dissolve the loosest

The same features and SCANClusterer as `imgorg run --method scan`; prints ACC /
NMI / ARI, the chosen head's loss and seconds per seed, then mean, min and max.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from imgorg import load_workspace
from imgorg.reduce import power_features
from imgorg.scan import SCANClusterer

from _seeds import label_scores, summary  # benchmarks/ is on the path when run as a script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--heads", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--neighbours", type=int, default=SCANClusterer().n_neighbors)
    parser.add_argument("--entropy-weight", type=float, default=SCANClusterer().entropy_weight)
    parser.add_argument("--spare-clusters", type=int, default=SCANClusterer().spare_clusters)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed+seeds-1")
    args = parser.parse_args()
    ws = load_workspace(args.workspace)
    X, truth = power_features(np.asarray(ws.embeddings)), ws.images["label"].to_numpy()
    scores = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        start = time.perf_counter()
        model = SCANClusterer(n_clusters=args.k, n_heads=args.heads, n_neighbors=args.neighbours,
                              entropy_weight=args.entropy_weight, spare_clusters=args.spare_clusters,
                              random_state=seed).fit(X)
        scores.append(label_scores(truth, model.labels_))
        print(f"seed {seed}: ACC {scores[-1][0]:.3f} NMI {scores[-1][1]:.3f} ARI {scores[-1][2]:.3f} "
              f"loss {model.losses_.min():.4f} ({time.perf_counter() - start:.1f} s)", flush=True)
    print(summary(scores, sep="\n"))


if __name__ == "__main__":
    main()
