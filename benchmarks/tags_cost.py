"""What the tags cost: the backbone's ONNX graph with its ImageNet classifier (features and class
probabilities, what `imgorg run` uses) against the same graph without it, on the same batches.

    python benchmarks/tags_cost.py --images data/cifar10/test --n 1024 --repeats 5

Forward only (pre-decoded 224 px uint8 batches of 64), rounds alternating, medians reported:
the ratio is the upper bound of what tags add to embedding time, since decoding adds to both.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from pathlib import Path

import numpy as np

from imgorg.embed import OnnxRunner, get_backbone, load_and_prepare


def rate(runner, batches) -> float:
    start = time.perf_counter()
    for batch in batches:
        runner(batch)
    return sum(len(b) for b in batches) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backbone", default="efficientnet-lite0")
    args = parser.parse_args()
    tagged = get_backbone(args.backbone)
    plain = dataclasses.replace(tagged, classifier="")  # the same weights, no classifier in the graph
    files = sorted(args.images.rglob("*.jpg"))[: args.n]
    pixels = np.stack([load_and_prepare(f.read_bytes(), tagged.preprocess) for f in files])
    batches = [pixels[i:i + 64] for i in range(0, len(pixels), 64)]
    runners = {"with tags": OnnxRunner(tagged), "without": OnnxRunner(plain)}
    rates = {name: [] for name in runners}
    for _ in range(args.repeats):
        for name, runner in runners.items():
            rates[name].append(rate(runner, batches))
    medians = {name: statistics.median(r) for name, r in rates.items()}
    for name, r in rates.items():
        print(f"{name:>10}: median {medians[name]:.1f} images/s  (runs: {', '.join(f'{x:.1f}' for x in r)})")
    print(f"time with tags / without: {medians['without'] / medians['with tags']:.3f}")


if __name__ == "__main__":
    main()
