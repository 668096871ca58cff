"""What the crop check's detail agreement says of true crops and of two pictures that fit.

    python benchmarks/heavy_crops.py --seed 0          # and --seed 1, --seed 2, --seed 0 --big, --crowded
    python benchmarks/review_cost.py --lfw /tmp/lfw --many 1200 --rounds 1
    python benchmarks/crop_detail.py --crops /tmp/imgorg-heavy-crops-{0,1,2,0-big,0-crowded} \\
        --portraits /tmp/imgorg-review-cost/12mp-1200-1

Every pair that passes the check's geometry (``keypoints.crop_match`` without its last step: 12
agreeing matches, quarter turns, a scale within 6x, one image inside the other) gets two
correlations over the part one image covers of the other: of the plain grey thumbnails, and of
their detail (what ``keypoints.pixel_agreement`` compares). Pairs: each crop of the crop corpora
with its photo (``truth.json``), and each of the portraits with its 6 nearest neighbours by
embedding cosine (at least 0.3, the check's own candidates), which are two pictures but for the
duplicates LFW holds (the same news photo cut twice: listed with ``--copies``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from imgorg.duplicates import keypoints as kp
from imgorg.views import open_workspace


def keypoints_of(ws, rows) -> dict:
    drafts, native = kp._decode_plans(ws.images)
    paths = ws.images["path"].astype(str).to_numpy()
    jobs = [(paths[r], int(drafts[r]), bool(native[r]), None) for r in rows]
    return dict(zip(rows, kp._keypoints_chunk(ws.root, jobs)))


def fitted(a, b) -> tuple[float, float] | None:
    """(plain, detail) correlation of a pair the geometry accepts, else None."""
    import cv2

    if a is None or b is None or len(a.descriptors) < 2 or len(b.descriptors) < 2:
        return None
    source, target = kp._ratio_matches(a, b)
    if len(source) < kp.MIN_INLIERS:
        return None
    cv2.setRNGSeed(0)
    transform, inliers = cv2.estimateAffinePartial2D(source, target, method=cv2.RANSAC,
                                                     ransacReprojThreshold=kp.REPROJECTION, maxIters=2000)
    if transform is None or int(inliers.sum()) < max(kp.MIN_INLIERS, kp.MIN_INLIER_SHARE * len(source)):
        return None
    scale = float(np.sqrt(abs(np.linalg.det(transform[:, :2]))))
    rotation = float(np.degrees(np.arctan2(transform[1, 0], transform[0, 0])))
    if abs(rotation - 90 * round(rotation / 90)) > kp.MAX_ROTATION or not 1 / kp.MAX_SCALE <= scale <= kp.MAX_SCALE:
        return None
    for inner, outer, mapping in ((a, b, transform), (b, a, cv2.invertAffineTransform(transform))):
        if kp._inside(inner.size, outer.size, mapping):
            return kp.pixel_agreement(inner, outer, mapping, detail=False), kp.pixel_agreement(inner, outer, mapping)
    return None


def measured(ws_path: Path, pairs: list[tuple[int, int]]) -> list[tuple[int, int, float, float]]:
    ws = open_workspace(ws_path)
    found = keypoints_of(ws, sorted({r for pair in pairs for r in pair}))
    out = []
    for a, b in pairs:
        values = fitted(found[a], found[b])
        if values is not None:
            out.append((a, b, *values))
    return out


def crop_pairs(corpus: Path) -> list[tuple[int, int]]:
    truth = json.loads((corpus / "truth.json").read_text())
    row = {p: i for i, p in enumerate(open_workspace(corpus / "ws").images["path"].astype(str))}
    return [(row[c], row[v["of"]]) for c, v in truth["copies"].items() if c in row and v["of"] in row]


def neighbour_pairs(ws_path: Path, k: int = 6) -> list[tuple[int, int]]:
    embeddings = open_workspace(ws_path).embeddings
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    cosine = unit @ unit.T
    np.fill_diagonal(cosine, -1)
    nearest = np.argsort(-cosine, axis=1)[:, :k]
    return sorted({tuple(sorted((i, int(j)))) for i in range(len(unit)) for j in nearest[i]
                   if cosine[i, j] >= kp.VERIFY_COSINE})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--crops", type=Path, nargs="+", required=True, help="heavy_crops.py work folders")
    parser.add_argument("--portraits", type=Path, required=True, help="a workspace of photos with no crops")
    parser.add_argument("--copies", default="1061-1075,361-373", help="rows of the portraits that are copies")
    args = parser.parse_args()
    crops = [v for corpus in args.crops for v in measured(corpus / "ws", crop_pairs(corpus))]
    copies = {tuple(sorted(map(int, pair.split("-")))) for pair in args.copies.split(",") if pair}
    portraits = measured(args.portraits, neighbour_pairs(args.portraits))
    others = [v for v in portraits if (v[0], v[1]) not in copies]
    for name, rows in (("crops with their photo", crops), ("two pictures", others),
                       ("portrait copies", [v for v in portraits if (v[0], v[1]) in copies])):
        plain, detail = np.array([v[2] for v in rows]), np.array([v[3] for v in rows])
        if len(rows):
            print(f"{name:24s} {len(rows):4d} fits: plain {plain.min():.2f}-{plain.max():.2f} "
                  f"(>= 0.5: {(plain >= 0.5).sum()}), detail {detail.min():.2f}-{detail.max():.2f} "
                  f"(>= {kp.MIN_CORRELATION}: {(detail >= kp.MIN_CORRELATION).sum()})")


if __name__ == "__main__":
    main()
