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

dev       blur: Gaussian (sigma 1.5, 2.5, 4 working px) and defocus (disk radius 2, 3, 5);
          dark and overexposed: linear exposure gain (sRGB linearised) bringing the mean luma to
          0.12/0.07/0.035 and 0.82/0.90/0.95; low information: one colour + sensor noise, a faint
          gradient (range 8-30 levels), the photo faded to 3-6% contrast; odd size: 24-64 px long
          side, 4000-5000 px; odd aspect: strips of 4:1, 6:1, 10:1 (wide and tall).
heldout   other photos and other defect families: motion blur (7, 11, 17 px at a random angle)
          plus the real motion blur and Gaussian sigma 3; dark and bright by a gamma-space
          brightness slider (x0.30/0.20/0.12 and +0.35/+0.5/+0.65); low information: a white
          page with a small mark, a colour field with heavy JPEG, the photo faded to 2%; odd size
          16-48 px and 4500 px; odd aspect 3.5:1, 5:1, 8:1.

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
            "skimage:gravel.png", "skimage:ihc.png", "skimage:retina.jpg", "sklearn:china.jpg"],
    "heldout": ["sklearn:flower.jpg", "mpl:grace_hopper.jpg", "skimage:brick.png", "skimage:moon.png",
                "skimage:hubble_deep_field.jpg", "skimage:page.png"],
}
REAL_BLUR = "skimage:clock_motion.png"  # a real photo with motion blur: held out, labelled blurry
DEFECTS = {  # (flag, family, strength), dealt in turn to the crops of a split
    "dev": [("blurry", "gauss", 1.5), ("dark", "gain", 0.12), ("low_information", "uniform", 1),
            ("overexposed", "gain", 0.82), ("odd_aspect", "strip", 4), ("blurry", "defocus", 2),
            ("dark", "gain", 0.07), ("odd_size", "tiny", 64), ("blurry", "gauss", 2.5),
            ("overexposed", "gain", 0.90), ("low_information", "gradient", 1), ("odd_aspect", "strip", 6),
            ("blurry", "defocus", 3), ("dark", "gain", 0.035), ("odd_size", "tiny", 40),
            ("overexposed", "gain", 0.95), ("blurry", "gauss", 4), ("low_information", "faded", 0.05),
            ("odd_aspect", "strip", 10), ("blurry", "defocus", 5), ("odd_size", "tiny", 24),
            ("odd_size", "huge", 4000), ("low_information", "faded", 0.03), ("odd_size", "huge", 5000)],
    "heldout": [("blurry", "motion", 7), ("dark", "darker", 0.30), ("low_information", "page", 1),
                ("overexposed", "brighter", 0.35), ("odd_aspect", "strip", 3.5), ("blurry", "motion", 11),
                ("dark", "darker", 0.20), ("odd_size", "tiny", 48), ("blurry", "gauss", 3),
                ("overexposed", "brighter", 0.5), ("low_information", "jpegfield", 1), ("odd_aspect", "strip", 5),
                ("blurry", "motion", 17), ("dark", "darker", 0.12), ("odd_size", "tiny", 16),
                ("overexposed", "brighter", 0.65), ("low_information", "faded", 0.02), ("odd_aspect", "strip", 8),
                ("odd_size", "huge", 4500), ("odd_size", "tiny", 32)],
}
STRONGEST = {("dark", "gain", 0.035), ("overexposed", "gain", 0.95), ("dark", "darker", 0.12),
             ("overexposed", "brighter", 0.65)}


def photo(spec: str) -> Image.Image:
    """A real photograph shipped inside a wheel, RGB."""
    package, name = spec.split(":")
    module = {"skimage": "skimage", "sklearn": "sklearn", "mpl": "matplotlib"}[package]
    folder = Path(next(iter(importlib.util.find_spec(module).submodule_search_locations)))
    folder = {"skimage": folder / "data", "sklearn": folder / "datasets" / "images",
              "mpl": folder / "mpl-data" / "sample_data"}[package]
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


def labels_for(flag: str | None, family: str | None, strength) -> dict[str, int | None]:
    labels: dict[str, int | None] = dict.fromkeys(KINDS, 0)
    if flag is None:
        return labels
    labels[flag] = 1
    if flag == "low_information":
        labels.update(blurry=None, dark=None, overexposed=None)
    if (flag, family, strength) in STRONGEST:
        labels.update(low_information=None, blurry=None)
    if family == "huge":  # enlarged 8-10 times: soft at the pixel level, its blur not judged
        labels.update(blurry=None)
    if family == "tiny":
        labels.update(blurry=None, low_information=None, dark=None, overexposed=None)
    return labels


def build(dest: Path, crops_per_photo: int = CROPS, seed: int = 0) -> list[dict]:
    rows = []
    for split, specs in SPLITS.items():
        folder = dest / split
        folder.mkdir(parents=True, exist_ok=True)
        deal = 0
        for number, spec in enumerate(specs + ([REAL_BLUR] if split == "heldout" else [])):
            rng = np.random.default_rng(1000 * (split == "heldout") + number + 100_000 * seed)
            source = spec.split(":")[1].split(".")[0]
            real_blur = spec == REAL_BLUR
            for index, crop in enumerate(crops(photo(spec), rng, crops_per_photo)):
                stem = f"{source}_{index:02d}"
                variants = [(None, None, None)]
                if not real_blur:
                    for _ in range(2):
                        variants.append(DEFECTS[split][deal % len(DEFECTS[split])])
                        deal += 1
                for flag, family, strength in variants:
                    image = crop if flag is None else defect(crop, family, strength, rng)
                    name = f"{stem}.jpg" if flag is None else f"{stem}_{family}{strength:g}.jpg"
                    (folder / name).write_bytes(finish(image, rng))
                    labels = labels_for(flag, family, strength)
                    if real_blur:
                        labels["blurry"] = 1
                    rows.append({"split": split, "file": f"{split}/{name}", "source": source,
                                 "defect": "real_motion" if real_blur else (family or "clean"),
                                 "strength": "" if strength is None else strength, **labels})
    with open(dest / "labels.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--crops", type=int, default=CROPS)
    parser.add_argument("--seed", type=int, default=0, help="another draw of crops, angles and colours")
    args = parser.parse_args()
    rows = build(args.dest, args.crops, args.seed)
    for split in SPLITS:
        mine = [row for row in rows if row["split"] == split]
        counts = {kind: sum(row[kind] == 1 for row in mine) for kind in KINDS}
        print(f"{split}: {len(mine)} images; positives {counts}")


if __name__ == "__main__":
    main()
