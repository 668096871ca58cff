"""Copies as review findings: today's duplicate groups (exact, near, crop), the copy kept in each
and why, and the pairs they make for the leak check."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..duplicates.grouping import keep_keys, keep_reasons
from ..duplicates.keypoints import correlation, fine_detail, shots_apart
from ..errors import ImageDecodeError
from ..fileio import array_or_npy
from ..formats import LOSSLESS_FORMATS
from ..images import decode_image
from ..sources import source_path
from .leaks import split_order


def prefer_by_pixels(groups: pd.DataFrame, images: pd.DataFrame, root, blurry_ids: set[int]) -> pd.DataFrame:
    """The keep rules that look at the pixels, over ``duplicates.grouping``'s order: a sharp copy over a
    blurry one, the original over its enlargement, the source over its conversion."""
    return prefer_source_jpeg(prefer_unenlarged(prefer_sharp(groups, blurry_ids), images, root), images, root)


def prefer_sharp(groups: pd.DataFrame, blurry_ids: set[int]) -> pd.DataFrame:
    """Groups whose copy to keep is blurry while another is not (an enlargement has more pixels, not
    more detail): the sharp copy with the most pixels among them is kept instead."""
    groups = groups.copy()
    for group, members in groups.groupby("group"):
        keeper = members[members["keep"]]
        sharp = members[~members["id"].isin(blurry_ids) & (members["kind"] != "crop")]
        if len(keeper) and int(keeper["id"].iat[0]) in blurry_ids and len(sharp):
            _keep_instead(groups, members, sharp.index[0], SHARPER, every=True)
    return groups


def prefer_split(groups: pd.DataFrame, images: pd.DataFrame, split: np.ndarray | None,
                 splits: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Groups of copies across splits keep a copy in the split that keeps what splits share (train
    first, or the first of ``--splits``): the copy removed is then the leak, and accepting both the
    copies and the leaks never sets aside every image of a group."""
    if split is None or groups.empty:
        return groups
    groups = groups.copy()
    row_of = pd.Series(np.arange(len(images)), index=images["id"].to_numpy())
    rank = {name: i for i, name in enumerate(split_order(split, splits))}
    member_split = split[row_of.loc[groups["id"].to_numpy()].to_numpy()]
    ranks = pd.Series([rank.get(s, len(rank)) for s in member_split], index=groups.index)
    for _, members in groups.groupby("group"):
        first = ranks[members.index].min()
        keeper = members.index[members["keep"].to_numpy()]
        if len(keeper) and ranks[keeper[0]] > first:
            there = members[(ranks[members.index] == first).to_numpy() & (members["kind"] != "crop").to_numpy()]
            if len(there):
                name = member_split[groups.index.get_loc(there.index[0])]
                _keep_instead(groups, members, there.index[0], f"the copy in {name}, the split that keeps what splits share",
                              every=True)
    return groups


# An enlargement has more pixels, not more detail: a larger copy whose detail at twice a smaller copy's
# size (its pixels less their reduction to that copy's size, enlarged back) is under ENLARGED of the
# smaller copy's own detail at its size holds nothing the smaller lacks (benchmarks/enlargement_threshold.py:
# CIFAR-10 test images enlarged 2-3x, 0.30 at most; LFW strangers' photos against their halves, 0.35 at
# least; held out, CIFAR-10 train and LFW people: 99.6% of enlargements under it, 0.1% of photos).
ENLARGED = 0.32
LARGER = 1.2  # a copy this many times as long (and of its aspect, within ASPECT_SLACK) may be its enlargement
ASPECT_SLACK = 0.02
ENLARGED_MAX_SIDE = 1024  # px: smaller copies longer than this are not checked (the larger one's decode costs)


def prefer_unenlarged(groups: pd.DataFrame, images: pd.DataFrame, root) -> pd.DataFrame:
    """Groups whose copy to keep is an enlargement of a smaller copy (``ENLARGED``): the smaller one is
    kept instead ("most pixels" alone keeps a 64 px PNG upscale over the 32 px JPEG it was made from), again
    while the new one is itself an enlargement of another."""
    groups = groups.copy()
    by_id = images.set_index("id")
    if not {"width", "height"} <= set(by_id.columns):
        return groups
    for _, members in groups.groupby("group"):
        members = groups.loc[members.index]
        while True:
            kept = int(members.loc[members["keep"], "id"].iat[0]) if members["keep"].any() else None
            smaller = [(index, int(i)) for index, i, kind in zip(members.index, members["id"], members["kind"])
                       if kind != "crop" and kept is not None and _may_enlarge(by_id, kept, int(i))]
            found = next((index for index, i in sorted(smaller, key=lambda x: -_pixels(by_id, x[1]))
                          if _enlargement(root, by_id, kept, i)), None)
            if found is None:
                break
            _keep_instead(groups, members, found, "the others are enlargements of it: more pixels, no more detail",
                          every=True)
            members = groups.loc[members.index]
    return groups


