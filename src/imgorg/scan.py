"""imgorg's best clustering method: SCAN-style heads on frozen embeddings.

Following SCAN (Van Gansbeke et al., 2020), each image and one of its nearest
neighbours should get the same cluster (consistency), while the clusters stay
balanced (entropy of the mean assignment). Several linear heads train at once
from different random starts; the head with the lowest loss wins. The choice
uses the loss only, never labels.

The learning rate (1e-2) was chosen by the loss the heads reach, not by
accuracy: on CIFAR-10 test features it reached a lower loss than 1e-3 or 3e-3
in the same 40 epochs, with less spread between seeds (docs/benchmarks.md).
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from .errors import ConfigError

log = logging.getLogger(__name__)

MIN_STEPS = 800  # about what 40 epochs over 10,000 images take


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


class SCANClusterer(ClusterMixin, BaseEstimator):
    def __init__(self, n_clusters: int = 10, n_neighbors: int = 20, n_heads: int = 10, epochs: int = 40,
                 entropy_weight: float = 5.0, learning_rate: float = 1e-2, batch_size: int = 512,
                 random_state: int = 0):
        self.n_clusters = n_clusters
        self.n_neighbors = n_neighbors
        self.n_heads = n_heads
        self.epochs = epochs
        self.entropy_weight = entropy_weight
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.random_state = random_state

    def fit(self, X, y=None):
        import torch

        X = np.ascontiguousarray(X, dtype=np.float32)
        if not 2 <= self.n_clusters <= len(X):
            raise ConfigError(f"n_clusters ({self.n_clusters}) must be between 2 and the number of points ({len(X)})")
        k = min(self.n_neighbors, len(X) - 1)
        neighbours = nearest_neighbours(X, k)
        torch.manual_seed(self.random_state)
        rng = np.random.default_rng(self.random_state)
        features = torch.from_numpy(X)
        head = torch.nn.Linear(X.shape[1], self.n_clusters * self.n_heads)
        optimizer = torch.optim.Adam(head.parameters(), lr=self.learning_rate, weight_decay=1e-4)
        # Small collections get more epochs: the heads need a minimum number of steps.
        steps_per_epoch = -(-len(X) // self.batch_size)
        for _ in range(max(self.epochs, -(-MIN_STEPS // steps_per_epoch))):
            losses = self._epoch(features, neighbours, head, optimizer, rng)
        with torch.no_grad():
            probs = self._probs(head, features).numpy()
        self.losses_ = losses  # per head, mean over the last epoch
        self.head_ = int(np.argmin(losses))
        self.probabilities_ = probs[:, self.head_]
        self.labels_ = self.probabilities_.argmax(axis=1).astype(np.int64)
        log.info("scan: head %d of %d chosen by loss %.4f", self.head_, self.n_heads, losses[self.head_])
        return self

    def _probs(self, head, x):
        return head(x).view(len(x), self.n_heads, self.n_clusters).softmax(dim=2)

    def _epoch(self, features, neighbours, head, optimizer, rng) -> np.ndarray:
        import torch

        n = len(features)
        totals = torch.zeros(self.n_heads)
        order = torch.from_numpy(rng.permutation(n))
        for start in range(0, n, self.batch_size):
            anchors = order[start : start + self.batch_size]
            picks = rng.integers(0, neighbours.shape[1], len(anchors))
            partners = torch.from_numpy(neighbours[anchors.numpy(), picks])
            p_anchor = self._probs(head, features[anchors])
            p_partner = self._probs(head, features[partners])
            consistency = -torch.log((p_anchor * p_partner).sum(dim=2).clamp_min(1e-7)).mean(dim=0)
            mean = p_anchor.mean(dim=0)
            entropy = -(mean * torch.log(mean.clamp_min(1e-7))).sum(dim=1)
            loss = consistency - self.entropy_weight * entropy  # one value per head
            optimizer.zero_grad()
            loss.sum().backward()
            optimizer.step()
            totals += loss.detach() * len(anchors)
        return (totals / n).numpy()
