"""How many cores this process may use: sizes ONNX Runtime's threads and the decoders."""

from __future__ import annotations

import os


def available_cores() -> int:
    """Cores this process may run on (a container's or taskset's limit, not the host's count).

    Oversubscribing matters: ONNX Runtime with 2 threads on 1 allowed core ran
    efficientnet-lite0 at 101 img/s against 144 with 1 thread (docs/benchmarks.md)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
