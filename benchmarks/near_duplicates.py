"""Near-duplicate pairs found by `imgorg duplicates`, against planted copies (precision, recall).

    python benchmarks/near_duplicates.py --cifar /tmp/cifar/test                      # 1,800 images
    python benchmarks/near_duplicates.py --cifar /tmp/cifar/test --per-class 1000     # 10,800: dense
    python benchmarks/near_duplicates.py --cifar /tmp/cifar/train --per-class 1000 --transforms heldout
    python benchmarks/near_duplicates.py --cifar /tmp/cifar/test --per-class 1000 --transforms mirrored
    python benchmarks/near_duplicates.py --cifar /tmp/cifar/test --per-class 1000 --transforms framed
    python benchmarks/near_duplicates.py --cifar /tmp/cifar/train --per-class 1000 --transforms cropped
    python benchmarks/near_duplicates.py --cifar /tmp/cifar/test --per-class 1000 --transforms aspect
    python benchmarks/near_duplicates.py --cifar /tmp/cifar/train --per-class 1000 --transforms reshaped
    python benchmarks/near_duplicates.py --cifar /tmp/cifar/test --per-class 1000 --transforms heavycrop

Corpus: the first ``--per-class`` CIFAR-10 images of each class plus, for 20 of each
class (200), transformed copies: by default four (2x resize, JPEG quality 30, 10%
crop, brightness x1.3; the transforms the signals and the threshold were chosen
on), or with ``--transforms heldout`` eight others (corner crop, 20% crop, border,
contrast, blur, JPEG 20, half size, stretched; ``tests/corpus.py``), or with
``--transforms mirrored`` four mirrored ones, or with ``--transforms framed`` three frames
(white 2 px, grey 5 px, letterbox bars) and two off-centre crops, or with ``--transforms
cropped`` five crops of other sizes and sides (6-22%, one side only, one re-encoded), or with
``--transforms aspect`` five crops that change the shape (to a square, to a banner, one edge), or with
``--transforms reshaped`` five others (centred and off-centre, 66-91% of one side), or with
``--transforms heavycrop`` four heavy crops (25-60% of the area, a 9:16 strip), enlarged 2x and
recompressed (too small for the keypoint checks: benchmarks/heavy_crops.py has real photos). True pairs:
every pair within an original and its copies. A found pair: two images in one group.

CIFAR-10 has near-duplicates of its own (the same photo of a white car, a dog, a
plane, a few times over), which count as false here: "precision" is a lower bound.
"cross-class precision" counts only pairs of two different classes as false, an
upper bound. The last rows run ``duplicate_table`` itself, with and without its keypoint
checks of unsure pairs (``keypoint_checks``), and say how long each took.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.corpus import (  # noqa: E402
    ASPECT_TRANSFORMS, CROPPED_TRANSFORMS, FRAMED_TRANSFORMS, HEAVYCROP_TRANSFORMS, HELDOUT_TRANSFORMS,
    MIRRORED_TRANSFORMS, RESHAPED_TRANSFORMS, TRANSFORMS, write_copies,
)

from imgorg import ClusterConfig, RunConfig, run  # noqa: E402

TRANSFORM_SETS = {"planted": TRANSFORMS, "heldout": HELDOUT_TRANSFORMS, "mirrored": MIRRORED_TRANSFORMS,
                  "framed": FRAMED_TRANSFORMS, "cropped": CROPPED_TRANSFORMS, "aspect": ASPECT_TRANSFORMS,
                  "reshaped": RESHAPED_TRANSFORMS, "heavycrop": HEAVYCROP_TRANSFORMS}
from imgorg.duplicates import (  # noqa: E402
    PER_IMAGE, candidate_pairs, duplicate_groups, duplicate_table, image_thumbnails, pair_scores,
    thumbnail_pairs,
)
from imgorg.index import build_index  # noqa: E402


def build_corpus(cifar: Path, dest: Path, per_class=100, copied=20, transforms=None) -> None:
    if dest.exists():
        return
    for folder in sorted(p for p in cifar.iterdir() if p.is_dir()):
        for i, path in enumerate(sorted(folder.iterdir())[:per_class]):
            (dest / folder.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, dest / folder.name / path.name)
            if i < copied:
                write_copies(path, dest / folder.name, transforms)


def true_pairs(paths: list[str]) -> tuple[set[tuple[int, int]], np.ndarray]:
    """Every pair of rows within an original (``<class>/<name>.<ext>``) and its copies
    (``<class>/<name>_<transform>.<ext>``), and each row's class."""
    origin = [p.rsplit("/", 1)[0] + "/" + p.rsplit("/", 1)[1].split("_")[0].split(".")[0] for p in paths]
    truth = {(i, j) for members in _by(origin).values() for i, j in itertools.combinations(members, 2)}
    return truth, np.array([p.split("/")[0] for p in paths])


