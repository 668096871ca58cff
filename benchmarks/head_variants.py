"""Alternatives to imgorg's `scan` on a workspace's embeddings, side by side (labels only score).

    python benchmarks/head_variants.py /tmp/ws-t-new --variants scan,scan-dba,temi --seeds 5
    python benchmarks/head_variants.py /tmp/ws-combo --variants scan,scan-dba,temi,temi-30 --seeds 5

- scan: imgorg's default (`SCANClusterer`, 30 heads, the loss picks one).
- scan-dba: the same, but neighbours mined after database-side augmentation (each
  feature plus its 10 nearest, weighted by similarity), a label-free re-ranking that
  raises neighbour precision.
- temi: TEMI (Adaloglou et al., BMVC 2023): an EMA teacher, the beta-PMI loss on
  nearest-neighbour pairs weighted by the teacher's agreement, cosine heads
  (L2-normalised features against unit prototypes), student/teacher temperatures
  0.1/0.04, beta 0.6, 10 heads, 100 epochs; the lowest-loss head wins, as in scan.
- temi-30: TEMI with 30 heads and teacher temperature 0.1.

Prints, per variant, the precision@20 of the neighbours it trains on and ACC / NMI /
ARI over the seeds (mean [min, max]).
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import numpy as np
import torch

import imgorg.scan as scan_module
from imgorg import load_workspace
from imgorg.reduce import l2_normalize, power_features

from _seeds import label_scores, summary  # benchmarks/ is on the path when run as a script

NEIGHBOURS = 20


def dba_neighbours(X: np.ndarray, k: int, expansion: int = 10) -> np.ndarray:
    """Neighbours of features averaged with their `expansion` nearest (similarity-weighted)."""
    Z = l2_normalize(X)
    near = scan_module.nearest_neighbours(Z, expansion)
    weights = np.maximum(np.einsum("nd,nmd->nm", Z, Z[near]), 0)
    return scan_module.nearest_neighbours(l2_normalize(Z + (weights[:, :, None] * Z[near]).sum(1)), k)


class _CosineHeads(torch.nn.Module):
    """Logits = cosine between the feature and each head's unit prototypes, in [-1, 1]."""

    def __init__(self, dim: int, heads: int, clusters: int):
        super().__init__()
        self.prototypes = torch.nn.Parameter(torch.randn(heads * clusters, dim) * 0.01)
        self.shape = (heads, clusters)

    def forward(self, x):
        cos = torch.nn.functional.normalize(x, dim=-1) @ torch.nn.functional.normalize(self.prototypes, dim=-1).T
        return cos.view(len(x), *self.shape)


def temi_labels(X: np.ndarray, neighbours: np.ndarray, k: int, seed: int, heads: int = 10, epochs: int = 100,
                teacher_temp: float = 0.04, student_temp: float = 0.1, beta: float = 0.6, batch: int = 256,
                lr: float = 1e-3, ema: float = 0.99) -> np.ndarray:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    student = _CosineHeads(X.shape[1], heads, k)
    teacher = copy.deepcopy(student).requires_grad_(False)
    optimizer = torch.optim.AdamW(student.parameters(), lr=lr, weight_decay=1e-4)
    marginal = torch.full((heads, k), 1.0 / k)  # EMA of the teacher's cluster probabilities
    features, n = torch.from_numpy(X), len(X)

    def neg_pmi(p_student, p_teacher):
        return -torch.log(((p_student * p_teacher) ** beta / marginal).sum(-1).clamp_min(1e-12))

    for _ in range(epochs):
        order, totals = rng.permutation(n), torch.zeros(heads)
        for start in range(0, n, batch):
            anchors = order[start : start + batch]
            partners = neighbours[anchors, rng.integers(0, neighbours.shape[1], len(anchors))]
            x1, x2 = features[anchors], features[partners]
            s1, s2 = (student(x1) / student_temp).softmax(-1), (student(x2) / student_temp).softmax(-1)
            with torch.no_grad():
                t1, t2 = (teacher(x1) / teacher_temp).softmax(-1), (teacher(x2) / teacher_temp).softmax(-1)
                weight = (t1 * t2).sum(-1).mean(1, keepdim=True)  # the teacher's agreement on the pair
            loss = (weight * (neg_pmi(s1, t2) + neg_pmi(s2, t1)) / 2).mean(0)  # one value per head
            optimizer.zero_grad()
            loss.sum().backward()
            optimizer.step()
            with torch.no_grad():
                for t_param, s_param in zip(teacher.parameters(), student.parameters()):
                    t_param.mul_(ema).add_(s_param, alpha=1 - ema)
                marginal.mul_(0.9).add_(torch.cat([t1, t2]).mean(0), alpha=0.1)
            totals += loss.detach() * len(anchors)
    with torch.no_grad():
        return teacher(features)[:, int(torch.argmin(totals))].argmax(-1).numpy()


class _GivenNeighbours(scan_module.SCANClusterer):
    """imgorg's scan, trained on neighbours mined elsewhere."""

    def __init__(self, neighbours: np.ndarray | None = None, n_clusters: int = 10, random_state: int = 0):
        super().__init__(n_clusters=n_clusters, n_neighbors=NEIGHBOURS, random_state=random_state)
        self.neighbours = neighbours

    def _neighbours(self, X, k):
        return self.neighbours


def run_variant(variant: str, X: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(labels, the neighbours it trained on)."""
    mine = dba_neighbours if variant == "scan-dba" else scan_module.nearest_neighbours
    neighbours = mine(X, NEIGHBOURS)
    if variant.startswith("temi"):
        options = {"heads": 30, "teacher_temp": 0.1} if variant == "temi-30" else {}
        return temi_labels(X, neighbours, k, seed, **options), neighbours
    return _GivenNeighbours(neighbours, n_clusters=k, random_state=seed).fit(X).labels_, neighbours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--variants", default="scan,scan-dba,temi")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    ws = load_workspace(args.workspace)
    X, truth = power_features(np.asarray(ws.embeddings)).astype(np.float32), ws.images["label"].to_numpy()
    for variant in args.variants.split(","):
        scores, start = [], time.perf_counter()
        for seed in range(args.seeds):
            labels, neighbours = run_variant(variant, X, args.k, seed)
            scores.append(label_scores(truth, labels))
        precision = (truth[neighbours] == truth[:, None]).mean()
        print(f"{variant:9s} neighbour precision@{NEIGHBOURS} {precision:.3f}  {summary(scores)}  "
              f"({(time.perf_counter() - start) / args.seeds:.0f} s/seed)", flush=True)


if __name__ == "__main__":
    main()
