"""Quality flags on small real photos (scikit-image's samples) and generated images."""

import functools
import io
import math

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageFilter

from imgorg.review.quality import (KINDS, SCORE_COLUMNS, WORK_SIDE, image_scores, quality_flags, quality_scores,
                                   read_work_image)

skimage_data = pytest.importorskip("skimage.data")


@functools.cache
def photos() -> tuple[Image.Image, ...]:
    """Real photographs, RGB, 300-600 px."""
    return (Image.fromarray(skimage_data.astronaut()), Image.fromarray(skimage_data.chelsea()),
            Image.fromarray(skimage_data.coffee()), Image.fromarray(skimage_data.camera()).convert("RGB"),
            Image.fromarray(skimage_data.coins()).convert("RGB"), Image.fromarray(skimage_data.rocket()))


def crops(n: int = 24, seed: int = 0) -> list[Image.Image]:
    """Distinct crops of the photos: a collection of ordinary images."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        image = photos()[i % 6]
        w, h = image.size
        cw, ch = int(w * rng.uniform(0.5, 0.9)), int(h * rng.uniform(0.5, 0.9))
        x, y = rng.integers(0, w - cw), rng.integers(0, h - ch)
        out.append(image.crop((x, y, x + cw, y + ch)))
    return out


def scores_of(images: list[Image.Image]) -> pd.DataFrame:
    return pd.DataFrame([image_scores(np.asarray(image), *image.size) for image in images])


def flagged(images: list[Image.Image], kind: str) -> set[int]:
    flags = quality_flags(scores_of(images))
    return set(flags.loc[flags["kind"] == kind, "id"])


def exposure(image: Image.Image, stops: float) -> Image.Image:
    linear = (np.asarray(image, np.float32) / 255) ** 2.2 * 2**stops
    return Image.fromarray((np.clip(linear, 0, 1) ** (1 / 2.2) * 255).astype(np.uint8))


def test_a_blurred_copy_is_blurry_and_its_sharp_photo_is_not():
    images = crops()
    sharp, blurred = images[0], images[0].filter(ImageFilter.GaussianBlur(2.5))
    assert flagged(images + [blurred], "blurry") == {len(images)}
    assert image_scores(np.asarray(blurred))["edge_width"] > 2 * image_scores(np.asarray(sharp))["edge_width"]


def test_sharpness_does_not_depend_on_contrast_or_size():
    photo = photos()[0]
    faint = Image.fromarray((np.asarray(photo, np.float32) * 0.3 + 90).astype(np.uint8))
    half = photo.resize((photo.width // 2, photo.height // 2), Image.Resampling.LANCZOS)
    widths = [image_scores(np.asarray(image))["edge_width"] for image in (photo, faint, half)]
    assert max(widths) - min(widths) < 0.5


def test_a_dark_photo_in_a_bright_collection_is_flagged_but_a_night_album_is_not_all_dark():
    images = crops()
    under = exposure(images[3], -4.5)  # mean luma 0.5 -> 0.12
    assert flagged(images + [under], "dark") == {len(images)}
    night = [exposure(image, -3.5) for image in crops(seed=1)]  # every photo 3.5 stops under: an album of dusk
    assert np.mean([image_scores(np.asarray(image))["brightness"] for image in night]) < 0.2
    assert len(flagged(night, "dark")) <= 2
    lens_cap = Image.fromarray(np.full((300, 400, 3), 3, np.uint8))
    assert len(night) in flagged(night + [lens_cap], "dark")  # a black frame is dark in any collection


def test_an_overexposed_photo_is_flagged():
    images = crops()
    assert flagged(images + [exposure(images[1], 2.5)], "overexposed") == {len(images)}  # a third blown out
    assert flagged(images + [exposure(images[5], 1.5)], "overexposed") == set()  # the dark rocket 1.5 stops up is fine


def test_a_blank_and_a_near_uniform_image_are_low_information_but_a_faint_photo_is_not():
    rng = np.random.default_rng(0)
    blank = Image.new("RGB", (400, 300), (120, 140, 90))
    noisy = Image.fromarray(np.clip(rng.normal(128, 2, (300, 400, 3)), 0, 255).astype(np.uint8))
    ramp = Image.fromarray(np.broadcast_to(np.linspace(100, 125, 400)[None, :, None], (300, 400, 3)).astype(np.uint8))
    images = crops()
    found = flagged(images + [blank, noisy, ramp], "low_information")
    assert found == {len(images), len(images) + 1, len(images) + 2}
    assert math.isnan(image_scores(np.asarray(blank))["edge_width"])  # no edges: not judged for blur
    assert "blurry" not in set(quality_flags(scores_of(images + [blank]))["kind"])


def test_a_tiny_image_among_normal_ones_is_odd_size_but_a_folder_of_icons_is_not():
    images = crops()
    tiny = images[1].resize((32, 24))
    assert flagged(images + [tiny], "odd_size") == {len(images)}
    icons = [image.resize((32, 32)) for image in images]
    assert flagged(icons, "odd_size") == set()
    huge = pd.concat([scores_of(images), pd.DataFrame([{**image_scores(np.asarray(images[0])),
                                                        "width": 6000.0, "height": 4000.0}])], ignore_index=True)
    flags = quality_flags(huge)
    assert set(flags.loc[flags["kind"] == "odd_size", "id"]) == {len(images)}


def test_a_copy_three_and_a_half_times_smaller_is_odd_size_among_photos_of_one_size_only():
    images = crops()

    def sized(sides: list[int]) -> pd.DataFrame:
        frame = pd.concat([scores_of(images)] * 2, ignore_index=True).iloc[:len(sides)].copy()
        frame["width"], frame["height"] = np.array(sides, float), np.array(sides, float) * 0.75
        return frame

    one_size = [150] * 15 + [43]  # 3.5x shorter than the other fifteen
    flags = quality_flags(sized(one_size))
    said = flags.loc[flags["kind"] == "odd_size"]
    assert set(said["id"]) == {15} and "keep close to it" in said["reason"].iat[0]
    varied = [90, 110, 130, 150, 170, 200, 240, 300, 150, 120, 180, 260, 100, 140, 210, 43]  # 150 px median
    assert set(quality_flags(sized(varied)).query("kind == 'odd_size'")["id"]) == set()


def test_a_panorama_is_odd_aspect_but_not_in_an_album_of_panoramas():
    images = crops()
    panorama = photos()[2].crop((0, 150, 600, 210))  # 10:1
    flags = quality_flags(scores_of(images + [panorama]))
    assert set(flags.loc[flags["kind"] == "odd_aspect", "id"]) == {len(images)}
    assert "10.0:1 (wide)" in flags.loc[flags["kind"] == "odd_aspect", "reason"].iloc[0]
    strips = [image.crop((0, 0, image.width, image.width // 4)) for image in images]
    assert flagged(strips, "odd_aspect") == set()


def test_flags_have_scores_in_range_and_reasons_and_ids():
    images = crops()
    bad = [exposure(images[0], -4), images[1].filter(ImageFilter.GaussianBlur(4)), Image.new("RGB", (200, 200))]
    flags = quality_flags(scores_of(images + bad), ids=[f"img{i}" for i in range(len(images) + 3)])
    assert list(flags.columns) == ["id", "kind", "score", "reason"]
    assert set(flags["kind"]) <= set(KINDS)
    assert flags["score"].between(0, 1).all() and (flags["reason"].str.len() > 20).all()
    assert {"img24", "img25", "img26"} <= set(flags["id"])


def write_jpeg(path, image, **kwargs):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, **kwargs)
    path.write_bytes(buffer.getvalue())


def test_quality_scores_reads_files_unreadable_ones_are_nan(tmp_path):
    write_jpeg(tmp_path / "a.jpg", photos()[0])
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (tmp_path / "empty.png").write_bytes(b"")
    scores = quality_scores(["a.jpg", "broken.jpg", "empty.png", "missing.jpg"], tmp_path, workers=1)
    assert list(scores.columns) == list(SCORE_COLUMNS) and len(scores) == 4
    assert scores.iloc[0].notna().all() and scores.iloc[1:].isna().all().all()
    assert quality_flags(scores).query("id > 0").empty  # unreadable images are never flagged


def test_large_jpeg_is_decoded_reduced_with_its_size_and_orientation(tmp_path):
    big = photos()[2].resize((2400, 1600))
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated: 1600 x 2400
    write_jpeg(tmp_path / "big.jpg", big, exif=exif.tobytes())
    pixels, width, height = read_work_image((tmp_path / "big.jpg").read_bytes())
    assert (width, height) == (1600, 2400)
    assert max(pixels.shape[:2]) == WORK_SIDE and pixels.shape[0] > pixels.shape[1]
    scores = quality_scores(["big.jpg"] * 3, tmp_path, workers=2)
    assert scores["width"].tolist() == [1600.0] * 3 and scores["aspect"].iloc[0] == pytest.approx(2 / 3)


def test_scores_validate_their_input():
    with pytest.raises(ValueError, match="lack the columns"):
        quality_flags(pd.DataFrame({"brightness": [0.5]}))
    with pytest.raises(ValueError, match="one id per row"):
        quality_flags(scores_of(crops(3)), ids=["a"])


def test_a_starfield_is_not_dark_but_the_same_sky_with_nothing_lit_is():
    sky = Image.fromarray(skimage_data.hubble_deep_field()).resize((400, 400), Image.Resampling.LANCZOS)
    dimmed = Image.fromarray((np.asarray(sky, np.float32) * 0.3).astype(np.uint8))  # its stars under 0.40
    images = crops() + [sky, dimmed]
    assert image_scores(np.asarray(sky))["brightness"] < 0.1  # dark on average: the mean alone would flag it
    assert flagged(images, "dark") == {len(images) - 1}


def test_a_white_page_with_one_small_mark_is_low_information():
    page = np.full((400, 300, 3), 235, np.uint8)
    page[100:115, 200:220] = 40  # a mark covering 0.25% of the page: detail overall, but almost nowhere
    noisy = np.clip(page + np.random.default_rng(0).normal(0, 1.5, page.shape), 0, 255).astype(np.uint8)
    images = crops() + [Image.fromarray(noisy)]
    scores = image_scores(noisy)
    assert scores["detailed"] < 0.06 and scores["detail"] / (scores["brightness"] + 0.05) > 0.02
    assert flagged(images, "low_information") == {len(images) - 1}


def test_the_thumbnails_pass_measures_the_same_scores_from_its_own_decode(tmp_path):
    """The review reads each image once: the copy search's thumbnails pass measures the quality scores
    from the decode it already made; a large JPEG (decoded at 1/8 for both), a small one and a broken
    file must score as quality_scores scores them."""
    from imgorg.duplicates import image_thumbnails
    from imgorg.review.quality import measure, quality_frame

    big = photos()[0].resize((4000, 3000))
    write_jpeg(tmp_path / "big.jpg", big)
    write_jpeg(tmp_path / "small.jpg", photos()[1].resize((48, 32)))
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    paths = ["big.jpg", "small.jpg", "broken.jpg"]
    shared = quality_frame(image_thumbnails(tmp_path, paths, workers=1, measure=measure).measured)
    alone = quality_scores(paths, tmp_path, workers=1)
    pd.testing.assert_frame_equal(shared, alone)
    assert shared["width"].tolist()[:2] == [4000, 48] and shared.iloc[2].isna().all()


def veiled(image: Image.Image, veil: float) -> Image.Image:
    """Flare or haze: a veil of light added in linear light; the whites need not reach white."""
    linear = (np.asarray(image, np.float32) / 255) ** 2.2
    return Image.fromarray(((linear * (1 - veil) + veil) ** (1 / 2.2) * 255).astype(np.uint8))


def test_a_photo_under_a_veil_of_haze_is_overexposed_not_blank():
    images = crops()
    hazy = veiled(images[2], 0.55).point(lambda v: min(v, 235))  # no pixel reaches white
    found = quality_flags(scores_of(images + [hazy]))
    assert set(found.loc[found["kind"] == "overexposed", "id"]) == {len(images)}
    assert set(found.loc[found["kind"] == "low_information", "id"]) == set()
    assert "darkest 5% at 0.7" in found.loc[found["kind"] == "overexposed", "reason"].iloc[0]  # says why


def test_a_pale_flat_photo_is_not_overexposed():
    images = crops()
    pale = veiled(images[3], 0.3).point(lambda v: min(v, 225))  # bright and flat, its darkest parts mid-grey
    assert flagged(images + [pale], "overexposed") == set()


def test_an_underexposed_photo_is_dark_even_when_its_mean_is_not_near_black():
    images = crops()
    under = exposure(images[2], -2.5)  # coffee: highlights pushed under 0.45, mean about 0.2
    scores = scores_of([under]).iloc[0]
    assert 0.15 < scores["brightness"] < 0.26 and scores["highlights"] < 0.46
    assert flagged(images + [under], "dark") == {len(images)}


def shaken(image: Image.Image) -> Image.Image:
    """Camera shake: a path of three legs, the camera dwelling where it turns (steep steps survive)."""
    import cv2

    kernel = np.zeros((9, 9), np.float32)
    cv2.polylines(kernel, [np.array([[1, 1], [6, 3], [3, 6], [7, 7]], np.int32)], False, 1.0)
    kernel[1, 1] = kernel[7, 7] = 3
    pixels = cv2.filter2D(np.asarray(image, np.float32), -1, kernel / kernel.sum())
    return Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8))


def test_a_shaken_copy_is_blurry_though_some_of_its_steps_stay_steep():
    images = crops()
    shake = shaken(images[4])  # coins: its sharpest edges about 2 px wide, against 1-1.3 px in the collection
    assert 1.9 < image_scores(np.asarray(shake))["edge_width"] < 2.4
    assert flagged(images + [shake], "blurry") == {len(images)}


def test_a_night_photo_with_lit_windows_is_not_dark_but_a_tone_curve_darkened_copy_is():
    images = crops()
    night = np.asarray(exposure(images[0], -7), np.float32)  # mean luma under 0.09
    rng = np.random.default_rng(3)
    for y, x in rng.integers(20, 250, (30, 2)):  # lamps and lit windows (2% of it): the bright parts stay bright
        night[y:y + 12, x:x + 8] = 235
    night = Image.fromarray(night.astype(np.uint8))
    assert image_scores(np.asarray(night))["brightness"] < 0.09
    assert flagged(images + [night], "dark") == set()
    curve = Image.fromarray((255 * (np.asarray(images[2], np.float32) / 255) ** 2.5).astype(np.uint8))  # whites stay
    assert image_scores(np.asarray(curve))["highlights"] > 0.46  # the old rule's "never dark" line
    assert flagged(images + [curve], "dark") == {len(images)}


def _runs_by_hand(gray: np.ndarray) -> list[tuple[int, int, bool]]:
    """(rise, steepest step, along a row) of every rising or falling run, line by line, in plain Python."""
    runs = []
    for lines, along_rows in ((gray, True), (gray.T, False)):
        for line in lines.astype(int):
            steps = np.diff(line)
            i = 0
            while i < len(steps):
                j = i
                while j + 1 < len(steps) and np.sign(steps[j + 1]) == np.sign(steps[i]):
                    j += 1
                if steps[i] != 0:
                    run = np.abs(steps[i:j + 1])
                    runs.append((int(run.sum()), int(run.max()), along_rows))
                i = j + 1
    return runs


@pytest.mark.parametrize("shape", [(4, 4), (5, 9), (31, 17)])
def test_edge_runs_are_the_monotone_runs_of_each_row_and_column(shape):
    from imgorg.review.quality import _edge_runs

    rng = np.random.default_rng(sum(shape))
    gray = rng.integers(0, 256, shape, dtype=np.uint8)
    gray[:, :2] = 7  # flat steps end runs and rise by nothing
    rises, steps, along_rows = _edge_runs(gray)
    found = sorted(zip(rises.tolist(), steps.tolist(), along_rows.tolist()))
    assert found == sorted(_runs_by_hand(gray))


def test_a_reduced_decode_keeps_the_files_own_sides():
    import io

    from PIL import Image

    from imgorg.review.quality import measure

    buffer = io.BytesIO()
    Image.new("RGB", (1170, 2532), (200, 100, 50)).save(buffer, "JPEG")  # a phone screenshot's size
    scores = measure(buffer.getvalue())
    assert (scores["width"], scores["height"]) == (1170, 2532)  # 1169x2533 from the 1/4 decode's area


def test_a_blur_reason_names_scarce_fine_detail_only_where_it_is_scarce():
    """The learned blur flag weighs fine detail beside edge width: the reason names the detail where it
    is under LITTLE_DETAIL of the collection's median, and says nothing of it otherwise."""
    rng = np.random.default_rng(0)
    n = 30
    scores = pd.DataFrame({"id": range(n), "edge_width": 1.4 + rng.normal(0, 0.05, n), "brightness": 0.5,
                           "highlights": 0.95, "clipped": 0.003, "detail": 0.08 + rng.normal(0, 0.005, n),
                           "width": 1000, "height": 750, "aspect": 4 / 3, "shadows": 0.16, "detailed": 0.75})
    reasons = {}
    for detail in (0.02, 0.08):
        scores.loc[n - 1, ["edge_width", "detail"]] = [3.0, detail]
        flags = quality_flags(scores)
        reasons[detail] = flags.loc[(flags["kind"] == "blurry") & (flags["id"] == n - 1), "reason"].item()
    assert "only 0.2x the median fine detail" in reasons[0.02] and "2.2x this collection's median" in reasons[0.02]
    assert "fine detail" not in reasons[0.08]


