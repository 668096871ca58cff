"""``make_map``: project the reduced features to 2D or 3D and store the map."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..config import MapConfig
from ..maps import Projector
from ..views import Workspace, open_workspace
from ..workspace import PROJECTIONS_RECORD, projection_name, workspace_lock


@dataclass
class MapResult:
    points: np.ndarray = field(repr=False)  # (n_images, dims) float32, rows aligned with Workspace.images
    file: str  # the artifact written, projection_<method>_<dims>d.npy
    seconds: float
    fast_path: str | None  # how a large collection was mapped (fitted on a sample), else None


def make_map(workspace: Workspace | str, config: MapConfig = MapConfig(), device: str = "cpu") -> MapResult:
    """Fit ``config.method`` on the workspace's reduced features; store the points and how they were made.
    ``device="cuda"``: UMAP through RAPIDS cuML where it is installed."""
    ws = open_workspace(workspace)
    config.validate()
    projector = Projector(method=config.method, n_components=config.dims, max_fit=config.max_fit,
                          epochs=config.epochs, random_state=config.seed, device=device)
    points = projector.fit_transform(ws.reduced)
    name = projection_name(config.method, config.dims)
    with workspace_lock(ws.path):
        ws.write_artifact(name, points)
        record = ws.read(PROJECTIONS_RECORD) if ws.has(PROJECTIONS_RECORD) else {}
        record[name] = {"method": config.method, "dims": config.dims, "seed": config.seed, "images": len(points),
                        "seconds": round(projector.seconds_, 2), "input": "reduced (L2 + PCA)",
                        "fast_path": projector.fast_path_}
        ws.write_artifact(PROJECTIONS_RECORD, record)
    return MapResult(points, name, projector.seconds_, projector.fast_path_)
