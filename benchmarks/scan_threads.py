"""scan's fit time with 1 torch thread against torch's default (one per core), alternating.

    flock /tmp/imgorg-bench.lock .venv/bin/python benchmarks/scan_threads.py /tmp/ws-t-new --sizes 300,10000 --rounds 3

scan trains 30 small linear heads on batches of at most 512 rows: each step is a few
small matrix products, where the threads' start-up and synchronisation can cost more
than they save (a helper saw 94 s with 2 threads against 6 s with 1 on 11 images,
while the other core was busy). Prints seconds per run and the medians.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from imgorg import load_workspace
from imgorg.compare import run_methods
from imgorg.config import ClusterConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace")
    parser.add_argument("--sizes", default="300,10000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ws = load_workspace(args.workspace)
    default = torch.get_num_threads()
    for size in (int(s) for s in args.sizes.split(",")):
        times: dict[int, list[float]] = {1: [], default: []}
        for _ in range(args.rounds):
            for threads in times:
                torch.set_num_threads(threads)
                start = time.perf_counter()
                run_methods(ws.embeddings[:size], ws.reduced[:size], ["scan"], ClusterConfig(k=10), None)
                times[threads].append(time.perf_counter() - start)
                print(f"{size:,} images, {threads} thread(s): {times[threads][-1]:.1f} s", flush=True)
        print(f"{size:,} images, medians: " + ", ".join(f"{t} thread(s) {statistics.median(v):.1f} s"
                                                        for t, v in times.items()), flush=True)


if __name__ == "__main__":
    main()
