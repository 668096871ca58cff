"""The workspace: one folder per collection, in open formats, no pickles.

    manifest.json        format, versions, source, config, backbone, counts, timings, the
                         sha256 of every data file below (checked on load), the fingerprints
                         of the inputs, and what each artifact was computed from
    catalog.parquet      one row per file found: id, path, label, bytes, sha256, status, error
    embeddings.npy       (n_ok, dim) float32 (float16 with `run --float16`), L2-normalised;
                         row i = i-th "ok" catalog row; memory-mapped when read
    reduced.npy          (n_ok, pca_dim) float32, what clustering ran on
    assignments.parquet  id, then one cluster column per method (and <method>_distance)
    metrics.json         scores per method
    cache/               embedding cache shards (resumable; not part of the checksums)
    <artifacts>          what later commands add (maps, index, duplicates, outliers, ...):
                         registered in ``artifacts.py``, written with write_artifact

``storage`` is the format on disk, ``artifacts`` the registry, ``store`` the record of what is
stored (``Store``), its save and load. This package stores and only stores: what is computed from
the data is the read model (``imgorg.views``), and it imports nothing above it.
"""

from .store import CarryOver, Store, discard_edit_log, plan_carry_over, save_store, stored_dtype
from .artifacts import (
    ARTIFACTS, CLASSIFY_FILE, DUPLICATES_FILE, EDITS_FILE, FACE_DESCRIPTORS_FILE, FACES_FILE, INDEX_DATA, INDEX_RECORD, INPUTS, OUTLIERS_FILE,
    PCA_FILES, PREDICTIONS_FILE, PROJECTION_PREFIX, PROJECTIONS_RECORD, QUALITY_FILE, REPORT_FILE, REVIEW_FILE, REVIEW_NOTES_FILE, SKIPPED_FILE, TAGS_FILE, Artifact, artifact_of,
    method_input,
    projection_name,
)
from .storage import (
    CACHE, CORE_FILES, FORMAT, FORMAT_VERSION, MANIFEST, drop_damaged_artifacts, embedding_cache, face_cache,
    has_artifact, is_workspace,
    previous_manifest, read_artifact, read_manifest, update_manifest, workspace_lock, write_artifact,
)

__all__ = [
    "ARTIFACTS", "CACHE", "CLASSIFY_FILE", "CORE_FILES", "DUPLICATES_FILE", "EDITS_FILE", "FACE_DESCRIPTORS_FILE", "FACES_FILE", "FORMAT", "FORMAT_VERSION", "INDEX_DATA",
    "INDEX_RECORD", "INPUTS", "MANIFEST", "OUTLIERS_FILE", "PCA_FILES", "PREDICTIONS_FILE", "PROJECTIONS_RECORD", "QUALITY_FILE", "REPORT_FILE", "REVIEW_FILE",
    "REVIEW_NOTES_FILE", "PROJECTION_PREFIX", "SKIPPED_FILE", "TAGS_FILE", "Artifact", "CarryOver", "Store", "artifact_of",
    "discard_edit_log", "drop_damaged_artifacts", "embedding_cache", "face_cache", "has_artifact", "is_workspace", "method_input", "plan_carry_over",
    "previous_manifest", "projection_name", "read_artifact", "read_manifest", "save_store", "stored_dtype",
    "update_manifest", "workspace_lock", "write_artifact",
]
