#!/usr/bin/env bash
# fastdup vs imgorg on this machine: wall time (alternating rounds), clustering quality of
# fastdup's features on CIFAR-10 test, near-duplicate precision/recall on imgorg's planted corpus.
#
#   benchmarks/competitors/run_fastdup.sh [OUT]         (default OUT=/tmp/fastdup-compare)
#
# Needs fastdup in its OWN venv (non-commercial licence: never in .venv, never a dependency):
#   python3.11 -m venv /tmp/venv-fastdup && /tmp/venv-fastdup/bin/pip install fastdup==2.54
# Env: FDPY (fastdup's python), CIFAR (CIFAR-10 test folder), ROUNDS (3), STEPS ("time quality neardup").
# Every heavy step runs under `flock /tmp/imgorg-bench.lock` (shared with the other benchmarks);
# /usr/bin/time runs inside the lock, so waiting for it is not timed.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
FDPY=${FDPY:-/tmp/venv-fastdup/bin/python}
CIFAR=${CIFAR:-/tmp/cifar/test}
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-"time quality neardup"}
OUT=${1:-/tmp/fastdup-compare}
LOCK=/tmp/imgorg-bench.lock
SCRIPT="$REPO/benchmarks/competitors/fastdup_compare.py"
IMGORG="$REPO/.venv/bin/imgorg"
CORPUS=/tmp/imgorg-neardup/images

# fastdup telemetry off: Python-side Sentry + PyPI version check at import (the C++ side's
# Sentry is off through run_sentry=False, which fastdup_compare.py always passes).
export SENTRY_OPT_OUT=1 FASTDUP_PRODUCTION=1

mkdir -p "$OUT/logs"
[ -x "$FDPY" ] || { echo "no fastdup venv at $FDPY" >&2; exit 1; }
if [ ! -d "$CIFAR" ]; then
    mkdir -p /tmp/cifar && tar -xzf "$REPO/../shared/datasets/cifar10-jpg.tar.gz" -C /tmp/cifar
fi

{
    echo "date $(date -Is)  host $(hostname)  cores $(nproc)  imgorg $(git -C "$REPO" rev-parse --short HEAD)"
    echo "fastdup $("$FDPY" -c 'import fastdup; print(fastdup.__version__)' 2>/dev/null | tail -1)  python $("$FDPY" -V 2>&1)"
    echo "images: $(find "$CIFAR" -type f | wc -l) under $CIFAR"
} | tee "$OUT/env.txt"

# timed LABEL CMD...: one line "LABEL wall .. user .. sys .. maxrss .." appended to times.txt.
timed() {
    local label=$1; shift
    flock "$LOCK" /usr/bin/time -a -o "$OUT/times.txt" -f "$label wall %e s user %U s sys %S s maxrss %M KB" \
        "$@" > "$OUT/logs/$label.log" 2>&1
    tail -1 "$OUT/times.txt"
}

run_fastdup() {  # round
    rm -rf "$OUT/fd-cifar-$1"
    timed "fastdup-run-$1" "$FDPY" "$SCRIPT" run "$CIFAR" "$OUT/fd-cifar-$1" --json "$OUT/fd-cifar-$1.json"
    echo "   in-process fd.run(): $(cat "$OUT/fd-cifar-$1.json" | tr -d '\n ')"
}
run_embed() {
    rm -rf "/tmp/ws-cmp-embed-$1"
    (cd "$REPO" && timed "imgorg-embed-$1" "$IMGORG" embed "$CIFAR" --out "/tmp/ws-cmp-embed-$1")
    rm -rf "/tmp/ws-cmp-embed-$1"
}
run_pipeline() {
    rm -rf "/tmp/ws-cmp-run-$1"
    (cd "$REPO" && timed "imgorg-run-$1" "$IMGORG" run "$CIFAR" --out "/tmp/ws-cmp-run-$1" --method kmeans --no-report)
    rm -rf "/tmp/ws-cmp-run-$1"
}

if [[ " $STEPS " == *" time "* ]]; then
    : > "$OUT/times.txt"
    echo "== wall time, $ROUNDS rounds, order rotated each round"
    for r in $(seq 1 "$ROUNDS"); do
        case $(( (r - 1) % 3 )) in
            0) run_fastdup "$r"; run_embed "$r"; run_pipeline "$r" ;;
            1) run_embed "$r"; run_pipeline "$r"; run_fastdup "$r" ;;
            2) run_pipeline "$r"; run_fastdup "$r"; run_embed "$r" ;;
        esac
    done
    "$FDPY" - "$OUT/times.txt" <<'EOF' | tee "$OUT/times-summary.txt"
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+)-(\d+) wall (\S+) s user (\S+) s sys (\S+) s maxrss (\d+) KB", line)
    if m:
        rows.setdefault(m[1], []).append((float(m[3]), float(m[4]) + float(m[5]), int(m[6])))
for name, r in rows.items():
    walls = [w for w, _, _ in r]
    print(f"{name:14s} wall runs {walls}  median {statistics.median(walls):.1f} s | cpu (user+sys) median "
          f"{statistics.median(c for _, c, _ in r):.1f} s | max RSS median {statistics.median(m for _, _, m in r) / 1024:.0f} MiB")
EOF
fi

if [[ " $STEPS " == *" quality "* ]]; then
    echo "== clustering quality of fastdup's features (round-1 work dir)"
    others=()
    for r in $(seq 2 "$ROUNDS"); do [ -d "$OUT/fd-cifar-$r" ] && others+=("$OUT/fd-cifar-$r"); done
    flock "$LOCK" "$FDPY" "$SCRIPT" quality "$OUT/fd-cifar-1" --json "$OUT/quality.json" \
        --compare-with "${others[@]}" 2>&1 | tee "$OUT/quality.txt"
fi

if [[ " $STEPS " == *" neardup "* ]]; then
    echo "== near-duplicates on the planted corpus"
    if [ ! -d "$CORPUS" ]; then
        (cd "$REPO" && .venv/bin/python -c "
import sys; from pathlib import Path
sys.path.insert(0, 'benchmarks')
from near_duplicates import build_corpus
build_corpus(Path('$CIFAR'), Path('$CORPUS'))")
    fi
    rm -rf "$OUT/fd-neardup"
    flock "$LOCK" "$FDPY" "$SCRIPT" neardup "$CORPUS" "$OUT/fd-neardup" --json "$OUT/neardup.json" \
        > "$OUT/neardup-full.txt" 2>&1
    sed -n '/^== summary/,$p' "$OUT/neardup-full.txt" | tee "$OUT/neardup.txt"
    "$FDPY" "$SCRIPT" copies "$OUT/fd-neardup/k2-thr0.9-cc0.96" --json "$OUT/copies.json" | tee "$OUT/copies.txt"
fi
