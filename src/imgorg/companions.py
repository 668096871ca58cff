"""A folder's files grouped into shots: the file that is catalogued, and the files that belong to it.

What a phone, a camera or a cloud export puts beside a photo is not a photo of its own:

- RAW+JPEG from one shutter press (same name, same folder, one camera RAW and one JPEG
  or HEIC): one shot. The JPEG (the camera's rendering, cheaper to decode) is the
  catalogued file; the RAW is its ``original``.
- a Live Photo: the still and its short video (same name, ``.MOV`` or ``.MP4``; or the
  content identifier Apple writes in both, ``join_live_photos``). The still is catalogued;
  the video is its ``motion``.
- sidecars: ``.xmp`` (Lightroom ``IMG_1234.xmp``, darktable ``IMG_1234.JPG.xmp`` and its
  duplicates ``IMG_1234_01.JPG.xmp``), Google Takeout ``.json`` (``IMG_1234.JPG.json``,
  names cut to 46-51 characters, ``.supplemental-metadata.json``, ``IMG_1234(1).JPG`` ->
  ``IMG_1234.JPG(1).json``, ``-edited`` copies sharing the original's), Apple ``.AAE`` edit
  files (``IMG_1234.AAE``, ``IMG_O1234.AAE``). Listed under their shot; XMP and JSON read
  (``sidecars.read_sidecars``).

Names are compared case-insensitively (cameras write IMG_1234.JPG, exports img_1234.jpg).
Files that match nothing are left alone: the catalog examines them as before.
"""

from __future__ import annotations

import re
import struct
from collections import defaultdict
from dataclasses import dataclass, field

from .formats import IMAGE_EXTENSIONS, RAW_EXTENSIONS, extension
from .video import VIDEO_EXTENSIONS

RENDER_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".heic", ".heif", ".hif"})  # a camera's or phone's rendering
MOTION_EXTENSIONS = frozenset({".mov", ".mp4"})  # a Live Photo's video (Takeout converts it to MP4)
SIDECAR_EXTENSIONS = frozenset({".xmp", ".json", ".aae"})
SEPARATOR = "; "  # between paths in the sidecars column
TAKEOUT_CUT = 46  # Takeout cuts a sidecar's name to about this many characters (46-51 seen), ".json" included
_SUPPLEMENTAL = ".supplemental-metadata"
_MEDIA = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS
_COPY_NUMBER = re.compile(r"^(.*)\((\d+)\)$")
_DARKTABLE_DUPLICATE = re.compile(r"^(.*)_\d{2}(\.[^.]+)$")
_APPLE_ORIGINAL_AAE = re.compile(r"^(.*_)O(\d+)$", re.IGNORECASE)  # IMG_O1234.AAE: the edit of IMG_1234
_EDITED = re.compile(r"^(.*)-edited$", re.IGNORECASE)


@dataclass
class Shot:
    """The files of one shot: ``path`` is catalogued, the others belong to it (relative posix paths)."""

    path: str
    original: str | None = None  # the camera RAW of a RAW+JPEG pair
    motion: str | None = None  # the video of a Live Photo
    sidecars: list[str] = field(default_factory=list)  # .xmp, .json, .aae

    def parts(self) -> list[str]:
        """Every file of the shot but ``path``."""
        return [p for p in (self.original, self.motion) if p] + self.sidecars


@dataclass
class Grouping:
    """``shots``: catalogued path -> its Shot, for the paths that have companions; ``parts``: each
    companion's path -> the catalogued path it belongs to (these are not catalogued themselves)."""

    shots: dict[str, Shot]
    parts: dict[str, str]


def group_files(relpaths: list[str]) -> Grouping:
    """Group the files of every folder into shots (see the module docstring); paths are posix, relative."""
    by_folder: dict[str, list[str]] = defaultdict(list)
    for rel in relpaths:
        folder, _, name = rel.rpartition("/")
        by_folder[folder].append(name)
    shots: dict[str, Shot] = {}
    for folder, names in by_folder.items():
        prefix = f"{folder}/" if folder else ""
        for shot in _folder_shots(names):
            shot.path = prefix + shot.path
            shot.original = prefix + shot.original if shot.original else None
            shot.motion = prefix + shot.motion if shot.motion else None
            shot.sidecars = [prefix + s for s in shot.sidecars]
            shots[shot.path] = shot
    parts = {part: path for path, shot in shots.items() for part in shot.parts()}
    return Grouping(shots, parts)


def _folder_shots(names: list[str]) -> list[Shot]:
    media = [n for n in names if extension(n) in _MEDIA]
    by_stem: dict[str, list[str]] = defaultdict(list)
    for name in media:
        by_stem[_stem(name).lower()].append(name)
    shots: dict[str, Shot] = {}  # media name -> its shot (a part points at its shot too)
    for group in by_stem.values():
        shot = _pair(group)
        if shot is None:
            continue
        for name in [shot.path, *shot.parts()]:
            shots[name] = shot
    lower = {n.lower(): n for n in media}
    for name in sorted(names):
        if extension(name) not in SIDECAR_EXTENSIONS:
            continue
        for owner in _sidecar_owners(name, lower, by_stem):
            shot = shots.setdefault(owner, Shot(owner))
            if name not in shot.sidecars:
                shot.sidecars.append(name)
    unique = {id(s): s for s in shots.values()}
    return list(unique.values())


