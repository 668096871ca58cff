"""How near-duplicate pairs become groups, and the aligned thumbnail signal (imgorg.duplicates)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from imgorg.duplicates import FAST_THRESHOLD, duplicate_groups, image_thumbnails, pair_scores, thumbnail_pairs
from imgorg.duplicates.scoring import aligned_correlation

from .corpus import HELDOUT_TRANSFORMS, MIRRORED_TRANSFORMS, TRANSFORMS


def test_a_chain_of_look_alikes_does_not_become_one_group():
    """0-1-2-3-4-5 each like the next (ships on a sea): stars, not one component of six.
    Every member of a group is paired with one member that all the others are paired with too."""
    chain = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]])
    groups = duplicate_groups(6, np.array(list("abcdef")), chain)
    paired = {tuple(p) for p in chain.tolist()} | {tuple(p[::-1]) for p in chain.tolist()}
    assert len(set(groups[groups >= 0])) >= 2
    for group in set(groups[groups >= 0]):
        members = np.flatnonzero(groups == group).tolist()
        assert any(all(m == c or (m, c) in paired for m in members) for c in members), members


def test_a_star_takes_the_image_with_most_copies_and_equal_files_stay_together():
    # 0 is like 1, 2 and 3; 3 is also like 4. Rows 5 and 6 are the same file as 4 and 0.
    pairs = np.array([[0, 1], [0, 2], [0, 3], [3, 4]])
    groups = duplicate_groups(7, np.array(["a", "b", "c", "d", "e", "e", "a"]), pairs)
    assert groups[0] == groups[1] == groups[2] == groups[3] == groups[6]
    assert groups[4] == groups[5] != groups[0]  # 4 is not a copy of 0: its identical file keeps it company
    assert (duplicate_groups(3, np.array(["x", "y", "z"]), np.empty((0, 2), np.int64)) == -1).all()


def test_cropped_retouched_and_mirrored_copies_line_up_and_other_images_do_not(cifar_small, tmp_path):
    """Each copy's aligned thumbnail correlation with its original beats that of any other image."""
    originals = sorted(cifar_small.glob("*/*.jpg"))[::30][:10]  # one image of each class
    paths = []
    for i, original in enumerate(originals):
        image = Image.open(original).convert("RGB")
        image.save(tmp_path / f"{i}.png")
        paths.append(f"{i}.png")
        for name, transform in {**TRANSFORMS, **HELDOUT_TRANSFORMS, **MIRRORED_TRANSFORMS}.items():
            transform(image).save(tmp_path / f"{i}_{name}.png")
            paths.append(f"{i}_{name}.png")
    thumbnails = image_thumbnails(tmp_path, paths)
    origin = np.array([int(p.split("_")[0].split(".")[0]) for p in paths])
    originals_rows = np.flatnonzero([("_" not in p) for p in paths])
    gains = []
    for row in np.flatnonzero([("_" in p) for p in paths]):
        pairs = np.stack([np.full(len(originals_rows), row), originals_rows], axis=1)
        layout = np.maximum(aligned_correlation(pairs, thumbnails.views),
                            aligned_correlation(pairs, thumbnails.views, mirror=True))
        assert origin[originals_rows[layout.argmax()]] == origin[row], paths[row]
        if "mirror" in paths[row]:
            unmirrored = aligned_correlation(pairs, thumbnails.views)
            gains.append(layout.max() - unmirrored[origin[originals_rows] == origin[row]].max())
    assert np.median(gains) > 0.1, gains  # the mirrored alignments find them (a symmetric car gains little)
    # A shrunk, blurred or re-encoded copy's thumbnail neighbours are its own family.
    near = thumbnail_pairs(thumbnails, k=3)
    for name in ("small", "blur", "jpeg20"):
        row = paths.index(f"4_{name}.png")
        family = {int(origin[j]) for i, j in near.tolist() if i == row} | {int(origin[i]) for i, j in near.tolist() if j == row}
        assert family == {4}, (name, family)


