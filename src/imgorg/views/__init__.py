"""The read model over the workspace store: what callers ask of a workspace.

``Workspace`` is a ``Store`` (``imgorg.workspace``) with what is computed from the stored data:
the curated clustering, each clustering's labels, names, members, scores and cluster table, the
maps and the search index. It owns its caches and drops them when the store's ``stamp`` moves (a
file written here or by another process, a core table replaced); nothing outside resets them.
"""

from .names import kept_names
from .workspace import PCA_COMPONENTS, MapPoints, Workspace, load_workspace, open_workspace

__all__ = ["PCA_COMPONENTS", "MapPoints", "Workspace", "kept_names", "load_workspace", "open_workspace"]
