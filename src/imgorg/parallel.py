"""How many cores this process may use (sizes ONNX Runtime's threads and the decoders), and a
pool of processes over them for work that threads serialise on the GIL."""

from __future__ import annotations

import logging
import logging.handlers
import math
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
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


class Beside:
    """``function(*args, progress=...)`` computed in another process while this one goes on (the
    review of a written workspace beside the run's map, which keeps one core busy): the child's
    progress bars and log records are relayed to this process's, and ``result()`` waits for its
    return value or raises its exception. The child ignores Ctrl-C and leads its own process group,
    so ``cancel()`` ends it with any workers it forked.

    Spawned, not forked: a child forked after this process ran OpenMP (FAISS, torch, scikit-learn)
    hangs at its first parallel region, as the review's FAISS search did. Spawning costs the child
    its imports (about 2 s of CPU for the review), which it spends while this process goes on."""

    def __init__(self, function: Callable, args: tuple, progress=None):
        context = multiprocessing.get_context("spawn")
        self._events = context.SimpleQueue()
        # records that no logger here would show are not even made in the child
        level = min([logging.getLogger().getEffectiveLevel()] + [
            logger.level for logger in logging.Logger.manager.loggerDict.values()
            if isinstance(logger, logging.Logger) and logger.level])
        self._process = context.Process(target=_beside_child,
                                        args=(function, args, self._events, progress is not None, level))
        with _main_not_imported():
            self._process.start()
        self._outcome: tuple[str, object] | None = None
        self._relay = threading.Thread(target=self._relay_events, args=(progress,), daemon=True)
        self._relay.start()

    def result(self):
        try:
            self._process.join()
        except BaseException:  # Ctrl-C while waiting: the child goes too
            self.cancel()
            raise
        self._events.put(("died", self._process.exitcode))  # wakes the relay when the child sent nothing more
        self._relay.join()
        kind, value = self._outcome
        if kind == "error":
            raise value
        if kind == "died":
            raise RuntimeError(f"the process beside this one ended (exit code {value}) before its result")
        return value

    def cancel(self) -> None:
        if self._process.is_alive():
            try:
                os.killpg(self._process.pid, signal.SIGTERM)
            except (AttributeError, ProcessLookupError, PermissionError):  # no process groups (Windows)
                self._process.terminate()
        self._process.join()

    def _relay_events(self, progress) -> None:
        advances = {}
        while True:
            kind, *rest = self._events.get()
            if kind == "start":
                advances[rest[0]] = progress(rest[1], rest[2])
            elif kind == "advance":
                advances[rest[0]](rest[1])
            elif kind == "log":  # as if logged here: this process's levels decide what is shown
                logger = logging.getLogger(rest[0].name)
                if logger.isEnabledFor(rest[0].levelno):
                    logger.handle(rest[0])
            else:
                self._outcome = (kind, rest[0])
                return


class _ForwardLogs(logging.handlers.QueueHandler):
    def enqueue(self, record: logging.LogRecord) -> None:
        self.queue.put(("log", record))


@contextmanager
def _main_not_imported():
    """A spawned child imports the caller's main module first, which runs a script without an
    ``if __name__ == "__main__":`` guard again, all of it (a whole ``imgorg.run``). The child needs
    nothing from it: while it starts, ``__main__`` says it has no file or spec to import."""
    main = sys.modules["__main__"]
    saved = {name: main.__dict__[name] for name in ("__file__", "__spec__") if name in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.update(saved)


def _beside_child(function: Callable, args: tuple, events, with_progress: bool, level: int) -> None:
    if hasattr(os, "setpgrp"):
        os.setpgrp()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    root = logging.getLogger()
    root.handlers, root.level = [_ForwardLogs(events)], level
    counter = iter(range(1 << 30))

    def progress(description: str, total: int):
        key = next(counter)
        events.put(("start", key, description, total))
        return lambda n: events.put(("advance", key, n))

    try:
        outcome = ("done", function(*args, progress=progress if with_progress else None))
    except BaseException as error:  # noqa: BLE001 - every failure goes back to the parent
        outcome = ("error", error)
    try:
        events.put(outcome)
    except OSError:  # the parent is gone: nobody to tell
        return
    except Exception as error:  # noqa: BLE001 - an exception that does not pickle
        events.put(("error", RuntimeError(f"{type(outcome[1]).__name__}: {outcome[1]} ({error})")))
