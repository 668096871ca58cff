"""SCAN heads at one learning rate each: the best head's loss against its accuracy.

    python benchmarks/scan_learning_rate.py /tmp/ws-cifar60k --rates 1e-3,1e-2 --seed 0

Shows whether the training loss (the only thing the default method may look at)
tells the better learning rate apart on a labelled collection.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from imgorg import load_workspace
from imgorg.metrics import external_scores
from imgorg.reduce import power_features
from imgorg.scan import SCANClusterer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace")
    parser.add_argument("--rates", default="1e-3,1e-2")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ws = load_workspace(args.workspace)
    truth = ws.images["label"].to_numpy()
    features = power_features(ws.embeddings)
    for rate in (float(r) for r in args.rates.split(",")):
        start = time.perf_counter()
        model = SCANClusterer(n_clusters=10, learning_rates=(rate,), random_state=args.seed).fit(features)
        scores = external_scores(truth, model.labels_)
        print(f"learning rate {rate:g}: best loss {model.losses_.min():.4f}, ACC {scores['acc']:.3f}, "
              f"NMI {scores['nmi']:.3f}, ARI {scores['ari']:.3f}, {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
