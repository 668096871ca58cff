"""The local embedding engine: decode in threads while the model runs (``--engine ray``: ray_engine.py).

A background thread fills a short queue with decoded, resized uint8 batches
(decoding and resizing release the GIL in PIL); the main thread runs the
model on them. Only images whose content hash is not in the cache are decoded.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import EmbedConfig
from ..errors import ImageDecodeError, ImgorgError
from ..fileio import file_sha256
from ..progress import Advance, ProgressFactory
from .. import progress as _progress
from ..reduce import l2_normalize
from ..sources import STATUS_ERROR, STATUS_OK, STATUS_PENDING, source_path
from .backbones import COMBINE, get_backbone, split_backbones
from .cache import EmbeddingCache
from .cores import available_cores, process_pool
from .preprocess import Preprocess, load_and_prepare

log = logging.getLogger(__name__)

Pixels = np.ndarray | list[np.ndarray]  # (b, H, W, 3) uint8, or a list of squares of mixed sizes
Runner = Callable[[Pixels], np.ndarray]
BATCHES_AHEAD = 2  # decoded batches queued in the pool beyond the one being collected
CPU_MODEL_WORKERS = 2  # decoders beside a model on the CPU: it needs the cores itself


@dataclass
class EmbedResult:
    embeddings: np.ndarray  # (n_ok, dim) float32, L2-normalised, in catalog order of "ok" rows
    catalog: pd.DataFrame  # the input catalog with status and error filled in
    n_computed: int  # images run through the model in this call
    n_cached: int  # images whose embedding came from the cache
    seconds: float
    decode_workers: int | None = None  # decoders used beside the model; None if nothing was embedded here or on Ray


@dataclass
class _Batch:
    shas: list[str]
    pixels: Pixels | None  # None when every image failed
    failures: dict[str, str]  # sha -> reason


def embed_catalog(
    root: str | Path,
    catalog: pd.DataFrame,
    config: EmbedConfig,
    cache_root: Path | None = None,
    *,
    runner: Runner | None = None,
    progress: ProgressFactory | None = None,
) -> EmbedResult:
    """Embed every readable image of ``catalog``; rows that fail get status "error".

    ``cache_root``: folder holding one cache per backbone key (see ``cache_key``);
    None embeds everything and caches nothing. A combined backbone ("a+b") embeds
    with each part (each cached under its own key) and concatenates the parts."""
    config.validate()
    if COMBINE in config.backbone:
        return _embed_combined(root, catalog, config, cache_root, runner=runner, progress=progress)
    start = time.perf_counter()
    spec = get_backbone(config.backbone)
    cache = EmbeddingCache(Path(cache_root) / cache_key(config), spec.dim) if cache_root else None
    known = cache.load() if cache else {}

    pending = catalog[catalog["status"] == STATUS_PENDING]
    todo = _unique_missing(root, pending, known)
    failures: dict[str, str] = {}
    workers = None
    if todo:
        advance = _progress.start(progress, f"Embedding ({spec.id})", len(todo))
        if config.engine == "ray":
            from .ray_engine import embed_on_ray  # ray is an optional extra

            new = embed_on_ray(todo, config, cache, failures, advance)
        else:
            runner = runner or default_runner(config)
            workers = decode_workers(config, runner)
            new = _run(todo, runner, preprocess_for(config), dataclasses.replace(config, workers=workers), cache,
                       failures, advance)
        known.update(new)

    catalog = catalog.copy()
    ok = catalog["status"].eq(STATUS_PENDING) & catalog["sha256"].isin(known.keys())
    failed = catalog["status"].eq(STATUS_PENDING) & ~ok
    catalog.loc[ok, "status"] = STATUS_OK
    catalog.loc[failed, "status"] = STATUS_ERROR
    catalog.loc[failed, "error"] = catalog.loc[failed, "sha256"].map(failures).fillna("not embedded")
    shas = catalog.loc[catalog["status"] == STATUS_OK, "sha256"].tolist()
    embeddings = np.stack([known[s] for s in shas]).astype(np.float32) if shas else np.zeros((0, spec.dim), np.float32)
    return EmbedResult(embeddings, catalog, len(todo) - len(failures), len(pending) - len(todo),
                       time.perf_counter() - start, workers)


def _embed_combined(root, catalog: pd.DataFrame, config: EmbedConfig, cache_root, *, runner, progress) -> EmbedResult:
    """Concatenate the L2-normalised embeddings of each part; an image is "ok" only if every part is."""
    start = time.perf_counter()
    parts = [embed_catalog(root, catalog, dataclasses.replace(config, backbone=b), cache_root,
                           runner=runner, progress=progress) for b in split_backbones(config.backbone)]
    ok = np.logical_and.reduce([p.catalog["status"].eq(STATUS_OK).to_numpy() for p in parts])
    merged = parts[0].catalog.copy()
    for part in parts[1:]:  # the first failure reason of a row wins
        failed_here = part.catalog["status"].eq(STATUS_ERROR) & merged["status"].ne(STATUS_ERROR)
        merged.loc[failed_here, ["status", "error"]] = part.catalog.loc[failed_here, ["status", "error"]]
    vectors = []
    for part in parts:  # each part's rows are its own "ok" rows: keep those ok in every part
        keep = ok[part.catalog["status"].eq(STATUS_OK).to_numpy()]
        vectors.append(part.embeddings[keep])
    embeddings = l2_normalize(np.concatenate(vectors, axis=1)).astype(np.float32)
    return EmbedResult(embeddings, merged, sum(p.n_computed for p in parts), sum(p.n_cached for p in parts),
                       time.perf_counter() - start, max((p.decode_workers or 0 for p in parts), default=0) or None)


def cache_key(config: EmbedConfig) -> str:
    """Backbone id + input pixels + weights + TTA: an embedding is reused only if all match.

    A combined backbone's key joins its parts' keys with "+"."""
    if COMBINE in config.backbone:
        return COMBINE.join(cache_key(dataclasses.replace(config, backbone=b))
                            for b in split_backbones(config.backbone))
    spec = get_backbone(config.backbone)
    weights = file_sha256(spec.weights_path(config.weights))[:12]
    return f"{spec.id}-{preprocess_for(config).signature()}-{weights}{'-tta' if config.tta else ''}"


def preprocess_for(config: EmbedConfig) -> Preprocess:
    pre = get_backbone(config.backbone).preprocess
    if config.image_size:
        pre = Preprocess(config.image_size, pre.mean, pre.std, pre.resample)
    return pre


def resolve_device(device: str) -> str:
    """"auto" -> "cuda" when torch sees a GPU, else "cpu"."""
    if device != "auto":
        return device
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def default_runner(config: EmbedConfig, threads: int | None = None) -> Runner:
    """CUDA: torch fp16 channels_last. CPU: ONNX Runtime (``threads`` intra-op threads, default
    all cores), or torch if the graph does not export."""
    from .onnx_runner import OnnxRunner, TorchRunner

    spec, size = get_backbone(config.backbone), preprocess_for(config).input_size
    if resolve_device(config.device) == "cuda":
        return TorchRunner(spec, config.weights, size, device="cuda")
    try:
        return OnnxRunner(spec, config.weights, size, threads=threads)
    except Exception as err:  # noqa: BLE001 - any exporter/runtime failure: torch still works
        if isinstance(err, ImgorgError):
            raise
        log.warning("ONNX export of %s failed (%s); running it with torch on CPU", spec.id, err)
        return TorchRunner(spec, config.weights, size, device="cpu")


def features(runner: Runner, pixels: Pixels, tta: bool) -> np.ndarray:
    features = runner(pixels)
    if tta:  # mean with the horizontal mirror, before normalising
        features = (features + runner(_mirror(pixels))) / 2
    return features


def _mirror(pixels: Pixels) -> Pixels:
    if isinstance(pixels, list):
        return [np.ascontiguousarray(image[:, ::-1]) for image in pixels]
    return np.ascontiguousarray(pixels[:, :, ::-1])


def _stack(images: list[np.ndarray]) -> Pixels:
    """One array when every image has the same shape (always, unless the runner upsamples)."""
    return np.stack(images) if len({image.shape for image in images}) == 1 else images


class ImageEmbedder:
    """Embeds one image's bytes exactly as ``embed_catalog`` would (parts, TTA, normalisation).

    For search: models load on first use and are kept; raises ImageDecodeError."""

    def __init__(self, config: EmbedConfig):
        self.config = config
        self._runners: dict[str, Runner] = {}

    def __call__(self, data: bytes) -> np.ndarray:
        parts = split_backbones(self.config.backbone) if COMBINE in self.config.backbone else [self.config.backbone]
        vectors = []
        for backbone in parts:
            config = dataclasses.replace(self.config, backbone=backbone)
            pixels = load_and_prepare(data, preprocess_for(config))[None]
            if backbone not in self._runners:
                self._runners[backbone] = default_runner(config)
            vectors.append(l2_normalize(features(self._runners[backbone], pixels, config.tta)))
        return l2_normalize(np.concatenate(vectors, axis=1))[0]


def _unique_missing(root, pending: pd.DataFrame, known: dict) -> list[tuple[str, Path]]:
    """(sha, path) of each distinct content not yet embedded, in catalog order."""
    seen: set[str] = set()
    todo = []
    for sha, rel in zip(pending["sha256"], pending["path"]):
        if sha not in known and sha not in seen:
            seen.add(sha)
            todo.append((sha, source_path(root, rel)))
    return todo


def _run(todo, runner: Runner, pre: Preprocess, config: EmbedConfig, cache: EmbeddingCache | None,
         failures: dict[str, str], advance: Advance) -> dict[str, np.ndarray]:
    """Embeds ``todo`` with ``config.workers`` decoders (resolved: see ``decode_workers``)."""
    upsamples = getattr(runner, "upsamples", False)
    if upsamples:  # small images go to the runner at their own size
        pre = dataclasses.replace(pre, upsample_on_device=True)
    shards = ShardWriter(cache, config.shard_size)
    for batch in _prefetch(_decoded_batches(todo, pre, config, processes=upsamples), depth=3):
        failures.update(batch.failures)
        if batch.pixels is not None:
            shards.add(batch.shas, l2_normalize(features(runner, batch.pixels, config.tta)))
        advance(len(batch.shas) + len(batch.failures))
    return shards.close()


class ShardWriter:
    """Collects new embeddings and appends them to the cache every ``shard_size`` images.

    Both engines write through it, so a killed run of either resumes after its last shard."""

    def __init__(self, cache: EmbeddingCache | None, shard_size: int):
        self.cache, self.shard_size = cache, shard_size
        self.new: dict[str, np.ndarray] = {}
        self._shas: list[str] = []
        self._vectors: list[np.ndarray] = []

    def add(self, shas: list[str], vectors: np.ndarray) -> None:
        self.new.update(zip(shas, vectors))
        self._shas += shas
        self._vectors.append(vectors)
        if len(self._shas) >= self.shard_size:
            self._flush()

    def close(self) -> dict[str, np.ndarray]:
        """Write what is left; return every vector added, by sha."""
        self._flush()
        return self.new

    def _flush(self) -> None:
        if self.cache and self._shas:
            self.cache.append(self._shas, np.concatenate(self._vectors))
        self._shas, self._vectors = [], []


def decode_file(path: Path, pre: Preprocess) -> tuple[np.ndarray | None, str | None]:
    """(the model's uint8 input, None), or (None, why the file cannot be used)."""
    try:
        return load_and_prepare(Path(path).read_bytes(), pre), None
    except ImageDecodeError as err:
        return None, err.reason
    except OSError as err:
        return None, f"cannot read: {err.strerror or err}"


def decode_workers(config: EmbedConfig, runner: Runner) -> int:
    """``config.workers``, or by default 2 beside a CPU model and every core beside a GPU one.

    Beside a GPU, decoding is the bound (the issue's H100: 18,000 img/s forward only,
    4,350 decoded with 14 threads), so every core decodes; on the CPU the model needs
    the cores and 2 decoders keep it fed (end to end / forward only 0.93 on 2 cores)."""
    if config.workers is not None:
        return config.workers
    device = getattr(runner, "device", None)
    if getattr(device, "type", device) == "cuda":
        return available_cores()
    return CPU_MODEL_WORKERS


def _prepare_chunk(items: list[tuple[str, Path]], pre: Preprocess) -> list[tuple]:
    return [(sha, *decode_file(path, pre)) for sha, path in items]


def _decoded_batches(todo, pre: Preprocess, config: EmbedConfig, processes: bool = False) -> Iterator[_Batch]:
    """Batches of decoded images, in ``todo`` order, prepared by ``config.workers`` threads or processes.

    Processes when a GPU upsamples: decoding is then the bound, and without the
    resize it is mostly Python work that threads serialise on the GIL (2 cores,
    60,000 CIFAR JPEGs left at 32 px: 8,600 img/s in threads, 18,600 in processes;
    docs/benchmarks.md). On the CPU the model is the bound and threads cost less.
    One task per worker and batch, not per image: tasks of one 32 px image spend
    more on the pool than on decoding."""
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
        pixels=_stack([px for _, px in good]) if good else None,
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
