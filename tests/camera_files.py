"""Camera and phone files built byte by byte: the metadata blocks and format corners imgorg must read.

Pixels come from scikit-image's sample photographs (see tests/photo_corpus.py for their
sources and licences); everything else is written here, by hand, from the formats' specs:
XMP packets (JPEG APP1, PNG iTXt, TIFF tag 700), IPTC IIM records (JPEG APP13 Photoshop
8BIM 0x0404, TIFF tag 33723), a Canon CIFF heap (CRW), ISO-BMFF movie headers, a JPEG whose
height comes in a DNL segment, a big-endian BigTIFF, and a HEIC whose EXIF orientation has no
``irot`` box. No network, no exiftool needed to build them.
"""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime

from PIL import Image

from .photo_corpus import make_exif

XMP_TEMPLATE = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
                '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                '<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
                'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
                'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" {attributes}>{elements}</rdf:Description>'
                '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


def xmp_packet(*, original: str | None = None, photoshop: str | None = None, create: str | None = None,
               orientation: int | None = None, as_elements: bool = False) -> bytes:
    """An XMP packet with the given dates (ISO 8601 strings) and tiff:Orientation, as attributes or elements."""
    props = {"exif:DateTimeOriginal": original, "photoshop:DateCreated": photoshop, "xmp:CreateDate": create,
             "tiff:Orientation": None if orientation is None else str(orientation)}
    props = {k: v for k, v in props.items() if v is not None}
    if as_elements:
        body = "".join(f"<{k}>{v}</{k}>" for k, v in props.items())
        return XMP_TEMPLATE.format(attributes="", elements=body).encode("utf-8")
    attributes = " ".join(f'{k}="{v}"' for k, v in props.items())
    return XMP_TEMPLATE.format(attributes=attributes, elements="").encode("utf-8")


def iptc_records(day: str, clock: str | None = None) -> bytes:
    """IPTC IIM record 2: DateCreated (2:55, "YYYYMMDD") and TimeCreated (2:60, "HHMMSS+HHMM")."""
    out = b"\x1c\x02\x00\x00\x02\x00\x04"  # 2:00 record version 4
    for number, value in ((55, day), (60, clock)):
        if value is not None:
            out += b"\x1c\x02" + bytes([number]) + struct.pack(">H", len(value)) + value.encode("ascii")
    return out


def photoshop_irb(iptc: bytes) -> bytes:
    """A JPEG APP13 payload: "Photoshop 3.0", one 8BIM resource 0x0404 holding the IPTC records."""
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    if len(iptc) % 2:
        resource += b"\x00"
    return b"Photoshop 3.0\x00" + resource


def jpeg(image: Image.Image, *, exif: bytes | None = None, xmp: bytes | None = None, iptc: bytes | None = None,
         quality: int = 90, **options) -> bytes:
    """A JPEG with optional EXIF (Pillow), XMP (APP1) and IPTC (APP13) segments after SOI."""
    buffer = io.BytesIO()
    if exif:
        options["exif"] = exif
    image.convert("RGB").save(buffer, "JPEG", quality=quality, **options)
    data = buffer.getvalue()
    segments = b""
    if xmp is not None:
        segments += _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp)
    if iptc is not None:
        segments += _segment(0xED, photoshop_irb(iptc))
    return data[:2] + segments + data[2:]


