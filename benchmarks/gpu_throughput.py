"""Embedding throughput with torch on a GPU: forward only against end to end, resizing on CPU or GPU.

    python benchmarks/gpu_throughput.py --images /tmp/cifar --device cuda   # decoders: every core
    python benchmarks/gpu_throughput.py --images /tmp/cifar/test --device cpu --decode-only  # decoding, any machine

In one run, on the same images:
(p) decode only, through the engine's decoder: threads resizing to the model's input
    (the CPU path), threads leaving the upsampling to the device, and processes leaving
    it to the device (what the engine does when the runner upsamples);
(a) forward only: TorchRunner (fp16, channels_last on CUDA) on pre-decoded 224 px batches;
(b) end to end, images upsampled on the device (the CUDA default);
(c) end to end, images resized on the CPU by the decoder threads;
with --compile also
(a0) the bare fp16 model on a batch already on the device (what the runner's upload and
     read-back cost beside it),
(ac) forward only through the runner compiled with torch.compile (its cold and warm compile
     times, and the lowest cosine of its embeddings to eager's, are reported),
(bc) end to end with the compiled runner.
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


def bare_model(runner, pixels: np.ndarray, batch: int) -> float:
    """The fp16 channels_last model alone, on batches already on the device."""
    import torch

    batches = [runner._to_input_size(torch.from_numpy(pixels[i:i + batch]).to(runner.device))
               for i in range(0, len(pixels), batch)]
    torch.cuda.synchronize()
    start = time.perf_counter()
    with torch.inference_mode():
        for images in batches:
            runner.model(images)
    torch.cuda.synchronize()
    return len(pixels) / (time.perf_counter() - start)


def compiled_runner(spec, args, eager, pixels):
    """A runner compiled for the batch shape, its compile time (cold, then warm from the cache in a
    second build) and its embeddings' lowest cosine to the eager runner's."""
    import shutil

    from imgorg.embed.runners import compile_cache

    shutil.rmtree(compile_cache(spec, spec.preprocess.input_size, args.batch_size), ignore_errors=True)
    times = {}
    for state in ("cold", "warm"):
        start = time.perf_counter()
        runner = TorchRunner(spec, None, spec.preprocess.input_size, device=args.device, upsample=True,
                             compile_batch=args.batch_size)
        runner(pixels[: args.batch_size])
        times[f"compile_{state}_s"] = time.perf_counter() - start
    a, b = (out[0] if isinstance(out, tuple) else out for out in (eager(pixels), runner(pixels)))
    cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    times["compile_min_cosine_to_eager"] = float(cosine.min())
    empty = {k: [] for k in ("a0_bare_model_on_device", "ac_forward_only_compiled", "bc_end_to_end_compiled")}
    return runner, times | empty


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
    parser.add_argument("--compile", action="store_true", help="also (a0), (ac) and (bc): the compiled model")
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
    compiled = None
    if args.compile and not args.decode_only:
        compiled, runs_compile = compiled_runner(spec, args, upsampling, pixels)
        runs |= runs_compile
    for _ in range(args.repeats):
        runs["p_decode_threads_cpu_resize"].append(decode_rate(todo, spec.preprocess, config, False))
        runs["p_decode_threads_native"].append(decode_rate(todo, on_device, config, False))
        runs["p_decode_processes_native"].append(decode_rate(todo, on_device, config, True))
        if args.decode_only:
            continue
        runs["a_forward_only"].append(forward_only(upsampling, pixels, args.batch_size))
        runs["b_end_to_end_device_upsample"].append(end_to_end(args.images, catalog, config, upsampling))
        runs["c_end_to_end_cpu_resize"].append(end_to_end(args.images, catalog, config, resized_on_cpu))
        if compiled is not None:
            runs["a0_bare_model_on_device"].append(bare_model(upsampling, pixels, args.batch_size))
            runs["ac_forward_only_compiled"].append(forward_only(compiled, pixels, args.batch_size))
            runs["bc_end_to_end_compiled"].append(end_to_end(args.images, catalog, config, compiled))
    figures = {"backbone": args.backbone, "device": args.device, "images": len(catalog), "batch_size": args.batch_size,
               "workers": args.workers, "repeats": args.repeats}
    figures |= {f"{k}_img_s": statistics.median(v) for k, v in runs.items() if v and k[0] in "abcp"}
    figures |= {k: v for k, v in runs.items() if k.startswith("compile_")}
    if not args.decode_only:
        figures["b_over_a"] = figures["b_end_to_end_device_upsample_img_s"] / figures["a_forward_only_img_s"]
        figures["c_over_a"] = figures["c_end_to_end_cpu_resize_img_s"] / figures["a_forward_only_img_s"]
    figures["runs"] = runs
    report(figures, args.json)


if __name__ == "__main__":
    main()
