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
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from pathlib import Path

from . import progress as _progress

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


# glibc's malloc hands a freed block of over 128 KB back to the kernel at once (and trims the heap),
# so numpy work that allocates a few MB per image faults fresh pages in for every image: the review's
# first read of a 12-MP photo in `imgorg run` took 23.6 ms so, 15.0 ms with freed memory kept for the
# next one (benchmarks/worker_memory.py, docs/benchmarks.md). Workers that go through many images keep it.
MMAP_THRESHOLD = 32 << 20  # bytes: blocks under this come from the heap (glibc's most on 64 bits)
TRIM_THRESHOLD = 128 << 20  # bytes: free memory at the heap's top kept for the next allocations
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)


def keep_freed_memory() -> bool:
    """Set glibc's malloc to keep freed memory for the next allocations (``MMAP_THRESHOLD``,
    ``TRIM_THRESHOLD``); both must be set, since setting either ends glibc's own adjustment. Whether
    it was set: elsewhere than glibc (macOS, musl) nothing changes."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def start_worker() -> None:
    """What each of ``process_pool``'s workers does first: leave Ctrl-C to the parent, keep freed memory,
    and run OpenMP on one thread (``_one_openmp_thread``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    keep_freed_memory()
    _one_openmp_thread()


def _one_openmp_thread() -> None:
    """Every OpenMP runtime this forked worker holds set to one thread: a child forked after its parent
    ran an OpenMP parallel region (LibRaw decoding a camera RAW in `imgorg run`'s embed stage, FAISS,
    torch) waits for ever on the parent's thread team at its first region of its own; on one thread
    there is no team to wait on. A worker decoding a DNG hung so after the parent had decoded one."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="openmp")


class _ForkSafePool(ProcessPoolExecutor):
    """A ProcessPoolExecutor whose parent keeps OpenCV on one thread while it lives (restored after).
    A child forked while OpenCV's thread pool runs in the parent hangs for good in ``cv2.setNumThreads``
    (its threads are not in the child; the crop check's workers call it), as in any process that runs
    ``imgorg.run`` and then the copy search (``benchmarks/similar_shots.py`` does)."""

    def __init__(self, *args, **kwargs):
        self._opencv_threads = _opencv_one_thread()
        super().__init__(*args, **kwargs)

    def shutdown(self, *args, **kwargs):
        try:
            super().shutdown(*args, **kwargs)
        finally:
            if self._opencv_threads is not None:
                sys.modules["cv2"].setNumThreads(self._opencv_threads)
                self._opencv_threads = None

    def __exit__(self, exc_type, exc, traceback):
        """Left by Ctrl-C or an error: the work queued is not wanted, and the chunks running may take
        minutes (256 photos' faces), so the workers, which ignore Ctrl-C, are ended rather than waited
        for: `imgorg people` ran on to the end after Ctrl-C, and once hung there."""
        if exc_type is None:
            return super().__exit__(exc_type, exc, traceback)
        workers = list((self._processes or {}).values())
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        self.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            worker.join(timeout=5)
        return False


def _opencv_one_thread() -> int | None:
    """OpenCV's thread count before it was set to one, where OpenCV is loaded and not on one already."""
    cv2 = sys.modules.get("cv2")
    if cv2 is None or not hasattr(cv2, "getNumThreads"):
        return None
    before = cv2.getNumThreads()
    if before == 1:
        return None
    cv2.setNumThreads(1)
    return before


def process_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for decoding and measuring images: forked, deaf to Ctrl-C, and keeping the
    memory they free for the next image (``keep_freed_memory``).

    fork, as PyTorch's DataLoader does: the children only decode, never touch CUDA, and
    start at once. spawn re-imports torch and the caller's modules in every child:
    decoding 300 CIFAR images took 2.4 s with spawn, 0.11 s with fork (docs/benchmarks.md).
    Ctrl-C is the parent's to handle: children that caught it too would each print a traceback."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return _ForkSafePool(max_workers=workers, mp_context=multiprocessing.get_context(method),
                         initializer=start_worker)


def chunked_map(function: Callable[[list], object], items: Sequence, chunk: int, workers: int) -> Iterator:
    """``function(list of items)`` of each run of ``chunk`` items, in order, in ``workers`` forked
    processes (``process_pool``); in this process when there is one worker or one run. ``function``
    is pickled to the workers: a module-level function, or a ``functools.partial`` of one."""
    chunks = [list(items[start : start + chunk]) for start in range(0, len(items), chunk)]
    with process_pool(workers) if workers > 1 and len(chunks) > 1 else nullcontext() as pool:
        yield from (pool.map if pool else map)(function, chunks)


class Beside:
    """``function(*args, progress=...)`` computed in another process while this one goes on (the
    review beside the run's clustering and map): the child's progress bars and log records
    are relayed to this process's, and ``result()`` waits for its return value or raises its
    exception. The child ignores Ctrl-C and leads its own process group, so ``cancel()`` ends it
    with any workers it forked (SIGTERM, which the child turns into SystemExit so that its own
    clean-up runs; SIGKILL after ``CANCEL_WAIT`` s).

    Spawned, not forked: a child forked after this process ran OpenMP (FAISS, torch, scikit-learn)
    hangs at its first parallel region, as the review's FAISS search did. Spawning costs the child
    its imports (about 2 s of CPU for the review), which it spends while this process goes on.
    Events go one way, through a pipe only the child writes to: this process never waits on a lock
    a killed child may hold, and a child whose parent is gone fails at its next event."""

    CANCEL_WAIT = 10.0

    def __init__(self, function: Callable, args: tuple, progress=None, wait_for_go: bool = False):
        """``wait_for_go``: the child starts (imports what ``function`` needs) but calls it only once
        ``go()`` is called, so that it can be started early, before all of its arguments are known."""
        context = multiprocessing.get_context("spawn")
        self._reader, writer = context.Pipe(duplex=False)
        go_reader, self._go = context.Pipe(duplex=False) if wait_for_go else (None, None)
        self._process = context.Process(target=_beside_child, args=(function, args, writer, progress is not None,
                                                                    _lowest_level(), go_reader, os.getpid()))
        with _main_not_imported(), _sigint_ignored():  # ignored from its start, not only once it says so
            self._process.start()
        for end in (writer, go_reader):  # the child holds the only events' writing end and go's reading end
            if end is not None:
                end.close()
        self._outcome: tuple[str, object] | None = None
        self._relay = threading.Thread(target=self._relay_events, args=(progress,), daemon=True)
        self._relay.start()

    def go(self, *more) -> None:
        """Let the child call the function, with ``more`` arguments after ``args`` (pickled to it: this
        waits until the child has them). Once only: later calls do nothing."""
        if self._go is None:
            return
        go, self._go = self._go, None
        try:
            go.send(more)
        except OSError:  # the child is gone: ``result()`` says so
            pass
        finally:
            go.close()

    def result(self):
        """The function's return value; it raises its exception. Call ``go()`` first where the
        child waits for it."""
        try:
            self._process.join()
            self._relay.join()
        except BaseException:  # Ctrl-C while waiting: the child goes too
            self.cancel()
            raise
        kind, value = self._outcome or ("died", self._process.exitcode)
        if kind == "error":
            raise value
        if kind == "died":
            raise RuntimeError(f"the process beside this one ended (exit code {value}) before its result")
        return value

    def cancel(self) -> None:
        for sent in (signal.SIGTERM, getattr(signal, "SIGKILL", signal.SIGTERM)):
            if not self._process.is_alive():
                break
            try:
                os.killpg(self._process.pid, sent)
            except (AttributeError, ProcessLookupError, PermissionError):  # no process groups (Windows)
                self._process.terminate()
            self._process.join(self.CANCEL_WAIT)
        self._relay.join(self.CANCEL_WAIT)

    def _relay_events(self, progress) -> None:
        from multiprocessing.connection import wait

        advances = {}
        try:
            while self._outcome is None:
                wait([self._reader, self._process.sentinel])  # an event, or the child's end
                if not self._reader.poll():  # the child ended and nothing is left to read
                    return
                kind, *rest = self._reader.recv()
                if kind == "start":
                    advances[rest[0]] = _progress.start(progress, *rest[1:])
                elif kind == "advance":
                    advances[rest[0]](rest[1])
                elif kind == "log":  # as if logged here: this process's levels decide what is shown
                    logger = logging.getLogger(rest[0].name)
                    if logger.isEnabledFor(rest[0].levelno):
                        logger.handle(rest[0])
                else:
                    self._outcome = (kind, rest[0])
        except EOFError:  # an event cut short by the child's end
            return
        except Exception as error:  # noqa: BLE001 - a result that does not unpickle, a progress bar that fails
            self._outcome = ("error", RuntimeError(f"the process beside this one could not be heard: {error!r}"))
        finally:
            self._reader.close()


def _lowest_level() -> int:
    """The lowest level any logger here shows: records under it are not even made in the child."""
    return min([logging.getLogger().getEffectiveLevel()] + [
        logger.level for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and logger.level])


class _ForwardLogs(logging.handlers.QueueHandler):
    def enqueue(self, record: logging.LogRecord) -> None:
        self.queue(("log", record))  # the child's send


_MAIN_LOCK = threading.Lock()


@contextmanager
def _main_not_imported():
    """A spawned child imports the caller's main module first, which runs a script without an
    ``if __name__ == "__main__":`` guard again, all of it (a whole ``imgorg.run``). The child needs
    nothing from it (its function cannot be one defined there): while it starts, ``__main__`` says
    it has no file or spec to import."""
    with _MAIN_LOCK:
        main = sys.modules["__main__"]
        saved = {name: main.__dict__[name] for name in ("__file__", "__spec__") if name in main.__dict__}
        main.__dict__.pop("__file__", None)
        main.__spec__ = None
        try:
            yield
        finally:
            main.__dict__.update(saved)


@contextmanager
def _sigint_ignored():
    """Ctrl-C ignored while a child starts, which it inherits (only the main thread sets signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


GO_POLL = 2.0  # s: how often a child waiting to go checks that its parent is still there


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # a number, not words: multiprocessing prints the words on stderr


def _beside_child(function: Callable, args: tuple, events, with_progress: bool, level: int, go, parent: int) -> None:
    if hasattr(os, "setpgrp"):
        os.setpgrp()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # cancel(): the function's own clean-up runs
    keep_freed_memory()  # it and the workers it forks go through every image
    lock = threading.Lock()  # its threads log too, and one message must not cut into another

    def send(event) -> None:
        with lock:
            events.send(event)

    root = logging.getLogger()
    root.handlers, root.level = [_ForwardLogs(send)], level
    counter = iter(range(1 << 30))

    def progress(description: str, total: int, unit: str = "img"):
        key = next(counter)
        send(("start", key, description, total, unit))
        return lambda n: send(("advance", key, n))

    more = ()
    if go is not None:
        while not go.poll(GO_POLL):
            if os.getppid() != parent:  # the parent is gone without a word: nothing to do
                return
        try:
            more = go.recv()
        except EOFError:  # closed without a go: the parent is gone
            return
    try:
        outcome = ("done", function(*args, *more, progress=progress if with_progress else None))
    except BaseException as error:  # noqa: BLE001 - every failure goes back to the parent
        if not isinstance(error, Exception):  # SystemExit, KeyboardInterrupt: not to be raised there as such
            error = RuntimeError(f"the process beside this one stopped: {type(error).__name__} {error}")
        error.add_note("".join(traceback.format_exception(error)).rstrip())  # where, in the child
        outcome = ("error", error)
    try:
        send(outcome)
    except OSError:  # the parent is gone: nobody to tell
        return
    except Exception as error:  # noqa: BLE001 - an exception that does not pickle
        send(("error", RuntimeError(f"{type(outcome[1]).__name__}: {outcome[1]} ({error})")))