def _segment(marker: int, payload: bytes) -> bytes:
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(image: Image.Image, *, xmp: bytes | None = None, exif: bytes | None = None, exif_after_pixels: bool = False,
        xmp_after_pixels: bool = False) -> bytes:
    """A PNG with an XMP iTXt chunk and an eXIf chunk, each before the pixel data or after it."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    data = buffer.getvalue()
    head, tail = data[:33], data[33:]  # signature + IHDR, then the rest
    iend = tail.rfind(b"IEND") - 4
    early, late = b"", b""
    if xmp is not None:
        chunk = png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp)
        late, early = (late + chunk, early) if xmp_after_pixels else (late, early + chunk)
    if exif is not None:
        body = exif[6:] if exif.startswith(b"Exif\x00\x00") else exif
        chunk = png_chunk(b"eXIf", body)
        late, early = (late + chunk, early) if exif_after_pixels else (late, early + chunk)
    return head + early + tail[:iend] + late + tail[iend:]


def tiff(image: Image.Image, *, xmp: bytes | None = None, iptc: bytes | None = None, exif: Image.Exif | None = None
         ) -> bytes:
    """A TIFF with XMP in tag 700 and IPTC in tag 33723 (written as UNDEFINED bytes)."""
    from PIL import TiffImagePlugin

    info = TiffImagePlugin.ImageFileDirectory_v2()
    if xmp is not None:
        info[700] = xmp
        info.tagtype[700] = 1
    if iptc is not None:
        info[33723] = iptc
        info.tagtype[33723] = 7
    for tag, value in (exif or {}).items():
        info[tag] = value
    buffer = io.BytesIO()
    image.save(buffer, "TIFF", tiffinfo=info)
    return buffer.getvalue()


def crw(taken: datetime | None, *, pixels: bytes = b"\x00" * 64) -> bytes:
    """A Canon CIFF (CRW) file: header, a heap with a sub-heap (ImageProps, 0x300a) holding TimeStamp (0x180e).

    It is not a photo LibRaw can develop (no sensor data it recognises); it has the structure
    that sniffing and the capture-time reader rely on."""
    order = "<"
    sub_values = b""
    sub_entries = []
    if taken is not None:
        seconds = int((taken - datetime(1970, 1, 1)).total_seconds())
        value = struct.pack(order + "IiI", seconds, 0, 0)
        sub_entries.append((0x180E, len(value), len(sub_values)))
        sub_values += value
    sub_table = struct.pack(order + "H", len(sub_entries)) + b"".join(
        struct.pack(order + "HII", kind, size, offset) for kind, size, offset in sub_entries)
    sub_heap = sub_values + sub_table + struct.pack(order + "I", len(sub_values))
    values = pixels + sub_heap
    entries = [(0x2005, len(pixels), 0), (0x300A, len(sub_heap), len(pixels))]
    table = struct.pack(order + "H", len(entries)) + b"".join(
        struct.pack(order + "HII", kind, size, offset) for kind, size, offset in entries)
    heap = values + table + struct.pack(order + "I", len(values))
    header = b"II" + struct.pack(order + "I", 26) + b"HEAPCCDR" + struct.pack(order + "II", 0x10002, 0) + b"\x00" * 4
    return header + heap


def dnl_jpeg(image: Image.Image) -> bytes:
    """A baseline JPEG whose frame header says height 0 and whose height follows the scan in a DNL segment."""
    data = bytearray(jpeg(image))
    sof = data.find(b"\xff\xc0")
    height = data[sof + 5:sof + 7]
    data[sof + 5:sof + 7] = b"\x00\x00"
    end = data.rfind(b"\xff\xd9")
    return bytes(data[:end]) + b"\xff\xdc\x00\x04" + bytes(height) + b"\xff\xd9"


def bigtiff_big_endian(image: Image.Image) -> bytes:
    """An uncompressed RGB BigTIFF in big-endian byte order ("MM\\0+"), one strip."""
    image = image.convert("RGB")
    width, height = image.size
    pixels = image.tobytes()
    entries = [(256, 4, 1, struct.pack(">I", width)), (257, 4, 1, struct.pack(">I", height)),
               (258, 3, 3, struct.pack(">HHH", 8, 8, 8)), (259, 3, 1, struct.pack(">H", 1)),
               (262, 3, 1, struct.pack(">H", 2)), (273, 16, 1, None), (277, 3, 1, struct.pack(">H", 3)),
               (278, 4, 1, struct.pack(">I", height)), (279, 16, 1, struct.pack(">Q", len(pixels)))]
    first_ifd = 16
    pixel_offset = first_ifd + 8 + 20 * len(entries) + 8
    out = bytearray(b"MM\x00\x2b\x00\x08\x00\x00" + struct.pack(">Q", first_ifd) + struct.pack(">Q", len(entries)))
    for tag, kind, count, value in entries:
        value = struct.pack(">Q", pixel_offset) if value is None else value
        out += struct.pack(">HHQ", tag, kind, count) + value.ljust(8, b"\x00")
    return bytes(out + struct.pack(">Q", 0) + pixels)


def heic_without_irot(image: Image.Image, orientation: int = 6) -> bytes:
    """A HEIC whose EXIF says ``orientation`` but which has no irot box: written upright with orientation 1
    (pillow-heif then writes no irot), then the EXIF orientation value changed in place."""
    buffer = io.BytesIO()
    image.save(buffer, "HEIF", exif=make_exif(orientation=1, make="Phone", model="Test"), quality=80)
    data = bytearray(buffer.getvalue())
    assert b"irot" not in data
    for magic, order in ((b"MM\x00*", ">"), (b"II*\x00", "<")):
        start = data.find(magic)
        if start < 0:
            continue
        ifd = start + struct.unpack(order + "I", data[start + 4:start + 8])[0]
        for i in range(struct.unpack(order + "H", data[ifd:ifd + 2])[0]):
            entry = ifd + 2 + 12 * i
            if struct.unpack(order + "H", data[entry:entry + 2])[0] == 0x0112:
                data[entry + 8:entry + 10] = struct.pack(order + "H", orientation)
                return bytes(data)
    raise AssertionError("the HEIC's EXIF has no orientation tag to change")


def heic_with_irot(image: Image.Image, orientation: int = 6) -> bytes:
    """A HEIC as phones write it: the EXIF orientation given to pillow-heif, which stores it as an irot box."""
    buffer = io.BytesIO()
    image.save(buffer, "HEIF", exif=make_exif(orientation=orientation, make="Phone", model="Test"), quality=80)
    return buffer.getvalue()


def with_movie_header(data: bytes, created_utc: datetime) -> bytes:
    """``data`` (an ISO-BMFF file) with a ``moov/mvhd`` box appended, as HEIF and AVIF sequences carry one."""
    seconds = int((created_utc - datetime(1904, 1, 1)).total_seconds())
    mvhd_body = b"\x00\x00\x00\x00" + struct.pack(">IIII", seconds, seconds, 1000, 0) + b"\x00" * 80
    mvhd = struct.pack(">I", 8 + len(mvhd_body)) + b"mvhd" + mvhd_body
    return data + struct.pack(">I", 8 + len(mvhd)) + b"moov" + mvhd


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, box start, box end) of the boxes in [start, end) (32-bit sizes: what Pillow writes)."""
    out, pos = [], start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        size = size or end - pos
        out.append((kind, pos, pos + size))
        pos += size
    return out


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def avif_with_clap(image: Image.Image, crop: tuple[int, int, int, int]) -> bytes:
    """An AVIF of ``image`` whose primary item carries a clean-aperture box cropping to ``crop``
    (left, top, width, height). The meta box moves to the end of the file (a free box keeps its
    old place), so the pixel data keeps its offsets while the meta box grows."""
    buffer = io.BytesIO()
    image.save(buffer, "AVIF", quality=90)
    data = buffer.getvalue()
    top = _boxes(data, 0, len(data))
    meta_kind, meta_start, meta_end = next(b for b in top if b[0] == b"meta")
    meta_body = data[meta_start + 12:meta_end]  # after the full-box header
    children = _boxes(meta_body, 0, len(meta_body))
    left, upper, width, height = crop
    full_w, full_h = image.size
    # clap: the crop's size and its centre's offset from the picture's centre, as fractions
    horiz = 2 * left + width - full_w
    vert = 2 * upper + height - full_h
    clap = _box(b"clap", struct.pack(">IIIIiIiI", width, 1, height, 1, horiz, 2, vert, 2))
    new_children = b""
    for kind, start, end in children:
        body = meta_body[start + 8:end]
        if kind == b"iprp":
            parts = _boxes(body, 0, len(body))
            ipco = next(p for p in parts if p[0] == b"ipco")
            count = len(_boxes(body, ipco[1] + 8, ipco[2]))
            new_ipco = _box(b"ipco", body[ipco[1] + 8:ipco[2]] + clap)
            ipma = next(p for p in parts if p[0] == b"ipma")
            new_ipma = _box(b"ipma", _ipma_with(body[ipma[1] + 8:ipma[2]], count + 1))
            body = new_ipco + new_ipma
        new_children += _box(kind, body)
    new_meta = _box(b"meta", data[meta_start + 8:meta_start + 12] + new_children)
    free = _box(b"free", b"\x00" * (meta_end - meta_start - 8))
    rest = bytearray(data[meta_end:])
    if rest[4:8] == b"mdat" and rest[:4] == b"\x00\x00\x00\x00":  # "to the end of the file": no longer true
        rest[:4] = struct.pack(">I", len(rest))
    return data[:meta_start] + free + bytes(rest) + new_meta


def _ipma_with(body: bytes, index: int) -> bytes:
    """An ipma body (one entry per item) with an essential association to property ``index`` added to item 1."""
    version, flags = body[0], int.from_bytes(body[1:4], "big")
    count = struct.unpack(">I", body[4:8])[0]
    pos, out = 8, bytearray(body[:8])
    for _ in range(count):
        id_size = 4 if version >= 1 else 2
        item = int.from_bytes(body[pos:pos + id_size], "big")
        n = body[pos + id_size]
        width = 2 if flags & 1 else 1
        associations = body[pos + id_size + 1:pos + id_size + 1 + n * width]
        if item == 1:
            added = (0x8000 | index).to_bytes(2, "big") if width == 2 else bytes([0x80 | index])
            out += body[pos:pos + id_size] + bytes([n + 1]) + associations + added
        else:
            out += body[pos:pos + id_size + 1 + n * width]
        pos += id_size + 1 + n * width
    return bytes(out)
