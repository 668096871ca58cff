"""Runners: a backbone applied to uint8 NHWC batches, returning float32 features.

On the CPU, ONNX Runtime runs a graph exported once from the torch module and
cached (on 2 cores several times the throughput of eager PyTorch for
EfficientNet-Lite0); on a GPU, torch in fp16 with channels_last.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..cache_dir import cache_dir
from ..fileio import file_sha256
from .backbones import BackboneSpec, get_backbone, preprocess_for
from .decode import Pixels
from .gpu_decode import decode_batch as gpu_decode_batch
from .gpu_decode import split as gpu_split
from .tags import Tags, top_tags
from ..errors import ImgorgError
from ..parallel import available_cores

log = logging.getLogger(__name__)

INPUT_NAME = "images"  # uint8 (N, H, W, 3) RGB
OUTPUT_NAME = "features"  # float32 (N, dim), not yet L2-normalised
PROBS_NAME = "probabilities"  # float32 (N, 1000): the backbone's ImageNet classifier, where it has one
OPSET = 17
SPINNING = "session.intra_op.allow_spinning"  # ONNX Runtime's session option: "0" = idle threads sleep
# A runner maps a batch to its features, or to (features, class probabilities) for a backbone
# with a classifier (BackboneSpec.classifier).
Output = np.ndarray | tuple[np.ndarray, np.ndarray]
Runner = Callable[[Pixels], Output]


def onnx_path(spec: BackboneSpec, weights_path: str, input_size: int) -> Path:
    """Where the exported graph for these weights and input size is cached."""

    tag = file_sha256(weights_path)[:12]
    name = f"{spec.id}-{input_size}-{tag}-opset{OPSET}{'-tags' if spec.classifier else ''}.onnx"
    return cache_dir() / "onnx" / name


def export_onnx(spec: BackboneSpec, weights_path: str, input_size: int, path: Path) -> Path:
    """Export the torch module to ``path`` (atomic: a killed export leaves no half file)."""
    import torch

    model = spec.build(weights_path, input_size, with_head=bool(spec.classifier))
    outputs = [OUTPUT_NAME, PROBS_NAME] if spec.classifier else [OUTPUT_NAME]
    example = torch.zeros((2, input_size, input_size, 3), dtype=torch.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    log.info("exporting %s at %d px to ONNX (once): %s", spec.id, input_size, path)
    # The exporter's own warnings (constant folding, deprecations) say nothing a user can act on.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (example,),
            str(tmp),
            input_names=[INPUT_NAME],
            output_names=outputs,
            dynamic_axes={name: {0: "batch"} for name in (INPUT_NAME, *outputs)},
            opset_version=OPSET,
            dynamo=False,
        )
    os.replace(tmp, path)
    return path


class OnnxRunner:
    """Runs a backbone's graph on uint8 NHWC batches; returns float32 features."""

    def __init__(self, spec: BackboneSpec, weights_path: str | None = None, input_size: int | None = None,
                 threads: int | None = None):
        import onnxruntime as ort

        self.spec = spec
        self.input_size = input_size or spec.preprocess.input_size
        weights = spec.weights_path(weights_path)
        path = onnx_path(spec, weights, self.input_size)
        if not path.is_file():
            export_onnx(spec, weights, self.input_size, path)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or available_cores()
        # Idle threads sleep instead of spinning: decoders share the cores with the model, and
        # a spinning pool took about 20 ms of CPU after every call (tests/test_big_images.py).
        options.add_session_config_entry(SPINNING, "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.graph_path = path
        self.outputs = [o.name for o in self.session.get_outputs()]

    def __call__(self, batch: np.ndarray) -> Output:
        out = self.session.run(self.outputs, {INPUT_NAME: np.ascontiguousarray(batch, dtype=np.uint8)})
        return out[0] if len(out) == 1 else (out[0], out[1])


def upsamples_by_default(spec: BackboneSpec, device: str) -> bool:
    """Whether a torch model on ``device`` upsamples small images itself (TorchRunner's default).

    On CUDA, for bilinear backbones; torch's bicubic kernel is not PIL's, so those
    backbones resize on the CPU."""
    return device == "cuda" and spec.preprocess.resample == "bilinear"


class TorchRunner:
    """Runs a backbone's torch module directly: fp16 + channels_last on CUDA, fp32 on CPU.

    The uint8 batch is copied to the device as is (4x fewer bytes than float) and
    normalised there. With ``upsample`` (the default on CUDA for bilinear backbones)
    a batch may also be a list of square images of any size: those smaller than the
    input are upsampled on the device, so decoder threads never build the 224 px copy
    of a 32 px image, the CPU work that bounds a GPU run on small images
    (docs/benchmarks.md)."""

    def __init__(self, spec: BackboneSpec, weights_path: str | None = None, input_size: int | None = None,
                 device: str = "cpu", upsample: bool | None = None, compile_batch: int | None = None):
        import torch

        self.spec = spec
        self.input_size = input_size or spec.preprocess.input_size
        self.device = torch.device(device)
        self.upsamples = upsamples_by_default(spec, self.device.type) if upsample is None else upsample
        model = spec.build(spec.weights_path(weights_path), self.input_size, with_head=bool(spec.classifier))
        model = model.to(self.device).eval()
        if self.device.type == "cuda":
            model = model.half().to(memory_format=torch.channels_last)
        self.model = model
        self._pinned: dict[tuple, object] = {}  # page-locked staging buffers by batch shape
        # Compiled for one batch shape (the last, smaller batch is padded to it): see compiled_model.
        self.compile_batch = compile_batch
        if compile_batch:
            self.model = compiled_model(model, spec, self.input_size, compile_batch, self.device)

    def __call__(self, batch: np.ndarray | list[np.ndarray]) -> Output:
        import torch

        with torch.inference_mode():
            images = self._input(batch)
            rows = len(images)
            if self.compile_batch and rows < self.compile_batch:  # one shape for the compiled graph
                images = torch.cat([images, images.new_zeros((self.compile_batch - rows, *images.shape[1:]))])
            out = self.model(images)
            if isinstance(out, tuple):
                return tuple(o[:rows].float().cpu().numpy() for o in out)
            return out[:rows].float().cpu().numpy()

    def _input(self, batch: np.ndarray | list[np.ndarray]):
        """The batch on the device as uint8 NHWC at the input size, rows in order.

        A list is uploaded one shape at a time, then run as one batch: one forward
        pass however many sizes it mixes."""
        import torch

        if isinstance(batch, torch.Tensor):  # already prepared on the device (a mirrored batch, say)
            return batch
        if isinstance(batch, np.ndarray):
            return self._to_input_size(self._upload(batch))
        size = self.input_size
        images = torch.empty((len(batch), size, size, 3), dtype=torch.uint8, device=self.device)
        arrays, encoded = gpu_split(batch)
        if encoded:  # big JPEGs the decoders left for the GPU
            pre = dataclasses.replace(self.spec.preprocess, input_size=size)
            images[encoded] = gpu_decode_batch([batch[r] for r in encoded], pre, self.device)
        rows_by_shape: dict[tuple, list[int]] = {}
        for row in arrays:
            rows_by_shape.setdefault(batch[row].shape, []).append(row)
        for rows in rows_by_shape.values():
            images[rows] = self._to_input_size(self._upload(np.stack([batch[r] for r in rows])))
        return images

    def _upload(self, batch: np.ndarray):
        """The batch on the device; to a GPU through a reused page-locked buffer, so the copy runs at
        the bus's rate and does not wait for the CPU (the results are read back synchronously, so
        the buffer is free again when the next batch comes)."""
        import torch

        batch = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.uint8))
        if self.device.type != "cuda":
            return batch
        staging = self._pinned.get(batch.shape)
        if staging is None:
            staging = self._pinned[batch.shape] = torch.empty(batch.shape, dtype=torch.uint8, pin_memory=True)
        staging.copy_(batch)
        return staging.to(self.device, non_blocking=True)

    def _to_input_size(self, images):
        return images if images.shape[1:3] == (self.input_size, self.input_size) else self._upsample(images)

    def _upsample(self, images):
        """uint8 NHWC squares -> uint8 NHWC at the input size, with the backbone's filter.

        Two passes rounded to uint8 as PIL does. For whole-number scales (CIFAR's
        32 -> 224 is x7) the pixels equal PIL's exactly (tests/test_backbones.py);
        at other scales PIL's fixed-point weights differ by up to 2 levels in some
        pixels (embedding cosine about 0.9996), so one cache serves CPU and GPU runs."""
        import torch.nn.functional as F

        if not self.upsamples:
            raise ValueError(f"batch of {tuple(images.shape[1:3])} px images for a {self.input_size} px model; "
                             "resize on the CPU or build the runner with upsample=True")
        x = images.permute(0, 3, 1, 2).float()
        size, mode = self.input_size, self.spec.preprocess.resample
        # Width first, then height, rounding in between: PIL's two 8-bit passes.
        x = _to_8bit(F.interpolate(x, size=(x.shape[2], size), mode=mode, align_corners=False))
        x = _to_8bit(F.interpolate(x, size=(size, size), mode=mode, align_corners=False))
        return x.to(images.dtype).permute(0, 2, 3, 1).contiguous()


