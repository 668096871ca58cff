"""How near-duplicate pairs become groups, and the aligned thumbnail signal (imgorg.duplicates)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from imgorg.duplicates import aligned_correlation, duplicate_groups, image_thumbnails, thumbnail_pairs

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
    from imgorg.duplicates import pair_scores

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
    import imgorg.duplicates as duplicates

    paths = [str(p.relative_to(cifar_small)) for p in sorted(cifar_small.glob("*/*.jpg"))[:9]]
    (tmp_path / "junk.jpg").write_text("not an image")
    paths.insert(4, str(tmp_path / "junk.jpg"))  # absolute: source_path keeps it
    monkeypatch.setattr(duplicates, "THUMBNAIL_CHUNK", 3)
    one = image_thumbnails(cifar_small, paths, workers=1)
    two = image_thumbnails(cifar_small, paths, workers=2)
    assert np.array_equal(one.search, two.search) and np.array_equal(one.views, two.views)
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
