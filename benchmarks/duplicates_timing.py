"""`imgorg duplicates` on one workspace, two versions of the code side by side: seconds per run.

    git archive <commit> src | tar -x -C /tmp/before        # the code to compare with
    python benchmarks/duplicates_timing.py WORKSPACE --before /tmp/before/src --rounds 3

Each round runs the workspace task ``find_duplicates`` (what `imgorg duplicates WORKSPACE`
runs: thumbnails, candidates, scores, keypoint checks, groups, the written artifact) in a
fresh process, first with the ``--before`` source tree ahead on the path, then with this
checkout's, alternating, so both see the same machine load; medians at the end. Options
for this checkout's run (``--after-options``, a Python dict of ``DuplicatesConfig`` fields)
let one version run with its keypoint checks off.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUN = """
import sys, time
from imgorg.config import DuplicatesConfig
from imgorg.tasks import find_duplicates
options = eval(sys.argv[2])
start = time.perf_counter()
frame = find_duplicates(sys.argv[1], DuplicatesConfig(**options))
print(time.perf_counter() - start, frame["group"].nunique(), len(frame))
"""


def timed(source: Path, workspace: Path, options: str) -> tuple[float, int, int]:
    env = {**os.environ, "PYTHONPATH": str(source)}
    out = subprocess.run([sys.executable, "-c", RUN, str(workspace), options], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--before", type=Path, required=True, help="a source tree (the src folder of another commit)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before-options", default="{}")
    parser.add_argument("--after-options", default="{}")
    args = parser.parse_args()
    runs = {"before": [], "after": []}
    for round_ in range(args.rounds):
        for name, source, options in (("before", args.before, args.before_options),
                                      ("after", REPO / "src", args.after_options)):
            seconds, groups, rows = timed(source, args.workspace, options)
            runs[name].append(seconds)
            print(f"round {round_ + 1} {name:<6} {seconds:7.1f} s  {groups} groups, {rows} images in them", flush=True)
    before, after = statistics.median(runs["before"]), statistics.median(runs["after"])
    print(f"median: before {before:.1f} s, after {after:.1f} s ({after / before:.2f}x); runs "
          f"{' / '.join(f'{s:.1f}' for s in runs['before'])} against {' / '.join(f'{s:.1f}' for s in runs['after'])}")


if __name__ == "__main__":
    main()
