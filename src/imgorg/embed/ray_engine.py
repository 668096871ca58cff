"""The Ray engine: the local engine's embeddings, computed by Ray Data on a cluster.

The work streams through two ``map_batches`` stages: a function reads, decodes
and resizes the images, then an actor pool runs the model (it loads once per
actor): one actor per GPU where the cluster has GPUs, else one per
``CPUS_PER_ACTOR`` CPUs. With GPU actors the decoding runs as separate CPU tasks,
in parallel on every node, and, as in the local engine, square images smaller
than the model's input travel at their own size and the GPU upsamples them: the
decoders skip the resize (the bound of a GPU run on small images) and the object
store carries 49x fewer bytes for a CIFAR image. With CPU actors Ray fuses both
stages into the actor, which measured faster on 2 cores than shipping decoded
pixels between processes (docs/benchmarks.md). The driver collects the vectors as they arrive and
appends them to the workspace's embedding cache shard by shard (the same
``ShardWriter`` as the local engine), so a killed Ray run resumes like a local
one, and rows are put back in catalog order by content hash.

Paths travel, not pixels: every node must see the images at the same path (a
shared or network filesystem) and have imgorg installed (docs/scale.md).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from pathlib import Path

import numpy as np

from ..config import EmbedConfig
from ..errors import ConfigError, ImgorgError
from ..progress import Advance
from ..reduce import l2_normalize
from .backbones import get_backbone, preprocess_for
from .cache import EmbeddingCache
from .decode import decode_file
from .preprocess import Preprocess
from .runners import TorchRunner, default_runner, forward, upsamples_by_default
from .shards import ShardWriter
from .tags import TOP, Tags

log = logging.getLogger(__name__)

CPUS_PER_ACTOR = 2  # ONNX Runtime threads per CPU model replica (the local engine's default too)
ROWS_PER_BLOCK = 256  # images per Ray Data block: small enough to spread, large enough to batch
FORWARDED_ENV = ("IMGORG_CACHE",)  # where workers find weights and exported graphs


def embed_on_ray(todo: list[tuple[str, Path]], config: EmbedConfig, cache: EmbeddingCache | None,
                 failures: dict[str, str], advance: Advance):
    """Embed ``todo`` ((sha, path) pairs) on Ray; same contract as ``local_engine.embed_locally``."""
    ray = _import_ray()
    started_here = _connect(ray, config.ray_address)
    try:
        shards = ShardWriter(cache, config.shard_size)
        with shards.kept_on_failure():
            for batch in _dataset(ray, todo, config).iter_batches(batch_size=config.batch_size, batch_format="numpy"):
                ok = batch["error"] == ""
                shas = [str(s) for s in batch["sha256"]]
                failures.update((sha, str(err)) for sha, err, good in zip(shas, batch["error"], ok) if not good)
                if ok.any():
                    tags = Tags(batch["tag_classes"][ok], batch["tag_probs"][ok]) if "tag_classes" in batch else None
                    shards.add([sha for sha, good in zip(shas, ok) if good], batch["vector"][ok], tags)
                advance(len(shas))
        return shards.close()
    finally:
        if started_here:
            ray.shutdown()


def _dataset(ray, todo, config: EmbedConfig):
    use_gpu, actors = placement(ray.cluster_resources(), config)
    upsample = _actors_upsample(use_gpu, config)
    log.info("Ray: %d %s actor(s) for %d images%s", actors, "GPU" if use_gpu else "CPU", len(todo),
             ", small images upsampled on the GPU" if upsample else "")
    rows = [{"sha256": sha, "path": str(path)} for sha, path in todo]
    items = ray.data.from_items(rows, override_num_blocks=max(1, math.ceil(len(rows) / ROWS_PER_BLOCK)))
    pre = dataclasses.replace(preprocess_for(config), upsample_on_device=upsample)
    decoded = items.map_batches(decode_batch, fn_kwargs={"pre": pre}, batch_size=config.batch_size, batch_format="numpy")
    return decoded.map_batches(
        _Embedder, fn_constructor_kwargs={"config": config, "use_gpu": use_gpu, "upsample": upsample},
        batch_size=config.batch_size,
        batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=actors),
        num_gpus=1 if use_gpu else 0, num_cpus=1,
    )


def placement(resources: dict, config: EmbedConfig) -> tuple[bool, int]:
    """(use GPUs, number of model actors) for a cluster with ``resources`` (ray.cluster_resources())."""
    gpus = int(resources.get("GPU", 0))
    if config.device == "cuda" and not gpus:
        raise ConfigError("--device cuda, but the Ray cluster has no GPU; use --device cpu or add GPU workers")
    use_gpu = gpus > 0 and config.device != "cpu"
    default = gpus if use_gpu else max(1, int(resources.get("CPU", 1)) // CPUS_PER_ACTOR)
    return use_gpu, config.ray_actors or default


def _actors_upsample(use_gpu: bool, config: EmbedConfig) -> bool:
    """Whether the model actors upsample small images: on GPUs, by the local engine's rule."""
    return use_gpu and upsamples_by_default(get_backbone(config.backbone), "cuda")


