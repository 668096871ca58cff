"""A mixed folder of real photographs as a phone, a camera and a download folder leave them.

Source and licence: the photographs are the sample images that scikit-image ships
inside its wheel (``skimage/data``; no download): "astronaut" (Eileen Collins, NASA,
public domain), "coffee" (Rachel Michetti, CC0), "chelsea" (Stefan van der Walt,
CC0), "rocket" (DSCOVR launch, SpaceX, public domain), "hubble_deep_field" (NASA,
public domain) and "camera" (Lav Varshney, CC0), as scikit-image's ``skimage.data``
docstrings state. scikit-image itself is BSD-3-Clause. Everything here is derived
from them: converted to HEIC, AVIF, WebP, PNG, GIF and DNG, given EXIF (capture time
with and without UTC offset, camera, GPS, orientation), cropped, resized and
recompressed. ``big=True`` upscales the pictures to 12 MP (4000x3000) with a
camera-like sensor noise, about 2.6 MB per JPEG at quality 90.

``build_photo_corpus(dest)`` writes the folder and returns its truth: for each image
its format, displayed size, orientation, capture time and source, camera and GPS;
which files are copies of which (and how: phone crop, crop, resize, recompression,
rotation by EXIF only, another format); and which files are junk, with the reason
``scan_source`` must give for skipping them. The RAW file is a DNG written by
``tests/dng.py``: a real photo's pixels as a sensor mosaic, which LibRaw develops.
"""

from __future__ import annotations

import importlib.util
import io
import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image

from .dng import write_dng

SOURCE_FILES = {"astronaut": "astronaut.png", "coffee": "coffee.png", "chelsea": "chelsea.png",
                "rocket": "rocket.jpg", "hubble": "hubble_deep_field.jpg", "camera": "camera.png"}
BIG_SIZE = (4000, 3000)
FILE_TIME = datetime(2023, 8, 1, 12, 0, tzinfo=timezone.utc).timestamp()  # the mtime of files without EXIF dates
PARIS, SYDNEY, KYOTO = (48.8566, 2.3522), (-33.8568, 151.2153), (35.0116, 135.7681)

from imgorg.images import HEIF_SUPPORT as HEIC_WRITABLE  # importing imgorg.images registers pillow-heif


def skimage_data_folder() -> Path:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the photo corpus needs scikit-image's sample photos: pip install scikit-image")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def source_photo(name: str, big: bool = False) -> Image.Image:
    """One of the sample photographs (RGB, or L for "camera"); at 12 MP with sensor noise when ``big``."""
    with Image.open(skimage_data_folder() / SOURCE_FILES[name]) as image:
        image = image.convert("L" if name == "camera" else "RGB")
    return upscale_12mp(image) if big else image


def upscale_12mp(image: Image.Image, seed: int = 0) -> Image.Image:
    """A 4:3 centre crop scaled to 4000x3000, plus Gaussian noise like a phone sensor's (sigma 4 of 255)."""
    width, height = image.size
    target = BIG_SIZE[0] / BIG_SIZE[1]
    if width / height > target:
        cut = round((width - height * target) / 2)
        image = image.crop((cut, 0, width - cut, height))
    else:
        cut = round((height - width / target) / 2)
        image = image.crop((0, cut, width, height - cut))
    big = np.asarray(image.resize(BIG_SIZE, Image.Resampling.BICUBIC), dtype=np.float32)
    noise = np.random.default_rng(seed).normal(0.0, 4.0, big.shape[:2])[..., None] if big.ndim == 3 else \
        np.random.default_rng(seed).normal(0.0, 4.0, big.shape)
    return Image.fromarray(np.clip(big + noise, 0, 255).astype(np.uint8), image.mode)


