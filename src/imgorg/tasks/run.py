"""``run``: organize a folder or a dataset into a workspace (``imgorg run``), and ``embed_only``.

Opens the source, runs the pipeline's stages (``imgorg.pipeline``), keeps or drops the earlier
results by the artifact registry and applies the rerun policy for curated workspaces
(``tasks.rerun``), then writes the workspace and makes its map (and, past 200,000 images, its
search index).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import AddConfig, IndexConfig, ReviewConfig, RunConfig
from ..constants import CURATED, GONE_IMAGES, REVIEW_BESIDE_STAGE, REVIEW_STAGE
from ..embed import EmbedResult, resolve_device
from ..embed.tags import tags_frame
from ..errors import ConfigError, WorkspaceError
from ..fileio import file_sha256
from ..index import EXACT_MAX
from ..pipeline import analyse, catalog_and_embed, manifest_of, open_source, timed
from ..progress import ProgressFactory
from ..sources import normalize_catalog, scan_source
from ..views import Workspace, load_workspace
from ..workspace import (
    ARTIFACTS, CACHE, EDITS_FILE, INDEX_RECORD, PCA_FILES, QUALITY_FILE, REVIEW_FILE, SKIPPED_FILE, TAGS_FILE,
    CarryOver, discard_edit_log, drop_damaged_artifacts, plan_carry_over, previous_manifest, read_artifact, stored_dtype, update_manifest,
    workspace_lock,
)
from ..curation import describe
from ..persons import renumber
from ..workspace.artifacts import EDITS, PERSON_EDITS_FILE
from ..workspace.storage import CATALOG
from .add import add_images, place_changed, refresh_images
from .index import build_search_index
from .map import make_map
from .rerun import clustering_changes, edits_would_be_lost, is_curated, same_run, source_changes
from .saving import input_fingerprints, rerecorded, save_workspace

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    workspace: Workspace
    timings: dict[str, float]  # seconds per stage
    n_computed: int  # images embedded in this run (the rest came from the cache)
    n_cached: int  # images whose embedding was in the cache before this run
    skipped: pd.DataFrame | None = None  # files under the source that are not images, with the reason
    added: object | None = None  # a rerun into a curated workspace that added images: the AddResult
    n_copies: int = 0  # byte-identical copies of another image of this run: embedded once, counted here
    review: object | None = None  # with ``run(review=...)``: the ReviewResult (``tasks.review``)
    review_error: Exception | None = None  # ...or why the review failed (the run itself is complete)

    @property
    def failed(self) -> pd.DataFrame:
        """The image files that could not be used (path, status, error: the reason), as `imgorg run`
        lists them; they are in the catalog, not among the images (``workspace.failures``)."""
        return self.workspace.failures


def run(source: str | Path, out: str | Path | None = None, config: RunConfig | None = None,
        progress: ProgressFactory | None = None, *, split: str | None = None, data: str | Path | None = None,
        limit: int | None = None, sample: int | None = None, discard_edits: bool = False,
        review: ReviewConfig | None = None) -> RunResult:
    """Organize the images under ``source`` into a workspace at ``out``.

    ``source`` is a folder, or a dataset name (``imgorg.datasets.DATASETS``, with ``split``
    and ``data`` = where its archive is), materialised once into a folder. ``limit`` keeps
    the first N images, ``sample`` a random N (stratified by label, seeded by the cluster
    seed) before anything is embedded.

    Into a workspace someone has curated (``imgorg clusters``): the same folder with the same
    settings, grown by new images, adds them to the curated clusters (``imgorg add``); a run
    that would change the clustering the edits were made on is refused unless ``discard_edits``.
    ``review``: the run ends with the collection's review (``tasks.review``), in ``RunResult.review``.
    The embed stage keeps its decodes of large JPEGs for it (``review.kept.first_read_keeper``), and
    it runs in a spawned process while this one clusters and makes the map (``_review_beside``).
    """
    _check_types(source, config, review)
    config = (config or RunConfig()).validate()
    if review is not None:
        review.validate()  # said before anything is embedded; a split the folder lacks, only at the review
    source, out, described = open_source(source, out, config, progress, split, data, limit, sample)
    timings: dict[str, float] = {}
    with workspace_lock(out):
        previous = previous_manifest(out)
        if previous and _drop_damaged(out):
            previous = previous_manifest(out)
        if review and previous:
            from .review import with_stored_splits

            folders = [f"{d.name}/" for d in Path(source).iterdir() if d.is_dir()] if Path(source).is_dir() else None
            review = with_stored_splits(review, previous, folders)  # a rerun keeps the split order a review was given
        if is_curated(previous) and not discard_edits:
            changed = clustering_changes(previous, config)
            if changed:  # refused before any embedding: these settings make another clustering
                raise ConfigError(edits_would_be_lost(out, read_artifact(out, EDITS_FILE), changed))
            if same_run(previous, described, config):
                grown = _grow(out, source, progress)
                if review and grown.added.added.empty and not grown.added.reshaped and grown.workspace.has(REVIEW_FILE):
                    grown.review = _stored_review(grown.workspace)  # nothing new: the stored review holds
                elif review:
                    grown.review, grown.review_error = _reviewed(grown.workspace, review, progress, grown.timings)
                return grown
        # the review's process starts now, so that its imports ride on the run's own; it waits until the
        # images are embedded (``Beside.go``), then runs beside the clustering and the map
        beside = _review_beside(out, review, progress) if review else None
        if not review:
            _drop_first_read(out)  # kept by an earlier run killed outright; nothing will read it now
        try:
            first_read = _first_read_keeper(out, config) if review else None
            embedded, skipped = catalog_and_embed(source, out, config, timings, progress, limit, sample, needed=2,
                                                  first_read=first_read)
            if beside is not None and _hand_over(embedded.embeddings) and not is_curated(previous):
                beside.go(_handed_to_review(embedded, described, config))  # (a kept edit log: once written, below)
            device = resolve_device(config.embed.device)  # every stage on the GPU when the embedding is
            ws, reducer = analyse(embedded.embeddings, embedded.catalog, config, timings, progress, device)
            ws.path = out
            ws.manifest = {**manifest_of(described, config, embedded, timings, skipped), **ws.manifest}
            with timed(timings, "write"):
                carry = plan_carry_over(previous, input_fingerprints(ws))
                if is_curated(previous) and EDITS.name in carry.dropped and not discard_edits:
                    raise ConfigError(edits_would_be_lost(out, read_artifact(out, EDITS_FILE),
                                                          source_changes(previous, described)))
                if previous:
                    remade = {"tags", "skipped", "pca", *(["map"] if config.map.method != "none" else []),
                              *(["review"] if review else [])}  # made again by this run
                    _say_what_is_replaced(out, previous, described, carry, remade)
                numbered = _image_ids_by_content(out) if previous else None
                save_workspace(ws, carry)
                if numbered is not None:
                    _renumber_person_log(ws, numbered)
                if EDITS.name in carry.dropped:  # only with --discard-edits (refused above otherwise)
                    discard_edit_log(out)
                ws.write_artifact(SKIPPED_FILE, skipped)
                for part, array in reducer.fitted_arrays().items():  # `imgorg add` reduces new images with it
                    ws.write_artifact(PCA_FILES[part], array)
                if embedded.tags is not None:  # the backbone's own ImageNet classes: names and word search
                    ws.write_artifact(TAGS_FILE, tags_frame(ws.images["id"].to_numpy(), embedded.tags))
            if beside is not None and len(ws.images) <= EXACT_MAX:  # where not yet gone (once only)
                beside.go()
            if config.map.method != "none" and len(ws.images) > config.map.dims + 1 and not ws.maps(config.map.dims):
                with timed(timings, "map"):
                    make_map(ws, config.map, device)
            if len(ws.embeddings) > EXACT_MAX and not ws.has(INDEX_RECORD):  # search past this needs an ANN index
                with timed(timings, "index"):
                    build_search_index(ws, IndexConfig())
            ws.manifest = update_manifest(out, {"timings": timings})  # with the stages that ran after the write
            reviewed, failed = _reviewed(ws, review, progress, timings, beside) if review else (None, None)
            if review:
                ws.manifest = update_manifest(out, {"timings": timings})
        except BaseException:
            if beside is not None:
                beside.cancel()
            _drop_first_read(out)  # what the embed stage kept for a review that will not come
            raise
    return RunResult(ws, timings, embedded.n_computed, embedded.n_cached, skipped, n_copies=embedded.n_copies,
                     review=reviewed, review_error=failed)


def _review_beside(out: Path, review: ReviewConfig, progress):
    """The review, in another process (``parallel.Beside``) started before the run's stages: its imports
    (about 2 s of CPU) ride on the run's own. It needs no clusters: told to go once the images are
    embedded, it runs beside the clustering (which leaves part of a core idle) and the map (one core of
    two busy: UMAP). Embeddings too large to hand over (``_hand_over``): on the written workspace, past
    EXACT_MAX images once its search index is made."""
    from ..parallel import Beside
    from .review import find_in_run

    return Beside(find_in_run, (out, review), progress, wait_for_go=True)


# The embeddings go to the review's process through a pipe, copied on both sides while they travel:
# up to this size (50,000 images of 1280 dimensions); past it the review waits for the written
# workspace and maps its embeddings.npy instead.
HANDED_MAX_BYTES = 256 << 20


def _hand_over(embeddings: np.ndarray) -> bool:
    """Whether the review beside starts on the run's embeddings, before the workspace is written."""
    return len(embeddings) <= EXACT_MAX and embeddings.size * 4 <= HANDED_MAX_BYTES


