"""Series of real photos as a camera burst leaves them, beside copies of the same photos.

Sources: the photos of ``tests/crop_corpus.py`` (shipped in scikit-image, scikit-learn and
matplotlib wheels; licences there), less the textures (brick, grass, gravel, cell), plus
scikit-image's ``motorcycle_left``/``motorcycle_right`` (Middlebury stereo 2014, a real pair
of two viewpoints a few centimetres apart).

Each photo gives a first shot (``shot``: the centre 80%, sensor noise, JPEG 92) and:

- second shots, as a burst differs (each with fresh sensor noise): ``reframed`` (the frame
  moved by 8-12% of the width and 3% of the height, turned 1 degree: new content enters at
  an edge), ``viewpoint`` (the camera tilted and moved: the top edge 8% narrower, corners
  jittered by 1%, the frame moved by 3% and 2%),
  ``motion`` (the subject moved: a central region displaced by 5% of the width),
  ``exposure`` (another exposure, darker by a third, frame moved by 2%);
- copies of the first shot: ``resized`` (half size, JPEG 85), ``jpeg`` (JPEG 35),
  ``crop`` (12% off two sides), ``bright`` (brightness x1.25, JPEG 90);
- ``blurred``: another second shot, moved the other way and blurred (a shaky exposure): never the best shot.

``build_series_corpus(dest)`` writes ``<photo>/<name>.jpg`` and returns the truth: one row
per (first shot, other) pair with its kind ("copy" or "similar"). Held out from every choice
of threshold: the photos whose position in ``PHOTOS`` is divisible by 3 (``held_out``).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageEnhance, ImageFilter

from .crop_corpus import source_image
from .photo_corpus import skimage_data_folder

PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "coins", "hubble", "ihc", "retina", "rocket", "clock",
          "china", "flower", "hopper", "motorcycle")
SIMILAR = ("reframed", "viewpoint", "motion", "exposure")
COPIES = ("resized", "jpeg", "crop", "bright")
SIDE = 640  # px: longer side of the first shot
TILT = np.array([[0.04, 0], [-0.04, 0], [0, 0], [0, 0]])  # the camera tilted: the top edge 8% narrower


def held_out(photo: str) -> bool:
    return PHOTOS.index(photo) % 3 == 0


def _source(name: str) -> Image.Image:
    if name == "motorcycle":
        with Image.open(skimage_data_folder() / "motorcycle_left.png") as image:
            return image.convert("RGB")
    return source_image(name)


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def _noisy(image: Image.Image, rng: np.random.Generator, sigma: float = 3.0, gain: float = 1.0) -> Image.Image:
    pixels = np.asarray(image, np.float32) * gain + rng.normal(0, sigma, (image.height, image.width, 3))
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def _view(photo: Image.Image, centre: tuple[float, float], turn: float = 0.0, corners=None) -> Image.Image:
    """The 80% window of ``photo`` around ``centre`` (fractions), turned by ``turn`` degrees, its
    corners moved by ``corners`` (4x2 fractions of the window: a perspective change), at SIDE px."""
    import cv2

    width, height = photo.size
    w, h = 0.8 * width, 0.8 * height
    cx, cy = centre[0] * width, centre[1] * height
    box = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]], np.float32)
    angle = np.radians(turn)
    box = box @ np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]], np.float32)
    if corners is not None:
        box = box + np.asarray(corners, np.float32) * np.array([w, h], np.float32)
    box += np.array([cx, cy], np.float32)
    scale = SIDE / max(w, h)
    out_w, out_h = round(w * scale), round(h * scale)
    target = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], np.float32)
    matrix = cv2.getPerspectiveTransform(box, target)
    pixels = cv2.warpPerspective(np.asarray(photo), matrix, (out_w, out_h), flags=cv2.INTER_AREA,
                                 borderMode=cv2.BORDER_REFLECT)
    return Image.fromarray(pixels)


def _moved_subject(image: Image.Image, shift: int) -> Image.Image:
    """The central third of the picture pasted ``shift`` px to the right, feathered at its edge."""
    pixels = np.asarray(image, np.float32)
    h, w = pixels.shape[:2]
    top, left, bottom, right = h // 3, w // 3, 2 * h // 3, 2 * w // 3
    mask = np.zeros((h, w), np.float32)
    mask[top:bottom, left + shift:right + shift] = 1.0
    mask = np.asarray(Image.fromarray((mask * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(6)),
                      np.float32)[..., None] / 255
    moved = pixels.copy()
    moved[top:bottom, left + shift:right + shift] = pixels[top:bottom, left:right]
    return Image.fromarray((mask * moved + (1 - mask) * pixels).clip(0, 255).astype(np.uint8))


def build_series_corpus(dest: str | Path, seed: int = 0, photos=PHOTOS) -> pd.DataFrame:
    """Write the corpus under ``dest``; return the truth (photo, a, b, kind, held_out), paths relative to dest."""
    dest = Path(dest)
    rows = []
    for number, name in enumerate(photos):
        rng = np.random.default_rng([seed, number])
        photo = _source(name)
        folder = dest / name
        folder.mkdir(parents=True, exist_ok=True)
        shot = _noisy(_view(photo, (0.5, 0.5)), rng)
        dx = rng.uniform(0.08, 0.12) * rng.choice([-1, 1])  # of the photo's width
        shots = {
            "shot": shot,
            "reframed": _noisy(_view(photo, (0.5 + dx, 0.53), turn=1.0), rng),
            "viewpoint": _noisy(_view(photo, (0.53, 0.52), corners=TILT + rng.uniform(-0.01, 0.01, (4, 2))), rng),
            "motion": _noisy(_moved_subject(_view(photo, (0.5, 0.5)), round(0.05 * SIDE)), rng),
            "exposure": _noisy(_view(photo, (0.52, 0.5)), rng, gain=0.67),
            "blurred": _noisy(_view(photo, (0.5 - dx / 2, 0.48), turn=-1.0).filter(ImageFilter.GaussianBlur(3)), rng),
        }
        if name == "motorcycle":  # the real second viewpoint replaces the simulated one
            with Image.open(skimage_data_folder() / "motorcycle_right.png") as right:
                shots["viewpoint"] = _noisy(_view(right.convert("RGB"), (0.5, 0.5)), rng)
        for shot_name, image in shots.items():
            (folder / f"{shot_name}.jpg").write_bytes(_jpeg(image, 92))
        copies = {
            "resized": (shot.resize((shot.width // 2, shot.height // 2), Image.LANCZOS), 85),
            "jpeg": (shot, 35),
            "crop": (shot.crop((0, round(0.12 * shot.height), round(0.88 * shot.width), shot.height)), 90),
            "bright": (ImageEnhance.Brightness(shot).enhance(1.25), 90),
        }
        for copy_name, (image, quality) in copies.items():
            (folder / f"{copy_name}.jpg").write_bytes(_jpeg(image, quality))
        for other in SIMILAR + COPIES:
            rows.append((name, f"{name}/shot.jpg", f"{name}/{other}.jpg", "similar" if other in SIMILAR else "copy",
                         held_out(name)))
    return pd.DataFrame(rows, columns=["photo", "a", "b", "kind", "held_out"])
