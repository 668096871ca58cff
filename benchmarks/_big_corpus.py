"""N distinct 12-MP photos per format for benchmarks/big_images.py, written once and kept.

Each file is one of five real photographs (scikit-image's samples: astronaut, coffee,
chelsea, rocket, hubble) upscaled to 4000x3000 with its own sensor noise (seed = file
number, as tests/photo_corpus.py makes them), so every file has its own content hash and
the engine embeds each one. Encoders: JPEG q90 (about 2.6 MB), HEIC q80 with a 320-px
thumbnail as phones write it (``heic``) or without one (``heic-nothumb``), AVIF q70,
WebP q85, PNG (level 6), all with a camera's EXIF.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.photo_corpus import encode, make_exif, source_photo, upscale_12mp  # noqa: E402

PICTURES = ("astronaut", "coffee", "chelsea", "rocket", "hubble")
FORMATS = {  # name: (extension, writer)
    "jpeg": (".jpg", lambda im, exif: encode(im, "JPEG", exif, quality=90)),
    "heic": (".heic", lambda im, exif: encode(im, "HEIF", exif, quality=80, thumbnails=[320])),
    "heic-nothumb": (".heic", lambda im, exif: encode(im, "HEIF", exif, quality=80, thumbnails=[])),
    "avif": (".avif", lambda im, exif: encode(im, "AVIF", exif, quality=70, speed=8)),
    "webp": (".webp", lambda im, exif: encode(im, "WEBP", exif, quality=85)),
    "png": (".png", lambda im, exif: encode(im, "PNG", exif, compress_level=6)),
}


def build_big_corpus(folder: Path, fmt: str, n: int) -> Path:
    """``folder/fmt`` holding at least ``n`` files IMG_0000.ext ...; returns ``folder/fmt``."""
    ext, write = FORMATS[fmt]
    dest = Path(folder) / fmt
    dest.mkdir(parents=True, exist_ok=True)
    exif = make_exif(make="Canon", model="Canon EOS 80D", taken="2024:05:17 14:03:22", offset="+02:00")
    sources = {}
    for i in range(n):
        path = dest / f"IMG_{i:04d}{ext}"
        if path.exists():
            continue
        name = PICTURES[i % len(PICTURES)]
        if name not in sources:
            sources[name] = source_photo(name)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(write(upscale_12mp(sources[name], seed=i), exif))
        tmp.rename(path)
    return dest


def corpus_files(dest: Path, n: int) -> list[Path]:
    """The first ``n`` files of a corpus folder, in name order."""
    return sorted(p for p in dest.iterdir() if p.name.startswith("IMG_") and p.suffix != ".tmp")[:n]
