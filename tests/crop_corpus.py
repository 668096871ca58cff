"""Heavily cropped copies of real photographs, among look-alikes: the corpus for local-feature checks.

Sources and licences (all ship inside wheels that the test extra installs; nothing is
downloaded): scikit-image's ``skimage/data`` (BSD-3-Clause package) photographs
"astronaut" (NASA, public domain), "camera" (Lav Varshney, CC0), "chelsea" and "cat" (one
photo; Stefan van der Walt, CC0), "coffee" (Rachel Michetti, CC0), "coins" (Brooklyn
Museum, no known copyright restrictions), "hubble_deep_field" (NASA, public domain),
"ihc" (immunohistochemistry, no known copyright restrictions), "retina" (Häggström, CC0),
"rocket" (SpaceX, public domain), "clock_motion" (Stefan van der Walt, public domain),
"cell" (CC0), and the CC0 textures "brick", "grass" and "gravel" (cc0textures.com), as
the ``skimage.data`` docstrings state; scikit-learn's ``datasets/images`` (BSD-3-Clause
package) "china.jpg" (danielbuechele) and "flower.jpg" (vultilion), both CC BY 2.0 as its
README states; matplotlib's sample data "grace_hopper.jpg" (US Navy photograph, public
domain).

Each source gives one 16:9 picture, its top part at the full width, upscaled to
``PICTURE_SIZE`` with a little sensor noise and saved as a JPEG: the original. Its
copies (``COPIES``, or twice as many with ``CROWDED_COPIES``) are crops that keep 25%, 40%
and 60% of its area, in one of four shapes, and a phone-format (9:16) crop of its full
height, which keeps 32% of its width, each at a random place; each copy is then resized (to
50-100% of its pixels, a phone crop to 1,280-1,920 px tall) and saved again as a JPEG of
quality 70-90. Look-alikes: where the source has room below the picture, two
non-overlapping crops of that part, saved as photos of their own (a scene and another
part of it), and the textures are look-alikes of one another.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
from PIL import Image

PICTURE_SIZE = (1920, 1080)
BIG_PICTURE_SIZE = (4000, 2250)
# (package, path inside it): the sources listed in the module docstring
SOURCES = {
    "astronaut": ("skimage", "data/astronaut.png"), "camera": ("skimage", "data/camera.png"),
    "chelsea": ("skimage", "data/chelsea.png"), "coffee": ("skimage", "data/coffee.png"),
    "coins": ("skimage", "data/coins.png"), "hubble": ("skimage", "data/hubble_deep_field.jpg"),
    "ihc": ("skimage", "data/ihc.png"), "retina": ("skimage", "data/retina.jpg"),
    "rocket": ("skimage", "data/rocket.jpg"), "clock": ("skimage", "data/clock_motion.png"),
    "cell": ("skimage", "data/cell.png"), "brick": ("skimage", "data/brick.png"),
    "grass": ("skimage", "data/grass.png"), "gravel": ("skimage", "data/gravel.png"),
    "china": ("sklearn", "datasets/images/china.jpg"), "flower": ("sklearn", "datasets/images/flower.jpg"),
    "hopper": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
}
# copy name -> kept fraction of the area (None: a 9:16 crop of the full height)
COPIES = {"phone916": None, "crop25": 0.25, "crop40": 0.40, "crop60": 0.60}
# twice as many copies of each photo: more copies of one photo than keypoint checks per image
CROWDED_COPIES = {**COPIES, "phone916b": None, "crop25b": 0.25, "crop40b": 0.40, "crop60b": 0.60}
SHAPES = (16 / 9, 4 / 3, 1.0, 3 / 4)  # width / height of the area crops, one drawn per copy


def source_image(name: str) -> Image.Image:
    """One source photograph, RGB."""
    package, relpath = SOURCES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the crop corpus needs {package}'s sample images: pip install the test extra")
    path = Path(next(iter(spec.submodule_search_locations))) / relpath
    with Image.open(path) as image:
        return image.convert("RGB")


def picture_and_rest(image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """The top 16:9 part of ``image`` at its full width (or its full height, centred, if it is
    wider than 16:9), and the part below it where that is at least a fifth of the height."""
    width, height = image.size
    tall = round(width * 9 / 16)
    if tall > height:
        wide = round(height * 16 / 9)
        left = (width - wide) // 2
        return image.crop((left, 0, left + wide, height)), None
    rest = image.crop((0, tall, width, height)) if height - tall >= height / 5 else None
    return image.crop((0, 0, width, tall)), rest


def jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def noisy_upscale(image: Image.Image, size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """``image`` resized to ``size`` (bicubic) with Gaussian noise of sigma 3 grey levels, as a sensor adds."""
    pixels = np.asarray(image.resize(size, Image.Resampling.BICUBIC), np.float32)
    pixels += rng.normal(0.0, 3.0, pixels.shape[:2])[..., None]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def crop_box(width: int, height: int, area: float | None, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """A box inside width x height: a 9:16 box of the full height (``area`` None), or one of
    ``area`` of the whole in a shape from ``SHAPES`` that fits, at a random place."""
    if area is None:
        w, h = round(height * 9 / 16), height
    else:
        shapes = [s for s in SHAPES if np.sqrt(area * width * height * s) <= width
                  and np.sqrt(area * width * height / s) <= height]
        shape = shapes[rng.integers(len(shapes))]
        w, h = round(np.sqrt(area * width * height * shape)), round(np.sqrt(area * width * height / shape))
    left, top = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
    return left, top, left + w, top + h


def resized_copy(cut: Image.Image, phone: bool, rng: np.random.Generator) -> Image.Image:
    """A phone crop at 1,280-1,920 px tall; any other crop at 50-100% of its pixels per side."""
    if phone:
        tall = int(rng.integers(1280, 1921))
        size = (round(cut.width * tall / cut.height), tall)
    else:
        scale = rng.uniform(0.5, 1.0)
        size = (max(1, round(cut.width * scale)), max(1, round(cut.height * scale)))
    return cut.resize(size, Image.Resampling.LANCZOS)


def build_crop_corpus(dest: str | Path, seed: int = 0, big: bool = False, sources=None,
                      copies: dict | None = None) -> dict:
    """Write the corpus under ``dest`` (one folder per source) and return its truth:
    {"families": {original path: [copy paths]}, "copies": {copy path: {"of", "how", "area",
    "box"}}, "look_alikes": [paths of the non-overlapping crops]}, paths relative to ``dest``."""
    dest = Path(dest)
    rng = np.random.default_rng(seed)
    size = BIG_PICTURE_SIZE if big else PICTURE_SIZE
    truth = {"families": {}, "copies": {}, "look_alikes": []}
    for name in sources or SOURCES:
        picture, rest = picture_and_rest(source_image(name))
        original = noisy_upscale(picture, size, rng)
        folder = dest / name
        folder.mkdir(parents=True, exist_ok=True)
        base = f"{name}/{name}.jpg"
        (dest / base).write_bytes(jpeg(original, 92))
        truth["families"][base] = []
        for how, area in (copies or COPIES).items():
            box = crop_box(*original.size, area, rng)
            copy = resized_copy(original.crop(box), area is None, rng)
            rel = f"{name}/{name}_{how}.jpg"
            (dest / rel).write_bytes(jpeg(copy, int(rng.integers(70, 91))))
            kept = (box[2] - box[0]) * (box[3] - box[1]) / (original.width * original.height)
            truth["families"][base].append(rel)
            truth["copies"][rel] = {"of": base, "how": how, "area": round(kept, 3), "box": box}
        if rest is not None:  # two non-overlapping crops of the part below the picture, a gap between
            half = round(rest.width * 0.45)
            for side, left in (("a", 0), ("b", rest.width - half)):
                part = rest.crop((left, 0, left + half, rest.height))
                scale = 1200 / max(part.size)
                rel = f"{name}/{name}-other-{side}.jpg"
                (dest / rel).write_bytes(jpeg(noisy_upscale(part, (round(part.width * scale),
                                                                   round(part.height * scale)), rng), 90))
                truth["look_alikes"].append(rel)
    return truth
