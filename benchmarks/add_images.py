"""New images into curated clusters: how well `imgorg add` places them, and how fast.

    python benchmarks/add_images.py --cifar data/cifar10/test --out /tmp/bench-add

Splits CIFAR-10's test images in two halves (the first 500 of each class, the other 500),
runs `imgorg run` on the first half (scan, k = 20), then curates it as a person who knows
the classes would (labels as the oracle, through the curation API): each cluster is renamed
after its dominant class, clusters of one class are merged, and every image in the wrong
cluster is moved to its class's cluster. Then `imgorg add` places the second half. Prints the
share of added images sent to `unsorted`, the accuracy of the others (their cluster's name is
their class), the time per 1,000 added images, and whether any curated image moved.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np

import imgorg
from imgorg import AddConfig, ClusterConfig, RunConfig, add_images, edit_clusters
from imgorg.curation import Merge, Move, Rename


def halves(cifar: Path, out: Path) -> tuple[Path, Path]:
    """Two folders of symbolic links: the first and the second 500 images of each class."""
    first, second = out / "first", out / "second"
    for folder in (first, second):
        shutil.rmtree(folder, ignore_errors=True)
    for cls in sorted(p for p in cifar.iterdir() if p.is_dir()):
        files = sorted(cls.glob("*.jpg"))
        for i, f in enumerate(files):
            target = (first if i < len(files) // 2 else second) / cls.name / f.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(f.resolve())
    return first, second


def curate_as_an_oracle(ws_path: Path) -> int:
    """Rename, merge and move until every cluster is one class; returns the number of edits."""
    ws = imgorg.load_workspace(ws_path)
    truth, labels = ws.labels, ws.cluster_labels()
    dominant = {int(c): max(set(truth[labels == c]), key=list(truth[labels == c]).count) for c in np.unique(labels)}
    edits = 0
    for cls in sorted(set(dominant.values())):
        clusters = [c for c, d in dominant.items() if d == cls]
        if len(clusters) > 1:
            edit_clusters(ws_path, Merge(tuple(clusters), name=cls))
        else:
            edit_clusters(ws_path, Rename(clusters[0], cls))
        edits += 1
    ws = imgorg.load_workspace(ws_path)
    home = {row.name: row.id for row in ws.clusters().itertuples()}
    labels, ids = ws.cluster_labels(), ws.images["id"].to_numpy()
    for cls, cluster in home.items():  # every image of the class that sits elsewhere
        stray = ids[(truth == cls) & (labels != cluster)]
        if len(stray):
            edit_clusters(ws_path, Move(tuple(int(i) for i in stray), to=int(cluster)))
            edits += 1
    return edits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cifar", type=Path, required=True, help="CIFAR-10's test split as class folders")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-add"))
    parser.add_argument("--threshold", type=float, default=AddConfig.threshold)
    parser.add_argument("--k", type=int, default=20)
    args = parser.parse_args()
    first, second = halves(args.cifar, args.out)
    ws_path = args.out / "ws"
    shutil.rmtree(ws_path, ignore_errors=True)
    start = time.perf_counter()
    imgorg.run(first, ws_path, RunConfig(cluster=ClusterConfig(k=args.k)))
    print(f"run on {first}: {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    edits = curate_as_an_oracle(ws_path)
    print(f"curated to one class per cluster with {edits} edits in {time.perf_counter() - start:.1f} s")
    before = imgorg.load_workspace(ws_path)
    curated = before.cluster_labels().copy()
    result = add_images(ws_path, AddConfig(folder=str(second), threshold=args.threshold))
    after = imgorg.load_workspace(ws_path)
    names = after.cluster_names()
    added = result.added[result.added["status"] == "ok"]
    truth = added["path"].str.split("/").str[-2].to_numpy()
    placed = (added["cluster"] != result.unsorted).to_numpy()
    right = np.array([names.get(int(c)) == t for c, t in zip(added["cluster"], truth)])
    moved = int((after.cluster_labels()[:len(curated)] != curated).sum())
    print(f"added {len(added):,} images in {result.seconds:.1f} s ({1000 * result.seconds / len(added):.1f} s per 1,000)")
    print(f"unsorted: {1 - placed.mean():.3f} of them; accuracy of the placed ones: {right[placed].mean():.3f} "
          f"(all, counting unsorted as wrong: {right.mean():.3f}); curated images moved: {moved}")


if __name__ == "__main__":
    main()