def test_a_camera_raw_is_sized_as_the_catalog_has_it_not_as_its_preview(tmp_path):
    """A 6000x4000 DNG among the camera's JPEGs was "odd size: 1620x1080 px, 3.7 times shorter": the
    quality decode of a RAW is its embedded preview. The review measures its pixels there and takes
    its size from the catalog."""
    from imgorg import ClusterConfig, MapConfig, RunConfig, run
    from imgorg.config import ReviewConfig
    from imgorg.tasks.review import review_collection

    from .dng import write_dng
    from .photo_corpus import SOURCE_FILES, source_photo

    folder = tmp_path / "photos"
    folder.mkdir()
    names = [n for n in SOURCE_FILES if n != "camera"][:6]
    for name in names:
        source_photo(name).convert("RGB").resize((900, 600)).save(folder / f"{name}.jpg", quality=90)
    # a preview half its size: what the RAW's quality decode reads
    (folder / "raw.dng").write_bytes(write_dng(source_photo(names[0]).resize((900, 600)), preview=450))
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    config = RunConfig(cluster=ClusterConfig(method="kmeans", k=2), map=MapConfig(method="none"))
    done = run(folder, tmp_path / "ws", config)
    ws = done.workspace
    # and from Python, the run says which files it could not use (only `imgorg run` printed them)
    assert done.failed["path"].tolist() == ["broken.jpg"] and done.failed["error"].notna().all()
    result = review_collection(ws, ReviewConfig(kinds=("odd_size",)))
    raw = int(ws.images.loc[ws.images["path"] == "raw.dng", "id"].item())
    assert result.scores.set_index("id").loc[raw, ["width", "height"]].tolist() == [900, 600]
    assert raw not in set(result.table["id"])


