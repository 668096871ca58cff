"""Face crops for the People tab and the report: seconds per crop from a 12-MP JPEG, decoded at the
smallest JPEG scale that still gives the crop its size (``imgorg.face_crops.crop_face``) against a whole
decode then a crop. Photo: scikit-image's "astronaut" scaled to 4000x3000 with sensor noise (the
corpus of tests/photo_corpus.py), quality 90; boxes of 80, 200 and 600 px. Medians of 7 runs, alternated.

    PYTHONPATH=src:. python benchmarks/face_crop.py
"""

from __future__ import annotations

import io
import statistics
import time

from imgorg.face_crops import CROP_SIZE, crop_box, crop_face
from imgorg.images import decode_image
from tests.photo_corpus import source_photo

RUNS = 7


def whole_then_crop(data: bytes, box) -> None:
    image = decode_image(data)
    crop = image.crop(crop_box(box, *image.size))
    crop.thumbnail((CROP_SIZE, CROP_SIZE))


def main() -> None:
    buffer = io.BytesIO()
    source_photo("astronaut", big=True).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    print(f"photo: 4000x3000 JPEG, {len(data) / 1e6:.1f} MB; crop side {CROP_SIZE} px")
    for side in (80, 200, 600):
        box = (1800, 1200, side, side)
        times = {"crop_face": [], "whole decode": []}
        for _ in range(RUNS):
            for name, fn in (("crop_face", crop_face), ("whole decode", whole_then_crop)):
                start = time.perf_counter()
                fn(data, box)
                times[name].append(time.perf_counter() - start)
        shown = ", ".join(f"{name} {statistics.median(t) * 1000:.0f} ms" for name, t in times.items())
        print(f"face box {side} px: {shown}")


if __name__ == "__main__":
    main()
