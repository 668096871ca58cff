"""How well label-free rules choose among scan's heads and seeds, against the best head by labels.

    python benchmarks/scan_head_choice.py /tmp/ws-t-new --seeds 10
    python benchmarks/scan_head_choice.py /tmp/ws-tr10k --seeds 10

imgorg's scan trains 30 heads per seed and keeps the one with the lowest loss. This
runs the default SCANClusterer for each seed, keeps every head's labels, and scores
the head each rule would keep (ACC / NMI over the seeds, mean [min, max]):

- ``loss``: imgorg's rule;
- ``best head (labels)``: the head with the best ACC: an upper bound, not a rule;
- ``agreement``: the head whose worst cluster has the highest neighbour agreement (the
  share of its images' 20 nearest neighbours in the same cluster): a cluster that
  collects ambiguous images from every class should agree least;
  ``agreement, 5 lowest losses``: the same among the five heads of lowest loss;
- ``size entropy``: the most balanced head;
- ``calinski-harabasz`` / ``silhouette`` (cosine, 3,000-image sample) /
  ``davies-bouldin``: the internal metrics on scan's input features.

Across seeds (each costs another fit): ``medoid of R seeds``, the seed whose
chosen head agrees most (NMI) with the others' in each window of R consecutive
seeds, and ``agreement, best of R seeds``. Labels (folder names) only score.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import (calinski_harabasz_score, davies_bouldin_score, normalized_mutual_info_score,
                             silhouette_score)

from imgorg import load_workspace
from imgorg.reduce import power_features
from imgorg.scan import SCANClusterer, nearest_neighbours, neighbour_agreement

from _seeds import label_scores, summary  # benchmarks/ is on the path when run as a script


@torch.no_grad()
def every_head_labels(model: SCANClusterer, X: np.ndarray) -> np.ndarray:
    """(heads, images): each of a fitted scan's heads' labels."""
    return model._probs(model.heads_, torch.from_numpy(X)).argmax(dim=2).numpy().T


def size_entropy(labels: np.ndarray) -> float:
    p = np.bincount(labels) / len(labels)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def head_criteria(X: np.ndarray, labels: np.ndarray, neighbours: np.ndarray, k: int, sample) -> dict:
    """Label-free scores of one head's labels; higher is better for each."""
    if len(np.unique(labels)) < 2:
        return dict.fromkeys(("agreement", "size entropy", "calinski-harabasz", "silhouette", "davies-bouldin"),
                             -np.inf)
    return {"agreement": float(neighbour_agreement(labels, neighbours, k).min()),  # its worst cluster's
            "size entropy": size_entropy(labels),
            "calinski-harabasz": calinski_harabasz_score(X, labels),
            "silhouette": silhouette_score(X[sample], labels[sample], metric="cosine"),
            "davies-bouldin": -davies_bouldin_score(X, labels)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--windows", default="3,5", help="R for the across-seed rules")
    args = parser.parse_args()
    ws = load_workspace(args.workspace)
    X, truth = power_features(np.asarray(ws.embeddings)), ws.images["label"].to_numpy()
    sample = np.random.default_rng(0).choice(len(X), min(3000, len(X)), replace=False)
    neighbours = nearest_neighbours(X, SCANClusterer().n_neighbors)  # the ones every fit learns from
    picks: dict[str, list] = {}
    chosen_labels, chosen_agreement = [], []
    for seed in range(args.seeds):
        start = time.perf_counter()
        model = SCANClusterer(n_clusters=args.k, random_state=seed).fit(X)
        heads = every_head_labels(model, X)
        scores = [label_scores(truth, labels) for labels in heads]
        criteria = [head_criteria(X, labels, neighbours, args.k, sample) for labels in heads]
        lowest = np.argsort(model.losses_)
        rules = {"loss": model.head_, "best head (labels)": int(np.argmax([s[0] for s in scores])),
                 "agreement, 5 lowest losses": int(lowest[np.argmax([criteria[h]["agreement"] for h in lowest[:5]])])}
        rules.update({name: int(np.argmax([c[name] for c in criteria])) for name in criteria[0]})
        for rule, head in rules.items():
            picks.setdefault(rule, []).append(scores[head])
        chosen_labels.append(heads[model.head_])
        chosen_agreement.append(criteria[model.head_]["agreement"])
        print(f"seed {seed}: loss picks head {model.head_} (ACC {scores[model.head_][0]:.3f}), best head "
              f"{rules['best head (labels)']} (ACC {max(s[0] for s in scores):.3f}); "
              f"{time.perf_counter() - start:.0f} s", flush=True)
    print(f"\n{len(X):,} images, {args.seeds} seeds, every rule's head scored: mean [min, max]")
    print("| rule | ACC | NMI | ARI |\n|---|---|---|---|")
    for rule, scores in picks.items():
        print(f"| {rule} | {summary(scores, sep=' | ', names=False)} |")
    by_loss = np.array(picks["loss"])
    nmi = np.array([[normalized_mutual_info_score(a, b) for b in chosen_labels] for a in chosen_labels])
    for r in (int(x) for x in args.windows.split(",")):
        windows = [range(i, i + r) for i in range(args.seeds - r + 1)]
        medoid = [w[int(np.argmax(nmi[np.ix_(w, w)].sum(axis=1)))] for w in windows]
        best = [w[int(np.argmax([chosen_agreement[i] for i in w]))] for w in windows]
        for name, seeds in ((f"medoid of {r} seeds", medoid), (f"agreement, best of {r} seeds", best)):
            print(f"| {name} ({len(windows)} windows) | {summary(by_loss[seeds], sep=' | ', names=False)} |")


if __name__ == "__main__":
    main()