def _handed_to_review(embedded: EmbedResult, described: dict, config: RunConfig) -> tuple:
    """What the review beside needs of the run before its workspace is written: the catalog, the
    embeddings as the workspace stores them (float16 where asked), the source folder and the tags."""
    stored = stored_dtype({"config": config.to_dict()})  # the workspace's own rule
    embeddings = np.asarray(embedded.embeddings).astype(stored, copy=False).astype(np.float32, copy=False)
    return embedded.catalog, embeddings, described["root"], embedded.tags


def _reviewed(ws: Workspace, review: ReviewConfig, progress, timings: dict[str, float], beside=None):
    """(the review's result, stored in ``ws``, or None; the exception it failed with, or None): the run
    is complete and written either way. ``beside``'s result (its clock in ``timings[REVIEW_BESIDE_STAGE]``),
    else found here; ``timings[REVIEW_STAGE]``: what it added to the run, after the run's own stages."""
    from .review import find_in_collection, store_review

    try:
        with timed(timings, REVIEW_STAGE):
            if beside is not None:
                beside.go()  # past EXACT_MAX: on the written workspace, with its index
            result = beside.result() if beside is not None else find_in_collection(ws, review, progress=progress)
            store_review(ws, result)
    except Exception as error:  # noqa: BLE001 - said by the caller, after the run's own summary
        return None, error
    if beside is not None:
        timings[REVIEW_BESIDE_STAGE] = result.seconds.get("total", 0.0)
    return result, None


