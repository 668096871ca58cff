"""Copies kept apart from similar shots: today's `imgorg duplicates` against `review.series`.

    python benchmarks/similar_shots.py --cifar /tmp/cifar --work /tmp/imgorg-similar
    python benchmarks/similar_shots.py --hues --cifar /tmp/cifar --work /tmp/imgorg-similar

Two corpora, each with a development half (what the thresholds were chosen on) and a held-out half:

- CIFAR-10 test images with their closest training image, judged by hand as copy, look-alike
  or unrelated (``benchmarks/data/cifar_pairs_judged.csv``, ``benchmarks/cifar_pairs.py``);
  held out: test images whose number is divisible by 3.
- Real photos with simulated burst shots beside copies (``tests/series_corpus.py``): the
  first shot against each other shot (similar) and each copy; held out: every third photo.

Each corpus is one folder, run through ``imgorg.run`` (embeddings), then both methods on
the whole folder: a pair is found as a copy when its two images share a group of
``duplicate_table`` (today) or a copy group of ``series_table``, and as similar when they,
or the images their copy groups keep, share a series. "pair check" classifies the judged
pairs alone (``classify_pairs``), without the candidate search.

``--hues``: how far true copies' mean hues lie apart (``review.copies.mean_hue``, the measure
``drop_recoloured`` compares with ``RECOLOURED``), where both are vivid: the series corpus's
copies against their first shot, and the first 20 CIFAR-10 test images of each class (200)
against their copies under the copy benchmarks' twelve edits (``tests/corpus.py``: ``TRANSFORMS``
and ``HELDOUT_TRANSFORMS``, those of ``benchmarks/near_duplicates.py``). Decodes only; no run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from imgorg import ClusterConfig, RunConfig, run
from imgorg.config import ReviewConfig
from imgorg.duplicates import duplicate_table
from imgorg.review.copies import RECOLOURED, hue_apart, mean_hue
from imgorg.review.series import classify_pairs, series_table
from imgorg.tasks.review import review_collection
from tests.corpus import HELDOUT_TRANSFORMS, TRANSFORMS, write_copies
from tests.series_corpus import build_series_corpus

EDITED = 20  # CIFAR-10 test images per class whose copies --hues measures (near_duplicates.py's copied)


def cifar_truth(cifar: Path, dest: Path) -> pd.DataFrame:
    judged = pd.read_csv(ROOT / "benchmarks/data/cifar_pairs_judged.csv")
    if not dest.exists():
        for path in pd.unique(pd.concat([judged["test"], judged["train"]])):
            (dest / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(cifar / path, dest / path)
    kind = judged["judgement"].map({"copy": "copy", "look-alike": "similar", "unrelated": "unrelated"})
    return pd.DataFrame({"a": judged["test"], "b": judged["train"], "kind": kind,
                         "held_out": judged["split"] == "heldout"})


def series_truth(dest: Path) -> pd.DataFrame:
    truth = build_series_corpus(dest) if not dest.exists() else None
    if truth is None:
        return pd.read_csv(dest.parent / "series-truth.csv")
    truth.to_csv(dest.parent / "series-truth.csv", index=False)
    return truth


def found_kinds(ws, truth: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per truth pair, what each method says: "copy", "similar" or ""."""
    row = {p: i for i, p in enumerate(ws.images["path"].astype(str))}
    ids = ws.images["id"].to_numpy()
    a, b = truth["a"].map(row).to_numpy(), truth["b"].map(row).to_numpy()
    out = {}
    today = duplicate_table(ws.images, ws.embeddings, ws.root, index=ws.search_index())
    group = np.full(len(ids), -1)
    group[today["id"].map({int(i): r for r, i in enumerate(ids)}).to_numpy()] = today["group"]
    out["imgorg duplicates (today)"] = np.where((group[a] >= 0) & (group[a] == group[b]), "copy", "")
    table = series_table(ws.images, ws.embeddings, ws.root, index=ws.search_index())
    position = {int(i): r for r, i in enumerate(ids)}
    copy_group, keeper, series = np.full(len(ids), -1), np.arange(len(ids)), np.full(len(ids), -1)
    for kind, frame in table.groupby("kind"):
        rows = frame["id"].map(position).to_numpy()
        if kind == "copy":
            copy_group[rows] = frame["group"].to_numpy()
            for _, members in frame.groupby("group"):
                keeper[members["id"].map(position).to_numpy()] = position[int(members["id"].iloc[0])]
        else:
            series[rows] = frame["group"].to_numpy()
    same_copy = (copy_group[a] >= 0) & (copy_group[a] == copy_group[b])
    ka, kb = keeper[a], keeper[b]
    same_series = (series[ka] >= 0) & (series[ka] == series[kb]) & (ka != kb)
    out["review.series_table"] = np.where(same_copy, "copy", np.where(same_series, "similar", ""))
    table = review_collection(ws, ReviewConfig(kinds=("copy",))).table
    group, series = np.full(len(ids), -1), np.full(len(ids), -1)
    for kind, frame, into in (("copy", table[table["kind"] == "copy"], group),
                              ("similar", table[table["kind"] == "similar"], series)):
        into[frame["id"].map(position).to_numpy()] = frame["group"].to_numpy()
    same_copy = (group[a] >= 0) & (group[a] == group[b])
    same_series = (series[a] >= 0) & (series[a] == series[b])
    out["imgorg review (default kinds)"] = np.where(same_copy, "copy", np.where(same_series, "similar", ""))
    paths = ws.images["path"].astype(str)
    checked = classify_pairs(pd.DataFrame({"path": paths}), ws.root, np.stack([a, b], axis=1))
    out["review.classify_pairs (pair check)"] = checked["kind"].to_numpy().astype(str)
    return out


