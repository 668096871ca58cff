"""Faces in one image: dlib's HOG detector, its 5-point shape predictor and its ResNet descriptor.

The model files come from the ``face-recognition-models`` package, found with
``importlib.util.find_spec`` and never imported: its ``__init__`` needs ``pkg_resources``, which
current setuptools no longer ships. Only two of its files are read, both public domain (dlib's
model README): ``shape_predictor_5_face_landmarks.dat`` and ``dlib_face_recognition_resnet_model_v1.dat``.
The 68-point predictor beside them is never loaded: its training data (iBUG 300-W) forbids
commercial use, and the descriptor needs only 5 points to align a face.

An image is decoded, scaled so its long side is at most ``long_side`` (never up: the detector's
own upsampling finds small faces), searched with ``upsample`` pyramid doublings, and each face is
described. Boxes are returned in the original (EXIF-rotated) image's pixels.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ImgorgError
from ..images import decode_image, probe_image

PEOPLE_EXTRA = "pip install 'imgorg[people]'"
SHAPE_MODEL = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
DESCRIPTOR_DIM = 128
DETECT_THRESHOLD = 0.0  # dlib's own: every box it would report; min_score then decides which are grouped
PADDING = 0.25  # dlib's default crop padding around the aligned face


class MissingPeopleExtra(ImgorgError, ImportError):
    """dlib or the face models are not installed."""


def require_dlib():
    """The dlib module, or MissingPeopleExtra naming the extra that installs it."""
    try:
        import dlib
    except ImportError as err:
        raise MissingPeopleExtra(f"finding people needs dlib ({err}); install it with {PEOPLE_EXTRA}") from None
    return dlib


def model_folder() -> Path:
    """The ``models/`` folder of the face-recognition-models package (without importing it)."""
    spec = importlib.util.find_spec("face_recognition_models")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        if (Path(folder) / "models" / DESCRIPTOR_MODEL).is_file():
            return Path(folder) / "models"
    raise MissingPeopleExtra(f"finding people needs dlib's face models ({DESCRIPTOR_MODEL} from the "
                             f"face-recognition-models package, not found); install them with {PEOPLE_EXTRA}")


@dataclass
class FaceModels:
    """The detector, the 5-point shape predictor and the descriptor, loaded once per process."""

    detector: object
    shape: object
    descriptor: object

    @classmethod
    def load(cls) -> FaceModels:
        dlib = require_dlib()
        folder = model_folder()
        return cls(dlib.get_frontal_face_detector(), dlib.shape_predictor(str(folder / SHAPE_MODEL)),
                   dlib.face_recognition_model_v1(str(folder / DESCRIPTOR_MODEL)))


_models: FaceModels | None = None  # per process: each worker loads its own after the fork


def face_models() -> FaceModels:
    global _models
    if _models is None:
        _models = FaceModels.load()
    return _models


@dataclass
class Faces:
    """The faces of one image: boxes (x, y, w, h) in the original image's pixels, the detector's
    scores, each box's side in the working image (what the descriptor saw) and the descriptors."""

    boxes: np.ndarray  # (n, 4) int64
    scores: np.ndarray  # (n,) float32
    work_px: np.ndarray  # (n,) int64
    descriptors: np.ndarray  # (n, 128) float32

    @classmethod
    def none(cls) -> Faces:
        return cls(np.zeros((0, 4), np.int64), np.zeros(0, np.float32), np.zeros(0, np.int64),
                   np.zeros((0, DESCRIPTOR_DIM), np.float32))


def find_faces(pixels: np.ndarray, upsample: int = 1, models: FaceModels | None = None) -> Faces:
    """Detect and describe the faces of an RGB uint8 array; boxes in its own pixels."""
    models = models or face_models()
    dlib = require_dlib()
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    rects, scores, _ = models.detector.run(pixels, upsample, DETECT_THRESHOLD)
    if not rects:
        return Faces.none()
    shapes = dlib.full_object_detections([models.shape(pixels, rect) for rect in rects])
    descriptors = np.asarray(models.descriptor.compute_face_descriptor(pixels, shapes, 0, PADDING), np.float32)
    height, width = pixels.shape[:2]
    boxes = np.array([_clipped(r.left(), r.top(), r.right(), r.bottom(), width, height) for r in rects], np.int64)
    sides = np.array([max(r.width(), r.height()) for r in rects], np.int64)
    return Faces(boxes, np.asarray(scores, np.float32), sides, descriptors.reshape(len(rects), DESCRIPTOR_DIM))


def faces_in_file(data: bytes, long_side: int = 1000, upsample: int = 1, models: FaceModels | None = None) -> Faces:
    """The faces of an image file's bytes, found in a copy scaled to ``long_side``; boxes in the
    original's displayed (EXIF-rotated) pixels."""
    probe = probe_image(data)
    width, height = probe.width, probe.height
    pixels = working_pixels(data, width, height, long_side)
    faces = find_faces(pixels, upsample, models)
    if len(faces.scores):
        scale_x, scale_y = width / pixels.shape[1], height / pixels.shape[0]
        x0, y0 = faces.boxes[:, 0] * scale_x, faces.boxes[:, 1] * scale_y
        x1 = (faces.boxes[:, 0] + faces.boxes[:, 2]) * scale_x
        y1 = (faces.boxes[:, 1] + faces.boxes[:, 3]) * scale_y
        faces.boxes = np.stack([np.round(x0), np.round(y0), np.round(x1 - x0), np.round(y1 - y0)], 1).astype(np.int64)
    return faces


def working_pixels(data: bytes, width: int, height: int, long_side: int) -> np.ndarray:
    """RGB pixels with a long side of at most ``long_side``; a JPEG is decoded at a reduced scale
    when that is still large enough (a 12-MP photo decodes about 4x faster at 1/4)."""
    long, short = max(width, height), min(width, height)
    draft = max(1, math.ceil(long_side * short / long)) if long > long_side else None
    image = decode_image(data, draft_size=draft)
    if max(image.size) > long_side:
        import cv2

        factor = long_side / max(image.size)
        size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        return cv2.resize(np.asarray(image), size, interpolation=cv2.INTER_AREA)
    return np.asarray(image)


def _clipped(left: int, top: int, right: int, bottom: int, width: int, height: int) -> tuple[int, int, int, int]:
    """(x, y, w, h) of a box cut to the image (dlib's boxes may reach past an edge)."""
    x0, y0 = max(0, left), max(0, top)
    x1, y1 = min(width, right + 1), min(height, bottom + 1)
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)
