"""Exact search: numpy's path against FAISS's brute force (faiss.knn), on duplicates' candidate searches.

    python benchmarks/exact_search_paths.py /tmp/ws-t-new --rounds 3

imgorg.index searches exactly with numpy (matrix product, argpartition of every row) below
FAISS_KNN_QUERIES queries and with faiss.knn from there on. This times, alternating, the two
candidate searches of `imgorg duplicates` on a workspace: the thumbnail neighbours with their
mirrors and 80% corners (--fast's) and the embedding neighbours, with FAISS_KNN_QUERIES set so
high that numpy answers everything, then as shipped. The pair counts must be equal.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import imgorg.index as index
from imgorg import load_workspace
from imgorg.duplicates import candidate_pairs, image_thumbnails, thumbnail_pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ws = load_workspace(args.workspace)
    embeddings = np.asarray(ws.embeddings)
    thumbnails = image_thumbnails(ws.manifest["source"]["root"], ws.images["path"].astype(str).to_numpy())
    shipped = index.FAISS_KNN_QUERIES
    for round_ in range(args.rounds):
        for name, threshold in (("numpy", 10**12), ("faiss.knn", shipped)):
            index.FAISS_KNN_QUERIES = threshold
            start = time.perf_counter()
            by_thumbnail = thumbnail_pairs(thumbnails, mirrored=True, cropped=True)
            middle = time.perf_counter()
            by_embedding = candidate_pairs(embeddings)
            end = time.perf_counter()
            print(f"round {round_ + 1} {name:<9}: thumbnail pairs {middle - start:5.2f} s ({len(by_thumbnail):,}), "
                  f"embedding pairs {end - middle:5.2f} s ({len(by_embedding):,})", flush=True)
    index.FAISS_KNN_QUERIES = shipped


if __name__ == "__main__":
    main()
