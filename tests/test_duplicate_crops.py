"""Heavy crops of real photos (a 9:16 phone crop, a quarter of the area) found by keypoints, and
look-alikes (other parts of one photo, other photos, a brick wall) that are not copies."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from imgorg.duplicates import duplicate_table
from imgorg.duplicates import keypoints as kp

from .crop_corpus import jpeg, noisy_upscale, picture_and_rest, source_image


def _write(folder, name: str, image: Image.Image, quality: int = 90) -> str:
    (folder / name).write_bytes(jpeg(image, quality))
    return name


def _images(folder, paths: list[str], sizes: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame({"id": range(len(paths)), "path": paths,
                          "sha256": [hashlib.sha256((folder / p).read_bytes()).hexdigest() for p in paths],
                          "bytes": [(folder / p).stat().st_size for p in paths]})
    if sizes:
        frame["width"], frame["height"] = zip(*(Image.open(folder / p).size for p in paths))
    return frame


def _look_alike_embeddings(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors with cosines near 0.9: every pair an embedding candidate, below the threshold
    on its thumbnails unless the pictures line up; the keypoints decide."""
    rng = np.random.default_rng(seed)
    vectors = 3.0 + rng.normal(size=(n, 16))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """A 16:9 photo with a phone crop (9:16, full height: 32% of the width) saved at more pixels
    than the photo, and a crop of 25% of its area at 75% size, both recompressed; another photo;
    two non-overlapping crops of a third photo and of a brick wall, without their originals."""
    folder = tmp_path_factory.mktemp("crops")
    rng = np.random.default_rng(0)
    picture, _ = picture_and_rest(source_image("rocket"))
    original = noisy_upscale(picture, (1280, 720), rng)
    phone = original.crop((437, 0, 842, 720)).resize((1080, 1920), Image.Resampling.LANCZOS)  # centred
    quarter = original.crop((160, 300, 800, 660))
    quarter = quarter.resize((quarter.width * 3 // 4, quarter.height * 3 // 4), Image.Resampling.LANCZOS)
    other, _ = picture_and_rest(source_image("coffee"))
    paths = [_write(folder, "rocket.jpg", original, 92), _write(folder, "rocket_phone.jpg", phone, 80),
             _write(folder, "rocket_quarter.jpg", quarter, 75),
             _write(folder, "coffee.jpg", noisy_upscale(other, (1280, 720), rng))]
    for name in ("astronaut", "brick"):  # the left and the right 45%: a gap between them
        source = source_image(name)
        half = round(source.width * 0.45)
        for side, left in (("left", 0), ("right", source.width - half)):
            part = noisy_upscale(source.crop((left, 0, left + half, source.height)), (576, 1280), rng)
            paths.append(_write(folder, f"{name}_{side}.jpg", part))
    return folder, paths


def test_a_phone_crop_and_a_quarter_crop_are_found_and_the_photo_is_kept(photos):
    folder, paths = photos
    images = _images(folder, paths)
    frame = duplicate_table(images, _look_alike_embeddings(len(paths)), folder)
    groups = [set(g["path"]) for _, g in frame.groupby("group")]
    assert groups == [{"rocket.jpg", "rocket_phone.jpg", "rocket_quarter.jpg"}]  # nothing else: look-alikes apart
    rows = frame.set_index("path")
    assert rows.loc["rocket.jpg", "keep"]  # though the phone crop has more pixels: a crop is never kept
    assert rows.loc[["rocket_phone.jpg", "rocket_quarter.jpg"], "kind"].tolist() == ["crop", "crop"]
    # without the checks the quarter is not found (its thumbnails score far below the threshold), and
    # the phone crop, whose strip of sky over ground lines its thumbnails up, is kept for its pixels
    without = duplicate_table(images, _look_alike_embeddings(len(paths)), folder, keypoint_checks=0)
    assert without.loc[without["keep"], "path"].tolist() == ["rocket_phone.jpg"]
    assert "rocket_quarter.jpg" not in set(without["path"])


def test_without_an_embedding_the_thumbnail_candidates_below_the_threshold_are_checked(photos):
    """--fast on a folder (no sizes in its frame here: the images are read to tell): the phone
    crop's thumbnails, a strip of its photo's, make it a candidate below the threshold (0.88);
    the check confirms it. Other parts of one photo stay apart."""
    folder, paths = photos
    images = _images(folder, paths, sizes=False)
    frame = duplicate_table(images, None, folder)
    for _, group in frame.groupby("group"):
        assert group["path"].str.split("[_.]", regex=True).str[0].nunique() == 1, group["path"].tolist()
    assert frame.set_index("path").loc["rocket_phone.jpg", "kind"] == "crop"
    assert "rocket_phone.jpg" not in set(duplicate_table(images, None, folder, keypoint_checks=0)["path"])


def test_crop_match_tells_a_crop_from_another_part_of_the_same_photo(photos):
    folder, _ = photos

    def points(name):
        return kp.image_keypoints(Image.open(folder / name).convert("RGB"))

    photo, phone, quarter = points("rocket.jpg"), points("rocket_phone.jpg"), points("rocket_quarter.jpg")
    assert kp.crop_match(phone, photo).crop == 0 and kp.crop_match(photo, quarter).crop == 1
    assert kp.crop_match(photo, photo).crop == -1  # the same picture: a copy, no crop
    assert kp.crop_match(phone, quarter) is None  # two crops that overlap without one holding the other
    for name in ("astronaut", "brick"):
        assert kp.crop_match(points(f"{name}_left.jpg"), points(f"{name}_right.jpg")) is None
    assert kp.crop_match(points("coffee.jpg"), photo) is None
    mirrored = kp.image_keypoints(Image.open(folder / "rocket_quarter.jpg").transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    assert kp.crop_match(mirrored, photo) is None  # a similarity fit has no mirror


def _watermarked(name: str, rng: np.random.Generator) -> Image.Image:
    """A 1280x720 photo with a studio's three-line watermark at its lower right, saved as a JPEG."""
    from PIL import ImageDraw, ImageFont

    picture, _ = picture_and_rest(source_image(name))
    image = noisy_upscale(picture, (1280, 720), rng)
    draw, font = ImageDraw.Draw(image), ImageFont.load_default(size=56)
    for row, line in enumerate(("(c) Studio Nordlicht 2026", "www.nordlicht-photo.example", "all rights reserved")):
        draw.text((560, 504 + row * 64), line, fill="white", font=font, stroke_width=3, stroke_fill="black")
    return Image.open(io.BytesIO(jpeg(image, 90))).convert("RGB")


def test_two_photos_that_share_only_a_watermark_are_no_copies(monkeypatch):
    """The watermark's letters match and agree on one fit (25-37 matches: the whole picture, unmoved);
    the pixels under that fit do not agree, so the pair is no copy."""
    rng = np.random.default_rng(0)
    coffee, astronaut = (kp.image_keypoints(_watermarked(name, rng)) for name in ("coffee", "astronaut"))
    assert kp.crop_match(coffee, astronaut) is None
    monkeypatch.setattr(kp, "MIN_CORRELATION", -1.0)  # the fit alone: the watermark would make them copies
    assert kp.crop_match(coffee, astronaut) is not None


def test_the_checks_per_image_are_a_setting_that_refuses_a_negative_count():
    from imgorg import DuplicatesConfig
    from imgorg.errors import ConfigError

    assert DuplicatesConfig().keypoint_checks == kp.PER_IMAGE
    with pytest.raises(ConfigError, match=r"keypoint_checks \(-1\) must be .* 0 turns"):
        DuplicatesConfig(keypoint_checks=-1).validate()


def test_each_image_brings_at_most_its_strongest_unsure_partners():
    pairs = np.array([(i, j) for i in range(12) for j in range(i + 1, 12)])
    strength = np.random.default_rng(0).uniform(0.5, 1.0, len(pairs))
    chosen = pairs[kp.unsure_pairs(pairs, strength, per_image=2)]
    assert len(chosen) <= 2 * 12
    for i in range(12):
        mine = np.flatnonzero((pairs == i).any(axis=1))
        strongest = {tuple(p) for p in pairs[mine[np.argsort(-strength[mine])[:2]]].tolist()}
        assert strongest <= {tuple(p) for p in chosen.tolist()}  # its two strongest are checked
    assert len(kp.unsure_pairs(pairs, strength, per_image=0)) == 0


def test_the_checks_are_capped_and_small_images_are_never_decoded(photos, tmp_path, monkeypatch):
    folder, paths = photos
    checked = []
    real = kp.verify_pairs

    def spy(root, paths, pairs, *args, **kwargs):
        checked.append(pairs)
        return real(root, paths, pairs, *args, **kwargs)

    monkeypatch.setattr(kp, "verify_pairs", spy)
    images = _images(folder, paths)
    duplicate_table(images, _look_alike_embeddings(len(paths)), folder, keypoint_checks=1)
    assert 0 < len(checked[0]) <= len(paths)  # one per image at most, though every pair is a candidate
    for i in range(20):  # CIFAR-sized images: too small for keypoints, left out by the catalog's sizes
        Image.fromarray(np.random.default_rng(i).integers(0, 256, (32, 32, 3), np.uint8)).save(tmp_path / f"{i}.png")
    small = _images(tmp_path, [f"{i}.png" for i in range(20)])
    duplicate_table(small, _look_alike_embeddings(20), tmp_path)
    assert len(checked[1]) == 0


@pytest.mark.slow
def test_every_derived_copy_of_a_real_photo_is_found_in_a_mixed_folder(tmp_path):
    """The phone crop and the 25-60% crops of a 16:9 photo, beside its resized, recompressed,
    EXIF-rotated and WebP copies, among other photos in HEIC, AVIF, RAW ...: one group with the
    photo it was cut from (the 4:3 AVIF), a photo kept, nothing else in it (with the real
    embedding of the default backbone)."""
    from imgorg import ClusterConfig, DuplicatesConfig, RunConfig, run
    from imgorg.tasks import find_duplicates

    from .photo_corpus import build_photo_corpus

    truth = build_photo_corpus(tmp_path / "photos")
    ws = run(tmp_path / "photos", tmp_path / "ws", RunConfig(cluster=ClusterConfig(method="kmeans", k=3))).workspace
    frame = find_duplicates(ws)
    base = "derived/IMG_0010.jpg"
    group = frame[frame["group"] == frame.set_index("path").loc[base, "group"]]
    assert set(group["path"]) == {base, *truth["derived"], "phone/IMG_0003.avif"}
    crops = {p for p, copy in truth["derived"].items() if copy["box"] is not None}
    assert group.loc[group["keep"], "path"].tolist() == ["phone/IMG_0003.avif"]  # the whole picture
    assert set(group.loc[group["kind"] == "crop", "path"]) >= crops
    without = find_duplicates(ws, DuplicatesConfig(keypoint_checks=0))
    heavy = {p for p, copy in truth["derived"].items() if copy["box"] is not None and copy["area"] < 0.5}
    assert heavy and not set(without["path"]) & heavy  # the thumbnails alone find none of the heavy crops
    assert "derived/IMG_0010_rotated.jpg" not in set(without["path"])  # nor the copy shown turned by EXIF


def test_an_edited_crop_still_agrees_in_the_pixels(photos):
    """The pixel check correlates the detail of grey thumbnails: a crop made grey, toned sepia, or given more
    contrast or another gamma is still a crop of its photo."""
    from PIL import ImageEnhance, ImageOps

    folder, _ = photos
    photo = Image.open(folder / "rocket.jpg").convert("RGB")
    crop = photo.crop((300, 100, 940, 460))
    edits = {
        "grey": ImageOps.grayscale(crop).convert("RGB"),
        "sepia": ImageOps.colorize(ImageOps.grayscale(crop), "#402000", "#ffe0b0"),
        "contrast": ImageEnhance.Contrast(crop).enhance(1.8),
        "gamma": Image.eval(crop, lambda v: int(255 * (v / 255) ** 0.5)),
    }
    whole = kp.image_keypoints(photo)
    for name, edited in edits.items():
        found = kp.crop_match(whole, kp.image_keypoints(Image.open(io.BytesIO(jpeg(edited, 80))).convert("RGB")))
        assert found is not None and found.crop == 1, name


def test_two_pictures_of_one_layout_do_not_agree_in_their_detail():
    """Two portraits in one pose (a face in the middle, a dark suit) correlate in their grey
    thumbnails; the check compares the thumbnails' detail, which only a copy shares."""
    import cv2

    def grey(name: str) -> np.ndarray:
        return np.asarray(source_image(name).convert("L").resize((192, 144)), np.float32)

    layout = cv2.GaussianBlur(grey("astronaut"), (0, 0), 6.0)
    texture = {name: grey(name) - cv2.GaussianBlur(grey(name), (0, 0), 2.0) for name in ("grass", "gravel")}

    def points(thumbnail: np.ndarray) -> kp.Keypoints:
        thumbnail = np.clip(thumbnail, 0, 255).astype(np.uint8)
        return kp.Keypoints(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), (192, 144), thumbnail)

    one, other = points(layout + 0.6 * texture["grass"]), points(layout + 0.6 * texture["gravel"])
    assert np.corrcoef(one.thumbnail.ravel(), other.thumbnail.ravel())[0, 1] > 0.5  # what the grey pixels say
    same = np.eye(2, 3)
    assert kp.pixel_agreement(one, other, same) < kp.MIN_CORRELATION
    recompressed = np.asarray(Image.open(io.BytesIO(jpeg(Image.fromarray(one.thumbnail), 70))), np.float32)
    assert kp.pixel_agreement(one, points(recompressed + 8), same) >= 0.8  # a copy, brighter and recompressed


def test_duplicates_find_a_large_photos_crop_on_the_decode_their_thumbnails_kept(tmp_path, monkeypatch):
    """`imgorg duplicates` decodes a 12-MP JPEG once, at 1/8, for its thumbnails and its keypoints
    (the grey pixels kept in the output's cache, removed after): the same groups as decoding twice."""
    import imgorg.review.kept as kept
    from imgorg import DuplicatesConfig
    from imgorg.tasks.duplicates import find_folder_duplicates

    from .photo_corpus import encode, source_photo

    photo = source_photo("chelsea", big=True)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(encode(photo, "JPEG", quality=90))
    crop = photo.crop((600, 300, 3700, 2625)).resize((4000, 3000))  # 60% of the area, enlarged again
    (tmp_path / "photos" / "cat_crop.jpg").write_bytes(encode(crop, "JPEG", quality=85))
    (tmp_path / "photos" / "coffee.jpg").write_bytes(encode(source_photo("coffee", big=True), "JPEG", quality=90))
    removed, rmtree = [], kept.shutil.rmtree

    def remove(folder, **options):
        removed.append(sorted(p.name for p in Path(folder).iterdir()))
        rmtree(folder, **options)

    monkeypatch.setattr(kept.shutil, "rmtree", remove)
    frame = find_folder_duplicates(tmp_path / "photos", tmp_path / "out", DuplicatesConfig(fast=True))
    assert len(removed) == 1 and len(removed[0]) == 3  # the three photos' grey pixels, then gone
    assert frame.loc[frame["path"] == "cat_crop.jpg", "kind"].tolist() == ["crop"]
    monkeypatch.setattr(kept, "DISK_MARGIN", 1 << 60)  # no room: decoded twice
    again = find_folder_duplicates(tmp_path / "photos", tmp_path / "again", DuplicatesConfig(fast=True))
    pd.testing.assert_frame_equal(frame, again)
    assert not list((tmp_path / "out" / "cache").glob("review-pixels-*"))


def _ratio_matches_by_search(a: kp.Keypoints, b: kp.Keypoints) -> tuple[np.ndarray, np.ndarray]:
    """The ratio test either way from FAISS's 2-nearest search in each direction: the reference."""
    import faiss

    found = []
    for query, train, flip in ((a, b, False), (b, a, True)):
        distance, nearest = faiss.knn_hamming(query.descriptors, train.descriptors, 2)
        good = np.flatnonzero(distance[:, 0] < kp.RATIO * distance[:, 1])
        pairs = np.stack([good, nearest[good, 0]], axis=1)
        found.append(pairs[:, ::-1] if flip else pairs)
    pairs = np.unique(np.concatenate(found), axis=0)
    return a.xy[pairs[:, 0]], b.xy[pairs[:, 1]]


def test_matches_from_one_distance_matrix_are_those_of_a_search_each_way():
    rng = np.random.default_rng(0)
    original = rng.integers(0, 256, (600, 32), dtype=np.uint8)
    crop = original[rng.choice(600, 250, replace=False)].copy()
    noise = rng.random(crop.shape) < 0.02  # a few bits flipped, as a recompressed crop's descriptors
    crop[noise] ^= 1 << rng.integers(0, 8, noise.sum()).astype(np.uint8)
    crop[:20] = crop[20:40]  # duplicate descriptors: ties for the nearest, which fail the ratio test
    a = kp.Keypoints(rng.random((600, 2), np.float32), original, (640, 480), None)
    b = kp.Keypoints(rng.random((250, 2), np.float32), crop, (400, 300), None)
    for one, other in ((a, b), (b, a), (a, a)):
        fast, reference = kp._ratio_matches(one, other), _ratio_matches_by_search(one, other)
        np.testing.assert_array_equal(fast[0], reference[0])
        np.testing.assert_array_equal(fast[1], reference[1])
    # each crop descriptor finds its source from the crop's side, even where the original's side ties
    assert len(kp._ratio_matches(a, b)[0]) == 250


def _feed_screenshot(photo: Image.Image) -> Image.Image:
    """A phone feed's screenshot: white background, a header, lines of text, the photo at full width."""
    from PIL import ImageDraw

    screen = Image.new("RGB", (585, 1266), "white")
    draw = ImageDraw.Draw(screen)
    draw.rectangle((0, 0, 585, 40), fill=(245, 245, 245))
    for row in range(4):
        draw.text((20, 60 + 24 * row), f"travel_daily {row}: one fine day, long dinner", fill="black")
    shown = photo.resize((585, round(585 * photo.height / photo.width)), Image.Resampling.LANCZOS)
    screen.paste(shown, (0, 170))
    for row in range(12):
        draw.text((20, 190 + shown.height + 24 * row), f"comment {row}: what a picture, where was it?", fill="black")
    return screen


def test_a_photo_shown_in_a_screenshot_is_not_its_crop(tmp_path):
    """The keypoints place the photo inside the screenshot, but the picture around it is the screen's
    flat frame and the screenshot a PNG: the photo is not suggested for removal as a crop of it. The
    same screenshot saved as a JPEG (a forward) is not known to be a screen and the crop stands; the
    screenshot's upper part is a crop of it (itself a screen, not framed)."""
    picture, _ = picture_and_rest(source_image("coffee"))
    photo = noisy_upscale(picture, (1280, 720), np.random.default_rng(0))
    screen = _feed_screenshot(photo)
    _write(tmp_path, "coffee.jpg", photo, 92)
    screen.save(tmp_path / "feed.png")
    _write(tmp_path, "feed.jpg", screen, 90)
    screen.crop((0, 0, 585, 700)).save(tmp_path / "feed_top.png")
    names = ["coffee.jpg", "feed.png", "feed.jpg", "feed_top.png"]
    matches = kp.verify_pairs(tmp_path, np.array(names), np.array([[0, 1], [0, 2], [3, 1]]))
    assert [(m.crop, m.framed) for m in matches] == [(0, True), (0, True), (0, False)]
    images = _images(tmp_path, names)
    images["format"] = ["JPEG", "PNG", "JPEG", "PNG"]
    frame = duplicate_table(images, _look_alike_embeddings(len(names)), tmp_path).set_index("path")
    assert "coffee.jpg" in frame.index  # a crop of the JPEG forward, which holds it in no screen it knows
    assert frame.loc["feed_top.png", "kind"] == "crop"
    unknown = duplicate_table(images.drop(columns="format"), _look_alike_embeddings(len(names)), tmp_path)
    assert len(unknown) == len(frame)  # without formats nothing is a screen: the same groups
    images["format"] = ["JPEG", "PNG", "PNG", "PNG"]  # both screenshots lossless: the photo is nobody's copy
    frame = duplicate_table(images, _look_alike_embeddings(len(names)), tmp_path)
    assert "coffee.jpg" not in set(frame["path"]), frame
    assert set(frame["path"]) == {"feed.png", "feed.jpg", "feed_top.png"}


def test_two_shots_of_one_camera_size_taken_apart_are_not_checked_for_crops(monkeypatch):
    # a crop keeps its photo's capture time and has fewer pixels: two 4032x3024 shots taken at different
    # moments need no keypoint check (a phone library's every pair); turned copies, web sizes, one
    # second's shots (a burst, an editor's crop enlarged back) and photos without a capture time are checked
    images = pd.DataFrame({
        "width": [4032, 4032, 4032, 3024, 1080, 1080, 4032, 4032],
        "height": [3024, 3024, 3024, 4032, 1080, 1080, 3024, 3024],
        "taken_at": ["2024-05-17T14:03:22", "2024-05-17T14:05:01", "2024-05-17T14:03:22", "2024-05-17T14:09:00",
                     "2024-05-17T14:03:22", "2024-05-18T10:00:00", None, "2024-06-01T08:00:00"],
        "taken_at_source": ["exif", "exif", "xmp", "exif", "exif", "exif", None, "exif_datetime"]})
    pairs = np.array([[0, 1], [0, 2], [0, 3], [4, 5], [0, 6], [0, 7], [1, 2]])
    assert kp.shots_apart(images, pairs).tolist() == [True, False, False, False, False, False, True]
    checked = []
    monkeypatch.setattr(kp, "verify_pairs", lambda root, paths, pairs, *args, **kwargs:
                        checked.append(pairs) or [None] * len(pairs))
    kp.keypoint_pairs(images.assign(path="x.jpg"), ".", pairs, np.ones(len(pairs)))
    assert sorted(map(tuple, checked[0].tolist())) == [(0, 2), (0, 3), (0, 6), (0, 7), (4, 5)]
