"""Embedding 12-MP photos: decode only (D), forward only (F), their bound B and end to end (E), in one run.

    python benchmarks/big_images.py --format jpeg --n 96
    python benchmarks/big_images.py --format heic|heic-nothumb|avif|webp|png --n 32

On the same N distinct 4000x3000 files (benchmarks/_big_corpus.py writes them once under
--dir), in --rounds rounds, each measuring in turn:

D  decode only: the engine's decoders (``decoded_batches`` with the workers, kind and
   preprocessing ``embed_catalog`` uses beside this runner), every file to the model's input;
F  forward only: the runner ``embed_catalog`` builds (ONNX Runtime on every core) on the
   batches D produced;
E  end to end: ``embed_catalog`` on the scanned catalog with no embedding cache, the runner
   built once beforehand (its load time is printed apart: a real run pays it once).

Decoding and the model share the cores, so the best end to end rate is
B = 1 / (1/D + 1/F), from the medians of D and F; the script prints E/B and what bounds
the format (the share of decoding in B's time per image), and E/B of each round on its own
(the rates of one round share the machine's load of the moment). D' decodes the same way in the
other kind of worker (processes where the engine uses threads, and the reverse): B' uses
the faster of D and D'. CPU milliseconds per image (this process and its workers) are
printed beside each rate: on a shared machine they move far less than the rates do.
--compare-spinning adds, to each round, F and E with ONNX Runtime's default of idle threads
that spin (imgorg's runner has them sleep). --cosine K compares, on the first K files, the
embedding of the engine's reduced decode with that of the full decode (same resize and crop).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _big_corpus import FORMATS, build_big_corpus  # noqa: E402

from imgorg.config import EmbedConfig  # noqa: E402
from imgorg.embed import embed_catalog  # noqa: E402
from imgorg.embed.backbones import preprocess_for  # noqa: E402
from imgorg.embed.preprocess import load_and_prepare, resize_center_crop  # noqa: E402
from imgorg.embed.local_engine import decode_setup, decode_workers, decoded_batches  # noqa: E402
from imgorg.embed.runners import SPINNING, OnnxRunner, default_runner, forward  # noqa: E402
from imgorg.images import decode_image  # noqa: E402
from imgorg.reduce import l2_normalize  # noqa: E402
from imgorg.sources import scan_folder  # noqa: E402


def cpu_seconds() -> float:
    """CPU time of this process and of its finished workers."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn, n: int):
    """(fn's result, images/s, CPU ms per image)."""
    cpu, start = cpu_seconds(), time.perf_counter()
    out = fn()
    return out, n / (time.perf_counter() - start), (cpu_seconds() - cpu) / n * 1000


def decode_all(todo, pre, config: EmbedConfig, processes: bool) -> list:
    return [batch.pixels for batch in decoded_batches(todo, pre, config, processes=processes)]


def forward_all(runner, batches: list, tta: bool) -> None:
    for pixels in batches:
        forward(runner, pixels, tta)


def end_to_end(root: Path, catalog, config: EmbedConfig, runner) -> None:
    result = embed_catalog(root, catalog, config, cache_root=None, runner=runner)
    if result.n_computed != len(catalog):
        raise RuntimeError(f"embedded {result.n_computed} of {len(catalog)} images: {result.catalog['error'].dropna()}")