def _pair(group: list[str]) -> Shot | None:
    """The shot of the media files sharing one name: a still with its RAW and/or its motion, or None."""
    raws = [n for n in group if extension(n) in RAW_EXTENSIONS]
    renders = [n for n in group if extension(n) in RENDER_EXTENSIONS]
    motions = [n for n in group if extension(n) in MOTION_EXTENSIONS]
    if len(renders) > 1 or len(raws) > 1 or len(motions) > 1:  # e.g. IMG_1.JPG and IMG_1.HEIC: two pictures
        return None
    still = renders[0] if renders else raws[0] if raws else None
    if still is None:
        return None
    original = raws[0] if renders and raws else None
    motion = motions[0] if motions else None
    return Shot(still, original, motion) if original or motion else None


def _sidecar_owners(name: str, lower: dict[str, str], by_stem: dict[str, list[str]]) -> list[str]:
    """The media files (names in this folder) a sidecar belongs to; [] when none."""
    ext = extension(name)
    base = name[: -len(ext)]
    if ext == ".json":
        return takeout_owner(name, list(lower.values()))
    if base.lower() in lower:  # darktable: IMG_1234.JPG.xmp
        return [lower[base.lower()]]
    duplicate = _DARKTABLE_DUPLICATE.match(base)
    if ext == ".xmp" and duplicate and (duplicate[1] + duplicate[2]).lower() in lower:  # IMG_1234_01.JPG.xmp
        return [lower[(duplicate[1] + duplicate[2]).lower()]]
    stems = [base]
    if ext == ".aae":
        original = _APPLE_ORIGINAL_AAE.match(base)
        if original:
            stems.append(original[1] + original[2])
    for stem in stems:
        found = by_stem.get(stem.lower(), [])
        if found:  # Lightroom: IMG_1234.xmp for IMG_1234.CR2 (and its JPEG: the same shot)
            raws = [n for n in found if extension(n) in RAW_EXTENSIONS]
            return raws[:1] if ext == ".xmp" and len(raws) == 1 else sorted(found)
    return []


def takeout_owner(json_name: str, media: list[str]) -> list[str]:
    """The media file a Google Takeout sidecar describes, among ``media`` (names in its folder); [] if none.

    Takeout names the sidecar after the file plus ".json" (or ".supplemental-metadata.json"),
    cuts long names, and puts a copy number after the extension: ``IMG_1234(1).JPG`` ->
    ``IMG_1234.JPG(1).json``."""
    base = json_name[: -len(".json")]
    copy = _COPY_NUMBER.match(base)
    number = copy[2] if copy else None
    base = (copy[1] if copy else base).lower()
    cut = len(json_name) >= TAKEOUT_CUT
    found = []
    for name in media:
        plain, n = _without_copy_number(name)
        if n != number:
            continue
        full = (plain + _SUPPLEMENTAL).lower()
        if full.startswith(base) and (len(base) >= len(plain) or cut):
            found.append((len(base) >= len(plain), name))
    edited = [] if number else _edited_copies(base, media)  # IMG_1234-edited.jpg shares IMG_1234.jpg.json
    exact = [name for whole, name in found if whole]
    if exact:
        return exact[:1] + edited
    if len(found) == 1:  # a cut name fits one file only: that one
        return [found[0][1]] + edited
    return edited if not found else []


def _edited_copies(base: str, media: list[str]) -> list[str]:
    """The files Takeout wrote as edits of the file named ``base`` (lower case; with the supplemental
    suffix, whole or cut, of a ``.supplemental-metadata.json``): ``IMG_1234-edited.jpg``."""
    edited = []
    for name in media:
        ext = extension(name)
        match = _EDITED.match(name[: -len(ext) or None])
        original = (match[1] + ext).lower() if match else None
        if original and base.startswith(original) and (original + _SUPPLEMENTAL).lower().startswith(base):
            edited.append(name)
    return edited


def _without_copy_number(name: str) -> tuple[str, str | None]:
    """("IMG_1234.JPG", "1") for "IMG_1234(1).JPG"."""
    ext = extension(name)
    stem = name[: -len(ext)] if ext else name
    match = _COPY_NUMBER.match(stem)
    return (match[1] + ext, match[2]) if match else (name, None)


def _stem(name: str) -> str:
    ext = extension(name)
    return name[: -len(ext)] if ext else name


def shot_parts(images) -> list[list[str]]:
    """Per catalog row, the paths of the files that belong to it: the RAW original, the Live Photo's
    video, the sidecars (empty for a file on its own and for catalogs written before these columns)."""
    columns = [c for c in ("original", "motion", "sidecars") if c in images]
    out = []
    for values in zip(*(images[c].tolist() for c in columns)) if columns else ([] for _ in range(len(images))):
        parts = []
        for value in values:
            if isinstance(value, str) and value:
                parts.extend(p for p in value.split(SEPARATOR) if p)
        out.append(parts)
    return out


