"""How many cores this process may use (sizes ONNX Runtime's threads and the decoders), and a
pool of processes over them for work that threads serialise on the GIL."""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def available_cores(cgroup_root: Path = CGROUP_ROOT) -> int:
    """Cores this process may run on: the fewest of the affinity mask (taskset, cpuset) and the
    container's CPU quota (docker --cpus), not the host's count.

    Oversubscribing matters: ONNX Runtime with 2 threads on 1 allowed core ran
    efficientnet-lite0 at 101 img/s against 144 with 1 thread (docs/benchmarks.md)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cgroup_cpu_quota(cgroup_root)
    return max(1, min(cores, math.ceil(quota))) if quota else cores


def cgroup_cpu_quota(root: Path = CGROUP_ROOT) -> float | None:
    """CPUs the container's quota allows (cgroup v2 cpu.max, else v1 cfs_quota_us), None if unlimited.

    A container sees the host's cores in its affinity mask; only the quota says it
    gets 2 of them, as loky and the JVM read it."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        try:
            quota = (root / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (root / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    try:
        quota, period = int(quota), int(period)  # "max" (v2) or -1 (v1): no quota
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def process_alive(pid: int) -> bool:
    """Whether a process of this id runs on this machine (another user's counts): a folder a
    process named after itself is left over once it is not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for decoding: forked, and deaf to Ctrl-C.

    fork, as PyTorch's DataLoader does: the children only decode, never touch CUDA, and
    start at once. spawn re-imports torch and the caller's modules in every child:
    decoding 300 CIFAR images took 2.4 s with spawn, 0.11 s with fork (docs/benchmarks.md).
    Ctrl-C is the parent's to handle: children that caught it too would each print a traceback."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                               initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN))


def chunked_map(function: Callable[[list], object], items: Sequence, chunk: int, workers: int) -> Iterator:
    """``function(list of items)`` of each run of ``chunk`` items, in order, in ``workers`` forked
    processes (``process_pool``); in this process when there is one worker or one run. ``function``
    is pickled to the workers: a module-level function, or a ``functools.partial`` of one."""
    chunks = [list(items[start : start + chunk]) for start in range(0, len(items), chunk)]
    with process_pool(workers) if workers > 1 and len(chunks) > 1 else nullcontext() as pool:
        yield from (pool.map if pool else map)(function, chunks)
