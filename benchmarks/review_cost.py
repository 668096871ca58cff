"""What the review adds to `imgorg run`: whole commands with and without it, alternating, on
three collections: CIFAR-10's 10,000 test JPEGs, 64 12-MP photos that are all copies (five
pictures, each file with its own noise: ``_big_corpus.py``) and 64 12-MP photos with no copies
(64 LFW strangers' photos enlarged to 4000x3000 the same way); with ``--many N``, N LFW photos enlarged so instead
(people/ first: several photos of each person).

    python benchmarks/review_cost.py --cifar data/cifar10/test --lfw /tmp/lfw --rounds 2
    python benchmarks/review_cost.py --lfw /tmp/lfw --many 1050 --rounds 2
    python benchmarks/review_cost.py --lfw /tmp/lfw --many 1050 --rounds 2 --one-time   # one capture time for all

Each round runs `imgorg run` into a fresh workspace with the review and with `--no-review`
(the order alternates between rounds) and prints both wall times and the review's own clocks as
`imgorg run` prints them ("Review (N s beside the run, M s after it)": it runs in a spawned process
while the run clusters and makes its map); then the review's parts, in this process, on the last workspace. The
share is what the review adds to the whole run: (with - without) / without, median over the rounds, of the wall
time and of the CPU time (user and system, of the run and every process it started: on a busy shared machine
the wall time of one run varies by tens of percent, its CPU time by about a tenth).
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from _big_corpus import build_big_corpus  # noqa: E402

IMGORG = [sys.executable, "-c", "import sys; from imgorg.cli.main import main; sys.exit(main())"]


def enlarged_photos(sources: list[Path], dest: Path, apart: bool = True) -> Path:
    """``dest`` holding each of ``sources`` enlarged to a 12-MP JPEG, IMG_0000.jpg on (written once),
    each with a camera's EXIF and its own capture time, a minute after the one before (``apart``), or
    all of one second: then no capture time tells two photos from a photo and its crop, and the
    review's crop check looks at every pair."""
    from datetime import datetime, timedelta

    from PIL import Image

    from tests.photo_corpus import encode, make_exif, upscale_12mp

    dest.mkdir(parents=True, exist_ok=True)
    first = datetime(2024, 5, 17, 9, 0, 0)
    for i, source in enumerate(sources):
        path = dest / f"IMG_{i:04d}.jpg"
        if not path.exists():
            taken = (first + timedelta(minutes=i if apart else 0)).strftime("%Y:%m:%d %H:%M:%S")
            exif = make_exif(make="Canon", model="Canon EOS 80D", taken=taken, offset="+02:00")
            with Image.open(source) as image:
                path.write_bytes(encode(upscale_12mp(image.convert("RGB"), seed=i), "JPEG", exif, quality=90))
    return dest


def once(folder: Path, out: Path, k: int, review: bool) -> tuple[float, float, tuple[float, float] | None]:
    """(wall seconds of `imgorg run`, its CPU seconds (user and system, with every process it started),
    the review's clocks (beside the run, after it) or None)."""
    shutil.rmtree(out, ignore_errors=True)
    command = IMGORG + ["run", str(folder), "--out", str(out), "--k", str(k), "--no-report"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command + ([] if review else ["--no-review"]), capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    found = re.search(r"Review \(([\d.]+) s beside the run, ([\d.]+) s after it\)", done.stdout)
    return wall, cpu, (float(found.group(1)), float(found.group(2))) if found else None


def measure(name: str, folder: Path, k: int, rounds: int, work: Path) -> None:
    from imgorg.tasks.review import review_collection

    shares, cpu_shares = [], []
    for r in range(rounds):
        order = (True, False) if r % 2 == 0 else (False, True)
        results = {review: once(folder, work / f"{name}-{int(review)}", k, review) for review in order}
        (with_wall, with_cpu, (beside, after)), (without, without_cpu, _) = results[True], results[False]
        shares.append((with_wall - without) / without)
        cpu_shares.append((with_cpu - without_cpu) / without_cpu)
        print(f"{name} round {r + 1}: run {with_wall:.1f} s with the review ({beside:.1f} s beside the run, "
              f"{after:.1f} s after it), {without:.1f} s without: the review adds {shares[-1]:.1%}; CPU "
              f"{with_cpu:.1f} s against {without_cpu:.1f} s: {cpu_shares[-1]:.1%}", flush=True)
    print(f"{name}: the review adds {statistics.median(shares):.1%} of the wall time, {statistics.median(cpu_shares):.1%} "
          f"of the CPU time (medians of {rounds})", flush=True)
    parts = review_collection(work / f"{name}-1").seconds
    print(f"{name} the review's parts: {parts}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cifar", type=Path, help="CIFAR-10's test folder (skipped if not given)")
    parser.add_argument("--lfw", type=Path, help="the unpacked lfw-people.tar.gz (people/, strangers/)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--many", type=int, default=0,
                        help="only this many LFW photos (people/ then strangers/, with --lfw) enlarged to 12 MP")
    parser.add_argument("--one-time", action="store_true",
                        help="with --many: every photo of one capture time (the crop check looks at every pair)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/imgorg-review-cost"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.many:  # people/ holds several photos of each person: look-alikes, few copies
        sources = sorted(args.lfw.rglob("*.jpg"))[:args.many]
        name = f"many-{args.many}" + ("-one-time" if args.one_time else "")
        measure(f"12mp-{args.many}", enlarged_photos(sources, args.work / name, not args.one_time), 10, args.rounds,
                args.work)
        return
    if args.cifar:
        measure("cifar10-test", args.cifar, 10, args.rounds, args.work)
    measure("12mp-copies", build_big_corpus(args.work / "copies", "jpeg", 64), 5, args.rounds, args.work)
    if args.lfw:
        strangers = sorted((args.lfw / "strangers").rglob("*.jpg"))[:64]
        measure("12mp-distinct", enlarged_photos(strangers, args.work / "distinct"), 5, args.rounds, args.work)

if __name__ == "__main__":
    main()
