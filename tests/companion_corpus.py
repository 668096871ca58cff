"""Phone-like files: videos made with PyAV, Live Photo pairs, RAW+JPEG pairs, XMP and Google Takeout sidecars.

The pictures are scikit-image's sample photographs (public domain / CC0, see
tests/photo_corpus.py); the videos are those photographs panned across the frame, encoded
by the FFmpeg inside the PyAV wheel (libx264, mpeg4, VP8/VP9). Sidecars are written as
Lightroom, darktable and Takeout write them (the XML and JSON shapes of their real files).
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import numpy as np
from PIL import Image

from .dng import write_dng
from .photo_corpus import encode, make_exif, source_photo

# (container format, codec, pixel format) per extension: what a phone, a camera or the web writes
CONTAINERS = {".mp4": ("mp4", "libx264", "yuv420p"), ".mov": ("mov", "libx264", "yuv420p"),
              ".m4v": ("mp4", "libx264", "yuv420p"), ".3gp": ("3gp", "mpeg4", "yuv420p"),
              ".avi": ("avi", "mpeg4", "yuv420p"), ".mkv": ("matroska", "libx264", "yuv420p"),
              ".webm": ("webm", "libvpx", "yuv420p")}


def make_video(ext: str = ".mp4", *, photo: str = "astronaut", size=(320, 240), seconds: float = 2.0, fps: int = 15,
               metadata: dict | None = None, rotation: int = 0, black_start_s: float = 0.0, gop: int | None = None) -> bytes:
    """A short video of a photograph panned across the frame; ``metadata``: container tags (QuickTime
    mdta keys such as com.apple.quicktime.content.identifier are written as such); ``rotation``: the display
    matrix's counter-clockwise degrees; ``black_start_s``: seconds of black frames first (a fade-in)."""
    import av

    fmt, codec, pix = CONTAINERS[ext]
    width, height = size
    picture = np.asarray(source_photo(photo).convert("RGB").resize((width * 2, height)))
    buffer = io.BytesIO()
    options = {"movflags": "use_metadata_tags"} if fmt in ("mov", "mp4") and metadata else {}
    with av.open(buffer, "w", format=fmt, options=options) as container:
        for key, value in (metadata or {}).items():
            container.metadata[key] = value
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, pix
        if gop:
            stream.codec_context.gop_size = gop
        if rotation:
            stream.set_display_rotation(rotation)
        frames = int(seconds * fps)
        for i in range(frames):
            if i < black_start_s * fps:
                rgb = np.zeros((height, width, 3), np.uint8)
            else:
                shift = int(i * width / max(frames, 1))
                rgb = np.ascontiguousarray(picture[:, shift:shift + width])
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def apple_maker_note(content_id: str) -> bytes:
    """An Apple maker note ("Apple iOS", big-endian IFD at 14) holding tag 17, the Live Photo content identifier."""
    text = content_id.encode("ascii") + b"\x00"
    entries = struct.pack(">H", 1) + struct.pack(">HHII", 17, 2, len(text), 14 + 2 + 12 + 4) + b"\x00\x00\x00\x00"
    return b"Apple iOS\x00\x00\x01MM" + entries + text


def live_still(content_id: str | None = None, photo: str = "coffee", taken: str = "2024:05:17 14:03:22") -> bytes:
    """A phone's JPEG still, with Apple's maker note when ``content_id`` is given."""
    exif = Image.Exif()
    exif.load(make_exif(make="Apple", model="iPhone 13", taken=taken, offset="+02:00"))
    if content_id:
        exif.get_ifd(0x8769)[0x927C] = apple_maker_note(content_id)
    return encode(source_photo(photo).convert("RGB"), "JPEG", exif.tobytes(), quality=85)


def raw_jpeg_pair(photo: str = "chelsea", taken: str = "2023:08:01 09:15:00") -> tuple[bytes, bytes]:
    """(DNG, JPEG) of one shutter press: the same picture and capture time."""
    image = source_photo(photo).convert("RGB")
    dng = write_dng(image, make="Canon", model="EOS R5", taken=taken)
    jpeg = encode(image, "JPEG", make_exif(make="Canon", model="EOS R5", taken=taken), quality=90)
    return dng, jpeg


def plain_jpeg(photo: str = "astronaut", exif: bytes | None = None) -> bytes:
    return encode(source_photo(photo).convert("RGB"), "JPEG", exif, quality=85)


def xmp_sidecar(*, taken: str | None = None, rating: int | None = None, keywords=(), lat: str | None = None,
                lon: str | None = None, created: str | None = None, attributes: bool = True) -> bytes:
    """An XMP sidecar as Lightroom (properties as attributes) or darktable (``attributes=False``: elements) writes."""
    props = {}
    if taken:
        props["exif:DateTimeOriginal"] = taken
    if created:
        props["xmp:CreateDate"] = created
    if rating is not None:
        props["xmp:Rating"] = str(rating)
    if lat:
        props["exif:GPSLatitude"], props["exif:GPSLongitude"] = lat, lon
    if attributes:
        inline = " ".join(f'{k}="{v}"' for k, v in props.items())
        children = ""
    else:
        inline = ""
        children = "".join(f"<{k}>{v}</{k}>" for k, v in props.items())
    if keywords:
        children += "<dc:subject><rdf:Bag>" + "".join(f"<rdf:li>{k}</rdf:li>" for k in keywords) + "</rdf:Bag></dc:subject>"
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" {inline}>
   {children}
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode("utf-8")


def takeout_json(title: str, *, timestamp: int | None = None, lat: float = 0.0, lon: float = 0.0,
                 description: str = "") -> bytes:
    """A Google Takeout photo record, as Takeout writes it (timestamps as strings, 0,0 for no position)."""
    record = {"title": title, "description": description, "imageViews": "3",
              "creationTime": {"timestamp": "1700000000", "formatted": "14 Nov 2023, 22:13:20 UTC"},
              "geoData": {"latitude": lat, "longitude": lon, "altitude": 0.0, "latitudeSpan": 0.0,
                          "longitudeSpan": 0.0},
              "url": "https://photos.google.com/photo/AF1Qip", "googlePhotosOrigin": {"mobileUpload": {}}}
    if timestamp is not None:
        record["photoTakenTime"] = {"timestamp": str(timestamp), "formatted": ""}
    return json.dumps(record, indent=2).encode("utf-8")


def write(root: Path, rel: str, data: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