def spinning_copy(runner: OnnxRunner) -> OnnxRunner:
    """The same graph and threads with ONNX Runtime's default: idle threads spin."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = runner.session.get_session_options().intra_op_num_threads
    options.add_session_config_entry(SPINNING, "1")
    copy = OnnxRunner.__new__(OnnxRunner)
    copy.__dict__.update(runner.__dict__)
    copy.session = ort.InferenceSession(str(runner.graph_path), options, providers=["CPUExecutionProvider"])
    return copy


def reduced_vs_full_cosine(files: list[Path], pre, runner) -> list[float]:
    """Per file: cosine of the embeddings of the reduced decode and of the full decode."""
    data = [path.read_bytes() for path in files]
    reduced = np.stack([load_and_prepare(d, pre) for d in data])
    full = np.stack([resize_center_crop(decode_image(d), pre.input_size, pre.resample) for d in data])
    a, b = (l2_normalize(forward(runner, pixels, False)[0]) for pixels in (reduced, full))
    return [round(float(c), 4) for c in (a * b).sum(axis=1)]


def bound(d: float, f: float) -> str:
    share = (1 / d) / (1 / d + 1 / f)
    who = "decoding" if share > 0.6 else "the model" if share < 0.4 else "decoding and the model"
    return f"{who} (decoding {share:.0%} of the time per image)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", choices=sorted(FORMATS), required=True)
    parser.add_argument("--n", type=int, default=96, help="distinct files (written once, kept in --dir)")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/imgorg-big-images"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backbone", default="efficientnet-lite0")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=None, help="decoders (default: the engine's choice)")
    parser.add_argument("--compare-spinning", action="store_true", help="also F and E with spinning threads")
    parser.add_argument("--cosine", type=int, default=0, metavar="K",
                        help="also the reduced against the full decode's embedding on K files")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    folder = build_big_corpus(args.dir, args.format, args.n)
    catalog = scan_folder(folder)
    catalog = catalog[catalog["path"].str.startswith("IMG_")].head(args.n).reset_index(drop=True)
    config = EmbedConfig(backbone=args.backbone, batch_size=args.batch_size, workers=args.workers, device="cpu")
    start = time.perf_counter()
    runner = default_runner(config)
    runner_s = time.perf_counter() - start
    resolved = dataclasses.replace(config, workers=decode_workers(config, runner))
    pre, processes = decode_setup(runner, preprocess_for(config))
    todo = [(sha, folder / rel) for sha, rel in zip(catalog["sha256"], catalog["path"])]
    first = (folder / catalog["path"][0]).read_bytes()
    decoded_size = decode_image(first, draft_size=pre.input_size).size

    warm = decode_all(todo[: args.batch_size], pre, resolved, processes)  # page cache, imports, pools
    forward_all(runner, warm[:1], config.tta)
    spinning = spinning_copy(runner) if args.compare_spinning else None
    keys = ("D", "D_other_kind", "F", "E") + (("F_spinning", "E_spinning") if spinning else ())
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in keys}
    loads = [os.getloadavg()[0]]
    for _ in range(args.rounds):
        batches, *d = timed(lambda: decode_all(todo, pre, resolved, processes), len(todo))
        runs["D"].append(tuple(d))
        runs["D_other_kind"].append(tuple(timed(lambda: decode_all(todo, pre, resolved, not processes),
                                                len(todo))[1:]))
        runs["F"].append(tuple(timed(lambda: forward_all(runner, batches, config.tta), len(todo))[1:]))
        runs["E"].append(tuple(timed(lambda: end_to_end(folder, catalog, config, runner), len(todo))[1:]))
        if spinning:
            runs["F_spinning"].append(tuple(timed(lambda: forward_all(spinning, batches, config.tta), len(todo))[1:]))
            runs["E_spinning"].append(tuple(timed(lambda: end_to_end(folder, catalog, config, spinning),
                                                  len(todo))[1:]))
        loads.append(os.getloadavg()[0])

    rate = {k: statistics.median(r for r, _ in v) for k, v in runs.items()}
    cpu_ms = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    b = 1 / (1 / rate["D"] + 1 / rate["F"])
    b_best = 1 / (1 / max(rate["D"], rate["D_other_kind"]) + 1 / rate["F"])
    figures = {
        "format": args.format, "images": len(todo), "mb_per_file": round(catalog["bytes"].mean() / 1e6, 2),
        "decoded_size": list(decoded_size), "input_size": pre.input_size, "backbone": args.backbone,
        "decoders": f"{resolved.workers} {'processes' if processes else 'threads'}", "rounds": args.rounds,
        "runner_load_s": round(runner_s, 2),
        **{f"{k}_img_s": round(v, 2) for k, v in rate.items()},
        **{f"{k}_cpu_ms_per_img": round(v, 1) for k, v in cpu_ms.items()},
        "B_img_s": round(b, 2), "E_over_B": round(rate["E"] / b, 3),
        "B_best_kind_img_s": round(b_best, 2), "E_over_B_best_kind": round(rate["E"] / b_best, 3),
        "E_over_B_per_round": [round(e / (1 / (1 / d + 1 / f)), 3) for (d, _), (f, _), (e, _)
                               in zip(runs["D"], runs["F"], runs["E"])],
        "bound": bound(rate["D"], rate["F"]),
        "runs_img_s": {k: [round(r, 2) for r, _ in v] for k, v in runs.items()},
        "load_average_1min": [round(x, 2) for x in loads],
    }
    if args.cosine:
        cosines = reduced_vs_full_cosine([folder / rel for rel in catalog["path"][: args.cosine]], pre, runner)
        figures.update(reduced_vs_full_cosine_min=min(cosines), reduced_vs_full_cosine_median=round(statistics.median(cosines), 4))
    for key, value in figures.items():
        print(f"{key:28s} {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