def _drop_first_read(out: Path) -> None:
    from ..review.kept import drop_first_read

    drop_first_read(Path(out) / CACHE)


def _first_read_keeper(out: Path, config: RunConfig):
    """``review.kept.first_read_keeper`` for this run's model input, where the local engine embeds
    with one backbone (Ray's decoders may run on other machines; a combined backbone decodes per part)."""
    from ..embed.backbones import COMBINE, preprocess_for
    from ..embed.preprocess import MODEL_REDUCE_GAP
    from ..review.kept import first_read_keeper

    if config.embed.engine != "local" or COMBINE in config.embed.backbone:
        return None
    return first_read_keeper(Path(out) / CACHE, (preprocess_for(config.embed).input_size, MODEL_REDUCE_GAP))


def embed_only(source: str | Path, out: str | Path | None = None, config: RunConfig | None = None,
               progress: ProgressFactory | None = None, *, split: str | None = None,
               data: str | Path | None = None, limit: int | None = None,
               sample: int | None = None) -> tuple[EmbedResult, Path]:
    """The embedding stage of ``run`` alone: fills the workspace's embedding cache.

    For embedding on a cluster (``engine="ray"``) and analysing on one machine: a later
    ``run`` with the same ``out`` and backbone embeds nothing."""
    config = (config or RunConfig()).validate()
    source, out, _ = open_source(source, out, config, progress, split, data, limit, sample)
    with workspace_lock(out):
        return catalog_and_embed(source, out, config, {}, progress, limit, sample)[0], out


def _stored_review(ws: Workspace):
    """The review the workspace holds, as a run's result: a rerun that added nothing does not look again."""
    from .review import ReviewResult

    return ReviewResult(ws.review(), ws.read(QUALITY_FILE), ws.review_notes() or {}, seconds={"stored": 0.0})


