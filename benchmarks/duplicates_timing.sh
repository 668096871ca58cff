#!/bin/bash
# `imgorg duplicates` on one workspace with two source trees, alternating, 3 rounds.
#   git worktree add /tmp/wt-old <revision>
#   flock /tmp/imgorg-bench.lock bash benchmarks/duplicates_timing.sh /tmp/wt-old/src /tmp/ws-t-new
#   FAST=1 flock /tmp/imgorg-bench.lock bash benchmarks/duplicates_timing.sh /tmp/wt-old/src /tmp/cifar/test
# (FAST=1: the second argument is a folder, run with --fast into a new --out each time.)
# Prints seconds and the number of groups per run; take the medians.
set -euo pipefail
OLD_SRC=$1 WS=$2
NEW_SRC=$(cd "$(dirname "$0")/.." && pwd)/src
PY=${PY:-$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/python}
for round in 1 2 3; do
  for side in before after; do
    src=$NEW_SRC; [ $side = before ] && src=$OLD_SRC
    start=$(date +%s.%N)
    args=("$WS"); [ -n "${FAST:-}" ] && args=("$WS" --fast --out "$(mktemp -d)/out")
    out=$(PYTHONPATH=$src "$PY" -c "from imgorg.cli.main import app; app()" duplicates "${args[@]}" 2>&1)
    end=$(date +%s.%N)
    echo "$side round $round: $(echo "$end - $start" | bc) s, $(grep -o '^[0-9,]* groups' <<< "$out")"
  done
done
