"""The app on a large workspace: start-up to first page, search latency, map payload.

    python benchmarks/app_latency.py /tmp/ws-cifar60k --images /tmp/cifar/test --requests 200 --concurrency 8
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import statistics
import time
from pathlib import Path

import httpx

from _server import running_app


async def search_latencies(base: str, uploads: list[bytes], requests: int, concurrency: int) -> list[float]:
    queue: asyncio.Queue = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(uploads[i % len(uploads)])
    latencies: list[float] = []

    async def worker():
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while not queue.empty():
                data = queue.get_nowait()
                start = time.perf_counter()
                r = await http.post("/api/search?k=10", files={"file": ("q.jpg", data, "image/jpeg")})
                r.raise_for_status()
                latencies.append(time.perf_counter() - start)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    uploads = [p.read_bytes() for p in sorted(args.images.glob("*/*.jpg"))[::50][: args.requests]]
    with running_app(args.workspace) as (base, pid, startup):
        out = {"startup_to_first_page_s": round(startup, 2)}
        for dims in (2, 3):
            start = time.perf_counter()
            r = httpx.get(f"{base}/api/map?dims={dims}", timeout=60, headers={"Accept-Encoding": "gzip"})
            out[f"map_{dims}d"] = {"points": len(r.json()["ids"]), "seconds": round(time.perf_counter() - start, 3),
                                   "bytes_on_wire": int(r.headers.get("content-length", len(r.content))),
                                   "bytes_json": len(r.content),
                                   "bytes_gzip_estimate": len(gzip.compress(r.content))}
        httpx.post(f"{base}/api/search?id=0", timeout=60)  # first search loads the model
        lat = asyncio.run(search_latencies(base, uploads, args.requests, args.concurrency))
        out["search"] = {"requests": len(lat), "concurrency": args.concurrency,
                         "p50_ms": round(1000 * statistics.median(lat), 1),
                         "p99_ms": round(1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))], 1)}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