def _grow(out: Path, source: Path, progress) -> RunResult:
    """The curated workspace at ``out`` with the images added to ``source`` since (``imgorg add``). An
    image whose content moved (a renamed or moved file) keeps its place under its new path; one changed
    in place is read again under its id (``add.refresh_images``); one whose file is gone is set aside
    while it is gone (``curation.set_gone``: it comes back where it was when the file does). Images
    `imgorg add` took from another folder (absolute paths) are looked for where they were, and refused
    where they changed there. ``RunResult.added.reshaped`` says whether images moved, changed or went
    (the review is looked at again)."""
    start = time.perf_counter()
    try:
        ws = load_workspace(out)
    except WorkspaceError as err:  # a core file or the edit log: nothing to grow
        raise WorkspaceError(f"{err} (with --discard-edits, which drops the edits it holds: a damaged workspace "
                             "cannot keep them)") from None
    scanned = scan_source(source, progress=progress)
    now = set(zip(scanned.catalog["path"], scanned.catalog["sha256"]))
    paths = set(scanned.catalog["path"])
    missing = [(int(i), p, sha) for i, p, sha in zip(ws.images["id"], ws.images["path"], ws.images["sha256"])
               if (p, sha) not in now and not (Path(p).is_absolute() and _unchanged(Path(p), sha))]
    moved = _moved(missing, scanned.catalog, set(ws.catalog["path"]))
    changed = {i: p for i, p, _ in missing if i not in moved and p in paths}  # rotated, re-saved, rated in the file
    elsewhere = [p for i, p, _ in missing if i not in moved and i not in changed and Path(p).exists()]
    if elsewhere:  # added from another folder, changed there: not looked at again by a rerun of this one
        raise ConfigError(f"{len(elsewhere):,} images of the curated workspace {out} changed in place outside "
                          f"{source} (e.g. {elsewhere[0]}); `imgorg add WS FOLDER` on their folder, put them back, "
                          "or pass --discard-edits to cluster the folder anew")
    gone = sorted(i for i, _, _ in missing if i not in moved and i not in changed)
    reshaped = bool(moved) or bool(changed) or gone != sorted(ws.manifest.get(GONE_IMAGES, []))
    if moved:
        ws = _move_images(ws, moved, scanned.catalog)
    if changed:
        before = dict(zip(changed, np.asarray(ws.embeddings)[ws.rows_of(list(changed))]))
        ws = refresh_images(ws, changed, scanned.catalog, progress)
        log.warning("%s: %d image%s changed in place (e.g. %s): read again, kept where %s", out, len(changed),
                    "s" if len(changed) != 1 else "", next(iter(changed.values())),
                    "they were" if len(changed) != 1 else "it was")
        for done in place_changed(ws, before):
            ws = done.workspace
            log.warning("%s %s: each now another picture, placed where it belongs (`imgorg clusters %s undo` takes "
                        "it back)", out, describe(done.edit, ws.cluster_names(CURATED)), out)
    if reshaped:
        update_manifest(out, {GONE_IMAGES: gone})
        ws = load_workspace(out)
        _say_moved_and_gone(out, moved, [p for i, p, _ in missing if i not in moved])
    added = add_images(ws, AddConfig(folder=str(source)), progress, scan=scanned)
    added.reshaped = reshaped
    n_ok = int((added.added["status"] == "ok").sum())
    timings = {"add": round(time.perf_counter() - start, 3)}
    return RunResult(added.workspace, timings, n_ok, len(ws.images), scanned.skipped, added=added)


def _moved(missing: list[tuple[int, str, str]], scanned: pd.DataFrame, held: set[str]) -> dict[int, str]:
    """{image id: its new path} for the missing images whose content is now at a path the workspace does
    not hold (each such path taken once: two moved copies of one picture both find a place)."""
    free: dict[str, list[str]] = {}
    for path, sha in zip(scanned["path"], scanned["sha256"]):
        if path not in held:
            free.setdefault(sha, []).append(path)
    return {i: free[sha].pop(0) for i, _, sha in missing if free.get(sha)}


def _move_images(ws: Workspace, moved: dict[int, str], scanned: pd.DataFrame) -> Workspace:
    """The workspace with its moved images' catalog rows at their new paths (and their shot's files, as
    the scan found them there), saved; what depended on the old paths is dropped as a rerun drops it."""
    rows = scanned.set_index("path")
    catalog = ws.catalog.copy()
    index = catalog.reset_index().set_index("id")["index"]
    for image, path in moved.items():
        catalog.at[index[image], "path"] = path
        for column in ("original", "motion", "sidecars"):
            if column in catalog and column in rows:
                value = rows.at[path, column]
                catalog.at[index[image], column] = None if pd.isna(value) else value
    previous = dict(ws.manifest)
    ws.catalog = normalize_catalog(catalog)
    fingerprints = input_fingerprints(ws)
    same_pictures = set(previous.get("artifacts", {})) - PATH_TABLES  # the same ids hold the same pictures
    save_workspace(ws, plan_carry_over(rerecorded(previous, fingerprints, same_pictures, inputs={"images"}),
                                       fingerprints))
    return load_workspace(ws.path)


# Results that write the images' paths in their tables: a move makes them stale (the rest name images
# by id, and the same ids hold the same pictures)
PATH_TABLES = frozenset({"review", "duplicates", "report", "classifiers"})