def _to_8bit(x):
    """Round half up and clip, as PIL stores a resized pixel."""
    return x.add_(0.5).floor_().clamp_(0, 255)


# torch.compile pays for its compile time (about 17 s cold on an H200, for about twice eager's
# rate) only over many images; with its artifacts cached from an earlier run it starts faster.
COMPILE_MIN_IMAGES = 500_000  # images to embed before a cold compile pays
COMPILE_MIN_IMAGES_WARM = 50_000  # the same with a warm cache (an earlier run compiled this shape)


def compile_cache(spec: BackboneSpec, input_size: int, batch: int) -> Path:
    """Where torch's compile artifacts for this backbone, size and batch live (``$IMGORG_CACHE``);
    a marker file in it says a compile of this shape finished."""
    return cache_dir() / "torch-compile" / f"{spec.id}-{input_size}-b{batch}"


def compile_pays(spec: BackboneSpec, input_size: int, batch: int, n_images: int) -> bool:
    """Whether to compile the model for a run of ``n_images`` on a GPU."""
    warm = (compile_cache(spec, input_size, batch) / "compiled").is_file()
    return n_images >= (COMPILE_MIN_IMAGES_WARM if warm else COMPILE_MIN_IMAGES)


def compiled_model(model, spec: BackboneSpec, input_size: int, batch: int, device):
    """``torch.compile`` of the model for one batch shape, its artifacts kept in ``compile_cache``
    so that later runs start warm; compiled now, on a batch of zeros, and checked against the
    eager model (cosine >= 0.9999 per row) before it is used."""
    import torch

    folder = compile_cache(spec, input_size, batch)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(folder / "inductor"))
    os.environ.setdefault("TORCHINDUCTOR_FX_GRAPH_CACHE", "1")
    compiled = torch.compile(model, dynamic=False)
    probe = torch.randint(0, 256, (batch, input_size, input_size, 3), dtype=torch.uint8, device=device)
    with torch.inference_mode():
        eager, fast = model(probe), compiled(probe)
    eager, fast = (eager[0], fast[0]) if isinstance(eager, tuple) else (eager, fast)
    cosine = torch.nn.functional.cosine_similarity(eager.float(), fast.float(), dim=1).min().item()
    if cosine < 0.9999:
        log.warning("compiled %s differs from eager (cosine %.6f); running it eagerly", spec.id, cosine)
        return model
    (folder / "compiled").touch()
    return compiled


