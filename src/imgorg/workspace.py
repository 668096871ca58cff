"""The workspace: one folder per collection, in open formats, no pickles.

    manifest.json        format, versions, source, config, backbone, counts, timings,
                         and the sha256 of every data file below (checked on load)
    catalog.parquet      one row per file found: id, path, label, bytes, sha256, status, error
    embeddings.npy       (n_ok, dim) float32 (float16 with `run --float16`), L2-normalised;
                         row i = i-th "ok" catalog row; memory-mapped when read
    reduced.npy          (n_ok, pca_dim) float32, what clustering ran on
    assignments.parquet  id, then one cluster column per method (and <method>_distance)
    metrics.json         scores per method
    cache/               embedding cache shards (resumable; not part of the checksums)
    <artifacts>          what later commands add (projections, index, outliers, ...):
                         written with write_artifact, checksummed in the manifest too

Every file is written atomically; the manifest is written last, so a workspace
whose manifest loads is complete.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .fileio import file_sha256, write_json, write_npy, write_parquet
from .errors import WorkspaceError
from .sources import STATUS_OK

FORMAT = "imgorg-workspace"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CATALOG = "catalog.parquet"
EMBEDDINGS = "embeddings.npy"
REDUCED = "reduced.npy"
ASSIGNMENTS = "assignments.parquet"
METRICS = "metrics.json"
CACHE = "cache"
LOCK = ".lock"
_CORE_FILES = (CATALOG, EMBEDDINGS, REDUCED, ASSIGNMENTS, METRICS)


@dataclass
class Workspace:
    path: Path
    manifest: dict[str, Any]
    catalog: pd.DataFrame  # every file found, failures included
    embeddings: np.ndarray  # rows align with catalog rows whose status is "ok"
    reduced: np.ndarray
    assignments: pd.DataFrame  # rows align with embeddings
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def images(self) -> pd.DataFrame:
        """The catalog rows that have an embedding, in embedding order."""
        return self.catalog[self.catalog["status"] == STATUS_OK].reset_index(drop=True)

    @property
    def failures(self) -> pd.DataFrame:
        return self.catalog[self.catalog["status"] != STATUS_OK].reset_index(drop=True)

    @property
    def method(self) -> str:
        return self.manifest["default_method"]

    def cluster_labels(self, method: str | None = None) -> np.ndarray:
        return self.assignments[method or self.method].to_numpy()


def stored_dtype(manifest: dict) -> type:
    """float16 when the run asked for it (half the disk), else float32."""
    return np.float16 if manifest.get("config", {}).get("embed", {}).get("float16") else np.float32


def _load_embeddings(path: Path) -> np.ndarray:
    """float32 embeddings: memory-mapped (read on demand, shared by processes) when stored as
    float32; float16 files are widened in memory, since BLAS and FAISS work in float32."""
    embeddings = np.load(path, mmap_mode="r", allow_pickle=False)
    return embeddings.astype(np.float32) if embeddings.dtype == np.float16 else embeddings


def embedding_cache_folder(path: Path, cache_key: str) -> Path:
    return Path(path) / CACHE / "embeddings" / cache_key


def save_workspace(ws: Workspace, keep: dict[str, str] | None = None) -> Workspace:
    """Write every file atomically, the manifest (with checksums) last. ``keep``: files already in
    the folder, with their checksums, that stay listed (results still true of the new data)."""
    path = Path(ws.path)
    path.mkdir(parents=True, exist_ok=True)
    _check_alignment(ws)
    write_parquet(path / CATALOG, ws.catalog)
    write_npy(path / EMBEDDINGS, ws.embeddings.astype(stored_dtype(ws.manifest), copy=False))
    write_npy(path / REDUCED, ws.reduced)
    write_parquet(path / ASSIGNMENTS, ws.assignments)
    write_json(path / METRICS, ws.metrics)
    manifest = dict(ws.manifest)
    manifest.update(format=FORMAT, format_version=FORMAT_VERSION)
    manifest.setdefault("created", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    # Artifacts of an earlier run describe other data: a new run drops them from the manifest.
    manifest["files"] = {name: file_sha256(path / name) for name in _CORE_FILES} | (keep or {})
    write_json(path / MANIFEST, manifest)
    ws.manifest = manifest
    return ws


def previous_manifest(path: str | os.PathLike) -> dict[str, Any] | None:
    """The manifest of the workspace a run is about to replace, or None: there is none, or it
    cannot be read or is of another version (it is replaced either way)."""
    try:
        return read_manifest(path)
    except WorkspaceError:
        return None


def added_results(manifest: dict[str, Any]) -> list[str]:
    """Files that commands after ``run`` added to a workspace (maps, outliers, duplicates, ...)."""
    return sorted(name for name in manifest.get("files", {}) if name not in _CORE_FILES)


def update_clusterings(path: str | os.PathLike, assignments: pd.DataFrame, metrics: dict,
                       manifest_updates: dict) -> Workspace:
    """Replace the clusterings of a finished workspace (assignments, metrics, chosen method).

    Embeddings and catalog stay as they are; checksums are recomputed. Callers hold
    ``workspace_lock``.
    """
    ws = load_workspace(path)
    ws.assignments = assignments
    ws.metrics = metrics
    ws.manifest = {**ws.manifest, **manifest_updates}
    added = {name: ws.manifest["files"][name] for name in added_results(ws.manifest)}
    return save_workspace(ws, keep=added)  # the artifacts other commands added stay


def write_artifact(path: str | os.PathLike, name: str, data: np.ndarray | pd.DataFrame | dict) -> Path:
    """Add or replace one file in a finished workspace and record its checksum.

    The format follows the name's extension: ``.npy`` (array), ``.parquet``
    (DataFrame) or ``.json`` (dict). Callers that may run concurrently hold
    ``workspace_lock``. The manifest is rewritten last, atomically.
    """
    path = Path(path)
    manifest = _read_manifest(path)
    target = path / name
    if name in _CORE_FILES or name == MANIFEST or Path(name).name != name or name.startswith("."):
        raise WorkspaceError(f"artifact name {name!r} is reserved or not a plain file name")
    suffix = target.suffix
    if suffix == ".npy" and isinstance(data, np.ndarray):
        write_npy(target, data)
    elif suffix == ".parquet" and isinstance(data, pd.DataFrame):
        write_parquet(target, data)
    elif suffix == ".json" and isinstance(data, dict):
        write_json(target, data)
    else:
        raise WorkspaceError(f"cannot write {type(data).__name__} as {name!r}: use .npy for arrays, "
                             ".parquet for DataFrames, .json for dicts")
    manifest.setdefault("files", {})[name] = file_sha256(target)
    write_json(path / MANIFEST, manifest)
    return target


def read_artifact(path: str | os.PathLike, name: str, verify: bool = True):
    """Read one file recorded in the manifest: ndarray, DataFrame or dict by extension."""
    path = Path(path)
    manifest = _read_manifest(path)
    if name not in manifest.get("files", {}):
        raise WorkspaceError(f"workspace {str(path)!r} has no {name!r}; the command that makes it has not run")
    if verify:
        _verify(path, name, manifest["files"][name])
    target = path / name
    if target.suffix == ".npy":
        return np.load(target, allow_pickle=False)
    if target.suffix == ".parquet":
        return pd.read_parquet(target)
    return json.loads(target.read_text(encoding="utf-8"))


def has_artifact(path: str | os.PathLike, name: str) -> bool:
    return name in _read_manifest(Path(path)).get("files", {})


def load_workspace(path: str | os.PathLike, verify: bool = True) -> Workspace:
    """Read a workspace; checks format and checksums. Never unpickles anything."""
    path = Path(path)
    manifest = _read_manifest(path)
    if verify:
        for name, expected in manifest.get("files", {}).items():
            _verify(path, name, expected)
    try:
        ws = Workspace(
            path=path,
            manifest=manifest,
            catalog=pd.read_parquet(path / CATALOG),
            embeddings=_load_embeddings(path / EMBEDDINGS),
            reduced=np.load(path / REDUCED, allow_pickle=False),
            assignments=pd.read_parquet(path / ASSIGNMENTS),
            metrics=json.loads((path / METRICS).read_text(encoding="utf-8")),
        )
    except (OSError, ValueError) as err:
        raise WorkspaceError(f"cannot read workspace {str(path)!r}: {err}") from None
    _check_alignment(ws)
    return ws


@contextlib.contextmanager
def workspace_lock(path: str | os.PathLike):
    """Hold an exclusive lock on the workspace; a second run is refused, not interleaved."""
    import fcntl

    path = Path(path)
    created = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    with open(path / LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorkspaceError(
                f"workspace {str(path)!r} is in use by another imgorg process; wait for it to finish "
                "or pass a different --out"
            ) from None
        try:
            yield
        finally:
            if created:  # a refused or failed first run leaves no folder; only the lock's holder removes it
                _remove_if_only_lock(path)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_if_only_lock(path: Path) -> None:
    with contextlib.suppress(OSError):  # a file appeared meanwhile, or the folder went: leave it
        if [p.name for p in path.iterdir()] == [LOCK]:
            (path / LOCK).unlink()
            path.rmdir()


def is_workspace(path: str | os.PathLike) -> bool:
    """Whether ``path`` holds an imgorg manifest (a folder of images may hold another manifest.json)."""
    try:
        manifest = json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """A workspace's manifest alone (checked like load_workspace's), without its tables."""
    return _read_manifest(Path(path))


def _read_manifest(path: Path) -> dict[str, Any]:
    if not (path / MANIFEST).is_file():
        raise WorkspaceError(f"{str(path)!r} is not an imgorg workspace (no {MANIFEST}); make one with `imgorg run IMAGE_FOLDER --out WORKSPACE` and pass WORKSPACE")
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise WorkspaceError(f"cannot read {MANIFEST} in {str(path)!r}: {err}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise WorkspaceError(f"{MANIFEST} in {str(path)!r} is not an imgorg workspace manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise WorkspaceError(
            f"workspace format version {manifest.get('format_version')!r} is not supported "
            f"(this imgorg reads version {FORMAT_VERSION}); rebuild it with `imgorg run`"
        )
    return manifest


def _verify(path: Path, name: str, expected: str) -> None:
    if not (path / name).is_file():
        raise WorkspaceError(f"workspace {str(path)!r} is missing {name}; run `imgorg run` again to rebuild it")
    if file_sha256(path / name) != expected:
        raise WorkspaceError(
            f"{name} in {str(path)!r} does not match the checksum in {MANIFEST}: the file was changed "
            "or damaged after the run; run `imgorg run` again to rebuild it"
        )


def _check_alignment(ws: Workspace) -> None:
    n_ok = int((ws.catalog["status"] == STATUS_OK).sum())
    sizes = {"embeddings": len(ws.embeddings), "reduced": len(ws.reduced), "assignments": len(ws.assignments)}
    if any(n != n_ok for n in sizes.values()):
        raise WorkspaceError(f"workspace rows disagree: {n_ok} ok catalog rows but {sizes}")
