"""``review_collection``: what in a collection needs a person's attention, in one table.

Copies (exact, near, crop: ``imgorg duplicates``) apart from similar shots (a burst, a series),
bad shots (blurry, dark, overexposed, low information, odd size, odd aspect ratio), outliers,
leaks between splits and, where labels exist, images whose label is probably wrong. Stored as
``review.parquet`` (one row per finding: ``imgorg.review.table``) and ``quality.parquet`` (each
image's quality scores). A person acts on it with ``accept_findings`` / ``dismiss_findings``:
edits in the curation log, so undo works and nothing is ever deleted.
"""

from __future__ import annotations

import functools
import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import REVIEW_KINDS, ReviewConfig
from ..constants import GONE, REVIEW_SPLITS
from ..curation import Dismiss, Relabel, Remove
from ..duplicates import DEFAULT_THRESHOLD, duplicate_table, image_thumbnails
from ..duplicates.keypoints import MIN_SIDE, shot_moments
from ..errors import ConfigError
from ..index import RememberedSearch
from ..outliers import outlier_scores
from ..progress import ProgressFactory
from ..review.copies import (
    copy_findings,
    copy_groups,
    copy_pairs,
    crop_pairs,
    drop_edits,
    drop_recoloured,
    drop_unlike_copies,
    drop_videos,
    judge_pair,
    prefer_by_pixels,
    prefer_split,
    rescored,
    similar_findings,
)
from ..review.kept import catalog_sizes, first_read_decodes, kept_pixels_folder, spill_keeping
from ..review.labels import SURE_SHARE, label_issues, out_of_fold_probabilities, sure_relabels
from ..review.leaks import leak_findings, left_out_splits, split_of
from ..review.quality import measure, pages, quality_flags, quality_frame, quality_scores, screenshots, shared_decode
from ..review.series import checked_copy_groups, photo_sized, series_table
from ..review.table import findings_frame, is_open, outlier_findings, summary
from ..views import Workspace, open_workspace
from ..workspace import CACHE, QUALITY_FILE, REVIEW_FILE, REVIEW_NOTES_FILE, update_manifest, workspace_lock
from .curate import EditResult, edit_clusters

log = logging.getLogger(__name__)

# A label issue's suggestion less sure than this asks for a look (accepted by kind or by image); one this
# sure or more is a relabel that `--accept all` takes where the classifier is right that sure on this
# collection (review.labels.sure_relabels), else a look too. On CIFAR-10 with 5% of labels flipped (test
# and held-out train, random and look-alike flips, 3 seeds each: `benchmarks/label_issues.py confidence
# /tmp/li-test.npz /tmp/li-train.npz`) the suggestion is the true label for 46-67% of the reported rows,
# 73% of the 3,189 at 0.8 or more and 76% of the 2,736 relabels; on 400-image samples of test, whose
# classifier names 62-71% of the labels (`... confidence /tmp/li-test400-?.npz`, 6 samples), 49% of the
# 328 at 0.8 or more and 76% of the 21 relabels.
SURE_RELABEL = 0.8
BAD_SHOT_ACTIONS = {"low_information": "remove"}  # a blank frame goes; other bad shots are looked at first


@dataclass
class ReviewResult:
    table: pd.DataFrame  # review.parquet: one row per finding; once stored, with its status (Workspace.review)
    scores: pd.DataFrame  # quality.parquet: id and each image's quality scores
    # per kind they are about: what was not looked for and why (no labels, no splits), how far findings hold
    kind_notes: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # per part
    kinds: tuple[str, ...] = REVIEW_KINDS  # what was looked for
    kept: int = 0  # findings of other kinds that the stored review already held, kept beside these
    splits: tuple[str, ...] | None = None  # as given (or stored from an earlier review); None: by folder names

    @property
    def summary(self) -> pd.DataFrame:
        return summary(self.table)

    @property
    def notes(self) -> list[str]:
        return [note for notes in self.kind_notes.values() for note in notes]


def review_collection(workspace: Workspace | str, config: ReviewConfig = ReviewConfig(),
                      progress: ProgressFactory | None = None) -> ReviewResult:
    """Look for every kind of ``config.kinds``, store the findings and return them."""
    ws = open_workspace(workspace)
    return store_review(ws, find_in_collection(ws, config, progress=progress))


