"""Near-duplicate detection: imgorg vs imagededup's hashing methods (PHash, DHash, WHash, AHash).

Runs with imagededup's own venv, never the project's:

    python3.11 -m venv /tmp/venv-imagededup
    /tmp/venv-imagededup/bin/pip install --no-deps imagededup==0.3.3.post2
    /tmp/venv-imagededup/bin/pip install Pillow tqdm scikit-learn PyWavelets matplotlib

imagededup's package ``__init__`` files import its CNN code (torch, torchvision); the hashing
methods need neither. ``load_hashing`` registers ``imagededup.methods`` and ``imagededup.utils``
as bare packages (their real folders, ``__init__`` not run), then imports
``imagededup.methods.hashing`` unchanged. The CNN method is out of scope (and would download
MobileNet weights at run time, which fails offline).

    # 1. precision/recall on the planted corpus (benchmarks/near_duplicates.py build_corpus)
    /tmp/venv-imagededup/bin/python benchmarks/competitors/imagededup_compare.py quality \
        /tmp/imgorg-neardup/images /tmp/imgorg-neardup-train/images --out /tmp/imagededup-quality.json
    # 2. timings on a folder, tools alternating round by round, every command under flock
    /tmp/venv-imagededup/bin/python benchmarks/competitors/imagededup_compare.py timing \
        --dir /tmp/cifar/test --rounds 3 --out /tmp/imagededup-timing.json

A found pair is counted two ways: (i) raw, each (a, b) that find_duplicates reports;
(ii) components, every pair within a connected component of the reported pairs (how imgorg's
groups are counted in benchmarks/near_duplicates.py). Truth: every pair within an original and its
copies (tests/corpus.py ``write_copies`` names them <stem>_<transform>.png).
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import shutil
import subprocess
import sys
import time
import types
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parents[2]
LOCK = "/tmp/imgorg-bench.lock"
IMGORG = REPO / ".venv" / "bin" / "imgorg"
THRESHOLDS = (10, 4, 6, 8, 12, 14)  # 10 is imagededup's default max_distance_threshold
DEFAULT = 10
COPY_TYPES = ("resized", "jpeg30", "crop10", "bright")


def load_hashing():
    """imagededup.methods.hashing without the package __init__ files (they import torch/torchvision)."""
    import imagededup

    root = Path(imagededup.__file__).parent
    for sub in ("methods", "utils"):
        module = types.ModuleType(f"imagededup.{sub}")
        module.__path__ = [str(root / sub)]
        sys.modules[module.__name__] = module
    import imagededup.methods.hashing as hashing

    assert "torch" not in sys.modules and "torchvision" not in sys.modules
    return hashing


# -- quality ---------------------------------------------------------------------------------

def origin_and_kind(name: str) -> tuple[str, str]:
    folder, _, file = name.rpartition("/")
    stem = file.rsplit(".", 1)[0]
    base, _, kind = stem.partition("_")
    return f"{folder}/{base}", (kind or "original")


def truth_pairs(names: list[str]) -> set[frozenset]:
    by_origin = defaultdict(list)
    for name in names:
        by_origin[origin_and_kind(name)[0]].append(name)
    return {frozenset(p) for group in by_origin.values() for p in itertools.combinations(sorted(group), 2)}


def reported_pairs(result: dict) -> tuple[set[frozenset], int]:
    pairs, directed = set(), 0
    for a, found in result.items():
        for b, _score in found:
            directed += 1
            pairs.add(frozenset((a, b)))
    return pairs, directed


def component_pairs(pairs: set[frozenset]) -> set[frozenset]:
    parent: dict[str, str] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in (tuple(p) for p in pairs):
        parent[find(a)] = find(b)
    groups = defaultdict(list)
    for x in list(parent):
        groups[find(x)].append(x)
    return {frozenset(p) for g in groups.values() for p in itertools.combinations(g, 2)}


def pair_kind(pair: frozenset) -> str:
    kinds = sorted(origin_and_kind(n)[1] for n in pair)
    if "original" in kinds:
        return "original-" + next(k for k in kinds if k != "original")
    return "copy-copy"


def score(found: set[frozenset], truth: set[frozenset]) -> dict:
    hits = len(found & truth)
    out = {"found": len(found), "hits": hits, "precision": hits / max(len(found), 1), "recall": hits / len(truth)}
    by_kind = defaultdict(lambda: [0, 0])
    for pair in truth:
        by_kind[pair_kind(pair)][1] += 1
        by_kind[pair_kind(pair)][0] += pair in found
    out["recall_by_kind"] = {k: {"hits": h, "of": n, "recall": h / n} for k, (h, n) in sorted(by_kind.items())}
    return out


def quality(args) -> None:
    hashing = load_hashing()
    import imagededup

    report = {"imagededup": imagededup.__version__, "corpora": {}}
    for corpus in args.corpus:
        entry = report["corpora"][str(corpus)] = {}
        for method in args.methods.split(","):
            hasher = getattr(hashing, method)(verbose=False)
            t0 = time.perf_counter()
            encodings = hasher.encode_images(str(corpus), recursive=True)
            encode_s = time.perf_counter() - t0
            names = sorted(encodings)
            truth = truth_pairs(names)
            rows = entry[method] = {"images": len(names), "true_pairs": len(truth), "encode_s": encode_s,
                                    "thresholds": {}}
            for threshold in (tuple(int(t) for t in args.thresholds.split(",")) if args.thresholds else THRESHOLDS):
                result = hasher.find_duplicates(encoding_map=encodings, max_distance_threshold=threshold, scores=True)
                raw, directed = reported_pairs(result)
                rows["thresholds"][threshold] = {"directed_reports": directed, "raw": score(raw, truth),
                                                 "components": score(component_pairs(raw), truth)}
            # Hamming distance of each true pair, by kind: where the thresholds cut
            dist = defaultdict(list)
            for pair in truth:
                a, b = tuple(pair)
                dist[pair_kind(pair)].append(int(hasher.hamming_distance(encodings[a], encodings[b])))
            rows["true_pair_distance"] = {k: {"median": sorted(v)[len(v) // 2], "max": max(v),
                                              "le10": sum(d <= 10 for d in v), "n": len(v)}
                                          for k, v in sorted(dist.items())}
        print_quality(str(corpus), entry)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))
        print(f"written {args.out}")


def print_quality(corpus: str, entry: dict) -> None:
    first = next(iter(entry.values()))
    print(f"\n== {corpus}: {first['images']:,} images, {first['true_pairs']:,} true pairs, imagededup hashing")
    print(f"{'method':<6} {'thr':>3} | {'raw found':>9} {'prec':>6} {'recall':>6} | {'comp found':>10} {'prec':>6} {'recall':>6}")
    for method, rows in entry.items():
        for threshold in sorted(rows["thresholds"]):
            r = rows["thresholds"][threshold]
            raw, comp = r["raw"], r["components"]
            mark = "*" if threshold == DEFAULT else " "
            print(f"{method:<6} {threshold:>2}{mark} | {raw['found']:9d} {raw['precision']:6.3f} {raw['recall']:6.3f} | "
                  f"{comp['found']:10d} {comp['precision']:6.3f} {comp['recall']:6.3f}")
    kinds = list(first["thresholds"][DEFAULT]["raw"]["recall_by_kind"])
    print(f"\nrecall by pair kind at the default threshold {DEFAULT} (raw / components); n per kind: "
          + ", ".join(f"{k} {first['thresholds'][DEFAULT]['raw']['recall_by_kind'][k]['of']}" for k in kinds))
    print(f"{'method':<6} " + " ".join(f"{k:>20}" for k in kinds))
    for method, rows in entry.items():
        r = rows["thresholds"][DEFAULT]
        cells = [f"{r['raw']['recall_by_kind'][k]['recall']:.3f} / {r['components']['recall_by_kind'][k]['recall']:.3f}"
                 for k in kinds]
        print(f"{method:<6} " + " ".join(f"{c:>20}" for c in cells))
    print("\nHamming distance of true pairs by kind (median / max / share <= 10)")
    for method, rows in entry.items():
        print(f"{method:<6} " + "  ".join(f"{k} {v['median']}/{v['max']}/{v['le10'] / v['n']:.3f}"
                                          for k, v in rows["true_pair_distance"].items()))


# -- timing ----------------------------------------------------------------------------------

def phash_once(args) -> None:
    """One imagededup user's call, PHash().find_duplicates(image_dir=..., recursive=True), timed in-process."""
    t_import = time.perf_counter()
    hashing = load_hashing()
    import_s = time.perf_counter() - t_import
    marks = {}

    class Mark(logging.Handler):
        def emit(self, record):
            marks.setdefault(record.getMessage(), time.perf_counter())

    logging.getLogger("imagededup.methods.hashing").addHandler(Mark())
    t0 = time.perf_counter()
    result = hashing.PHash().find_duplicates(image_dir=args.dir, recursive=True)  # defaults: threshold 10
    total = time.perf_counter() - t0
    encode = marks["End: Calculating hashes!"] - marks["Start: Calculating hashes..."]
    search = marks["End: Evaluating hamming distances for getting duplicates"] - marks[
        "Start: Evaluating hamming distances for getting duplicates"]
    pairs = {frozenset((a, b)) for a, found in result.items() for b in found}
    print(json.dumps({"import_s": import_s, "call_s": total, "encode_s": encode, "find_s": search,
                      "images": len(result), "pairs": len(pairs),
                      "images_in_a_pair": len({n for p in pairs for n in p})}))