def make_exif(*, make=None, model=None, taken=None, offset=None, gps=None, gps_time=None, orientation=None) -> bytes:
    """EXIF bytes: Make/Model/Orientation, DateTimeOriginal (+ OffsetTimeOriginal), GPS position (+ UTC time)."""
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    if orientation:
        exif[0x0112] = orientation
    if taken:
        exif[0x0132] = taken
        main = exif.get_ifd(0x8769)
        main[0x9003] = taken
        if offset:
            main[0x9011] = offset
    if gps:
        block = exif.get_ifd(0x8825)
        block[0] = b"\x02\x03\x00\x00"
        block[1], block[2] = ("N" if gps[0] >= 0 else "S"), _dms(gps[0])
        block[3], block[4] = ("E" if gps[1] >= 0 else "W"), _dms(gps[1])
        if gps_time:  # "YYYY:MM:DD HH:MM:SS" in UTC
            day, clock = gps_time.split(" ")
            block[29] = day
            block[7] = tuple(float(x) for x in clock.split(":"))
    return exif.tobytes()


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4)


def encode(image: Image.Image, fmt: str, exif: bytes | None = None, **options) -> bytes:
    buffer = io.BytesIO()
    if exif:
        options["exif"] = exif
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _animated(first: Image.Image, second: Image.Image, fmt: str) -> bytes:
    size = (min(first.width, 160), min(first.height, 120))
    frames = [first.convert("RGB").resize(size), second.convert("RGB").resize(size)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format=fmt, save_all=True, append_images=frames[1:], duration=200, loop=0)
    return buffer.getvalue()


def _box(width: int, height: int, fraction_w: float, fraction_h: float, x: float, y: float) -> tuple:
    """A crop box of the given fractions of width and height, its top-left at (x, y) of the slack."""
    w, h = round(width * fraction_w), round(height * fraction_h)
    left, top = round((width - w) * x), round((height - h) * y)
    return left, top, left + w, top + h


def build_photo_corpus(dest: Path, big: bool = False) -> dict:
    """Write the mixed folder under ``dest``; return its truth (see the module docstring).

    Keys: "images" {path: {format, width, height, orientation, taken_at, taken_at_offset_min,
    taken_at_source, camera_make, camera_model, gps, source, needs}} where ``source`` names the
    sample photo the file shows upright once decoded (resized for the animations' first frame;
    None for the copies of the 16:9 picture), "derived" {path: {of, how,
    box (in the original's displayed pixels) or None, area}}, "broken" {path: reason text},
    "junk" {path: skip reason}, "file_time" (the mtime given to files without an EXIF date).
    ``needs`` is "heic" or "raw" for files that only the extra reads; without it they are
    skipped as "unsupported format".
    """
    dest = Path(dest)
    truth = {"images": {}, "derived": {}, "broken": {}, "junk": {}, "file_time": FILE_TIME}

    def put(rel: str, data: bytes, mtime: float | None = None) -> Path:
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    def image(rel, data, fmt, size, *, orientation=1, taken=None, offset=None, make=None, model=None,
              gps=None, source=None, needs=None, mtime=None):
        put(rel, data, mtime)
        truth["images"][rel] = {
            "format": fmt, "width": size[0], "height": size[1], "orientation": orientation,
            "taken_at": None if taken is None else datetime.strptime(taken, "%Y:%m:%d %H:%M:%S"),
            "taken_at_offset_min": offset, "taken_at_source": "exif" if taken else "file",
            "camera_make": make, "camera_model": model, "gps": gps, "source": source, "needs": needs}

    _originals(dest, big, image)
    _derived(dest, big, image, truth)
    _broken_and_junk(put, truth)
    return truth