def test_mirrored_thumbnail_queries_bring_a_flipped_copy_to_its_original(cifar_small, tmp_path):
    """--fast has no embedding to make them candidates: the mirrored search must."""
    originals = sorted(cifar_small.glob("*/*.jpg"))[::3][:40]
    paths = []
    for i, original in enumerate(originals):
        image = Image.open(original).convert("RGB")
        image.save(tmp_path / f"{i}.png")
        paths += [f"{i}.png"] + ([f"{i}_mirror.png"] if i < 10 else [])
        if i < 10:
            MIRRORED_TRANSFORMS["mirror"](image).save(tmp_path / f"{i}_mirror.png")
    thumbnails = image_thumbnails(tmp_path, paths)
    wanted = {(paths.index(f"{i}.png"), paths.index(f"{i}_mirror.png")) for i in range(10)}
    with_mirrors = {tuple(p) for p in thumbnail_pairs(thumbnails, k=2, mirrored=True).tolist()}
    without = {tuple(p) for p in thumbnail_pairs(thumbnails, k=2).tolist()}
    assert wanted <= with_mirrors
    assert len(wanted - without) >= 2  # some are not plain neighbours: without mirrored queries the first assert fails


def test_a_floor_skips_only_pairs_that_cannot_reach_it(cifar_small, tmp_path):
    """Scores at or above the floor are the full scores, with or without an embedding; the rest fall below it."""
    originals = sorted(cifar_small.glob("*/*.jpg"))[::40][:6]
    paths = []
    for i, original in enumerate(originals):
        image = Image.open(original).convert("RGB")
        for name, transform in {"": lambda x: x, **TRANSFORMS, **MIRRORED_TRANSFORMS}.items():
            transform(image).save(tmp_path / f"{i}_{name}.png")
            paths.append(f"{i}_{name}.png")
    thumbnails = image_thumbnails(tmp_path, paths)
    pairs = np.array([(i, j) for i in range(len(paths)) for j in range(i + 1, len(paths))])
    embeddings = np.random.default_rng(0).normal(size=(len(paths), 8)) + 3.0  # cosines around 0.9
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    for vectors in (embeddings, None):
        full = pair_scores(pairs, vectors, thumbnails)
        for floor in (0.5, 0.82, 0.88):
            floored = pair_scores(pairs, vectors, thumbnails, floor=floor)
            above = full >= floor
            assert 0 < above.sum() < len(pairs)
            assert np.allclose(floored[above], full[above]) and (floored[~above] < floor).all()


def test_thumbnails_read_in_processes_equal_those_read_in_one(cifar_small, tmp_path, monkeypatch):
    """Chunks come back in order, with unreadable files in place, whatever the worker count."""
    import imgorg.duplicates.thumbnails as duplicates

    paths = [str(p.relative_to(cifar_small)) for p in sorted(cifar_small.glob("*/*.jpg"))[:9]]
    (tmp_path / "junk.jpg").write_text("not an image")
    paths.insert(4, str(tmp_path / "junk.jpg"))  # absolute: source_path keeps it
    from PIL import ImageOps

    ImageOps.expand(Image.open(cifar_small / paths[7]).convert("RGB"), border=4, fill=(0, 0, 0)).save(
        tmp_path / "framed.png")
    paths[7] = str(tmp_path / "framed.png")  # a framed image in the third chunk: its row must stay its own
    monkeypatch.setattr(duplicates, "THUMBNAIL_CHUNK", 3)
    one = image_thumbnails(cifar_small, paths, workers=1)
    two = image_thumbnails(cifar_small, paths, workers=2)
    assert np.array_equal(one.search, two.search) and np.array_equal(one.views, two.views)
    assert np.flatnonzero(two.framed).tolist() == [7] and np.array_equal(one.framed_views, two.framed_views)
    assert not one.search[4].any() and one.search[[3, 5]].any(axis=1).all()


