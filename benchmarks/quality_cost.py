"""Cost of the quality scores per image: 10,000 CIFAR-10 test JPEGs (32x32) and 12-MP JPEGs.

    PYTHONPATH=src .venv/bin/python benchmarks/quality_cost.py --cifar /tmp/cifar/test --big-dir /tmp/imgorg-big --n-big 24

``quality_scores`` with 2 worker processes (what ``imgorg review`` uses on this 2-core machine),
--rounds rounds, median wall time printed per image; the big JPEGs are 4000x3000 photos that
benchmarks/_big_corpus.py writes once (skimage photos enlarged, with sensor noise). Also the
time ``quality_flags`` takes on the 10,000 rows, and the split of one 12-MP image's time between
the reduced decode (``read_work_image``) and the measures (``image_scores``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _big_corpus import build_big_corpus, corpus_files  # noqa: E402

from imgorg.review.quality import image_scores, quality_flags, quality_scores, read_work_image  # noqa: E402


def timed(function, *args, rounds: int, **kwargs):
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cifar", type=Path, default=Path("/tmp/cifar/test"))
    parser.add_argument("--big-dir", type=Path, default=Path("/tmp/imgorg-big"))
    parser.add_argument("--n-big", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    names = sorted(str(path.relative_to(args.cifar)) for path in args.cifar.rglob("*.jpg"))
    seconds, scores = timed(quality_scores, names, args.cifar, workers=args.workers, rounds=args.rounds)
    print(f"CIFAR-10 test, {len(names)} JPEGs 32x32: {seconds:.2f} s, {1e3 * seconds / len(names):.3f} ms/image "
          f"({args.workers} workers, median of {args.rounds})")
    flag_seconds, flags = timed(quality_flags, scores, rounds=args.rounds)
    print(f"  quality_flags on {len(scores)} rows: {flag_seconds:.3f} s; {len(flags)} findings "
          f"{flags['kind'].value_counts().to_dict()}")

    folder = build_big_corpus(args.big_dir, "jpeg", args.n_big)
    files = corpus_files(folder, args.n_big)
    big_names = [path.name for path in files]
    seconds, _ = timed(quality_scores, big_names, folder, workers=args.workers, rounds=args.rounds)
    print(f"12-MP JPEGs, {len(big_names)} files: {seconds:.2f} s, {1e3 * seconds / len(big_names):.1f} ms/image "
          f"({args.workers} workers, median of {args.rounds})")
    data = files[0].read_bytes()
    decode, (pixels, width, height) = timed(read_work_image, data, rounds=5)
    measure, _ = timed(image_scores, pixels, width, height, rounds=5)
    print(f"  one 12-MP JPEG in one process: decode to {pixels.shape[1]}x{pixels.shape[0]} {1e3 * decode:.1f} ms, "
          f"measures {1e3 * measure:.1f} ms")


if __name__ == "__main__":
    main()