def store_review(workspace: Workspace | str, result: ReviewResult) -> ReviewResult:
    """Write ``find_in_collection``'s result into the workspace (``review.parquet``, ``quality.parquet``,
    ``review_notes.json``) and give its table each finding's status. A review of some kinds (``--kinds
    copy``) replaces those kinds' findings and notes; the stored review's other kinds stay (it is stored
    only while the images and embeddings it was made on are the workspace's)."""
    ws = open_workspace(workspace)
    with workspace_lock(ws.path):
        table, notes = result.table, result.kind_notes
        if ws.has(REVIEW_FILE):
            replaced = set(result.kinds) | set(table["kind"]) | ({"similar"} if "copy" in result.kinds else set())
            before = ws.read(REVIEW_FILE)
            others = before[~before["kind"].isin(list(replaced))]
            result.kept = len(others)
            others = pd.concat([others, _decided_and_gone(ws, before, table, replaced)])
            if len(others):
                order = {k: i for i, k in enumerate(REVIEW_KINDS)}
                table = pd.concat([others, table], ignore_index=True).sort_values(
                    "kind", key=lambda kind: kind.map(order), kind="stable").reset_index(drop=True)
            notes = {**{k: n for k, n in (ws.review_notes() or {}).items() if k not in replaced}, **notes}
        ws.write_artifact(QUALITY_FILE, result.scores)
        ws.write_artifact(REVIEW_NOTES_FILE, {"notes": notes})
        ws.write_artifact(REVIEW_FILE, table)
        if result.splits and "leak" in result.kinds:  # the next review keeps the same split first
            ws.manifest = update_manifest(ws.path, {REVIEW_SPLITS: list(result.splits)})
    stored = ws.review()  # the new kinds' rows, in their order, now with their status
    result.table = stored[stored["kind"].isin(result.table["kind"].unique())].reset_index(drop=True)
    for note in result.notes:
        log.info(note)
    return result


def _decided_and_gone(ws: Workspace, before: pd.DataFrame, table: pd.DataFrame, replaced: set) -> pd.DataFrame:
    """The stored review's rows, of the kinds looked for again, that a person decided (accepted or
    dismissed) and the new review no longer finds (an accepted leak: its image is set aside, so no pair
    names it; a label relabelled): kept, so that what was decided stays counted. Ungrouped kinds only:
    a copy group's numbers are the new review's."""
    stored = ws.review()
    if stored is None or stored.empty:
        return before.iloc[:0]
    found = set(zip(table["id"].astype(int), table["kind"]))
    again = np.array([(int(i), k) in found for i, k in zip(stored["id"], stored["kind"])], bool)
    keep = stored["kind"].isin(list(replaced)).to_numpy() & stored["status"].isin(["accepted", "dismissed"]).to_numpy() \
        & (stored["group"] < 0).to_numpy() & ~again
    return stored.loc[keep, list(before.columns)]


