"""The store: what a workspace folder holds, read and written, and nothing computed from it.

``Store`` is a plain record of the stored data (catalog, embeddings, reduced features,
assignments, metrics, the edit log and the other artifacts by file name) with the manifest
read once per load and again only when the folder changed on disk (``refresh``). What is
computed from the data (cluster names, curated clusters, scores, maps, the search index)
is the read model in ``imgorg.views``, which caches against ``Store.stamp``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..catalog import STATUS_OK, labels_of
from ..constants import CLUSTERING_METHODS, CURATED
from ..errors import ConfigError, WorkspaceError
from ..fileio import file_sha256, write_json, write_npy, write_parquet
from .artifacts import EDITS_FILE, artifact_of
from .storage import (
    ASSIGNMENTS, CATALOG, CORE_FILES, EMBEDDINGS, FORMAT, FORMAT_VERSION, MANIFEST, METRICS, REDUCED,
    read_artifact, read_manifest, verify_file, write_artifact,
)


@dataclass(repr=False)
class Store:
    path: Path
    manifest: dict[str, Any]
    catalog: pd.DataFrame  # every file found, failures included
    embeddings: np.ndarray  # rows align with catalog rows whose status is "ok"
    reduced: np.ndarray
    assignments: pd.DataFrame  # rows align with embeddings
    metrics: dict[str, Any] = field(default_factory=dict)
    _core: dict = field(default_factory=dict, repr=False, compare=False)  # core files' checksums as read or written
    _seen: tuple | None = field(default=None, repr=False, compare=False)  # manifest.json's stat when last read

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}: {len(self.embeddings):,} images)"

    @classmethod
    def load(cls, path: str | os.PathLike, verify: bool = True):
        """Read a workspace folder; checks format and checksums. Never unpickles anything."""
        path = Path(path)
        manifest = read_manifest(path)
        if verify:
            for name, expected in manifest.get("files", {}).items():
                verify_file(path, name, expected)
        try:
            store = cls(path=path, manifest=manifest, catalog=pd.read_parquet(path / CATALOG),
                        embeddings=_load_embeddings(path / EMBEDDINGS),
                        reduced=np.load(path / REDUCED, allow_pickle=False),
                        assignments=pd.read_parquet(path / ASSIGNMENTS),
                        metrics=json.loads((path / METRICS).read_text(encoding="utf-8")))
        except (OSError, ValueError) as err:
            raise WorkspaceError(f"cannot read workspace {str(path)!r}: {err}") from None
        check_alignment(store)
        store._core, store._seen = core_checksums(manifest), _stat(path)
        return store

    # -- images ----------------------------------------------------------------------------
    @property
    def images(self) -> pd.DataFrame:
        """The catalog rows that have an embedding, in embedding order."""
        return self.catalog[self.catalog["status"] == STATUS_OK].reset_index(drop=True)

    @property
    def failures(self) -> pd.DataFrame:
        """The catalog's rows of image files that could not be used (corrupt, truncated, unreadable): each
        with its ``error`` (the reason). In the catalog, with ids, but not among ``images``."""
        return self.catalog[self.catalog["status"] != STATUS_OK].reset_index(drop=True)

    @property
    def root(self) -> Path:
        """The source folder the images' paths are relative to."""
        return Path(self.manifest.get("source", {}).get("root", "."))

    def rows_of(self, ids) -> np.ndarray:
        """Rows (in ``images`` order) of image ids; an unknown id is a ConfigError that says which."""
        row_of = pd.Series(np.arange(len(self.images)), index=self.images["id"].to_numpy())
        asked = [int(i) for i in np.atleast_1d(np.asarray(ids, dtype=object))]
        fits = [-2**63 <= i < 2**63 for i in asked]  # past int64: no image's id (and not an OverflowError)
        too_big = [i for i, f in zip(asked, fits) if not f]
        ids = pd.Index(np.array([i for i, f in zip(asked, fits) if f], dtype=np.int64))
        unknown = too_big or ids[~ids.isin(row_of.index)].tolist()
        if unknown:
            failed = set(self.catalog.loc[self.catalog["status"] != "ok", "id"].astype(int)) if "status" in self.catalog \
                else set()
            said = [i for i in unknown if i in failed]
            why = (f"{', '.join(map(str, said[:5]))} {'is a file' if len(said) == 1 else 'are files'} that failed to "
                   "decode: in the catalog, not among the images" if said else
                   f"ids run 0..{int(self.catalog['id'].max())}")
            raise ConfigError(f"no image with id {', '.join(map(str, unknown[:5]))} in this workspace ({why})")
        return row_of.loc[ids].to_numpy()

    @property
    def has_labels(self) -> bool:
        """Whether every embedded image has a label (a folder-per-class tree): then scores use them."""
        return self.labels is not None

    @property
    def labels(self) -> np.ndarray | None:
        """Each image's label (object array), or None unless every image has one."""
        return labels_of(self.images)

    # -- clusterings, by name --------------------------------------------------------------
    @property
    def stored_methods(self) -> list[str]:
        """The clusterings stored in the assignments, in the order they were made."""
        return [c for c in self.assignments.columns if c != "id" and not c.endswith("_distance")]

    @property
    def methods(self) -> list[str]:
        """Every clustering: those stored, then ``curated`` once someone has edited one."""
        return self.stored_methods + ([CURATED] if self.has(EDITS_FILE) else [])

    @property
    def base_method(self) -> str:
        """The default stored clustering (the one ``imgorg run`` or ``imgorg compare`` chose)."""
        return self.manifest["default_method"]

    @property
    def method(self) -> str:
        """The default clustering: what the app, the report and export show unless told otherwise;
        the curated one once it exists."""
        return CURATED if self.has(EDITS_FILE) else self.base_method

    def check_method(self, method: str | None = None) -> str:
        """``method``, or the default when None; a method not stored is a ConfigError listing those that are."""
        method = method or self.method
        if method not in self.methods:
            raise ConfigError(f"method {method!r} is not stored in this workspace; stored: "
                              f"{', '.join(self.methods) or 'none'}" + (f" (`imgorg compare --methods {method}` adds it)"
                                                                         if method in CLUSTERING_METHODS else ""))
        return method

    def edit_log(self) -> dict | None:
        """The curation log (``imgorg.curation``), or None when nothing was edited."""
        return self.read(EDITS_FILE) if self.has(EDITS_FILE) else None

    # -- files -----------------------------------------------------------------------------
    @property
    def files(self) -> dict[str, str]:
        """The files the manifest lists, with their checksums (read again if another process rewrote it)."""
        self.refresh()
        return self.manifest.get("files", {})

    @property
    def stamp(self) -> tuple:
        """Moves whenever what is stored changes: a file written (here or by another process) or a core
        table replaced in memory. The read model's caches hold while it stays."""
        return (tuple(sorted(self.files.items())), id(self.catalog), id(self.assignments), id(self.reduced))

    def refresh(self) -> None:
        """Read the manifest's file list again if manifest.json changed on disk since it was read (a
        stat, not a parse, per call); a workspace being built (no files listed yet) has none."""
        if "files" not in self.manifest:
            return
        seen = _stat(self.path)
        if seen is not None and seen != self._seen:
            fresh = read_manifest(self.path)
            self.manifest["files"], self.manifest["artifacts"] = fresh.get("files", {}), fresh.get("artifacts", {})
            self._seen = seen

    def has(self, name: str) -> bool:
        """Whether the workspace holds an artifact file now (another process may have added it)."""
        return name in self.files

    def read(self, name: str, verify: bool = True):
        return read_artifact(self.path, name, verify)

    def write_artifact(self, name: str, data: np.ndarray | pd.DataFrame | dict, inputs: tuple[str, ...] = ()) -> Path:
        """Write one artifact file (atomically, checksummed, its inputs recorded) and keep the
        in-memory manifest in step with the file's."""
        target = write_artifact(self.path, name, data, inputs)
        fresh = read_manifest(self.path)
        self.manifest["files"], self.manifest["artifacts"] = fresh["files"], fresh.get("artifacts", {})
        self._seen = _stat(self.path)
        return target

    def changed_on_disk(self) -> bool:
        """Whether another process rewrote the workspace's core files (catalog, embeddings, clusterings:
        `imgorg add`, a rerun) since this object read or wrote them: then it holds old rows."""
        if not self._core:
            return False
        try:
            return core_checksums(read_manifest(self.path)) != self._core
        except (OSError, WorkspaceError):
            return False


