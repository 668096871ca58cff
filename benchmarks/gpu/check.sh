#!/usr/bin/env bash
# Run ON the GPU machine (device tool, carry [".device"]), after benchmarks/gpu/prepare.sh here.
# Every GPU figure in one call of at most 6 minutes; everything lands in $OUT, summed up in check.json:
#   gpu_tests.log      the tests marked gpu (fp16 against the CPU, upsampling, compile, the analysis stages)
#   throughput.json    forward only (eager, compiled, the bare model), end to end, decode; 60,000 CIFAR images
#   run_60k.log        `imgorg run` on all 60,000 with --device cuda (default method, report), timed per stage
#   big_jpeg.json      12-MP JPEGs: nvJPEG decode, the GPU decode path, PIL in processes, end to end
# Dry run on a CPU machine: DEVICE=cpu N=512 PY=.venv/bin/python OUT=/tmp/gpu-out bash benchmarks/gpu/check.sh
set -uo pipefail
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
N=${N:-0}  # images for the throughput benchmark (0: all 60,000)
OUT=${OUT:?set OUT to a folder for the results}
SITE=/tmp/imgorg-site
if ls .device/whl/*.whl >/dev/null 2>&1; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" .device/whl/*.whl || exit 1
fi
export PYTHONPATH="$SITE:$PWD/src" PYTHONUNBUFFERED=1 IMGORG_CACHE=/tmp/imgorg-cache
export IMGORG_CIFAR_TAR="${IMGORG_CIFAR_TAR:-$PWD/.device/cifar10-jpg.tar.gz}"
mkdir -p /tmp/cifar && tar -xzf "$IMGORG_CIFAR_TAR" -C /tmp/cifar
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1; nproc; "$PY" -c "import torch; print(torch.__version__, torch.cuda.is_available())"; } | tee "$OUT/machine.txt"

timeout 90 "$PY" -m pytest -q -p no:cacheprovider -m gpu tests/test_backbones.py tests/test_compile.py tests/test_device.py tests/test_gpu_decode.py \
    2>&1 | tee "$OUT/gpu_tests.log"
BATCH=256; [ "$DEVICE" = cpu ] && BATCH=64
COMPILE=--compile; [ "$DEVICE" = cpu ] && COMPILE=
timeout 150 "$PY" benchmarks/gpu_throughput.py --images /tmp/cifar --device "$DEVICE" --batch-size "$BATCH" --n "$N" \
    --repeats 2 $COMPILE --json "$OUT/throughput.json" 2>&1 | tee "$OUT/throughput.log"
SUBSET=/tmp/cifar; [ "$N" != 0 ] && SUBSET=/tmp/cifar/test/airplane
TIMEFORMAT='wall %R s, user %U s, sys %S s'  # bash's time: /usr/bin/time may be missing there
{ time timeout 120 "$PY" -m imgorg.cli.main run "$SUBSET" --out /tmp/ws-gpu --device "$DEVICE" --batch-size "$BATCH"; } \
    > "$OUT/run_60k.log" 2>&1
[ "$DEVICE" = cuda ] && timeout 60 "$PY" benchmarks/gpu/big_jpeg.py --n 128 --rounds 2 --json "$OUT/big_jpeg.json" \
    2>&1 | tail -n 20
"$PY" - "$OUT" <<'PY'
import json, pathlib, re, sys
out = pathlib.Path(sys.argv[1])
check = {}
for name in ("throughput", "big_jpeg"):
    path = out / f"{name}.json"
    if path.is_file():
        check[name] = json.loads(path.read_text())
manifest = pathlib.Path("/tmp/ws-gpu/manifest.json")
if manifest.is_file():
    m = json.loads(manifest.read_text())
    log = (out / "run_60k.log").read_text()
    wall = re.search(r"wall ([0-9.]+) s", log)
    check["run"] = {"images": m["counts"]["ok"], "timings": m["timings"], "method": m["default_method"],
                    "wall_s": float(wall.group(1)) if wall else None}
tests = (out / "gpu_tests.log").read_text().strip().splitlines()
check["gpu_tests"] = tests[-1] if tests else None
(out / "check.json").write_text(json.dumps(check, indent=2))
print(json.dumps({k: v for k, v in check.items() if k != "throughput"}, indent=2))
PY
