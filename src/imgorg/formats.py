"""What a file is, by its name and its first bytes: image, camera RAW, system file or something else.

Three questions the catalog asks of every file under a folder, cheapest first:

- ``system_file(relpath)``: a hidden or system file (``.DS_Store``, ``Thumbs.db``,
  AppleDouble ``._*``, anything inside ``.git/`` or ``__MACOSX/``), skipped unread;
- ``claims_image(name)``: an image by its extension; such a file is catalogued even
  when it does not decode, so a broken photo is reported as a failure, never dropped;
- ``sniff(head)``: the format its first 16 bytes announce (the magic numbers Pillow's
  own plugins accept, HEIF/AVIF brands, camera RAW signatures), or None; a file with
  another extension (or none) that sniffs as an image is catalogued too.

``raw_format(data)`` tells a camera RAW file from a plain TIFF: DNG, NEF, ARW and CR2
start like any TIFF, so their first IFD is read (from bytes already in memory).
"""

from __future__ import annotations

import warnings

from PIL import Image

# Extensions that make a file an image by name. Files with other names are sniffed.
PHOTO_EXTENSIONS = frozenset({
    ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".apng", ".webp", ".bmp", ".dib", ".gif", ".tif", ".tiff",
    ".avif", ".avifs", ".jp2", ".j2k", ".jpx", ".ico", ".icns", ".tga", ".psd", ".ppm", ".pgm", ".pbm",
    ".pnm", ".qoi", ".mpo", ".pcx", ".sgi", ".dds",
})
HEIF_EXTENSIONS = frozenset({".heic", ".heif", ".hif", ".heics", ".heifs"})
RAW_EXTENSIONS = frozenset({".dng", ".crw", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".orf", ".rw2",
                            ".raf", ".pef", ".srw", ".rwl", ".3fr", ".iiq", ".erf", ".mrw", ".x3f"})
IMAGE_EXTENSIONS = PHOTO_EXTENSIONS | HEIF_EXTENSIONS | RAW_EXTENSIONS
# the catalog's formats that keep pixels as they are: screenshots, and JPEGs converted (in a larger file)
LOSSLESS_FORMATS = frozenset({"PNG", "TIFF", "BMP"})

