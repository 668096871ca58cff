"""Faces of many files on every core, and the cache that keeps them by file content.

Detection and description hold the GIL inside dlib, so the files are shared among processes
(``imgorg.parallel.process_pool``), each loading the models once. A cache shard is written every
``SHARD`` images as results come in, so a killed run keeps what it found and a rerun, or one after
``imgorg add``, looks only at images whose content it has not seen.

A shard is three files: ``shard-N.npy`` (descriptors), ``shard-N-faces.parquet`` (sha256 and the
face's box, score and side in the scaled image) and ``shard-N.parquet`` (the sha256 of every image
looked at, faces or not), written in that order: the last implies the other two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd

from .. import progress as _progress
from ..config import PeopleConfig
from ..errors import ImageDecodeError
from ..fileio import write_npy, write_parquet
from ..parallel import available_cores, process_pool
from .detect import DESCRIPTOR_DIM, DESCRIPTOR_MODEL, Faces, faces_in_file, model_folder

log = logging.getLogger(__name__)

CHUNK = 4  # files per task given to a worker: small, so the progress bar moves and both cores stay busy
SHARD = 256  # images per cache shard
FACE_COLUMNS = ("x", "y", "w", "h", "score", "work_px")


def cache_key(config: PeopleConfig) -> str:
    """What the cached faces depend on: the scaled size, the upsampling and the descriptor model."""
    model = model_folder() / DESCRIPTOR_MODEL
    return f"hog-l{config.long_side}-u{config.upsample}-{model.stat().st_size}"


class FaceCache:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def load(self) -> dict[str, Faces]:
        """The faces of every image looked at, by sha256; an unreadable or torn shard is ignored."""
        found: dict[str, Faces] = {}
        for images_path in sorted(self.folder.glob("shard-*[0-9].parquet")):
            stem = images_path.with_suffix("")
            try:
                shas = pd.read_parquet(images_path)["sha256"].tolist()
                faces = pd.read_parquet(stem.parent / f"{stem.name}-faces.parquet")
                vectors = np.load(stem.with_suffix(".npy"), allow_pickle=False)
            except (OSError, ValueError, KeyError) as err:
                log.warning("ignoring unreadable face cache shard %s: %s", images_path.name, err)
                continue
            if vectors.shape != (len(faces), DESCRIPTOR_DIM):
                log.warning("ignoring face cache shard %s: %s descriptors for %d faces", images_path.name,
                            vectors.shape, len(faces))
                continue
            found.update({sha: Faces.none() for sha in shas})
            for sha, rows in faces.groupby("sha256", sort=False).indices.items():
                found[sha] = _faces_of(faces.iloc[rows], vectors[rows])
        return found

    def append(self, shas: list[str], faces: list[Faces]) -> None:
        if not shas:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        index = len(list(self.folder.glob("shard-*[0-9].parquet")))
        while (self.folder / f"shard-{index:05d}.parquet").exists():
            index += 1
        stem = self.folder / f"shard-{index:05d}"
        table = pd.DataFrame({"sha256": [sha for sha, f in zip(shas, faces) for _ in f.scores]})
        stacked = _stack(faces)
        for name, column in zip(FACE_COLUMNS, (*stacked.boxes.T, stacked.scores, stacked.work_px)):
            table[name] = column
        write_npy(stem.with_suffix(".npy"), stacked.descriptors)
        write_parquet(stem.parent / f"{stem.name}-faces.parquet", table)
        write_parquet(stem.with_suffix(".parquet"), pd.DataFrame({"sha256": shas}))


def scan_files(paths: list[Path], config: PeopleConfig, progress=None, workers: int | None = None,
               ) -> Iterator[tuple[int, Faces | None]]:
    """(position in ``paths``, its faces or None when it cannot be read), as workers finish:
    ``workers`` processes (None: every core this process may use)."""
    workers = max(1, min(workers or available_cores(), available_cores()))
    chunks = [list(range(start, min(len(paths), start + CHUNK))) for start in range(0, len(paths), CHUNK)]
    advance = _progress.start(progress, "Finding faces", len(paths))
    job = _Job(config.long_side, config.upsample)
    with process_pool(workers) if workers > 1 and len(chunks) > 1 else nullcontext() as pool:
        results = pool.map(job, [[str(paths[i]) for i in chunk] for chunk in chunks]) if pool else \
            map(job, [[str(paths[i]) for i in chunk] for chunk in chunks])
        for chunk, found in zip(chunks, results):
            yield from zip(chunk, found)
            advance(len(chunk))


class _Job:
    """The faces of a chunk of files, in a worker (a class, not a closure: it is pickled to the pool)."""

    def __init__(self, long_side: int, upsample: int):
        self.long_side, self.upsample = long_side, upsample

    def __call__(self, paths: list[str]) -> list[Faces | None]:
        found = []
        for path in paths:
            try:
                found.append(faces_in_file(Path(path).read_bytes(), self.long_side, self.upsample))
            except (OSError, ImageDecodeError, ValueError, RuntimeError) as err:
                log.warning("no faces looked for in %s: %s", path, err)
                found.append(None)
        return found


def scan_into_cache(cache: FaceCache, paths: list[Path], shas: list[str], config: PeopleConfig,
                    progress=None, workers: int | None = None,
                    on_faces: Callable[[str, Faces], None] | None = None) -> int:
    """Look at ``paths`` (whose contents have ``shas``), write what is found to ``cache`` a shard at a
    time, and call ``on_faces(sha, faces)`` for each readable one; returns how many were readable."""
    pending_shas, pending = [], []
    readable = 0
    for position, faces in scan_files(paths, config, progress, workers):
        if faces is None:
            continue
        readable += 1
        pending_shas.append(shas[position])
        pending.append(faces)
        if on_faces:
            on_faces(shas[position], faces)
        if len(pending) >= SHARD:
            cache.append(pending_shas, pending)
            pending_shas, pending = [], []
    cache.append(pending_shas, pending)
    return readable


def _faces_of(rows: pd.DataFrame, vectors: np.ndarray) -> Faces:
    return Faces(rows[["x", "y", "w", "h"]].to_numpy(np.int64), rows["score"].to_numpy(np.float32),
                 rows["work_px"].to_numpy(np.int64), np.asarray(vectors, np.float32))


def _stack(faces: list[Faces]) -> Faces:
    if not faces:
        return Faces.none()
    return Faces(np.concatenate([f.boxes for f in faces]).reshape(-1, 4),
                 np.concatenate([f.scores for f in faces]), np.concatenate([f.work_px for f in faces]),
                 np.concatenate([f.descriptors for f in faces]).reshape(-1, DESCRIPTOR_DIM))
