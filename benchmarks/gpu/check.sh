#!/usr/bin/env bash
# Run ON the GPU machine (device tool, carry [".device"]), after benchmarks/gpu/prepare.sh here.
# One pass of every GPU check, in about 3-5 minutes; everything lands in $OUT:
#   gpu_tests.log          the tests marked gpu (fp16 vs CPU, upsampling on the GPU)
#   gpu_throughput.json    forward only vs end to end, 60,000 CIFAR images
#   run_10k.log            `imgorg run` on the 10,000 test images with --device cuda, timed
# Dry run on a CPU machine: DEVICE=cpu N=512 PY=.venv/bin/python OUT=/tmp/gpu-out bash benchmarks/gpu/check.sh
set -uo pipefail
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
N=${N:-0}  # images for the throughput benchmark (0: all 60,000)
OUT=${OUT:?set OUT to a folder for the results}
SITE=/tmp/imgorg-site
"$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" .device/whl/*.whl || exit 1
export PYTHONPATH="$SITE:$PWD/src" PYTHONUNBUFFERED=1 IMGORG_CACHE=/tmp/imgorg-cache
export IMGORG_CIFAR_TAR="$PWD/.device/cifar10-jpg.tar.gz"
mkdir -p /tmp/cifar && tar -xzf "$IMGORG_CIFAR_TAR" -C /tmp/cifar
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1; nproc; "$PY" -c "import torch; print(torch.__version__, torch.cuda.is_available())"; } | tee "$OUT/machine.txt"

"$PY" -m pytest -q -p no:cacheprovider -m gpu tests/test_backbones.py 2>&1 | tee "$OUT/gpu_tests.log"
BATCH=256; [ "$DEVICE" = cpu ] && BATCH=64
"$PY" benchmarks/gpu_throughput.py --images /tmp/cifar --device "$DEVICE" --batch-size "$BATCH" --n "$N" \
    --json "$OUT/gpu_throughput.json" 2>&1 | tee "$OUT/gpu_throughput.log"
SUBSET=/tmp/cifar/test; [ "$N" != 0 ] && SUBSET=/tmp/cifar/test/airplane
TIMEFORMAT='wall %R s, user %U s, sys %S s'  # bash's time: /usr/bin/time may be missing there
{ time "$PY" -m imgorg.cli.main run "$SUBSET" --out /tmp/ws-gpu --device "$DEVICE" --batch-size "$BATCH" \
    --method kmeans --no-report; } > "$OUT/run_10k.log" 2>&1
tail -n 40 "$OUT/run_10k.log"
