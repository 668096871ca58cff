"""Typed parameters of every stage; saved beside the results of each run.

Each default is written once, here, and each config is checked once by its constraint table
(``CONSTRAINTS``: a field's allowed values, as scikit-learn's ``_parameter_constraints``), plus
the rules that tie fields together in ``check``. ``validate()`` returns the config.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .constants import CLUSTERING_METHODS
from .errors import ConfigError

AUTO_METHODS = CLUSTERING_METHODS  # tried by --method auto and `imgorg compare`


@dataclass(frozen=True)
class Rule:
    """One constraint: ``accepts(value)``, and what it asks for, for the message."""

    accepts: Any
    needs: str


def positive(extra: str = "pass a value of 1 or more") -> Rule:
    return Rule(lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, f"a positive integer; {extra}")


def whole_at_least(low: int, needs: str) -> Rule:
    return Rule(lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= low, needs)


def fraction(needs: str = "a fraction between 0 and 1") -> Rule:
    return Rule(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= v <= 1.0, needs)


def one_of(*values) -> Rule:
    return Rule(lambda v: v in values, f"one of {', '.join(map(str, values))}")


def optional(rule: Rule) -> Rule:
    return Rule(lambda v: v is None or rule.accepts(v), rule.needs)


class Checked:
    """``validate()`` by the class's ``CONSTRAINTS`` table, then its ``check()`` for rules between fields."""

    CONSTRAINTS: ClassVar[dict[str, Rule]] = {}

    def validate(self):
        for name, rule in self.CONSTRAINTS.items():
            value = getattr(self, name)
            if not rule.accepts(value):
                shown = ",".join(map(str, value)) if isinstance(value, tuple) else repr(value)  # as it was typed
                raise ConfigError(f"{name} ({shown}) must be {rule.needs}")
        self.check()
        return self

    def check(self) -> None:
        """Rules that tie fields together; none by default."""


@dataclass(frozen=True)
class EmbedConfig(Checked):
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

    CONSTRAINTS: ClassVar[dict[str, Rule]] = {
        "device": one_of("auto", "cpu", "cuda"), "engine": one_of("local", "ray"),
        "ray_actors": optional(positive()), "batch_size": positive(), "workers": optional(positive()),
        "shard_size": positive()}

    def check(self) -> None:
        if self.weights and "+" in self.backbone:
            raise ConfigError(f"--weights names one file but backbone {self.backbone!r} combines several; "
                              "use --weights with a single backbone")


@dataclass(frozen=True)
class ReduceConfig(Checked):
    l2: bool = True  # L2-normalise each embedding before PCA
    pca_dim: int = 50  # PCA components kept; capped at min(n_images, dim)
    whiten: bool = False  # scale PCA components to unit variance
    seed: int = 0

    CONSTRAINTS: ClassVar[dict[str, Rule]] = {"pca_dim": positive()}


@dataclass(frozen=True)
class ClusterConfig(Checked):
    method: str = "scan"  # clusterer name (imgorg.clustering.METHODS) or "auto"; k-means always runs too
    k: int | str = 10  # number of clusters for methods that take one, or "auto" (best silhouette)
    n_init: int = 10  # k-means restarts; the best inertia wins
    linkage: str = "ward"  # agglomerative: ward, average or complete
    eps: float | None = None  # DBSCAN radius; None = knee of the k-distance curve
    min_samples: int = 10  # DBSCAN/HDBSCAN core-point neighbourhood
    min_cluster_size: int = 20  # HDBSCAN smallest cluster
    event_gap_hours: float = 6.0  # events: a gap in capture time longer than this starts a new event
    seed: int = 0

    CONSTRAINTS: ClassVar[dict[str, Rule]] = {
        "k": Rule(lambda v: v == "auto" or (isinstance(v, int) and not isinstance(v, bool) and v >= 2),
                  "a whole number of 2 or more, or 'auto'"),
        "n_init": positive(), "min_samples": positive(), "min_cluster_size": positive(),
        "linkage": one_of("ward", "average", "complete"),
        "event_gap_hours": Rule(lambda v: isinstance(v, (int, float)) and v > 0, "a positive number of hours")}


@dataclass(frozen=True)
class MapConfig(Checked):
    method: str = "umap"  # umap, tsne or pca (imgorg.maps.METHODS); "none": no map (imgorg run only)
    dims: int = 2  # 2 or 3
    max_fit: int | None = None  # fit on a sample of at most this many images, place the rest; None = 10,000 past 50,000
    epochs: int | None = None  # UMAP's optimisation epochs; None = its own choice (500 under 10,000 points)
    seed: int = 0

    CONSTRAINTS: ClassVar[dict[str, Rule]] = {"dims": Rule(lambda v: v in (2, 3), "2 or 3"),
                                              "method": one_of("umap", "tsne", "pca", "none"),  # maps.METHODS, none
                                              "max_fit": optional(positive())}


