"""Label issues on CIFAR-10: imgorg's ranking vs cleanlab's find_label_issues, same probabilities.

5% of the labels are flipped, (a) uniformly to another class, (b) between confusable classes
(CONFUSABLE), with fixed seeds. Out-of-fold probabilities are computed once per noisy labelling
(imgorg.review.labels.out_of_fold_probabilities); imgorg's ranking and cleanlab's run on the
same array. Figures: precision and recall of the flips among the top k = number flipped, and
what each reports without k (imgorg's rule; cleanlab's default filter).

Workspaces (built once with the project's CLI; folder names are the labels):

    PYTHONPATH=src .venv/bin/imgorg run /tmp/cifar/test --out /tmp/ws-labels-test --k 10 --map none
    # held out (never tuned on): 1,000 train images per class, symlinked (see `subset` below)
    .venv/bin/python benchmarks/label_issues.py subset /tmp/cifar/train /tmp/cifar-train10k
    PYTHONPATH=src .venv/bin/imgorg run /tmp/cifar-train10k --out /tmp/ws-labels-train --k 10 --map none

cleanlab lives in its own venv (numpy, scikit-learn, pandas; not an imgorg dependency):

    python3.11 -m venv /tmp/venv-cleanlab && /tmp/venv-cleanlab/bin/pip install cleanlab==2.9.0

Then, per workspace:

    PYTHONPATH=src .venv/bin/python benchmarks/label_issues.py probs /tmp/ws-labels-test /tmp/li-test.npz
    # a small collection (a weaker classifier): --sample 400 draws 400 of the workspace's images,
    # stratified by label (--sample-seed); the flips are 5% of those (--rate: another share)
    /tmp/venv-cleanlab/bin/python benchmarks/label_issues.py cleanlab /tmp/li-test.npz   # -> li-test.cleanlab.json
    PYTHONPATH=src .venv/bin/python benchmarks/label_issues.py report /tmp/li-test.npz
    # how often the suggested label is the true one: all reported rows, those at SURE_RELABEL or
    # more, and those the review relabels (sure_relabels), per setting and pooled over every npz given;
    # --share and --z try other rules for sure_relabels:
    PYTHONPATH=src .venv/bin/python benchmarks/label_issues.py confidence /tmp/li-test.npz /tmp/li-train.npz
    # the ranking variants compared to choose imgorg's (tuned on test only):
    PYTHONPATH=src .venv/bin/python benchmarks/label_issues.py variants /tmp/ws-labels-test
    # the top-ranked images of the unflipped labels (CIFAR's own errors), as a montage:
    PYTHONPATH=src .venv/bin/python benchmarks/label_issues.py real /tmp/ws-labels-test /tmp/li-real.png
    # seconds for out_of_fold_probabilities + label_issues, embeddings vs reduced features:
    PYTHONPATH=src .venv/bin/python benchmarks/label_issues.py cost /tmp/ws-labels-test
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

RATE = 0.05
SEEDS = (0, 1, 2)
# each class's look-alikes; a confusable flip moves a label to one of them (chosen at random)
CONFUSABLE = {
    "airplane": ["ship", "bird"], "automobile": ["truck"], "bird": ["airplane", "frog"], "cat": ["dog"],
    "deer": ["horse"], "dog": ["cat"], "frog": ["cat"], "horse": ["deer"], "ship": ["airplane"],
    "truck": ["automobile"],
}


def flip(labels: np.ndarray, kind: str, seed: int, rate: float = RATE) -> tuple[np.ndarray, np.ndarray]:
    """Noisy labels and the flipped rows: ``rate`` of the rows, chosen uniformly."""
    rng = np.random.default_rng(1000 + seed)
    classes = np.array(sorted(set(labels)), dtype=object)
    rows = np.sort(rng.choice(len(labels), round(rate * len(labels)), replace=False))
    noisy = labels.astype(object).copy()
    for r in rows:
        options = [c for c in classes if c != labels[r]] if kind == "random" else CONFUSABLE[labels[r]]
        noisy[r] = options[rng.integers(len(options))]
    return noisy, rows


def at_k(order: np.ndarray, flipped: np.ndarray, k: int) -> tuple[float, float]:
    hits = np.isin(order[:k], flipped).sum()
    return float(hits / max(min(k, len(order)), 1)), float(hits / len(flipped))


def selected(rows: np.ndarray, flipped: np.ndarray) -> dict:
    hits = np.isin(rows, flipped).sum()
    p, r = hits / max(len(rows), 1), hits / len(flipped)
    return {"count": len(rows), "precision": float(p), "recall": float(r),
            "f1": float(2 * p * r / max(p + r, 1e-12))}


# -- probs: imgorg's side --------------------------------------------------------------------

def cmd_probs(args) -> None:
    import imgorg
    from imgorg.review.labels import label_issues, out_of_fold_probabilities

    ws = imgorg.load_workspace(args.workspace)
    truth = np.asarray(ws.labels, dtype=object)
    features = ws.embeddings if args.features == "embeddings" else ws.reduced
    if args.sample:  # a small collection drawn from a big one: a weaker classifier, the same images
        keep = _stratified(truth, args.sample, args.sample_seed)
        truth, features = truth[keep], features[keep]
    store, rows = {"truth": truth.astype(str), "features": args.features}, []
    for kind in ("random", "confusable"):
        for seed in SEEDS:
            noisy, flipped = flip(truth, kind, seed, args.rate)
            start = time.perf_counter()
            probs, classes = out_of_fold_probabilities(features, noisy, seed=seed)
            fit_s = time.perf_counter() - start
            start = time.perf_counter()
            issues = label_issues(noisy, probs, classes)
            rank_s = time.perf_counter() - start
            ranking = _full_ranking(noisy, probs, classes)
            p, r = at_k(ranking, flipped, len(flipped))
            key = f"{kind}-{seed}"
            store |= {f"{key}-probs": probs, f"{key}-noisy": noisy.astype(str), f"{key}-flipped": flipped,
                      "classes": np.asarray(classes, dtype=str)}
            rows.append({"setting": key, "flipped": len(flipped), "p_at_k": p, "r_at_k": r,
                         "rule": selected(issues["row"].to_numpy(), flipped), "fit_s": fit_s, "rank_s": rank_s,
                         "accuracy_vs_noisy": float((classes[probs.argmax(1)] == noisy).mean())})
            print(f"{key}: P@k {p:.3f} R@k {r:.3f}  rule {rows[-1]['rule']}  fit {fit_s:.1f}s rank {rank_s:.2f}s",
                  flush=True)
    np.savez_compressed(args.out, **store)
    Path(_sidecar(args.out, "imgorg")).write_text(json.dumps(rows, indent=1))


def _stratified(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Sorted rows of a random sample of about ``n``, each label its share of them."""
    rng = np.random.default_rng(seed)
    names, counts = np.unique(labels, return_counts=True)
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(labels == name), round(n * count / len(labels)),
                                              replace=False) for name, count in zip(names, counts)]))


