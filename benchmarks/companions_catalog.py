"""What sidecars, pairs, Live Photos and videos add to cataloguing a phone's folder, against the catalog before them.

    git archive <base commit> src | tar -x -C /tmp/imgorg-base      # the catalog without companions
    python benchmarks/companions_catalog.py --base /tmp/imgorg-base/src --rounds 5

Builds (once, in --dir) a phone-like folder from the 12-MP JPEGs in /tmp/big12mp/jpeg (or
--photos): each photo with an XMP sidecar, a Google Takeout JSON and an AAE edit file;
every fourth one a Live Photo with a 2 s 1080p MOV; one in eight a RAW+JPEG pair (a small
DNG); plus four 10 s 1080p MP4 videos. Then catalogues it with ``scan_source`` of this
checkout and of --base, in alternating order (page cache warm for both), --workers
threads, and prints the median seconds and MB/s of each; also the time ``group_files``
takes for 100,000 names (the grouping alone).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.companion_corpus import make_video, takeout_json, xmp_sidecar  # noqa: E402
from tests.dng import write_dng  # noqa: E402
from tests.photo_corpus import source_photo  # noqa: E402

SCAN = """
import sys, time
sys.path.insert(0, {src!r})
from imgorg.sources import scan_source
start = time.perf_counter()
scan = scan_source({folder!r}, workers={workers})
print(time.perf_counter() - start, len(scan.catalog), len(scan.skipped))
"""


def build(folder: Path, photos: list[Path]) -> None:
    if folder.exists():
        return
    folder.mkdir(parents=True)
    live = make_video(".mov", size=(1920, 1080), seconds=2, fps=30)
    dng = write_dng(source_photo("chelsea"), taken="2023:08:01 09:15:00")
    for i, photo in enumerate(photos):
        name = f"IMG_{1000 + i}.JPG"
        shutil.copy(photo, folder / name)
        (folder / f"IMG_{1000 + i}.xmp").write_bytes(xmp_sidecar(rating=i % 6, keywords=["trip", f"day {i % 3}"]))
        (folder / f"{name}.json").write_bytes(takeout_json(name, timestamp=1_700_000_000 + i, lat=48.8, lon=2.3))
        (folder / f"IMG_{1000 + i}.AAE").write_bytes(b"<?xml version='1.0'?><plist version='1.0'><dict/></plist>")
        if i % 4 == 0:
            (folder / f"IMG_{1000 + i}.MOV").write_bytes(live)
        elif i % 8 == 1:
            (folder / f"IMG_{1000 + i}.DNG").write_bytes(dng)
    for i in range(4):
        (folder / f"VID_{i}.mp4").write_bytes(make_video(".mp4", size=(1920, 1080), seconds=10, fps=30, gop=30))


def scan(src: Path, folder: Path, workers: int) -> tuple[float, int, int]:
    out = subprocess.run([sys.executable, "-c", SCAN.format(src=str(src), folder=str(folder), workers=workers)],
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="src/ of the checkout to compare with")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/companions-catalog"))
    parser.add_argument("--photos", type=Path, default=Path("/tmp/big12mp/jpeg"))
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    build(args.dir, sorted(args.photos.glob("*.jpg"))[: args.count])
    size = sum(p.stat().st_size for p in args.dir.iterdir())
    files = sum(1 for _ in args.dir.iterdir())
    runs = {"this checkout": REPO / "src", "base": args.base}
    times: dict[str, list[float]] = {k: [] for k in runs}
    shapes = {}
    for r in range(args.rounds + 1):  # round 0 warms the page cache and is not counted
        for name in (list(runs) if r % 2 == 0 else list(runs)[::-1]):
            seconds, rows, skipped = scan(runs[name], args.dir, args.workers)
            shapes[name] = (rows, skipped)
            if r:
                times[name].append(seconds)
    print(f"{files} files, {size / 1e6:.0f} MB, {args.workers} threads, median of {args.rounds}:")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:14s} {median:6.2f} s  {size / 1e6 / median:6.0f} MB/s  "
              f"catalog rows {shapes[name][0]}, skipped {shapes[name][1]}")
    sys.path.insert(0, str(REPO / "src"))
    from imgorg.companions import group_files

    names = [f"{d:03d}/IMG_{i:05d}.{ext}" for d in range(40) for i in range(625) for ext in ("JPG", "xmp", "MOV", "AAE")]
    start = time.perf_counter()
    grouping = group_files(sorted(names))
    print(f"group_files on {len(names):,} names: {time.perf_counter() - start:.2f} s ({len(grouping.shots):,} shots)")


if __name__ == "__main__":
    main()
