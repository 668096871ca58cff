"""How long the catalog pass takes: walk, read, hash, and (since it reads metadata) header + EXIF.

    python benchmarks/catalog_pass.py --images /tmp/cifar/test --repeats 5
    PYTHONPATH=/tmp/imgorg-before/src python benchmarks/catalog_pass.py --images /tmp/cifar/test  # another tree

Prints the median seconds and files per second of ``scan_source`` (``scan_folder`` on a tree
without it) over --repeats runs after one warm-up run (the page cache then holds the files,
as on a second run over a collection), with the imgorg it imported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import imgorg.sources as sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    scan = getattr(sources, "scan_source", None) or sources.scan_folder
    scan(args.images, workers=args.workers)  # warm-up: page cache, imports
    seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = scan(args.images, workers=args.workers)
        seconds.append(time.perf_counter() - start)
    catalog = getattr(result, "catalog", result)
    median = statistics.median(seconds)
    print(json.dumps({"imgorg": sources.__file__, "files": len(catalog), "columns": len(catalog.columns),
                      "median_s": round(median, 3), "files_per_s": round(len(catalog) / median),
                      "runs_s": [round(s, 3) for s in seconds]}))


if __name__ == "__main__":
    main()
