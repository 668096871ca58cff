"""The Ray engine's decode stage alone: resize on the CPU vs leave small images for the GPU.

    python benchmarks/ray_decode.py --images /tmp/cifar/test --n 10000 --repeats 3

With GPU actors the decode tasks feed the model, so their rate bounds a GPU run
(docs/benchmarks.md). This times the decode stage as the engine builds it
(``map_batches(decode_batch)`` on a local Ray instance, every core), consumed on the
driver without a model, once resizing each image to the input on the CPU and once
leaving small squares at their own size (what the engine does for GPU actors of a
bilinear backbone). Rounds alternate; medians are reported, with the bytes of
pixels each image sends through the object store.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from pathlib import Path


from imgorg.config import EmbedConfig
from imgorg.embed import preprocess_for
from imgorg.embed.ray_engine import ROWS_PER_BLOCK, decode_batch
from imgorg.sources import scan_folder


def decode_rate(ray, rows: list[dict], pre, batch_size: int) -> tuple[float, float]:
    """(images/s, pixel bytes per image) of the decode stage over ``rows``."""
    start = time.perf_counter()
    blocks = max(1, -(-len(rows) // ROWS_PER_BLOCK))
    items = ray.data.from_items(rows, override_num_blocks=blocks)
    decoded = items.map_batches(decode_batch, fn_kwargs={"pre": pre}, batch_size=batch_size, batch_format="numpy")
    n, nbytes = 0, 0
    for batch in decoded.iter_batches(batch_size=batch_size, batch_format="numpy"):
        n += len(batch["sha256"])
        pixels = batch["pixels"]
        nbytes += sum(image.nbytes for image in pixels) if pixels.dtype == object else pixels.nbytes
    assert n == len(rows)
    return n / (time.perf_counter() - start), nbytes / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import ray

    catalog = scan_folder(args.images).head(args.n)
    rows = [{"sha256": sha, "path": str(args.images / rel)} for sha, rel in zip(catalog["sha256"], catalog["path"])]
    config = EmbedConfig()
    modes = {"resize on the CPU": preprocess_for(config),
             "own size (GPU upsamples)": dataclasses.replace(preprocess_for(config), upsample_on_device=True)}
    ray.init(include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    decode_rate(ray, rows[:512], modes["resize on the CPU"], config.batch_size)  # start the workers once
    rates: dict[str, list[float]] = {mode: [] for mode in modes}
    sizes: dict[str, float] = {}
    for _ in range(args.repeats):
        for mode, pre in modes.items():
            rate, sizes[mode] = decode_rate(ray, rows, pre, config.batch_size)
            rates[mode].append(rate)
            print(f"{mode}: {rate:,.0f} img/s", flush=True)
    result = {"images": len(rows), "cpus": int(ray.cluster_resources().get("CPU", 0)), "repeats": args.repeats,
              **{mode: {"img_per_s_median": round(statistics.median(r)), "img_per_s": [round(x) for x in r],
                        "pixel_bytes_per_image": round(sizes[mode])} for mode, r in rates.items()}}
    ray.shutdown()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
