"""The workspace on disk: file formats, the manifest with checksums, atomic artifact writes, the lock.

Every file is written atomically (a temporary name, then a rename) and the manifest
last, so a workspace whose manifest loads is complete. Arrays are ``.npy``, tables
``.parquet``, records ``.json``: nothing is ever unpickled.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import WorkspaceError
from ..fileio import atomic_write, file_sha256, write_json, write_npy, write_parquet
from .artifacts import artifact_of

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
CORE_FILES = (CATALOG, EMBEDDINGS, REDUCED, ASSIGNMENTS, METRICS)


def write_data(target: Path, data: np.ndarray | pd.DataFrame | dict) -> None:
    """Write an array (.npy), a DataFrame (.parquet) or a dict (.json), as the name's extension says."""
    suffix = Path(target).suffix
    if suffix == ".npy" and isinstance(data, np.ndarray):
        write_npy(target, data)
    elif suffix == ".parquet" and isinstance(data, pd.DataFrame):
        write_parquet(target, data)
    elif suffix == ".json" and isinstance(data, dict):
        write_json(target, data)
    elif suffix == ".html" and isinstance(data, str):
        atomic_write(target, lambda tmp: tmp.write_text(data, encoding="utf-8"))
    else:
        raise WorkspaceError(f"cannot write {type(data).__name__} as {Path(target).name!r}: use .npy for arrays, "
                             ".parquet for DataFrames, .json for dicts, .html for a page's text")


def read_data(target: Path):
    """An ndarray, DataFrame or dict, by the file's extension."""
    if target.suffix == ".npy":
        return np.load(target, allow_pickle=False)
    if target.suffix == ".parquet":
        return pd.read_parquet(target)
    if target.suffix == ".html":
        return target.read_text(encoding="utf-8")
    return json.loads(target.read_text(encoding="utf-8"))


def write_artifact(path: str | os.PathLike, name: str, data: np.ndarray | pd.DataFrame | dict,
                   inputs: tuple[str, ...] = ()) -> Path:
    """Add or replace one file of a registered artifact in a finished workspace.

    The manifest records the file's checksum and the fingerprints of the inputs the artifact
    depends on (``artifacts.py``, and ``inputs`` besides), and is rewritten last, under the
    workspace's lock."""
    path = Path(path)
    artifact = artifact_of(name)
    if artifact is None or Path(name).name != name or name.startswith(".") or name in (*CORE_FILES, MANIFEST):
        raise WorkspaceError(f"{name!r} is not the file of a registered artifact (imgorg.workspace.ARTIFACTS)")
    with workspace_lock(path):
        manifest = read_manifest(path)
        target = path / name
        write_data(target, data)
        manifest.setdefault("files", {})[name] = file_sha256(target)
        known = manifest.get("inputs", {})
        manifest.setdefault("artifacts", {})[artifact.name] = {
            "inputs": {dep: known.get(dep) for dep in (*artifact.recorded_inputs, *inputs)}}
        write_json(path / MANIFEST, manifest)
    return target


def update_manifest(path: str | os.PathLike, updates: dict[str, Any]) -> dict[str, Any]:
    """Replace top-level entries of the manifest (new input fingerprints after an edit, the timings of
    stages that ran after the workspace was written); returns the new manifest."""
    path = Path(path)
    with workspace_lock(path):
        manifest = read_manifest(path)
        manifest.update(updates)
        write_json(path / MANIFEST, manifest)
    return manifest


def read_artifact(path: str | os.PathLike, name: str, verify: bool = True):
    """Read one file recorded in the manifest: ndarray, DataFrame or dict by extension."""
    path = Path(path)
    manifest = read_manifest(path)
    if name not in manifest.get("files", {}):
        artifact = artifact_of(name)
        hint = f"run `{artifact.made_by}` first" if artifact else "the command that makes it has not run"
        raise WorkspaceError(f"workspace {str(path)!r} has no {name!r}; {hint}")
    if verify:
        verify_file(path, name, manifest["files"][name])
    return read_data(path / name)


def has_artifact(path: str | os.PathLike, name: str) -> bool:
    return name in read_manifest(Path(path)).get("files", {})


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """A workspace's manifest, checked for format and version (its tables are not read)."""
    path = Path(path)
    if not (path / MANIFEST).is_file():
        raise WorkspaceError(f"{str(path)!r} is not an imgorg workspace (no {MANIFEST}); make one with "
                             "`imgorg run IMAGE_FOLDER --out WORKSPACE` and pass WORKSPACE")
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


