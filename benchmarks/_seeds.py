"""Scores of clusterings over several seeds, for the clustering benchmarks (labels only score)."""

from __future__ import annotations

import numpy as np

from imgorg.metrics import external_scores


def label_scores(truth, labels) -> tuple[float, float, float]:
    """(ACC, NMI, ARI) of one clustering against the labels."""
    scores = external_scores(truth, labels)
    return scores["acc"], scores["nmi"], scores["ari"]


def summary(scores, sep: str = "  ", names: bool = True) -> str:
    """'ACC mean [min, max]', then NMI and ARI, over the rows of (ACC, NMI, ARI) in ``scores``
    (without the names: the cells of a markdown table row, with ``sep=" | "``)."""
    return sep.join(f"{name + ' ' if names else ''}{column.mean():.3f} [{column.min():.3f}, {column.max():.3f}]"
                    for name, column in zip(("ACC", "NMI", "ARI"), np.asarray(scores).T))
