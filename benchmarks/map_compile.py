"""What numba's compilation costs `imgorg run`'s UMAP map in a new process, with umap-learn's
uncached functions cached (``imgorg.maps.cache_umap_compilation``, the default) and as umap-learn
leaves them (compiled again in every process).

    python benchmarks/map_compile.py workspaces/cifar10-test --rounds 3

Each round maps the workspace's reduced embeddings in two fresh subprocesses, one per setting,
alternating which goes first, with the settings `imgorg run` maps with (``config.RUN_MAP``: UMAP
fitted on a sample of 1,500, 200 epochs, the rest placed by neighbours). The first round with the
cache may still compile (the cache is written then); the median is over the rounds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

CHILD = """
import sys, time, warnings
warnings.filterwarnings("ignore")
import imgorg.maps as maps
from imgorg.config import RUN_MAP
from imgorg.views import load_workspace
if sys.argv[2] == "uncached":
    maps.cache_umap_compilation = lambda: None
X = load_workspace(sys.argv[1]).reduced
start = time.perf_counter()
maps.Projector("umap", epochs=RUN_MAP.epochs, max_fit=RUN_MAP.max_fit, random_state=RUN_MAP.seed).fit_transform(X)
print(time.perf_counter() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workspace")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    seconds = {"cached": [], "uncached": []}
    for r in range(args.rounds):
        for setting in ("cached", "uncached") if r % 2 == 0 else ("uncached", "cached"):
            done = subprocess.run([sys.executable, "-c", CHILD, args.workspace, setting], capture_output=True,
                                  text=True, check=True)
            seconds[setting].append(float(done.stdout.split()[-1]))
            print(f"round {r + 1}, {setting}: {seconds[setting][-1]:.1f} s", flush=True)
    for setting, values in seconds.items():
        print(f"{setting}: median {statistics.median(values):.1f} s ({', '.join(f'{v:.1f}' for v in values)})")


if __name__ == "__main__":
    main()