# Pillow plugins that accept files which are not pictures (video, documents, stubs that need a handler).
_NOT_PHOTOS = frozenset({"MPEG", "EPS", "BUFR", "GRIB", "HDF5", "WMF", "IPTC", "MCIDAS"})
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*")
_COMMON = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"RIFF", "WEBP"), (b"GIF87a", "GIF"),
           (b"GIF89a", "GIF"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"))
_RAW_BY_MAKE = {"NIKON": "NEF", "SONY": "ARW", "PENTAX": "PEF", "RICOH": "PEF", "SAMSUNG": "SRW",
                "LEICA": "RWL", "HASSELBLAD": "3FR", "PHASE": "IIQ", "MINOLTA": "MRW", "KONICA": "MRW"}
_RAW_COMPRESSIONS = {6, 32767, 32769, 32770, 34713, 65000, 65535}  # old-style JPEG, vendors' codecs

_SYSTEM_NAMES = {
    ".ds_store": "Finder folder settings (macOS)",
    "thumbs.db": "thumbnail cache (Windows)",
    "ehthumbs.db": "thumbnail cache (Windows)",
    "ehthumbs_vista.db": "thumbnail cache (Windows)",
    "desktop.ini": "folder settings (Windows)",
    "icon\r": "folder icon (macOS)",
    "picasa.ini": "Picasa settings",
    ".picasa.ini": "Picasa settings",
    "zbthumbnail.info": "thumbnail cache (Canon ZoomBrowser)",
}
_SYSTEM_FOLDERS = {"__macosx": "zip resource forks (macOS)", "@eadir": "thumbnail cache (Synology)",
                   "$recycle.bin": "recycle bin (Windows)", "system volume information": "Windows system folder",
                   "#recycle": "recycle bin (Synology)"}


def system_file(relpath: str) -> str | None:
    """Why ``relpath`` (posix, relative to the folder) is a hidden or system file, or None if it is not."""
    *folders, name = relpath.split("/")
    for folder in folders:
        if folder.lower() in _SYSTEM_FOLDERS:
            return f"in {folder}/: {_SYSTEM_FOLDERS[folder.lower()]}"
        if folder.startswith("."):
            return f"in hidden folder {folder}/"
    if name.lower() in _SYSTEM_NAMES:
        return _SYSTEM_NAMES[name.lower()]
    if name.startswith("._"):
        return "AppleDouble resource fork (macOS)"
    if name.startswith("."):
        return "hidden file"
    return None


def extension(name: str) -> str:
    """The lower-case extension with its dot ("" when there is none; ".bashrc" has none)."""
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem and "/" not in ext else ""


def claims_image(name: str) -> bool:
    """Whether the file's extension says it is an image (HEIC and camera RAW included)."""
    return extension(name) in IMAGE_EXTENSIONS


def sniff(head: bytes) -> str | None:
    """The image format the first 16+ bytes announce: "HEIF", "AVIF", "RAW" or a Pillow format id.

    "RAW" covers the signatures that are not TIFF's (CRW, CR3, RAF, ORF, RW2); TIFF-based RAW
    files (DNG, NEF, ARW, CR2) sniff as "TIFF" here and are told apart by ``raw_format``.
    """
    if head[4:8] == b"ftyp":
        brands = {head[i:i + 4] for i in range(8, min(len(head), 64) - 3, 4)} - {b"\x00\x00\x00\x00"}
        if head[8:12] == b"crx ":
            return "RAW"
        if brands & _AVIF_BRANDS:
            return "AVIF"
        return "HEIF" if head[8:12] in _HEIF_BRANDS else None
    if head.startswith(b"FUJIFILMCCD-RAW") or head[:4] in (b"IIRO", b"IIRS", b"MMOR", b"IIU\x00") or _ciff(head):
        return "RAW"
    for magic, format_id in _COMMON:  # the usual suspects first: this runs once per file
        if head.startswith(magic) and (format_id != "WEBP" or head[8:12] == b"WEBP"):
            return format_id
    Image.init()
    for format_id in Image.ID:
        factory, accept = Image.OPEN[format_id]
        if accept is None or format_id in _NOT_PHOTOS:
            continue
        try:
            accepted = accept(head[:16])
        except Exception:  # noqa: BLE001 - a plugin's check failing on odd bytes means "not this format"
            continue
        if accepted and not isinstance(accepted, str):  # a string: the format, without its library
            return format_id
    return None


def raw_format(data: bytes) -> str | None:
    """The camera RAW format of ``data`` ("DNG", "CR2", "NEF", ...), or None for anything else."""
    head = data[:16]
    if head[4:12] == b"ftypcrx ":
        return "CR3"
    if head.startswith(b"FUJIFILMCCD-RAW"):
        return "RAF"
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return "ORF"
    if head[:4] == b"IIU\x00":
        return "RW2"
    if _ciff(head):
        return "CRW"
    if head[:4] not in _TIFF_MAGIC:
        return None
    if head[8:10] == b"CR":
        return "CR2"
    tags = tiff_tags(data)
    if tags is None:
        return None
    if 50706 in tags:  # DNGVersion
        return "DNG"
    make = str(tags.get(271, "")).strip("\x00 ").upper()
    looks_raw = tags.get(262) in (32803, 34892) or tags.get(259) in _RAW_COMPRESSIONS or 330 in tags  # CFA, codec, SubIFDs
    if make and looks_raw:
        return _RAW_BY_MAKE.get(make.split()[0], "RAW")
    return None


def _ciff(head: bytes) -> bool:
    """Canon's CIFF heap (CRW files, 1998-2004): byte order, header length, then "HEAPCCDR"."""
    return head[:2] in (b"II", b"MM") and head[6:14] == b"HEAPCCDR"


def tiff_tags(data: bytes) -> Image.Exif | None:
    """The first IFD of a TIFF-structured file (RAW files whose magic differs are read as TIFF), or None."""
    if data[:4] in (b"IIRO", b"IIRS", b"IIU\x00"):
        data = b"II*\x00" + data[4:]
    elif data[:4] == b"MMOR":
        data = b"MM\x00*" + data[4:]
    exif = Image.Exif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exif.load(data)
    except Exception:  # noqa: BLE001 - a damaged IFD is "no tags", the decoder then says what is wrong
        return None
    return exif if len(exif) else None


def describe_other(head: bytes) -> str:
    """A few words on what a file that is not an image holds, from its first bytes."""
    if head[4:8] == b"ftyp":
        return f"video or other media ({head[8:12].decode('latin-1').strip()})"
    for magic, what in _OTHER_MAGIC:
        if head.startswith(magic):
            return what
    if not head:
        return "empty file"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown binary data"
    if "<svg" in text.lower():  # an XML prolog or a comment may come first
        return "SVG (a vector drawing: not read; export it as PNG to include it)"
    return "text" if "\x00" not in text else "unknown binary data"


_OTHER_MAGIC = (
    (b"%PDF", "PDF document"), (b"PK\x03\x04", "zip archive"), (b"\x1f\x8b", "gzip archive"),
    (b"RIFF", "RIFF media (audio or video)"), (b"ID3", "MP3 audio"), (b"OggS", "Ogg media"),
    (b"\x1a\x45\xdf\xa3", "Matroska/WebM video"), (b"SQLite format 3", "SQLite database"),
    (b"\xd0\xcf\x11\xe0", "Office document or Windows thumbnail cache"),
)


__all__ = ["IMAGE_EXTENSIONS", "HEIF_EXTENSIONS", "RAW_EXTENSIONS", "PHOTO_EXTENSIONS", "claims_image",
           "describe_other", "extension", "raw_format", "sniff", "system_file", "tiff_tags"]