# --- screenshots: a screen's white app or dark theme is its design, not exposure -----------------------------

def app_screen(size: tuple[int, int], dark: bool = False, seed: int = 0) -> Image.Image:
    """A phone app's screen as a screenshot keeps it: a status bar (time, signal, battery), a title bar,
    a list of rows (an icon, a line of text and a greyer one under it, a switch or a button), a tab bar."""
    from PIL import ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    width, height = size
    unit = width / 100
    back, cell, text, grey, line = (((0, 0, 0), (28, 28, 30), (235, 235, 245), (142, 142, 147), (56, 56, 58)) if dark
                                    else ((255, 255, 255), (255, 255, 255), (0, 0, 0), (138, 138, 142), (220, 220, 224)))
    image = Image.new("RGB", size, back)
    draw = ImageDraw.Draw(image)
    big, small = ImageFont.load_default(size=round(4.4 * unit)), ImageFont.load_default(size=round(3.4 * unit))
    draw.text((7 * unit, 3 * unit), "9:41", font=big, fill=text)  # the status bar
    for bar in range(4):
        draw.rectangle([72 * unit + bar * 2.2 * unit, (7 - bar) * unit, 73.5 * unit + bar * 2.2 * unit, 8 * unit],
                       fill=text)
    draw.rounded_rectangle([83 * unit, 4 * unit, 92 * unit, 8.5 * unit], radius=unit, outline=text, width=3)
    draw.rectangle([84 * unit, 5 * unit, 89 * unit, 7.5 * unit], fill=text)
    draw.text((6 * unit, 14 * unit), "Settings" if seed % 2 else "Messages", font=ImageFont.load_default(
        size=round(8 * unit)), fill=text)  # the title
    y = 28 * unit
    while y < height - 22 * unit:
        draw.rectangle([0, y, width, y + 15 * unit], fill=cell)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.rounded_rectangle([5 * unit, y + 3 * unit, 14 * unit, y + 12 * unit], radius=2 * unit, fill=colour)
        words = " ".join(rng.choice(["Wi-Fi", "Bluetooth", "Battery", "Privacy", "Alex", "Meeting", "tomorrow",
                                     "Photos", "at", "noon", "Display", "Sounds", "ok", "see", "you"], 3))
        draw.text((18 * unit, y + 3 * unit), words, font=big, fill=text)
        draw.text((18 * unit, y + 8.5 * unit), words.lower() + " and more", font=small, fill=grey)
        if rng.random() < 0.5:  # a switch, on
            draw.rounded_rectangle([80 * unit, y + 4 * unit, 93 * unit, y + 11 * unit], radius=3.5 * unit,
                                   fill=(52, 199, 89))
            draw.ellipse([86.5 * unit, y + 4.5 * unit, 92.5 * unit, y + 10.5 * unit], fill=(255, 255, 255))
        else:  # a button
            draw.rounded_rectangle([74 * unit, y + 4 * unit, 94 * unit, y + 11 * unit], radius=2 * unit,
                                   fill=(0, 122, 255))
            draw.text((78 * unit, y + 5 * unit), "Open", font=small, fill=(255, 255, 255))
        draw.line([18 * unit, y + 15 * unit, width, y + 15 * unit], fill=line, width=2)
        y += 15 * unit
    draw.rectangle([0, height - 18 * unit, width, height], fill=cell)  # the tab bar
    draw.line([0, height - 18 * unit, width, height - 18 * unit], fill=line, width=2)
    for tab in range(4):
        x = (12.5 + 25 * tab) * unit
        draw.ellipse([x - 3 * unit, height - 15 * unit, x + 3 * unit, height - 9 * unit],
                     fill=(0, 122, 255) if tab == 0 else grey)
    return image


