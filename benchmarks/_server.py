"""Start `imgorg serve` on a free loopback port in a subprocess (for the app benchmarks)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


@contextlib.contextmanager
def running_app(workspace: Path, timeout: float = 120):
    """Yield (base_url, pid, seconds from start to the first page and summary answered)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "imgorg.cli.main", "serve", str(workspace), "--port", str(port)],
                              stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(base + "/", timeout=5).status_code == 200 and \
                        httpx.get(base + "/api/summary", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.perf_counter() - start > timeout:
                raise RuntimeError("the app did not start")
            time.sleep(0.05)
        yield base, server.pid, time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
