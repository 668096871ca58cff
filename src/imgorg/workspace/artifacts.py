"""The registry of artifacts: what later commands add to a workspace, and what each depends on.

A workspace's core files (catalog, embeddings, reduced features, assignments, metrics) are
written by ``imgorg run``. Everything else is an artifact of a command (a map, the search
index, duplicates, outliers, classifiers, ...), registered here with its files and the
inputs it was computed from:

    images      the embedded images (ids, paths, content hashes), in order
    embeddings  the backbone's embeddings
    reduced     the L2 + PCA features
    clusters    the default clustering (clusters:<method> for one stored clustering)

When an artifact is written, the manifest records the fingerprints of its inputs. A rerun
of ``imgorg run`` (or ``imgorg compare``) keeps an artifact whose inputs are unchanged and
drops the others; an artifact with a ``cluster_column`` does not depend on the clusters but
shows them, so that column is rewritten from the new default clustering instead.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

INPUTS = ("images", "embeddings", "reduced", "clusters")

PROJECTIONS_RECORD = "projections.json"  # how each stored map was made
PROJECTION_PREFIX = "projection_"
INDEX_RECORD = "index.json"
INDEX_DATA = "index_faiss.npy"
DUPLICATES_FILE = "duplicates.parquet"
OUTLIERS_FILE = "outliers.parquet"
CLASSIFY_FILE = "classify.json"
PREDICTIONS_FILE = "predictions.parquet"
TAGS_FILE = "tags.parquet"
EDITS_FILE = "edits.json"
SKIPPED_FILE = "skipped.parquet"
PCA_FILES = {"mean": "pca_mean.npy", "components": "pca_components.npy", "variances": "pca_variances.npy"}
REPORT_FILE = "report.html"
REVIEW_FILE = "review.parquet"  # one row per finding of `imgorg review`
QUALITY_FILE = "quality.parquet"  # per image: sharpness, brightness, clipping, information, size, aspect
REVIEW_NOTES_FILE = "review_notes.json"  # per kind: what a review did not look for and why, how far findings hold
FACES_FILE = "faces.parquet"  # one row per face: face_id, image_id, box, score, person, size_px
FACE_DESCRIPTORS_FILE = "face_descriptors.npy"  # (n_faces, 128) float32, rows as faces.parquet's face_id
PERSON_EDITS_FILE = "person_edits.json"  # the people's curation log (imgorg.persons)


@dataclass(frozen=True)
class Artifact:
    name: str
    files: tuple[str, ...]  # file names, or fnmatch patterns of them
    depends_on: tuple[str, ...]  # of INPUTS: a change to any of them makes the artifact stale
    made_by: str  # the command that makes it, for messages
    cluster_column: str | None = None  # a column naming each image's cluster of the default clustering

    def owns(self, file: str) -> bool:
        return any(fnmatch.fnmatchcase(file, pattern) for pattern in self.files)

    @property
    def recorded_inputs(self) -> tuple[str, ...]:
        """The inputs whose fingerprints are recorded: what it depends on, and the clusters it shows."""
        return self.depends_on + (("clusters",) if self.cluster_column and "clusters" not in self.depends_on else ())


MAP = Artifact("map", (f"{PROJECTION_PREFIX}*.npy", PROJECTIONS_RECORD), ("images", "reduced"), "imgorg map")
INDEX = Artifact("index", (INDEX_RECORD, INDEX_DATA), ("images", "embeddings"), "imgorg index")
DUPLICATES = Artifact("duplicates", (DUPLICATES_FILE,), ("images", "embeddings"), "imgorg duplicates")
OUTLIERS = Artifact("outliers", (OUTLIERS_FILE,), ("images", "embeddings", "reduced"), "imgorg outliers",
                    cluster_column="cluster")
CLASSIFIERS = Artifact("classifiers", (CLASSIFY_FILE, PREDICTIONS_FILE), ("images", "embeddings", "reduced"),
                       "imgorg classify")

TAGS = Artifact("tags", (TAGS_FILE,), ("images", "embeddings"), "imgorg run")
# The curation log also records the clustering it was made on ("clusters:<base method>"): a rerun
# keeps it only while that clustering is unchanged.
EDITS = Artifact("edits", (EDITS_FILE,), ("images",), "imgorg clusters")
SKIPPED = Artifact("skipped", (SKIPPED_FILE,), ("images",), "imgorg run")  # the source's files that are not images
# The PCA fitted by the run (L2 then PCA: imgorg.reduce): `imgorg add` puts new images in the same space.
PCA = Artifact("pca", tuple(PCA_FILES.values()), ("embeddings",), "imgorg run")
# The HTML report shows every stored result: any change to the images, features or clusters makes it stale.
REPORT = Artifact("report", (REPORT_FILE,), ("images", "embeddings", "reduced", "clusters"), "imgorg report")

# A review shows no cluster: it depends on the images (their paths give splits and labels) and embeddings.
REVIEW = Artifact("review", (REVIEW_FILE, QUALITY_FILE, REVIEW_NOTES_FILE), ("images", "embeddings"),
                  "imgorg review")
# Faces are found in the images' pixels alone: no embedding or clustering changes them.
PEOPLE = Artifact("people", (FACES_FILE, FACE_DESCRIPTORS_FILE), ("images",), "imgorg people")
# The people's curation log depends on nothing: it names faces by image and box, so it holds across a
# rerun, an `add` and a recompute of the faces (imgorg.persons), and names survive them.
PERSON_EDITS = Artifact("person_edits", (PERSON_EDITS_FILE,), (), "imgorg person")
ARTIFACTS: dict[str, Artifact] = {a.name: a for a in (MAP, INDEX, DUPLICATES, OUTLIERS, CLASSIFIERS, TAGS, EDITS,
                                                      SKIPPED, PCA, REPORT, REVIEW, PEOPLE,
                                                      PERSON_EDITS)}


def method_input(method: str) -> str:
    """The input naming one stored clustering's labels (the default one is plain "clusters")."""
    return f"clusters:{method}"


def artifact_of(file: str) -> Artifact | None:
    """The registered artifact a file belongs to, or None."""
    return next((a for a in ARTIFACTS.values() if a.owns(file)), None)


def projection_name(method: str, dims: int) -> str:
    """The file of a stored map: ``projection_<method>_<dims>d.npy``."""
    return f"{PROJECTION_PREFIX}{method}_{dims}d.npy"