def _originals(dest: Path, big: bool, image) -> None:
    coffee, astronaut, chelsea = (source_photo(n, big) for n in ("coffee", "astronaut", "chelsea"))
    rocket, hubble, camera = (source_photo(n, big) for n in ("rocket", "hubble", "camera"))
    # Files with an orientation store the picture turned the other way: shown, each is upright.
    turned_left, turned_right = Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270
    canon = dict(make="Canon", model="Canon EOS 80D")
    iphone = dict(make="Apple", model="iPhone 13")
    # A camera's JPEG in Paris, with the UTC offset.
    exif = make_exif(**canon, taken="2024:05:17 14:03:22", offset="+02:00", gps=PARIS)
    image("camera/IMG_0001.jpg", encode(astronaut, "JPEG", exif, quality=90), "JPEG", astronaut.size,
          taken="2024:05:17 14:03:22", offset=120, **canon, gps=PARIS, source="astronaut")
    # An iPhone's HEIC, held upright: stored landscape, shown portrait (orientation 6).
    exif = make_exif(**iphone, taken="2024:05:17 18:45:10", offset="+02:00", gps=PARIS, orientation=6)
    if HEIC_WRITABLE:
        image("phone/IMG_0002.heic", encode(coffee.transpose(turned_left), "HEIF", exif, quality=80), "HEIF",
              coffee.size, orientation=6, taken="2024:05:17 18:45:10", offset=120, **iphone, gps=PARIS,
              source="coffee", needs="heic")
    # An AVIF without an offset: the GPS time stamp (UTC) tells it (+10:00 in Sydney).
    exif = make_exif(**iphone, taken="2024:05:18 09:12:05", gps=SYDNEY, gps_time="2024:05:17 23:12:05")
    image("phone/IMG_0003.avif", encode(rocket, "AVIF", exif, quality=70), "AVIF", rocket.size,
          taken="2024:05:18 09:12:05", offset=600, **iphone, gps=SYDNEY, source="rocket")
    # A WebP from a messaging app, rotated by EXIF (orientation 8: shown turned 90 degrees anticlockwise).
    exif = make_exif(taken="2024:06:02 11:00:00", orientation=8)
    image("web/chelsea.webp", encode(chelsea.transpose(turned_right), "WEBP", exif, quality=85), "WEBP",
          chelsea.size, orientation=8, taken="2024:06:02 11:00:00", source="chelsea")
    # A grayscale scan: no EXIF, so its file time stands for the capture time.
    image("scans/camera.png", encode(camera, "PNG"), "PNG", camera.size, source="camera", mtime=FILE_TIME)
    # A camera RAW (DNG) in Kyoto, shown portrait (orientation 6), with its full-size JPEG preview.
    raw_size = (hubble.width - hubble.width % 2, hubble.height - hubble.height % 2)
    image("raw/DSC_0005.dng", write_dng(hubble.crop((0, 0, *raw_size)).transpose(turned_left), orientation=6,
                                        make="Pentax", model="K-3", gps=KYOTO, taken="2024:06:02 20:15:00",
                                        offset="+09:00"),
          "DNG", raw_size, orientation=6, taken="2024:06:02 20:15:00", offset=540, make="Pentax",
          model="K-3", gps=KYOTO, source="hubble", needs="raw")
    # Animated GIF and WebP: the first frame is the picture (coffee), the second another one.
    first = coffee.resize((min(coffee.width, 160), min(coffee.height, 120)))
    image("web/animated.gif", _animated(coffee, rocket, "GIF"), "GIF", first.size, source="coffee", mtime=FILE_TIME)
    image("web/animated.webp", _animated(coffee, rocket, "WEBP"), "WEBP", first.size, source="coffee",
          mtime=FILE_TIME)
    # Found by content: no extension, a wrong one, an unknown one.
    image("mystery/IMG_0006", encode(hubble, "JPEG", quality=85), "JPEG", hubble.size, source="hubble",
          mtime=FILE_TIME)
    image("mystery/not_really.png", encode(chelsea, "JPEG", quality=85), "JPEG", chelsea.size, source="chelsea",
          mtime=FILE_TIME)
    image("mystery/picture.dat", encode(astronaut, "PNG"), "PNG", astronaut.size, source="astronaut",
          mtime=FILE_TIME)


