"""Embedding throughput, three ways, on the same images in one run.

(a) forward only: the ONNX graph on pre-decoded, pre-resized uint8 batches;
(b) imgorg end to end: JPEG files -> embed_catalog (threads decode while the model runs);
(c) reference-project style: eager PyTorch, PIL decode + resize in the main loop, batch 64;
(d) eager PyTorch forward only on the same pre-decoded batches as (a): ONNX Runtime's share.

    python benchmarks/embed_throughput.py --images data/cifar10/test --n 1000

(a) and (b) are repeated --repeats times, interleaved, and reported as medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from imgorg.config import EmbedConfig
from imgorg.embed.backbones import get_backbone
from imgorg.embed import embed_catalog
from imgorg.embed.local_engine import CPU_MODEL_WORKERS
from imgorg.embed import OnnxRunner
from imgorg.embed.preprocess import load_and_prepare
from imgorg.sources import scan_folder


def forward_only(runner, pixels: np.ndarray, batch: int) -> float:
    start = time.perf_counter()
    for i in range(0, len(pixels), batch):
        runner(pixels[i : i + batch])
    return len(pixels) / (time.perf_counter() - start)


def end_to_end(root: Path, catalog, config: EmbedConfig, runner) -> float:
    start = time.perf_counter()
    result = embed_catalog(root, catalog, config, cache_root=None, runner=runner)
    assert len(result.embeddings) == len(catalog)
    return len(catalog) / (time.perf_counter() - start)


def reference_style(files: list[Path], spec, batch: int) -> float:
    """What the reference projects do: decode, resize, normalise in Python, eager torch."""
    import torch
    from PIL import Image

    model = spec.build(spec.weights_path(), spec.preprocess.input_size).trunk.eval()
    mean = np.array(spec.preprocess.mean, np.float32)
    std = np.array(spec.preprocess.std, np.float32)
    size = spec.preprocess.input_size
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(files), batch):
            arrays = []
            for f in files[i : i + batch]:
                image = Image.open(f).convert("RGB").resize((size, size), Image.Resampling.BICUBIC)
                arrays.append(((np.asarray(image, np.float32) - mean) / std).transpose(2, 0, 1))
            model(torch.from_numpy(np.stack(arrays))).mean(dim=(2, 3))
    return len(files) / (time.perf_counter() - start)


def torch_forward_only(spec, pixels: np.ndarray, batch: int) -> float:
    import torch

    model = spec.build(spec.weights_path(), spec.preprocess.input_size).eval()
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(pixels), batch):
            model(torch.from_numpy(pixels[i : i + batch]))
    return len(pixels) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, required=True, help="folder of images (e.g. CIFAR-10 test)")
    parser.add_argument("--n", type=int, default=1000, help="images used by every variant")
    parser.add_argument("--backbone", default="efficientnet-lite0")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=CPU_MODEL_WORKERS, help="decoding threads")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(torch.get_num_threads())
    spec = get_backbone(args.backbone)
    catalog = scan_folder(args.images)
    catalog = catalog.iloc[:: max(1, len(catalog) // args.n)].head(args.n).reset_index(drop=True)
    files = [args.images / p for p in catalog["path"]]
    pixels = np.stack([load_and_prepare(f.read_bytes(), spec.preprocess) for f in files])
    runner = OnnxRunner(spec)
    config = EmbedConfig(backbone=args.backbone, batch_size=args.batch_size, workers=args.workers)
    runner(pixels[: args.batch_size])  # warm-up

    a, b = [], []
    for _ in range(args.repeats):
        a.append(forward_only(runner, pixels, args.batch_size))
        b.append(end_to_end(args.images, catalog, config, runner))
    figures = {
        "backbone": args.backbone, "input_size": spec.preprocess.input_size, "images": len(files),
        "batch_size": args.batch_size, "repeats": args.repeats,
        "a_forward_only_img_s": statistics.median(a), "b_end_to_end_img_s": statistics.median(b),
        "a_runs": a, "b_runs": b,
    }
    figures["b_over_a"] = figures["b_end_to_end_img_s"] / figures["a_forward_only_img_s"]
    if not args.skip_reference:
        figures["c_reference_style_img_s"] = reference_style(files, spec, 64)
        figures["b_over_c"] = figures["b_end_to_end_img_s"] / figures["c_reference_style_img_s"]
        figures["d_torch_forward_only_img_s"] = torch_forward_only(spec, pixels[:256], args.batch_size)
        figures["a_over_d"] = figures["a_forward_only_img_s"] / figures["d_torch_forward_only_img_s"]
    report(figures, args.json)


def report(figures: dict, json_path: Path | None) -> None:
    """Print one figure per line; also write them all as JSON when asked."""
    width = max(map(len, figures)) + 1
    for key, value in figures.items():
        print(f"{key:{width}s} {value:.3f}" if isinstance(value, float) else f"{key:{width}s} {value}")
    if json_path:
        json_path.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