# The map a run makes: UMAP fitted on 1,500 images in 200 epochs, the rest placed by their
# neighbours (trustworthiness 0.874 on CIFAR-10's test images, as with 2,000 and 500 epochs)
RUN_MAP = MapConfig(max_fit=1_500, epochs=200)


@dataclass(frozen=True)
class RunConfig:
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    reduce: ReduceConfig = field(default_factory=ReduceConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    map: MapConfig = RUN_MAP  # frozen, so one instance serves every run

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
            map=MapConfig(**data["map"]) if "map" in data else RUN_MAP,
        )


# -- workspace tasks: each verb in imgorg.tasks takes one of these -------------------------------

@dataclass(frozen=True)
class OutlierConfig(Checked):
    method: str = "knn"  # knn (1 - mean cosine to the k nearest) or lof (Local Outlier Factor)
    k: int = 10  # neighbours per image

    CONSTRAINTS: ClassVar[dict[str, Rule]] = {"method": one_of("knn", "lof"), "k": positive()}


@dataclass(frozen=True)
class ClassifyConfig(Checked):
    labels: str = "from-folders"  # "from-folders", or a CSV with columns id or path, and label
    models: tuple[str, ...] = ("logistic", "svm", "rf")  # imgorg.classify.MODELS
    folds: int = 5  # stratified cross-validation folds (capped by the smallest class)
    features: str = "embeddings"  # embeddings (full) or reduced (PCA: faster, a little less accurate)
    seed: int = 0

    CONSTRAINTS: ClassVar[dict[str, Rule]] = {
        "features": Rule(lambda v: v in ("embeddings", "reduced"), "embeddings or reduced"),
        "models": Rule(lambda v: not isinstance(v, str) and len(v) > 0,
                       "a tuple of some of logistic, svm, rf: models=('svm',), not models='svm'"),
        "folds": whole_at_least(2, "a whole number of 2 or more")}


@dataclass(frozen=True)
class CompareConfig(Checked):
    methods: tuple[str, ...] = AUTO_METHODS
    k: int | str | None = None  # clusters for methods that take k, "auto", or None for the workspace's k
    max_noise: float = 0.30  # a density method is preferred only up to this noise fraction
    seed: int = 0

    CONSTRAINTS: ClassVar[dict[str, Rule]] = {
        "methods": Rule(lambda v: len(v) > 0, "at least one clustering method (it is empty)"),
        "max_noise": fraction()}

    def check(self) -> None:
        if self.k is not None:
            ClusterConfig(k=self.k).validate()


@dataclass(frozen=True)
class DuplicatesConfig(Checked):
    threshold: float | None = None  # pair score for a copy; None = the method's default (0.82, --fast 0.88)
    fast: bool = False  # thumbnails only, no embedding (a folder without a workspace)
    keypoint_checks: int = 6  # unsure pairs checked by keypoints per image, to find heavy crops (0: none)

    CONSTRAINTS: ClassVar[dict[str, Rule]] = {
        "threshold": optional(Rule(lambda v: isinstance(v, (int, float)) and 0.0 < v <= 1.0, "a similarity in (0, 1]")),
        "keypoint_checks": whole_at_least(0, "a whole number of checks per image, 0 or more; 0 turns the keypoint "
                                             "checks of heavy crops off")}


@dataclass(frozen=True)
class AddConfig(Checked):
    folder: str  # the images to add (a folder; images already in the workspace are skipped)
    # A new image joins its most probable cluster at this probability or more, else `unsorted`.
    # Chosen on halves of CIFAR-10's test images (0.858 placed right, 19.2% unsorted) and
    # checked on held-out train images (0.859, 19.1%): docs/benchmarks.md.
    threshold: float = 0.54
    seed: int = 0

    CONSTRAINTS: ClassVar[dict[str, Rule]] = {"threshold": fraction("a probability between 0 and 1")}


REVIEW_KINDS = ("copy", "similar", "blurry", "dark", "overexposed", "low_information", "odd_size", "odd_aspect",
                "outlier", "leak", "label_issue")  # what `imgorg review` can look for
# Looked for unless asked otherwise: all but similar shots, whose alignment of every candidate pair costs
# about 10x the copy search (docs/review.md); --kinds ...,similar asks for them.
DEFAULT_REVIEW_KINDS = tuple(kind for kind in REVIEW_KINDS if kind != "similar")


