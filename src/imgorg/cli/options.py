"""Options shared by `imgorg run` and `imgorg embed`: where the images come from and how they are embedded."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import EmbedConfig
from ..datasets import DATASETS

DATASET_NAMES = ", ".join(DATASETS)

Source = Annotated[str, typer.Argument(help=f"Folder of images (searched recursively), or a dataset: {DATASET_NAMES}.")]
Out = Annotated[Optional[Path], typer.Option("--out", "-o", help="Workspace folder (default: ./workspaces/<DIR name> or <dataset>-<split>).")]
Split = Annotated[Optional[str], typer.Option(help="Dataset split (cifar10/cifar100/stl10: train or test, default test).")]
Data = Annotated[Optional[Path], typer.Option(help="The dataset's archive, or a folder holding it (else $IMGORG_DATA, the cache, a download).")]
Limit = Annotated[Optional[int], typer.Option(help="Keep only the first N images.")]
Sample = Annotated[Optional[int], typer.Option(help="Keep a random N images (stratified by label when labelled; --seed).")]
Backbone = Annotated[str, typer.Option(help="Backbone id (`imgorg backbones`); 'a+b' concatenates backbones.")]
ImageSize = Annotated[Optional[int], typer.Option(help="Model input side in pixels (default: the backbone's).")]
Weights = Annotated[Optional[Path], typer.Option(help="Local weights file (state dict or checkpoint) for the backbone.")]
Device = Annotated[str, typer.Option(help="auto, cpu (ONNX Runtime) or cuda (torch fp16).")]
Tta = Annotated[bool, typer.Option("--tta/--no-tta", help="Average each image's features with its mirror's.")]
BatchSize = Annotated[int, typer.Option(help="Images per inference batch.")]
Workers = Annotated[Optional[int], typer.Option(help="Decoding threads (local engine; processes when a GPU upsamples). Default: 2 beside a CPU model, every core beside a GPU.")]
Engine = Annotated[str, typer.Option(help="local (this process) or ray (Ray Data actors; needs the ray extra, docs/scale.md).")]
Address = Annotated[Optional[str], typer.Option(help="--engine ray: 'auto' (the cluster this machine belongs to) or ray://HOST:10001; default a local instance.")]
Actors = Annotated[Optional[int], typer.Option(help="--engine ray: model replicas (default one per GPU, else one per 2 CPUs).")]
Float16 = Annotated[bool, typer.Option("--float16/--float32", help="Store embeddings.npy as float16: half the disk, cosines within ~1e-3.")]
Seed = Annotated[int, typer.Option(help="Random seed for PCA, k-means and --sample.")]


def embed_config(backbone: str, image_size: int | None, weights: Path | None, batch_size: int, workers: int | None,
                 device: str, tta: bool, engine: str, address: str | None, actors: int | None,
                 float16: bool = False) -> EmbedConfig:
    return EmbedConfig(backbone=backbone, image_size=image_size, weights=str(weights) if weights else None,
                       batch_size=batch_size, workers=workers, device=device, tta=tta, engine=engine,
                       ray_address=address, ray_actors=actors, float16=float16)