def map_screen(size: tuple[int, int], dark: bool = False, seed: int = 0) -> Image.Image:
    """A phone's maps app as a screenshot keeps it: blocks between streets, a park, a river, a route with
    a pin, street names, a status bar, a search field over the map and a sheet with the route's time."""
    from PIL import ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    width, height = size
    unit = width / 100
    ground, street, park, water, text, sheet = (
        ((36, 38, 46), (62, 66, 80), (38, 58, 48), (23, 38, 58), (170, 174, 186), (32, 33, 36)) if dark else
        ((242, 239, 233), (255, 255, 255), (200, 230, 190), (170, 210, 240), (90, 90, 90), (255, 255, 255)))
    image = Image.new("RGB", size, ground)
    draw = ImageDraw.Draw(image)
    font, big = ImageFont.load_default(size=round(3.2 * unit)), ImageFont.load_default(size=round(6 * unit))
    for colour in (park, water, park):
        x, y = rng.integers(0, width), rng.integers(0, height)
        draw.rectangle([x, y, x + rng.integers(15, 45) * unit, y + rng.integers(15, 50) * unit], fill=colour)
    for x in np.arange(rng.integers(5, 15), 100, rng.integers(14, 20)) * unit:  # streets
        draw.line([x, 0, x + rng.integers(-5, 5) * unit, height], fill=street, width=int(rng.integers(1, 3) * unit))
    for y in np.arange(rng.integers(5, 15), 100 * height / width, rng.integers(16, 24)) * unit:
        draw.line([0, y, width, y + rng.integers(-5, 5) * unit], fill=street, width=int(rng.integers(1, 3) * unit))
    route = [(int(rng.integers(10, 90) * unit), int(height * (0.25 + 0.08 * k))) for k in range(6)]
    draw.line(route, fill=(66, 133, 244), width=int(2 * unit))
    x, y = route[-1]
    draw.ellipse([x - 4 * unit, y - 9 * unit, x + 4 * unit, y - unit], fill=(234, 67, 53))
    draw.polygon([(x - 3 * unit, y - 4 * unit), (x + 3 * unit, y - 4 * unit), (x, y + unit)], fill=(234, 67, 53))
    for _ in range(12):
        draw.text((int(rng.integers(0, 80) * unit), int(rng.integers(0, height))),
                  str(rng.choice(["Main St", "Park Ave", "Elm Rd", "Cafe", "Station", "Market", "Bridge St"])),
                  font=font, fill=text)
    for bar in range(4):  # the status bar
        draw.rectangle([72 * unit + bar * 2.2 * unit, (7 - bar) * unit, 73.5 * unit + bar * 2.2 * unit, 8 * unit],
                       fill=(255, 255, 255) if dark else (0, 0, 0))
    draw.text((7 * unit, 3 * unit), "9:41", font=big, fill=(255, 255, 255) if dark else (0, 0, 0))
    draw.rounded_rectangle([4 * unit, 12 * unit, 96 * unit, 24 * unit], radius=6 * unit, fill=sheet)
    draw.text((12 * unit, 15 * unit), "Search here", font=big, fill=text)
    draw.rounded_rectangle([0, height - 45 * unit, width, height + 10 * unit], radius=5 * unit, fill=sheet)
    draw.text((6 * unit, height - 40 * unit), f"{rng.integers(3, 40)} min ({rng.integers(1, 20)} km)",
              font=ImageFont.load_default(size=round(7 * unit)), fill=(24, 128, 56))
    draw.text((6 * unit, height - 30 * unit), "Fastest route now due to traffic", font=font, fill=text)
    draw.rounded_rectangle([6 * unit, height - 20 * unit, 45 * unit, height - 10 * unit], radius=5 * unit,
                           fill=(26, 115, 232))
    draw.text((14 * unit, height - 18 * unit), "Start", font=big, fill=(255, 255, 255))
    return image


