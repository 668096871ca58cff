"""The threshold that tells an enlargement from a larger original (``review.copies.ENLARGED``): for
enlargements (small images made 2x and 3x larger, bicubic, saved as PNG and as JPEG q90) and for real
larger photos (each against its half, as PNG and JPEG q90), the larger copy's detail beyond the smaller
one's size over the smaller one's own detail; percentiles of each.

    python benchmarks/enlargement_threshold.py --small 'data/cifar10/test/*/*.jpg' --photos '/tmp/lfw/strangers/*/*.jpg'
    python benchmarks/enlargement_threshold.py --small '/tmp/cifar/train/*/*.jpg' --photos '/tmp/lfw/people/*/*.jpg'  # held out

The first line is the development data of the threshold; the second, other images of both kinds.
"""

from __future__ import annotations

import argparse
import glob
import io

import numpy as np
from PIL import Image


def ratio(large: Image.Image, small: Image.Image) -> float:
    """As the review measures it (``review.copies.ENLARGED``), on decoded images."""
    from imgorg.review.copies import detail_beyond

    w, h = small.size
    large = large.convert("L").resize((2 * w, 2 * h), Image.BOX if large.width > 2 * w else Image.BICUBIC)
    small = small.convert("L")
    return detail_beyond(large, (w, h)) / max(detail_beyond(small, (w // 2, h // 2)), 0.5)


def jpeg(image: Image.Image, quality: int = 90) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", required=True, help="glob of small images (CIFAR-10's 32 px)")
    parser.add_argument("--photos", required=True, help="glob of real photos (LFW's 150 px)")
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    from imgorg.review.copies import ENLARGED

    enlarged, real = [], []
    for path in sorted(glob.glob(args.small))[::50][:args.count]:
        small = Image.open(path).convert("RGB")
        for scale in (2, 3):
            large = small.resize((small.width * scale, small.height * scale), Image.BICUBIC)
            enlarged += [ratio(large, small), ratio(jpeg(large), small)]
    for path in sorted(glob.glob(args.photos))[:args.count]:
        photo = Image.open(path).convert("RGB")
        for side in (64, 96, photo.width):
            large = photo.resize((side, side), Image.BOX) if side < photo.width else photo
            small = large.resize((side // 2, side // 2), Image.BOX)
            real += [ratio(large, small), ratio(jpeg(large), small)]
    print(f"enlargements ({len(enlarged)}): 50/90/99th percentile "
          f"{np.percentile(enlarged, [50, 90, 99]).round(3).tolist()}, max {max(enlarged):.3f}")
    print(f"real photos ({len(real)}): 1st/10th/50th percentile {np.percentile(real, [1, 10, 50]).round(3).tolist()}, "
          f"min {min(real):.3f}")
    print(f"at ENLARGED = {ENLARGED}: enlargements found {np.mean(np.array(enlarged) < ENLARGED):.3f}, "
          f"real photos taken for enlargements {np.mean(np.array(real) < ENLARGED):.3f}")


if __name__ == "__main__":
    main()
