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

from .lazy import lazy_exports

# Where each public name lives: loaded on first use (PEP 562), so that `imgorg duplicates --fast` or
# `imgorg --help` does not import scikit-learn, FAISS and torch first.
_WHERE = {
    "cluster": "clustering", "NOISE": "constants",
    **{name: "config" for name in ("AddConfig", "ClassifyConfig", "ClusterConfig", "CompareConfig", "DuplicatesConfig",
                                   "EmbedConfig", "ExportConfig", "IndexConfig", "MapConfig", "OutlierConfig",
                                   "PeopleConfig", "ReduceConfig", "ReportConfig", "ReviewConfig", "RunConfig", "SearchConfig")},
    **{name: "embed" for name in ("BACKBONES", "DEFAULT_BACKBONE", "EmbedResult", "embed_catalog", "get_backbone")},
    **{name: "errors" for name in ("BackboneError", "ConfigError", "ImageDecodeError", "ImgorgError", "SourceError",
                                   "WorkspaceError")},
    "decode_image": "images", "ClusterScores": "metrics", "score_clustering": "metrics", "RunResult": "tasks.run",
    "run": "tasks.run", "Reducer": "reduce", "scan_folder": "sources", "__version__": "version",
    "Workspace": "views", "load_workspace": "views", "save_workspace": "tasks.saving",
    "accept_findings": "tasks.review", "dismiss_findings": "tasks.review",  # act on a stored review (edits)
    "removed_files": "tasks.export",  # what `imgorg export --removed` writes, as a table
    **{name: "tasks" for name in ("add_images", "build_search_index", "compare_methods", "edit_clusters",
                                  "export_clusters", "find_duplicates", "find_folder_duplicates", "find_people",
                                  "find_similar", "make_map", "review_collection", "score_outliers", "train_classifiers",
                                  "write_report")},
}



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
    "ExportConfig",
    "ImageDecodeError",
    "ImgorgError",
    "IndexConfig",
    "MapConfig",
    "OutlierConfig",
    "PeopleConfig",
    "ReduceConfig",
    "Reducer",
    "ReportConfig",
    "ReviewConfig",
    "RunConfig",
    "RunResult",
    "SearchConfig",
    "SourceError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "accept_findings",
    "add_images",
    "build_search_index",
    "cluster",
    "compare_methods",
    "decode_image",
    "dismiss_findings",
    "edit_clusters",
    "embed_catalog",
    "export_clusters",
    "find_duplicates",
    "find_folder_duplicates",
    "find_people",
    "find_similar",
    "get_backbone",
    "load_workspace",
    "make_map",
    "removed_files",
    "review_collection",
    "run",
    "save_workspace",
    "scan_folder",
    "score_clustering",
    "score_outliers",
    "train_classifiers",
    "write_report",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
