"""Issue 6: precision and recall of near-duplicate pairs on a planted corpus.

    python benchmarks/near_duplicates.py --cifar /tmp/cifar/test [--work /tmp/imgorg-neardup]

Corpus: the first 100 CIFAR-10 test images of each class (1,000), plus for 20 of each
class (200) four copies (2x resize, JPEG quality 30, 10% crop, brightness x1.3): 1,800
images, 2,000 true pairs (every pair within an original and its copies). A found pair
is any two images in one group. Prints precision/recall per threshold. The default
threshold was chosen on the test split; --cifar /tmp/cifar/train checks it on other images.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.corpus import write_copies  # noqa: E402

from imgorg import ClusterConfig, RunConfig, run  # noqa: E402
from imgorg.duplicates import candidate_pairs, duplicate_groups, pair_scores, pixel_signatures  # noqa: E402
from imgorg.index import build_index  # noqa: E402


def build_corpus(cifar: Path, dest: Path, per_class=100, copied=20) -> None:
    if dest.exists():
        return
    for folder in sorted(p for p in cifar.iterdir() if p.is_dir()):
        for i, path in enumerate(sorted(folder.iterdir())[:per_class]):
            (dest / folder.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, dest / folder.name / path.name)
            if i < copied:
                write_copies(path, dest / folder.name)


def pairs_of(groups: np.ndarray) -> set[tuple[int, int]]:
    out = set()
    for g in np.unique(groups[groups >= 0]):
        out.update(itertools.combinations(np.flatnonzero(groups == g).tolist(), 2))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cifar", type=Path, default=Path("/tmp/cifar/test"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/imgorg-neardup"))
    parser.add_argument("--backbone", default="efficientnet-lite0")
    args = parser.parse_args()
    build_corpus(args.cifar, args.work / "images")
    config = RunConfig(cluster=ClusterConfig(method="kmeans"))
    config = RunConfig(embed=config.embed.__class__(backbone=args.backbone), cluster=config.cluster)
    ws = run(args.work / "images", args.work / f"ws-{args.backbone}", config).workspace
    paths = ws.images["path"].tolist()
    origin = [p.rsplit("/", 1)[0] + "/" + p.rsplit("/", 1)[1].split("_")[0].split(".")[0] for p in paths]
    truth = {(i, j) for i, j in itertools.combinations(range(len(paths)), 2) if origin[i] == origin[j]}
    index = build_index(ws.embeddings)
    sha = ws.images["sha256"].to_numpy()
    n = len(paths)
    print(f"{n:,} images, {len(truth):,} true pairs, backbone {args.backbone}")
    signatures = pixel_signatures(ws.manifest["source"]["root"], paths, np.arange(n), n)
    pairs = candidate_pairs(ws.embeddings, 0.6, index)
    cosine = np.einsum("ij,ij->i", ws.embeddings[pairs[:, 0]], ws.embeddings[pairs[:, 1]])
    both = pair_scores(pairs, ws.embeddings, signatures)
    print(f"{'score':<26} {'threshold':>9} {'found':>6} {'precision':>9} {'recall':>7}")
    for name, score, thresholds in (("embedding cosine alone", cosine, (0.75, 0.8, 0.82, 0.85)),
                                    ("mean(cosine, thumbnails)", both, (0.8, 0.825, 0.85))):
        for threshold in thresholds:
            found = pairs_of(duplicate_groups(n, sha, pairs[score >= threshold]))
            hits = len(found & truth)
            print(f"{name:<26} {threshold:9.3f} {len(found):6d} {hits / max(len(found), 1):9.3f} "
                  f"{hits / len(truth):7.3f}", flush=True)

if __name__ == "__main__":
    main()
