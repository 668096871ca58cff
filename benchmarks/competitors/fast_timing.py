"""`imgorg duplicates FOLDER --fast` against imagededup's PHash, whole processes, alternating
round by round (medians), optionally beside an older imgorg source tree (``--before SRC``).

    /tmp/venv-imagededup/bin/python benchmarks/competitors/fast_timing.py --dir /tmp/cifar/test \
        --rounds 3 --before /tmp/imgorg-before/src

imagededup_compare.py ``timing`` also times `imgorg run` and the full `duplicates` each round
(minutes); this times only what the issue compares: `--fast` from nothing and PHash.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parents[2]
IMGORG_PYTHON = REPO / ".venv" / "bin" / "python"
LOCK = "/tmp/imgorg-bench.lock"


def timed(command: list[str], env: dict | None = None) -> tuple[float, str]:
    """Wall seconds of ``command`` under the benchmark lock (the lock wait not counted)."""
    full = ["flock", LOCK, sys.executable, "-c",
            "import subprocess, sys, time, json; t = time.perf_counter(); "
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(json.dumps([time.perf_counter() - t, p.returncode, p.stdout[-3000:], p.stderr[-3000:]]))",
            *command]
    out = subprocess.run(full, capture_output=True, text=True, env=env, check=True)
    seconds, rc, stdout, stderr = json.loads(out.stdout.strip().splitlines()[-1])
    if rc:
        raise SystemExit(f"{command} exited {rc}: {stderr}")
    return seconds, stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/cifar/test"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, help="an older imgorg src/ to time beside this one")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/imgorg-fast-timing"))
    args = parser.parse_args()
    tools = {"phash": [sys.executable, str(HERE.parent / "imagededup_compare.py"), "phash-once", "--dir", str(args.dir)]}
    sources = {"imgorg --fast": REPO / "src", **({"imgorg --fast (before)": args.before} if args.before else {})}
    times: dict[str, list[float]] = {name: [] for name in [*tools, *sources]}
    for round_ in range(args.rounds):
        names = list(times) if round_ % 2 == 0 else list(times)[::-1]
        for name in names:
            if name in tools:
                seconds, _ = timed(tools[name])
            else:
                out = args.scratch / f"{name.replace(' ', '_')}-{round_}"
                shutil.rmtree(out, ignore_errors=True)
                env = {**os.environ, "PYTHONPATH": str(sources[name]), "IMGORG_CACHE": str(args.scratch / "cache")}
                command = [str(IMGORG_PYTHON), "-c", "import sys; from imgorg.cli.main import main; sys.exit(main())",
                           "duplicates", str(args.dir), "--fast", "--out", str(out)]
                seconds, stdout = timed(command, env)
                summary = next((line for line in stdout.splitlines() if "groups of" in line), "")
                print(f"    {summary}")
            times[name].append(seconds)
            print(f"round {round_ + 1}: {name} {seconds:.2f} s (load {os.getloadavg()[0]:.1f})", flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(json.dumps({"runs": times, "medians": medians}, indent=1))


if __name__ == "__main__":
    main()