def _full_ranking(noisy, probs, classes) -> np.ndarray:
    """Every row in imgorg's order (label_issues reports a prefix of it); every row has a label here."""
    from imgorg.review.labels import issue_scores

    score, _ = issue_scores(probs, _indices(noisy, classes), np.ones(len(noisy), bool))
    return np.argsort(-score, kind="stable")


def _indices(labels, classes) -> np.ndarray:
    lookup = {c: i for i, c in enumerate(classes)}
    return np.array([lookup[c] for c in labels])


# -- cleanlab's side (its own venv) ------------------------------------------------------------

def cmd_cleanlab(args) -> None:
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    data = np.load(args.npz, allow_pickle=False)
    classes = list(data["classes"])
    lookup = {c: i for i, c in enumerate(classes)}
    rows = []
    for key in sorted({k.rsplit("-", 1)[0] for k in data.files if k.endswith("-probs")}):
        probs = data[f"{key}-probs"].astype(np.float64)
        probs /= probs.sum(axis=1, keepdims=True)
        labels = np.array([lookup[c] for c in data[f"{key}-noisy"]])
        flipped = data[f"{key}-flipped"]
        k = len(flipped)
        start = time.perf_counter()
        ranked = find_label_issues(labels, probs, return_indices_ranked_by="self_confidence", n_jobs=1)
        seconds = time.perf_counter() - start
        mask = find_label_issues(labels, probs, n_jobs=1)  # the default: prune_by_noise_rate
        by_scores = np.argsort(get_label_quality_scores(labels, probs, method="self_confidence"), kind="stable")
        margin = np.argsort(get_label_quality_scores(labels, probs, method="normalized_margin"), kind="stable")
        row = {"setting": key, "flipped": k, "seconds": seconds,
               "ranked_p_at_k": at_k(ranked, flipped, k), "ranking_p_at_k": at_k(by_scores, flipped, k),
               "margin_p_at_k": at_k(margin, flipped, k), "default_filter": selected(np.flatnonzero(mask), flipped)}
        for method in ("confident_learning", "predicted_neq_given", "both"):
            row[method] = selected(np.flatnonzero(find_label_issues(labels, probs, filter_by=method, n_jobs=1)),
                                   flipped)
        rows.append(row)
        print(json.dumps(row), flush=True)
    Path(_sidecar(args.npz, "cleanlab")).write_text(json.dumps(rows, indent=1))


