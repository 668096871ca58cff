"""Clustering quality and time per method on a finished workspace, over several seeds.

    python benchmarks/cluster_quality.py /tmp/ws-official --methods kmeans,scan --seeds 5
    python benchmarks/cluster_quality.py /tmp/ws-official --methods agglomerative --k 50 --seeds 1
    python benchmarks/cluster_quality.py /tmp/ws-60k-combo --methods scan --seeds 4 --first-seed 1

Labels (folder names) are used only to score. Prints mean, min and max of ACC,
NMI, ARI, silhouette, noise fraction and seconds per method.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from imgorg import load_workspace
from imgorg.clustering import run_methods
from imgorg.config import ClusterConfig

FIELDS = ("acc", "nmi", "ari", "silhouette", "noise_fraction", "n_clusters", "seconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--methods", default="kmeans,scan")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--linkage", default="ward")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed+seeds-1")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    ws = load_workspace(args.workspace)
    truth = ws.images["label"].to_numpy()
    rows = {}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        config = ClusterConfig(k=args.k, seed=seed, linkage=args.linkage)
        for r in run_methods(ws.embeddings, ws.reduced, args.methods.split(","), config, truth):
            values = {**r.scores, "seconds": r.seconds}
            rows.setdefault(r.name, []).append([np.nan if values[f] is None else values[f] for f in FIELDS])
    summary = {}
    print(f"{len(truth):,} images, k={args.k}, {args.seeds} seed(s); mean [min, max]")
    for name, values in rows.items():
        values = np.array(values, dtype=float)
        summary[name] = {f: {"mean": float(np.nanmean(values[:, i])), "min": float(np.nanmin(values[:, i])),
                             "max": float(np.nanmax(values[:, i]))} for i, f in enumerate(FIELDS)}
        cells = [f"{f} {s['mean']:.3f} [{s['min']:.3f}, {s['max']:.3f}]" for f, s in summary[name].items()]
        print(f"{name:14s} " + " | ".join(cells))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