def resolve_device(device: str) -> str:
    """"auto" -> "cuda" when torch sees a GPU, else "cpu"."""
    if device != "auto":
        return device
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def default_runner(config, threads: int | None = None, n_images: int = 0) -> Runner:
    """The runner for an ``EmbedConfig``. CUDA: torch fp16 channels_last, compiled when ``n_images``
    makes it pay (``compile_pays``). CPU: ONNX Runtime (``threads`` intra-op threads, default all
    cores), or torch if the graph does not export."""
    spec, size = get_backbone(config.backbone), preprocess_for(config).input_size
    if resolve_device(config.device) == "cuda":
        batch = config.batch_size if compile_pays(spec, size, config.batch_size, n_images) else None
        return TorchRunner(spec, config.weights, size, device="cuda", compile_batch=batch)
    try:
        return OnnxRunner(spec, config.weights, size, threads=threads)
    except Exception as err:  # noqa: BLE001 - any exporter/runtime failure: torch still works
        if isinstance(err, ImgorgError):
            raise
        log.warning("ONNX export of %s failed (%s); running it with torch on CPU", spec.id, err)
        return TorchRunner(spec, config.weights, size, device="cpu")


def forward(runner: Runner, pixels: Pixels, tta: bool) -> tuple[np.ndarray, Tags | None]:
    """(features, tags or None) of a batch; with ``tta``, features and class probabilities are
    the mean of the image's and its mirror's."""
    if tta and isinstance(pixels, list) and gpu_split(pixels)[1]:  # mirror JPEGs once the GPU decoded them
        pixels = runner._input(pixels)
    features, probs = _split(runner(pixels))
    if tta:  # mean with the horizontal mirror, before normalising
        mirrored, mirrored_probs = _split(runner(_mirror(pixels)))
        features = (features + mirrored) / 2
        probs = None if probs is None else (probs + mirrored_probs) / 2
    return features, None if probs is None else top_tags(probs)


def features(runner: Runner, pixels: Pixels, tta: bool) -> np.ndarray:
    """The features of a batch alone (see ``forward``)."""
    return forward(runner, pixels, tta)[0]


def _split(out: Output) -> tuple[np.ndarray, np.ndarray | None]:
    return (out[0], out[1]) if isinstance(out, tuple) else (out, None)


def _mirror(pixels: Pixels) -> Pixels:
    if not isinstance(pixels, (list, np.ndarray)):  # a torch tensor on the device (NHWC)
        return pixels.flip(dims=[2])
    if isinstance(pixels, list):
        return [np.ascontiguousarray(image[:, ::-1]) for image in pixels]
    return np.ascontiguousarray(pixels[:, :, ::-1])