@dataclass
class CarryOver:
    """What a rewrite of a workspace keeps of the artifacts in its previous manifest."""

    files: dict[str, str] = field(default_factory=dict)  # kept file -> checksum
    artifacts: dict[str, dict] = field(default_factory=dict)  # kept artifact -> its record
    dropped: list[str] = field(default_factory=list)  # artifacts (or unregistered files) that no longer hold

    @property
    def kept(self) -> list[str]:
        return sorted(self.artifacts)


def plan_carry_over(previous: dict | None, inputs: dict[str, str]) -> CarryOver:
    """Keep each artifact of ``previous`` whose recorded inputs equal ``inputs``; one that only shows
    the clusters (``cluster_column``) is kept whatever they are (the caller rewrites that column)."""
    plan = CarryOver()
    if not previous:
        return plan
    records = previous.get("artifacts", {})
    for file, checksum in previous.get("files", {}).items():
        if file in CORE_FILES:
            continue
        artifact = artifact_of(file)
        record = records.get(artifact.name) if artifact else None
        if record is None:
            plan.dropped.append(artifact.name if artifact else file)
            continue
        recorded = record.get("inputs", {})
        shown = {"clusters"} if artifact.cluster_column else set()  # followed, not depended on
        if any(value != inputs.get(dep) for dep, value in recorded.items() if dep not in shown):
            plan.dropped.append(artifact.name)
            continue
        plan.files[file] = checksum
        plan.artifacts[artifact.name] = record
    plan.dropped = sorted(set(plan.dropped) - set(plan.artifacts))
    return plan