def _sidecar(npz, name) -> str:
    return str(npz).removesuffix(".npz") + f".{name}.json"


# -- report: side by side -------------------------------------------------------------------

def cmd_report(args) -> None:
    ours = {r["setting"]: r for r in json.loads(Path(_sidecar(args.npz, "imgorg")).read_text())}
    theirs = {r["setting"]: r for r in json.loads(Path(_sidecar(args.npz, "cleanlab")).read_text())}
    print("| setting | flipped | imgorg P@k = R@k | cleanlab find_label_issues P@k = R@k | cleanlab self-confidence "
          "ranking P@k | imgorg rule n / P / R | cleanlab default filter n / P / R | fit s |")
    print("|---|---|---|---|---|---|---|---|")
    for key in sorted(ours):
        o, t = ours[key], theirs[key]
        rule, default = o["rule"], t["default_filter"]
        print(f"| {key} | {o['flipped']} | {o['p_at_k']:.3f} | {t['ranked_p_at_k'][0]:.3f} | "
              f"{t['ranking_p_at_k'][0]:.3f} | {rule['count']} / {rule['precision']:.3f} / {rule['recall']:.3f} | "
              f"{default['count']} / {default['precision']:.3f} / {default['recall']:.3f} | {o['fit_s']:.1f} |")
    for kind in ("random", "confusable"):
        keys = [k for k in ours if k.startswith(kind)]
        print(f"{kind} (median over {len(keys)} seeds): imgorg P@k "
              f"{np.median([ours[k]['p_at_k'] for k in keys]):.3f}, cleanlab P@k (self_confidence, ranked "
              f"issues) {np.median([theirs[k]['ranked_p_at_k'][0] for k in keys]):.3f}, cleanlab full "
              f"self-confidence ranking {np.median([theirs[k]['ranking_p_at_k'][0] for k in keys]):.3f}")


# -- confidence: the suggestions the review relabels and those it asks a look at ----------------------