def find_in_collection(workspace: Workspace | str, config: ReviewConfig = ReviewConfig(),
                       progress: ProgressFactory | None = None, tags=None) -> ReviewResult:
    """The findings of every kind of ``config.kinds``, written nowhere (``store_review`` writes them):
    so it can run in another process (``imgorg run`` runs it beside its map: ``parallel.Beside``).
    ``tags``: the images' ImageNet tags where the workspace does not hold them yet (the run's)."""
    start = time.perf_counter()
    ws = open_workspace(workspace)
    config.validate()
    config = with_stored_splits(config, ws.manifest, ws.images["path"])
    images, kinds, seconds, parts = ws.images, set(config.kinds), {}, []
    index = RememberedSearch(ws.search_index())  # copies and outliers ask for the same neighbours
    split = split_of(images["path"], config.splits)

    def timed(name: str, compute):
        start = time.perf_counter()
        out = compute()
        seconds[name] = round(time.perf_counter() - start, 3)
        return out

    copies = bool(kinds & {"copy", "leak", "similar"})
    with kept_pixels_folder(ws.path / CACHE, catalog_sizes(images)) if copies else nullcontext() as folder, \
            first_read_decodes(ws.path / CACHE) as stored:
        scores, thumbnails, kept, grays = _first_read(ws, copies, folder, stored, timed, progress)
        # pages and screens: white paper and a white app are not overexposed, a dark theme not dark; and
        # for the copy check, two of them are copies or nothing (screenshots of one app are no burst)
        page = pages(tags if tags is not None else ws.tags(), len(images)) | screenshots(images)
        flags = quality_flags(scores.drop(columns="id"), ids=np.arange(len(images)), page=page) \
            .rename(columns={"id": "row"})
        bad = sorted(kinds & {"blurry", "dark", "overexposed", "low_information", "odd_size", "odd_aspect"})
        if bad:
            shown = flags[flags["kind"].isin(bad)].copy()
            shown["action"] = shown["kind"].map(BAD_SHOT_ACTIONS).fillna("look")
            parts.append(shown)
        pairs = pd.DataFrame({"a": [], "b": [], "kind": [], "similarity": []})
        copy_group = np.full(len(images), -1, np.int64)  # per row: its group of copies, for the label classifier
        if copies:
            blurry = set(images["id"].to_numpy()[flags.loc[flags["kind"] == "blurry", "row"].to_numpy(int)].tolist())
            found, shots = _copies(ws, config, index, thumbnails, kept, grays, blurry, split, timed, progress, page)
            parts.append(shots)
            pairs = pd.concat([copy_pairs(found), _similar_pairs(shots)], ignore_index=True)
            copy_group[found["row"].to_numpy(np.int64)] = found["group"].to_numpy(np.int64)
            if "copy" in kinds:
                parts.append(found)
    if "outlier" in kinds:
        knn = timed("outliers", lambda: outlier_scores(ws.embeddings, index=index))
        parts.append(outlier_findings(knn, config.outlier_z))
    if "leak" in kinds and split is not None:
        gone = ws.removed()  # an image whose copy in another split was set aside leaks no more
        rows = pairs[["a", "b"]].to_numpy(np.int64)
        pairs = pairs[~(gone[rows[:, 0]] | gone[rows[:, 1]])] if len(pairs) else pairs
        leaks = leak_findings(images, split, pairs, config.splits)
        parts.append(leaks.assign(kind="leak", group=-1, action="remove", score=leaks["similarity"]))
    notes = {kind: [note] for kind, note in not_looked_for(images, split is not None, kinds).items()}
    if "label_issue" in kinds and has_classes(images):
        relabel, right = timed("labels", lambda: _label_findings(ws, config, copy_group))
        parts.append(relabel)
        notes["label_issue"] = [f"label issues: the classifier behind them gets {right:.0%} of the given labels "
                                "right out of fold; the lower this is, the more of its suggestions are wrong"]
    left_out = left_out_splits(images["path"], config.splits) if "leak" in kinds else []
    if left_out:
        notes.setdefault("leak", []).append(
            f"{', '.join(left_out)} not among the splits given ({','.join(config.splits)}): no leaks into or out "
            f"of {'it' if len(left_out) == 1 else 'them'} looked for")
    table = findings_frame(parts, images)
    if split is not None:
        table["split"] = pd.array([split[r] for r in ws.rows_of(table["id"])], dtype="string")
    seconds["total"] = round(time.perf_counter() - start, 3)
    return ReviewResult(table, scores, notes, seconds, kinds=tuple(config.kinds), splits=config.splits)


def with_stored_splits(config: ReviewConfig, manifest: dict, paths=None) -> ReviewConfig:
    """``config`` with the splits the workspace's last review was given (``REVIEW_SPLITS``) where it names
    none: which split keeps a shared image must not flip back to train first on the next review. Not
    where one of them is no longer a top-level folder of ``paths``."""
    stored = manifest.get(REVIEW_SPLITS)
    if config.splits is not None or not stored:
        return config
    if paths is not None and not set(stored) <= {str(p).split("/", 1)[0] for p in paths if "/" in str(p)}:
        return config
    log.info("splits in the order %s, as the last review was given them (--splits changes it)", ",".join(stored))
    return replace(config, splits=tuple(stored))


