"""``find_duplicates``: exact and near copies among a workspace's images (or a folder's, ``--fast``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..config import DuplicatesConfig
from ..duplicates import duplicate_table
from ..errors import ConfigError
from ..fileio import write_parquet
from ..progress import ProgressFactory
from ..sources import STATUS_ERROR, scan_folder
from ..workspace import DUPLICATES_FILE, workspace_lock

if TYPE_CHECKING:
    from ..views import Workspace


def find_duplicates(workspace: Workspace | str, config: DuplicatesConfig = DuplicatesConfig(),
                    progress: ProgressFactory | None = None) -> pd.DataFrame:
    """Groups of copies by embedding, thumbnails and keypoints, stored as duplicates.parquet (group, id,
    path, kind, similarity, keep)."""
    from ..views import open_workspace  # the views import the clustering (scikit-learn): not for --fast

    ws = open_workspace(workspace)
    config.validate()
    if config.fast:
        raise ConfigError(f"fast is for a folder of images; {ws.path} is a workspace with embeddings: drop it")
    frame = duplicate_table(ws.images, ws.embeddings, ws.root, config.threshold, index=ws.search_index(),
                            progress=progress, keypoint_checks=config.keypoint_checks)
    with workspace_lock(ws.path):
        ws.write_artifact(DUPLICATES_FILE, frame)
    return frame


def find_folder_duplicates(folder: str | Path, dest: str | Path, config: DuplicatesConfig = DuplicatesConfig(fast=True),
                           progress: ProgressFactory | None = None) -> pd.DataFrame:
    """Groups of a folder's images from their thumbnails alone (no model), written to
    ``dest``/duplicates.parquet: there is no workspace, since there are no embeddings to keep."""
    config.validate()
    catalog = scan_folder(folder, progress=progress)
    images = catalog[catalog["status"] != STATUS_ERROR].reset_index(drop=True)
    frame = duplicate_table(images, None, folder, config.threshold, progress=progress,
                            keypoint_checks=config.keypoint_checks)
    Path(dest).mkdir(parents=True, exist_ok=True)
    write_parquet(Path(dest) / DUPLICATES_FILE, frame)
    return frame
