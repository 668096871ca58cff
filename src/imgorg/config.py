"""Typed parameters of every stage; saved beside the results of each run."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class EmbedConfig:
    backbone: str = "efficientnet-lite0"  # id in the backbone registry (`imgorg backbones`)
    image_size: int | None = None  # square input side; None = the backbone's own choice
    weights: str | None = None  # local weights file; None = the backbone's packaged/cached weights
    batch_size: int = 64  # images per inference call
    workers: int | None = None  # decoders beside the model; None = 2 beside a CPU model, every core beside a GPU
    shard_size: int = 2048  # embeddings written to the cache every this many images
    tta: bool = False  # test-time augmentation: mean of the features of the image and its mirror
    device: str = "auto"  # "cpu" (ONNX Runtime), "cuda" (torch fp16), "auto" = cuda when available
    engine: str = "local"  # "local" (this process) or "ray" (Ray Data actors, embed/ray_engine.py)
    ray_address: str | None = None  # engine "ray": None = a local instance, "auto" or "ray://host:10001"
    ray_actors: int | None = None  # engine "ray": model replicas; None = one per GPU, else one per 2 CPUs
    float16: bool = False  # store the workspace's embeddings.npy as float16 (half the disk; read back as float32)

    def validate(self) -> None:
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"device {self.device!r} is not one of auto, cpu, cuda")
        if self.engine not in ("local", "ray"):
            raise ConfigError(f"engine {self.engine!r} is not one of local, ray")
        if self.ray_actors is not None:
            _positive("ray_actors", self.ray_actors)
        if self.weights and "+" in self.backbone:
            raise ConfigError(f"--weights names one file but backbone {self.backbone!r} combines several; "
                              "use --weights with a single backbone")
        _positive("batch_size", self.batch_size)
        if self.workers is not None:
            _positive("workers", self.workers)
        _positive("shard_size", self.shard_size)


@dataclass(frozen=True)
class ReduceConfig:
    l2: bool = True  # L2-normalise each embedding before PCA
    pca_dim: int = 50  # PCA components kept; capped at min(n_images, dim)
    whiten: bool = False  # scale PCA components to unit variance
    seed: int = 0

    def validate(self) -> None:
        _positive("pca_dim", self.pca_dim)


@dataclass(frozen=True)
class ClusterConfig:
    method: str = "scan"  # clusterer name (imgorg.clustering.METHODS) or "auto"; k-means always runs too
    k: int | str = 10  # number of clusters for methods that take one, or "auto" (best silhouette)
    n_init: int = 10  # k-means restarts; the best inertia wins
    linkage: str = "ward"  # agglomerative: ward, average or complete
    eps: float | None = None  # DBSCAN radius; None = knee of the k-distance curve
    min_samples: int = 10  # DBSCAN/HDBSCAN core-point neighbourhood
    min_cluster_size: int = 20  # HDBSCAN smallest cluster
    event_gap_hours: float = 6.0  # events: a gap in capture time longer than this starts a new event
    seed: int = 0

    def validate(self) -> None:
        if self.k != "auto" and (not isinstance(self.k, int) or self.k < 2):
            raise ConfigError(f"k ({self.k!r}) must be a whole number of 2 or more, or 'auto'")
        _positive("n_init", self.n_init)
        _positive("min_samples", self.min_samples)
        _positive("min_cluster_size", self.min_cluster_size)
        if self.linkage not in ("ward", "average", "complete"):
            raise ConfigError(f"linkage ({self.linkage!r}) must be one of ward, average, complete")
        if not self.event_gap_hours > 0:
            raise ConfigError(f"event_gap_hours ({self.event_gap_hours!r}) must be a positive number of hours")


@dataclass(frozen=True)
class MapConfig:
    method: str = "umap"  # umap, tsne or pca (imgorg.maps.METHODS); "none": no map (imgorg run only)
    dims: int = 2  # 2 or 3
    max_fit: int | None = None  # fit on a sample of at most this many images, place the rest; None = 10,000 past 50,000
    epochs: int | None = None  # UMAP's optimisation epochs; None = its own choice (500 under 10,000 points)
    seed: int = 0

    def validate(self) -> MapConfig:
        if self.dims not in (2, 3):
            raise ConfigError(f"dims ({self.dims!r}) must be 2 or 3")
        if self.max_fit is not None:
            _positive("max_fit", self.max_fit)
        return self


@dataclass(frozen=True)
class RunConfig:
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    reduce: ReduceConfig = field(default_factory=ReduceConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    # The map a run makes: UMAP fitted on 1,500 images in 200 epochs, the rest placed by their
    # neighbours (trustworthiness 0.874 on CIFAR-10's test images, as with 2,000 and 500 epochs)
    map: MapConfig = field(default_factory=lambda: MapConfig(max_fit=1_500, epochs=200))

    def validate(self) -> RunConfig:
        self.embed.validate()
        self.reduce.validate()
        self.cluster.validate()
        if self.map.method != "none":
            self.map.validate()
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        return cls(
            embed=EmbedConfig(**data.get("embed", {})),
            reduce=ReduceConfig(**data.get("reduce", {})),
            cluster=ClusterConfig(**data.get("cluster", {})),
            map=MapConfig(**data["map"]) if "map" in data else MapConfig(max_fit=1_500, epochs=200),
        )


# -- workspace tasks: each verb in imgorg.tasks takes one of these -------------------------------

@dataclass(frozen=True)
class OutlierConfig:
    method: str = "knn"  # knn (1 - mean cosine to the k nearest) or lof (Local Outlier Factor)
    k: int = 10  # neighbours per image

    def validate(self) -> OutlierConfig:
        _positive("k", self.k)
        return self


@dataclass(frozen=True)
class ClassifyConfig:
    labels: str = "from-folders"  # "from-folders", or a CSV with columns id or path, and label
    models: tuple[str, ...] = ("logistic", "svm", "rf")  # imgorg.classify.MODELS
    folds: int = 5  # stratified cross-validation folds (capped by the smallest class)
    features: str = "embeddings"  # embeddings (full) or reduced (PCA: faster, a little less accurate)
    seed: int = 0

    def validate(self) -> ClassifyConfig:
        if self.features not in ("embeddings", "reduced"):
            raise ConfigError(f"features ({self.features!r}) must be embeddings or reduced")
        if not self.models:
            raise ConfigError("models is empty: name at least one of logistic, svm, rf")
        if not isinstance(self.folds, int) or self.folds < 2:
            raise ConfigError(f"folds ({self.folds!r}) must be a whole number of 2 or more")
        return self


@dataclass(frozen=True)
class CompareConfig:
    methods: tuple[str, ...] = ("kmeans", "agglomerative", "dbscan", "hdbscan", "scan")
    k: int | str | None = None  # clusters for methods that take k, "auto", or None for the workspace's k
    max_noise: float = 0.30  # a density method is preferred only up to this noise fraction
    seed: int = 0

    def validate(self) -> CompareConfig:
        if not self.methods:
            raise ConfigError("methods is empty: name at least one clustering method")
        if self.k is not None:
            ClusterConfig(k=self.k).validate()
        if not 0.0 <= self.max_noise <= 1.0:
            raise ConfigError(f"max_noise ({self.max_noise!r}) must be a fraction between 0 and 1")
        return self


@dataclass(frozen=True)
class DuplicatesConfig:
    threshold: float | None = None  # pair score for a copy; None = the method's default (0.82, --fast 0.88)
    fast: bool = False  # thumbnails only, no embedding (a folder without a workspace)
    keypoint_checks: int = 6  # unsure pairs checked by keypoints per image, to find heavy crops (0: none)

    def validate(self) -> DuplicatesConfig:
        if self.threshold is not None and not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"threshold ({self.threshold}) must be a similarity in (0, 1]")
        if not isinstance(self.keypoint_checks, int) or self.keypoint_checks < 0:
            raise ConfigError(f"keypoint_checks ({self.keypoint_checks!r}) must be a whole number of checks per "
                              "image, 0 or more; 0 turns the keypoint checks of heavy crops off")
        return self


@dataclass(frozen=True)
class AddConfig:
    folder: str  # the images to add (a folder; images already in the workspace are skipped)
    # A new image joins its most probable cluster at this probability or more, else `unsorted`.
    # Chosen on halves of CIFAR-10's test images (0.858 placed right, 19.2% unsorted) and
    # checked on held-out train images (0.859, 19.1%): docs/benchmarks.md.
    threshold: float = 0.54
    seed: int = 0

    def validate(self) -> AddConfig:
        if not 0.0 <= self.threshold <= 1.0:
            raise ConfigError(f"threshold ({self.threshold!r}) must be a probability between 0 and 1")
        return self


@dataclass(frozen=True)
class IndexConfig:
    kind: str = "auto"  # auto (exact up to 200,000 images, else ivf-pq), exact, hnsw, ivf-flat, ivf-pq


def _positive(name: str, value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} ({value!r}) must be a positive integer; pass a value of 1 or more")
