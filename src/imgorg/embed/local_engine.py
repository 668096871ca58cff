"""The local engine: decode in threads (or processes) while the model runs in this process.

A background thread keeps a few decoded, resized uint8 batches ready (decoding and
resizing release the GIL in PIL); the calling thread runs the model on them. Only
images whose content hash is not in the cache reach here.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..config import EmbedConfig
from ..parallel import available_cores, process_pool
from ..progress import Advance
from ..reduce import l2_normalize
from .cache import EmbeddingCache
from . import gpu_decode
from .decode import Pixels, decode_file, stack_pixels
from .preprocess import Preprocess
from .runners import Runner, forward
from .shards import ShardWriter

BATCHES_AHEAD = 2  # decoded batches queued in the pool beyond the one being collected
CPU_MODEL_WORKERS = 2  # decoders beside a model on the CPU: it needs the cores itself


@dataclass
class _Batch:
    shas: list[str]
    pixels: Pixels | None  # None when every image failed
    failures: dict[str, str]  # sha -> reason


def embed_locally(todo: list[tuple[str, Path]], runner: Runner, pre: Preprocess, config: EmbedConfig,
                  cache: EmbeddingCache | None, failures: dict[str, str], advance: Advance):
    """Embeds ``todo`` ((sha, path) pairs) with ``config.workers`` decoders (resolved: see ``decode_workers``);
    returns ``ShardWriter.close()``: the new vectors and tags by sha."""
    pre, processes = decode_setup(runner, pre)
    shards = ShardWriter(cache, config.shard_size)
    with shards.kept_on_failure():
        for batch in _prefetch(decoded_batches(todo, pre, config, processes=processes), depth=3):
            failures.update(batch.failures)
            if batch.pixels is not None:
                vectors, tags = forward(runner, batch.pixels, config.tta)
                shards.add(batch.shas, l2_normalize(vectors), tags)
            advance(len(batch.shas) + len(batch.failures))
    return shards.close()


def decode_setup(runner: Runner, pre: Preprocess) -> tuple[Preprocess, bool]:
    """(the decoders' preprocessing, whether they are processes) beside ``runner``.

    A runner that upsamples gets small images at their own size, from processes (see
    ``decoded_batches``); any other gets the model's input from threads. A runner on a GPU
    that can decode JPEGs (torchvision) gets big JPEGs undecoded (gpu_decode.py)."""
    device = getattr(runner, "device", None)
    if getattr(device, "type", device) == "cuda" and gpu_decode.available():
        pre = dataclasses.replace(pre, jpeg_on_device=True)
    if getattr(runner, "upsamples", False):
        return dataclasses.replace(pre, upsample_on_device=True), True
    return pre, False


def decode_workers(config: EmbedConfig, runner: Runner) -> int:
    """``config.workers``, or by default 2 beside a CPU model and every core beside a GPU one.

    Beside a GPU, decoding is the bound (an H100: 18,000 img/s forward only, 4,350
    decoded with 14 threads), so every core decodes; on the CPU the model needs the
    cores and 2 decoders keep it fed (end to end / forward only 0.93 on 2 cores)."""
    if config.workers is not None:
        return config.workers
    device = getattr(runner, "device", None)
    if getattr(device, "type", device) == "cuda":
        return available_cores()
    return CPU_MODEL_WORKERS


def _prepare_chunk(items: list[tuple[str, Path]], pre: Preprocess) -> list[tuple]:
    return [(sha, *decode_file(path, pre, sha)) for sha, path in items]


def decoded_batches(todo, pre: Preprocess, config: EmbedConfig, processes: bool = False) -> Iterator[_Batch]:
    """Batches of decoded images, in ``todo`` order, prepared by ``config.workers`` threads or processes.

    Processes when a GPU upsamples: decoding is then the bound, and without the
    resize it is mostly Python work that threads serialise on the GIL (2 cores,
    60,000 CIFAR JPEGs left at 32 px: 8,600 img/s in threads, 18,600 in processes).
    On the CPU the model is the bound and threads cost less. One task per worker and
    batch, not per image: tasks of one 32 px image spend more on the pool than on decoding."""
    with _decode_pool(config.workers, processes) as pool:
        in_flight: deque[list[Future]] = deque()  # batches submitted ahead keep every worker busy
        for i in range(0, len(todo), config.batch_size):
            items = todo[i : i + config.batch_size]
            step = -(-len(items) // config.workers)
            in_flight.append([pool.submit(_prepare_chunk, items[j : j + step], pre)
                              for j in range(0, len(items), step)])
            if len(in_flight) > BATCHES_AHEAD:
                yield _collect(in_flight.popleft())
        while in_flight:
            yield _collect(in_flight.popleft())


def _collect(chunks: list[Future]) -> _Batch:
    results = [row for chunk in chunks for row in chunk.result()]
    good = [(sha, px) for sha, px, err in results if err is None]
    return _Batch(
        shas=[sha for sha, _ in good],
        pixels=stack_pixels([px for _, px in good]) if good else None,
        failures={sha: err for sha, _, err in results if err is not None},
    )


def _decode_pool(workers: int, processes: bool):
    return process_pool(workers) if processes else ThreadPoolExecutor(max_workers=workers)


def _prefetch(iterator: Iterator[_Batch], depth: int) -> Iterator[_Batch]:
    """Run ``iterator`` in a background thread, ``depth`` items ahead of the consumer."""
    items: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def fill():
        try:
            for item in iterator:
                if stop.is_set():
                    return
                items.put(item)
        except BaseException as err:  # handed to the consumer, raised there
            items.put(err)
        finally:
            items.put(done)

    thread = threading.Thread(target=fill, name="imgorg-decode", daemon=True)
    thread.start()
    try:
        while (item := items.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                items.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)
