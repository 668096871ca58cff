"""12-MP JPEG photos on a GPU machine: decoding on the GPU (nvJPEG through torchvision) against
PIL's reduced decode in processes, and `embed_catalog` end to end on them.

    python benchmarks/gpu/big_jpeg.py --n 256 --json big_jpeg.json

Writes the photos once under /tmp/imgorg-big-images (benchmarks/_big_corpus.py), then, rounds
alternating, medians: (g) torchvision's decode_jpeg(device="cuda") in batches of 64, decode
only; (gr) the same through imgorg's GPU path (decoded, turned, resized and cropped to 224 on
the device); (p) PIL's reduced decode to the model's input in one process per core; (e) end
to end through embed_catalog with --device cuda, no cache (GPU decoding where torchvision is
installed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _big_corpus import build_big_corpus, corpus_files  # noqa: E402

from imgorg.config import EmbedConfig  # noqa: E402
from imgorg.embed import embed_catalog, get_backbone  # noqa: E402
from imgorg.embed.gpu_decode import EncodedJpeg, as_encoded, decode_batch  # noqa: E402
from imgorg.embed.preprocess import load_and_prepare  # noqa: E402
from imgorg.parallel import available_cores  # noqa: E402
from imgorg.sources import scan_folder  # noqa: E402

PRE = get_backbone("efficientnet-lite0").preprocess


def nvjpeg_only(datas: list[bytes], batch: int) -> float:
    import torch
    from torchvision.io import ImageReadMode, decode_jpeg

    torch.cuda.synchronize()
    start = time.perf_counter()
    for i in range(0, len(datas), batch):
        decode_jpeg([torch.frombuffer(bytearray(d), dtype=torch.uint8) for d in datas[i:i + batch]],
                    mode=ImageReadMode.RGB, device="cuda")
    torch.cuda.synchronize()
    return len(datas) / (time.perf_counter() - start)


def gpu_path(jpegs: list[EncodedJpeg], batch: int) -> float:
    import torch

    torch.cuda.synchronize()
    start = time.perf_counter()
    for i in range(0, len(jpegs), batch):
        decode_batch(jpegs[i:i + batch], PRE, torch.device("cuda"))
    torch.cuda.synchronize()
    return len(jpegs) / (time.perf_counter() - start)


def _prepare(data: bytes):
    return load_and_prepare(data, PRE).shape


def pil_processes(datas: list[bytes], workers: int) -> float:
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_prepare, datas[:workers]))  # started
        start = time.perf_counter()
        list(pool.map(_prepare, datas, chunksize=4))
        return len(datas) / (time.perf_counter() - start)


def end_to_end(folder: Path, batch: int) -> float:
    catalog = scan_folder(folder)
    start = time.perf_counter()
    embed_catalog(folder, catalog, EmbedConfig(device="cuda", batch_size=batch), cache_root=None)
    return len(catalog) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/imgorg-big-images"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    folder = build_big_corpus(args.folder, "jpeg", args.n)
    datas = [p.read_bytes() for p in corpus_files(folder, args.n)]
    jpegs = [as_encoded(d, PRE) for d in datas]
    runs = {"g_nvjpeg_decode_only": [], "gr_gpu_decode_resize": [], "p_pil_reduced_processes": [], "e_end_to_end": []}
    for _ in range(args.rounds):
        runs["g_nvjpeg_decode_only"].append(nvjpeg_only(datas, args.batch))
        runs["gr_gpu_decode_resize"].append(gpu_path(jpegs, args.batch))
        runs["p_pil_reduced_processes"].append(pil_processes(datas, available_cores()))
        runs["e_end_to_end"].append(end_to_end(folder, args.batch))
    out = {f"{k}_img_s": statistics.median(v) for k, v in runs.items()} | {"images": len(datas), "runs": runs}
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