def test_no_images_no_groups():
    assert duplicate_groups(0, np.array([], dtype=object)).shape == (0,)


def test_a_real_file_is_kept_before_a_link_to_it(tmp_path):
    import pandas as pd

    from imgorg.duplicates import duplicates_frame

    (tmp_path / "x").mkdir()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(tmp_path / "x" / "photo.png")
    (tmp_path / "a_link.png").symlink_to(tmp_path / "x" / "photo.png")
    images = pd.DataFrame({"id": [0, 1], "path": ["a_link.png", "x/photo.png"], "bytes": [100, 100],
                           "sha256": ["s", "s"]})
    frame = duplicates_frame(images, np.eye(2, dtype=np.float32), duplicate_groups(2, images["sha256"].to_numpy()),
                             tmp_path)
    assert frame.loc[frame["keep"], "path"].tolist() == ["x/photo.png"]


def test_a_frame_is_trimmed_and_a_photo_keeps_its_uniform_sky(cifar_small):
    from PIL import ImageOps

    from imgorg.duplicates.thumbnails import _trim_frame

    photo = Image.open(sorted(cifar_small.glob("*/*.jpg"))[0]).convert("RGB")
    assert _trim_frame(photo) is photo
    for framed in (ImageOps.expand(photo, border=3, fill=(0, 0, 0)),
                   ImageOps.expand(photo, border=(0, 4, 0, 4), fill=(20, 20, 20)),  # letterbox bars
                   ImageOps.expand(photo, border=(2, 0, 5, 0), fill=(250, 250, 250))):  # uneven pillarbox
        assert _trim_frame(framed).size == photo.size
    sky = np.asarray(photo).copy()
    sky[:10] = (90, 140, 220)  # a uniform band at one edge only: part of the photo
    assert _trim_frame(Image.fromarray(sky)).size == photo.size
    sky[-6:] = (60, 120, 40)  # and a uniform field below: two edges, but not of one colour
    assert _trim_frame(Image.fromarray(sky)).size == photo.size
    large = ImageOps.expand(photo.resize((640, 640)), border=48, fill=(255, 255, 255))
    width, height = _trim_frame(large).size  # found on a 64 px probe: within one probe line
    assert 640 <= width <= 640 + 2 * 12 and 640 <= height <= 640 + 2 * 12


def test_framed_copies_are_found_and_photos_in_the_same_frame_are_not_copies(cifar_small, tmp_path):
    """Without trimming, a framed copy missed its original, and different photos sharing a
    frame (the frame dominating their thumbnails) were grouped as copies."""
    import hashlib

    import pandas as pd
    from PIL import ImageOps

    from imgorg.duplicates import duplicate_table as find_duplicates

    originals = sorted(cifar_small.glob("*/*.jpg"))[::3][:30]
    paths = []
    for i, original in enumerate(originals):
        image = Image.open(original).convert("RGB")
        if i < 10:  # an original and its framed copy
            image.save(tmp_path / f"{i}.png")
            ImageOps.expand(image, border=5, fill=(128, 128, 128)).save(tmp_path / f"{i}_framed.png")
            paths += [f"{i}.png", f"{i}_framed.png"]
        else:  # a photo seen only in the same grey frame
            ImageOps.expand(image, border=5, fill=(128, 128, 128)).save(tmp_path / f"{i}_alone.png")
            paths.append(f"{i}_alone.png")
    images = pd.DataFrame({"id": range(len(paths)), "path": paths,
                           "sha256": [hashlib.sha256((tmp_path / p).read_bytes()).hexdigest() for p in paths],
                           "bytes": [(tmp_path / p).stat().st_size for p in paths]})
    found = find_duplicates(images, None, tmp_path)  # --fast: the thumbnails alone
    groups = {frozenset(g["path"].str.split("[_.]", regex=True).str[0]) for _, g in found.groupby("group")}
    assert all(len(origins) == 1 for origins in groups), groups  # no group of two different photos
    assert {next(iter(origins)) for origins in groups} == {str(i) for i in range(10)}  # every copy found


