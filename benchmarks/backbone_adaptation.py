"""Adapt the top of efficientnet-lite0 to the collection, then cluster with imgorg's default scan.

    python benchmarks/backbone_adaptation.py /tmp/cifar/test --cache /tmp/adapt/cache-test
    python benchmarks/backbone_adaptation.py /tmp/adapt/train10k --cache /tmp/adapt/cache-train10k \
        --variants scan-train --train-seeds 0,1,2,3 --seeds 1
    python benchmarks/backbone_adaptation.py /tmp/adapt/train10k --cache /tmp/adapt/cache-train10k \
        --variants scan-train --heads 50 --train-seeds 3,0,1,2 --seeds 1   # or --variants scan-warm

(/tmp/adapt/train10k: the first 1,000 train images of each class, as symlinks.)

The trunk is split before block ``--split`` (15: the last stage; 11: the last two).
One pass runs the frozen bottom on every image and on its mirror and keeps the
activations at the split (fp16, cached in CACHE), plus the frozen pooled features.
Each variant then trains a copy of the top part (blocks from the split, conv_head,
bn1) on the cached activations (2 epochs, once per ``--train-seeds`` seed), every
step drawing one of the two views of an anchor and one of a neighbour (its 20
nearest by the frozen features, cosine):

- ``scan-eval`` / ``scan-train``: the SCAN loss (consistency of anchor and neighbour
  + entropy, as imgorg.scan) through linear heads on the pooled features, the
  top's BatchNorm layers in eval mode (frozen statistics) or train mode;
  ``--heads`` throwaway heads of 10 clusters, started at random;
- ``scan-warm``: as ``scan-train``, but through one head started from the head that
  imgorg's scan (seeded by the training seed) chose on the frozen features, applied to
  power features of the top's output (centred on the frozen features' mean);
- ``nnclr``: InfoNCE on a projection of the pooled features, the positive being a
  drawn view of a neighbour, the other images of the batch the negatives.

The adapted top re-embeds every image (mean of image and mirror); with ``--ensemble``
the mean of the training seeds' features is scored too. imgorg's default
``SCANClusterer`` runs on ``power_features`` of those features for each
seed. ``frozen`` is the default's features (image only), ``frozen-tta`` the
mean with the mirror. Hyperparameters are fixed (no labels choose them); the
folder names are used only to score (ACC / NMI / ARI, and the label agreement
of each image's 20 nearest neighbours, precision@20).
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

import imgorg  # noqa: F401 - first: sets OMP_WAIT_POLICY=PASSIVE before torch loads OpenMP
import torch
import torch.nn.functional as F
from imgorg.embed.backbones import get_backbone
from imgorg.embed import decode_file
from imgorg.metrics import retrieval_scores
from imgorg.reduce import l2_normalize, power_features
from imgorg.scan import SCANClusterer, nearest_neighbours
from imgorg.scan import scan_loss as imgorg_scan_loss

from _seeds import label_scores, summary  # benchmarks/ is on the path when run as a script

EXTENSIONS = {".jpg", ".jpeg", ".png"}
VARIANTS = ("frozen", "frozen-tta", "scan-eval", "scan-train", "scan-warm", "nnclr")


def list_images(root: Path) -> tuple[list[Path], np.ndarray]:
    """Images of an ImageFolder tree in sorted order, and their folder names (labels)."""
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in EXTENSIONS)
    return paths, np.array([p.parent.name for p in paths])


def build_model():
    """efficientnet-lite0 exactly as imgorg builds it (PooledFeatures: mean/std inside, eval mode)."""
    spec = get_backbone("efficientnet-lite0")
    return spec.build(spec.weights_path(), spec.preprocess.input_size), spec.preprocess


class Top(torch.nn.Module):
    """Blocks from the split, conv_head, bn1, swish, global average pool: the trainable part."""

    def __init__(self, model, split: int):
        super().__init__()
        net = model.trunk.model
        self.blocks = torch.nn.ModuleList(copy.deepcopy(list(net._blocks[split:])))
        self.conv_head, self.bn1 = copy.deepcopy(net._conv_head), copy.deepcopy(net._bn1)
        self.swish = net._swish

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.swish(self.bn1(self.conv_head(x))).mean(dim=(2, 3))


class Bottom(torch.nn.Module):
    """uint8 NHWC -> (activations at the input of block ``split``, frozen pooled features)."""

    def __init__(self, model, split: int):
        super().__init__()
        self.model, self.split, self.top = model, split, Top(model, split)

    def forward(self, images: torch.Tensor):
        net = self.model.trunk.model
        x = (images.permute(0, 3, 1, 2).float() - self.model.mean) / self.model.std
        x = net._swish(net._bn0(net._conv_stem(x)))
        for block in net._blocks[: self.split]:
            x = block(x)
        return x, self.top(x)


def bottom_session(model, split: int, path: Path):
    """ONNX Runtime session of ``Bottom`` (eager torch is several times slower on this CPU)."""
    import onnxruntime as ort

    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(Bottom(model, split).eval(), (torch.zeros((2, 224, 224, 3), dtype=torch.uint8),),
                              str(path), input_names=["images"], output_names=["acts", "pooled"],
                              dynamic_axes={"images": {0: "n"}, "acts": {0: "n"}, "pooled": {0: "n"}},
                              opset_version=17, dynamo=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def cache_views(model, pre, paths: list[Path], split: int, cache: Path, batch: int = 100):
    """(2, n, C, H, W) fp16 activations at the split and (2, n, 1280) frozen pooled features,
    view 0 the image, view 1 its mirror; read from ``cache`` when there."""
    files = cache / f"acts-{split}.npy", cache / f"frozen-{split}.npy"
    if all(f.is_file() for f in files):
        return np.load(files[0]), np.load(files[1])
    session = bottom_session(model, split, cache / f"bottom-{split}.onnx")
    acts, pooled = None, np.empty((2, len(paths), 1280), np.float32)
    with ThreadPoolExecutor(2) as pool:
        batches = (paths[start : start + batch] for start in range(0, len(paths), batch))
        decoded = pool.map(lambda chunk: np.stack([decode_file(p, pre)[0] for p in chunk]), batches)
        for start, pixels in zip(range(0, len(paths), batch), decoded):
            for view, px in enumerate((pixels, pixels[:, :, ::-1])):
                a, f = session.run(None, {"images": np.ascontiguousarray(px)})
                if acts is None:
                    acts = np.empty((2, len(paths), *a.shape[1:]), np.float16)
                acts[view, start : start + len(a)], pooled[view, start : start + len(a)] = a, f
    np.save(files[0], acts)
    np.save(files[1], pooled)
    return acts, pooled


def draw(acts, rows: np.ndarray, rng) -> torch.Tensor:
    """One randomly drawn view of each row, as float32."""
    views = rng.integers(0, acts.shape[0], len(rows))
    return channels_last(torch.from_numpy(np.asarray(acts[views, rows], dtype=np.float32)))


def channels_last(x: torch.Tensor) -> torch.Tensor:
    """NHWC memory: convolutions and their gradients run about 2x faster on this CPU."""
    return x.contiguous(memory_format=torch.channels_last)


def set_bn(top: torch.nn.Module, train: bool) -> None:
    top.train()
    if not train:
        for m in top.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()


def train_top(top: Top, acts, neighbours: np.ndarray, loss_name: str, bn_train: bool, epochs: int,
              lr: float, batch: int, seed: int = 0, log=print, warm: "WarmHead | None" = None,
              heads: int = 10) -> Top:
    """Train ``top`` (learning rate ``lr``) with a head (10x ``lr``) on the cached views: a fresh
    one, or ``warm`` (scan's chosen head on the frozen features, on their power features)."""
    torch.manual_seed(seed)
    top = top.to(memory_format=torch.channels_last)
    rng = np.random.default_rng(seed)
    n = acts.shape[1]
    if warm is not None:
        head = warm
    elif loss_name == "scan":
        head = torch.nn.Linear(1280, heads * 10)  # heads of 10 clusters, losses summed
    else:
        head = torch.nn.Sequential(torch.nn.Linear(1280, 512), torch.nn.ReLU(), torch.nn.Linear(512, 128))
    optimizer = torch.optim.Adam([{"params": top.parameters(), "lr": lr},
                                  {"params": head.parameters(), "lr": 10 * lr}], weight_decay=1e-4)
    for epoch in range(epochs):
        set_bn(top, bn_train)
        order, total, start_t = rng.permutation(n), 0.0, time.perf_counter()
        for start in range(0, n - batch + 1, batch):
            anchors = np.sort(order[start : start + batch])
            partners = neighbours[anchors, rng.integers(0, neighbours.shape[1], len(anchors))]
            z = head(top(torch.cat([draw(acts, anchors, rng), draw(acts, partners, rng)])))
            loss = scan_loss(z, len(anchors)) if loss_name == "scan" else nce_loss(z, len(anchors))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        log(f"  epoch {epoch}: loss {total / (n // batch):.4f} ({time.perf_counter() - start_t:.0f} s)")
    return top.eval()


class WarmHead(torch.nn.Module):
    """scan's chosen head on the frozen features, applied to power_features of the top's output
    (square root, unit length, less the frozen features' mean, unit length)."""

    def __init__(self, frozen: np.ndarray, seed: int, log=print):
        super().__init__()
        root = l2_normalize(np.sqrt(np.maximum(frozen, 0)))
        self.register_buffer("centre", torch.from_numpy(root.mean(axis=0)))
        scan = SCANClusterer(random_state=seed).fit(power_features(frozen))
        per_rate = scan.n_heads // len(scan.learning_rates)
        part, j = scan.heads_.parts[scan.head_ // per_rate], scan.head_ % per_rate
        self.linear = torch.nn.Linear(frozen.shape[1], 10)
        with torch.no_grad():
            self.linear.weight.copy_(part.weight[10 * j : 10 * j + 10])
            self.linear.bias.copy_(part.bias[10 * j : 10 * j + 10])
        self.frozen_labels = scan.labels_
        log(f"  warm head: scan seed {seed}, head {scan.head_} (loss {scan.losses_[scan.head_]:.4f})")

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        x = F.normalize(F.normalize(pooled.clamp_min(0).sqrt(), dim=1) - self.centre, dim=1)
        return self.linear(x)


def scan_loss(z: torch.Tensor, b: int, entropy_weight: float = 5.0) -> torch.Tensor:
    """imgorg.scan's loss through heads of 10 clusters, summed: anchors are the first ``b`` rows."""
    p = z.view(len(z), -1, 10).softmax(dim=2)
    return imgorg_scan_loss(p[:b], p[b:], entropy_weight).sum()


def nce_loss(z: torch.Tensor, b: int, temperature: float = 0.1) -> torch.Tensor:
    """Symmetric InfoNCE: anchor i's positive is its neighbour (row b + i)."""
    z = F.normalize(z, dim=1)
    logits = z[:b] @ z[b:].T / temperature
    target = torch.arange(b)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


@torch.inference_mode()
def embed(top: Top, acts, batch: int = 500) -> np.ndarray:
    """(n, 1280): mean over the cached views of the top's pooled features."""
    out = np.zeros((acts.shape[1], 1280), np.float32)
    for view in range(acts.shape[0]):
        for start in range(0, acts.shape[1], batch):
            x = channels_last(torch.from_numpy(np.asarray(acts[view, start : start + batch], dtype=np.float32)))
            out[start : start + batch] += top(x).numpy() / acts.shape[0]
    return out


def precision_at(X: np.ndarray, truth: np.ndarray, k: int = 20) -> float:
    """Share of each image's k nearest neighbours (cosine) that carry its label."""
    return retrieval_scores(nearest_neighbours(X, k), truth)["precision_at_k"]


def scan_seeds(X: np.ndarray, truth: np.ndarray, seeds: int, log=print) -> tuple[list, float]:
    """(ACC, NMI, ARI) of the default scan for seeds 0..seeds-1, and the median seconds of a fit."""
    scores, times = [], []
    for seed in range(seeds):
        start = time.perf_counter()
        labels = SCANClusterer(random_state=seed).fit(X).labels_
        scores.append(label_scores(truth, labels))
        times.append(time.perf_counter() - start)
        log(f"  seed {seed}: ACC {scores[-1][0]:.3f} NMI {scores[-1][1]:.3f} ARI {scores[-1][2]:.3f} "
            f"({times[-1]:.1f} s)")
    return scores, float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", type=Path, help="ImageFolder tree (<class>/<image>); labels only score")
    parser.add_argument("--cache", type=Path, required=True, help="folder for the cached activations")
    parser.add_argument("--split", type=int, default=15, help="first trained block (15: last stage)")
    parser.add_argument("--variants", default="frozen,frozen-tta,scan-eval,scan-train,nnclr")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-4, help="the top part's learning rate (heads: 10x)")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--heads", type=int, default=10, help="throwaway heads of 10 clusters while training")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--train-seeds", default="0", help="comma-separated: one adaptation per seed")
    parser.add_argument("--ensemble", action="store_true", help="also score the mean of the seeds' adapted features")
    args = parser.parse_args()
    torch.set_num_threads(2)

    def log(line: str) -> None:
        print(line, flush=True)

    seconds: dict[str, float] = {}
    t = time.perf_counter()
    paths, truth = list_images(args.images)
    model, pre = build_model()
    acts, frozen = cache_views(model, pre, paths, args.split, args.cache)
    seconds["cache"] = time.perf_counter() - t
    print(f"{len(paths):,} images, activations {acts.shape[2:]} at block {args.split}: {seconds['cache']:.0f} s",
          flush=True)
    t = time.perf_counter()
    neighbours = nearest_neighbours(power_features(frozen.mean(axis=0)), 20)
    seconds["neighbours"] = time.perf_counter() - t
    rows = []
    for variant in args.variants.split(","):
        print(variant, flush=True)
        X = frozen[0] if variant == "frozen" else frozen.mean(axis=0)
        seeds = [int(x) for x in args.train_seeds.split(",")] if variant not in ("frozen", "frozen-tta") else [None]
        adapted = []
        for train_seed in seeds + (["ensemble"] if args.ensemble and len(seeds) > 1 else []):
            name = variant if train_seed is None else f"{variant} (training seed {train_seed})"
            if train_seed == "ensemble":
                X = np.mean(adapted, axis=0)  # the mean of the seeds' features (image and mirror each)
            elif train_seed is not None:
                t = time.perf_counter()
                loss_name, _, bn = variant.partition("-")
                warm = WarmHead(frozen.mean(axis=0), train_seed, log) if bn == "warm" else None
                top = train_top(Top(model, args.split), acts, neighbours, loss_name, bn in ("train", "warm"),
                                args.epochs, args.lr, args.batch, seed=train_seed, log=log, warm=warm,
                                heads=args.heads)
                seconds[f"{name} train"] = time.perf_counter() - t
                X = embed(top, acts)
                adapted.append(X)
                if warm is not None:
                    with torch.no_grad():
                        own = warm(torch.from_numpy(X)).argmax(dim=1).numpy()
                    print(f"  warm head before: {label_scores(truth, warm.frozen_labels)}, "
                          f"after, on the adapted features: {label_scores(truth, own)}", flush=True)
            P = power_features(X)
            p20 = precision_at(P, truth)
            print(f"{name}: precision@20 {p20:.3f}", flush=True)
            scores, seconds[f"{name} scan/seed (median)"] = scan_seeds(P, truth, args.seeds, log=log)
            rows.append((name, p20, summary(scores, sep=" | ", names=False)))
    print(f"\n{args.images} ({len(paths):,} images), split at block {args.split}, {args.epochs} epochs, "
          f"lr {args.lr:g}, {args.seeds} seeds: mean [min, max]")
    print("| variant | precision@20 | ACC | NMI | ARI |\n|---|---:|---|---|---|")
    for variant, p20, text in rows:
        print(f"| {variant} | {p20:.3f} | {text} |")
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))


if __name__ == "__main__":
    main()