def find_in_run(out: str | Path, config: ReviewConfig, handed: tuple | None = None,
                progress: ProgressFactory | None = None) -> ReviewResult:
    """``find_in_collection`` for ``imgorg run``, in its process beside (``tasks.run``): on ``handed``, the
    run's (catalog, embeddings as stored, source root, ImageNet tags or None) once embedded, before its
    workspace is written: the review needs no clusters, so it runs beside the clustering and the map;
    without, on the workspace written at ``out``."""
    if handed is None:
        return find_in_collection(out, config, progress=progress)
    catalog, embeddings, root, tags = handed
    n = len(embeddings)
    unsaved = Workspace(Path(out), {"source": {"root": str(root)}}, catalog, embeddings,
                        np.empty((n, 0), np.float32), pd.DataFrame(index=range(n)), {})
    return find_in_collection(unsaved, config, progress=progress, tags=tags)


def _first_read(ws: Workspace, copies: bool, folder: Path | None, stored, timed, progress: ProgressFactory | None):
    """(quality scores with the images' ids, thumbnails, {row: kept working pixels}, {row: kept grey pixels}).
    Where copies are looked for, one read (and one decode) per image serves the thumbnails and the
    quality scores, and keeps in ``folder`` the pixels the copy and crop checks would decode again
    (``review.kept``); ``stored``: the first reads the embed stage made (``review.kept.stored_first_read``),
    by sha256, or None. Else the quality scores alone are read."""
    gone = {i for i, kind in ws.removal_kinds().items() if kind == GONE}  # deleted from the folder: not read
    paths = [None if int(i) in gone else p for i, p in zip(ws.images["id"], ws.images["path"].astype(str))]
    thumbnails, kept, grays, absent = None, {}, {}, sum(p is None for p in paths)
    if copies:
        keeping = functools.partial(spill_keeping, str(folder)) if folder is not None else measure
        shas = ws.images["sha256"].tolist() if "sha256" in ws.images.columns and folder is not None else None
        thumbnails = timed("thumbnails", lambda: image_thumbnails(ws.root, paths, progress, decode=shared_decode,
                                                                  measure=keeping, stored=stored if shas else None,
                                                                  keys=shas))
        measured = thumbnails.measured
        if folder is not None:
            kept = {row: one[1] for row, one in enumerate(measured) if one is not None and one[1] is not None}
            grays = {row: one[2] for row, one in enumerate(measured) if one is not None and one[2] is not None}
            measured = [None if one is None else one[0] for one in measured]
        scores = quality_frame(measured, absent)
    else:
        scores = timed("quality", lambda: quality_scores(paths, ws.root, progress))
    scores = _catalog_sizes(scores, catalog_sizes(ws.images))
    scores.insert(0, "id", ws.images["id"].to_numpy())
    return scores, thumbnails, kept, grays


def _catalog_sizes(scores: pd.DataFrame, sizes: np.ndarray) -> pd.DataFrame:
    """``scores`` with each measured image's width, height and aspect as the catalog has them: a camera
    RAW's decode is its embedded preview (1620x1080 for a 6000x4000 DNG), odd in size beside the photos."""
    known = np.isfinite(sizes).all(axis=1) & scores["width"].notna().to_numpy()
    scores = scores.copy()
    scores.loc[known, "width"], scores.loc[known, "height"] = sizes[known, 0], sizes[known, 1]
    scores.loc[known, "aspect"] = sizes[known, 0] / sizes[known, 1]
    return scores


