"""``build_search_index``: the nearest-neighbour index that search, duplicates, outliers and the app use."""

from __future__ import annotations

from ..config import IndexConfig
from ..index import SearchIndex, build_index, index_data
from ..views import Workspace, open_workspace
from ..workspace import INDEX_DATA, INDEX_RECORD, workspace_lock


def build_search_index(workspace: Workspace | str, config: IndexConfig = IndexConfig()) -> SearchIndex:
    """Build the index of ``config.kind`` over the embeddings and store it (exact search stores only its record)."""
    ws = open_workspace(workspace)
    index = build_index(ws.embeddings, config.kind)
    data = index_data(index)
    with workspace_lock(ws.path):
        if data is not None:
            ws.write_artifact(INDEX_DATA, data)
        ws.write_artifact(INDEX_RECORD, index.record())
    return index
