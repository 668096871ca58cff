"""imgorg's best clustering method: SCAN-style heads on frozen embeddings.

Following SCAN (Van Gansbeke et al., 2020), each image and one of its nearest
neighbours should get the same cluster (consistency), while the clusters stay
balanced (entropy of the mean assignment). Several linear heads train at once
from different random starts; the head with the lowest loss wins. The choice
uses the loss only, never labels.

Thirty heads rather than ten: the lowest loss among more random starts is
less often a poor one (CIFAR-10, efficientnet-lite0: worst of 5 seeds 0.514 ->
0.573 ACC on the test images, 0.539 -> 0.566 on held-out train images; one seed
on all 60,000: 0.582 -> 0.694), for about 1.4-2x the clustering time.

``spare_clusters=1`` trains the heads with k + 1 clusters and, once the loss has chosen a
head, dissolves the cluster whose images least often share it with their nearest
neighbours into the others. With exactly k clusters the balance term often gathers the
images that fit no class into a cluster of their own, and two real classes then share one;
the loss does not tell that partition from a good one. The spare cluster mends it on some
collections and costs on others, so it is not the default (docs/benchmarks.md).

No single learning rate suits every collection: on CIFAR-10's 10,000 test
images 1e-2 reaches the lower loss, on all 60,000 images 1e-3 does. So half
the heads train at each rate and the loss decides among all of them
(docs/benchmarks.md).
"""

from __future__ import annotations

import logging

import numpy as np
import torch  # imgorg.clustering.estimators imports this module only when scan is asked for
from sklearn.base import BaseEstimator, ClusterMixin

from ..errors import ConfigError

log = logging.getLogger(__name__)

# Small collections train more epochs than 40, up to this many steps. 800 (what 40 epochs over
# 10,000 images take) cost 9 s on 300 images for no better clusters than 100 (1.2 s) on 300-3,000
# CIFAR-10 images (docs/benchmarks.md, clustering).
MIN_STEPS = 100


def nearest_neighbours(X: np.ndarray, k: int, block: int = 2048) -> np.ndarray:
    """Indices of each row's k most cosine-similar other rows (exact, blockwise)."""
    F = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    out = np.empty((len(F), k), dtype=np.int64)
    for start in range(0, len(F), block):
        sims = F[start : start + block] @ F.T
        rows = np.arange(sims.shape[0])
        sims[rows, rows + start] = -np.inf  # not its own neighbour
        out[start : start + block] = np.argpartition(-sims, k, axis=1)[:, :k]
    return out


def scan_loss(p_anchor: torch.Tensor, p_partner: torch.Tensor, entropy_weight: float) -> torch.Tensor:
    """SCAN's loss per head, from (batch, heads, clusters) probabilities of anchors and their
    drawn neighbours: -log of their agreement, less ``entropy_weight`` x the entropy of the
    anchors' mean assignment (so that the clusters stay balanced)."""
    consistency = -torch.log((p_anchor * p_partner).sum(dim=2).clamp_min(1e-7)).mean(dim=0)
    mean = p_anchor.mean(dim=0)
    entropy = -(mean * torch.log(mean.clamp_min(1e-7))).sum(dim=1)
    return consistency - entropy_weight * entropy


def neighbour_agreement(labels: np.ndarray, neighbours: np.ndarray, n_clusters: int) -> np.ndarray:
    """Per cluster, the mean share of its images' neighbours that share their cluster (-1 if empty)."""
    agree = (labels[neighbours] == labels[:, None]).mean(axis=1)
    sizes = np.bincount(labels, minlength=n_clusters)
    return np.where(sizes > 0, np.bincount(labels, weights=agree, minlength=n_clusters) / np.maximum(sizes, 1), -1.0)


def dissolve_spare_clusters(probs: np.ndarray, neighbours: np.ndarray, spare: int) -> np.ndarray:
    """Drop the ``spare`` clusters whose images' neighbours agree least, one at a time; their
    images go to their next most probable cluster (the rest renormalised)."""
    for _ in range(spare):
        worst = int(np.argmin(neighbour_agreement(probs.argmax(axis=1), neighbours, probs.shape[1])))
        probs = np.delete(probs, worst, axis=1)
        probs = probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
    return probs


class _Heads(torch.nn.Module):
    """Linear heads side by side, in groups so that each group has its own learning rate."""

    def __init__(self, parts):
        super().__init__()
        self.parts = torch.nn.ModuleList(parts)

    def forward(self, x):
        return torch.cat([part(x) for part in self.parts], dim=1)