def _say_moved_and_gone(out: Path, moved: dict[int, str], gone: list[str]) -> None:
    if moved:
        log.warning("%s: %d image%s moved or renamed in the folder (e.g. now %s): kept where %s, under %s new path%s",
                    out, len(moved), "s" if len(moved) != 1 else "", next(iter(moved.values())),
                    "they were" if len(moved) != 1 else "it was", "their" if len(moved) != 1 else "its",
                    "s" if len(moved) != 1 else "")
    if gone:
        log.warning("%s: %d image%s gone from the folder (e.g. %s): set aside while gone, every edit kept; "
                    "put back, %s where %s", out, len(gone), "s are" if len(gone) != 1 else " is", gone[0],
                    "they come back" if len(gone) != 1 else "it comes back", "they were" if len(gone) != 1 else "it was")


def _image_ids_by_content(out: Path) -> pd.DataFrame | None:
    """(path, sha256, id) of the images of the workspace at ``out`` before a rerun rewrites it."""
    try:
        return read_artifact(out, CATALOG)[["path", "sha256", "id"]]
    except (WorkspaceError, OSError, KeyError, ValueError):
        return None


def _renumber_person_log(ws: Workspace, before: pd.DataFrame) -> None:
    """The people's log (names, merges, ...) with the image ids of this run, found by path and content,
    then by content alone (a photo moved): a rerun numbers images again, and one photo deleted shifts
    the ids after it."""
    if not ws.has(PERSON_EDITS_FILE):
        return
    now = ws.catalog[["path", "sha256", "id"]]
    by_both = before.merge(now, on=["path", "sha256"], suffixes=("_old", ""))
    rest = before[~before["id"].isin(by_both["id_old"])]
    unique = now[~now["id"].isin(by_both["id"])].drop_duplicates("sha256", keep=False)
    by_content = rest.drop_duplicates("sha256", keep=False).merge(unique, on="sha256", suffixes=("_old", ""))
    mapping = {int(a): int(b) for a, b in zip(pd.concat([by_both["id_old"], by_content["id_old"]]),
                                              pd.concat([by_both["id"], by_content["id"]]))}
    if any(a != b for a, b in mapping.items()) or len(mapping) < len(before):
        ws.write_artifact(PERSON_EDITS_FILE, renumber(ws.read(PERSON_EDITS_FILE), mapping))


def _check_types(source, config, review) -> None:
    """Arguments of the wrong kind said as such (a dict for a config failed on `.validate`)."""
    if not isinstance(source, (str, os.PathLike)):
        raise ConfigError(f"source must be a folder (a path) or a dataset name, not {type(source).__name__}")
    for name, value, kind in (("config", config, RunConfig), ("review", review, ReviewConfig)):
        if value is not None and not isinstance(value, kind):
            raise ConfigError(f"{name} must be an imgorg.{kind.__name__}(...) or None, not {type(value).__name__}")


def _drop_damaged(out: Path) -> list[str]:
    """The artifacts of the workspace at ``out`` whose files are missing or damaged, dropped (said, with
    the command that makes each again): the rerun then goes on without them."""
    damaged = drop_damaged_artifacts(out)
    for name in damaged:
        log.warning("%s: %s was missing or damaged and is dropped; `%s` makes it again", out, name,
                    ARTIFACTS[name].made_by)
    return damaged


def _unchanged(path: Path, sha256: str) -> bool:
    """Whether ``path`` is a file holding the content of that hash."""
    try:
        return path.is_file() and file_sha256(path) == sha256
    except OSError:
        return False


def _say_what_is_replaced(out: Path, previous: dict, described: dict, carry: CarryOver, remade: set[str]) -> None:
    """A rerun replaces the workspace at ``out`` (manifest ``previous``): say so when it held another
    folder's images, which results of later commands it keeps, and which no longer hold (but those
    this run makes again, ``remade``)."""
    earlier_root = previous.get("source", {}).get("root")
    if earlier_root and earlier_root != described["root"]:
        log.warning("%s held the workspace of %s; this run replaces it with one of %s", out, earlier_root,
                    described["root"])
    if carry.kept:
        log.info("%s: kept %s (the same images and features)", out, ", ".join(carry.kept))
    gone = [name for name in carry.dropped if name not in remade]
    if gone:
        commands = sorted({ARTIFACTS[name].made_by for name in gone if name in ARTIFACTS})
        log.warning("%s held results of later commands (%s) made from other images or features; this run "
                    "replaces them: run %s again if you need them", out, ", ".join(gone),
                    ", ".join(f"`{c}`" for c in commands) or "those commands")
