"""Heavy crops of real photos found by `imgorg duplicates`, before and with the keypoint checks.

    python benchmarks/heavy_crops.py                      # 17 photos at 1920x1080, 68 crops, 24 look-alikes
    python benchmarks/heavy_crops.py --seed 1             # the same photos, other crops (also --seed 2)
    python benchmarks/heavy_crops.py --crowded --checks 0,4,8   # 8 crops of each photo: 136 crops
    python benchmarks/heavy_crops.py --big                # originals at 4000x2250 (9 MP)
    python benchmarks/heavy_crops.py --crowded --all-pairs      # also the check alone on every pair

Corpus (``tests/crop_corpus.py``): 17 openly licensed photographs that scikit-image,
scikit-learn and matplotlib ship, each as a 16:9 original with four copies: a
phone-format 9:16 crop of its full height (32% of the width) and crops of 25%, 40% and
60% of the area, each resized and saved again as a JPEG of quality 70-90 (``--crowded``:
two of each, more copies of one photo than the checks per image); plus,
for 12 of them, two non-overlapping crops of the part of the source below the picture
(a scene and another part of it: look-alikes that are no copies). True pairs: every pair
within an original and its copies. A found pair: two images in one group. "copy recall"
counts the copies grouped with their original, per kind of copy.

Rows: the method without keypoint checks (``keypoint_checks=0``, what `imgorg duplicates`
did before them) and with them, with an embedding (efficientnet-lite0) and without
(``--fast``), each timed (``duplicate_table`` alone, the workspace already embedded).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.crop_corpus import CROWDED_COPIES, build_crop_corpus  # noqa: E402

from imgorg import ClusterConfig, RunConfig, run  # noqa: E402
from imgorg.duplicates import PER_IMAGE, duplicate_table  # noqa: E402
from imgorg.duplicates.keypoints import verify_pairs  # noqa: E402


def families(truth: dict, paths: list[str]) -> np.ndarray:
    """Each row's picture: its original's path, or its own for a look-alike."""
    of = {p: c["of"] for p, c in truth["copies"].items()}
    return np.array([of.get(p, p) for p in paths])


def groups_of(frame, ids: np.ndarray) -> np.ndarray:
    groups = np.full(len(ids), -1, np.int64)
    row = {int(i): r for r, i in enumerate(ids)}
    for image_id, group in zip(frame["id"], frame["group"]):
        groups[row[int(image_id)]] = group
    return groups


def found_pairs(groups: np.ndarray) -> set[tuple[int, int]]:
    out = set()
    for g in np.unique(groups[groups >= 0]):
        out.update(itertools.combinations(np.flatnonzero(groups == g).tolist(), 2))
    return out


def evaluate(name: str, groups: np.ndarray, family: np.ndarray, truth: dict, paths: list[str], seconds: float,
             kinds=None) -> None:
    true = {(i, j) for i, j in itertools.combinations(range(len(paths)), 2) if family[i] == family[j]}
    found = found_pairs(groups)
    hits = len(found & true)
    row = {p: r for r, p in enumerate(paths)}
    by_kind = {}
    for path, copy in truth["copies"].items():
        kind = copy["how"].rstrip("b")
        a, b = row[path], row[copy["of"]]
        by_kind.setdefault(kind, []).append(groups[a] >= 0 and groups[a] == groups[b])
    recall = " ".join(f"{k} {np.mean(v):.2f}" for k, v in sorted(by_kind.items()))
    copies = np.mean([x for v in by_kind.values() for x in v])
    print(f"{name:<34} {len(found):6d} {hits / max(len(found), 1):9.3f} {hits / len(true):6.3f} {copies:11.3f}"
          f" {seconds:7.1f}   {recall}", flush=True)
    if kinds is not None:
        print(f"{'':34} kinds: {kinds}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--big", action="store_true", help="originals at 4000x2250 instead of 1920x1080")
    parser.add_argument("--crowded", action="store_true", help="eight copies of each photo instead of four")
    parser.add_argument("--work", type=Path, help="default: /tmp/imgorg-heavy-crops-<seed>[-crowded][-big]")
    parser.add_argument("--checks", default=f"0,{PER_IMAGE}", help="keypoint checks per image to compare")
    parser.add_argument("--all-pairs", action="store_true", help="also the keypoint check of every pair")
    args = parser.parse_args()
    work = args.work or Path(f"/tmp/imgorg-heavy-crops-{args.seed}{'-crowded' if args.crowded else ''}"
                             f"{'-big' if args.big else ''}")
    if not (work / "truth.json").exists():
        truth = build_crop_corpus(work / "images", seed=args.seed, big=args.big,
                                  copies=CROWDED_COPIES if args.crowded else None)
        (work / "truth.json").write_text(json.dumps(truth))
    truth = json.loads((work / "truth.json").read_text())
    ws = run(work / "images", work / "ws", RunConfig(cluster=ClusterConfig(method="kmeans", k=10))).workspace
    images, paths = ws.images, ws.images["path"].tolist()
    family = families(truth, paths)
    n_true = sum(np.sum(family == f) * (np.sum(family == f) - 1) // 2 for f in np.unique(family))
    print(f"{len(paths)} images, {len(truth['copies'])} crops of {len(truth['families'])} photos, "
          f"{len(truth['look_alikes'])} look-alikes, {n_true} true pairs")
    print(f"{'method':<34} {'found':>6} {'precision':>9} {'recall':>6} {'copy recall':>11} {'seconds':>7}   per kind")
    for embeddings, label in ((ws.embeddings, "embedding"), (None, "--fast")):
        for checks in (int(c) for c in args.checks.split(",")):
            start = time.perf_counter()
            frame = duplicate_table(images, embeddings, ws.root, index=ws.search_index() if embeddings is not None
                                    else None, keypoint_checks=checks)
            seconds = time.perf_counter() - start
            name = f"{label}, {checks} checks per image"
            evaluate(name, groups_of(frame, images["id"].to_numpy()), family, truth, paths, seconds,
                     frame["kind"].value_counts().to_dict())
    if args.all_pairs:
        all_pairs(ws.root, paths, family, truth)


def all_pairs(root, paths: list[str], family: np.ndarray, truth: dict) -> None:
    """The keypoint check alone on every pair: how many pairs of two pictures pass it."""
    pairs = np.array(list(itertools.combinations(range(len(paths)), 2)))
    start = time.perf_counter()
    matches = verify_pairs(root, np.array(paths), pairs)
    seconds = time.perf_counter() - start
    same = family[pairs[:, 0]] == family[pairs[:, 1]]
    passed = np.array([m is not None for m in matches])
    row = {p: r for r, p in enumerate(paths)}
    copied = {tuple(sorted((row[p], row[c["of"]]))) for p, c in truth["copies"].items()}
    is_copy = np.array([tuple(pair) in copied for pair in pairs.tolist()])
    print(f"keypoint check alone on all {len(pairs):,} pairs ({seconds:.0f} s): {passed[is_copy].sum()} of "
          f"{is_copy.sum()} crops and their photo pass, {passed[same & ~is_copy].sum()} of {(same & ~is_copy).sum()} "
          f"pairs of two crops of one photo (those that hold one another), {passed[~same].sum()} of "
          f"{(~same).sum():,} pairs of two pictures")
    for i in np.flatnonzero(passed & ~same)[:20]:
        print(f"  passed, not copies: {paths[pairs[i, 0]]} {paths[pairs[i, 1]]} inliers {matches[i].inliers}")


if __name__ == "__main__":
    main()