def editor_screen(size: tuple[int, int] = (1920, 1080), seed: int = 0) -> Image.Image:
    """A code editor in a dark theme, as a desktop screenshot keeps it: a side bar, line numbers and
    coloured code on a near-black page."""
    from PIL import ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    width, height = size
    image = Image.new("RGB", size, (30, 30, 30))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=18)
    draw.rectangle([0, 0, 260, height], fill=(37, 37, 38))
    for row in range(30):
        draw.text((24, 50 + row * 30), f"module_{row}.py", font=font, fill=(204, 204, 204))
    colours = [(86, 156, 214), (206, 145, 120), (220, 220, 170), (106, 153, 85), (212, 212, 212)]
    for row in range((height - 60) // 26):
        draw.text((280, 40 + row * 26), f"{row + 1:4d}", font=font, fill=(133, 133, 133))
        x = 340 + 40 * int(rng.integers(0, 4))
        for _ in range(int(rng.integers(1, 6))):
            word = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz_()=:"), int(rng.integers(3, 12))))
            draw.text((x, 40 + row * 26), word, font=font, fill=colours[int(rng.integers(0, 5))])
            x += 12 * len(word) + 12
    return image


def camera_jpeg(path, image: Image.Image, number: int) -> None:
    from .photo_corpus import make_exif

    exif = make_exif(make="Apple", model="iPhone 13", taken=f"2024:05:17 10:{number:02d}:00")
    image.save(path, "JPEG", quality=92, exif=exif)


@pytest.fixture(scope="module")
def camera_roll(tmp_path_factory):
    """A phone's camera roll and downloads, run and reviewed for dark and overexposed: camera photos (JPEG
    with EXIF), an overexposed one, overexposed photos saved as PNG (one with its camera's EXIF, one named
    by its camera), and screenshots as phones and desktops name and save them, light and dark."""
    from imgorg import ClusterConfig, MapConfig, RunConfig, run
    from imgorg.config import ReviewConfig
    from imgorg.tasks.review import review_collection

    from .photo_corpus import SOURCE_FILES, make_exif, source_photo

    folder = tmp_path_factory.mktemp("roll") / "roll"
    folder.mkdir()
    rng = np.random.default_rng(0)
    number = 0
    for name in SOURCE_FILES:  # two 4:3 crops of each photo, at a phone photo's shape
        photo = source_photo(name).convert("RGB")
        for _ in range(2):
            w, h = photo.size
            cw = int(min(w, h * 4 / 3) * rng.uniform(0.7, 1.0))
            x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - round(cw * 3 / 4) + 1))
            number += 1
            camera_jpeg(folder / f"IMG_{number:04d}.JPG", photo.crop((x, y, x + cw, y + round(cw * 3 / 4)))
                        .resize((1200, 900), Image.Resampling.LANCZOS), number)
    bright = exposure(source_photo("coffee").convert("RGB"), 2.5)
    camera_jpeg(folder / "IMG_0100.JPG", bright.resize((1200, 800)), 40)  # overexposed: 2.5 stops over
    wide = bright.crop((0, 60, 600, 398)).resize((1280, 720))  # 16:9, the shape of a screen
    wide.save(folder / "IMG_0101.png", exif=make_exif(make="Canon", model="EOS R6"))  # exported with its EXIF
    wide.save(folder / "DSC_0102.png")  # its EXIF dropped, its camera's name kept
    shots = {"Screenshot_20240517-101112.png": map_screen((1080, 2400), seed=1),  # Android
             "IMG_4101.PNG": map_screen((1170, 2532), seed=2),  # an iPhone's, named as its photos are
             "IMG_4102.PNG": app_screen((1170, 2532), seed=3),
             "Screenshot_20240517-101530_Chrome.jpg": app_screen((1080, 2340), seed=4),  # a Samsung's JPEG
             "IMG_4103.PNG": map_screen((1170, 2532), dark=True, seed=5),  # dark mode
             "IMG_4104.PNG": app_screen((1170, 2532), dark=True, seed=6),
             "Screenshot 2024-05-17 at 22.41.05.png": editor_screen()}  # a Mac's, a dark theme
    for name, image in shots.items():
        image.save(folder / name, **({"quality": 90} if name.endswith(".jpg") else {}))
    config = RunConfig(cluster=ClusterConfig(method="kmeans", k=2), map=MapConfig(method="none"))
    ws = run(folder, tmp_path_factory.mktemp("roll-ws") / "ws", config).workspace
    table = review_collection(ws, ReviewConfig(kinds=("dark", "overexposed"))).table
    return {kind: set(table.loc[table["kind"] == kind, "path"]) for kind in ("dark", "overexposed")}, list(shots)


