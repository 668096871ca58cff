"""People: faces found with dlib (HOG detector, 5-point alignment, 128-d ResNet descriptor) and
grouped into people (chinese whispers, then average linkage and each group's centre; two faces of
one photo are never one person). Needs ``pip install 'imgorg[people]'``.

    faces_in_file(data)                  the faces of an image file's bytes (boxes in its pixels)
    find_faces(pixels)                   the faces of an RGB array
    group_faces(descriptors, image_ids)  a person per face
    faces_table(image_ids, faces, cfg)   the stored table and descriptors
    FaceCache, scan_files                the content cache, and many files on every core

The workspace task is ``imgorg.tasks.people.find_people``. Names load on first use: importing
this package does not import dlib.
"""

from __future__ import annotations

from ..lazy import lazy_exports

_WHERE = {
    "Faces": "detect", "FaceModels": "detect", "MissingPeopleExtra": "detect", "PEOPLE_EXTRA": "detect",
    "faces_in_file": "detect", "find_faces": "detect", "model_folder": "detect", "require_dlib": "detect",
    "UNRECOGNISED": "group", "group_faces": "group", "FaceCache": "scan", "scan_files": "scan",
    "faces_table": "table", "people_summary": "table",
}

__all__ = [
    "PEOPLE_EXTRA",
    "UNRECOGNISED",
    "FaceCache",
    "FaceModels",
    "Faces",
    "MissingPeopleExtra",
    "faces_in_file",
    "faces_table",
    "find_faces",
    "group_faces",
    "model_folder",
    "people_summary",
    "require_dlib",
    "scan_files",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
