"""Cluster names and word search from a workspace's ImageNet tags, scored against its labels.

    python benchmarks/naming.py /tmp/ws-cifar10-test
    python benchmarks/naming.py /tmp/ws-cifar10-train --method kmeans
    python benchmarks/naming.py /tmp/ws-cifar10-train --method all   # every clustering stored

Reads tags.parquet, the clustering named by manifest.json's default_method (or
--method) in assignments.parquet and the labels of catalog.parquet (its "ok" rows, in
order, align with the assignments). Labels are used only to score.

Naming: a cluster's name covers its dominant label when one of its words is among the
WordNet words written below for that label (COVERS): the label's own synset, or one
above it that covers no other CIFAR-10 class ("car" for automobile, not "motor
vehicle", which covers truck too). The count under "lenient" also takes any synset above
the label below the generic top of WordNet ("motor vehicle", "carnivore", "mammal"); the
one under "covering or narrower" takes words below the label too ("Pekinese" for dog).
Under each name that misses, "why" says where the label's best covering word stands: its rank
among the cluster's word scores, the mean probability the members put under it, and the cluster
that holds most of that probability; or that no covering word is in common use (deer).

Word search: each label's query word (QUERY) ranks every image by word_scores;
precision@10 and @50 are the share of the top 10 and 50 that carry that label.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from imgorg import naming, vocabulary, words

# CIFAR-10 label -> WordNet words (names of synsets in imgorg's vocabulary) that cover it alone.
# ImageNet-1k has no deer class and WordNet puts no deer under any of its classes: "deer" itself
# is outside the vocabulary, so its nearest ancestors stand for it. CIFAR-10's ship class
# holds boats as well as ships, so "boat" counts for it.
COVERS = {
    "airplane": ["airplane", "aircraft", "heavier-than-air craft"],
    "automobile": ["car"],
    "bird": ["bird"],
    "cat": ["cat", "domestic cat", "feline"],
    "deer": ["deer", "ruminant", "even-toed ungulate"],
    "dog": ["dog", "canine"],
    "frog": ["frog", "amphibian (vertebrate)"],
    "horse": ["horse", "equine", "odd-toed ungulate"],
    "ship": ["ship", "vessel", "boat"],
    "truck": ["truck"],
}
# Synsets above these (for the lenient count): the label's WordNet synset, or its parent for deer.
SYNSET = {"airplane": "n02691156", "automobile": "n02958343", "bird": "n01503061", "cat": "n02121808",
          "deer": "n02399000", "dog": "n02084071", "frog": "n01639765", "horse": "n02374451",
          "ship": "n04194289", "truck": "n04490091"}
# The word a person would type to find each label's images.
QUERY = {label: label for label in COVERS} | {"automobile": "car", "deer": "ruminant"}


def methods(path: Path) -> list[str]:
    """The clusterings stored in a workspace's assignments.parquet."""
    columns = pd.read_parquet(path / "assignments.parquet").columns
    return [c for c in columns if c != "id" and not c.endswith("_distance")]


def load(path: Path, method: str | None):
    manifest = json.loads((path / "manifest.json").read_text())
    method = method or manifest["default_method"]
    tags = pd.read_parquet(path / "tags.parquet")
    catalog = pd.read_parquet(path / "catalog.parquet")
    labels = catalog.loc[catalog["status"] == "ok", "label"].to_numpy()
    clusters = pd.read_parquet(path / "assignments.parquet")[method].to_numpy()
    classes = tags[[f"class_{i}" for i in range(1, 6)]].to_numpy()
    probs = tags[[f"prob_{i}" for i in range(1, 6)]].to_numpy()
    return method, labels, clusters, classes, probs


def lenient_words(label: str) -> set[str]:
    return {s.name for s in vocabulary.lineage(SYNSET[label]) if not vocabulary.is_generic(s.wnid)}


def narrower(name, label: str) -> bool:
    """A word of the name is below the label's synset ("Pekinese" for dog, "sorrel" for horse)."""
    return any(w != SYNSET[label] and SYNSET[label] in {s.wnid for s in vocabulary.lineage(w)} for w in name.synsets)


