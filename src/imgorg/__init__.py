"""imgorg: organize a pile of unlabeled images by what they show.

    >>> import imgorg
    >>> result = imgorg.run("photos/", out="ws")         # embed, reduce, cluster, score
    >>> ws = imgorg.load_workspace("ws")                 # catalog, embeddings, clusters, metrics
"""

from __future__ import annotations

import os

# OpenMP threads (torch, FAISS, scikit-learn) sleep instead of spinning while they wait. With
# another process on the cores, spinning made scan 2.2x slower; idle, no stage measured slower
# (docs/benchmarks.md, "scan's torch threads"). Set before any of them loads OpenMP; a value
# the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

from .cluster import NOISE, cluster
from .config import ClusterConfig, EmbedConfig, ReduceConfig, RunConfig
from .embed.backbones import BACKBONES, DEFAULT_BACKBONE, get_backbone
from .embed import EmbedResult, embed_catalog
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
from .pipeline import RunResult, run
from .reduce import Reducer
from .sources import scan_folder
from .workspace import Workspace, load_workspace, save_workspace

__all__ = [
    "BACKBONES",
    "DEFAULT_BACKBONE",
    "NOISE",
    "BackboneError",
    "ClusterConfig",
    "ClusterScores",
    "ConfigError",
    "EmbedConfig",
    "EmbedResult",
    "ImageDecodeError",
    "ImgorgError",
    "ReduceConfig",
    "Reducer",
    "RunConfig",
    "RunResult",
    "SourceError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "cluster",
    "decode_image",
    "embed_catalog",
    "get_backbone",
    "load_workspace",
    "run",
    "save_workspace",
    "scan_folder",
    "score_clustering",
]
