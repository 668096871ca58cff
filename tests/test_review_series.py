"""Copies kept apart from similar shots (imgorg.review.series), on real photos from tests/series_corpus.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imgorg.review.series import checked_copy_groups, classify_pairs, series_table

from .series_corpus import build_series_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("series")
    build_series_corpus(root, photos=("chelsea",))
    return root


def _images(names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"id": np.arange(len(names)), "path": [f"chelsea/{n}.jpg" for n in names]})


def test_a_burst_shot_is_similar_not_a_copy(corpus):
    images = _images(["shot", "reframed", "viewpoint", "motion"])
    found = classify_pairs(images, corpus, np.array([[0, 1], [0, 2], [0, 3]]))
    assert found["kind"].tolist() == ["similar", "similar", "similar"], found


def test_resized_and_reencoded_copies_stay_copies(corpus):
    images = _images(["shot", "resized", "jpeg", "crop"])
    found = classify_pairs(images, corpus, np.array([[0, 1], [0, 2], [0, 3]]))
    assert found["kind"].tolist() == ["copy", "copy", "copy"], found


def test_a_pair_below_the_similar_score_is_neither(corpus):
    images = _images(["shot", "reframed"])
    found = classify_pairs(images, corpus, np.array([[0, 1]]), np.array([0.3]))
    assert found["kind"].tolist() == [""]


def test_a_series_gets_one_best_shot_the_sharp_one_with_a_reason(corpus):
    images = _images(["blurred", "shot", "reframed"])
    table = series_table(images, None, corpus)
    series = table[table["kind"] == "similar"]
    assert series["group"].nunique() == 1 and len(series) >= 2, table
    best = series[series["best"]]
    assert len(best) == 1 and best["path"].iloc[0] != "chelsea/blurred.jpg", table
    assert "sharpest" in best["reason"].iloc[0]


def test_the_same_answer_every_time(corpus):
    images = _images(["shot", "reframed", "jpeg"])
    pairs = np.array([[0, 1], [0, 2], [1, 2]])
    first, second = classify_pairs(images, corpus, pairs), classify_pairs(images, corpus, pairs)
    pd.testing.assert_frame_equal(first, second)


def _groups(images: pd.DataFrame, kinds=None) -> pd.DataFrame:
    """One copy group of every image, the first kept (as the copy search reports it)."""
    n = len(images)
    return pd.DataFrame({"group": 0, "id": images["id"], "path": images["path"],
                         "kind": kinds or ["near"] * n, "similarity": 0.9, "keep": np.arange(n) == 0})


def test_the_copy_check_splits_burst_shots_from_copies_whichever_was_kept(corpus):
    # the kept image is a re-framed shot: the copies of the first shot must stay together all the same
    images = _images(["reframed", "shot", "jpeg", "resized", "motion"])
    groups, series = checked_copy_groups(images, corpus, _groups(images))
    copies = groups.groupby("group")["path"].apply(set).tolist()
    assert copies == [{"chelsea/shot.jpg", "chelsea/jpeg.jpg", "chelsea/resized.jpg"}], groups
    assert groups.groupby("group")["keep"].sum().tolist() == [1]
    shots = series[series["kind"] == "similar"]
    assert {"chelsea/reframed.jpg", "chelsea/motion.jpg"} <= set(shots["path"]), series
    assert shots["best"].sum() == 1


def test_the_similar_shots_of_a_copy_group_that_fell_apart_carry_their_copy_scores(corpus):
    # the app shows each shot's score (JSON has no NaN): a pair never aligned with each other gets the
    # lower of its two copy scores with the group's kept image, never a made-up 1.0
    images = _images(["jpeg", "shot", "reframed", "motion", "viewpoint"])
    groups = _groups(images).assign(similarity=[1.0, 0.97, 0.91, 0.88, 0.86])
    _, series = checked_copy_groups(images, corpus, groups)
    shots = series[(series["kind"] == "similar") & ~series["best"]]
    assert len(shots) >= 2, series
    assert shots["similarity"].notna().all() and shots["similarity"].between(0.86, 0.97).all(), series


def test_the_copy_check_leaves_tiny_images_identical_files_and_crops_as_copies(corpus):
    images = _images(["shot", "reframed", "motion"]).assign(width=[32, 32, 600], height=[32, 32, 400],
                                                            sha256=["a", "b", "c"])
    groups, series = checked_copy_groups(images, corpus, _groups(images))
    assert len(groups) == 3 and not (series["kind"] == "similar").any()  # tiny pairs are not aligned
    images = _images(["shot", "reframed"]).assign(sha256=["a", "a"])
    groups, _ = checked_copy_groups(images, corpus, _groups(images))
    assert len(groups) == 2  # the same file
    images = _images(["shot", "reframed"])
    groups, _ = checked_copy_groups(images, corpus, _groups(images, ["near", "crop"]))
    assert len(groups) == 2  # a crop the keypoints confirmed


def test_the_pixels_kept_from_the_first_read_are_those_the_checks_would_decode(tmp_path):
    # the review keeps each image's working pixels from its thumbnails pass: a 12-MP JPEG (decoded
    # once at 1/8 for thumbnails and quality alike), the same turned by EXIF, and a small PNG
    from imgorg.duplicates import image_thumbnails
    from imgorg.duplicates import keypoints as kp
    from imgorg.images import decode_image
    from imgorg.review.quality import shared_decode
    from imgorg.review.kept import measure_keeping
    from imgorg.review.series import _load

    from .photo_corpus import encode, make_exif, source_photo

    big = source_photo("chelsea", big=True)
    (tmp_path / "big.jpg").write_bytes(encode(big, "JPEG", quality=90))
    (tmp_path / "turned.jpg").write_bytes(encode(big, "JPEG", make_exif(orientation=6), quality=90))
    big.resize((300, 225)).save(tmp_path / "small.png")
    paths = ["big.jpg", "turned.jpg", "small.png"]
    measured = image_thumbnails(tmp_path, paths, measure=measure_keeping, decode=shared_decode, workers=1).measured
    for path, (_, kept, _) in zip(paths, measured):
        np.testing.assert_array_equal(kept.astype(np.float32) / 255, _load(tmp_path, path), err_msg=path)
    assert measured[1][1].shape[0] > measured[1][1].shape[1]  # turned: portrait
    # the 12-MP photos also keep their grey pixels, those the crop check would decode for its keypoints
    images = pd.DataFrame({"width": [4000, 3000, 300], "height": [3000, 4000, 225]})
    drafts, native = kp._decode_plans(images)
    assert native.tolist() == [True, True, False] and measured[2][2] is None
    for row in (0, 1):
        decoded = decode_image((tmp_path / paths[row]).read_bytes(), draft_size=int(drafts[row]))
        np.testing.assert_array_equal(measured[row][2], np.asarray(decoded.convert("L")))


def test_the_pixels_kept_on_disk_are_those_kept_in_memory_and_a_tiny_image_keeps_none(tmp_path):
    from imgorg.fileio import array_or_npy
    from imgorg.review.kept import kept_bytes, measure_keeping, spill_keeping

    from .photo_corpus import encode, source_photo

    big = encode(source_photo("chelsea", big=True), "JPEG", quality=90)
    tiny = encode(source_photo("chelsea").resize((32, 24)), "PNG")
    folder = tmp_path / "kept"
    folder.mkdir()
    scores, pixels, gray = spill_keeping(str(folder), big)
    expected = measure_keeping(big)
    assert scores == expected[0]
    np.testing.assert_array_equal(array_or_npy(pixels), expected[1])
    np.testing.assert_array_equal(array_or_npy(gray), expected[2])
    assert spill_keeping(str(folder), tiny)[1:] == (None, None) and len(list(folder.iterdir())) == 2
    written = sum(p.stat().st_size for p in folder.iterdir())
    assert written <= kept_bytes(np.array([[4000, 3000]])) <= 1.05 * written  # the room asked of the disk
    assert kept_bytes(np.array([[32, 24]])) < 1000


def test_a_cache_that_cannot_be_written_keeps_nothing_and_loses_no_score(tmp_path):
    from imgorg.review.kept import kept_pixels_folder, measure_keeping, spill_keeping

    from .photo_corpus import encode, source_photo

    (tmp_path / "cache").write_text("a file where the cache folder would be")
    with kept_pixels_folder(tmp_path / "cache", np.array([[4000, 3000]])) as folder:
        assert folder is None  # the checks decode again
    data = encode(source_photo("chelsea").resize((400, 300)), "JPEG", quality=90)
    scores, pixels, gray = spill_keeping(str(tmp_path / "gone"), data)  # a folder that vanished (or a full disk)
    assert (pixels, gray) == (None, None) and scores == measure_keeping(data)[0]


def test_a_mirrored_shifted_copy_aligns_from_the_coarse_starts_and_a_moved_subject_does_not():
    """A copy that does not line up from the first start (mirrored, a 6% margin cut off, brighter) is
    found by comparing the starts at a quarter of the size and refining the best; a second shot whose
    subject moved still misfits."""
    from PIL import Image, ImageEnhance

    from imgorg.review import series

    from .photo_corpus import source_photo

    photo = source_photo("chelsea")
    width, height = photo.size
    copy = ImageEnhance.Brightness(photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
                                   .crop((0, 0, int(width * 0.94), int(height * 0.94)))).enhance(1.15)
    a, b = (series.working_pixels(image, series.WORK_SIDE) for image in (photo, copy))
    first = series._fit(series._gray(a), series._gray(b), series._start(series._ratio(a, b), a.shape[:2], b.shape[:2]))
    assert first is None or first[0] < series.GOOD_FIT  # no plain copy: the coarse starts are needed
    found = series.align_pair(*series._same_side(a, b))
    assert found.mirrored and series.pair_kind(found, tiny=False) == "copy"
    moved = np.asarray(photo).copy()
    moved[:, 40:200] = np.roll(moved[:, 40:200], 25, axis=0)  # the cat's part of the frame shifted down
    found = series.align_pair(a, series.working_pixels(Image.fromarray(moved), series.WORK_SIDE))
    assert series.pair_kind(found, tiny=False) != "copy"


def test_the_embed_stages_first_read_is_the_reviews_and_one_cut_short_is_read_again(tmp_path):
    # the embed stage makes the review's first read of a large JPEG (quality scores, thumbnails, kept
    # pixels) and the review takes it by sha256 without reading the file; a file a killed run left half
    # written, or none, and the review reads the photo itself: the same either way
    import functools
    import hashlib

    from imgorg.duplicates import image_thumbnails
    from imgorg.fileio import array_or_npy
    from imgorg.review.kept import keep_first_read, spill_keeping, stored_first_read
    from imgorg.review.quality import shared_decode

    from .photo_corpus import encode, source_photo

    photos, kept, own = tmp_path / "photos", tmp_path / "first-read", tmp_path / "own"
    photos.mkdir(), own.mkdir()
    data = encode(source_photo("chelsea", big=True), "JPEG", quality=90)
    (photos / "chelsea.jpg").write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    assert keep_first_read(str(kept), (224, 3), data, sha) is not None
    assert sorted(p.name for p in kept.iterdir()) == [f"{sha}.g.npy", f"{sha}.npz", f"{sha}.w.npy"]
    read = functools.partial(image_thumbnails, photos, workers=1, decode=shared_decode,
                             measure=functools.partial(spill_keeping, str(own)))
    itself = read(["chelsea.jpg"])
    stored = functools.partial(stored_first_read, str(kept))
    taken = read(["not-read.jpg"], stored=stored, keys=[sha])  # not read: no such file
    for part in ("search", "views", "framed"):
        np.testing.assert_array_equal(getattr(taken, part), getattr(itself, part))
    (scores, *pixels), (scores_itself, *pixels_itself) = taken.measured[0], itself.measured[0]
    assert scores == scores_itself and pixels[0].startswith(str(kept))
    for path, path_itself in zip(pixels, pixels_itself):
        np.testing.assert_array_equal(array_or_npy(path), array_or_npy(path_itself))
    whole = kept / f"{sha}.npz"
    whole.write_bytes(whole.read_bytes()[:1000])  # cut short
    assert stored_first_read(str(kept), sha) is None
    np.testing.assert_array_equal(read(["chelsea.jpg"], stored=stored, keys=[sha]).views, itself.views)
    whole.unlink()
    assert stored_first_read(str(kept), sha) is None
    assert not read(["not-read.jpg"], stored=stored, keys=[sha]).search.any()  # neither kept nor there


def test_another_picture_the_copy_search_grouped_is_in_no_series(tmp_path):
    # two different photos that a copy search grouped (look-alike layouts) align badly: neither a copy
    # nor a similar shot, so no series with a "best shot" is made of them
    build_series_corpus(tmp_path, photos=("chelsea", "coffee"))
    images = pd.DataFrame({"id": [0, 1, 2], "path": ["chelsea/shot.jpg", "coffee/shot.jpg", "chelsea/reframed.jpg"]})
    groups = pd.DataFrame({"group": 0, "id": images["id"], "path": images["path"], "kind": "near",
                           "similarity": [1.0, 0.85, 0.9], "keep": [True, False, False]})
    _, series = checked_copy_groups(images, tmp_path, groups)
    shots = series[series["kind"] == "similar"]
    assert set(shots["path"]) == {"chelsea/shot.jpg", "chelsea/reframed.jpg"}, series


def test_burst_frames_re_framed_by_a_few_pixels_are_a_series_not_gone(tmp_path):
    """Frames of one scene a few pixels and 1% of zoom apart, as a phone's burst saves them (one size):
    the copy check aligned them as copies, the fine-detail check then dropped them as unlike, and the
    whole burst vanished from the review. They are similar shots, the sharpest the best."""
    from PIL import Image, ImageFilter

    from imgorg import ClusterConfig, MapConfig, RunConfig, run
    from imgorg.config import ReviewConfig

    from .crop_corpus import source_image

    folder = tmp_path / "burst"
    folder.mkdir()
    base = source_image("astronaut").convert("RGB")
    for i in range(4):
        z = 1 + 0.01 * i
        w, h = int(base.width * 0.9 / z), int(base.height * 0.9 / z)
        frame = base.crop((6 * i + 10, 3 * i + 10, 6 * i + 10 + w, 3 * i + 10 + h)).resize((900, 600), Image.LANCZOS)
        if i != 2:
            frame = frame.filter(ImageFilter.GaussianBlur(1.2 + 0.4 * abs(i - 2)))
        frame.save(folder / f"IMG_{i}.JPG", quality=90)
    for name in ("coffee", "rocket", "chelsea", "hubble", "brick"):
        source_image(name).convert("RGB").resize((900, 600)).save(folder / f"{name}.JPG", quality=90)
    config = RunConfig(cluster=ClusterConfig(method="kmeans", k=2), map=MapConfig(method="none"))
    ran = run(folder, tmp_path / "ws", config, review=ReviewConfig())
    from imgorg.tasks.review import review_collection

    every = review_collection(ran.workspace, ReviewConfig(kinds=("copy", "similar"))).table  # every pair aligned
    for table in (ran.review.table, every):
        burst = table[table["path"].str.startswith("IMG_") & table["kind"].isin(["copy", "similar"])]
        assert sorted(burst["path"]) == [f"IMG_{i}.JPG" for i in range(4)], table[["path", "kind", "reason"]]
        assert set(burst["kind"]) == {"similar"}
        assert burst.loc[burst["action"] == "keep", "path"].tolist() == ["IMG_2.JPG"]  # the sharp frame


def test_copies_that_every_pair_aligned_keep_as_the_copy_search_keeps():
    """With `similar`, the series' copy groups kept their "best shot" ("the first found") over a camera's
    own HEIC, with no score (nan)."""
    from imgorg.review.copies import copy_groups, copy_findings

    images = pd.DataFrame({"id": [0, 1], "path": ["a.jpg", "a.heic"], "format": ["JPEG", "HEIF"],
                           "sha256": ["x", "y"], "bytes": [900, 500], "width": [800, 800], "height": [600, 600]})
    series = pd.DataFrame({"group": [0, 0], "id": [0, 1], "path": ["a.jpg", "a.heic"], "kind": ["copy", "copy"],
                           "similarity": [1.0, float("nan")], "best": [True, False], "reason": ["", ""]})
    vectors = np.array([[1.0, 0.0], [0.96, 0.28]], np.float32)
    groups = copy_groups(series, images, vectors)
    assert groups.loc[groups["keep"], "path"].tolist() == ["a.heic"]
    assert groups["similarity"].notna().all()
    assert "the camera's own HEIF file" in copy_findings(groups, images)["reason"].iat[1]


def test_an_export_turned_in_its_pixels_stays_a_copy_of_its_photo(tmp_path):
    # the copy search's keypoints matched a photo and its export turned a quarter (4000x6000 beside 6000x4000),
    # the copy check's alignment of the pictures as they are failed, and the export had no finding at all
    from PIL import Image

    from .photo_corpus import source_photo

    photo = source_photo("chelsea").convert("RGB").resize((900, 600))
    photo.save(tmp_path / "cat.jpg", quality=92)
    photo.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "cat-rotated.jpg", quality=85)
    source_photo("coffee").convert("RGB").resize((600, 900)).save(tmp_path / "coffee.jpg", quality=90)
    images = pd.DataFrame({"id": [0, 1, 2], "path": ["cat.jpg", "cat-rotated.jpg", "coffee.jpg"],
                           "width": [900, 600, 600], "height": [600, 900, 900]})
    groups = pd.DataFrame({"group": 0, "id": [0, 1, 2], "path": images["path"], "kind": "near",
                           "similarity": [1.0, 0.45, 0.83], "keep": [True, False, False]})
    checked, series = checked_copy_groups(images, tmp_path, groups)
    assert checked["id"].tolist() == [0, 1] and series.empty  # the turned export a copy, the other picture none


def test_frames_taken_in_the_same_second_keep_the_first_found_and_say_so(tmp_path):
    """Two frames of one burst, as sharp, exposed and large, whose cameras' DateTimeOriginal is the same
    second: the best shot was said to be "earliest taken". Equal capture times tie; the first found is
    kept and said; a second earlier keeps the earlier frame, said "earliest taken"."""
    from .photo_corpus import encode, make_exif, source_photo

    base = source_photo("astronaut").convert("RGB")
    w, h = int(base.width * 0.85), int(base.height * 0.85)
    times = {"IMG_0001.JPG": "2024:05:01 10:30:00", "IMG_0002.JPG": "2024:05:01 10:30:00",
             "IMG_0003.JPG": "2024:05:01 10:29:59"}  # the second frame again, a second earlier
    for (name, taken), dx in zip(times.items(), (0, base.width // 16, base.width // 16)):
        exif = make_exif(make="Canon", model="Canon EOS 80D", taken=taken)
        (tmp_path / name).write_bytes(encode(base.crop((dx, 10, dx + w, 10 + h)), "JPEG", exif, quality=92))

    def best(names: list[str]) -> pd.Series:
        images = pd.DataFrame({"id": np.arange(len(names)), "path": names,
                               "taken_at": pd.to_datetime([times[n] for n in names], format="%Y:%m:%d %H:%M:%S")})
        table = series_table(images, None, tmp_path)
        shots = table[table["kind"] == "similar"]
        assert len(shots) == 2, table
        return shots[shots["best"]].iloc[0]

    for names in (["IMG_0001.JPG", "IMG_0002.JPG"], ["IMG_0002.JPG", "IMG_0001.JPG"]):
        kept = best(names)
        assert kept["path"] == names[0], kept  # the first found, whichever it is
        assert "earliest" not in kept["reason"] and kept["reason"].endswith("the first found"), kept["reason"]
    kept = best(["IMG_0001.JPG", "IMG_0003.JPG"])
    assert kept["path"] == "IMG_0003.JPG" and kept["reason"].endswith("earliest taken"), kept