def why(label: str, k: int, ids, mass, scores, labels, clusters) -> str:
    """Where the label's best covering word stands in cluster row ``k`` (a miss)."""
    table = vocabulary.hierarchy()
    rows = [table.row[w] for w in table.order if table.synsets[w].name in COVERS[label]]
    rows = [r for r in rows if words.everyday_name(table.order[r])[1] >= words.EVERYDAY]
    if not rows:
        return f"no word covering {label} is in common use (Zipf >= {words.EVERYDAY})"
    rank = np.argsort(np.argsort(-scores[k], kind="stable"), kind="stable")
    best = min(rows, key=lambda r: rank[r])
    holder = int(np.argmax(mass[:, best]))
    values, counts = np.unique(labels[clusters == ids[holder]], return_counts=True)
    where = ("the most of any cluster" if holder == k else
             f"most in cluster {ids[holder]} ({values[np.argmax(counts)]}, {mass[holder, best]:.3f})")
    return f"{words.everyday_name(table.order[best])[0]!r} ranks {rank[best] + 1}, mass {mass[k, best]:.3f} here, {where}"


def naming_table(labels, clusters, classes, probs) -> tuple[int, int, int]:
    names = naming.cluster_names(classes, probs, clusters)
    ids, _, mass = naming.class_mass(classes, probs, clusters)
    table = vocabulary.hierarchy()
    scores = naming._everyday_scores(naming.distinctive(mass), table.generic, naming._everyday(table)[1])
    strict = lenient = below = 0
    print(f"{'cluster':>7} {'size':>6}  {'dominant':<11} {'share':>5}  {'covers':<8}  name")
    for cluster, name in names.items():
        values, counts = np.unique(labels[clusters == cluster], return_counts=True)
        dominant = values[np.argmax(counts)]
        said = {vocabulary.hierarchy().synsets[w].name for w in name.synsets}  # the synsets, whatever word says them
        hit = bool(said & set(COVERS.get(dominant, [])))
        near = bool(said & lenient_words(dominant)) if dominant in SYNSET else False
        down = narrower(name, dominant) if dominant in SYNSET else False
        strict, lenient, below = strict + hit, lenient + (hit or near), below + (hit or down)
        mark = "yes" if hit else "lenient" if near else "narrower" if down else "no"
        print(f"{cluster:>7} {name.size:>6}  {dominant:<11} {counts.max() / counts.sum():>5.0%}  {mark:<8}  {name.name}")
        if not hit and dominant in COVERS:
            k = int(np.flatnonzero(ids == cluster)[0])
            print(f"{'':>7} why: {why(dominant, k, ids, mass, scores, labels, clusters)}")
    print(f"names that cover the dominant label: {strict}/{len(names)} (lenient: {lenient}/{len(names)}; "
          f"covering or narrower: {below}/{len(names)})")
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # a check of the packaged Zipf values, not a runtime need
        return strict, lenient, len(names)
    parts = [w for name in names.values() for w in name.words]
    rare = sorted({f"{w} {zipf_frequency(w, 'en'):.2f}" for w in parts if zipf_frequency(w, "en") < 3.5})
    print(f"name parts with wordfreq Zipf >= 3.5: {len(parts) - len([w for w in parts if zipf_frequency(w, 'en') < 3.5])}"
          f"/{len(parts)}" + (f" (rarer: {', '.join(rare)})" if rare else ""))
    return strict, lenient, len(names)


def search_table(labels, classes, probs) -> None:
    rows = []
    for label, word in QUERY.items():
        scores = naming.word_scores(classes, probs, word)
        order = np.argsort(-scores, kind="stable")
        rows.append((label, word, *(float(np.mean(labels[order[:k]] == label)) for k in (10, 50))))
    print(f"\n{'label':<11} {'query':<9} {'P@10':>5} {'P@50':>5}")
    for label, word, p10, p50 in rows:
        print(f"{label:<11} {word:<9} {p10:>5.2f} {p50:>5.2f}")
    print(f"{'mean':<21} {np.mean([r[2] for r in rows]):>5.2f} {np.mean([r[3] for r in rows]):>5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--labels-map", choices=["cifar10"], default="cifar10", help="label -> WordNet words (COVERS, QUERY)")
    parser.add_argument("--method", help="column of assignments.parquet (default: the manifest's default_method); "
                                         "'all': every clustering stored, and their total")
    args = parser.parse_args()
    every = methods(args.workspace) if args.method == "all" else [args.method]
    total = count = 0
    for name in every:
        method, labels, clusters, classes, probs = load(args.workspace, name)
        print(f"{args.workspace}: {len(labels):,} images, clusters of {method!r}\n")
        strict, _, n = naming_table(labels, clusters, classes, probs)
        total, count = total + strict, count + n
        print()
    if len(every) > 1:
        print(f"all {len(every)} clusterings: {total}/{count} names cover the dominant label")
    search_table(labels, classes, probs)


if __name__ == "__main__":
    main()
