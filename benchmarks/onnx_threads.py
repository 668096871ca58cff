"""ONNX Runtime's forward rate with 1 and 2 intra-op threads, side by side, on the cores allowed.

    taskset -c 0 python benchmarks/onnx_threads.py      # a 1-core limit on a 2-core host

Why imgorg sizes ONNX Runtime's threads by the cores this process may use
(``imgorg.embed.cores.available_cores``) rather than ``os.cpu_count()``, which
counts the host's cores: under a container's or taskset's limit the extra threads
only contend. efficientnet-lite0 on random 224 px uint8 batches of 64; rounds
alternate, medians of --repeats.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from imgorg.embed.backbones import get_backbone
from imgorg.parallel import available_cores
from imgorg.embed import OnnxRunner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"cores allowed {available_cores()}, os.cpu_count() {os.cpu_count()}")
    spec = get_backbone("efficientnet-lite0")
    pixels = np.random.default_rng(0).integers(0, 255, (args.n, 224, 224, 3), dtype=np.uint8)
    runners = {int(t): OnnxRunner(spec, threads=int(t)) for t in args.threads.split(",")}
    rates: dict[int, list[float]] = {t: [] for t in runners}
    for _ in range(args.repeats):
        for threads, runner in runners.items():
            runner(pixels[:64])  # warm
            start = time.perf_counter()
            for i in range(0, len(pixels), 64):
                runner(pixels[i : i + 64])
            rates[threads].append(len(pixels) / (time.perf_counter() - start))
    for threads, runs in rates.items():
        print(f"{threads} thread(s): {statistics.median(runs):.1f} img/s (runs {', '.join(f'{r:.1f}' for r in runs)})")


if __name__ == "__main__":
    main()
