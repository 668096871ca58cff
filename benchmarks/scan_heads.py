"""scan with a given number of heads on a workspace, over seeds (labels only to score).

    python benchmarks/scan_heads.py /tmp/ws-official --heads 30 --seeds 5
    python benchmarks/scan_heads.py /tmp/ws-official --heads 10 --seeds 5   # the default until 2026-11-30
    python benchmarks/scan_heads.py /tmp/ws-official --neighbours 10 --entropy-weight 2   # other settings

The same features and SCANClusterer as `imgorg run --method scan`; prints ACC /
NMI / ARI, the chosen head's loss and seconds per seed, then mean, min and max.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from imgorg import load_workspace
from imgorg.metrics import hungarian_accuracy
from imgorg.reduce import power_features
from imgorg.scan import SCANClusterer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--heads", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--neighbours", type=int, default=SCANClusterer().n_neighbors)
    parser.add_argument("--entropy-weight", type=float, default=SCANClusterer().entropy_weight)
    args = parser.parse_args()
    ws = load_workspace(args.workspace)
    X, truth = power_features(np.asarray(ws.embeddings)), ws.images["label"].to_numpy()
    scores = []
    for seed in range(args.seeds):
        start = time.perf_counter()
        model = SCANClusterer(n_clusters=args.k, n_heads=args.heads, n_neighbors=args.neighbours,
                              entropy_weight=args.entropy_weight, random_state=seed).fit(X)
        scores.append((hungarian_accuracy(truth, model.labels_), normalized_mutual_info_score(truth, model.labels_),
                       adjusted_rand_score(truth, model.labels_)))
        print(f"seed {seed}: ACC {scores[-1][0]:.3f} NMI {scores[-1][1]:.3f} ARI {scores[-1][2]:.3f} "
              f"loss {model.losses_.min():.4f} ({time.perf_counter() - start:.1f} s)", flush=True)
    table = np.array(scores)
    for name, column in zip(("ACC", "NMI", "ARI"), table.T):
        print(f"{name} {column.mean():.3f} [{column.min():.3f}, {column.max():.3f}]")


if __name__ == "__main__":
    main()
