"""What the crop check's matching of two images' ORB descriptors costs: ``keypoints._ratio_matches``
(both directions' two nearest from one Hamming distance matrix, then the ratio test and the pairs)
against the two 2-nearest FAISS searches it replaced (the searches alone), side by side in one
process, on each photo of a folder against itself cropped (a match) and against the next photo
(mostly not), at the crop check's settings (1,000 keypoints at 640 px).

    python benchmarks/crop_matching.py /tmp/imgorg-review-cost/many-1200 --photos 20 --calls 30
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path


def _median_ms(function, calls: int) -> float:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    import faiss
    from PIL import Image

    from imgorg.duplicates import keypoints as kp

    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)  # as in the crop check's workers
    files = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))[:args.photos + 1]
    found = []
    for path in files:
        with Image.open(path) as image:
            image = image.convert("L")
            width, height = image.size
            crop = image.crop((width // 6, height // 8, width * 5 // 6, height * 7 // 8))
            found.append((kp.image_keypoints(image), kp.image_keypoints(crop)))
    matrix, searches = [], []
    for (whole, crop), (other, _) in zip(found, found[1:]):
        for a, b in ((whole, crop), (whole, other)):
            matrix.append(_median_ms(lambda: kp._ratio_matches(a, b), args.calls))
            searches.append(_median_ms(lambda: (faiss.knn_hamming(a.descriptors, b.descriptors, 2),
                                                faiss.knn_hamming(b.descriptors, a.descriptors, 2)), args.calls))
    print(f"{len(matrix)} pairs of about {len(found[0][0].descriptors):,} descriptors: one distance matrix "
          f"{statistics.median(matrix):.2f} ms a pair, the two 2-nearest searches alone "
          f"{statistics.median(searches):.2f} ms (medians)")


if __name__ == "__main__":
    main()