@dataclass(frozen=True)
class ReviewConfig(Checked):
    kinds: tuple[str, ...] = DEFAULT_REVIEW_KINDS  # what to look for
    splits: tuple[str, ...] | None = None  # top-level folders that are splits, in the order that keeps a shared
    # image; None: those named train, val, valid, validation or test (train keeps)
    keypoint_checks: int = DuplicatesConfig.keypoint_checks  # unsure copy candidates checked by keypoints per image; 0: none
    outlier_z: float = 3.5  # an outlier's k-NN distance is this many robust deviations above the collection's median
    folds: int = 5  # label issues: out-of-fold predictions from this many folds
    seed: int = 0

    CONSTRAINTS: ClassVar[dict[str, Rule]] = {
        "kinds": Rule(lambda v: len(v) > 0 and set(v) <= set(REVIEW_KINDS),
                      f"one or more of {', '.join(REVIEW_KINDS)}"),
        "splits": optional(Rule(lambda v: len(v) >= 2 and all(isinstance(s, str) and s for s in v),
                                "two or more folder names, e.g. train,test")),
        "keypoint_checks": whole_at_least(0, "a whole number of checks per image, 0 or more"),
        "outlier_z": Rule(lambda v: isinstance(v, (int, float)) and v > 0, "a positive number of deviations"),
        "folds": whole_at_least(2, "a whole number of 2 or more")}


@dataclass(frozen=True)
class ReportConfig(Checked):
    out: str | None = None  # an HTML file; None = the workspace's report.html (registered: a rerun keeps or drops it)
    method: str | None = None  # the clustering shown; None = the workspace's default
    seed: int = 0  # which images stand for each cluster and query


@dataclass(frozen=True)
class SearchConfig(Checked):
    query: Any = None  # an image id (int), a path to an image file, image bytes, or resolve_query(text=...) for words
    k: int = 10  # images returned
    method: str | None = None  # the clustering whose clusters are shown; None = the workspace's default
    text: str | None = None  # words instead of a query: SearchConfig(text="beach")

    CONSTRAINTS: ClassVar[dict[str, Rule]] = {"k": positive()}

    def validate(self):
        if (self.query is None) == (self.text is None):
            raise ConfigError("give one query: SearchConfig(image id, image path or bytes) or SearchConfig(text='words')"
                              if self.query is None else "give one query: query or text, not both")
        return super().validate()


EXPORT_FORMS = ("folders", "csv", "parquet")


@dataclass(frozen=True)
class ExportConfig(Checked):
    to: str  # "folders" (a folder per cluster or month, links or copies), "csv" or "parquet" (a row per image)
    target: str  # the folder or the file
    copy: bool = False  # folders: copy each image instead of linking it
    method: str | None = None  # the clustering exported; None = the workspace's default
    force: bool = False  # folders: add to a non-empty folder (nothing in it is overwritten)
    by: str = "cluster"  # folders: cluster, date (YYYY/MM), cluster,date or date,cluster

    CONSTRAINTS: ClassVar[dict[str, Rule]] = {"to": one_of(*EXPORT_FORMS)}


@dataclass(frozen=True)
class IndexConfig(Checked):
    kind: str = "auto"  # auto (exact up to 200,000 images, else ivf-pq), exact, hnsw, ivf-flat, ivf-pq



@dataclass(frozen=True)
class PeopleConfig(Checked):
    long_side: int = 1000  # images are searched scaled down to this long side (never up)
    upsample: int = 1  # detector pyramid doublings: 1 finds faces down to about 40 px of the scaled image
    min_face_px: int = 40  # a smaller face (side in the scaled image's pixels) is kept as unrecognised
    min_score: float = 0.3  # a face the detector is less sure of (dlib's HOG score) is kept as unrecognised
    threshold: float = 0.5  # descriptor distance under which two faces are linked (chinese whispers)
    # Chosen on 50 LFW people and 250 strangers, checked on 12 held-out people and 63 strangers
    # (docs/people.md): a group is cut where two parts' mean distance reaches `cut`, unless the parts'
    # centres lie within `rejoin`; a face stays in (or moves to) a group only within `reach` of its centre.
    cut: float = 0.55
    rejoin: float = 0.4
    reach: float = 0.48
    min_faces: int = 2  # a group of fewer faces is no person yet: its faces stay ungrouped (person -1)

    CONSTRAINTS: ClassVar[dict[str, Rule]] = {
        "long_side": whole_at_least(64, "a whole number of pixels, 64 or more (1000 finds faces of 40 px and more "
                                        "in photos of any size)"),
        "upsample": whole_at_least(0, "a whole number of doublings, 0 to 3"),
        "min_face_px": whole_at_least(0, "a whole number of pixels, 0 or more"),
        "min_score": Rule(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
        "threshold": Rule(lambda v: isinstance(v, (int, float)) and 0.0 < v < 2.0, "a descriptor distance in (0, 2)"),
        "cut": Rule(lambda v: isinstance(v, (int, float)) and 0.0 < v < 2.0, "a descriptor distance in (0, 2)"),
        "rejoin": Rule(lambda v: isinstance(v, (int, float)) and 0.0 <= v < 2.0, "a descriptor distance in [0, 2)"),
        "reach": Rule(lambda v: isinstance(v, (int, float)) and 0.0 < v < 2.0, "a descriptor distance in (0, 2)"),
        "min_faces": whole_at_least(1, "a whole number of faces, 1 or more (1: a face seen once is a person)")}

    def check(self) -> None:
        if self.upsample > 3:
            raise ConfigError(f"upsample ({self.upsample}) must be at most 3: each doubling costs about 4x the time")
