"""Which features and views help `scan`: per-backbone TTA, and mirror views as augmentation.

    python benchmarks/scan_features.py WS --images /tmp/cifar/test --views /tmp/views-test \\
        --features lite0:tta+lite2:tta lite0+lite2:tta lite0:tta+lite2 lite2:tta --augment

Embeds each image of workspace WS once as itself and once mirrored, per backbone
(cached as VIEWS/<backbone>-views.npy), then runs `scan` (5 seeds) on:
- each --features composition: parts joined by "+", ":tta" = mean of both views;
- with --augment, the lite0+lite2 pair where every training step draws one of the
  two views of the anchor and of its neighbour (SCAN's augmentation, on frozen
  features), against the same pair with both views averaged.
Labels (the workspace's folder names) are used only to score.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from imgorg import load_workspace
from imgorg.config import EmbedConfig
from imgorg.embed import decode_file, default_runner, preprocess_for
from imgorg.reduce import l2_normalize, power_features
from imgorg.scan import SCANClusterer
from imgorg.sources import source_path

from _seeds import label_scores, summary  # benchmarks/ is on the path when run as a script

BACKBONES = {"lite0": "efficientnet-lite0", "lite1": "efficientnet-lite1", "lite2": "efficientnet-lite2"}


def views(paths: list[Path], backbone: str, cache: Path) -> np.ndarray:
    """(2, n, dim): L2-normalised features of each image and of its mirror."""
    target = cache / f"{backbone}-views.npy"
    if target.is_file():
        return np.load(target)
    config = EmbedConfig(backbone=backbone)
    pre, run = preprocess_for(config), default_runner(config)
    out: list[list[np.ndarray]] = [[], []]
    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        for i in range(0, len(paths), 64):
            decoded = list(pool.map(lambda p: decode_file(p, pre), paths[i : i + 64]))
            pixels = np.stack([px for px, _ in decoded])
            out[0].append(run(pixels))
            out[1].append(run(np.ascontiguousarray(pixels[:, :, ::-1])))
    cache.mkdir(parents=True, exist_ok=True)
    np.save(target, result := np.stack([l2_normalize(np.concatenate(v)) for v in out]))
    print(f"{backbone}: both views of {len(paths):,} images in {time.perf_counter() - start:.0f} s", flush=True)
    return result


def composition(spec: str, all_views: dict[str, np.ndarray]) -> np.ndarray:
    parts = []
    for part in spec.split("+"):
        name, _, tta = part.partition(":")
        v = all_views[name]
        parts.append(l2_normalize(v[0] + v[1]) if tta == "tta" else v[0])
    return l2_normalize(np.concatenate(parts, axis=1))


class MirrorAugmentedSCAN(SCANClusterer):
    """scan whose anchors and neighbours are drawn as one of their two views at each step.

    Neighbours are mined, and the result read, on the averaged views, as scan does."""

    def __init__(self, views: np.ndarray | None = None, random_state: int = 0):
        super().__init__(random_state=random_state)
        self.views = views  # (2, n, dim), rows as in the features given to fit

    def _inputs(self, features, anchors, partners, rng):
        both = torch.from_numpy(self.views)
        return (both[torch.from_numpy(rng.integers(0, 2, len(anchors))), anchors],
                both[torch.from_numpy(rng.integers(0, 2, len(partners))), partners])


def report(name: str, truth: np.ndarray, fit, seeds: int) -> None:
    scores = [label_scores(truth, fit(seed)) for seed in range(seeds)]
    print(f"{name:28s} " + summary(scores, sep=" | "), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--images", type=Path, required=True, help="the folder the workspace was run on")
    parser.add_argument("--views", type=Path, required=True, help="where the per-view embeddings are cached")
    parser.add_argument("--features", nargs="*", default=[])
    parser.add_argument("--augment", action="store_true")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()

    ws = load_workspace(args.workspace)
    truth = ws.images["label"].to_numpy()
    paths = [source_path(args.images, p) for p in ws.images["path"]]
    needed = {part.partition(":")[0] for spec in args.features for part in spec.split("+")}
    needed |= {"lite0", "lite2"} if args.augment else set()
    all_views = {name: views(paths, BACKBONES[name], args.views) for name in sorted(needed)}
    print(f"{len(truth):,} images, scan, {args.seeds} seeds; mean [min, max]")
    for spec in args.features:
        X = power_features(composition(spec, all_views))
        report(spec, truth, lambda seed: SCANClusterer(random_state=seed).fit(X).labels_, args.seeds)
    if args.augment:
        pair = [l2_normalize(np.concatenate([all_views["lite0"][v], all_views["lite2"][v]], axis=1)) for v in (0, 1)]
        mean = composition("lite0:tta+lite2:tta", all_views)
        # One centring for all three, so that the views and their mean stay comparable.
        stacked = power_features(np.concatenate([mean, *pair]))
        n = len(mean)
        mean_p, views_p = stacked[:n], np.stack([stacked[n : 2 * n], stacked[2 * n :]])
        report("pair, views averaged", truth, lambda seed: SCANClusterer(random_state=seed).fit(mean_p).labels_,
               args.seeds)
        report("pair, mirror augmentation", truth,
               lambda seed: MirrorAugmentedSCAN(views_p, random_state=seed).fit(mean_p).labels_, args.seeds)


if __name__ == "__main__":
    main()
