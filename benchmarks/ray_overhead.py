"""Ray engine vs local engine on the same images, in one run.

    python benchmarks/ray_overhead.py --images data/cifar10/test --n 10000 --repeats 3

Both engines embed the same files from nothing (no cache); runs alternate and the
medians are reported. The Ray instance is started once, before timing (a cluster
is up before a job comes), and its start-up time is reported on its own.
Also checks that both engines agree (max abs difference of the embeddings).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from imgorg.config import EmbedConfig
from imgorg.embed import embed_catalog
from imgorg.sources import scan_folder


def timed(root: Path, catalog, config: EmbedConfig) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    result = embed_catalog(root, catalog, config, cache_root=None)
    seconds = time.perf_counter() - start
    assert len(result.embeddings) == len(catalog)
    return len(catalog) / seconds, result.embeddings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--actors", type=int, default=None, help="Ray model actors (default: the engine's)")
    args = parser.parse_args()

    import ray

    catalog = scan_folder(args.images).head(args.n).reset_index(drop=True)
    start = time.perf_counter()
    ray.init(include_dashboard=False, log_to_driver=False)
    ray_start = time.perf_counter() - start
    local_config = EmbedConfig()
    ray_config = EmbedConfig(engine="ray", ray_actors=args.actors)
    timed(args.images, catalog.head(256), local_config)  # export the ONNX graph once, warm the page cache
    timed(args.images, catalog.head(256), ray_config)  # start the actor pool's processes once
    local, on_ray, diff = [], [], 0.0
    for _ in range(args.repeats):
        rate, a = timed(args.images, catalog, local_config)
        local.append(rate)
        rate, b = timed(args.images, catalog, ray_config)
        on_ray.append(rate)
        diff = max(diff, float(np.abs(a - b).max()))
    ray.shutdown()
    result = {
        "images": len(catalog), "repeats": args.repeats, "cpus": __import__("os").cpu_count(),
        "ray_init_s": round(ray_start, 1),
        "local_img_s": round(statistics.median(local), 1), "ray_img_s": round(statistics.median(on_ray), 1),
        "ray_over_local": round(statistics.median(on_ray) / statistics.median(local), 3),
        "max_abs_diff": diff, "local_runs": [round(r, 1) for r in local], "ray_runs": [round(r, 1) for r in on_ray],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
