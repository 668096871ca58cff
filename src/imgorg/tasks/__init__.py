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
    find_similar(ws, SearchConfig(query))      the images most like an image, an id or words (``resolve_query``)
    edit_clusters(ws, Rename(3, "beach"))      curation: rename, merge, split, move, drop, remove, undo
    add_images(ws, AddConfig("new/"))          new images into the curated clusters
    review_collection(ws, ReviewConfig())      copies, similar shots, bad shots, outliers, leaks, wrong labels
    write_report(ws, ReportConfig())           the self-contained HTML report
    export_clusters(ws, ExportConfig(...))     folders of links per cluster or month, or a CSV / Parquet table
    find_people(ws, PeopleConfig())            faces grouped into people (needs imgorg[people])

``run(source, out, RunConfig())`` (``tasks.run``) makes a workspace; ``tasks.inputs.workspace_for`` is
the one rule for commands that take a workspace or a folder of images. Names load on first use, so
that a command imports only what it runs.
"""

from __future__ import annotations

from ..lazy import lazy_exports

_WHERE = {
    "AddResult": "add", "add_images": "add", "ClassifyRun": "classify", "train_classifiers": "classify",
    "CompareResult": "compare", "compare_methods": "compare", "EditResult": "curate", "edit_clusters": "curate",
    "find_duplicates": "duplicates", "find_folder_duplicates": "duplicates", "FolderExport": "export",
    "export_clusters": "export", "build_search_index": "index", "MapResult": "map", "make_map": "map",
    "score_outliers": "outliers", "write_report": "report", "ReviewResult": "review",
    "review_collection": "review", "SearchResult": "search", "find_similar": "search",
    "find_people": "people",
}

__all__ = [
    "AddResult", "ClassifyRun", "CompareResult", "EditResult", "FolderExport", "MapResult", "ReviewResult",
    "SearchResult", "add_images", "build_search_index", "compare_methods", "edit_clusters", "export_clusters",
    "find_duplicates", "find_folder_duplicates", "find_people", "find_similar", "make_map", "review_collection", "score_outliers",
    "train_classifiers", "write_report",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
