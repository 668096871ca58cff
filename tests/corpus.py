"""A near-duplicate corpus: real images plus transformed copies of some of them.

Used by tests/test_duplicates.py and benchmarks/near_duplicates.py.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageEnhance, ImageFilter, ImageOps


def _resized(image: Image.Image) -> Image.Image:
    return image.resize((image.width * 2, image.height * 2), Image.BICUBIC)


def _jpeg_q30(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=30)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _cropped(image: Image.Image) -> Image.Image:  # 10% off the area: 5% off each side
    dx, dy = round(image.width * 0.05), round(image.height * 0.05)
    return image.crop((dx, dy, image.width - dx, image.height - dy))


def _brighter(image: Image.Image) -> Image.Image:
    return ImageEnhance.Brightness(image).enhance(1.3)


TRANSFORMS = {"resized": _resized, "jpeg30": _jpeg_q30, "crop10": _cropped, "bright": _brighter}


def _jpeg_q20(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=20)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _crop_corner(image: Image.Image) -> Image.Image:  # 15% off the left and the top
    return image.crop((round(image.width * 0.15), round(image.height * 0.15), image.width, image.height))


def _crop_centre(image: Image.Image) -> Image.Image:  # 10% off each side
    dx, dy = round(image.width * 0.1), round(image.height * 0.1)
    return image.crop((dx, dy, image.width - dx, image.height - dy))


# Copies never used to choose a threshold or a signal: a check on other transforms.
HELDOUT_TRANSFORMS = {
    "croptl15": _crop_corner,
    "crop20": _crop_centre,
    "border": lambda image: ImageOps.expand(image, border=3, fill=(0, 0, 0)),
    "contrast": lambda image: ImageEnhance.Contrast(image).enhance(0.7),
    "blur": lambda image: image.filter(ImageFilter.GaussianBlur(1)),
    "jpeg20": _jpeg_q20,
    "small": lambda image: image.resize((image.width // 2, image.height // 2), Image.BILINEAR),
    "wide": lambda image: image.resize((round(image.width * 1.25), image.height), Image.BICUBIC),
}


# Mirrored copies (a flipped photo re-posted, a dataset augmented by flips), alone and with
# the transforms above: a separate check, run with --transforms mirrored.
MIRRORED_TRANSFORMS = {
    "mirror": ImageOps.mirror,
    "mirror-jpeg30": lambda image: _jpeg_q30(ImageOps.mirror(image)),
    "mirror-crop10": lambda image: _cropped(ImageOps.mirror(image)),
    "mirror-small": lambda image: ImageOps.mirror(image).resize((image.width // 2, image.height // 2), Image.BILINEAR),
}


def _crop_bottom_right(image: Image.Image) -> Image.Image:  # 12% off the right and the bottom
    return image.crop((0, 0, image.width - round(image.width * 0.12), image.height - round(image.height * 0.12)))


def _crop_top_right(image: Image.Image) -> Image.Image:  # 10% off the top and the right
    return image.crop((0, round(image.height * 0.1), image.width - round(image.width * 0.1), image.height))


# Framed copies (a passe-partout, letterbox bars) and off-centre crops: the corpus the frame
# trimming was chosen on, run with --transforms framed.
FRAMED_TRANSFORMS = {
    "frame-white2": lambda image: ImageOps.expand(image, border=2, fill=(255, 255, 255)),
    "frame-grey5": lambda image: ImageOps.expand(image, border=5, fill=(128, 128, 128)),
    "letterbox": lambda image: ImageOps.expand(image, border=(0, 4, 0, 4), fill=(0, 0, 0)),
    "crop-br12": _crop_bottom_right,
    "crop-tr10": _crop_top_right,
}


def _crop_sides(left: float, top: float, right: float, bottom: float):
    """A transform that cuts these fractions of the width or height off each side."""
    def crop(image: Image.Image) -> Image.Image:
        w, h = image.width, image.height
        return image.crop((round(w * left), round(h * top), w - round(w * right), h - round(h * bottom)))
    return crop


# Crops of other sizes and sides than any above, never used to choose anything: the check on
# the 0.85 corner views, run with --transforms cropped.
CROPPED_TRANSFORMS = {
    "crop-bl18": _crop_sides(0, 0.18, 0.18, 0),
    "crop-tl22": _crop_sides(0, 0, 0.22, 0.22),
    "crop-tr6": _crop_sides(0.06, 0, 0, 0.06),
    "crop-left15": _crop_sides(0.15, 0, 0, 0),
    "crop-br13-jpeg40": lambda image: _jpeg(_crop_sides(0.13, 0.13, 0, 0)(image), 40),
}


# Copies whose shape changed (a photo cut to a square or a banner, one edge trimmed): held out
# from the choice of the one-side views, run with --transforms aspect.
ASPECT_TRANSFORMS = {
    "square-centre75": _crop_sides(0.125, 0, 0.125, 0),  # 4:3 cut to a square
    "banner-centre70": _crop_sides(0, 0.15, 0, 0.15),
    "crop-top12": _crop_sides(0, 0.12, 0, 0),
    "crop-right20": _crop_sides(0, 0, 0.2, 0),
    "crop-bottom17-jpeg50": lambda image: _jpeg(_crop_sides(0, 0, 0, 0.17)(image), 50),
}


# More copies of another shape, never used to choose anything: the check on the centre strips
# that the aspect corpus led to, run with --transforms reshaped.
RESHAPED_TRANSFORMS = {
    "wide-centre76": _crop_sides(0, 0.12, 0, 0.12),
    "tall-centre66": _crop_sides(0.17, 0, 0.17, 0),
    "wide-off-centre75": _crop_sides(0.05, 0, 0.2, 0),
    "crop-left9": _crop_sides(0.09, 0, 0, 0),
    "tall-centre84-jpeg60": lambda image: _jpeg(_crop_sides(0.08, 0, 0.08, 0)(image), 60),
}


def _heavy_crop(left: float, top: float, width: float, height: float, quality: int = 70):
    """A transform that keeps ``width`` x ``height`` (fractions) from (left, top), twice the size, JPEG ``quality``."""
    def crop(image: Image.Image) -> Image.Image:
        w, h = image.width, image.height
        box = (round(w * left), round(h * top), round(w * (left + width)), round(h * (top + height)))
        cut = image.crop(box)
        return _jpeg(cut.resize((cut.width * 2, cut.height * 2), Image.BICUBIC), quality)
    return crop


# Heavy crops (25-60% of the area, a 9:16 strip of the full height), enlarged and recompressed: on
# 32 px images too small for keypoints (the photo corpus of benchmarks/heavy_crops.py measures
# those), run with --transforms heavycrop to see what the embedding and thumbnails alone give.
HEAVYCROP_TRANSFORMS = {
    "phone916": _heavy_crop(0.2, 0, 0.5625, 1.0),
    "crop25": _heavy_crop(0.1, 0.3, 0.5, 0.5),
    "crop40": _heavy_crop(0.35, 0.05, 0.63, 0.63),
    "crop60": _heavy_crop(0, 0.2, 0.8, 0.75),
}


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def write_copies(original: Path, dest_folder: Path, transforms: dict | None = None) -> list[Path]:
    """One PNG per transform of ``original`` in ``dest_folder``, named <stem>_<transform>.png."""
    image = Image.open(original).convert("RGB")
    dest_folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, transform in (transforms or TRANSFORMS).items():
        path = dest_folder / f"{original.stem}_{name}.png"
        transform(image).save(path)
        out.append(path)
    return out
