"""Real photographs (scikit-image's samples) with capture times and GPS in EXIF, under the names and positions
of ``places_corpus`` (Lisbon, Porto, one without GPS), and their workspace with the synthetic faces of
``test_person_curation`` (Ana in four photos, Rui split by the grouping into persons 1 and 2, one face of
no one). ``b.jpg`` is stored turned (EXIF orientation 6), so a face box, given in displayed pixels, only
crops right from the oriented image."""

from __future__ import annotations

import shutil
from pathlib import Path

from imgorg import ClusterConfig, MapConfig, RunConfig, load_workspace, run

from .photo_corpus import make_exif, source_photo
from .places_corpus import PHOTOS
from .test_person_curation import FACES, write_faces

SOURCES = ("astronaut", "coffee", "chelsea", "rocket", "camera")
SIZE = (240, 180)  # displayed width x height
CONFIG = RunConfig(cluster=ClusterConfig(method="kmeans", k=2), map=MapConfig(method="none"))  # the PCA map: quick
TURNED = "b.jpg"  # stored rotated, with EXIF orientation 6 (the viewer turns it back)


def write_real_photos(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, (name, taken, gps) in enumerate(PHOTOS):
        image = source_photo(SOURCES[i % len(SOURCES)]).convert("RGB").resize(SIZE)
        orientation = None
        if name == TURNED:  # orientation 6: the stored pixels are the displayed ones turned 90 degrees anticlockwise
            image, orientation = image.rotate(90, expand=True), 6
        image.save(folder / name, "JPEG", quality=92, exif=make_exif(taken=taken, gps=gps, orientation=orientation))
    return folder


def make_photo_workspace(root: Path) -> Path:
    """A workspace of the real photos, without faces (``imgorg people`` not run)."""
    return run(write_real_photos(root / "photos"), root / "ws", CONFIG).workspace.path


def add_faces(path: Path) -> Path:
    """The synthetic faces written into a workspace as the face engine writes them."""
    write_faces(load_workspace(path), FACES)
    return path


def copy_workspace(made: Path, dest: Path) -> Path:
    """A copy of the workspace and its photos (the manifest names the photos' folder) for a test that edits it."""
    photos = shutil.copytree(made.parent / "photos", dest / "photos")
    path = shutil.copytree(made, dest / "ws")
    manifest = (path / "manifest.json").read_text().replace(str((made.parent / "photos").resolve()), str(photos.resolve()))
    (path / "manifest.json").write_text(manifest)
    return path
