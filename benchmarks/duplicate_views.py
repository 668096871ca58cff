"""Which crops of each image `imgorg duplicates` compares copies with: view sets side by side.

    python benchmarks/near_duplicates.py --cifar /tmp/cifar/train --per-class 1000 --transforms cropped  # builds
    python benchmarks/duplicate_views.py /tmp/imgorg-neardup-train-1000-cropped --variants corners80,sides80

Takes a corpus folder that ``near_duplicates.py`` built (its images and workspace), reads
the thumbnails once per view set, and prints precision / recall of the full method
(threshold 0.82) and of ``--fast`` (0.88), overall and per transform (recall of the
pairs that hold a copy made by it), and the thumbnails' bytes per image. A view set
replaces ``imgorg.duplicates.VIEWS`` (and the views ``--fast`` queries with) for its run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import imgorg.duplicates as dup
from imgorg import load_workspace
from imgorg.index import build_index

from near_duplicates import pairs_of, true_pairs  # benchmarks/ is on the path when run as a script

# The whole image, 90% and 80% at the centre and at each corner (8afe12c to the one-side views)
CORNERS80 = ((1.0, 1.0, 0.5, 0.5), (0.9, 0.9, 0.5, 0.5), (0.8, 0.8, 0.5, 0.5),
             (0.9, 0.9, 0, 0), (0.9, 0.9, 1, 0), (0.9, 0.9, 0, 1), (0.9, 0.9, 1, 1),
             (0.8, 0.8, 0, 0), (0.8, 0.8, 1, 0), (0.8, 0.8, 0, 1), (0.8, 0.8, 1, 1))
# Strips: 80% of one side, the other side whole, at both ends and the centre
STRIPS80 = ((0.8, 1.0, 0, 0.5), (0.8, 1.0, 0.5, 0.5), (0.8, 1.0, 1, 0.5),
            (1.0, 0.8, 0.5, 0), (1.0, 0.8, 0.5, 0.5), (1.0, 0.8, 0.5, 1))
VARIANTS = {  # name: (views, whether --fast also queries with the strips)
    "current": (dup.VIEWS, False),
    "corners80": (CORNERS80, False),
    "sides80": (CORNERS80 + tuple(v for v in STRIPS80 if (v[2], v[3]) != (0.5, 0.5)), False),
    "strips80": (CORNERS80 + STRIPS80, False),
    "strips80-query": (CORNERS80 + STRIPS80, True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--backbone", default="efficientnet-lite0")
    args = parser.parse_args()
    ws = load_workspace(args.corpus / f"ws-{args.backbone}")
    paths = ws.images["path"].tolist()
    truth, label = true_pairs(paths)
    transform = [p.rsplit("/", 1)[1].split(".")[0].partition("_")[2] for p in paths]
    sha, n, E = ws.images["sha256"].to_numpy(), len(paths), ws.embeddings
    by_embedding = dup.candidate_pairs(E, 0.6, build_index(E))
    print(f"{args.corpus.name}: {n:,} images, {len(truth):,} true pairs")
    for name in args.variants.split(","):
        views, query_strips = VARIANTS[name]
        dup.VIEWS = views
        dup.CORNER_VIEWS = tuple(i for i, (w, h, x, y) in enumerate(views)
                                 if (w == h == 0.8 and (x, y) != (0.5, 0.5)) or (query_strips and w != h))
        start = time.perf_counter()
        thumbnails = dup.image_thumbnails(ws.manifest["source"]["root"], paths)
        both = np.unique(np.concatenate([by_embedding, dup.thumbnail_pairs(thumbnails)]), axis=0)
        full = dup.pair_scores(both, E, thumbnails)
        fast_pairs = dup.thumbnail_pairs(thumbnails, mirrored=True, cropped=True)
        fast = dup.pair_scores(fast_pairs, None, thumbnails)
        seconds = time.perf_counter() - start
        for mode, pairs, scores, threshold in (("full", both, full, 0.82), ("--fast", fast_pairs, fast, 0.88)):
            found = pairs_of(dup.duplicate_groups(n, sha, pairs[scores >= threshold]))
            hits = found & truth
            cross = sum(label[i] != label[j] for i, j in found)
            per = {t: _recall(hits, truth, transform, t) for t in sorted(set(transform) - {""})}
            print(f"{name:<15} {mode:<7} precision {len(hits) / max(len(found), 1):.3f} "
                  f"(cross-class {1 - cross / max(len(found), 1):.3f}) recall {len(hits) / len(truth):.3f}  "
                  + " ".join(f"{t} {r:.2f}" for t, r in per.items()), flush=True)
        print(f"{name:<15} {len(views)} views, {thumbnails.views[0].nbytes + thumbnails.search[0].nbytes:,} bytes "
              f"per image, {seconds:.1f} s (thumbnails, candidates, scores)", flush=True)


def _recall(hits: set, truth: set, transform: list[str], name: str) -> float:
    """Recall of the true pairs that hold a copy made by transform ``name``."""
    wanted = {(i, j) for i, j in truth if name in (transform[i], transform[j])}
    return len(hits & wanted) / max(len(wanted), 1)


if __name__ == "__main__":
    main()
