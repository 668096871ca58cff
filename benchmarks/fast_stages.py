"""Where `imgorg duplicates FOLDER --fast` spends its time: a timer around each stage of one run.

    python benchmarks/fast_stages.py /tmp/cifar/test [--runs 3]

Each run is ``tasks.duplicates.find_folder_duplicates`` in this process, into a fresh folder,
with the stages it calls wrapped by timers: the catalog, the thumbnails (in processes), the
FAISS searches for candidates, the pair scores, the keypoint checks, the groups and the table.
Imports are timed once, before the first run.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import tempfile
import time

STAGES = (("catalog", "tasks", "scan_folder"), ("thumbnails", "duplicates", "image_thumbnails"),
          ("FAISS searches", "duplicates", "thumbnail_pairs"), ("pair scores", "duplicates", "pair_scores"),
          ("keypoint checks", "duplicates", "keypoint_pairs"), ("groups", "duplicates", "duplicate_groups"),
          ("table", "duplicates", "duplicates_frame"))


def timed(module, name: str, label: str, seconds: dict) -> None:
    """Wrap ``module.name`` so that each call adds its seconds to ``seconds[label]``."""
    function = getattr(module, name)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    import imgorg.duplicates as duplicates
    from imgorg.tasks import duplicates as tasks

    print(f"imports {time.perf_counter() - start:.2f} s")
    seconds: dict[str, float] = {}
    for label, where, name in STAGES:
        timed(tasks if where == "tasks" else duplicates, name, label, seconds)
    for run in range(args.runs):
        seconds.clear()
        out = tempfile.mkdtemp(prefix="imgorg-fast-stages-")
        start = time.perf_counter()
        tasks.find_folder_duplicates(args.folder, out)
        total = time.perf_counter() - start
        shutil.rmtree(out, ignore_errors=True)
        print(f"run {run + 1}: {total:.2f} s; " + ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items()))


if __name__ == "__main__":
    main()