def exec_timed(args) -> None:
    """Run each '--and'-separated command in turn (inside the caller's flock), print their wall times."""
    commands, current = [], []
    for token in args.command:
        if token == "--and":
            commands.append(current)
            current = []
        else:
            current.append(token)
    commands.append(current)
    out = []
    for command in commands:
        t0 = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True)
        out.append({"cmd": command, "rc": proc.returncode, "wall_s": time.perf_counter() - t0,
                    "stdout_head": proc.stdout[:1500], "stdout_tail": proc.stdout[-1500:], "stderr_tail": proc.stderr[-1500:]})
        if proc.returncode:
            break
    print(json.dumps(out))


def locked(command: list[str], env=None) -> list[dict]:
    """``flock LOCK python this exec-timed COMMAND``: the lock wait is outside the measured time."""
    full = ["flock", LOCK, sys.executable, str(HERE), "exec-timed", "--", *command]
    waited = time.perf_counter()
    proc = subprocess.run(full, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise SystemExit(f"{full} failed: {proc.stderr[-3000:]}")
    runs = json.loads(proc.stdout.strip().splitlines()[-1])
    for run in runs:
        run["loadavg_after"] = os.getloadavg()
    print(f"    ({time.perf_counter() - waited:.1f} s including the lock wait)", flush=True)
    for run in runs:
        if run["rc"]:
            raise SystemExit(f"{run['cmd']} exited {run['rc']}: {run['stderr_tail']}")
    return runs


def imagededup_round(folder: Path) -> dict:
    [run] = locked([sys.executable, str(HERE), "phash-once", "--dir", str(folder)])
    inner = json.loads(run["stdout_tail"].strip().splitlines()[-1])
    out = {"process_wall_s": run["wall_s"], "loadavg_after": run["loadavg_after"], **inner}
    print(f"  imagededup PHash: process {run['wall_s']:.2f} s, call {inner['call_s']:.2f} s "
          f"(encode {inner['encode_s']:.2f}, find {inner['find_s']:.2f}), {inner['pairs']} pairs", flush=True)
    return out


def imgorg_round(folder: Path, scratch: Path) -> dict:
    cache, ws = scratch / "cache", scratch / "ws"
    shutil.rmtree(scratch, ignore_errors=True)
    cache.mkdir(parents=True)
    env = {**os.environ, "IMGORG_CACHE": str(cache)}
    cold = locked([str(IMGORG), "run", str(folder), "--out", str(ws), "--no-report", "--and",
                   str(IMGORG), "duplicates", str(ws)], env=env)
    manifest = json.loads((ws / "manifest.json").read_text())
    [warm] = locked([str(IMGORG), "duplicates", str(ws)], env=env)
    [fast] = locked([str(IMGORG), "duplicates", str(folder), "--fast", "--out", str(scratch / "fast")], env=env)
    out = {"run_s": cold[0]["wall_s"], "duplicates_s": cold[1]["wall_s"],
           "from_nothing_s": cold[0]["wall_s"] + cold[1]["wall_s"],
           "duplicates_existing_ws_s": warm["wall_s"],
           "fast_s": fast["wall_s"],
           "fast_summary": [line for line in fast["stdout_head"].splitlines() if "groups of" in line][:1],
           "stage_timings": manifest.get("timings") or manifest.get("timing") or manifest.get("seconds"),
           "duplicates_summary": [line for line in cold[1]["stdout_head"].splitlines() if "groups of" in line][:1],
           "loadavg_after": [r["loadavg_after"] for r in (*cold, warm)],
           "cache_files_after": sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file())}
    print(f"  imgorg: run {out['run_s']:.2f} s + duplicates {out['duplicates_s']:.2f} s = {out['from_nothing_s']:.2f} s "
          f"from nothing; duplicates on the existing workspace {out['duplicates_existing_ws_s']:.2f} s; "
          f"{out['duplicates_summary']}; --fast from nothing {out['fast_s']:.2f} s {out['fast_summary']}", flush=True)
    return out


