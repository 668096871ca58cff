"""The writes every verb that changes a workspace's images or clusterings ends with.

``save_workspace`` writes the store (``imgorg.workspace.save_store``) with the fingerprints of
the inputs artifacts depend on, then ``follow_clusters``: artifacts that show each image's
cluster (outliers' cluster column) are rewritten from the new default clustering.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..constants import NOISE
from ..views import Workspace
from ..workspace import ARTIFACTS, CarryOver, method_input, plan_carry_over, save_store, update_manifest
from ..workspace.store import digest


def input_fingerprints(ws: Workspace) -> dict[str, str]:
    """A fingerprint of each input an artifact can depend on (artifacts.INPUTS), and of each stored
    clustering ("clusters:<method>")."""
    images = ws.images[["id", "path", "sha256"]].astype(str).to_numpy()
    labels = lambda values: digest(np.ascontiguousarray(np.asarray(values, np.int64)).tobytes())  # noqa: E731
    return {
        "images": digest("\n".join("\t".join(row) for row in images).encode()),
        "embeddings": digest(np.ascontiguousarray(ws.embeddings, np.float32).tobytes()),
        "reduced": digest(np.ascontiguousarray(ws.reduced, np.float32).tobytes()),
        "clusters": labels(ws.cluster_labels()),
    } | {method_input(m): labels(ws.assignments[m]) for m in ws.stored_methods}


def save_workspace(ws: Workspace, carry: CarryOver | None = None) -> Workspace:
    """Write every core file atomically, then the manifest (checksums, input fingerprints) last;
    ``carry``: the artifacts of the earlier manifest that stay (``plan_carry_over``)."""
    save_store(ws, input_fingerprints(ws), carry)
    follow_clusters(ws)  # with kept edits the default clustering is the curated one
    return ws


def rerecorded(manifest: dict, fingerprints: dict[str, str], names, inputs=None) -> dict:
    """``manifest`` with the artifacts ``names`` recorded as made on the current ``fingerprints`` (those
    ``inputs`` only, where given): what a change of paths or of a few images leaves true of them."""
    def renewed(record: dict) -> dict:
        return {**record, "inputs": {dep: fingerprints.get(dep, value) if inputs is None or dep in inputs else value
                                     for dep, value in record.get("inputs", {}).items()}}
    records = {name: renewed(record) if name in names else record
               for name, record in manifest.get("artifacts", {}).items()}
    return {**manifest, "artifacts": records}


def replace_clusterings(ws: Workspace, assignments: pd.DataFrame, metrics: dict, manifest_updates: dict) -> Workspace:
    """The same workspace with other clusterings (assignments, metrics, chosen method): embeddings
    and catalog stay as they are, every artifact stays, cluster columns follow. Callers hold
    ``workspace_lock``."""
    ws.assignments, ws.metrics = assignments, metrics
    ws.manifest = {**ws.manifest, **manifest_updates}
    return save_workspace(ws, plan_carry_over(ws.manifest, input_fingerprints(ws)))


def follow_clusters(ws: Workspace) -> None:
    """After the default clustering changed (a rerun, `compare`, an edit): record the new inputs, and
    rewrite the cluster column of the artifacts that show it."""
    inputs = input_fingerprints(ws)
    if inputs != ws.manifest.get("inputs"):
        ws.manifest = update_manifest(ws.path, {"inputs": inputs})
    for name, record in dict(ws.manifest.get("artifacts", {})).items():
        artifact = ARTIFACTS.get(name)
        if artifact and artifact.cluster_column and record.get("inputs", {}).get("clusters") != inputs["clusters"]:
            _refresh_cluster_column(ws, name)


def _refresh_cluster_column(ws: Workspace, name: str) -> None:
    """Rewrite an artifact's cluster column from the default clustering (its other columns hold)."""
    artifact = ARTIFACTS[name]
    cluster_of = pd.Series(ws.cluster_labels(), index=ws.images["id"].to_numpy())
    for file in [f for f in ws.manifest["files"] if artifact.owns(f) and f.endswith(".parquet")]:
        frame = ws.read(file)
        if artifact.cluster_column in frame:
            frame[artifact.cluster_column] = (cluster_of.reindex(frame["id"].to_numpy()).fillna(NOISE)
                                              .astype(np.int64).to_numpy())
            ws.write_artifact(file, frame)
