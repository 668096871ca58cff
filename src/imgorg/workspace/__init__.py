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

``storage`` is the format on disk, ``artifacts`` the registry, ``api`` the Workspace API.
"""

from .api import (
    PCA_COMPONENTS, CarryOver, MapPoints, Workspace, discard_edit_log, follow_clusters, input_fingerprints, load_workspace,
    open_workspace, plan_carry_over, replace_clusterings, save_workspace,
)
from .artifacts import (
    ARTIFACTS, CLASSIFY_FILE, DUPLICATES_FILE, EDITS_FILE, INDEX_DATA, INDEX_RECORD, INPUTS, OUTLIERS_FILE,
    PREDICTIONS_FILE, PROJECTION_PREFIX, PROJECTIONS_RECORD, SKIPPED_FILE, TAGS_FILE, Artifact, artifact_of, method_input,
    projection_name,
)
from .storage import (
    CACHE, CORE_FILES, FORMAT, FORMAT_VERSION, MANIFEST, embedding_cache_folder, has_artifact, is_workspace,
    previous_manifest, read_artifact, read_manifest, update_manifest, workspace_lock, write_artifact,
)

__all__ = [
    "ARTIFACTS", "CACHE", "CLASSIFY_FILE", "CORE_FILES", "DUPLICATES_FILE", "EDITS_FILE", "FORMAT", "FORMAT_VERSION", "INDEX_DATA",
    "INDEX_RECORD", "INPUTS", "MANIFEST", "OUTLIERS_FILE", "PCA_COMPONENTS", "PREDICTIONS_FILE", "PROJECTIONS_RECORD",
    "PROJECTION_PREFIX", "SKIPPED_FILE", "TAGS_FILE", "Artifact", "CarryOver", "MapPoints", "Workspace", "artifact_of", "discard_edit_log", "embedding_cache_folder", "follow_clusters", "method_input",
    "has_artifact", "input_fingerprints", "is_workspace", "load_workspace", "open_workspace", "plan_carry_over",
    "previous_manifest", "projection_name", "read_artifact", "read_manifest", "replace_clusterings", "update_manifest",
    "save_workspace", "workspace_lock", "write_artifact",
]