def previous_manifest(path: str | os.PathLike) -> dict[str, Any] | None:
    """The manifest of the workspace a run is about to replace, or None: there is none, or it
    cannot be read or is of another version (it is replaced either way)."""
    try:
        return read_manifest(path)
    except WorkspaceError:
        return None


def drop_damaged_artifacts(path: str | os.PathLike) -> list[str]:
    """Take out of the manifest each artifact one of whose files is missing or no longer matches its
    checksum, so that a rerun goes on without it, and return their names. Core files and the edit log
    are left: what they hold cannot be made again, and reading them says what is wrong."""
    path = Path(path)
    with workspace_lock(path):
        manifest = read_manifest(path)
        files, records = manifest.get("files", {}), manifest.get("artifacts", {})
        damaged = {artifact_of(name) for name, expected in files.items()
                   if name not in CORE_FILES and artifact_of(name) is not None and _damaged(path / name, expected)}
        damaged = {a for a in damaged if a.name != "edits"}
        if not damaged:
            return []
        manifest["files"] = {n: c for n, c in files.items() if artifact_of(n) not in damaged}
        manifest["artifacts"] = {n: r for n, r in records.items() if n not in {a.name for a in damaged}}
        write_json(path / MANIFEST, manifest)
    return sorted(a.name for a in damaged)


def _damaged(file: Path, expected: str) -> bool:
    """Whether ``verify_file`` refuses the file (missing, or not its checksum)."""
    try:
        verify_file(file.parent, file.name, expected)
    except (WorkspaceError, OSError):
        return True
    return False


def is_workspace(path: str | os.PathLike) -> bool:
    """Whether ``path`` holds an imgorg manifest (a folder of images may hold another manifest.json)."""
    try:
        manifest = json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT


def verify_file(path: Path, name: str, expected: str) -> None:
    if not (path / name).is_file():
        raise WorkspaceError(f"workspace {str(path)!r} is missing {name}; run `imgorg run` again to rebuild it")
    if file_sha256(path / name) != expected:
        raise WorkspaceError(
            f"{name} in {str(path)!r} does not match the checksum in {MANIFEST}: the file was changed "
            "or damaged after the run; run `imgorg run` again to rebuild it"
        )


def embedding_cache(path: str | os.PathLike) -> Path:
    """Where a workspace keeps its embedding cache (one folder per backbone's cache key below it)."""
    return Path(path) / CACHE / "embeddings"


def face_cache(path: str | os.PathLike) -> Path:
    """Where a workspace keeps the faces found per image content (one folder per detector setting below it)."""
    return Path(path) / CACHE / "faces"


_locks: dict[Path, threading.RLock] = {}  # one per workspace: threads of this process queue on it
_depth: dict[Path, int] = {}  # how many nested holds the owning thread has
_guard = threading.Lock()


@contextlib.contextmanager
def workspace_lock(path: str | os.PathLike):
    """Hold an exclusive lock on the workspace; a second process is refused, not interleaved.

    Re-entrant within a thread (a task that writes an artifact while ``imgorg run`` holds the
    lock does not lock itself out); another thread of the process waits its turn (the app's
    request threads); another process gets a WorkspaceError at once."""
    key = Path(path).resolve()
    with _guard:
        lock = _locks.setdefault(key, threading.RLock())
    with lock:
        first = _depth.get(key, 0) == 0
        _depth[key] = _depth.get(key, 0) + 1
        try:
            if first:
                with _exclusive(Path(path)):
                    yield
            else:
                yield
        finally:
            _depth[key] -= 1


@contextlib.contextmanager
def _exclusive(path: Path):
    import fcntl

    created = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    with open(path / LOCK, "a+") as handle:
        if not _lock_within(handle, LOCK_WAIT):
            raise WorkspaceError(
                f"workspace {str(path)!r} is in use by another imgorg process; wait for it to finish "
                "(or give `imgorg run` a different --out)"
            )
        try:
            yield
        finally:
            if created:  # a refused or failed first run leaves no folder; only the lock's holder removes it
                _remove_if_only_lock(path)
            fcntl.flock(handle, fcntl.LOCK_UN)


# seconds another process's hold is waited for: an edit (0.1 s) from another shell or the app goes
# through after it; a run, which holds the workspace for minutes, is refused after this
LOCK_WAIT = 3.0


def _lock_within(handle, seconds: float) -> bool:
    import fcntl
    import time

    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def _remove_if_only_lock(path: Path) -> None:
    with contextlib.suppress(OSError):  # a file appeared meanwhile, or the folder went: leave it
        if [p.name for p in path.iterdir()] == [LOCK]:
            (path / LOCK).unlink()
            path.rmdir()