def test_a_file_identical_to_the_keeper_is_an_exact_copy_even_in_a_group_of_near_ones():
    import pandas as pd

    from imgorg.duplicates import duplicates_frame

    images = pd.DataFrame({"id": [0, 1, 2], "path": ["a.jpg", "sub/a_copy.jpg", "a_small.jpg"],
                           "sha256": ["x", "x", "y"], "bytes": [900, 900, 300]})
    frame = duplicates_frame(images, np.eye(3, dtype=np.float32), np.array([0, 0, 0]))
    assert frame["kind"].tolist() == ["near", "exact", "near"]  # keeper, its identical file, its near copy
    assert frame["path"].tolist()[:2] == ["a.jpg", "sub/a_copy.jpg"]


def test_a_framed_image_is_also_compared_and_searched_as_it_is():
    """Where only one image of a pair is framed, its thumbnails with the frame count too: its
    content matches nothing here, its frame-included thumbnails match image 1 exactly."""
    from imgorg.duplicates import VIEWS, Thumbnails, pair_scores

    rng = np.random.default_rng(0)

    def unit(*shape):
        x = rng.normal(size=shape).astype(np.float32)
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    search, views = unit(6, 192), unit(6, len(VIEWS), 768).astype(np.float16)
    framed = np.zeros(6, bool)
    framed[0] = True
    thumbnails = Thumbnails(search, views, VIEWS, framed, search[1:2].copy(), views[1:2].copy())
    assert pair_scores(np.array([[0, 1]]), None, thumbnails)[0] > 0.99
    assert pair_scores(np.array([[0, 1]]), None, Thumbnails(search, views))[0] < 0.5  # without the frame's view
    assert [0, 1] in thumbnail_pairs(thumbnails, k=1).tolist()


def test_the_frame_lines_spread_is_numpys_95th_percentile():
    """The partition-based percentile must decide exactly as np.percentile did when the
    frame threshold was chosen (docs/benchmarks.md)."""
    from imgorg.duplicates.thumbnails import _spread

    rng = np.random.default_rng(0)
    for width in (1, 2, 3, 7, 32, 64):
        lines = rng.integers(0, 40, size=(30, width, 3)).astype(np.int16)
        colour = np.median(lines[0], axis=0)
        assert np.array_equal(_spread(lines, colour), np.percentile(np.abs(lines - colour).max(axis=2), 95, axis=1))


def test_copies_cropped_at_a_corner_by_16_to_22_percent_are_found_without_an_embedding(cifar_small, tmp_path):
    """Crops of 90% at the corners alone missed such copies (full recall 0.28 on the cropped corpus),
    and --fast's thumbnail neighbours of the whole image rarely brought them together."""
    crops = [(0, 0.16, 0.16, 0), (0.16, 0, 0, 0.16), (0, 0, 0.22, 0.22), (0.22, 0.22, 0, 0)]
    paths = _write_cut_copies(cifar_small, tmp_path, crops)
    for j, other in enumerate(sorted(cifar_small.glob("*/*.jpg"))[1::3][:90]):  # look-alikes to compete
        Image.open(other).convert("RGB").save(tmp_path / f"x{j}.png")
        paths.append(f"x{j}.png")
    thumbnails = image_thumbnails(tmp_path, paths)
    row = {p: r for r, p in enumerate(paths)}
    copies = np.array([(row[f"{i}.png"], row[f"{i}_{c}.png"]) for i in range(10) for c in range(4)])
    others = np.array([(row[f"{i}.png"], row[f"{j}_{c}.png"]) for i in range(10) for j in range(10) if j != i
                       for c in range(4)])
    # thumbnails alone (--fast's scores): 0.78 of them reach its threshold (0.08 before)
    assert (pair_scores(copies, None, thumbnails) >= FAST_THRESHOLD).mean() >= 0.6
    assert pair_scores(others, None, thumbnails).max() < 0.7
    # the 80% corners as queries bring every copy among the candidates (its nearest whole: 0.38)
    near = {tuple(pair) for pair in thumbnail_pairs(thumbnails, k=1, cropped=True).tolist()}
    assert len(near & {tuple(pair) for pair in copies.tolist()}) >= 0.9 * len(copies)


