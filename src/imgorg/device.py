"""The analysis stages in torch, for a GPU: PCA, k-means (Lloyd) and exact neighbours.

``imgorg run --device cuda`` runs them on the device; the same code on ``"cpu"`` gives the
CPU path's results up to floating point (tested that way), so a GPU changes the time a run
takes, not its clusters:

- PCA: the eigenvectors of the covariance matrix, signed as scikit-learn signs them (the
  largest entry of each component positive); scikit-learn's randomized solver finds the
  same components.
- k-means: scikit-learn's k-means++ seeds (on the CPU, from a sample: seeding is cheap),
  then Lloyd iterations on the device, several restarts, the lowest inertia kept; from the
  same seeds Lloyd's iterations give scikit-learn's labels.
- neighbours: each row's k most cosine-similar others, by blocks of matrix products.
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError


def torch_device(device: str):
    """A torch.device; "cuda" without a GPU is refused with what to do."""
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda, but torch sees no GPU here; use --device cpu (or auto)")
    return torch.device(device)


def fit_pca(X: np.ndarray, n_components: int, device: str = "cpu",
            fit_rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, components, explained variances) of X's first principal components (fitted on
    ``fit_rows``, default every row), the components signed as scikit-learn signs them."""
    import torch

    dev = torch_device(device)
    x = torch.as_tensor(np.ascontiguousarray(X, np.float32), device=dev)
    fit = x if fit_rows is None else x[torch.as_tensor(fit_rows, device=dev)]
    mean = fit.double().mean(dim=0)
    centred = fit.double() - mean
    covariance = centred.T @ centred / max(len(fit) - 1, 1)
    values, vectors = torch.linalg.eigh(covariance)  # ascending
    order = torch.argsort(values, descending=True)[:n_components]
    values, components = values[order].clamp_min(0), vectors[:, order].T
    largest = torch.argmax(components.abs(), dim=1)  # scikit-learn's sign: largest entry positive
    components *= torch.sign(components[torch.arange(len(components)), largest])[:, None]
    return mean.cpu().numpy(), components.cpu().numpy(), values.cpu().numpy()


def pca(X: np.ndarray, n_components: int, device: str = "cpu", whiten: bool = False,
        fit_rows: np.ndarray | None = None, fitted: tuple | None = None) -> np.ndarray:
    """X projected on its first principal components (``fit_pca``, or ``fitted`` as it returns)."""
    import torch

    mean, components, values = fitted or fit_pca(X, n_components, device, fit_rows)
    dev = torch_device(device)
    x = torch.as_tensor(np.ascontiguousarray(X, np.float32), device=dev)
    mean, components, values = (torch.as_tensor(a, device=dev) for a in (mean, components, values))
    out = (x.double() - mean) @ components.T
    if whiten:
        out /= torch.sqrt(values).clamp_min(1e-12)
    return out.float().cpu().numpy()


def lloyd(X: np.ndarray, centres: np.ndarray, device: str = "cpu", max_iter: int = 300,
          tol: float = 1e-4) -> tuple[np.ndarray, np.ndarray, float]:
    """(labels, centres, inertia) of Lloyd's iterations from ``centres``, stopping as scikit-learn
    does: when the centres move by less than ``tol`` times the data's mean variance."""
    import torch

    dev = torch_device(device)
    x = torch.as_tensor(np.ascontiguousarray(X, np.float32), device=dev)
    c = torch.as_tensor(np.ascontiguousarray(centres, np.float32), device=dev)
    stop = tol * float(x.var(dim=0).mean())
    for _ in range(max_iter):
        labels = torch.cdist(x, c).argmin(dim=1)
        sums = torch.zeros_like(c).index_add_(0, labels, x)
        counts = torch.bincount(labels, minlength=len(c)).to(x.dtype)[:, None]
        moved = torch.where(counts > 0, sums / counts.clamp_min(1), c)  # an empty cluster keeps its centre
        shift = float(((moved - c) ** 2).sum())
        c = moved
        if shift <= stop:
            break
    distances = torch.cdist(x, c).min(dim=1)
    return distances.indices.cpu().numpy().astype(np.int64), c.cpu().numpy(), float((distances.values ** 2).sum())


def kmeans(X: np.ndarray, k: int, n_init: int = 10, seed: int = 0, device: str = "cpu",
           seed_sample: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """(labels, centres): ``n_init`` restarts of k-means++ seeds and Lloyd on the device; the lowest
    inertia wins."""
    from sklearn.cluster import kmeans_plusplus

    X = np.ascontiguousarray(X, np.float32)
    rng = np.random.default_rng(seed)
    best = None
    for restart in range(n_init):
        rows = rng.choice(len(X), min(len(X), seed_sample), replace=False) if len(X) > seed_sample else slice(None)
        seeds, _ = kmeans_plusplus(X[rows], k, random_state=seed + restart)
        labels, centres, inertia = lloyd(X, seeds, device)
        if best is None or inertia < best[2]:
            best = (labels, centres, inertia)
    return best[0], best[1]


def nearest_neighbours(X: np.ndarray, k: int, device: str = "cpu", block: int = 4096) -> np.ndarray:
    """Indices of each row's k most cosine-similar other rows (exact)."""
    import torch

    dev = torch_device(device)
    x = torch.as_tensor(np.ascontiguousarray(X, np.float32), device=dev)
    x = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)
    out = np.empty((len(x), k), np.int64)
    for start in range(0, len(x), block):
        sims = x[start:start + block] @ x.T
        rows = torch.arange(len(sims), device=dev)
        sims[rows, rows + start] = -float("inf")  # not its own neighbour
        out[start:start + block] = sims.topk(k, dim=1).indices.cpu().numpy()
    return out