def decode_batch(batch: dict, pre: Preprocess) -> dict:
    """Stage 1 (tasks): paths -> uint8 model inputs; a failed file gets zeros and its reason."""
    images, errors = [], []
    for path in batch["path"]:
        image, error = decode_file(Path(str(path)), pre)
        images.append(image)
        errors.append(error or "")
    return {"sha256": batch["sha256"], "pixels": pixel_column(images, pre.input_size),
            "error": np.array(errors, dtype=object)}


def pixel_column(images: list[np.ndarray | None], size: int) -> np.ndarray:
    """The batch's images as one uint8 array when their shapes agree (always when the CPU
    resizes), else as an object array of each image at its own size (Ray Data stores that
    as a variable-shaped tensor column). A failed file (None) becomes zeros."""
    shapes = {image.shape for image in images if image is not None} or {(size, size, 3)}
    if len(shapes) == 1:
        pixels = np.zeros((len(images), *shapes.pop()), np.uint8)
        for i, image in enumerate(images):
            if image is not None:
                pixels[i] = image
        return pixels
    pixels = np.empty(len(images), dtype=object)
    for i, image in enumerate(images):
        pixels[i] = np.zeros((1, 1, 3), np.uint8) if image is None else image
    return pixels


class _Embedder:
    """Stage 2 (actors): the model, loaded once per actor; the local engine's features, normalised."""

    def __init__(self, config: EmbedConfig, use_gpu: bool, upsample: bool = False):
        self.config = dataclasses.replace(config, device="cuda" if use_gpu else "cpu")
        spec = get_backbone(config.backbone)
        self.dim = spec.dim
        self.tagged = bool(spec.classifier)  # every batch then has tag columns: Ray Data wants one schema
        if upsample:  # the decoders left small images at their own size
            self.runner = TorchRunner(spec, config.weights, preprocess_for(config).input_size,
                                      device=self.config.device, upsample=True)
        else:
            self.runner = default_runner(self.config, threads=CPUS_PER_ACTOR)

    def __call__(self, batch: dict) -> dict:
        ok = batch["error"] == ""
        vectors = np.zeros((len(ok), self.dim), np.float32)
        out = {"sha256": batch["sha256"], "vector": vectors, "error": batch["error"]}
        if self.tagged:  # zeros where a file failed
            out["tag_classes"] = np.zeros((len(ok), TOP), np.int16)
            out["tag_probs"] = np.zeros((len(ok), TOP), np.float32)
        if ok.any():
            pixels = batch["pixels"][ok]
            if pixels.dtype == object:  # images of several sizes: the runner takes a list
                pixels = list(pixels)
            features, tags = forward(self.runner, pixels, self.config.tta)
            vectors[ok] = l2_normalize(features)
            if tags is not None and self.tagged:
                out["tag_classes"][ok], out["tag_probs"][ok] = tags.classes, tags.probs
        return out


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401 - the Data library is a separate extra of ray
    except ImportError:
        raise ImgorgError("--engine ray needs Ray Data: pip install 'imgorg[ray]' "
                          "(or pip install 'ray[data]')") from None
    return ray


def _connect(ray, address: str | None) -> bool:
    """Join the cluster at ``address`` (None: start a local instance). True if we started Ray here."""
    if ray.is_initialized():
        return False
    env = {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}
    ray.data.DataContext.get_current().enable_progress_bars = False  # imgorg draws its own
    try:
        ray.init(address=address, runtime_env={"env_vars": env} if env else None, include_dashboard=False,
                 log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise ImgorgError(f"cannot reach the Ray cluster at {address!r}: {err}. Start one with "
                          "`ray start --head` (docs/scale.md), or leave out --address for a local instance") from None
    return True