def cmd_confidence(args) -> None:
    import pandas as pd

    from imgorg.review.labels import SURE_BOUND_Z, SURE_SHARE, label_issues, sure_relabels
    from imgorg.tasks.review import SURE_RELABEL

    share = SURE_SHARE if args.share is None else args.share  # the rule sure_relabels applies, or another
    z = SURE_BOUND_Z if args.z is None else args.z
    rows = []
    for npz in args.npz:
        data = np.load(npz, allow_pickle=False)
        truth, classes = data["truth"], data["classes"]
        for key in sorted(k.removesuffix("-probs") for k in data.files if k.endswith("-probs")):
            noisy, probs = data[f"{key}-noisy"], data[f"{key}-probs"]
            issues = label_issues(noisy, probs, classes)
            right = issues["suggested"].to_numpy(str) == truth[issues["row"].to_numpy()]
            floor = issues["confidence"].to_numpy(float) >= SURE_RELABEL
            sure = sure_relabels(noisy, probs, classes, issues["confidence"], floor=SURE_RELABEL, share=share, z=z)[0]
            agree = (classes[probs.argmax(1)] == noisy).mean()
            rows.append({"workspace": Path(npz).stem, "flips": key.rsplit("-", 1)[0], "all": right.mean(),
                         "floor_n": floor.sum(), "floor_right": right[floor].sum(),
                         "sure_n": sure.sum(), "sure_right": right[sure].sum(), "agree": agree})
            print(f"{Path(npz).stem} {key}: classifier names {agree:.0%} of the labels; {len(issues)} reported, "
                  f"suggestion true {right.mean():.1%}; {floor.sum()} at {SURE_RELABEL} or more, true "
                  f"{_share(right[floor])}; {sure.sum()} sure (relabels), true {_share(right[sure])}", flush=True)
    table = pd.DataFrame(rows)

    def pooled(frame, what) -> str:
        n = {name: frame[f"{name}_n"].sum() for name in ("floor", "sure")}
        true = {name: f"{frame[f'{name}_right'].sum() / n[name]:.1%}" if n[name] else "-" for name in n}
        return (f"{what}: classifier names {frame['agree'].min():.0%}-{frame['agree'].max():.0%} of the labels; "
                f"suggestion true for {frame['all'].min():.1%}-{frame['all'].max():.1%} of the reported rows; at "
                f"{SURE_RELABEL} or more {n['floor']} suggestions, {true['floor']} true; sure (relabels) "
                f"{n['sure']}, {true['sure']} true")

    print(pooled(table, f"over {len(table)} settings"))
    for workspace, frame in table.groupby("workspace"):
        print(pooled(frame, f"{workspace} ({len(frame)} settings)"))
        for flips, part in frame.groupby("flips"):
            print(pooled(part, f"  {flips} flips ({len(part)} seeds)"))


def _share(right: np.ndarray) -> str:
    return f"{right.mean():.1%}" if len(right) else "-"


# -- variants: the ranking choice, measured on the test workspace only -----------------------------

def cmd_variants(args) -> None:
    import imgorg
    from imgorg.review import labels as li

    ws = imgorg.load_workspace(args.workspace)
    truth = np.asarray(ws.labels, dtype=object)
    for features_name in args.features.split(","):
        features = ws.embeddings if features_name == "embeddings" else ws.reduced
        for weight in (0.0, 0.25, 0.5):
            table = {}
            for kind in ("random", "confusable"):
                for seed in SEEDS[:args.seeds]:
                    noisy, flipped = flip(truth, kind, seed)
                    start = time.perf_counter()
                    probs, classes = li.out_of_fold_probabilities(features, noisy, seed=seed, neighbour_weight=weight)
                    seconds = time.perf_counter() - start
                    given = _indices(noisy, classes)
                    variants = _variant_scores(probs, given) | {
                        "imgorg": li.issue_scores(probs, given, np.ones(len(given), bool))[0]}
                    for name, score in variants.items():
                        table.setdefault((kind, name), []).append(at_k(np.argsort(-score, kind="stable"),
                                                                       flipped, len(flipped))[0])
                    table.setdefault((kind, "report rule F1"), []).append(
                        selected(li.label_issues(noisy, probs, classes)["row"].to_numpy(), flipped)["f1"])
                    table.setdefault((kind, "seconds"), []).append(seconds)
            for (kind, name), values in sorted(table.items()):
                print(f"{features_name} knn={weight} {kind:10s} {name:22s} {np.median(values):.3f}", flush=True)


def _variant_scores(probs, given) -> dict[str, np.ndarray]:
    n = len(probs)
    p_given = probs[np.arange(n), given]
    others = probs.copy()
    others[np.arange(n), given] = -np.inf
    best_other = others.max(axis=1)
    thresholds = np.array([probs[given == j, j].mean() for j in range(probs.shape[1])])
    adjusted = probs / thresholds  # confident learning's per-class thresholds as a scale
    others_adj = adjusted.copy()
    others_adj[np.arange(n), given] = -np.inf
    entropy = -(probs * np.log(np.maximum(probs, 1e-12))).sum(axis=1) / np.log(probs.shape[1])
    return {"self_confidence": 1 - p_given, "normalized_margin": best_other - p_given,
            "other x 0.05": 0.05 * best_other - p_given, "other x 0.1": 0.1 * best_other - p_given,
            "other x 0.2": 0.2 * best_other - p_given,
            "class_adjusted_conf": -adjusted[np.arange(n), given],
            "class_adjusted_margin": others_adj.max(axis=1) - adjusted[np.arange(n), given],
            "conf_weighted_entropy": entropy / np.maximum(p_given, 1e-12)}