def _pixels(by_id: pd.DataFrame, image: int) -> float:
    return float(by_id.at[image, "width"]) * float(by_id.at[image, "height"])


def _may_enlarge(by_id: pd.DataFrame, big: int, small: int) -> bool:
    """Whether ``big`` is long enough over ``small``, of its aspect, and ``small`` short enough, to check."""
    (bw, bh), (sw, sh) = (by_id.loc[i, ["width", "height"]].astype(float) for i in (big, small))
    if not (bw and bh and sw and sh) or max(sw, sh) > ENLARGED_MAX_SIDE or bw < LARGER * sw:
        return False
    return abs(bw / bh - sw / sh) <= ASPECT_SLACK * sw / sh


def _enlargement(root, by_id: pd.DataFrame, big: int, small: int) -> bool:
    """Whether ``big`` holds no detail beyond ``small``'s pixels (see ``ENLARGED``)."""
    from PIL import Image

    try:
        data = [source_path(root, by_id.at[i, "path"]).read_bytes() for i in (big, small)]
        small_image = decode_image(data[1]).convert("L")
        w, h = small_image.size
        large = decode_image(data[0], draft_size=2 * max(w, h)).convert("L")
    except (OSError, ImageDecodeError):
        return False
    if min(w, h) < 4:
        return False
    large = large.resize((2 * w, 2 * h), Image.BOX if large.width > 2 * w else Image.BICUBIC)
    beyond = detail_beyond(large, (w, h))
    own = detail_beyond(small_image, (max(1, w // 2), max(1, h // 2)))
    return beyond < ENLARGED * max(own, 0.5)


def detail_beyond(image, size: tuple[int, int]) -> float:
    """Mean absolute grey difference between ``image`` and its reduction to ``size`` enlarged back."""
    from PIL import Image

    back = image.resize(size, Image.BOX).resize(image.size, Image.BICUBIC)
    return float(np.abs(np.asarray(image, np.float32) - np.asarray(back, np.float32)).mean())


# Large copies of one size compared in their fine detail: the copy check aligns at 256 px, where the
# text of two screenshots of one app (code, a spreadsheet: one device, one size) becomes the same
# texture, and they passed as copies. At up to FINE_SIDE px their detail (``keypoints.fine_detail``)
# correlates 0.13-0.40 for such screenshots and 0.71-0.99 for the burst corpus's copies of one size
# (a JPEG save at q35, a brightened one), but 0.42 (a q35 save of a clock). Photos of other sizes (a
# resize, a crop that keeps the aspect) are left to the alignment: unaligned, a crop's detail does not
# correlate. Lossless images (PNG, TIFF, BMP: screenshots) of other sizes are compared resized to one.
FINE_SIDE = 1024
FINE_MIN_SIDE = 512  # px: both images' shorter side at least this (smaller ones are aligned at their own size)
# px: and their longer side at most this: screens and scans are under it; a 12-MP photo's copy check
# aligns it well, and decoding two for this cost 120 ms a pair (7 s for the 59 copies of 64 photos)
FINE_MAX_SIDE = 3000
FINE_AGREE = 0.5


def drop_videos(groups: pd.DataFrame, images: pd.DataFrame) -> pd.DataFrame:
    """Groups less their videos (catalog rows with a duration): a video's poster frame may match a photo
    of the same moment, but the clip is no copy of the photo to remove (nor the photo of the clip); a
    group left with one image goes, and one whose kept image was a video keeps its largest other."""
    if groups.empty or "duration_s" not in images:
        return groups
    videos = set(images.loc[images["duration_s"].notna(), "id"].astype(int))
    return _drop_members(groups, images, groups["id"].astype(int).isin(videos).to_numpy())


def _drop_members(groups: pd.DataFrame, images: pd.DataFrame, out: np.ndarray) -> pd.DataFrame:
    """Groups less the members ``out`` marks; a group left with one image goes, and one whose kept image
    went keeps its member with the most pixels."""
    groups = groups[~np.asarray(out, bool)].copy()
    groups = groups[groups.groupby("group")["id"].transform("size") >= 2]
    pixels = images.set_index("id").reindex(groups["id"].to_numpy())
    area = (pixels["width"].astype("float64") * pixels["height"].astype("float64")).fillna(0).to_numpy() \
        if {"width", "height"} <= set(pixels.columns) else np.zeros(len(pixels))
    for _, members in groups.groupby("group"):
        if not members["keep"].any():
            groups.loc[members.index, "keep"] = False
            groups.loc[members.index[int(np.argmax(area[groups.index.get_indexer(members.index)]))], "keep"] = True
            if "because" in groups:
                groups.loc[members.index, "because"] = None
    return groups.reset_index(drop=True)


# An edited version saved beside its original: iPhone's IMG_E0012.JPG of IMG_0012.HEIC, Google Photos'
# PXL_..._123-edited.jpg of PXL_..._123.jpg. Both are the person's: the edit is what they made.
_EDITED = (re.compile(r"^(?P<prefix>[A-Za-z]{3,4})_E(?P<number>\d{4,})$"), re.compile(r"^(?P<stem>.+)-edited$"))


def edit_of(path: str) -> str | None:
    """The folder and stem of the original a file's name says it is an edit of, or None."""
    folder, _, name = str(path).rpartition("/")
    stem = name.rsplit(".", 1)[0]
    for pattern in _EDITED:
        found = pattern.match(stem)
        if found:
            original = found.group("stem") if "stem" in pattern.groupindex else \
                f"{found.group('prefix')}_{found.group('number')}"
            return f"{folder}/{original}" if folder else original
    return None


def drop_edits(groups: pd.DataFrame, images: pd.DataFrame) -> pd.DataFrame:
    """Groups less the edits whose original (same folder, by name) is in their group: an edit is no copy
    to remove, nor its original (an iPhone's IMG_E0012 is the person's edit of IMG_0012); a group left with
    one image goes, and one whose kept image was the edit keeps its largest other."""
    if groups.empty:
        return groups
    paths = images.set_index("id")["path"].astype(str)
    stems = groups["id"].map(lambda i: paths[i].rsplit(".", 1)[0])
    edits = [index for index, image in zip(groups.index, groups["id"])
             if (original := edit_of(paths[image])) is not None
             and (stems[groups["group"] == groups.at[index, "group"]] == original).any()]
    if not edits:
        return groups
    return _drop_members(groups, images, groups.index.isin(edits))


# Near copies in other colours: an icon or logo saved in purple and in green lines up in grey (thumbnails,
# keypoints and detail are grey) and passed as a copy; so do a red and a blue mug on a white backdrop. Where
# both are vivid (a share VIVID_SHARE of the subject's pixels with a Lab chroma over VIVID_PIXEL, those at
# VIVID_CHROMA on average) and their mean hues are more than RECOLOURED degrees apart, they are not copies:
# the one apart from the copy kept leaves for a group of its own (a red mug's resized copy stays its copy).
# The subject is all but a white or pale grey backdrop, the neutral pixels (chroma up to VIVID_PIXEL) of a
# lightness L* of BACKDROP_L or more: a red mug on white is vivid in 0.22 of the frame and 0.99 of its
# subject. A greyscale edit has no vivid pixel: no hue, no decision. Copies keep their hue: where both are
# vivid, the burst corpus's copies differ by 21 degrees at most, and 200 CIFAR-10 test images under the copy
# benchmarks' twelve edits (JPEG q20, brightness, contrast, crops, ...) by 58 (a brightened blue sky clipping
# to teal; 99% within 28): `benchmarks/similar_shots.py --hues`. The mixed pile's recoloured logos differ by
# 172; the red and the blue mug of a shop's product shots by 107.
VIVID_PIXEL, VIVID_SHARE, VIVID_CHROMA = 12.0, 0.3, 30.0
BACKDROP_L = 80.0
RECOLOURED = 90.0
HUE_SIDE = 64  # px: the longer side the hues are measured at


def drop_recoloured(groups: pd.DataFrame, images: pd.DataFrame, root, pixels: dict | None = None) -> pd.DataFrame:
    """Groups less their near copies whose hue differs from the copy kept's by more than ``RECOLOURED``
    (both vivid): those of a group form a group of their own, checked against the one they keep in turn
    (a red mug and its resized copy, joined to a blue mug's group, stay each other's copies); a group left
    with one image goes. ``pixels``: {row of ``images``: its working pixels as the first read kept them
    (an array or its .npy file)}, measured instead of decoding the file again (a 12-MP photo: its 1/8
    decode, about 25 ms)."""
    if groups.empty:
        return groups
    paths = images.set_index("id")["path"].astype(str)
    row_of = dict(zip(images["id"].astype(int), range(len(images))))
    pixels = pixels or {}
    hues: dict[int, float | None] = {}
    while True:
        recoloured = []
        for _, members in groups.groupby("group"):
            kept = members.loc[members["keep"].to_numpy(bool), "id"]
            if kept.empty:
                continue
            for index, image, kind in zip(members.index, members["id"], members["kind"]):
                if kind != "near":
                    continue
                for i in (int(kept.iat[0]), int(image)):  # each image decoded once, whatever groups it is in
                    if i not in hues:
                        hues[i] = mean_hue(root, paths[i], pixels.get(row_of[i]))
                pair = [hues[int(kept.iat[0])], hues[int(image)]]
                if None not in pair and hue_apart(*pair) > RECOLOURED:
                    recoloured.append(index)
        if not recoloured:
            return groups
        groups = groups.copy()
        split = groups.index.isin(recoloured)
        groups.loc[split, "group"] += int(groups["group"].max()) + 1  # apart from their group, kept by none
        groups.loc[split, "keep"] = False
        groups = _drop_members(groups, images, np.zeros(len(groups), bool))


def mean_hue(root, path: str, kept=None) -> float | None:
    """The chroma-weighted mean hue (degrees, Lab) of a vivid image at ``HUE_SIDE`` px; None otherwise.
    ``kept``: its 8-bit RGB working pixels (``review.series.working_bytes``; an array or its .npy file),
    reduced instead of decoding ``path``."""
    import cv2
    from PIL import Image

    try:
        image = Image.fromarray(array_or_npy(kept)) if kept is not None else \
            decode_image(source_path(root, path).read_bytes(), draft_size=HUE_SIDE * 2).convert("RGB")
    except (OSError, ImageDecodeError, ValueError):
        return None
    image.thumbnail((HUE_SIDE, HUE_SIDE), Image.BOX)
    lab = cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2LAB).astype(np.float32)
    a, b = lab[..., 1] - 128, lab[..., 2] - 128
    chroma = np.hypot(a, b)
    vivid = chroma > VIVID_PIXEL
    subject = (chroma > VIVID_PIXEL) | (lab[..., 0] < BACKDROP_L * 255 / 100)  # not a white or pale grey backdrop
    if not vivid.any() or vivid.sum() < VIVID_SHARE * subject.sum() or chroma[vivid].mean() < VIVID_CHROMA:
        return None
    angle, weight = np.arctan2(b[vivid], a[vivid]), chroma[vivid]
    return float(np.degrees(np.arctan2((weight * np.sin(angle)).sum(), (weight * np.cos(angle)).sum())))


def hue_apart(a: float, b: float) -> float:
    """Degrees between two hues (0-180)."""
    apart = abs(a - b) % 360
    return min(apart, 360 - apart)


def drop_unlike_copies(groups: pd.DataFrame, images: pd.DataFrame, root, agreed: dict | None = None) -> pd.DataFrame:
    """Groups less their near copies (not the same file, not a crop) whose fine detail does not agree with
    the copy kept's (``FINE_AGREE``); a group left with one image goes. ``agreed``: ``fine_agreement``'s
    memo, shared with the copy check's ``judge_pair``, which compared most of these pairs already."""
    by_id = images.set_index("id")
    if groups.empty or not {"width", "height"} <= set(by_id.columns):
        return groups
    unlike = []
    for _, members in groups.groupby("group"):
        kept = members.loc[members["keep"], "id"]
        if kept.empty:
            continue
        decoded: dict[str, object] = {}  # the kept image, decoded once for all its group
        for index, image, kind in zip(members.index, members["id"], members["kind"]):
            if kind == "near" and int(image) != int(kept.iat[0]) and _large(by_id, int(kept.iat[0]), int(image)):
                agree = fine_agreement(root, by_id.at[int(kept.iat[0]), "path"], by_id.at[int(image), "path"], decoded,
                                       agreed)
                if agree is not None and agree < FINE_AGREE:
                    unlike.append(index)
    groups = groups.drop(index=unlike)
    alone = groups.groupby("group")["id"].transform("size") < 2
    return groups[~alone].reset_index(drop=True)


def judge_pair(images: pd.DataFrame, root, page: np.ndarray, a: int, b: int, kind: str,
               by_id: pd.DataFrame | None = None, agreed: dict | None = None,
               moments: np.ndarray | None = None) -> str | None:
    """What rows ``a`` and ``b``, aligned as ``kind`` (copy or similar), are instead, or None. Two pages or
    screens (both ``page``: tagged as pages, ``review.quality.pages``, or screenshots by their files,
    ``review.quality.screenshots``; or both lossless files) are copies or nothing:
    receipts, letters or screenshots of one layout are no burst. A copy whose fine detail does not agree
    (``FINE_AGREE``; ``_large`` says which pairs it decides) is not one: two pages or screens are
    "neither", two photos shots moments apart, "similar"; so are two shots of one camera by their capture
    times (``keypoints.shots_apart``: a copy keeps its photo's). ``by_id``: ``images`` indexed by id, where
    the caller judges many pairs; ``agreed``: ``fine_agreement``'s memo; ``moments``:
    ``keypoints.shot_moments(images)``."""
    by_id = images.set_index("id") if by_id is None else by_id
    ida, idb = int(images["id"].iat[a]), int(images["id"].iat[b])
    lossless = "format" in by_id and all(by_id.at[i, "format"] in LOSSLESS_FORMATS for i in (ida, idb))
    screens = lossless or bool(page[a] and page[b])
    if kind == "similar":
        return "neither" if screens else None
    if shots_apart(images, np.array([[a, b]]), moments)[0]:
        return "neither" if screens else "similar"
    if not {"width", "height"} <= set(by_id.columns) or not _large(by_id, ida, idb):
        return None
    agree = fine_agreement(root, by_id.at[ida, "path"], by_id.at[idb, "path"], agreed=agreed)
    if agree is None or agree >= FINE_AGREE:
        return None
    return "neither" if screens else "similar"


def _large(by_id: pd.DataFrame, a: int, b: int) -> bool:
    """Both large, and of one size or both lossless: where the fine detail decides."""
    sizes = [(float(by_id.at[i, "width"]), float(by_id.at[i, "height"])) for i in (a, b)]
    lossless = "format" in by_id and all(by_id.at[i, "format"] in LOSSLESS_FORMATS for i in (a, b))
    return (sizes[0] == sizes[1] or lossless) and min(min(size) for size in sizes) >= FINE_MIN_SIDE \
        and max(max(size) for size in sizes) <= FINE_MAX_SIDE


def fine_agreement(root, a: str, b: str, kept: dict | None = None, agreed: dict | None = None) -> float | None:
    """Correlation of two images' fine detail (``keypoints.fine_detail``) at up to ``FINE_SIDE`` px wide;
    None where they cannot be decoded or differ in aspect (a crop: the keypoint check's). ``kept``:
    {path: its grey decode} for ``a``, filled here (an image compared with several); ``agreed``: {the two
    paths, sorted: their agreement}, filled here (a pair the review asks about twice is decoded once)."""
    key = tuple(sorted((a, b)))
    if agreed is not None and key in agreed:
        return agreed[key]
    agree = _fine_agreement(root, a, b, kept)
    if agreed is not None:
        agreed[key] = agree
    return agree


def _fine_agreement(root, a: str, b: str, kept: dict | None) -> float | None:
    from PIL import Image

    def grey(path: str):
        return decode_image(source_path(root, path).read_bytes(), draft_size=FINE_SIDE).convert("L")

    try:
        first = kept[a] if kept is not None and a in kept else grey(a)
        if kept is not None:
            kept[a] = first
        decoded = [first, grey(b)]
    except (OSError, ImageDecodeError):
        return None
    (wa, ha), (wb, hb) = (d.size for d in decoded)
    if abs(wa / ha - wb / hb) > ASPECT_SLACK * wa / ha:
        return None
    width = min(wa, wb, FINE_SIDE)
    size = (width, max(1, round(width * ha / wa)))
    return correlation(*(fine_detail(np.asarray(image.resize(size, Image.BOX))) for image in decoded))


SAME_PIXELS = 0.5  # grey levels: mean absolute difference under which two decodes are the same pixels


def prefer_source_jpeg(groups: pd.DataFrame, images: pd.DataFrame, root) -> pd.DataFrame:
    """Groups whose copy to keep is a lossless file (PNG, TIFF, BMP) holding the very pixels of a JPEG
    of the group, at its size: the JPEG is kept instead. The lossless file is its conversion (or the
    JPEG a near-lossless one of it): the same picture, in more bytes; "least compressed" would keep it."""
    groups = groups.copy()
    by_id = images.set_index("id")
    if "format" not in by_id:
        return groups
    for _, members in groups.groupby("group"):
        keeper = members[members["keep"]]
        if keeper.empty:
            continue
        if by_id.at[int(keeper["id"].iat[0]), "format"] == "JPEG":
            _prefer_lossless(groups, members, by_id, root)
            continue
        if by_id.at[int(keeper["id"].iat[0]), "format"] not in LOSSLESS_FORMATS:
            continue
        kept = int(keeper["id"].iat[0])
        size = tuple(by_id.loc[kept, ["width", "height"]])
        for index, image in zip(members.index, members["id"]):
            if by_id.at[int(image), "format"] == "JPEG" and tuple(by_id.loc[int(image), ["width", "height"]]) == size \
                    and _same_pixels(root, by_id.at[kept, "path"], by_id.at[int(image), "path"]):
                fmt = by_id.at[kept, "format"]
                _keep_instead(groups, members, index, f"the JPEG whose pixels the {fmt} copy holds, in fewer bytes")
                break
    return groups


def _prefer_lossless(groups: pd.DataFrame, members: pd.DataFrame, by_id: pd.DataFrame, root) -> None:
    """A JPEG kept as "the least compressed" over a PNG (TIFF, BMP) of its size: a flat screenshot
    compresses better as PNG, so its JPEG save is the larger file. The lossless file is kept: it holds
    the same pixels in fewer bytes, or the pixels the JPEG lost (where the bytes decided, nothing before
    them: format, time, GPS, rating)."""
    kept = int(members.loc[members["keep"], "id"].iat[0])
    size = tuple(by_id.loc[kept, ["width", "height"]])
    for index, image in zip(members.index, members["id"]):
        image = int(image)
        if by_id.at[image, "format"] not in LOSSLESS_FORMATS or tuple(by_id.loc[image, ["width", "height"]]) != size:
            continue
        if keep_reasons(keep_keys(by_id.loc[[kept, image]].reset_index(), root)) == ["bytes"]:
            fmt = by_id.at[image, "format"]
            same = _same_pixels(root, by_id.at[kept, "path"], by_id.at[image, "path"])
            _keep_instead(groups, members, index, f"the {fmt} holds the JPEG copy's pixels in fewer bytes" if same
                          else f"the {fmt} the JPEG copy was saved from: lossless, the JPEG is not")
            return


def _same_pixels(root, a: str, b: str) -> bool:
    """Whether two files decode to the same pixels (a mean difference under ``SAME_PIXELS``)."""
    try:
        first, second = (np.asarray(decode_image(source_path(root, p).read_bytes()), np.int16) for p in (a, b))
    except (OSError, ImageDecodeError):
        return False
    return first.shape == second.shape and float(np.abs(first - second).mean()) < SAME_PIXELS


def _keep_instead(groups: pd.DataFrame, members: pd.DataFrame, new: int, because: str, every: bool = False) -> None:
    """Keep ``new`` (an index of ``groups``) in its group instead of the copy kept, saying why: to the copy
    it was kept over (to ``every`` member, where the reason holds for each)."""
    old = members.index[members["keep"].to_numpy()][0]
    groups.loc[members.index, "keep"] = members.index == new
    groups.loc[members.index if every else [old, new], "because"] = because
    groups.loc[[old, new], "similarity"] = [groups.at[new, "similarity"], 1.0]  # similarities are to the copy kept


def rescored(groups: pd.DataFrame, images: pd.DataFrame, embeddings: np.ndarray, thumbnails,
             first_kept: set[int]) -> pd.DataFrame:
    """Groups whose kept copy a keep rule changed (it is not among ``first_kept``, the copy search's),
    each member's similarity measured again against the copy now kept, as the copy search measures it
    (``duplicates.pair_scores`` with ``thumbnails``, else the embedding cosine), so that "a copy of X
    (0.84)" is its score against X, not against the copy the search kept."""
    from ..duplicates import pair_cosines, pair_scores

    if groups.empty:
        return groups
    groups = groups.copy()
    row_of = pd.Series(np.arange(len(images)), index=images["id"].to_numpy())
    sha = images["sha256"].to_numpy() if "sha256" in images else np.arange(len(images)).astype(object)
    for _, members in groups.groupby("group"):
        keeper = members.loc[members["keep"].to_numpy(bool), "id"]
        if keeper.empty or int(keeper.iat[0]) in first_kept:
            continue
        rows, kept = row_of.loc[members["id"].to_numpy()].to_numpy(), int(row_of[int(keeper.iat[0])])
        pairs = np.stack([np.full(len(rows), kept), rows], axis=1)
        scores = pair_scores(pairs, embeddings, thumbnails) if thumbnails is not None else pair_cosines(pairs, embeddings)
        scores[sha[rows] == sha[kept]] = 1.0  # the same file
        groups.loc[members.index, "similarity"] = np.round(scores, 4)
    return groups


def copy_findings(groups: pd.DataFrame, images: pd.DataFrame, root=None) -> pd.DataFrame:
    """One finding per image in a group of copies: the one kept (action keep) and the others (remove),
    each with the copy kept as its partner and the reason it is the one kept (``why_keep``; ``root``:
    the files' folder, where symbolic links are told)."""
    if groups.empty:
        return pd.DataFrame(columns=["row", "kind", "group", "score", "action", "reason", "partner"])
    rows, partner = _rows_and_kept(groups, images)
    keep = groups["keep"].to_numpy()
    because = groups["because"].to_numpy(object) if "because" in groups else np.full(len(groups), None)
    cropped = set(rows[(groups["kind"] == "crop").to_numpy()].tolist())  # crops of the copy kept
    why = lambda kept, others, said: (said if isinstance(said, str)  # noqa: E731
                                      else why_keep(images, kept, others, root, cropped))
    reasons = [f"the copy kept: {why(r, _others(rows, groups['group'].to_numpy(), g, r), sh)}" if k
               else f"{'the same file as' if kind == 'exact' else 'a cropped copy of' if kind == 'crop' else 'a copy of'} "
                    f"{images['path'].iat[p]} ({s:.2f}), which is kept: {why(p, [r], sh)}"
               for r, p, g, k, kind, s, sh in zip(rows, partner, groups["group"], keep, groups["kind"],
                                                  groups["similarity"], because)]
    action = np.where(keep, "keep", "remove").astype(object)
    for i in np.flatnonzero(~keep & _labelled_apart(images, rows, partner)):  # removing either may lose the right label
        action[i] = "look"
        reasons[i] += (f"; labelled {images['label'].iat[rows[i]]!r} here and {images['label'].iat[partner[i]]!r} "
                       "there: look at which label is right before removing either")
    return pd.DataFrame({"row": rows, "kind": "copy", "group": groups["group"].to_numpy(np.int64),
                         "score": groups["similarity"].to_numpy(float), "action": action.astype(str),
                         "reason": reasons,
                         "partner": pd.array([None if k else int(p) for k, p in zip(keep, partner)], dtype="Int64")})


def _labelled_apart(images: pd.DataFrame, rows: np.ndarray, partner: np.ndarray) -> np.ndarray:
    """Per row, whether it and its partner both have labels, and not the same."""
    if "label" not in images:
        return np.zeros(len(rows), bool)
    labels = images["label"].to_numpy(object)
    return np.array([isinstance(labels[r], str) and isinstance(labels[p], str) and labels[r] != labels[p]
                     for r, p in zip(rows, partner)], bool)


SHARPER = "the sharpest (a larger copy is blurry: an enlargement has more pixels, not more detail)"


def copy_pairs(found: pd.DataFrame) -> pd.DataFrame:
    """(a, b, kind, similarity): each copy with the one kept in its group (``copy_findings``' rows)."""
    removed = found[found["action"] != "keep"]  # a copy to look at (labelled apart) is a copy too
    return pd.DataFrame({"a": removed["partner"].astype(np.int64).to_numpy(), "b": removed["row"].to_numpy(np.int64),
                         "kind": "copy", "similarity": removed["score"].to_numpy(float)})


def _others(rows: np.ndarray, groups: np.ndarray, group: int, row: int) -> list[int]:
    return [int(r) for r, g in zip(rows, groups) if g == group and r != row]


def why_keep(images: pd.DataFrame, kept: int, others: list[int], root=None, cropped=()) -> str:
    """Why ``kept`` is the copy to keep rather than ``others`` (rows of ``images``), in words: the rules of
    ``duplicates.grouping.keep_keys`` that set it before them (``keep_reasons``), the order's own keys:
    the one rule that sets it before every other, or each that sets it before some, in their order ("it
    has the capture time, then most pixels (6000x4000)"); where none does, "the first found". ``root``:
    the files' folder (symbolic links are told there); ``cropped``: rows that are crops of another copy."""
    rows = [kept, *others]
    names = keep_reasons(keep_keys(images.iloc[rows], root, np.isin(rows, list(cropped))))
    said = ", then ".join(_rule_words(name, images, kept, alone=len(names) == 1) for name in names)
    if "sha256" in images and all(images["sha256"].iat[kept] == images["sha256"].iat[o] for o in others):
        return f"identical files: {said}" if names and names != ["first"] else "identical files: the first found is kept"
    return said or "the first found"  # no rule sets it first: a keep rule's own reason is said where it decided


def _rule_words(name: str, images: pd.DataFrame, kept: int, alone: bool) -> str:
    """A keep rule (``keep_keys``' name) in words, for the copy kept at row ``kept``; ``alone``: the rule
    sets it before every other copy, not only before some (then it says what the others are)."""
    def value(column: str):
        return images[column].iat[kept] if column in images else None

    if name == "link":
        return "a real file, the others are symbolic links" if alone else "a real file, not a symbolic link"
    if name == "crop":
        return "the whole picture, the others are crops" if alone else "the whole picture, not a crop"
    if name == "rejected":
        return "the others were rejected (rated -1)" if alone else "not rejected (a rating of -1)"
    if name == "original":
        own = f"the camera's JPEG with its RAW ({str(value('original')).rpartition('/')[2]})" \
            if not pd.isna(value("original")) else f"the camera's own {value('format')} file"
        return f"{own}, the others are conversions" if alone else own
    if name == "pixels":
        size = pd.to_numeric(pd.Series([value("width"), value("height")]), errors="coerce").astype("float64")
        return f"most pixels ({int(size[0])}x{int(size[1])})" if (size > 0).all() else "most pixels"
    if name == "copy name":
        return "the others are named like copies or kept in a backup folder" if alone else \
            "not named like a copy nor kept in a backup folder"
    return {"time": "it has the capture time", "gps": "it has GPS", "marked": "it has a rating or keywords",
            "bytes": "the least compressed (largest file at its size)", "file time": "the oldest file",
            "first": "the first found"}[name]


def _rows_and_kept(groups: pd.DataFrame, images: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(each member's row of ``images``, the row of the copy its group keeps)."""
    row_of = pd.Series(np.arange(len(images)), index=images["id"].to_numpy())
    rows = row_of.loc[groups["id"].to_numpy()].to_numpy()
    keeper = pd.Series(rows[groups["keep"].to_numpy()], index=groups.loc[groups["keep"], "group"].to_numpy())
    return rows, keeper.loc[groups["group"].to_numpy()].to_numpy()


def crop_pairs(groups: pd.DataFrame, images: pd.DataFrame) -> np.ndarray:
    """(crop row, whole row): the crops keypoints confirmed, each of the copy kept in its group."""
    if groups.empty:
        return np.empty((0, 2), np.int64)
    rows, kept = _rows_and_kept(groups, images)
    crops = (groups["kind"].to_numpy() == "crop") & ~groups["keep"].to_numpy(bool)
    return np.stack([rows[crops], kept[crops]], axis=1).astype(np.int64) if crops.any() \
        else np.empty((0, 2), np.int64)


def copy_groups(series: pd.DataFrame, images: pd.DataFrame, embeddings: np.ndarray | None = None, root=None,
                thumbnails=None, crops: np.ndarray | None = None) -> pd.DataFrame:
    """The copy groups of ``imgorg.review.series.series_table`` as duplicate groups (group, id, path,
    kind, similarity, keep), ordered and scored as the copy search orders and scores its own
    (``duplicates.grouping.duplicates_frame``: the camera's format, capture time, GPS, pixels, ...;
    ``crops``: (crop row, whole row) pairs, never kept), not by the series' best shot, so a camera's
    HEIC is kept over its conversion and every copy has its score."""
    from ..duplicates.grouping import duplicates_frame

    copies = series[series["kind"] == "copy"]
    labels = np.full(len(images), -1, np.int64)
    row_of = pd.Series(np.arange(len(images)), index=images["id"].to_numpy())
    labels[row_of.loc[copies["id"].to_numpy()].to_numpy()] = copies["group"].to_numpy(np.int64)
    return duplicates_frame(images, embeddings, labels, root, thumbnails, crops)


def similar_findings(series: pd.DataFrame, images: pd.DataFrame) -> pd.DataFrame:
    """One finding per image of a series of similar shots: the best shot (keep) and the others (look)."""
    shots = series[series["kind"] == "similar"]
    if shots.empty:
        return pd.DataFrame(columns=["row", "kind", "group", "score", "action", "reason", "partner"])
    row_of = pd.Series(np.arange(len(images)), index=images["id"].to_numpy())
    rows = row_of.loc[shots["id"].to_numpy()].to_numpy()
    best = pd.Series(rows[shots["best"].to_numpy()], index=shots.loc[shots["best"], "group"].to_numpy())
    partner = best.reindex(shots["group"].to_numpy()).to_numpy()
    keep = shots["best"].to_numpy(bool)
    return pd.DataFrame({"row": rows, "kind": "similar", "group": shots["group"].to_numpy(np.int64),
                         "score": shots["similarity"].to_numpy(float), "action": np.where(keep, "keep", "look"),
                         "reason": shots["reason"].astype(str).to_numpy(),
                         "partner": pd.array([None if k or pd.isna(p) else int(p) for k, p in zip(keep, partner)],
                                             dtype="Int64")})