class SCANClusterer(ClusterMixin, BaseEstimator):
    def __init__(self, n_clusters: int = 10, n_neighbors: int = 20, n_heads: int = 30, epochs: int = 40,
                 entropy_weight: float = 5.0, learning_rates: tuple[float, ...] = (1e-3, 1e-2),
                 batch_size: int = 512, spare_clusters: int = 0, min_steps: int = MIN_STEPS, random_state: int = 0,
                 device: str = "cpu"):
        self.n_clusters = n_clusters
        self.device = device
        self.min_steps = min_steps
        self.spare_clusters = spare_clusters
        self.n_neighbors = n_neighbors
        self.n_heads = n_heads
        self.epochs = epochs
        self.entropy_weight = entropy_weight
        self.learning_rates = learning_rates
        self.batch_size = batch_size
        self.random_state = random_state

    def fit(self, X, y=None):
        X = np.ascontiguousarray(X, dtype=np.float32)
        if not 2 <= self.n_clusters <= len(X):
            raise ConfigError(f"n_clusters ({self.n_clusters}) must be between 2 and the number of points ({len(X)})")
        if self.n_heads % len(self.learning_rates):
            raise ConfigError(f"n_heads ({self.n_heads}) must be a multiple of the number of learning rates "
                              f"({len(self.learning_rates)})")
        if self.spare_clusters < 0:
            raise ConfigError(f"spare_clusters ({self.spare_clusters}) must be 0 or more")
        if self.min_steps < 0:
            raise ConfigError(f"min_steps ({self.min_steps}) must be 0 or more")
        k = min(self.n_neighbors, len(X) - 1)
        if self.device == "cpu":
            neighbours = nearest_neighbours(X, k)
        else:  # the same neighbours, found on the GPU
            from ..device import nearest_neighbours as device_neighbours

            neighbours = device_neighbours(X, k, self.device)
        spare = self.spare_clusters if self.n_clusters + self.spare_clusters <= len(X) else 0
        self.n_trained_clusters_ = self.n_clusters + spare
        torch.manual_seed(self.random_state)
        rng = np.random.default_rng(self.random_state)
        features = torch.from_numpy(X).to(self.device)
        per_rate = self.n_heads // len(self.learning_rates)
        parts = [torch.nn.Linear(X.shape[1], self.n_trained_clusters_ * per_rate) for _ in self.learning_rates]
        parts = [part.to(self.device) for part in parts]  # made on the CPU first: the same seeded weights anywhere
        optimizer = torch.optim.Adam([{"params": part.parameters(), "lr": rate}
                                      for part, rate in zip(parts, self.learning_rates)], weight_decay=1e-4)
        head = _Heads(parts)
        # Small collections get more epochs: the heads need a minimum number of steps.
        steps_per_epoch = -(-len(X) // self.batch_size)
        for _ in range(max(self.epochs, -(-self.min_steps // steps_per_epoch))):
            losses = self._epoch(features, neighbours, head, optimizer, rng)
        with torch.no_grad():
            probs = self._probs(head, features).cpu().numpy()
        self.losses_ = losses  # per head, mean over the last epoch
        self.head_ = int(np.argmin(losses))
        self.learning_rate_ = self.learning_rates[self.head_ // per_rate]
        self.probabilities_ = dissolve_spare_clusters(probs[:, self.head_], neighbours, spare)
        self.labels_ = self.probabilities_.argmax(axis=1).astype(np.int64)
        log.info("scan: head %d of %d (learning rate %g) chosen by loss %.4f", self.head_, self.n_heads,
                 self.learning_rate_, losses[self.head_])
        return self

    def _probs(self, head, x):
        return head(x).view(len(x), self.n_heads, self.n_trained_clusters_).softmax(dim=2)

    def _epoch(self, features, neighbours, head, optimizer, rng) -> np.ndarray:
        n = len(features)
        totals = torch.zeros(self.n_heads, device=features.device)
        order = rng.permutation(n)
        for start in range(0, n, self.batch_size):
            anchors = order[start : start + self.batch_size]
            partners = neighbours[anchors, rng.integers(0, neighbours.shape[1], len(anchors))]
            anchors_on, partners_on = (torch.from_numpy(a).to(features.device) for a in (anchors, partners))
            loss = scan_loss(self._probs(head, features[anchors_on]), self._probs(head, features[partners_on]),
                             self.entropy_weight)
            optimizer.zero_grad()
            loss.sum().backward()
            optimizer.step()
            totals += loss.detach() * len(anchors)
        return (totals / n).cpu().numpy()
