#!/bin/bash
# scan (2 threads and 1) under OpenMP's spinning wait policy against PASSIVE, idle and with one
# core kept busy, alternating; then k-means, exact search and PCA idle under each.
#   flock /tmp/imgorg-bench.lock bash benchmarks/omp_wait_policy.sh /tmp/ws-t-new
# "spinning" sets OMP_WAIT_POLICY=ACTIVE: since 2026-12-01 `import imgorg` sets PASSIVE when unset.
# (The docs' figures were taken before that, with the variable unset: GNU OpenMP then spins a while.)
set -euo pipefail
WS=$1
cd "$(dirname "$0")/.."
for round in 1 2; do
  for policy in ACTIVE PASSIVE; do
    echo "== round $round, $policy, idle"
    OMP_WAIT_POLICY=$policy .venv/bin/python benchmarks/scan_threads.py "$WS" --sizes 300,10000 --rounds 1 | grep medians
    .venv/bin/python -c 'while True: pass' & hog=$!
    echo "== round $round, $policy, one core busy"
    OMP_WAIT_POLICY=$policy .venv/bin/python benchmarks/scan_threads.py "$WS" --sizes 300 --rounds 1 | grep medians
    kill $hog
  done
done
for round in 1 2 3; do
  for policy in ACTIVE PASSIVE; do
    OMP_WAIT_POLICY=$policy .venv/bin/python - "$WS" <<'PY'
import os, sys, time
from imgorg import load_workspace
from imgorg.compare import run_methods
from imgorg.config import ClusterConfig
from imgorg.index import build_index
from imgorg.reduce import Reducer
ws = load_workspace(sys.argv[1])
t = time.perf_counter(); run_methods(ws.embeddings, ws.reduced, ["kmeans"], ClusterConfig(k=10), None); km = time.perf_counter() - t
index = build_index(ws.embeddings, "exact")
t = time.perf_counter(); index.search(ws.embeddings, 10, exclude_self=True); search = time.perf_counter() - t
t = time.perf_counter(); Reducer(50).fit_transform(ws.embeddings); pca = time.perf_counter() - t
print(f"{os.environ['OMP_WAIT_POLICY']}, idle: k-means {km:.2f} s, exact search {search:.2f} s, PCA {pca:.2f} s")
PY
  done
done
