"""Decode-only throughput of 12-MP photos per format, full size and reduced (draft) for a 224-px model.

    python benchmarks/photo_decode.py --dir /tmp/photo-decode --processes 2

Writes (once; kept in --dir) four real photographs (scikit-image's samples, upscaled to
4000x3000 with sensor noise, as tests/photo_corpus.py does) as JPEG q90, HEIC q80 with a
320-px thumbnail as phones write it, AVIF q70, WebP q85, PNG, DNG with a full-size JPEG
preview, and DNG without preview (which LibRaw must develop). Then decodes each set
--passes times with ``imgorg.images.decode_image`` in a pool of --processes, reading
bytes from the page cache, and prints images per second per format and mode.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.dng import write_dng  # noqa: E402
from tests.photo_corpus import encode, make_exif, source_photo  # noqa: E402

from imgorg.images import HEIF_SUPPORT, decode_image, raw_support  # noqa: E402

PICTURES = ("coffee", "astronaut", "rocket", "chelsea")
FORMATS = {  # folder: (extension, writer)
    "jpeg": (".jpg", lambda im, exif: encode(im, "JPEG", exif, quality=90)),
    "heic": (".heic", lambda im, exif: encode(im, "HEIF", exif, quality=80, thumbnails=[320])),
    "avif": (".avif", lambda im, exif: encode(im, "AVIF", exif, quality=70, speed=8)),
    "webp": (".webp", lambda im, exif: encode(im, "WEBP", exif, quality=85)),
    "png": (".png", lambda im, exif: encode(im, "PNG", exif, compress_level=6)),
    "dng-preview": (".dng", lambda im, exif: write_dng(im, taken="2024:05:17 14:03:22")),
    "dng-develop": (".dng", lambda im, exif: write_dng(im, taken="2024:05:17 14:03:22", preview=0)),
}


def build(folder: Path) -> dict[str, list[Path]]:
    sets = {}
    exif = make_exif(make="Canon", model="Canon EOS 80D", taken="2024:05:17 14:03:22", offset="+02:00")
    for name, (ext, _) in FORMATS.items():
        if (name == "heic" and not HEIF_SUPPORT) or (name.startswith("dng") and raw_support() is None):
            continue
        sets[name] = [folder / name / f"{picture}{ext}" for picture in PICTURES]
    missing = [p for paths in sets.values() for p in paths if not p.exists()]
    for picture in dict.fromkeys(p.stem for p in missing):
        image = source_photo(picture, big=True)
        for name, paths in sets.items():
            path = folder / name / f"{picture}{FORMATS[name][0]}"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(FORMATS[name][1](image, exif))
    return sets


def _decode(job: tuple[str, int | None]) -> tuple[int, int]:
    path, draft = job
    return decode_image(Path(path).read_bytes(), draft_size=draft).size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/photo-decode"))
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--draft", type=int, default=224)
    args = parser.parse_args()
    sets = build(args.dir)
    with Pool(args.processes) as pool:
        pool.map(_decode, [(str(p), args.draft) for paths in sets.values() for p in paths])  # warm: imports, cache
        for name, paths in sets.items():
            mb = sum(p.stat().st_size for p in paths) / len(paths) / 1e6
            for draft in (None, args.draft):
                jobs = [(str(p), draft) for p in paths] * args.passes
                start = time.perf_counter()
                sizes = pool.map(_decode, jobs, chunksize=1)
                seconds = time.perf_counter() - start
                print(json.dumps({"format": name, "mb_per_file": round(mb, 2), "draft": draft,
                                  "images_per_s": round(len(jobs) / seconds, 2), "decoded_size": list(sizes[0]),
                                  "processes": args.processes}), flush=True)


if __name__ == "__main__":
    main()
