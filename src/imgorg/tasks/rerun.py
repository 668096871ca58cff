"""The policy for a rerun into a workspace someone has curated: pure functions of the previous
manifest and the new settings, so that each rule can be tested on a dict.

A curated workspace keeps its edits only while the clustering they were made on stays: a run that
changes a setting of ``CLUSTERING_SETTINGS`` is refused before anything is embedded (unless
``--discard-edits``), and a run of the same folder with the same settings that found new images
adds them to the curated clusters (``imgorg add``) instead of clustering anew.
"""

from __future__ import annotations

from pathlib import Path

from ..config import RunConfig
from ..workspace import EDITS_FILE


def is_curated(previous: dict | None) -> bool:
    return bool(previous) and EDITS_FILE in previous.get("files", {})


# Settings that change how the images are embedded or clustered: a curated workspace refuses a run
# that changes one (before embedding anything) unless --discard-edits.
CLUSTERING_SETTINGS = {"embed": ("backbone", "image_size", "weights", "tta", "float16"),
                       "reduce": None, "cluster": None}
NOT_CLUSTERING = {"cluster": ("event_gap_hours",)}  # events, by capture time
# Settings that change how a run goes, or the map (a grown folder's new images are placed on the stored
# map; `imgorg map` makes another), never what it makes of the images: a rerun may differ in them.
HOW_IT_RUNS = {"embed": ("batch_size", "workers", "shard_size", "device", "engine", "ray_address", "ray_actors"),
               "map": None}


def clustering_changes(previous: dict, config: RunConfig) -> list[str]:
    """The settings that decide the clustering and differ from the previous run's, as 'name: old -> new'
    (a setting an older manifest does not record is taken as unchanged)."""
    before, after, changed = previous.get("config", {}), config.to_dict(), []
    for section, keys in CLUSTERING_SETTINGS.items():
        old, new = before.get(section, {}), after.get(section, {})
        for key in keys or sorted(set(new) - set(NOT_CLUSTERING.get(section, ()))):
            if key in old and old[key] != new.get(key):
                changed.append(f"{section}.{key}: {old[key]!r} -> {new.get(key)!r}")
    return changed


def same_run(previous: dict, described: dict, config: RunConfig) -> bool:
    """Whether a run reads and makes what the previous one did: same folder and subset, same settings
    but those of HOW_IT_RUNS."""
    def what(settings: dict) -> dict:
        kept = {}
        for section, values in settings.items():
            if section in HOW_IT_RUNS and HOW_IT_RUNS[section] is None:
                continue
            kept[section] = {k: v for k, v in values.items() if k not in HOW_IT_RUNS.get(section, ())}
        return kept
    return previous.get("source") == described and what(previous.get("config", {})) == what(config.to_dict())


def source_changes(previous: dict, described: dict) -> list[str]:
    old = previous.get("source", {})
    return [f"source.{k}: {old.get(k)!r} -> {described.get(k)!r}" for k in sorted(set(old) | set(described))
            if old.get(k) != described.get(k)]


def edits_would_be_lost(out: Path, edits: dict, changed: list[str] = ()) -> str:
    """Why a run into a curated workspace is refused, and the two ways on (``edits``: its edit log)."""
    why = f" ({'; '.join(changed)})" if changed else " (other images, features or settings)"
    return (f"{out} holds {len(edits.get('edits', []))} curation edits made on its `{edits.get('base')}` clustering, "
            f"and this run would change that clustering{why}. Run with the same "
            "settings to keep them (new images are then added to the curated clusters), or pass --discard-edits "
            "to drop them")