def _derived(dest: Path, big: bool, image, truth: dict) -> None:
    """A 16:9 original and its copies: phone format (9:16), crops of 25-60 %, resized, recompressed,
    rotated by EXIF only, another format."""
    rocket = source_photo("rocket", big)
    width = rocket.width
    height = round(width * 9 / 16)
    wide = rocket.crop((0, (rocket.height - height) // 2, width, (rocket.height - height) // 2 + height))
    base = "derived/IMG_0010.jpg"
    canon = dict(make="Canon", model="Canon EOS 80D")
    exif = make_exif(**canon, taken="2024:05:18 16:20:00", offset="+10:00", gps=SYDNEY)
    image(base, encode(wide, "JPEG", exif, quality=92), "JPEG", wide.size, taken="2024:05:18 16:20:00",
          offset=600, **canon, gps=SYDNEY)
    phone_w = round(height * 9 / 16)
    copies = {
        "phone916": ("phone-format crop (9:16, full height)", ((width - phone_w) // 2, 0, (width + phone_w) // 2, height)),
        "crop25": ("crop", _box(width, height, 0.5, 0.5, 0.3, 0.4)),
        "crop40": ("crop", _box(width, height, 0.63, 0.63, 1.0, 0.0)),
        "crop60": ("crop", _box(width, height, 0.8, 0.75, 0.0, 1.0)),
    }
    for name, (how, box) in copies.items():
        rel = f"derived/IMG_0010_{name}.jpg"
        cut = wide.crop(box)
        image(rel, encode(cut, "JPEG", quality=88), "JPEG", cut.size, mtime=FILE_TIME)
        area = (box[2] - box[0]) * (box[3] - box[1]) / (width * height)
        truth["derived"][rel] = {"of": base, "how": how, "box": box, "area": round(area, 3)}
    small = wide.resize((width // 2, height // 2), Image.Resampling.LANCZOS)
    image("derived/IMG_0010_small.jpg", encode(small, "JPEG", quality=88), "JPEG", small.size,
          mtime=FILE_TIME)
    image("derived/IMG_0010_q35.jpg", encode(wide, "JPEG", quality=35), "JPEG", wide.size,
          mtime=FILE_TIME)
    image("derived/IMG_0010_rotated.jpg", encode(wide, "JPEG", make_exif(orientation=6), quality=92), "JPEG",
          wide.size[::-1], orientation=6, source=None, mtime=FILE_TIME)
    image("derived/IMG_0010.webp", encode(wide, "WEBP", quality=80), "WEBP", wide.size,
          mtime=FILE_TIME)
    for rel, how in (("derived/IMG_0010_small.jpg", "resized to half"), ("derived/IMG_0010_q35.jpg",
                     "recompressed (JPEG quality 35)"), ("derived/IMG_0010_rotated.jpg",
                     "rotated by EXIF only (orientation 6: shown turned 90 degrees clockwise)"),
                     ("derived/IMG_0010.webp", "converted to WebP")):
        truth["derived"][rel] = {"of": base, "how": how, "box": None, "area": 1.0}


def _broken_and_junk(put, truth: dict) -> None:
    jpeg = encode(source_photo("chelsea"), "JPEG", quality=85)
    put("broken/truncated.jpg", jpeg[: len(jpeg) // 2], FILE_TIME)
    truth["broken"]["broken/truncated.jpg"] = "truncated"
    put("broken/empty.jpg", b"", FILE_TIME)
    truth["broken"]["broken/empty.jpg"] = "empty file"
    # a phone video whose container holds nothing: a video is an item, so it fails with its reason (PyAV reads it)
    put("phone/IMG_0004.MOV", b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + bytes(200), FILE_TIME)
    truth["broken"]["phone/IMG_0004.MOV"] = "QuickTime video that cannot be opened"
    junk = {
        ".DS_Store": (b"\x00\x00\x00\x01Bud1" + bytes(100), "hidden or system file"),
        "phone/._IMG_0002.heic": (b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(60),
                                  "hidden or system file"),
        "Thumbs.db": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "hidden or system file"),
        ".thumbnails/IMG_0001.jpg": (jpeg, "hidden or system file"),
        "readme.txt": (b"Photos from the trip, May 2024.\n", "not an image"),
        "mystery/unknown.bin": (np.random.default_rng(1).integers(0, 256, 3000, dtype=np.uint8).tobytes(),
                                "not an image"),
        "notes.pdf": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(100), "not an image"),
    }
    for rel, (data, reason) in junk.items():
        put(rel, data)
        truth["junk"][rel] = reason


def expected_catalog(truth: dict, heic: bool, raw: bool) -> tuple[set[str], dict[str, str]]:
    """The paths ``scan_source`` must catalogue and the skipped ones with their reasons, given which extras read."""
    readable = {"heic": heic, "raw": raw}
    catalog = {p for p, t in truth["images"].items() if t["needs"] is None or readable[t["needs"]]}
    catalog |= set(truth["broken"])
    skipped = dict(truth["junk"])
    skipped.update({p: "unsupported format" for p, t in truth["images"].items()
                    if t["needs"] is not None and not readable[t["needs"]]})
    return catalog, skipped