def test_screenshots_are_not_overexposed_or_dark_but_an_overexposed_photo_still_is(camera_roll):
    """A first walk through a phone's camera roll found its white app screenshots flagged "74% of the
    pixels are blown out": the ImageNet tags called them neither pages nor screens. Their files do."""
    flagged, shots = camera_roll
    assert not (flagged["overexposed"] | flagged["dark"]) & set(shots), flagged
    assert {"IMG_0100.JPG", "IMG_0101.png", "DSC_0102.png"} <= flagged["overexposed"]  # photos, as JPEG or PNG


def test_a_screenshot_is_known_by_its_name_or_as_a_lossless_screen_without_a_camera():
    from imgorg.review.quality import screenshots

    rows = [  # path, format, width, height, camera make: is it a screenshot
        ("Screenshot_20240517-101112.png", "PNG", 1080, 2400, None, True),  # Android
        ("Screenshot_20240517-101112_Chrome.jpg", "JPEG", 1080, 2340, None, True),  # Samsung: JPEG
        ("Screenshot 2024-05-17 at 10.11.12.png", "PNG", 1432, 987, None, True),  # a Mac's, of part of a screen
        ("old/Screen Shot 2019-05-17 at 10.11.12.png", "PNG", 2880, 1800, None, True),
        ("Bildschirmfoto 2024-05-17 um 10.11.12.png", "PNG", 800, 600, None, True),
        ("Capture d\u2019e\u0301cran 2024-05-17 a\u0300 10.11.12.png", "PNG", 800, 600, None, True),  # macOS: NFD
        ("IMG_4101.PNG", "PNG", 1170, 2532, None, True),  # an iPhone's: a phone's screen, no camera
        ("Downloads/export.png", "PNG", 1920, 1080, None, True),  # a monitor's
        ("IMG_4101.PNG", "PNG", 1170, 2532, "Apple", False),  # a camera wrote its EXIF: a photo
        ("DSC_0042.png", "PNG", 1920, 1080, None, False),  # a camera's name
        ("PXL_20240517_101112123.png", "PNG", 1080, 1920, None, False),
        ("IMG_4101.JPG", "JPEG", 1170, 2532, None, False),  # lossy, named as photos are
        ("astronaut.png", "PNG", 512, 512, None, False),  # a photo's shape
        ("IMG_0001.png", "PNG", 6000, 4000, None, False),
        ("cifar/cat/0001.png", "PNG", 32, 32, None, False),
        ("strip.png", "PNG", 400, 3000, None, False),  # taller than any screen
        ("small.png", "PNG", 320, 640, None, False),  # smaller than any screen of its shape
        ("broken.png", None, None, None, None, False),
    ]
    images = pd.DataFrame(rows, columns=["path", "format", "width", "height", "camera_make", "screen"])
    images = images.astype({"width": "Int64", "height": "Int64", "camera_make": "string"})
    assert screenshots(images).tolist() == images["screen"].tolist()
    assert screenshots(images[["path"]]).tolist() == [True] * 6 + [False] * 12  # the name alone, where that is all
    assert screenshots(images.iloc[:0]).tolist() == []