def timing(args) -> None:
    import statistics

    rounds = []
    for i in range(args.rounds):
        order = ("imagededup", "imgorg") if i % 2 == 0 else ("imgorg", "imagededup")
        print(f"round {i + 1}: {' then '.join(order)}", flush=True)
        entry = {"order": order}
        for tool in order:
            if tool == "imagededup":
                entry["imagededup"] = imagededup_round(args.dir)
            else:
                entry["imgorg"] = imgorg_round(args.dir, args.scratch / f"round{i + 1}")
        rounds.append(entry)
    medians = {
        "imagededup_process_wall_s": statistics.median(r["imagededup"]["process_wall_s"] for r in rounds),
        "imagededup_call_s": statistics.median(r["imagededup"]["call_s"] for r in rounds),
        "imagededup_encode_s": statistics.median(r["imagededup"]["encode_s"] for r in rounds),
        "imagededup_find_s": statistics.median(r["imagededup"]["find_s"] for r in rounds),
        "imgorg_run_s": statistics.median(r["imgorg"]["run_s"] for r in rounds),
        "imgorg_duplicates_s": statistics.median(r["imgorg"]["duplicates_s"] for r in rounds),
        "imgorg_from_nothing_s": statistics.median(r["imgorg"]["from_nothing_s"] for r in rounds),
        "imgorg_duplicates_existing_ws_s": statistics.median(r["imgorg"]["duplicates_existing_ws_s"] for r in rounds),
        "imgorg_fast_s": statistics.median(r["imgorg"]["fast_s"] for r in rounds),
    }
    print("medians:", json.dumps(medians, indent=1))
    if args.out:
        args.out.write_text(json.dumps({"rounds": rounds, "medians": medians}, indent=1, default=str))
        print(f"written {args.out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("quality")
    q.add_argument("corpus", type=Path, nargs="+")
    q.add_argument("--out", type=Path)
    q.add_argument("--methods", default="PHash,DHash,WHash,AHash")
    q.add_argument("--thresholds", help="comma-separated max_distance_threshold values (default: 10,4,6,8,12,14)")
    p = sub.add_parser("phash-once")
    p.add_argument("--dir", type=Path, required=True)
    e = sub.add_parser("exec-timed")
    e.add_argument("command", nargs=argparse.REMAINDER)
    t = sub.add_parser("timing")
    t.add_argument("--dir", type=Path, default=Path("/tmp/cifar/test"))
    t.add_argument("--rounds", type=int, default=3)
    t.add_argument("--scratch", type=Path, default=Path("/tmp/imagededup-compare-imgorg"))
    t.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.cmd == "exec-timed" and args.command[:1] == ["--"]:
        args.command = args.command[1:]
    {"quality": quality, "phash-once": phash_once, "exec-timed": exec_timed, "timing": timing}[args.cmd](args)


if __name__ == "__main__":
    main()
