"""Side-by-side with fastdup (visual-layer, PyPI ``fastdup``): its features' clustering quality on
CIFAR-10 test, its run time, and its near-duplicate precision/recall on imgorg's planted corpus.

fastdup is under a non-commercial licence: it is never a dependency of imgorg and never goes
into the project's venv. Run this file with a separate venv that holds fastdup 2.54 only:

    python3.11 -m venv /tmp/venv-fastdup && /tmp/venv-fastdup/bin/pip install fastdup==2.54
    export SENTRY_OPT_OUT=1 FASTDUP_PRODUCTION=1   # see "Telemetry" below
    /tmp/venv-fastdup/bin/python benchmarks/competitors/fastdup_compare.py run /tmp/cifar/test /tmp/fd-cmp-1
    /tmp/venv-fastdup/bin/python benchmarks/competitors/fastdup_compare.py quality /tmp/fd-cmp-1
    /tmp/venv-fastdup/bin/python benchmarks/competitors/fastdup_compare.py neardup /tmp/imgorg-neardup/images /tmp/fd-neardup

benchmarks/competitors/run_fastdup.sh drives all of it (and times imgorg alongside).

Subcommands
  run      fastdup.create(work_dir, input_dir).run(...) with fastdup's defaults (threshold 0.9,
           cc_threshold 0.96, nearest_neighbors_k 2, its bundled ONNX model, d=576, num_threads
           auto) plus run_sentry=False; prints the seconds fd.run() took.
  quality  loads the features fastdup wrote (atrain_features.dat + .csv, in that file order),
           labels = each file's parent folder; L2 -> PCA(50, random_state=0) -> k-means
           (k=10, n_init=10, random_state=seed) for seeds 0..4: ACC (Hungarian), NMI, ARI;
           nearest-neighbour precision@20 and mAP@20 on the L2-normalised full features
           (exact cosine, self excluded) -- the protocol of imgorg's benchmarks/cluster_quality.py
           and `imgorg search --evaluate`.
  neardup  runs fastdup on the corpus of benchmarks/near_duplicates.py (1,000 CIFAR images plus
           4 copies of 200: 2,000 true pairs) at each threshold t, with threshold=t and
           cc_threshold=t, and scores (a) raw pairs from similarity.csv (score > t) and
           (b) every pair inside one of its connected components, as imgorg counts groups.
           Also fastdup's default (threshold 0.9, cc_threshold 0.96). Repeated for each
           --k (nearest_neighbors_k; fastdup's default 2 keeps at most 2 neighbours an image,
           while each planted image has 4 true partners).
  copies   in one neardup work dir: each planted copy's cosine to its original and its rank among
           the original's neighbours, per transform (exact, on fastdup's features).

Telemetry: fastdup's Python layer reports to Sentry and checks PyPI for a newer version at
import unless $SENTRY_OPT_OUT (Sentry) and $FASTDUP_PRODUCTION (the PyPI version check) are
set; its C++ library has its own Sentry client, off only with the run option run_sentry=False
(turi_param run_sentry=0). This script refuses to run without both variables and always passes
run_sentry=False.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

if __name__ == "__main__" and not ({"SENTRY_OPT_OUT", "FASTDUP_PRODUCTION"} <= set(os.environ)):
    sys.exit("set SENTRY_OPT_OUT=1 and FASTDUP_PRODUCTION=1 first (fastdup telemetry / PyPI check at import)")

import numpy as np
import pandas as pd

NO_TELEMETRY = {"run_sentry": False}


def fastdup_run(input_dir: Path, work_dir: Path, **options) -> float:
    """fastdup on input_dir into a fresh work_dir; returns fd.run()'s seconds."""
    import fastdup

    if work_dir.exists() and any(work_dir.iterdir()):
        raise SystemExit(f"{work_dir} is not empty: give a fresh work dir")
    fd = fastdup.create(work_dir=str(work_dir), input_dir=str(input_dir))
    start = time.perf_counter()
    fd.run(**NO_TELEMETRY, **options)
    return time.perf_counter() - start


