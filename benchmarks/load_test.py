"""Load test of a running app on loopback: concurrent clients mixing uploads and gallery pages.

    python benchmarks/load_test.py /tmp/ws-official --images /tmp/cifar/test --clients 50 --seconds 30

Starts `imgorg serve` on a free 127.0.0.1 port in a subprocess, runs the clients
for the given time (bounded: it stops by itself), and prints requests, errors,
p50/p99 latency per kind and the server's resident memory before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from pathlib import Path

import httpx

from _server import rss_mb, running_app


async def client(base: str, uploads: list[bytes], clusters: list[int], until: float, out: dict, rng) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while time.perf_counter() < until:
            kind = "search" if rng.random() < 0.5 else "gallery"
            start = time.perf_counter()
            try:
                if kind == "search":
                    r = await http.post("/api/search?k=10", files={"file": ("q.jpg", rng.choice(uploads), "image/jpeg")})
                else:
                    r = await http.get(f"/api/clusters/{rng.choice(clusters)}?page={rng.randrange(3)}&page_size=48")
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            out.setdefault(kind, []).append(time.perf_counter() - start)
            if not ok:
                out.setdefault("errors", []).append(kind)


async def main_async(args) -> dict:
    with running_app(args.workspace) as (base, pid, _):
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            clusters = [c["id"] for c in (await http.get("/api/clusters")).json()["clusters"]]
            await http.post("/api/search?id=0")  # load the model once before measuring memory
        uploads = [p.read_bytes() for p in sorted(args.images.glob("*/*.jpg"))[:: 97][:100]]
        rss_before = rss_mb(pid)
        results: dict = {}
        rng = random.Random(0)
        until = time.perf_counter() + args.seconds
        await asyncio.gather(*(client(base, uploads, clusters, until, results, random.Random(rng.random()))
                               for _ in range(args.clients)))
        rss_after = rss_mb(pid)
    summary = {"clients": args.clients, "seconds": args.seconds, "errors": len(results.get("errors", [])),
               "rss_mb_before": round(rss_before, 1), "rss_mb_after": round(rss_after, 1)}
    for kind in ("search", "gallery"):
        lat = sorted(results.get(kind, []))
        if lat:
            summary[kind] = {"requests": len(lat), "p50_ms": round(1000 * statistics.median(lat), 1),
                             "p99_ms": round(1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))], 1)}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--images", type=Path, required=True, help="images to upload as queries")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args)), indent=2))


if __name__ == "__main__":
    main()
