"""imgorg: organize a pile of unlabeled images by what they show.

    >>> import imgorg
    >>> result = imgorg.run("photos/", out="ws")         # embed, reduce, cluster, score
    >>> ws = imgorg.load_workspace("ws")                 # catalog, embeddings, clusters, metrics
    >>> imgorg.make_map(ws, imgorg.MapConfig("umap"))    # a task: computes, stores, registers its artifact
"""

from __future__ import annotations

import os

# OpenMP threads (torch, FAISS, scikit-learn) sleep instead of spinning while they wait. With
# another process on the cores, spinning made scan 2.2x slower; idle, no stage measured slower
# (docs/benchmarks.md). Set before any of them loads OpenMP; a value
# the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .clustering import cluster
from .constants import NOISE
from .config import (
    AddConfig, ClassifyConfig, ClusterConfig, CompareConfig, DuplicatesConfig, EmbedConfig, IndexConfig, MapConfig,
    OutlierConfig, ReduceConfig, RunConfig,
)
from .embed import BACKBONES, DEFAULT_BACKBONE, EmbedResult, embed_catalog, get_backbone
from .errors import (
    BackboneError,
    ConfigError,
    ImageDecodeError,
    ImgorgError,
    SourceError,
    WorkspaceError,
)
from .images import decode_image
from .metrics import ClusterScores, score_clustering
from .tasks.run import RunResult, run
from .reduce import Reducer
from .sources import scan_folder
from .tasks import (
    add_images, build_search_index, compare_methods, edit_clusters, find_duplicates, find_folder_duplicates, make_map,
    score_outliers, train_classifiers,
)
from .version import __version__
from .views import Workspace, load_workspace
from .tasks.saving import save_workspace

__all__ = [
    "BACKBONES",
    "DEFAULT_BACKBONE",
    "NOISE",
    "AddConfig",
    "BackboneError",
    "ClassifyConfig",
    "ClusterConfig",
    "ClusterScores",
    "CompareConfig",
    "ConfigError",
    "DuplicatesConfig",
    "EmbedConfig",
    "EmbedResult",
    "ImageDecodeError",
    "ImgorgError",
    "IndexConfig",
    "MapConfig",
    "OutlierConfig",
    "ReduceConfig",
    "Reducer",
    "RunConfig",
    "RunResult",
    "SourceError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "add_images",
    "build_search_index",
    "cluster",
    "compare_methods",
    "decode_image",
    "edit_clusters",
    "embed_catalog",
    "find_duplicates",
    "find_folder_duplicates",
    "get_backbone",
    "load_workspace",
    "make_map",
    "run",
    "save_workspace",
    "scan_folder",
    "score_clustering",
    "score_outliers",
    "train_classifiers",
]
