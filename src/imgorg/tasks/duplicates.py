"""``find_duplicates``: exact and near copies among a workspace's images (or a folder's, ``--fast``)."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..config import DuplicatesConfig
from ..duplicates import duplicate_table, image_thumbnails
from ..errors import ConfigError
from ..fileio import write_parquet
from ..progress import ProgressFactory
from ..review.copies import prefer_split
from ..review.kept import catalog_sizes, kept_pixels_folder, spill_gray
from ..review.leaks import split_of
from ..review.quality import shared_decode
from ..sources import STATUS_ERROR, scan_folder
from ..workspace import CACHE, DUPLICATES_FILE, workspace_lock

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
    frame = _duplicates(ws.images, ws.embeddings, ws.root, ws.path, config, progress, index=ws.search_index())
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
    Path(dest).mkdir(parents=True, exist_ok=True)
    frame = _duplicates(images, None, folder, Path(dest), config, progress)
    write_parquet(Path(dest) / DUPLICATES_FILE, frame)
    return frame


def _duplicates(images: pd.DataFrame, embeddings, root, out: Path, config: DuplicatesConfig,
                progress: ProgressFactory | None, index=None) -> pd.DataFrame:
    """``duplicate_table``, its thumbnails pass keeping in ``out``'s cache the grey pixels of the large
    JPEGs it decodes at 1/8, on which the crop check finds their keypoints (``review.kept``): a 12-MP
    photo is decoded once, not twice."""
    paths = images["path"].astype(str).tolist()
    with kept_pixels_folder(out / CACHE, catalog_sizes(images)) as folder:
        thumbnails, grays = None, None
        if folder is not None and config.keypoint_checks:
            thumbnails = image_thumbnails(root, paths, progress, decode=shared_decode,
                                          measure=functools.partial(spill_gray, str(folder)))
            grays = {row: path for row, path in enumerate(thumbnails.measured) if path is not None}
            thumbnails = dataclasses.replace(thumbnails, measured=None)
        frame = duplicate_table(images, embeddings, root, config.threshold, index=index, progress=progress,
                                keypoint_checks=config.keypoint_checks, thumbnails=thumbnails, decoded=grays)
    # a folder of splits keeps the copy in the split that keeps what splits share, as the review does
    frame = prefer_split(frame, images, split_of(images["path"])).drop(columns="because", errors="ignore")
    return frame.sort_values(["group", "keep"], ascending=[True, False], kind="stable").reset_index(drop=True)