def features(work_dir: Path) -> tuple[list[str], np.ndarray]:
    """fastdup's feature matrix and the file each row belongs to (atrain_features.dat.csv order)."""
    import fastdup

    config = json.loads((work_dir / "config.json").read_text())
    d = int(config.get("embeddings_dim") or config["d"])
    names, x = fastdup.load_binary_feature(str(work_dir / "atrain_features.dat"), d=d)
    index = pd.read_csv(work_dir / "atrain_features.dat.csv")["index"].to_numpy()
    if not np.array_equal(index, np.arange(len(names))):
        raise SystemExit("atrain_features.dat.csv index is not 0..n-1; row order unknown")
    return names, np.asarray(x, dtype=np.float32)


def bad_files(work_dir: Path) -> pd.DataFrame:
    path = work_dir / "atrain_features.bad.csv"
    return pd.read_csv(path) if path.exists() else pd.DataFrame()


def l2(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def hungarian_accuracy(truth: np.ndarray, pred: np.ndarray) -> float:
    from scipy.optimize import linear_sum_assignment

    t_values, t = np.unique(truth, return_inverse=True)
    p_values, p = np.unique(pred, return_inverse=True)
    counts = np.zeros((len(p_values), len(t_values)), dtype=np.int64)
    np.add.at(counts, (p, t), 1)
    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum() / len(pred))


def neighbour_scores(x: np.ndarray, labels: np.ndarray, k: int = 20, chunk: int = 1000) -> dict:
    """Exact cosine k-NN (self excluded): precision@k and mAP@k as imgorg's metrics.retrieval_scores."""
    x = l2(x)
    rows = np.empty((len(x), k), dtype=np.int64)
    for start in range(0, len(x), chunk):
        sims = x[start:start + chunk] @ x.T
        sims[np.arange(len(sims)), np.arange(start, start + len(sims))] = -np.inf
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
        rows[start:start + chunk] = np.take_along_axis(top, order, axis=1)
    relevant = labels[rows] == labels[:, None]
    precision_at_i = np.cumsum(relevant, axis=1) / np.arange(1, k + 1)
    available = pd.Series(labels).map(pd.Series(labels).value_counts()).to_numpy() - 1
    ap = (precision_at_i * relevant).sum(axis=1) / np.maximum(np.minimum(k, available), 1)
    return {"k": k, "precision_at_k": float(relevant.mean()), "map_at_k": float(ap.mean())}


def cmd_run(args) -> None:
    seconds = fastdup_run(args.input, args.work_dir)
    names, x = features(args.work_dir)
    bad = bad_files(args.work_dir)
    out = {"fd_run_seconds": seconds, "n_features": len(names), "dim": int(x.shape[1]), "n_bad_files": len(bad)}
    print(json.dumps(out))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


def cmd_quality(args) -> None:
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    names, x = features(args.work_dir)
    bad = bad_files(args.work_dir)
    labels = np.array([Path(n).parent.name for n in names], dtype=object)
    print(f"{len(names):,} feature rows, dim {x.shape[1]}, {len(set(names)):,} distinct files, "
          f"{len(bad)} files in atrain_features.bad.csv, classes {dict(pd.Series(labels).value_counts().sort_index())}")
    if args.expect and len(names) != args.expect:
        print(f"WARNING: expected {args.expect} rows")
    for other in args.compare_with:
        other_names, other_x = features(other)
        same_order = other_names == names
        diff = float(np.abs(other_x - x).max()) if same_order and other_x.shape == x.shape else float("nan")
        print(f"vs {other}: same file order {same_order}, max |feature difference| {diff:.3g}")
    norms = np.linalg.norm(x, axis=1)
    print(f"raw feature norms: min {norms.min():.4f} median {np.median(norms):.4f} max {norms.max():.4f}; "
          f"rows all-zero: {int((norms == 0).sum())}")
    reduced = PCA(n_components=args.pca_dim, random_state=0).fit_transform(l2(x)).astype(np.float32)
    per_seed = []
    for seed in args.seeds:
        pred = KMeans(n_clusters=args.k, init="k-means++", n_init=10, random_state=seed).fit_predict(reduced)
        row = {"seed": seed, "acc": hungarian_accuracy(labels, pred),
               "nmi": float(normalized_mutual_info_score(labels, pred)),
               "ari": float(adjusted_rand_score(labels, pred))}
        per_seed.append(row)
        print(f"seed {seed}: ACC {row['acc']:.4f} NMI {row['nmi']:.4f} ARI {row['ari']:.4f}", flush=True)
    summary = {m: {"mean": float(np.mean([r[m] for r in per_seed])), "min": float(np.min([r[m] for r in per_seed])),
                   "max": float(np.max([r[m] for r in per_seed]))} for m in ("acc", "nmi", "ari")}
    print("k-means k=10 after L2+PCA-50, mean [min, max]: " +
          " | ".join(f"{m.upper()} {s['mean']:.3f} [{s['min']:.3f}, {s['max']:.3f}]" for m, s in summary.items()))
    retrieval = neighbour_scores(x, labels, k=20)
    print(f"nearest-neighbour precision@20 {retrieval['precision_at_k']:.3f}, mAP@20 {retrieval['map_at_k']:.3f} "
          f"(exact cosine on L2-normalised {x.shape[1]}-d features, self excluded)")
    out = {"n": len(names), "dim": int(x.shape[1]), "n_bad_files": len(bad), "per_seed": per_seed,
           "kmeans": summary, "retrieval": retrieval}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


