"""A labelled corpus for the quality flags: real photos, with real and generated defects at several strengths.

    PYTHONPATH=src .venv/bin/python benchmarks/quality_corpus.py /tmp/imgorg-quality

writes ``dev/`` and ``heldout/`` (JPEG files) and ``labels.csv`` beside them: one row per file
(``split``, ``file``, ``source``, ``defect``, ``strength``) and one column per flag of
``imgorg.review.quality.KINDS`` holding 1 (has it), 0 (has not) or empty (no judgement: see below).

Photos (all shipped inside PyPI wheels, no download): scikit-image's ``skimage/data``
(astronaut, chelsea, coffee, rocket, motorcycle_left, camera, coins, grass, gravel, ihc,
retina; held out: brick, moon, hubble_deep_field, page, and clock_motion, a real motion-blurred
photo), scikit-learn's sample images (china; held out: flower) and matplotlib's sample data
(held out: grace_hopper). Each photo gives ``CROPS`` distinct crops (random shape from 9:16 to
2:1, 30-100% of the largest such crop, at a random position, some reduced by 0.6-0.8): the clean
images. Each crop also gives two defective copies, the defects dealt in turn from the split's list:

dev       (also frost2, a high-key photo) blur: Gaussian (sigma 1.5, 2.5, 4 working px), defocus
          (disk radius 2, 3, 5), streak (rotate, a 1-D box of 8 or 14 px, rotate back), shake (three
          straight legs, 8 or 12 px, dwelling at the turns), OpenCV box 4 and 7;
          dark and overexposed: linear exposure gain (sRGB linearised) bringing the mean luma to
          0.12/0.07/0.035 and 0.82/0.90/0.95; -2.5/-3.5 and +1.5/+2.5 stops (the piecewise sRGB
          transfer); tone curves v^2.4, v^3.5 and v^0.4; a haze veil of 0.5/0.65 in linear light;
          OpenCV HSV brightness +0.35/+0.5; low information: one colour + sensor noise, a faint
          gradient (range 8-30 levels), the photo faded to 3-6% contrast; odd size: 24-64 px long
          side, 4000-5000 px; odd aspect: strips of 4:1, 6:1, 10:1 (wide and tall).
heldout   other photos and other defect families: motion blur (7, 11, 17 px at a random angle)
          plus the real motion blur and Gaussian sigma 3; dark and bright by a gamma-space
          brightness slider (x0.30/0.20/0.12 and +0.35/+0.5/+0.65); low information: a white
          page with a small mark, a colour field with heavy JPEG, the photo faded to 2%; odd size
          16-48 px and 4500 px; odd aspect 3.5:1, 5:1, 8:1.
fresh     photos no rule was tuned or diagnosed on (skimage cell, text, motorcycle_right and
          imagecorruptions' frost photos: pass --extra-site with the site-packages that holds
          imagecorruptions, e.g. the cleanvision venv's) and defect families of their own: box blur,
          an image enlarged back from 1/3 or 1/4, lens defocus, camera shake (a random-walk kernel);
          a low-light shot, a tone curve v^3, -3 stops; ImageNet-C's HSV brightness, a flare veil,
          +2 stops; ImageNet-C's contrast 0.04, a radial fall-off, a blank sheet; tiny 20-56 px,
          huge 6000 px; strips 3.2:1, 4.5:1, 7:1.
fresh2    never looked at while a rule was written: one news photo of each of LFW's 62 people
          (--lfw, uncropped, 150 px) and frost3 (crops reduced to 512 px), with third-party defects:
          imagecorruptions' gaussian/defocus/motion/zoom blur, brightness and contrast at ImageNet-C
          severities, scikit-image's adjust_gamma 2.2/3/0.4, Pillow's ImageEnhance brightness
          0.35/0.25/1.8 and contrast 0.03, an out-of-focus blank (Gaussian sigma 40); tiny 28-44 px,
          huge 5000 px, strips 3.8:1 and 6:1. imagecorruptions is not in the project's venv: build
          this split with the cleanvision venv's python (--splits fresh2).
fresh3    a second unseen draw, made after fresh2 was scored: LFW's first photo of each person;
          imagecorruptions' severities 3-5 and glass blur, gamma 2.6/0.5, Pillow brightness 0.3/0.2/2.2,
          OpenCV's convertScaleAbs 0.4, contrast 0.05, a blank of sigma 25; tiny 36 px, huge 4800 px.
fresh4    a third unseen draw, made after the blur rule changed: LFW's second photo of each person;
          imagecorruptions' severities 1 and 3, scikit-image's gaussian 1.5/2.5, Pillow's BoxBlur 2/3
          and brightness 0.4/1.5/2, gamma 2/3.5/0.6, OpenCV's convertScaleAbs 0.3 and +90 levels.

An exposure edit is labelled only where it left the picture plainly dark (mean luma under
DARK_JUDGED) or bright (over BRIGHT_JUDGED); between, the label is empty. --relabel recomputes
labels.csv from the files after a change of these rules.

Strengths are in working pixels (imgorg measures at a long side of 512): a blur of sigma s on an
image of long side L > 512 is applied as s * L / 512, so each copy looks equally blurred on a
screen. Every image gets a camera's sensor noise (sigma 1.5 levels) and JPEG quality 90.

Labels: each defect sets its own flag; the other flags are 0 (a blurred copy must not be called
dark), except where the defect makes them true or undefined, which are left empty: a
low-information image is not judged for blur or exposure (no edges, one tone), the strongest
exposure copies not for low information or blur (their pixels are near one tone), tiny images
not for blur, low information or exposure (a few dozen pixels), huge images (crops enlarged
8-10 times, soft at the pixel level) not for blur. The clean crops and the real
photos themselves are 0 everywhere (retina's black surround and the Hubble deep field are dark
by design, not defects) except clock_motion, blurry.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

KINDS = ("blurry", "dark", "overexposed", "low_information", "odd_size", "odd_aspect")
WORK_SIDE = 512
CROPS = 12  # distinct crops per photo
ASPECTS = (1.0, 4 / 3, 3 / 2, 16 / 9, 2.0, 3 / 4, 2 / 3, 9 / 16)
SPLITS = {
    "dev": ["skimage:astronaut.png", "skimage:chelsea.png", "skimage:coffee.png", "skimage:rocket.jpg",
            "skimage:motorcycle_left.png", "skimage:camera.png", "skimage:coins.png", "skimage:grass.png",
            "skimage:gravel.png", "skimage:ihc.png", "skimage:retina.jpg", "sklearn:china.jpg",
            "imagecorruptions:frost/frost2.png"],
    "heldout": ["sklearn:flower.jpg", "mpl:grace_hopper.jpg", "skimage:brick.png", "skimage:moon.png",
                "skimage:hubble_deep_field.jpg", "skimage:page.png"],
    # photos none of the rules was ever tuned or diagnosed on, with defect families of their own
    "fresh": ["skimage:cell.png", "skimage:text.png", "skimage:motorcycle_right.png",
              "imagecorruptions:frost/frost1.png", "imagecorruptions:frost/frost4.jpg",
              "imagecorruptions:frost/frost5.jpg", "imagecorruptions:frost/frost6.jpg"],
    # never looked at while a rule was written: one photo of each of LFW's people (news photos, 250 px;
    # --lfw) and frost3, with third-party defects (imagecorruptions, scikit-image, Pillow, OpenCV)
    "fresh2": ["imagecorruptions:frost/frost3.png"],
    # a second unseen draw, made after fresh2 was scored: LFW's first photo of each person, other severities
    "fresh3": [],
    # a third unseen draw, made after the blur rule changed: LFW's second photo of each person
    "fresh4": [],
    # built once after the learned decision was frozen: LFW's eleventh photo of each person (no split and
    # no training photo: benchmarks/quality_training.py uses other people), third-party defects at other strengths
    "fresh5": [],
    # built once after fresh5 was scored, the decision unchanged: LFW's sixth photo of each person
    "fresh6": [],
}
LFW_PICK = {"fresh2": -1, "fresh3": 0, "fresh4": 1, "fresh5": 10, "fresh6": 5}  # the splits LFW's photos join: which photo of each person (sorted)
REAL_BLUR = "skimage:clock_motion.png"  # a real photo with motion blur: held out, labelled blurry
# (flag, family, strength), dealt in turn to the crops of a split; written as flag:family:strength
DEFECT_SPECS = {
    "dev": ("blurry:gauss:1.5 dark:gain:0.12 low_information:uniform:1 overexposed:gain:0.82 odd_aspect:strip:4 "
        "blurry:defocus:2 dark:gain:0.07 odd_size:tiny:64 blurry:gauss:2.5 overexposed:gain:0.9 "
        "low_information:gradient:1 odd_aspect:strip:6 blurry:defocus:3 dark:gain:0.035 odd_size:tiny:40 "
        "overexposed:gain:0.95 blurry:gauss:4 low_information:faded:0.05 odd_aspect:strip:10 blurry:defocus:5 "
        "odd_size:tiny:24 odd_size:huge:4000 low_information:faded:0.03 odd_size:huge:5000"),
    "heldout": ("blurry:motion:7 dark:darker:0.3 low_information:page:1 overexposed:brighter:0.35 "
        "odd_aspect:strip:3.5 blurry:motion:11 dark:darker:0.2 odd_size:tiny:48 blurry:gauss:3 "
        "overexposed:brighter:0.5 low_information:jpegfield:1 odd_aspect:strip:5 blurry:motion:17 "
        "dark:darker:0.12 odd_size:tiny:16 overexposed:brighter:0.65 low_information:faded:0.02 "
        "odd_aspect:strip:8 odd_size:huge:4500 odd_size:tiny:32"),
    "fresh": ("blurry:box:5 dark:night:0.09 low_information:contrast:0.04 overexposed:hsv:0.4 odd_aspect:strip:3.2 "
        "blurry:resample:3 dark:levels:3 odd_size:tiny:56 blurry:lens:3.5 overexposed:veil:0.6 "
        "low_information:radial:1 odd_aspect:strip:4.5 blurry:shake:9 dark:stops:-3 odd_size:tiny:36 "
        "overexposed:stops:2 low_information:paper:1 odd_aspect:strip:7 blurry:shake:13 odd_size:tiny:20 "
        "odd_size:huge:6000 blurry:resample:4"),
    # the fresh2 families come from other code: imagecorruptions (ImageNet-C; its severities 1-5),
    # scikit-image's adjust_gamma, Pillow's ImageEnhance, a huge Gaussian (an out-of-focus blank)
    "fresh2": ("blurry:icgauss:2 dark:skgamma:2.2 low_information:iccontrast:5 overexposed:icbright:4 "
        "odd_aspect:strip:3.8 blurry:icdefocus:1 dark:pilbright:0.35 odd_size:tiny:44 blurry:icmotion:2 "
        "overexposed:skgamma:0.4 low_information:pilcontrast:0.03 odd_aspect:strip:6 blurry:iczoom:2 "
        "dark:skgamma:3 odd_size:tiny:28 blurry:icgauss:3 overexposed:icbright:5 low_information:defocused:40 "
        "blurry:icdefocus:2 dark:pilbright:0.25 overexposed:pilbright:1.8 blurry:icmotion:4 "
        "odd_size:huge:5000 blurry:iczoom:4"),
    "fresh3": ("blurry:icgauss:4 dark:skgamma:2.6 low_information:iccontrast:5 overexposed:icbright:5 "
        "odd_aspect:strip:5 blurry:icdefocus:3 dark:pilbright:0.3 odd_size:tiny:36 blurry:icmotion:3 "
        "overexposed:skgamma:0.5 low_information:pilcontrast:0.05 blurry:iczoom:3 dark:cvscale:0.4 "
        "overexposed:pilbright:2.2 blurry:icglass:2 dark:pilbright:0.2 overexposed:icbright:4 "
        "blurry:icmotion:5 low_information:defocused:25 odd_size:huge:4800 blurry:icdefocus:4"),
    "fresh4": ("blurry:icmotion:1 dark:skgamma:2 low_information:pilcontrast:0.02 overexposed:pilbright:1.5 "
        "odd_aspect:strip:4 blurry:skgauss:1.5 dark:cvscale:0.3 odd_size:tiny:30 blurry:pilbox:2 "
        "overexposed:cvlift:90 low_information:defocused:50 blurry:icglass:1 dark:pilbright:0.4 "
        "overexposed:skgamma:0.6 blurry:iczoom:1 odd_aspect:strip:9 blurry:skgauss:2.5 overexposed:icbright:3 "
        "dark:skgamma:3.5 blurry:pilbox:3 odd_size:huge:4000 overexposed:pilbright:2"),
    "fresh5": ("blurry:icgauss:1 dark:skgamma:2.4 overexposed:pilbright:1.7 blurry:iczoom:5 dark:cvscale:0.35 "
        "low_information:pilcontrast:0.04 blurry:icglass:3 overexposed:skgamma:0.45 odd_aspect:strip:5 "
        "blurry:skgauss:2 dark:pilbright:0.28 overexposed:icbright:2 blurry:icmotion:2 dark:skgamma:3.2 "
        "odd_size:tiny:32 blurry:pilbox:4 overexposed:cvlift:70 blurry:icdefocus:1 dark:pilbright:0.33 "
        "overexposed:pilbright:2.4"),
    "fresh6": ("blurry:icgauss:2 dark:skgamma:2.8 overexposed:pilbright:2.0 blurry:icdefocus:2 dark:cvscale:0.45 "
        "low_information:iccontrast:5 blurry:iczoom:2 overexposed:skgamma:0.5 odd_aspect:strip:4 blurry:skgauss:3 "
        "dark:pilbright:0.3 overexposed:icbright:3 blurry:icmotion:3 dark:skgamma:2.2 odd_size:tiny:40 "
        "blurry:pilbox:3 overexposed:cvlift:80 blurry:icglass:2 dark:pilbright:0.22 overexposed:pilbright:1.6"),
}
# families added to dev so that no single code path decides a rule: (flag, family, strength)
DEV_MORE = ("blurry:streak:8 dark:power:2.4 overexposed:lift:0.4 blurry:jitter:8 dark:ev:-2.5 "
            "overexposed:haze:0.5 blurry:cvbox:4 overexposed:hsvcv:0.35 dark:power:3.5 blurry:streak:14 "
            "overexposed:ev:1.5 dark:ev:-3.5 blurry:jitter:12 overexposed:hsvcv:0.5 blurry:cvbox:7 "
            "overexposed:haze:0.65 overexposed:ev:2.5")
DEFECT_SPECS["dev"] = " ".join(a + " " + b for a, b in zip(DEFECT_SPECS["dev"].split(), DEV_MORE.split())) \
    + " " + " ".join(DEFECT_SPECS["dev"].split()[len(DEV_MORE.split()):])
DEFECTS = {split: [(f, family, int(x) if x.lstrip("-").isdigit() else float(x))
                   for f, family, x in (item.split(":") for item in text.split())]
           for split, text in DEFECT_SPECS.items()}
STRONGEST = {("dark", "gain", 0.035), ("overexposed", "gain", 0.95), ("dark", "darker", 0.12),
             ("overexposed", "brighter", 0.65), ("dark", "stops", -3), ("overexposed", "stops", 2),
             ("dark", "ev", -3.5), ("overexposed", "ev", 2.5), ("dark", "power", 3.5), ("dark", "skgamma", 3),
             ("dark", "pilbright", 0.25), ("overexposed", "icbright", 5), ("overexposed", "pilbright", 1.8),
             ("dark", "pilbright", 0.2), ("overexposed", "pilbright", 2.2)}


# An exposure edit is judged only where it left the picture plainly dark or bright: a night photo
# brought up 2 stops, or a snow scene brought down, is an ordinary picture, which nobody would call
# over- or underexposed. Labels of such copies are left empty (mean luma of the file, 0..1).
DARK_JUDGED = 0.30  # a "dark" copy is labelled dark only with a mean luma under this...
BRIGHT_JUDGED = 0.60  # ...an "overexposed" copy overexposed only over this


EXTRA_SITE: list[Path] = []  # more site-packages to find photos in (--extra-site)
LFW: list[Path] = []  # the folder of LFW's people/ (--lfw)
LFW_PEOPLE = 62  # photos from LFW: the first of this many people (sorted), a photo each


def lfw_specs(pick: int) -> list[str]:
    if not LFW:
        raise SystemExit(f"the {', '.join(LFW_PICK)} splits need --lfw: the people/ folder of "
                         "/work/shared/datasets/lfw-people.tar.gz, unpacked")
    people = sorted(path for path in LFW[0].iterdir() if path.is_dir())[:LFW_PEOPLE]
    return [f"lfw:{person.name}/{sorted(person.glob('*.jpg'))[pick].name}" for person in people]


def photo(spec: str) -> Image.Image:
    """A real photograph shipped inside a wheel, RGB."""
    package, name = spec.split(":")
    if package == "lfw":
        with Image.open(LFW[0] / name) as image:
            return image.convert("RGB")
    module = {"skimage": "skimage", "sklearn": "sklearn", "mpl": "matplotlib",
              "imagecorruptions": "imagecorruptions"}[package]
    found = importlib.util.find_spec(module)
    if found is not None:
        folder = Path(next(iter(found.submodule_search_locations)))
    else:  # imagecorruptions lives in the competitors' venv, not the project's
        candidates = [site / module for site in EXTRA_SITE if (site / module).is_dir()]
        if not candidates:
            raise SystemExit(f"{spec}: {module} is not importable; pass --extra-site with the site-packages "
                             "folder that holds it (e.g. /tmp/venv-cleanvision/lib/python3.11/site-packages)")
        folder = candidates[0]
    folder = {"skimage": folder / "data", "sklearn": folder / "datasets" / "images",
              "mpl": folder / "mpl-data" / "sample_data", "imagecorruptions": folder}[package]
    with Image.open(folder / name) as image:
        return image.convert("RGB")


def crops(image: Image.Image, rng: np.random.Generator, n: int) -> list[Image.Image]:
    """``n`` crops of random shape, size and position, some reduced; never under 160 px long side."""
    out = []
    for _ in range(n):
        aspect = ASPECTS[rng.integers(len(ASPECTS))]
        width, height = image.size
        cw, ch = (width, round(width / aspect)) if width / height < aspect else (round(height * aspect), height)
        area = rng.uniform(0.3, 1.0)
        cw, ch = max(16, round(cw * math.sqrt(area))), max(16, round(ch * math.sqrt(area)))
        x, y = rng.integers(0, width - cw + 1), rng.integers(0, height - ch + 1)
        crop = image.crop((x, y, x + cw, y + ch))
        factor = rng.choice([1.0, 1.0, 0.8, 0.6])
        if factor < 1 and max(crop.size) * factor >= 200:
            crop = crop.resize((round(cw * factor), round(ch * factor)), Image.Resampling.LANCZOS)
        out.append(crop)
    return out


def to_linear(values: np.ndarray) -> np.ndarray:
    return values ** 2.2


def to_srgb(values: np.ndarray) -> np.ndarray:
    return np.clip(values, 0, 1) ** (1 / 2.2)


def exposure_gain(pixels: np.ndarray, target: float) -> np.ndarray:
    """The photo with a linear gain (as a camera's exposure) that brings its mean luma to ``target``."""
    linear = to_linear(pixels)
    lo, hi = -8.0, 8.0
    for _ in range(30):  # bisection on the exposure in stops
        stops = (lo + hi) / 2
        mean = luma(to_srgb(linear * 2**stops)).mean()
        lo, hi = (stops, hi) if mean < target else (lo, stops)
    return to_srgb(linear * 2 ** ((lo + hi) / 2))


def luma(pixels: np.ndarray) -> np.ndarray:
    return pixels @ np.array([0.299, 0.587, 0.114])


def kernel_blur(pixels: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.filter2D(pixels.astype(np.float32), -1, (kernel / kernel.sum()).astype(np.float32),
                        borderType=cv2.BORDER_REFLECT)


def disk(radius: float) -> np.ndarray:
    r = math.ceil(radius)
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    return (x * x + y * y <= radius * radius).astype(np.float32)


def line(length: float, angle: float) -> np.ndarray:
    r = math.ceil(length / 2)
    kernel = np.zeros((2 * r + 1, 2 * r + 1), np.float32)
    for t in np.linspace(-length / 2, length / 2, int(4 * length)):
        kernel[round(r + t * math.sin(angle)), round(r + t * math.cos(angle))] = 1
    return kernel


def walk(length: float, rng: np.random.Generator) -> np.ndarray:
    """A camera-shake kernel: a smooth random path of about ``length`` px."""
    r = math.ceil(length / 2) + 1
    kernel = np.zeros((2 * r + 1, 2 * r + 1), np.float32)
    angle, y, x = rng.uniform(0, 2 * math.pi), 0.0, 0.0
    points = [(0.0, 0.0)]
    for _ in range(int(4 * length)):
        angle += rng.normal(0, 0.3)
        y, x = y + 0.25 * math.sin(angle), x + 0.25 * math.cos(angle)
        points.append((y, x))
    points = np.array(points) - np.mean(points, axis=0)
    for py, px in points:
        if abs(py) <= r and abs(px) <= r:
            kernel[round(r + py), round(r + px)] += 1
    return kernel


def srgb_decode(values: np.ndarray) -> np.ndarray:
    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)


def srgb_encode(values: np.ndarray) -> np.ndarray:
    values = np.clip(values, 0, 1)
    return np.where(values <= 0.0031308, values * 12.92, 1.055 * values ** (1 / 2.4) - 0.055)


def streak(pixels: np.ndarray, length: float, degrees: float) -> np.ndarray:
    import cv2

    h, w = pixels.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    back = cv2.invertAffineTransform(turn)
    rotated = cv2.warpAffine(pixels, turn, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    smeared = cv2.blur(rotated, (max(1, round(length)), 1))
    return cv2.warpAffine(smeared, back, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def legs(length: float, rng: np.random.Generator) -> np.ndarray:
    """A shake kernel: three straight legs of random direction, the camera slowing at each turn."""
    r = math.ceil(length / 2) + 2
    kernel = np.zeros((2 * r + 1, 2 * r + 1), np.float32)
    corners = [np.zeros(2)]
    for _ in range(3):
        angle = rng.uniform(0, 2 * math.pi)
        corners.append(corners[-1] + length / 3 * np.array([math.sin(angle), math.cos(angle)]))
    corners = np.array(corners) - np.mean(corners, axis=0)
    for a, b in zip(corners[:-1], corners[1:]):
        for t in np.linspace(0, 1, int(6 * length / 3) + 2):
            speed = 0.3 + math.sin(math.pi * t)  # slow near the corners: the kernel dwells there
            y, x = a + (b - a) * t
            if abs(y) <= r and abs(x) <= r:
                kernel[round(r + y), round(r + x)] += 1 / speed
    return kernel


def _imagecorruptions(name: str):
    def corrupt(image: Image.Image, severity, rng: np.random.Generator) -> Image.Image:
        import imagecorruptions
        from imagecorruptions import corruptions
        from skimage.filters import gaussian

        # imagecorruptions 1.1 calls gaussian(..., multichannel=True), which scikit-image 0.19 renamed
        corruptions.gaussian = lambda x, sigma, multichannel=False: gaussian(
            x, sigma=sigma, channel_axis=-1 if multichannel else None)
        np.random.seed(int(rng.integers(2**31)))  # imagecorruptions draws from numpy's global generator
        out = imagecorruptions.corrupt(np.asarray(image), int(severity), corruption_name=name)
        return Image.fromarray(np.clip(np.asarray(out, np.float32) + 0.5, 0, 255).astype(np.uint8))
    return corrupt


def _skgamma(image: Image.Image, gamma, rng) -> Image.Image:
    from skimage import exposure

    return Image.fromarray(exposure.adjust_gamma(np.asarray(image), gamma))


def _enhance(kind: str):
    def enhance(image: Image.Image, factor, rng) -> Image.Image:
        from PIL import ImageEnhance

        return getattr(ImageEnhance, kind)(image).enhance(factor)
    return enhance


THIRD_PARTY = {
    "icgauss": _imagecorruptions("gaussian_blur"), "icdefocus": _imagecorruptions("defocus_blur"),
    "icmotion": _imagecorruptions("motion_blur"), "iczoom": _imagecorruptions("zoom_blur"),
    "iccontrast": _imagecorruptions("contrast"), "icbright": _imagecorruptions("brightness"),
    "icglass": _imagecorruptions("glass_blur"),
    "cvscale": lambda image, alpha, rng: Image.fromarray(__import__("cv2").convertScaleAbs(np.asarray(image),
                                                                                         alpha=alpha)),
    "skgamma": _skgamma,
    "skgauss": lambda image, sigma, rng: Image.fromarray((255 * __import__("skimage.filters").filters.gaussian(
        np.asarray(image), sigma=sigma, channel_axis=-1) + 0.5).astype(np.uint8)),
    "pilbox": lambda image, radius, rng: image.filter(ImageFilter.BoxBlur(radius)),
    "cvlift": lambda image, beta, rng: Image.fromarray(__import__("cv2").convertScaleAbs(np.asarray(image),
                                                                                        beta=beta)), "pilbright": _enhance("Brightness"), "pilcontrast": _enhance("Contrast"),
    "defocused": lambda image, sigma, rng: image.filter(ImageFilter.GaussianBlur(sigma)),  # nothing in focus
}


def cv2_blur(values: np.ndarray, sigma: float) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(values, (0, 0), sigma)


def defect(image: Image.Image, family: str, strength: float, rng: np.random.Generator) -> Image.Image:
    """``image`` with one generated defect; strengths in working pixels (see the module's docstring)."""
    scale = max(1.0, max(image.size) / WORK_SIDE)
    pixels = np.asarray(image, np.float32) / 255
    if family == "gauss":
        return image.filter(ImageFilter.GaussianBlur(strength * scale))
    if family == "defocus":
        pixels = kernel_blur(pixels, disk(strength * scale))
    elif family == "motion":
        pixels = kernel_blur(pixels, line(strength * scale, rng.uniform(0, math.pi)))
    elif family == "gain":
        pixels = exposure_gain(pixels, strength)
    elif family == "darker":  # a brightness slider on the stored (gamma) values
        pixels = pixels * strength
    elif family == "brighter":
        pixels = pixels + strength
    elif family == "uniform":
        pixels = np.broadcast_to(rng.uniform(0.2, 0.8, 3), pixels.shape).copy()
    elif family == "gradient":
        span = rng.uniform(8, 30) / 255
        ramp = np.linspace(0, span, pixels.shape[1])[None, :, None]
        pixels = rng.uniform(0.2, 0.7, 3) + ramp + np.zeros_like(pixels)
    elif family == "faded":
        pixels = pixels.mean() + (pixels - pixels.mean()) * strength
    elif family == "page":
        pixels = np.full_like(pixels, rng.uniform(0.9, 0.97))
        h, w = pixels.shape[:2]
        y, x = rng.integers(0, h - h // 10), rng.integers(0, w - w // 10)
        pixels[y:y + max(2, h // 20), x:x + max(2, w // 20)] = rng.uniform(0, 0.4, 3)  # a mark of 0.25%
    elif family == "jpegfield":
        field = Image.fromarray((np.broadcast_to(rng.uniform(0.1, 0.9, 3), pixels.shape) * 255).astype(np.uint8))
        buffer = io.BytesIO()
        field.save(buffer, "JPEG", quality=10)
        return Image.open(buffer).convert("RGB")
    elif family == "box":  # a uniform kernel
        pixels = kernel_blur(pixels, np.ones((round(strength * scale),) * 2, np.float32))
    elif family == "resample":  # a small image enlarged back: soft everywhere
        small = image.resize((max(1, round(image.width / strength)), max(1, round(image.height / strength))),
                             Image.Resampling.BILINEAR)
        return small.resize(image.size, Image.Resampling.BICUBIC)
    elif family == "lens":  # defocus as ImageNet-C models it: a disk, then a little aliasing blur
        pixels = kernel_blur(pixels, disk(strength * scale))
        return Image.fromarray((np.clip(pixels, 0, 1) * 255 + 0.5).astype(np.uint8)).filter(
            ImageFilter.GaussianBlur(0.5 * scale))
    elif family == "shake":  # camera shake: a random walk of the given length
        pixels = kernel_blur(pixels, walk(strength * scale, rng))
    elif family == "night":  # a low-light shot: exposure down, the sensor's noise up
        pixels = exposure_gain(pixels, strength) + rng.normal(0, 4 / 255, pixels.shape[:2])[..., None]
    elif family == "levels":  # a tone curve: the stored values raised to a power
        pixels = pixels ** strength
    elif family == "stops":  # exposure in stops from the photo's own
        pixels = to_srgb(to_linear(pixels) * 2.0**strength)
    elif family == "hsv":  # ImageNet-C's brightness: value + strength in HSV
        hsv = np.asarray(Image.fromarray((pixels * 255).astype(np.uint8)).convert("HSV"), np.float32) / 255
        hsv[..., 2] = np.clip(hsv[..., 2] + strength, 0, 1)
        return Image.fromarray((hsv * 255).astype(np.uint8), "HSV").convert("RGB")
    elif family == "veil":  # flare or haze: a bright veil over the picture, shadows lost
        pixels = pixels * (1 - strength) + strength
    elif family == "contrast":  # ImageNet-C's contrast: toward the mean
        pixels = pixels.mean(axis=(0, 1)) + (pixels - pixels.mean(axis=(0, 1))) * strength
    elif family == "radial":  # a blank sky or wall: a smooth radial fall-off
        h, w = pixels.shape[:2]
        y, x = np.mgrid[0:h, 0:w]
        r = np.hypot((x - rng.uniform(0, w)) / w, (y - rng.uniform(0, h)) / h)
        pixels = rng.uniform(0.3, 0.8, 3) - (r * rng.uniform(10, 25) / 255)[..., None]
    elif family == "paper":  # a blank sheet: fine paper texture and the scanner's shading
        h, w = pixels.shape[:2]
        texture = cv2_blur(rng.normal(0, 3 / 255, (h, w)).astype(np.float32), 1.0)
        shade = np.linspace(0, rng.uniform(4, 12) / 255, w)[None, :]
        pixels = (rng.uniform(0.85, 0.95) + texture - shade)[..., None] + np.zeros_like(pixels)
    elif family == "streak":  # linear motion: rotate, a 1-D box along the rows, rotate back
        pixels = streak(pixels, strength * scale, rng.uniform(0, 180))
    elif family == "jitter":  # camera shake: a path of three straight legs, dwelling longer at their ends
        pixels = kernel_blur(pixels, legs(strength * scale, rng))
    elif family == "cvbox":
        import cv2

        pixels = cv2.blur(pixels, (round(strength * scale),) * 2)
    elif family == "power":  # a tone curve darkening the midtones, white stays white
        pixels = pixels ** strength
    elif family == "ev":  # exposure in stops with the piecewise sRGB transfer function
        pixels = srgb_encode(srgb_decode(pixels) * 2.0**strength)
    elif family == "lift":  # a tone curve lifting the shadows (a gamma under 1)
        pixels = pixels ** strength
    elif family == "haze":  # a veil of scattered light, added in linear light
        pixels = srgb_encode(srgb_decode(pixels) * (1 - strength) + strength)
    elif family == "hsvcv":  # brightness in OpenCV's HSV
        import cv2

        hsv = cv2.cvtColor(pixels.astype(np.float32), cv2.COLOR_RGB2HSV)
        hsv[..., 2] = np.clip(hsv[..., 2] + strength, 0, 1)
        pixels = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    elif family in THIRD_PARTY:
        return THIRD_PARTY[family](image, strength, rng)
    elif family == "tiny":
        factor = strength / max(image.size)
        return image.resize((max(1, round(image.width * factor)), max(1, round(image.height * factor))),
                            Image.Resampling.LANCZOS)
    elif family == "huge":
        factor = strength / max(image.size)
        return image.resize((round(image.width * factor), round(image.height * factor)), Image.Resampling.BICUBIC)
    elif family == "strip":
        width, height = image.size
        if rng.random() < 0.5:  # wide: the full width, a band of it
            band = max(8, round(width / strength))
            top = rng.integers(0, max(1, height - band + 1))
            return image.crop((0, top, width, min(height, top + band)))
        band = max(8, round(height / strength))
        left = rng.integers(0, max(1, width - band + 1))
        return image.crop((left, 0, min(width, left + band), height))
    else:
        raise ValueError(f"unknown defect family {family!r}")
    return Image.fromarray((np.clip(pixels, 0, 1) * 255 + 0.5).astype(np.uint8))


def finish(image: Image.Image, rng: np.random.Generator) -> bytes:
    """A camera's sensor noise and JPEG quality 90."""
    pixels = np.asarray(image, np.float32)
    pixels = pixels + rng.normal(0, 1.5, pixels.shape[:2])[..., None]
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def mean_luma(data: bytes) -> float:
    with Image.open(io.BytesIO(data)) as image:
        return float(np.asarray(image.convert("L"), np.float32).mean() / 255)


def labels_for(flag: str | None, family: str | None, strength, luma: float = 0.5) -> dict[str, int | None]:
    labels: dict[str, int | None] = dict.fromkeys(KINDS, 0)
    if flag is None:
        return labels
    labels[flag] = 1
    if (flag == "dark" and luma >= DARK_JUDGED) or (flag == "overexposed" and luma <= BRIGHT_JUDGED):
        labels[flag] = None  # an exposure edit that left the picture at an ordinary brightness
    if flag == "low_information":
        labels.update(blurry=None, dark=None, overexposed=None)
    if (flag, family, strength) in STRONGEST:
        labels.update(low_information=None, blurry=None)
    if family == "huge":  # enlarged 8-10 times: soft at the pixel level, its blur not judged
        labels.update(blurry=None)
    if family == "tiny":
        labels.update(blurry=None, low_information=None, dark=None, overexposed=None)
    return labels


def build(dest: Path, crops_per_photo: int = CROPS, seed: int = 0, splits=None) -> list[dict]:
    rows = []
    for split in splits or SPLITS:
        specs = SPLITS[split] + (lfw_specs(LFW_PICK[split]) if split in LFW_PICK else [])
        folder = dest / split
        folder.mkdir(parents=True, exist_ok=True)
        deal = 0
        for number, spec in enumerate(specs + ([REAL_BLUR] if split == "heldout" else [])):
            rng = np.random.default_rng(1000 * list(SPLITS).index(split) + number + 100_000 * seed)
            source = spec.split(":")[1].split("/")[-1].split(".")[0]
            real_blur = spec == REAL_BLUR
            if spec.startswith("lfw:"):  # a whole news photo, as it was published
                pictures = [photo(spec)]
            else:
                pictures = crops(photo(spec), rng, crops_per_photo)
                if split in LFW_PICK:  # ImageNet-C's severities are meant for images of a few hundred px
                    pictures = [picture.reduce(math.ceil(max(picture.size) / WORK_SIDE)) for picture in pictures]
            for index, crop in enumerate(pictures):
                stem = f"{source}_{index:02d}"
                variants = [(None, None, None)]
                if not real_blur:
                    for _ in range(2):
                        variants.append(DEFECTS[split][deal % len(DEFECTS[split])])
                        deal += 1
                for flag, family, strength in variants:
                    image = crop if flag is None else defect(crop, family, strength, rng)
                    name = f"{stem}.jpg" if flag is None else f"{stem}_{family}{strength:g}.jpg"
                    data = finish(image, rng)
                    (folder / name).write_bytes(data)
                    labels = labels_for(flag, family, strength, mean_luma(data))
                    if real_blur:
                        labels["blurry"] = 1
                    rows.append({"split": split, "file": f"{split}/{name}", "source": source,
                                 "defect": "real_motion" if real_blur else (family or "clean"),
                                 "strength": "" if strength is None else strength, **labels})
    rows = [{k: ("" if v is None else v) for k, v in row.items()} for row in rows]
    if (dest / "labels.csv").exists():  # a build of some splits keeps the others' labels
        with open(dest / "labels.csv", newline="") as handle:
            built = {row["split"] for row in rows}
            rows = [row for row in csv.DictReader(handle) if row["split"] not in built] + rows
    with open(dest / "labels.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def relabel(dest: Path) -> list[dict]:
    """labels.csv again from its rows' defects and files (after a change of the labelling rules)."""
    with open(dest / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        spec = next((item for item in DEFECTS[row["split"]] if item[1] == row["defect"]
                     and f"{item[2]:g}" == f"{float(row['strength']):g}"), None) if row["strength"] else None
        flag, family, strength = spec or (None, None, None)
        labels = labels_for(flag, family, strength, mean_luma((dest / row["file"]).read_bytes()))
        if row["defect"] == "real_motion":
            labels["blurry"] = 1
        row.update({k: "" if v is None else v for k, v in labels.items()})
    with open(dest / "labels.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--crops", type=int, default=CROPS)
    parser.add_argument("--seed", type=int, default=0, help="another draw of crops, angles and colours")
    parser.add_argument("--extra-site", type=Path, action="append", default=[],
                        help="a site-packages folder with imagecorruptions (its frost photos) for the fresh split")
    parser.add_argument("--lfw", type=Path, help=f"LFW's people/ folder (news photos of the {', '.join(LFW_PICK)} splits)")
    parser.add_argument("--relabel", action="store_true", help="recompute labels.csv from the files there")
    parser.add_argument("--splits", help=f"comma-separated splits to build (default all: {', '.join(SPLITS)})")
    args = parser.parse_args()
    EXTRA_SITE.extend(args.extra_site)
    LFW.extend([args.lfw] if args.lfw else [])
    splits = args.splits.split(",") if args.splits else list(SPLITS)
    unknown = sorted(set(splits) - set(SPLITS))
    if unknown:
        raise SystemExit(f"unknown splits {unknown}: choose from {list(SPLITS)}")
    if args.relabel:
        rows = relabel(args.dest)
        splits = sorted({row["split"] for row in rows}, key=list(SPLITS).index)
    else:
        rows = build(args.dest, args.crops, args.seed, splits)
    for split in splits:
        mine = [row for row in rows if row["split"] == split]
        counts = {kind: sum(str(row[kind]) == "1" for row in mine) for kind in KINDS}
        print(f"{split}: {len(mine)} images; positives {counts}")


if __name__ == "__main__":
    main()
