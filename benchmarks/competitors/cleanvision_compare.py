"""Quality flags: imgorg vs cleanvision on the same labelled files (benchmarks/quality_corpus.py).

cleanvision runs in its own venv, never the project's:

    python3.11 -m venv /tmp/venv-cleanvision
    /tmp/venv-cleanvision/bin/pip install cleanvision==0.3.7

Three steps, one subcommand each (each side in its own interpreter, JSON between them):

    PYTHONPATH=src .venv/bin/python benchmarks/quality_corpus.py /tmp/imgorg-quality
    PYTHONPATH=src .venv/bin/python benchmarks/competitors/cleanvision_compare.py imgorg /tmp/imgorg-quality
    /tmp/venv-cleanvision/bin/python benchmarks/competitors/cleanvision_compare.py cleanvision /tmp/imgorg-quality
    python3 benchmarks/competitors/cleanvision_compare.py compare /tmp/imgorg-quality

Each split (dev/, heldout/) is a collection of its own, as a person would run either tool on
one folder: both tools see the whole split and flag within it. Both run with their default
thresholds (imgorg's were tuned on dev/ only; cleanvision's are its package defaults), and each
side writes <corpus>/<tool>.json: {file: [flags]} and the seconds it took. cleanvision's issue
types map onto imgorg's kinds as: is_blurry_issue -> blurry, is_dark_issue -> dark,
is_light_issue -> overexposed, is_low_information_issue -> low_information, is_odd_size_issue
-> odd_size, is_odd_aspect_ratio_issue -> odd_aspect. ``compare`` prints per-flag precision,
recall and F1 on each split for both, counting only the files whose label for that flag is
0 or 1 (labels.csv leaves undefined judgements empty; quality_corpus.py says which).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

KINDS = ("blurry", "dark", "overexposed", "low_information", "odd_size", "odd_aspect")
SPLITS = ("dev", "heldout", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6")  # those the corpus has; --splits picks some
CLEANVISION = {"blurry": "blurry", "dark": "dark", "light": "overexposed", "low_information": "low_information",
               "odd_size": "odd_size", "odd_aspect_ratio": "odd_aspect"}


def files_of(corpus: Path, split: str) -> list[str]:
    return sorted(path.name for path in (corpus / split).iterdir() if path.suffix == ".jpg")


def splits_of(corpus: Path, wanted: list[str] | None) -> list[str]:
    return [split for split in (wanted or SPLITS) if (corpus / split).is_dir()]


def run_imgorg(corpus: Path, workers: int, splits: list[str]) -> dict:
    from imgorg.review.quality import quality_flags, quality_scores

    flags, seconds, scores_out = {}, {}, {}
    for split in splits:
        names = files_of(corpus, split)
        start = time.perf_counter()
        scores = quality_scores(names, corpus / split, workers=workers)
        found = quality_flags(scores, ids=names)
        seconds[split] = time.perf_counter() - start
        for name in names:
            flags[f"{split}/{name}"] = []
        for name, kind in zip(found["id"], found["kind"]):
            flags[f"{split}/{name}"].append(kind)
        scores_out.update({f"{split}/{name}": row for name, row in zip(names, scores.to_dict("records"))})
    previous = corpus / "imgorg-scores.json"
    if previous.exists():  # other splits' scores stay
        scores_out = {**json.loads(previous.read_text()), **scores_out}
    previous.write_text(json.dumps(scores_out))
    return {"flags": flags, "seconds": seconds}


def run_cleanvision(corpus: Path, workers: int, splits: list[str]) -> dict:
    from cleanvision import Imagelab

    flags, seconds = {}, {}
    for split in splits:
        names = files_of(corpus, split)
        start = time.perf_counter()
        lab = Imagelab(filepaths=[str(corpus / split / name) for name in names], verbose=False)
        lab.find_issues({issue: {} for issue in CLEANVISION}, n_jobs=workers, verbose=False)
        seconds[split] = time.perf_counter() - start
        issues = lab.issues
        for path, row in issues.iterrows():
            flags[f"{split}/{Path(path).name}"] = [ours for theirs, ours in CLEANVISION.items()
                                                   if bool(row[f"is_{theirs}_issue"])]
    return {"flags": flags, "seconds": seconds}


def read_labels(corpus: Path) -> list[dict]:
    with open(corpus / "labels.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def prf(labels: list[dict], flags: dict, kind: str) -> tuple[float, float, float, int, int]:
    tp = fp = fn = 0
    for row in labels:
        if row[kind] == "":
            continue
        truth, said = row[kind] == "1", kind in flags[row["file"]]
        tp += truth and said
        fp += said and not truth
        fn += truth and not said
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, tp + fn, fp


def compare(corpus: Path, verbose: bool, splits: list[str]) -> None:
    labels = read_labels(corpus)
    tools = {tool: json.loads((corpus / f"{tool}.json").read_text()) for tool in ("imgorg", "cleanvision")
             if (corpus / f"{tool}.json").exists()}
    for split in splits:
        mine = [row for row in labels if row["split"] == split]
        print(f"\n{split}: {len(mine)} images  (P / R / F1; positives; false positives)")
        print(f"{'flag':16s}" + "".join(f"{tool:>34s}" for tool in tools))
        for kind in KINDS:
            cells = []
            for tool, result in tools.items():
                p, r, f, pos, fp = prf(mine, result["flags"], kind)
                cells.append(f"{p:6.2f} {r:5.2f} {f:5.2f}  pos {pos:3d} fp {fp:3d}")
            print(f"{kind:16s}" + "".join(f"{cell:>34s}" for cell in cells))
        print("seconds: " + ", ".join(f"{tool} {result['seconds'][split]:.1f}" for tool, result in tools.items()))
        if verbose:
            for tool, result in tools.items():
                for row in mine:
                    for kind in KINDS:
                        said = kind in result["flags"][row["file"]]
                        if row[kind] != "" and said != (row[kind] == "1"):
                            print(f"  {tool:11s} {'FP' if said else 'FN'} {kind:16s} {row['file']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("imgorg", "cleanvision", "compare"))
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--errors", action="store_true", help="compare: list every wrong flag")
    parser.add_argument("--splits", help="comma-separated splits to run or compare (default: all the corpus has)")
    args = parser.parse_args()
    splits = splits_of(args.corpus, args.splits.split(",") if args.splits else None)
    if args.step == "compare":
        compare(args.corpus, args.errors, splits)
        return
    result = (run_imgorg if args.step == "imgorg" else run_cleanvision)(args.corpus, args.workers, splits)
    out = args.corpus / f"{args.step}.json"
    if out.exists():  # a run of some splits keeps the others' results
        old = json.loads(out.read_text())
        result = {"flags": {**old["flags"], **result["flags"]}, "seconds": {**old["seconds"], **result["seconds"]}}
    out.write_text(json.dumps(result))
    print(f"{args.step}: " + ", ".join(f"{split} {s:.1f} s" for split, s in result["seconds"].items()),
          file=sys.stderr)


if __name__ == "__main__":
    main()
