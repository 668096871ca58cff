"""What keeping freed memory in a worker (``parallel.keep_freed_memory``) does to the review's own
first read of large photos (`imgorg review`, and photos whose embeddings `imgorg run` found in its
cache): each photo's file read, its one 1/8 decode, its quality scores, its copy-search thumbnails
and its kept pixels written (``duplicates.image_thumbnails`` with the review's decode and measure), timed in a
fresh worker that keeps freed memory (as ``parallel.process_pool``'s do) and in a plain one,
alternating; medians of the per-photo times. Fresh (spawned) workers: a forked one inherits its
parent's malloc state, whatever that is.

    python benchmarks/worker_memory.py /tmp/imgorg-review-cost/many-1200 --photos 200 --rounds 3

Any folder of 12-MP JPEGs will do (``review_cost.py --many N`` makes one of enlarged LFW photos).
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _first_read(folder: str, names: list[str], kept: str) -> float:
    """Seconds per photo of the review's first read of ``names`` (one chunk, as a worker gets it)."""
    from imgorg.duplicates.thumbnails import image_thumbnails
    from imgorg.review.kept import spill_keeping
    from imgorg.review.quality import shared_decode

    start = time.perf_counter()  # one worker: in this process
    image_thumbnails(folder, names, workers=1, measure=functools.partial(spill_keeping, kept), decode=shared_decode)
    return (time.perf_counter() - start) / len(names)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    names = sorted(p.name for p in args.folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))[:args.photos]
    with tempfile.TemporaryDirectory() as work:
        kept = Path(work)
        per_photo = {"kept": [], "plain": []}
        for r in range(args.rounds):
            for name in (("kept", "plain") if r % 2 == 0 else ("plain", "kept")):
                per_photo[name].append(_in_fresh_worker(name == "kept", args.folder, names, kept))
                print(f"round {r + 1} {name}: {per_photo[name][-1]:.1f} ms a photo", flush=True)
    keeps, plain = (statistics.median(per_photo[name]) for name in ("kept", "plain"))
    print(f"the review's own first read of a 12-MP photo: {keeps:.1f} ms in a worker that keeps "
          f"freed memory, {plain:.1f} ms in a plain one ({plain / keeps:.2f}x; {len(names)} photos, "
          f"medians of {args.rounds})")


def _in_fresh_worker(keeps: bool, folder: Path, names: list[str], kept: Path) -> float:
    """Milliseconds a photo of ``_first_read`` in a new spawned worker, keeping freed memory or not;
    ``kept`` is emptied afterwards."""
    from imgorg.parallel import start_worker

    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn, initializer=start_worker if keeps else None) as pool:
        pool.submit(int).result()  # started and imported before the clock
        seconds = pool.submit(_first_read, str(folder), names, str(kept)).result()
    for file in kept.iterdir():
        file.unlink()
    return seconds * 1000

if __name__ == "__main__":
    main()