def _copies(ws: Workspace, config: ReviewConfig, index, thumbnails, kept: dict, grays: dict, blurry: set,
            split: np.ndarray | None, timed, progress: ProgressFactory | None,
            page: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(copy findings, similar-shot findings): the copy search, then its groups checked by aligning
    their photos (or, with the `similar` kind, every candidate pair aligned); across splits, the copy
    kept is in the split that keeps what splits share. ``page``: per row, whether it is a page or a
    screen: by its tags (``review.quality.pages``) or a screenshot by its file (``review.quality.screenshots``)."""
    images = ws.images
    by_id = images.set_index("id")
    agreed: dict = {}  # fine detail compared: the copy check's judge and drop_unlike_copies ask of the same pairs
    moments = shot_moments(images)
    judge = lambda a, b, kind: judge_pair(images, ws.root, page, a, b, kind, by_id, agreed, moments)  # noqa: E731
    groups = timed("copies", lambda: duplicate_table(images, ws.embeddings, ws.root, index=index,
                                                     progress=progress, keypoint_checks=config.keypoint_checks,
                                                     thumbnails=thumbnails, decoded=grays))
    first_kept = set(groups.loc[groups["keep"], "id"].astype(int))
    rescore = lambda found: rescored(found, images, ws.embeddings, thumbnails, first_kept)  # noqa: E731
    groups = drop_recoloured(drop_edits(drop_videos(groups, images), images), images, ws.root, kept)
    groups = rescore(prefer_by_pixels(groups, images, ws.root, blurry))
    if "similar" not in config.kinds:  # the copies of photos checked by aligning them: a burst shot is no copy
        groups, found, shots = timed("copy check", lambda: _checked_copies(ws, groups, progress, kept, split,
                                                                            config.splits, rescore, judge, agreed))
        return found, shots
    # copies told from similar shots by aligning each candidate pair: stricter copy groups
    crops = crop_pairs(groups, images)
    series = timed("similar", lambda: series_table(images, ws.embeddings, ws.root, index=index,
                                                   progress=progress, crops=crops, kept=kept, judge=judge,
                                                   thumbnails=thumbnails))
    groups = copy_groups(series, images, ws.embeddings, ws.root, thumbnails, crops)
    groups = drop_recoloured(drop_edits(drop_videos(groups, images), images), images, ws.root, kept)
    groups = prefer_by_pixels(groups, images, ws.root, blurry)
    groups = rescore(prefer_split(drop_unlike_copies(groups, images, ws.root, agreed), images, split, config.splits))
    return copy_findings(groups, images, ws.root), similar_findings(series, images)


def _checked_copies(ws: Workspace, groups: pd.DataFrame, progress: ProgressFactory | None,
                    kept: dict[int, np.ndarray] | None, split: np.ndarray | None = None,
                    splits: tuple[str, ...] | None = None,
                    rescore=lambda groups: groups, judge=None,
                    agreed: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(copy groups, their findings, similar-shot findings): the pairs of photos within each copy group
    aligned (``review.series.checked_copy_groups``); images that do not align as copies of each other
    form a series of similar shots instead. ``rescore``: ``review.copies.rescored`` for the review's
    images, embeddings and thumbnails; ``judge``: ``review.copies.judge_pair`` for them; ``agreed``: the
    fine-detail comparisons ``judge`` made (``review.copies.fine_agreement``)."""
    images = ws.images
    checked, series = checked_copy_groups(images, ws.root, groups, progress, kept, judge=judge)
    checked = rescore(prefer_split(drop_unlike_copies(checked, images, ws.root, agreed), images, split, splits))
    shots = similar_findings(series, images)
    shots["group"] += int(checked["group"].max()) + 1 if len(checked) else 0  # series numbered after the copies
    return checked, copy_findings(checked, images, ws.root), shots


def _similar_pairs(shots: pd.DataFrame) -> pd.DataFrame:
    """(a, b, kind, similarity) of similar shots that leak: a similar shot in another split leaks too, where
    it scores as a near copy would (0.82): at the series' own 0.70, look-alikes of two kinds (a dog, a
    horse) met across splits."""
    looked = shots[(shots["action"] == "look") & (shots["score"] >= DEFAULT_THRESHOLD)]
    return pd.DataFrame({"a": looked["partner"].astype(np.int64).to_numpy(), "b": looked["row"].to_numpy(np.int64),
                         "kind": "similar", "similarity": looked["score"].to_numpy(float)})


def has_classes(images: pd.DataFrame) -> bool:
    """Whether label issues can be looked for: two or more classes among the labels (folder names)."""
    return images["label"].dropna().nunique() >= 2


def not_looked_for(images: pd.DataFrame, has_splits: bool, kinds=REVIEW_KINDS) -> dict[str, str]:
    """What a review of ``kinds`` could not look for in this collection, and why, by the kind not looked
    for: said once, not an error."""
    notes = {}
    if "leak" in kinds and not has_splits:
        notes["leak"] = ("no leaks looked for: the collection has no splits (top-level folders train, val, "
                         "valid, validation, test; or --splits a,b)")
    if "copy" in kinds and "similar" not in kinds and len(images) and not photo_sized(images).any():
        # the default review tells similar shots from copies only among photos; `--kinds similar` aligns every pair
        notes["similar"] = (f"no similar shots looked for: every image is under {MIN_SIDE} px, where a copy and "
                            "another shot of the scene are hard to tell apart (such pairs stay copies; `--kinds "
                            "similar` aligns each pair)")
    if "label_issue" in kinds and not has_classes(images):
        from ..sources import why_no_labels

        # folders that are no classes by their names (DCIM/, 1970s/, Album 3/) say so, as `imgorg run` does
        why = why_no_labels(images["path"].astype(str)) if "path" in images and images["label"].isna().all() else None
        notes["label_issue"] = "no label issues looked for: " + (
            why.removeprefix("No labels: ") if why else
            "fewer than two classes have labels (labels are the images' folder names)")
    return notes


def stored_notes(ws: Workspace) -> list[str]:
    """The stored review's notes (``Workspace.review_notes``) in one list; for a review stored without
    them, what the collection itself tells (``not_looked_for``)."""
    stored = ws.review_notes()
    if stored is None:
        table = ws.review()
        return list(not_looked_for(ws.images, table is not None and bool(table["split"].notna().any())).values())
    return [note for notes in stored.values() for note in notes]


def _label_findings(ws: Workspace, config: ReviewConfig,
                    copy_group: np.ndarray | None = None) -> tuple[pd.DataFrame, float]:
    """(images whose label is probably wrong, from out-of-fold predictions of a classifier on the
    embeddings fitted across the whole labelled collection (every split); the share of labelled
    images whose given label those predictions name). Images set aside take no part: a blank frame
    removed would come back as a label issue, and teach the classifier its label. ``copy_group``: per
    row, its group of copies the review found (-1: none), held out together and no votes for each other."""
    labels = ws.images["label"].where(~ws.removed())
    probs, classes = out_of_fold_probabilities(ws.embeddings, labels, folds=config.folds, seed=config.seed,
                                               groups=copy_group)
    issues = label_issues(labels, probs, classes)
    known = labels.notna().to_numpy()
    right = float((classes[probs[known].argmax(axis=1)] == labels[known].astype(str).to_numpy()).mean())
    sure, named, alike = sure_relabels(labels, probs, classes, issues["confidence"], floor=SURE_RELABEL)

    def why_a_look(c, share, n) -> str:
        if c < SURE_RELABEL:
            return f"; under {SURE_RELABEL:.0%}: a look before relabelling"
        images = f"the {n:,} labels" if n > 1 else "the one label"
        if share < SURE_SHARE:
            return f"; a look: the classifier agrees with only {share:.0%} of {images} it is this sure of"
        return f"; a look: the classifier agrees with {share:.0%} of {images} it is this sure of, too few to be sure"

    return pd.DataFrame({
        "row": issues["row"].to_numpy(np.int64), "kind": "label_issue", "score": issues["score"].to_numpy(float),
        "action": np.where(sure, "relabel", "look"), "suggested": issues["suggested"].astype(str).to_numpy(),
        "reason": [f"labelled {g!r}, but it looks like {s!r} ({int(c * 100)}% by a classifier that never saw its label, and "
                   f"that gets {right:.0%} of the given labels right)"  # said where each suggestion is shown
                   + ("" if ok else why_a_look(c, share, n))
                   for g, s, c, ok, share, n in zip(issues["given"], issues["suggested"], issues["confidence"], sure,
                                                    named, alike)]}), right


def check_kind(kind: str) -> str:
    """A kind of finding; an unknown one is a ConfigError that lists them."""
    if kind not in REVIEW_KINDS:
        raise ConfigError(f"unknown kind {kind!r}; kinds: {', '.join(REVIEW_KINDS)}")
    return kind


def open_findings(ws: Workspace, kind: str | None = None, ids=None) -> pd.DataFrame:
    """The stored review's open findings (``review.table.is_open``) of one kind or of some images."""
    table = ws.review()
    if table is None:
        raise ConfigError(f"{ws.path} has no review yet: run `imgorg review {ws.path}` first")
    chosen = table[is_open(table)]
    if kind is not None:
        chosen = chosen[chosen["kind"] == check_kind(kind)]
    if ids is not None:
        ids = [int(i) for i in np.atleast_1d(np.asarray(ids, dtype=object))]  # one id, or several
        ws.rows_of(ids)  # an id of no image is refused, naming it
        chosen = chosen[chosen["id"].isin(ids)]
    return chosen


def accept_findings(workspace: Workspace | str, kind: str | None = None, ids=None) -> list[EditResult]:
    """Act on the suggestions of open findings (one kind, some images, or both): images to remove or to
    look at are removed (a copy kept in their place takes their cluster and the capture time and GPS it
    lacked), wrong labels are relabelled. One edit per action, so ``undo`` takes each back. Findings
    that only ask for a look (a blurry shot, a similar one, an outlier) are acted on where a kind or
    images are named, not by accepting every kind at once."""
    ws = open_workspace(workspace)
    chosen = open_findings(ws, kind, ids)
    looks = 0
    if kind is None and ids is None:
        looks = int((chosen["action"] == "look").sum())
        chosen = chosen[chosen["action"] != "look"]
        if looks:
            log.warning("%d finding(s) that ask for a look are left open: accept them by kind (--accept blurry) "
                        "or by image", looks)
    if chosen.empty:
        what = f"{kind} " if kind else ""
        left = f"; {looks} that ask for a look are accepted by kind or by image" if looks else ""
        raise ConfigError(f"no open {what}finding to accept{' among those images' if ids is not None else ''} "
                          f"(`imgorg review WS --show KIND` lists them{left})")
    done = []
    wrong_label = (chosen["kind"] == "label_issue").to_numpy()  # relabelled, also where they asked for a look
    relabel = chosen[wrong_label].drop_duplicates("id")
    if len(relabel):
        done.append(edit_clusters(ws, Relabel(tuple(relabel["id"]), tuple(relabel["suggested"].astype(str)))))
    removals = _one_stays(chosen[~wrong_label], ws.curated().removed)
    if len(removals):
        kept = tuple(None if pd.isna(p) else int(p) for p in removals["partner"])
        done.append(edit_clusters(done[-1].workspace if done else ws,
                                  Remove(tuple(removals["id"]), kept, tuple(removals["kind"]))))
    if not done:
        raise ConfigError("nothing to accept: each of these images is the copy kept for an image set aside, "
                          "or its own kept copy was set aside (`imgorg review WS --show KIND` lists them)")
    return done


def _one_stays(removals: pd.DataFrame, removed: dict) -> pd.DataFrame:
    """The removals that leave each kept image in place, one row per image: taken leaks first (their
    split order decides), then by kind; an image another removal keeps in its place stays, and so does
    one whose own kept partner is set aside (a leak and a similar shot that name each other)."""
    if removals.empty:
        return removals
    order = {**{k: i for i, k in enumerate(REVIEW_KINDS)}, "leak": -1}
    removals = removals.assign(_kind=removals["kind"].map(order), _partnered=removals["partner"].notna())
    removals = removals.sort_values(["_kind", "_partnered"], ascending=[True, False], kind="stable")
    gone, keeps, rows, skipped = set(removed), {int(k) for k in removed.values() if k is not None}, [], 0
    for index, image, partner in zip(removals.index, removals["id"], removals["partner"]):
        image, partner = int(image), None if pd.isna(partner) else int(partner)
        if image in gone:
            continue  # in several findings: removed once, with the first one's kept copy
        if image in keeps or partner in gone:
            skipped += 1
            continue
        gone.add(image)
        if partner is not None:
            keeps.add(partner)
        rows.append(index)
    if skipped:
        log.warning("%d image(s) stay: each is the copy kept for another image set aside, or its own kept copy "
                    "was set aside", skipped)
    return removals.loc[rows].drop(columns=["_kind", "_partnered"])


def dismiss_findings(workspace: Workspace | str, kind: str, ids=None) -> EditResult:
    """Keep the images of open findings of one kind as they are ("keep both"): not shown again."""
    ws = open_workspace(workspace)
    chosen = open_findings(ws, check_kind(kind), ids)
    if chosen.empty:
        raise ConfigError(f"no open {kind} finding to dismiss{' among those images' if ids is not None else ''}")
    return edit_clusters(ws, Dismiss(tuple(chosen["id"].drop_duplicates()), kind))