def renamed_part(part_name: str, photo_name: str, new_photo_name: str) -> str:
    """A part's name beside its photo renamed ``new_photo_name`` (an export avoiding a clash): the
    photo's stem is swapped in, so IMG_1.DNG still sits beside IMG_1_2.JPG as IMG_1_2.DNG."""
    old_stem, new_stem = _stem(photo_name), _stem(new_photo_name)
    if old_stem == new_stem or not part_name.lower().startswith(old_stem.lower()):
        return part_name
    return new_stem + part_name[len(old_stem):]


def companions_summary(catalog) -> dict:
    """What ``imgorg inspect`` reports of a catalog's shots: RAW+JPEG pairs and Live Photos (the photo and
    its part), sidecars (files per kind, and rows with each), videos (count, total duration, formats)."""
    def listed(column: str) -> list[dict]:
        if column not in catalog:
            return []
        rows = catalog[catalog[column].notna()]
        return [{"path": str(p), column: str(q)} for p, q in zip(rows["path"], rows[column])]

    sidecars = [s for value in (catalog["sidecars"].dropna() if "sidecars" in catalog else [])
                for s in str(value).split(SEPARATOR) if s]
    kinds: dict[str, int] = defaultdict(int)
    for path in sidecars:
        kinds[extension(path)] += 1
    videos = catalog[catalog["format"].fillna("").astype(str).str.endswith(" video")] if "format" in catalog \
        else catalog.iloc[:0]
    durations = videos["duration_s"].dropna() if "duration_s" in videos else []
    return {
        "pairs": listed("original"),
        "live_photos": listed("motion"),
        "sidecars": {"files": len(sidecars), "by_kind": dict(sorted(kinds.items())),
                     "photos": int(catalog["sidecars"].notna().sum()) if "sidecars" in catalog else 0},
        "with_rating": int(catalog["rating"].notna().sum()) if "rating" in catalog else 0,
        "with_keywords": int(catalog["keywords"].notna().sum()) if "keywords" in catalog else 0,
        "videos": {"count": int(len(videos)), "duration_s": round(float(sum(durations)), 3),
                   "formats": {str(k): int(v) for k, v in videos["format"].value_counts().items()}},
    }


def join_live_photos(rows: list[dict]) -> list[dict]:
    """Fold a video row into the still row that carries the same Apple content identifier (a Live Photo
    whose two files were renamed apart), in the same folder; drops the ``content_id`` key from every row."""
    stills: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = row.get("content_id")
        if key and not str(row.get("format") or "").endswith("video") and not row.get("motion"):
            stills.setdefault((row["path"].rpartition("/")[0], key), row)
    out = []
    for row in rows:
        key = row.pop("content_id", None)
        still = stills.get((row["path"].rpartition("/")[0], key)) if key else None
        if still is not None and still is not row and str(row.get("format") or "").endswith("video"):
            still["motion"] = row["path"]
            extra = [s for s in (row.get("sidecars") or "").split(SEPARATOR) if s]
            if extra:
                still["sidecars"] = SEPARATOR.join([*(still.get("sidecars") or "").split(SEPARATOR), *extra]).strip("; ")
            continue
        out.append(row)
    return out


def apple_content_id(exif) -> str | None:
    """The Live Photo content identifier in an Apple maker note (tag 17), from a PIL Exif; None if absent."""
    try:
        note = exif.get_ifd(0x8769).get(0x927C)
    except Exception:  # noqa: BLE001 - no readable Exif IFD: no identifier
        return None
    if not isinstance(note, bytes) or not note.startswith(b"Apple iOS\x00"):
        return None
    return _maker_note_text(note, 17)


def _maker_note_text(note: bytes, wanted: int) -> str | None:
    """An ASCII tag of Apple's maker note: "Apple iOS\\0", version, "MM", then a big-endian IFD at 14
    whose offsets count from the note's start."""
    order = ">" if note[12:14] == b"MM" else "<"
    try:
        (count,) = struct.unpack(order + "H", note[14:16])
        for i in range(min(count, 200)):
            tag, kind, n, value = struct.unpack(order + "HHI4s", note[16 + 12 * i:28 + 12 * i])
            if tag != wanted or kind != 2:
                continue
            (offset,) = struct.unpack(order + "I", value)
            raw = value[:n] if n <= 4 else note[offset:offset + n]
            return raw.split(b"\x00")[0].decode("ascii", errors="replace") or None
    except struct.error:
        return None
    return None


__all__ = ["Grouping", "MOTION_EXTENSIONS", "RENDER_EXTENSIONS", "SEPARATOR", "SIDECAR_EXTENSIONS", "Shot",
           "apple_content_id", "companions_summary", "group_files", "join_live_photos", "renamed_part", "shot_parts", "takeout_owner"]