def pairs_of(groups: np.ndarray) -> set[tuple[int, int]]:
    out = set()
    for g in np.unique(groups[groups >= 0]):
        out.update(itertools.combinations(np.flatnonzero(groups == g).tolist(), 2))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cifar", type=Path, default=Path("/tmp/cifar/test"))
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--transforms", choices=tuple(TRANSFORM_SETS), default="planted")
    parser.add_argument("--work", type=Path, help="default: /tmp/imgorg-neardup-<split>-<per-class>-<transforms>")
    parser.add_argument("--backbone", default="efficientnet-lite0")
    parser.add_argument("--thresholds", default="0.80,0.82,0.84")
    args = parser.parse_args()
    work = args.work or Path(f"/tmp/imgorg-neardup-{args.cifar.name}-{args.per_class}-{args.transforms}")
    build_corpus(args.cifar, work / "images", args.per_class, transforms=TRANSFORM_SETS[args.transforms])
    config = RunConfig(cluster=ClusterConfig(method="kmeans"))
    config = RunConfig(embed=config.embed.__class__(backbone=args.backbone), cluster=config.cluster)
    ws = run(work / "images", work / f"ws-{args.backbone}", config).workspace
    paths = ws.images["path"].tolist()
    truth, label = true_pairs(paths)
    sha, n, E = ws.images["sha256"].to_numpy(), len(paths), ws.embeddings
    print(f"{n:,} images, {len(truth):,} true pairs, backbone {args.backbone}, {args.transforms} transforms")
    thumbnails = image_thumbnails(ws.manifest["source"]["root"], paths)
    by_embedding = candidate_pairs(E, 0.6, build_index(E))
    both = np.unique(np.concatenate([by_embedding, thumbnail_pairs(thumbnails)]), axis=0)
    now = pair_scores(both, E, thumbnails)
    now_unmirrored = pair_scores(both, E, thumbnails, mirrored=False)
    by_thumbnail = thumbnail_pairs(thumbnails, mirrored=True, cropped=True)
    fast = pair_scores(by_thumbnail, None, thumbnails)
    print(f"{'method':<44} {'threshold':>9} {'found':>6} {'precision':>9} {'cross-class':>11} {'recall':>6} {'largest':>7}")
    rows = [("without mirrored alignments", both, now_unmirrored, duplicate_groups, (0.82,)),
            ("imgorg duplicates: embedding + thumbnail pairs, stars", both, now, duplicate_groups,
             tuple(float(t) for t in args.thresholds.split(","))),
            ("--fast: thumbnail pairs alone, stars", by_thumbnail, fast, duplicate_groups, (0.86, 0.88, 0.90))]
    for name, pairs, score, grouping, thresholds in rows:
        for threshold in thresholds:
            _report(name, threshold, grouping(n, sha, pairs[score >= threshold]), truth, label)
    for embeddings, threshold, method in ((E, 0.82, "duplicate_table"), (None, 0.88, "duplicate_table --fast")):
        for checks in (0, PER_IMAGE):
            start = time.perf_counter()
            frame = duplicate_table(ws.images, embeddings, ws.root, threshold,
                                    index=ws.search_index() if embeddings is not None else None, keypoint_checks=checks)
            seconds = time.perf_counter() - start
            groups = np.full(n, -1, np.int64)
            groups[frame["id"].map({int(i): r for r, i in enumerate(ws.images["id"])}).to_numpy()] = frame["group"]
            _report(f"{method}, {checks} keypoint checks ({seconds:.0f} s)", threshold, groups, truth, label)


def _report(name: str, threshold: float, groups: np.ndarray, truth: set, label: np.ndarray) -> None:
    found = pairs_of(groups)
    hits = len(found & truth)
    cross = sum(label[i] != label[j] for i, j in found)
    largest = np.bincount(groups[groups >= 0]).max() if (groups >= 0).any() else 0
    print(f"{name:<44} {threshold:9.3f} {len(found):6d} {hits / max(len(found), 1):9.3f} "
          f"{1 - cross / max(len(found), 1):11.3f} {hits / len(truth):6.3f} {largest:7d}", flush=True)


def _by(keys: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        out.setdefault(key, []).append(i)
    return out


if __name__ == "__main__":
    main()