def report(name: str, truth: pd.DataFrame, found: dict[str, np.ndarray]) -> None:
    print(f"\n{name}")
    print(f"{'method':<38} {'half':<9} {'copies':>6} {'look-alikes':>11} | {'copies found':>12} "
          f"{'look-alikes as copy':>19} {'as similar':>10}")
    for method, kinds in found.items():
        for half, mask in (("dev", ~truth["held_out"].to_numpy()), ("held out", truth["held_out"].to_numpy())):
            copy = mask & (truth["kind"] == "copy").to_numpy()
            similar = mask & (truth["kind"] == "similar").to_numpy()
            print(f"{method:<38} {half:<9} {copy.sum():6d} {similar.sum():11d} | {(kinds[copy] == 'copy').mean():12.3f} "
                  f"{(kinds[similar] == 'copy').mean():19.3f} {(kinds[similar] == 'similar').mean():10.3f}")


def copy_hues(cifar: Path, work: Path) -> None:
    """Print how far apart the mean hues of true copies lie, where both images are vivid."""
    series = work / "series" / "images"
    truth = series_truth(series)
    pairs = [("burst", series, a, series, b) for a, b in truth.loc[truth["kind"] == "copy", ["a", "b"]].to_numpy()]
    edits = work / "hue-edits"
    for folder in sorted(p for p in (cifar / "test").iterdir() if p.is_dir()):
        for original in sorted(folder.iterdir())[:EDITED]:
            copies = {t: edits / folder.name / f"{original.stem}_{t}.png" for t in TRANSFORMS | HELDOUT_TRANSFORMS}
            if not all(path.exists() for path in copies.values()):
                write_copies(original, edits / folder.name, TRANSFORMS | HELDOUT_TRANSFORMS)
            pairs += [("cifar", cifar, str(original.relative_to(cifar)), edits, str(path.relative_to(edits)))
                      for path in copies.values()]
    hues: dict[tuple[Path, str], float | None] = {}
    rows = []
    for corpus, root_a, a, root_b, b in pairs:
        for key in ((root_a, a), (root_b, b)):  # each image decoded once
            if key not in hues:
                hues[key] = mean_hue(*key)
        pair = [hues[(root_a, a)], hues[(root_b, b)]]
        if None not in pair:
            rows.append((corpus, a, b, hue_apart(*pair)))
    found = pd.DataFrame(rows, columns=["corpus", "a", "b", "apart"])
    for corpus in ("burst", "cifar"):
        total = sum(p[0] == corpus for p in pairs)
        apart = found.loc[found["corpus"] == corpus, "apart"].to_numpy()
        print(f"{corpus}: {total} copy pairs, {len(apart)} with both vivid; hue apart (degrees): median "
              f"{np.median(apart):.1f}, 99th percentile {np.percentile(apart, 99):.1f}, max {apart.max():.1f}; "
              f"over RECOLOURED ({RECOLOURED:g}): {(apart > RECOLOURED).sum()}")
    edit = found["b"].str.extract(r"_([^_/]+)\.png$", expand=False).where(found["corpus"] == "cifar")
    print("cifar, max per edit: " + ", ".join(f"{name} {apart:.1f}" for name, apart in
                                              found.groupby(edit)["apart"].max().sort_values().items()))
    print(f"both: {len(found)} vivid copy pairs, max {found['apart'].max():.1f} degrees; the farthest:")
    print(found.sort_values("apart", ascending=False).head(5).to_string(index=False, float_format="%.1f"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cifar", type=Path, default=Path("/tmp/cifar"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/imgorg-similar"))
    parser.add_argument("--corpus", choices=("cifar", "series", "both"), default="both")
    parser.add_argument("--hues", action="store_true", help="the hue spread of true copies instead (no run)")
    args = parser.parse_args()
    if args.hues:
        copy_hues(args.cifar, args.work)
        return
    config = RunConfig(cluster=ClusterConfig(method="kmeans"))
    corpora = {"cifar": lambda d: cifar_truth(args.cifar, d), "series": series_truth}
    for name in ("cifar", "series") if args.corpus == "both" else (args.corpus,):
        images = args.work / name / "images"
        truth = corpora[name](images)
        ws = run(images, args.work / name / "ws", config).workspace
        report(f"{name}: {len(truth)} judged pairs", truth, found_kinds(ws, truth))


if __name__ == "__main__":
    main()