def product_shot(colour: tuple[int, int, int], size: int = 600, seed: int = 0) -> Image.Image:
    """A shaded mug-like cylinder on a pure white seamless (the white an online shop asks for), with its drop
    shadow and a little sensor noise: most of the frame blown white on purpose."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    frame = np.ones((size, size, 3), np.float32)
    shadow = np.clip(1 - ((x - 0.52) / 0.3) ** 2 - ((y - 0.78) / 0.04) ** 2, 0, 1) * 0.3
    frame *= 1 - shadow[..., None]
    body = (np.abs(x - 0.5) < 0.2) & (y > 0.3) & (y < 0.76)
    across = np.clip((x - 0.5) / 0.2, -1, 1)
    shade = 0.3 + 0.7 * np.sqrt(1 - across**2) + 0.4 * np.exp(-((across + 0.45) / 0.08) ** 2)
    frame[body] = (np.array(colour, np.float32) / 255 * shade[..., None])[body]
    noisy = frame * 255 + np.random.default_rng(seed).normal(0, 1.5, frame.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def test_a_product_shot_on_a_white_backdrop_is_not_overexposed_but_an_overexposed_one_is():
    """The white seamless is blown on purpose: a product shot is judged by its subject, among photos and
    in a catalogue of product shots; a cutout read over white is one too. Overexposing the product itself
    still flags it, and so does a photo blown all over, which has no backdrop."""
    colours = [(190, 30, 30), (30, 70, 160), (30, 30, 32), (110, 150, 110), (200, 170, 60), (90, 40, 120)]
    products = [product_shot(colour, seed=i) for i, colour in enumerate(colours * 2)]
    scores = scores_of(products)
    assert (scores["clipped"] > 0.6).all() and (scores["backdrop"] > 0.6).all()
    assert flagged(products, "overexposed") == set()
    assert flagged(crops(12) + products, "overexposed") == set()
    blown = exposure(product_shot((110, 150, 110)), 2)  # the product itself two stops over
    burnt = exposure(photos()[0], 3)  # a portrait overexposed all over: no backdrop around a subject
    assert image_scores(np.asarray(burnt))["backdrop"] == 0
    assert flagged(products + [blown, burnt], "overexposed") == {len(products), len(products) + 1}
    framed = np.full((600, 600, 3), 255, np.uint8)  # a dark-rimmed product whose face inside is blown
    framed[150:450, 180:420] = 40
    framed[160:440, 190:410] = 255
    flags = quality_flags(scores_of(products + [Image.fromarray(framed)]))
    assert flags.loc[flags["kind"] == "overexposed", "id"].tolist() == [len(products)]
    assert "subject's pixels are blown out" in flags.loc[flags["kind"] == "overexposed", "reason"].iat[0]
