"""Workspaces of CIFAR-10 train images for tuning cluster names, each clustered three ways.

    imgorg run /tmp/cifar --out /tmp/ws-cifar60k            # once: tags and embeddings of all 60,000
    python benchmarks/naming_subsets.py /tmp/ws-cifar60k /tmp/ws-names-b --seed 1 --exclude /tmp/ws-labels-train
    python benchmarks/naming.py /tmp/ws-names-b --method all

Takes 1,000 train images per label (seeded; none of the --exclude workspaces' images) from a
workspace of the whole CIFAR-10 folder, and writes a workspace that benchmarks/naming.py reads:
its catalog and tags rows, and scan, kmeans and agglomerative clusterings (k = 10, imgorg's
defaults) of them, so a naming rule is judged on several partitions, none of the test set.
Scan takes about 2 minutes per 10,000 images on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from imgorg.clustering.methods import run_methods
from imgorg.config import ClusterConfig
from imgorg.reduce import Reducer

METHODS = ["scan", "kmeans", "agglomerative"]


def taken(paths: list[Path]) -> set[str]:
    """Image paths of other workspaces, as train/<label>/<file> (a train-only folder lacks the prefix)."""
    out: set[str] = set()
    for path in paths:
        catalog = pd.read_parquet(path / "catalog.parquet")
        out |= {p if p.startswith(("train/", "test/")) else f"train/{p}" for p in catalog["path"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="workspace of the CIFAR-10 folder (train/ and test/)")
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-label", type=int, default=1000)
    parser.add_argument("--exclude", type=Path, nargs="*", default=[], help="workspaces whose images to leave out")
    args = parser.parse_args()
    catalog = pd.read_parquet(args.source / "catalog.parquet")
    tags = pd.read_parquet(args.source / "tags.parquet")
    train = catalog[catalog["path"].str.startswith("train/") & ~catalog["path"].isin(taken(args.exclude))]
    rng = np.random.default_rng(args.seed)
    rows = np.sort(np.concatenate([rng.choice(group.index.to_numpy(), args.per_label, replace=False)
                                   for _, group in train.groupby("label")]))
    embeddings = np.asarray(np.load(args.source / "embeddings.npy", mmap_mode="r")[rows], dtype=np.float32)
    reduced = Reducer(50).fit_transform(embeddings)
    results = run_methods(embeddings, reduced, METHODS, ClusterConfig(k=10, seed=0))
    args.out.mkdir(parents=True, exist_ok=True)
    ids = np.arange(len(rows))
    catalog.loc[rows].reset_index(drop=True).assign(id=ids).to_parquet(args.out / "catalog.parquet")
    tags.loc[rows].reset_index(drop=True).assign(id=ids).to_parquet(args.out / "tags.parquet")
    pd.DataFrame({"id": ids} | {r.name: r.labels for r in results}).to_parquet(args.out / "assignments.parquet")
    (args.out / "manifest.json").write_text(json.dumps({"default_method": "scan"}))
    print(f"{args.out}: {len(rows):,} train images, clusterings {', '.join(METHODS)}")


if __name__ == "__main__":
    main()
