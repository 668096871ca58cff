"""A video's poster frame against a 12-MP JPEG: what one catalogue item costs to decode for the model.

    python benchmarks/video_poster.py --dir /tmp/video-poster --rounds 15

Makes (once; kept in --dir) 1080p, 10 s, 30 fps H.264 MP4s with PyAV (a photograph panned
across the frame): one with a key frame every second (as phones write), one with x264's
default key-frame interval (250 frames: the poster is then the first frame), and one
whose first 1.5 s are black (the poster search decodes past them). The JPEG is a 12-MP
photo from /tmp/big12mp/jpeg when there is one, else written from scikit-image's
"coffee" at 4000x3000 q90 (tests/photo_corpus.py). Each round decodes every file once,
in alternating order, with ``imgorg.images.decode_image`` as embedding does
(draft_size=224, reduce_gap=3) and at full size; prints the median milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.companion_corpus import make_video  # noqa: E402
from tests.photo_corpus import encode, source_photo, upscale_12mp  # noqa: E402

from imgorg.images import decode_image  # noqa: E402

VIDEOS = {"mp4-gop30": dict(gop=30), "mp4-gop250": dict(gop=250), "mp4-black-start": dict(gop=30, black_start_s=1.5)}


def build(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, options in VIDEOS.items():
        path = folder / f"{name}.mp4"
        if not path.exists():
            path.write_bytes(make_video(".mp4", size=(1920, 1080), seconds=10, fps=30, **options))
        files[name] = path
    found = sorted(Path("/tmp/big12mp/jpeg").glob("*.jpg"))[:1]
    jpeg = found[0] if found else folder / "12mp.jpg"
    if not jpeg.exists():
        jpeg.write_bytes(encode(upscale_12mp(source_photo("coffee")), "JPEG", quality=90))
    files["jpeg-12mp"] = jpeg
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/video-poster"))
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    files = build(args.dir)
    data = {name: path.read_bytes() for name, path in files.items()}
    modes = {"model input (draft 224)": dict(draft_size=224, reduce_gap=3), "full size": {}}
    runs = [(mode, name) for mode in modes for name in data]
    times = {run: [] for run in runs}
    for r in range(args.rounds + 1):  # round 0 warms up (first calls load codecs) and is not counted
        for run in (runs if r % 2 == 0 else runs[::-1]):  # alternate the order: no file always goes first
            start = time.perf_counter()
            decode_image(data[run[1]], **modes[run[0]])
            if r:
                times[run].append(time.perf_counter() - start)
    for mode in modes:
        print(f"{mode}, median of {args.rounds} rounds:")
        for name in data:
            print(f"  {name:18s} {len(data[name]) / 1e6:6.2f} MB  {1000 * statistics.median(times[(mode, name)]):7.1f} ms")

if __name__ == "__main__":
    main()
