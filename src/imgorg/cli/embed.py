"""`imgorg embed SOURCE`: the embedding stage alone, locally or on a Ray cluster.

It fills the workspace's embedding cache; `imgorg run SOURCE --out` the same
workspace then embeds nothing and clusters on this machine."""

from __future__ import annotations

from ..config import ReduceConfig, RunConfig, ClusterConfig
from ..embed.backbones import DEFAULT_BACKBONE
from .console import console, escape, progress_bars
from .options import (Actors, Address, BatchSize, Backbone, Data, Device, Engine, ImageSize, Limit, Out, Sample,
                      Seed, Source, Split, Tta, Weights, Workers, embed_config)


def embed_command(
    source: Source,
    out: Out = None,
    split: Split = None,
    data: Data = None,
    limit: Limit = None,
    sample: Sample = None,
    backbone: Backbone = DEFAULT_BACKBONE,
    image_size: ImageSize = None,
    weights: Weights = None,
    device: Device = "auto",
    tta: Tta = False,
    batch_size: BatchSize = 64,
    workers: Workers = None,
    engine: Engine = "local",
    address: Address = None,
    actors: Actors = None,
    seed: Seed = 0,
) -> None:
    """Embed every image under SOURCE into the workspace's cache (resumable); cluster later with `imgorg run`."""
    from ..tasks.run import embed_only

    config = RunConfig(
        embed=embed_config(backbone, image_size, weights, batch_size, workers, device, tta, engine, address, actors),
        reduce=ReduceConfig(seed=seed), cluster=ClusterConfig(seed=seed),
    )
    with progress_bars() as progress:
        result, path = embed_only(source, out, config, progress=progress, split=split, data=data, limit=limit,
                                  sample=sample)
    failed = int((result.catalog["status"] == "error").sum())
    rate = result.n_computed / result.seconds if result.seconds else 0.0
    console.print(f"{len(result.embeddings):,} images embedded ({result.n_computed:,} now at {rate:,.0f} images/s, "
                  f"{result.n_cached:,} from cache{_copies(result.n_copies)}), {failed:,} failed, in {result.seconds:.1f} s, "
                  f"engine {engine}")
    console.print(f"Cache: [bold]{escape(str(path))}[/]. Next: imgorg run {escape(str(source))} --out "
                  f"{escape(str(path))} (same --backbone): it embeds nothing and clusters here.", highlight=False)


def _copies(n: int) -> str:
    return f", {n:,} {'copy' if n == 1 else 'copies'} of another file" if n else ""
