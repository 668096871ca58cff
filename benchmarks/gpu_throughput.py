"""Embedding throughput with torch on a GPU: forward only against end to end, resizing on CPU or GPU.

    python benchmarks/gpu_throughput.py --images /tmp/cifar --device cuda   # decoders: every core
    python benchmarks/gpu_throughput.py --images /tmp/cifar/test --device cpu --decode-only  # decoding, any machine

In one run, on the same images:
(p) decode only, through the engine's decoder: threads resizing to the model's input
    (the CPU path), threads leaving the upsampling to the device, and processes leaving
    it to the device (what the engine does when the runner upsamples);
(a) forward only: TorchRunner (fp16, channels_last on CUDA) on pre-decoded 224 px batches;
(b) end to end, images upsampled on the device (the CUDA default);
(c) end to end, images resized on the CPU by the decoder threads (as before).
Medians of --repeats runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from pathlib import Path

import numpy as np

from imgorg.config import EmbedConfig
from imgorg.embed.backbones import get_backbone
from imgorg.parallel import available_cores
from imgorg.embed.local_engine import decoded_batches
from imgorg.embed import TorchRunner
from imgorg.embed.preprocess import load_and_prepare
from imgorg.sources import scan_folder

from embed_throughput import end_to_end, forward_only, report  # benchmarks/ is on the path when run as a script


def decode_rate(todo, pre, config: EmbedConfig, processes: bool) -> float:
    start = time.perf_counter()
    for _ in decoded_batches(todo, pre, config, processes=processes):
        pass
    return len(todo) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--n", type=int, default=0, help="images to use (0: all)")
    parser.add_argument("--backbone", default="efficientnet-lite0")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--workers", type=int, default=available_cores(),
                        help="decoders (default every core, as imgorg does beside a GPU)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--decode-only", action="store_true", help="only (p): no model runs (CPU machines)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    spec = get_backbone(args.backbone)
    catalog = scan_folder(args.images)
    if args.n:
        catalog = catalog.iloc[:: max(1, len(catalog) // args.n)].head(args.n).reset_index(drop=True)
    on_device = dataclasses.replace(spec.preprocess, upsample_on_device=True)
    config = EmbedConfig(backbone=args.backbone, batch_size=args.batch_size, workers=args.workers, device=args.device)
    if not args.decode_only:
        data = [(args.images / p).read_bytes() for p in catalog["path"][: args.batch_size * 8]]
        pixels = np.stack([load_and_prepare(d, spec.preprocess) for d in data])
        upsampling = TorchRunner(spec, None, spec.preprocess.input_size, device=args.device, upsample=True)
        resized_on_cpu = TorchRunner(spec, None, spec.preprocess.input_size, device=args.device, upsample=False)
        resized_on_cpu.model = upsampling.model  # one copy of the weights on the device
        upsampling(pixels[: args.batch_size])  # warm-up (cuDNN autotuning, allocator)

    todo = [(str(i), args.images / p) for i, p in enumerate(catalog["path"])]
    runs: dict[str, list[float]] = {k: [] for k in ("p_decode_threads_cpu_resize", "p_decode_threads_native",
                                                    "p_decode_processes_native", "a_forward_only",
                                                    "b_end_to_end_device_upsample", "c_end_to_end_cpu_resize")}
    for _ in range(args.repeats):
        runs["p_decode_threads_cpu_resize"].append(decode_rate(todo, spec.preprocess, config, False))
        runs["p_decode_threads_native"].append(decode_rate(todo, on_device, config, False))
        runs["p_decode_processes_native"].append(decode_rate(todo, on_device, config, True))
        if args.decode_only:
            continue
        runs["a_forward_only"].append(forward_only(upsampling, pixels, args.batch_size))
        runs["b_end_to_end_device_upsample"].append(end_to_end(args.images, catalog, config, upsampling))
        runs["c_end_to_end_cpu_resize"].append(end_to_end(args.images, catalog, config, resized_on_cpu))
    figures = {"backbone": args.backbone, "device": args.device, "images": len(catalog), "batch_size": args.batch_size,
               "workers": args.workers, "repeats": args.repeats}
    figures |= {f"{k}_img_s": statistics.median(v) for k, v in runs.items() if v}
    if not args.decode_only:
        figures["b_over_a"] = figures["b_end_to_end_device_upsample_img_s"] / figures["a_forward_only_img_s"]
        figures["c_over_a"] = figures["c_end_to_end_cpu_resize_img_s"] / figures["a_forward_only_img_s"]
    figures["runs"] = runs
    report(figures, args.json)


if __name__ == "__main__":
    main()