def test_search_signatures_of_the_whole_view_match_the_search_thumbnails(cifar_small):
    from imgorg.duplicates.thumbnails import search_signatures as _search_signatures

    paths = [p.relative_to(cifar_small).as_posix() for p in sorted(cifar_small.glob("*/*.jpg"))[:40]]
    thumbnails = image_thumbnails(cifar_small, paths)
    assert np.einsum("ij,ij->i", thumbnails.search, _search_signatures(thumbnails.views[:, 0])).min() > 0.95


def test_copies_cut_to_another_shape_line_up_with_a_strip_view(cifar_small, tmp_path):
    """A copy with one edge trimmed, or cut to a narrower shape, is stretched back to a square
    thumbnail: no square crop lines it up (aspect corpus: full recall 0.26 without the
    strips)."""
    cuts = [(0.16, 0, 0, 0), (0, 0.18, 0, 0), (0, 0, 0, 0.14), (0.1, 0, 0.1, 0)]  # the last: both sides
    paths = _write_cut_copies(cifar_small, tmp_path, cuts)
    thumbnails = image_thumbnails(tmp_path, paths)
    row = {p: r for r, p in enumerate(paths)}
    copies = np.array([(row[f"{i}.png"], row[f"{i}_{c}.png"]) for i in range(10) for c in range(4)])
    others = np.array([(row[f"{i}.png"], row[f"{j}_{c}.png"]) for i in range(10) for j in range(10) if j != i
                       for c in range(4)])
    scores = pair_scores(copies, None, thumbnails)
    assert (scores >= FAST_THRESHOLD).mean() >= 0.8
    assert pair_scores(others, None, thumbnails).max() < 0.7


def _write_cut_copies(cifar_small, folder, cuts) -> list[str]:
    """One image of each class as ``i.png`` and, for each (left, top, right, bottom) fractions
    in ``cuts``, its copy with those cut off as ``i_c.png``; their names in order."""
    from .corpus import _crop_sides

    paths = []
    for i, original in enumerate(sorted(cifar_small.glob("*/*.jpg"))[::30][:10]):
        image = Image.open(original).convert("RGB")
        image.save(folder / f"{i}.png")
        paths.append(f"{i}.png")
        for c, sides in enumerate(cuts):
            _crop_sides(*sides)(image).save(folder / f"{i}_{c}.png")
            paths.append(f"{i}_{c}.png")
    return paths


def test_a_folder_of_splits_keeps_the_copy_in_the_training_split(tmp_path):
    # a test image's larger copy would be kept by "most pixels"; across splits, train keeps what they share
    from PIL import Image

    from imgorg.config import DuplicatesConfig
    from imgorg.tasks.duplicates import find_folder_duplicates

    from .conftest import extract_cifar

    root = tmp_path / "data"
    extract_cifar(root / "train", per_class=3, split="train")
    extract_cifar(root / "test", per_class=2)
    original = sorted((root / "train" / "cat").iterdir())[0]
    Image.open(original).resize((64, 64), Image.LANCZOS).save(root / "test" / "cat" / "bigger.png")
    frame = find_folder_duplicates(root, tmp_path / "out", DuplicatesConfig(fast=True))
    group = frame[frame["path"] == "test/cat/bigger.png"]["group"].item()
    members = frame[frame["group"] == group]
    assert members["keep"].iloc[0] and members["path"].iloc[0].startswith("train/"), members
