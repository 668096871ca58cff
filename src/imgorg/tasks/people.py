"""``find_people``: the faces of a workspace's images, grouped into people, stored as an artifact.

Faces are cached by file content (sha256) under the workspace's ``cache/faces``, so a rerun, or
one after ``imgorg add``, looks only at images it has not seen; grouping then runs on every face
(it takes well under a second for thousands of faces).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..config import PeopleConfig
from ..people.detect import Faces, require_dlib
from ..people.scan import FaceCache, cache_key, scan_into_cache
from ..people.table import faces_table, people_summary
from ..progress import ProgressFactory
from ..sources import source_path
from ..views import Workspace, open_workspace
from ..workspace import FACE_DESCRIPTORS_FILE, FACES_FILE, face_cache, workspace_lock

log = logging.getLogger(__name__)


def find_people(workspace: Workspace | str, config: PeopleConfig = PeopleConfig(),
                progress: ProgressFactory | None = None, workers: int | None = None) -> pd.DataFrame:
    """The faces table (``imgorg.people.table``), stored as ``faces.parquet`` with the descriptors in
    ``face_descriptors.npy``. ``frame.attrs`` holds the summary and ``looked_at``: the images whose
    faces were not cached yet. ``workers``: processes (None: every core this process may use)."""
    require_dlib()  # before anything else: the fix for a missing extra is the first thing to say
    config.validate()
    ws = open_workspace(workspace)
    images = ws.images[["id", "path", "sha256"]]
    cache = FaceCache(face_cache(ws.path) / cache_key(config))
    known = cache.load()
    todo = images.drop_duplicates("sha256")
    todo = todo[~todo["sha256"].isin(list(known))]
    paths = [source_path(ws.root, rel) for rel in todo["path"]]

    def keep(sha: str, faces: Faces) -> None:
        known[sha] = faces

    looked_at = scan_into_cache(cache, paths, todo["sha256"].tolist(), config, progress, workers, keep)
    if looked_at < len(todo):
        log.warning("%d of %d images could not be read; they have no faces", len(todo) - looked_at, len(todo))
    faces = [known.get(sha, Faces.none()) for sha in images["sha256"]]
    table, descriptors = faces_table(images["id"].to_numpy(np.int64), faces, config)
    with workspace_lock(ws.path):
        ws.write_artifact(FACE_DESCRIPTORS_FILE, descriptors)
        ws.write_artifact(FACES_FILE, table)
    table.attrs.update(people_summary(table), looked_at=len(todo), images=len(images))
    return table
