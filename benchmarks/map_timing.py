"""Time, peak memory and trustworthiness of 2D maps (UMAP, t-SNE) of a workspace.

    python benchmarks/map_timing.py WORKSPACE [--methods umap,tsne,opentsne,pca] [--threads 2]

Each method runs in its own subprocess, which reports its wall time and its peak
resident memory (tracemalloc would miss what numba, OpenMP and C++ allocate).
The peak is the child's ``VmHWM`` (/proc/self/status), not its ``ru_maxrss``:
on Linux, execve folds the high-water mark of the mm it replaces into
``ru_maxrss``, and Python starts children with vfork, so a child's ``ru_maxrss``
is at least the parent's own peak (a first version of this script reported the
same 719 MiB for every method, the parent's peak after its trustworthiness
computation). ``ru_maxrss`` is printed beside it. A ``load`` row is the same subprocess doing nothing but loading the
data and importing, the baseline to subtract. Trustworthiness (sklearn, 10
neighbours) is computed here on a seeded sample of 5,000 points: the whole
10,000 would need a 10,000 x 10,000 rank matrix per method for the same figure.

``umap`` and ``tsne`` are what `imgorg map` runs (imgorg.project.Projector:
umap-learn with cosine, scikit-learn's Barnes-Hut t-SNE); ``opentsne`` is
openTSNE's FFT-accelerated t-SNE with its defaults, the candidate replacement.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

SAMPLE = 5_000
NEIGHBOURS = 10


def child(workspace: str, method: str, out: str, threads: int, seed: int) -> None:
    """Runs in the subprocess: one projection, then seconds and peak RSS as JSON on stdout."""
    import resource
    import time

    from imgorg.views import load_workspace

    X = load_workspace(workspace).reduced
    start = time.perf_counter()
    if method == "load":
        points = X[:, :2]
    elif method == "opentsne":
        from openTSNE import TSNE

        points = np.asarray(TSNE(n_components=2, n_jobs=threads, random_state=seed).fit(X))
    else:
        from imgorg.maps import Projector

        points = Projector(method=method, n_components=2, random_state=seed).fit_transform(X)
    seconds = time.perf_counter() - start
    np.save(out, np.asarray(points, np.float32))
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_mib": _vm_hwm_kib() / 1024, "maxrss_mib": maxrss_kib / 1024}))


def _vm_hwm_kib() -> int:
    """Peak resident memory of this process's own address space (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status (not Linux?)")


def measure(workspace: Path, method: str, threads: int, seed: int) -> tuple[dict, np.ndarray]:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "NUMBA_NUM_THREADS": str(threads),
           "OPENBLAS_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "points.npy")
        result = subprocess.run([sys.executable, __file__, "--child", method, str(workspace), "--out", out,
                                 "--threads", str(threads), "--seed", str(seed)],
                                env=env, capture_output=True, text=True, check=True)
        return json.loads(result.stdout.strip().splitlines()[-1]), np.load(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--methods", default="load,pca,umap,tsne,opentsne")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        return child(str(args.workspace), args.child, args.out, args.threads, args.seed)

    from sklearn.manifold import trustworthiness

    from imgorg.views import load_workspace

    X = load_workspace(args.workspace).reduced
    sample = np.random.default_rng(args.seed).choice(len(X), min(SAMPLE, len(X)), replace=False)
    print(f"{len(X):,} images, {X.shape[1]} dimensions, {args.threads} threads; trustworthiness on "
          f"{len(sample):,} of them, {NEIGHBOURS} neighbours\n")
    print("| method | seconds | peak RSS, VmHWM (MiB) | ru_maxrss (MiB) | trustworthiness |")
    print("|---|---:|---:|---:|---:|")
    for method in args.methods.split(","):
        stats, points = measure(args.workspace, method, args.threads, args.seed)
        trust = "" if method == "load" else f"{trustworthiness(X[sample], points[sample], n_neighbors=NEIGHBOURS):.3f}"
        print(f"| {method} | {stats['seconds']:.1f} | {stats['peak_mib']:,.0f} | {stats['maxrss_mib']:,.0f} "
              f"| {trust} |", flush=True)


if __name__ == "__main__":
    main()
