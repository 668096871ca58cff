"""Workspace tasks: one verb per task, ``verb(workspace, config) -> result``.

Each computes its result, writes its artifact atomically and registers it in the
workspace's manifest (``imgorg.workspace.artifacts``). The CLI, the app and notebooks
call these; none of them writes a workspace file itself.

    make_map(ws, MapConfig())                  a 2D or 3D map (UMAP, t-SNE, PCA)
    score_outliers(ws, OutlierConfig())        how unusual each image is
    train_classifiers(ws, ClassifyConfig())    label a few, predict the rest
    compare_methods(ws, CompareConfig())       several clusterings side by side; the best becomes the default
    find_duplicates(ws, DuplicatesConfig())    exact and near copies
    build_search_index(ws, IndexConfig())      the nearest-neighbour index search uses
    edit_clusters(ws, Rename(3, "beach"))      curation: rename, merge, split, move, drop, undo
    add_images(ws, AddConfig("new/"))          new images into the curated clusters
"""

from .add import AddResult, add_images
from .classify import ClassifyRun, train_classifiers
from .compare import CompareResult, compare_methods
from .curate import EditResult, edit_clusters
from .duplicates import find_duplicates, find_folder_duplicates
from .index import build_search_index
from .map import MapResult, make_map
from .outliers import score_outliers

__all__ = [
    "AddResult", "ClassifyRun", "CompareResult", "EditResult", "MapResult", "add_images", "build_search_index",
    "compare_methods", "edit_clusters", "find_duplicates", "find_folder_duplicates", "make_map", "score_outliers",
    "train_classifiers",
]