def save_store(store: Store, inputs: dict[str, str], carry: CarryOver | None = None) -> Store:
    """Write every core file atomically, then the manifest (checksums, ``inputs``: the fingerprints
    of what artifacts depend on) last.

    ``carry``: the artifacts already in the folder that stay (see ``plan_carry_over``); any
    other artifact of an earlier run is no longer listed, and its file is removed."""
    path = Path(store.path)
    path.mkdir(parents=True, exist_ok=True)
    check_alignment(store)
    carry = carry or CarryOver()
    write_parquet(path / CATALOG, store.catalog)
    write_npy(path / EMBEDDINGS, store.embeddings.astype(stored_dtype(store.manifest), copy=False))
    write_npy(path / REDUCED, store.reduced)
    write_parquet(path / ASSIGNMENTS, store.assignments)
    write_json(path / METRICS, store.metrics)
    manifest = dict(store.manifest)
    manifest.update(format=FORMAT, format_version=FORMAT_VERSION, inputs=inputs)
    manifest.setdefault("created", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    manifest["files"] = {name: file_sha256(path / name) for name in CORE_FILES} | carry.files
    manifest["artifacts"] = dict(carry.artifacts)
    write_json(path / MANIFEST, manifest)
    _remove_stale(path, manifest["files"])
    store.manifest, store._core, store._seen = manifest, core_checksums(manifest), _stat(path)
    return store


DISCARDED_EDITS = "edits-discarded.json"  # a discarded edit log, kept (not applied) in case it is wanted back


def _remove_stale(path: Path, listed: dict[str, str]) -> None:
    """Remove the artifact files the manifest no longer lists, so that no stale table (duplicates or
    predictions of other images, say) is left beside the workspace for pandas to read. The edit log
    is a person's work, never removed here: `imgorg add` writes it again right after its rewrite, and
    a run that discards it sets it aside (``discard_edit_log``)."""
    for file in sorted(os.listdir(path)):
        if file not in listed and file != EDITS_FILE and artifact_of(file) is not None and (path / file).is_file():
            (path / file).unlink(missing_ok=True)


def discard_edit_log(path: str | os.PathLike) -> None:
    """Set aside the edit log of a workspace a run re-clustered (``--discard-edits``): kept as
    ``edits-discarded.json``, no longer applied. Call after the rewrite that stopped listing it."""
    log_file = Path(path) / EDITS_FILE
    if log_file.is_file():
        os.replace(log_file, Path(path) / DISCARDED_EDITS)


def core_checksums(manifest: dict) -> dict[str, str | None]:
    return {name: manifest.get("files", {}).get(name) for name in CORE_FILES}


def stored_dtype(manifest: dict) -> type:
    """float16 when the run asked for it (half the disk), else float32."""
    return np.float16 if manifest.get("config", {}).get("embed", {}).get("float16") else np.float32


def _load_embeddings(path: Path) -> np.ndarray:
    """float32 embeddings: memory-mapped (read on demand, shared by processes) when stored as
    float32; float16 files are widened in memory, since BLAS and FAISS work in float32."""
    embeddings = np.load(path, mmap_mode="r", allow_pickle=False)
    return embeddings.astype(np.float32) if embeddings.dtype == np.float16 else embeddings


def _stat(path: Path) -> tuple | None:
    try:
        info = os.stat(Path(path) / MANIFEST)
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def check_alignment(store: Store) -> None:
    n_ok = int((store.catalog["status"] == STATUS_OK).sum())
    sizes = {"embeddings": len(store.embeddings), "reduced": len(store.reduced), "assignments": len(store.assignments)}
    if any(n != n_ok for n in sizes.values()):
        raise WorkspaceError(f"workspace rows disagree: {n_ok} ok catalog rows but {sizes}")


def digest(data: bytes) -> str:
    """A short fingerprint of bytes: about 1 GB/s, 1M x 256 floats in a second."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()