# -- real: CIFAR's own label errors ------------------------------------------------------------

def cmd_real(args) -> None:
    from PIL import Image

    import imgorg
    from imgorg.review.labels import label_issues, out_of_fold_probabilities

    ws = imgorg.load_workspace(args.workspace)
    labels = np.asarray(ws.labels, dtype=object)
    features = ws.embeddings if args.features == "embeddings" else ws.reduced
    issues = label_issues(labels, *out_of_fold_probabilities(features, labels))
    print(f"{len(issues)} reported on the unflipped labels ({len(issues) / len(labels):.1%})")
    top = issues.head(args.top).copy()
    images = ws.images.reset_index(drop=True)
    top.insert(0, "path", images["path"].to_numpy()[top["row"]])
    print(top.to_string(index=False))
    tile = 96
    montage = Image.new("RGB", (tile * 8, tile * ((len(top) + 7) // 8)), "white")
    for i, path in enumerate(top["path"]):
        image = Image.open(Path(ws.manifest["source"]["root"]) / path)
        montage.paste(image.convert("RGB").resize((tile, tile)), (tile * (i % 8), tile * (i // 8)))
    montage.save(args.out)


# -- cost: seconds on the embeddings and on the reduced features ----------------------------------

def cmd_cost(args) -> None:
    import imgorg
    from imgorg.review.labels import label_issues, out_of_fold_probabilities

    ws = imgorg.load_workspace(args.workspace)
    labels = np.asarray(ws.labels, dtype=object)
    times = {"embeddings": [], "reduced": []}
    for _ in range(args.repeats):  # alternating, medians
        for name, values in times.items():
            start = time.perf_counter()
            label_issues(labels, *out_of_fold_probabilities(ws.embeddings if name == "embeddings" else ws.reduced,
                                                              labels))
            values.append(time.perf_counter() - start)
    for name, values in times.items():
        print(f"{name} {ws.embeddings.shape if name == 'embeddings' else ws.reduced.shape}: median "
              f"{np.median(values):.2f} s over {len(values)} (min {min(values):.2f}); load {os.getloadavg()[0]:.1f}")


# -- subset: the held-out folder -------------------------------------------------------------

def cmd_subset(args) -> None:
    rng = np.random.default_rng(2024)
    for name in sorted(os.listdir(args.source)):
        files = sorted(os.listdir(Path(args.source) / name))
        (Path(args.target) / name).mkdir(parents=True, exist_ok=True)
        for i in np.sort(rng.choice(len(files), args.per_class, replace=False)):
            link = Path(args.target) / name / files[i]
            if not link.exists():
                link.symlink_to(Path(args.source).resolve() / name / files[i])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    features = ("--features", {"default": "embeddings", "choices": ("embeddings", "reduced")})
    commands = {  # name: (what it runs, its arguments)
        "probs": (cmd_probs, ["workspace", "out", features, ("--sample", {"type": int, "default": 0}),
                              ("--sample-seed", {"type": int, "default": 0}),
                              ("--rate", {"type": float, "default": RATE})]), "cleanlab": (cmd_cleanlab, ["npz"]),
        "report": (cmd_report, ["npz"]),
        "confidence": (cmd_confidence, [("npz", {"nargs": "+"}), ("--share", {"type": float}),
                                        ("--z", {"type": float})]),
        "variants": (cmd_variants, ["workspace", ("--features", {"default": "embeddings"}),
                                    ("--seeds", {"type": int, "default": 2})]),
        "real": (cmd_real, ["workspace", "out", ("--top", {"type": int, "default": 32}), features]),
        "cost": (cmd_cost, ["workspace", ("--repeats", {"type": int, "default": 3})]),
        "subset": (cmd_subset, ["source", "target", ("--per-class", {"type": int, "default": 1000})]),
    }
    for name, (run, arguments) in commands.items():
        command = sub.add_parser(name)
        for argument in arguments:
            flag, options = (argument, {}) if isinstance(argument, str) else argument
            command.add_argument(flag, **options)
        command.set_defaults(run=run)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    sys.exit(main())