def pairs_in_groups(groups: dict) -> set[tuple[str, str]]:
    out = set()
    for members in groups.values():
        out.update(itertools.combinations(sorted(members), 2))
    return out


def origin(relpath: str) -> str:
    """<class>/<stem> of the original an image came from (copies are <stem>_<transform>.png)."""
    p = Path(relpath)
    return f"{p.parent.name}/{p.name.split('_')[0].split('.')[0]}"


def key(name: str) -> str:
    p = Path(name)
    return f"{p.parent.name}/{p.name}"


def score_neardup(work_dir: Path, raw_threshold: float, cc_threshold: float) -> dict:
    names, _ = features(work_dir)
    keys = [key(n) for n in names]
    truth = {(a, b) for a, b in itertools.combinations(sorted(keys), 2) if origin(a) == origin(b)}
    sim_all = pd.read_csv(work_dir / "similarity.csv")
    sim = sim_all[sim_all["distance"] > raw_threshold]
    raw = {tuple(sorted((keys[a], keys[b]))) for a, b in zip(sim["from"], sim["to"]) if a != b}
    cc = pd.read_csv(work_dir / "connected_components.csv")
    groups: dict = {}
    for fd_id, comp in zip(cc["__id"], cc["component_id"]):
        groups.setdefault(comp, []).append(keys[fd_id])
    groups = {c: m for c, m in groups.items() if len(m) > 1}
    grouped = pairs_in_groups(groups)

    # Cross-check: are its components the connected components of its k-NN pairs above cc_threshold?
    parent = list(range(len(keys)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b, score in zip(sim_all["from"], sim_all["to"], sim_all["distance"]):
        if score > cc_threshold:
            parent[find(a)] = find(b)
    ours: dict = {}
    for i in range(len(keys)):
        ours.setdefault(find(i), []).append(keys[i])
    same_as_union_find = pairs_in_groups({c: m for c, m in ours.items() if len(m) > 1}) == grouped

    def pr(found):
        hits = len(found & truth)
        return {"found": len(found), "hits": hits, "precision": hits / max(len(found), 1),
                "recall": hits / len(truth)}

    return {"n_images": len(keys), "true_pairs": len(truth), "n_bad_files": len(bad_files(work_dir)),
            "similarity_rows": int(len(sim_all)), "cc_equals_union_find_of_similarity": same_as_union_find,
            "raw": pr(raw), "components": pr(grouped), "n_groups": len(groups),
            "largest_group": max((len(m) for m in groups.values()), default=0)}


def cmd_neardup(args) -> None:
    settings = []
    for k in args.k:
        settings.append(("default", k, 0.9, 0.96))
        settings += [(f"t={t}", k, t, t) for t in args.thresholds]
    results, table = [], []
    header = (f"{'setting':<9} {'k':>3} {'thr':>5} {'cc_thr':>6} | {'raw found':>9} {'prec':>6} {'recall':>6} | "
              f"{'cc found':>8} {'prec':>6} {'recall':>6} {'groups':>6} {'max':>4} | secs")
    for name, k, threshold, cc_threshold in settings:
        work = args.work_root / f"k{k}-thr{threshold}-cc{cc_threshold}"
        seconds = fastdup_run(args.corpus, work, threshold=threshold, cc_threshold=cc_threshold,
                              nearest_neighbors_k=k)
        r = score_neardup(work, threshold, cc_threshold)
        r.update(setting=name, nearest_neighbors_k=k, threshold=threshold, cc_threshold=cc_threshold,
                 fd_run_seconds=seconds)
        results.append(r)
        table.append(f"{name:<9} {k:>3} {threshold:5.2f} {cc_threshold:6.2f} | {r['raw']['found']:9d} "
                     f"{r['raw']['precision']:6.3f} {r['raw']['recall']:6.3f} | {r['components']['found']:8d} "
                     f"{r['components']['precision']:6.3f} {r['components']['recall']:6.3f} {r['n_groups']:6d} "
                     f"{r['largest_group']:4d} | {seconds:.1f}")
        print(f"\n{table[-1]}", flush=True)
    # fastdup's progress bars share stdout (with carriage returns): the table again, clean, at the end
    print("\n== summary\n" + "\n".join([header] + table))
    print(f"{results[0]['n_images']:,} images, {results[0]['true_pairs']:,} true pairs, "
          f"similarity.csv rows per run {[r['similarity_rows'] for r in results]}, "
          f"bad files per run {sorted({r['n_bad_files'] for r in results})}, its components == union-find of "
          f"its similarity.csv pairs above cc_threshold: {[r['cc_equals_union_find_of_similarity'] for r in results]}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def cmd_copies(args) -> None:
    """Why pairs are missed: each copy's cosine to its original (fastdup's features, exact) and its
    rank among the original's neighbours, per transform; random pairs for scale."""
    names, x = features(args.work_dir)
    x = l2(x)
    keys = [key(n) for n in names]
    row = {k: i for i, k in enumerate(keys)}
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, len(x), 20_000), rng.integers(0, len(x), 20_000)
    keep = a != b
    out = {"random_pair_cosine_percentiles": dict(zip(["p50", "p90", "p99", "p99.9"],
           np.percentile(sims[a[keep], b[keep]], [50, 90, 99, 99.9]).round(3).tolist())), "copies": {}}
    print(f"{len(keys):,} images; cosine of random pairs: {out['random_pair_cosine_percentiles']}")
    originals = [k for k in keys if "_" not in Path(k).name]
    for transform in sorted({Path(k).stem.split("_", 1)[1] for k in keys if "_" in Path(k).name}):
        cos, rank = [], []
        for o in originals:
            c = f"{Path(o).parent.name}/{Path(o).stem}_{transform}.png"
            if c in row:
                i, j = row[o], row[c]
                cos.append(sims[i, j])
                rank.append(int((sims[i] > sims[i, j]).sum()) + 1)
        cos, rank = np.array(cos), np.array(rank)
        r = {"n": len(cos), "cos_median": float(np.median(cos)), "cos_min": float(cos.min()),
             "rank_median": float(np.median(rank)), "rank_le_4": float((rank <= 4).mean()),
             "cos_gt_0.9": float((cos > 0.9).mean())}
        out["copies"][transform] = r
        print(f"{transform:8s} n={r['n']}: cosine to original median {r['cos_median']:.3f} min {r['cos_min']:.3f}, "
              f"> 0.9 for {r['cos_gt_0.9']:.1%}; its rank among the original's neighbours median "
              f"{r['rank_median']:.0f}, within top 4 for {r['rank_le_4']:.1%}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run", help="fastdup with its defaults on a folder, timed")
    p.add_argument("input", type=Path)
    p.add_argument("work_dir", type=Path)
    p.add_argument("--json", type=Path)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("quality", help="k-means / k-NN quality of the features in a fastdup work dir")
    p.add_argument("work_dir", type=Path)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--pca-dim", type=int, default=50)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--expect", type=int, default=10_000)
    p.add_argument("--compare-with", type=Path, nargs="*", default=[], help="other work dirs: same features?")
    p.add_argument("--json", type=Path)
    p.set_defaults(func=cmd_quality)
    p = sub.add_parser("neardup", help="precision/recall on the planted near-duplicate corpus")
    p.add_argument("corpus", type=Path)
    p.add_argument("work_root", type=Path)
    p.add_argument("--thresholds", type=float, nargs="+", default=[0.70, 0.75, 0.80, 0.85, 0.90, 0.95])
    p.add_argument("--k", type=int, nargs="+", default=[2, 10], help="nearest_neighbors_k values")
    p.add_argument("--json", type=Path)
    p.set_defaults(func=cmd_neardup)
    p = sub.add_parser("copies", help="per-transform cosine/rank of each planted copy to its original")
    p.add_argument("work_dir", type=Path)
    p.add_argument("--json", type=Path)
    p.set_defaults(func=cmd_copies)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
