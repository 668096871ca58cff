"""Workspace tasks: one verb per task, ``verb(workspace, config) -> result``.

Each computes its result, writes its artifact atomically and registers it in the
workspace's manifest (``imgorg.workspace.artifacts``). The CLI, the app and notebooks
call these; none of them writes a workspace file itself.

    run(folder, out, RunConfig())              organize a folder or a dataset into a workspace (tasks.run)
    make_map(ws, MapConfig())                  a 2D or 3D map (UMAP, t-SNE, PCA)
    score_outliers(ws, OutlierConfig())        how unusual each image is
    train_classifiers(ws, ClassifyConfig())    label a few, predict the rest
    compare_methods(ws, CompareConfig())       several clusterings side by side; the best becomes the default
    find_duplicates(ws, DuplicatesConfig())    exact and near copies
    build_search_index(ws, IndexConfig())      the nearest-neighbour index search uses
    find_similar(ws, resolve_query(...))       the images most like an image, an id or words
    edit_clusters(ws, Rename(3, "beach"))      curation: rename, merge, split, move, drop, undo
    add_images(ws, AddConfig("new/"))          new images into the curated clusters
    write_report(ws, ReportConfig())           the self-contained HTML report
    export_folders(ws, "sorted/")              folders of links per cluster or month; write_table: CSV, Parquet

``workspace_for`` is the one rule for commands that take a workspace or a folder of images;
``resolve_query`` the one rule for what a search query is.
"""

from .add import AddResult, add_images
from .classify import ClassifyRun, train_classifiers
from .compare import CompareResult, compare_methods
from .curate import EditResult, edit_clusters
from .duplicates import find_duplicates, find_folder_duplicates
from .export import FolderExport, export_folders, export_table, write_table
from .index import build_search_index
from .inputs import workspace_for
from .map import MapResult, make_map
from .outliers import score_outliers
from .report import write_report
from .search import Query, SearchResult, find_similar, resolve_query

__all__ = [
    "AddResult", "ClassifyRun", "CompareResult", "EditResult", "FolderExport", "MapResult", "Query", "SearchResult",
    "add_images", "build_search_index", "compare_methods", "edit_clusters", "export_folders", "export_table",
    "find_duplicates", "find_folder_duplicates", "find_similar", "make_map", "resolve_query", "score_outliers",
    "train_classifiers", "workspace_for", "write_report", "write_table",
]
