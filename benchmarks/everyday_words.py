"""Everyday photo-search words through word search without CLIP (``imgorg.words.reach``).

    python benchmarks/everyday_words.py                       # reachability of both lists
    python benchmarks/everyday_words.py /tmp/ws-words-cifar   # and the real check on a CIFAR-10 workspace

DEV holds the 50 words the relations and weights were looked at against; HELD_OUT the 30 written
at the same time and not looked at while tuning. For each word:

- synthetic: a folder that holds every ImageNet-1k class (one image per class, its class at
  probability 1): does the word return images, through its own WordNet relations ("direct") or
  only through the nearest word that does ("nearest"), and which synsets it went through;
- real (with a workspace): the words whose things CIFAR-10 holds (CIFAR) must return images of
  those labels: precision@10 against them.
No word may raise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from imgorg import naming, vocabulary, words

DEV = {
    "places": ["beach", "sea", "mountain", "lake", "river", "forest", "garden", "city", "street", "park", "church",
               "kitchen"],
    "weather": ["snow", "rain", "sun", "sunset", "winter", "storm"],
    "food": ["food", "pizza", "cake", "coffee", "fruit", "bread", "dinner", "wine"],
    "events": ["party", "wedding", "birthday", "christmas", "concert", "holiday"],
    "people": ["baby", "child", "family", "friends", "selfie"],
    "animals": ["dog", "cat", "bird", "fish", "horse", "pet"],
    "vehicles": ["car", "boat", "train", "plane", "bike"],
    "documents": ["document", "book", "receipt", "screenshot"],
}
HELD_OUT = {
    "places": ["island", "desert", "bridge", "farm", "restaurant", "harbor", "hotel"],
    "weather": ["fog", "ice", "cloud"],
    "food": ["breakfast", "soup", "salad", "ice cream", "beer"],
    "events": ["graduation", "vacation", "picnic", "game"],
    "people": ["bride", "crowd", "kids"],
    "animals": ["cow", "insect", "butterfly"],
    "vehicles": ["bus", "motorcycle", "tractor"],
    "documents": ["letter", "map"],
}
# Words of both lists whose things the CIFAR-10 labels hold, and those labels.
CIFAR = {"dog": {"dog"}, "cat": {"cat"}, "bird": {"bird"}, "horse": {"horse"}, "pet": {"dog", "cat"},
         "car": {"automobile"}, "boat": {"ship"}, "plane": {"airplane"}, "sea": {"ship"}, "cow": {"deer", "horse"},
         "farm": {"horse", "truck"}, "harbor": {"ship"}, "tractor": {"truck"}, "bus": {"automobile", "truck"}}


def synthetic(word: str) -> dict:
    """One image per ImageNet class, top-1 at probability 1: which images the word returns."""
    classes = np.arange(vocabulary.N_CLASSES)[:, None].repeat(5, axis=1)
    probs = np.zeros((vocabulary.N_CLASSES, 5))
    probs[:, 0] = 1.0
    try:
        reach = words.reach(word)
        scores = naming.word_scores(classes, probs, reach.weights)
    except Exception as err:  # noqa: BLE001 - the benchmark counts errors, it must not stop on one
        return {"word": word, "error": f"{type(err).__name__}: {err}"}
    top = [t.name for t in reach.through[:3]]
    return {"word": word, "images": int((scores > 0).sum()), "how": "direct" if reach.reached else
            "nearest" if reach.through else "none", "searched": reach.searched, "through": top, "error": ""}


def real(workspace: Path, word: str, labels: set[str]) -> dict:
    tags = pd.read_parquet(workspace / "tags.parquet")
    catalog = pd.read_parquet(workspace / "catalog.parquet")
    truth = catalog.loc[catalog["status"] == "ok", "label"].to_numpy()
    classes = tags[[f"class_{i}" for i in range(1, 6)]].to_numpy()
    probs = tags[[f"prob_{i}" for i in range(1, 6)]].to_numpy()
    scores = naming.word_scores(classes, probs, word)
    order = np.argsort(-scores, kind="stable")[:10]
    order = order[scores[order] > 0]
    return {"word": word, "labels": "/".join(sorted(labels)), "found": len(order),
            "p10": float(np.isin(truth[order], list(labels)).mean()) if len(order) else 0.0}


def report(name: str, groups: dict[str, list[str]]) -> None:
    rows = [synthetic(w) | {"group": g} for g, ws in groups.items() for w in ws]
    frame = pd.DataFrame(rows)
    print(f"\n## {name}: {len(frame)} words")
    with pd.option_context("display.width", 200, "display.max_colwidth", 70, "display.max_rows", 200):
        print(frame[["group", "word", "how", "searched", "images", "through", "error"]].to_string(index=False))
    n = len(frame)
    direct = int((frame["how"] == "direct").sum())
    returned = int((frame["images"].fillna(0) > 0).sum())
    errors = int((frame["error"] != "").sum())
    print(f"{name}: return images {returned}/{n} ({returned / n:.0%}); through their own WordNet relations "
          f"{direct}/{n} ({direct / n:.0%}); through the nearest word only {returned - direct}/{n}; errors {errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path, nargs="?", help="a CIFAR-10 workspace with tags.parquet")
    args = parser.parse_args()
    report("dev", DEV)
    report("held out", HELD_OUT)
    if args.workspace:
        rows = [real(args.workspace, w, labels) for w, labels in CIFAR.items()]
        frame = pd.DataFrame(rows)
        frame["list"] = ["dev" if any(w in ws for ws in DEV.values()) else "held out" for w in frame["word"]]
        print(f"\n## real: {args.workspace}\n{frame.to_string(index=False)}")
        print(f"return images: {int((frame['found'] > 0).sum())}/{len(frame)}; mean P@10 {frame['p10'].mean():.2f}")


if __name__ == "__main__":
    sys.exit(main())
