"""``score_outliers``: how unusual each image is, stored most unusual first."""

from __future__ import annotations

import pandas as pd

from ..config import OutlierConfig
from ..outliers import outlier_scores, outliers_frame
from ..views import Workspace, open_workspace
from ..workspace import OUTLIERS_FILE, workspace_lock


def score_outliers(workspace: Workspace | str, config: OutlierConfig = OutlierConfig()) -> pd.DataFrame:
    """id, path, score, rank (1 = most unusual), cluster (of the default clustering), method."""
    ws = open_workspace(workspace)
    config.validate()
    scores = outlier_scores(ws.embeddings, ws.reduced, config.method, config.k, index=ws.search_index())
    frame = outliers_frame(ws.images, scores, ws.cluster_labels())
    frame["method"] = config.method
    with workspace_lock(ws.path):
        ws.write_artifact(OUTLIERS_FILE, frame)
    return frame
