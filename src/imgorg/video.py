"""Videos as items of the collection: a poster frame to embed, and what the container says.

A video (MOV, MP4, M4V, 3GP, AVI, MKV, WebM) is catalogued like a photo: its poster
frame goes through the same decode path (``images.decode_image`` hands video bytes
here), so it is embedded, clustered, mapped, searched and reviewed with the photos.
The container gives the rest: duration, size as displayed (rotation applied), capture
time (Apple's ``com.apple.quicktime.creationdate`` with its UTC offset, else the
``creation_time`` tag, which is UTC and is shown in this machine's time zone, as
file times are), camera make/model and GPS (ISO 6709) where phones write them, and
Apple's Live Photo content identifier.

The poster frame is the key frame at or before 10% of the duration (at least 1 s in,
never past the middle): a seek plus one frame's decode, so a poster costs about what a
photo's decode costs (docs/camera-files.md). A black key frame (a fade-in, a
lens cap) is passed over for the key frames at a quarter and at half the duration, then
for the few frames after that.

Reading videos needs PyAV (FFmpeg inside the wheel): ``pip install 'imgorg[video]'``.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import re
import struct
from datetime import datetime, timezone

import numpy as np
from PIL import Image

from .errors import ImageDecodeError
from .formats import sniff

log = logging.getLogger(__name__)

VIDEO_EXTRA = "pip install 'imgorg[video]'"
VIDEO_EXTENSIONS = frozenset({".mov", ".mp4", ".m4v", ".3gp", ".3g2", ".avi", ".mkv", ".webm", ".qt"})
SOURCE_CONTAINER = "container"  # taken_at read from the video container's creation date
POSTER_FRACTION = 0.1  # the poster frame: this share of the duration in ...
POSTER_MIN_S = 1.0  # ... but at least this far in (and never past the middle)
DARK_MEAN = 28  # a frame whose mean 8-bit luma is below this is black (16 is black in limited range)
DARK_TRIES = 12  # frames decoded at most past a black one
_CONTENT_ID = "com.apple.quicktime.content.identifier"
_ISO6709 = re.compile(r"([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")
_QT_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


@functools.cache
def video_support():
    """The PyAV module, or None when it is not installed."""
    try:
        import av
    except ImportError:
        return None
    return av


def is_video_name(name: str) -> bool:
    """Whether the file's extension says it is a video."""
    stem, dot, ext = name.rpartition(".")
    return bool(dot and stem) and f".{ext.lower()}" in VIDEO_EXTENSIONS


def sniff_video(head: bytes) -> str | None:
    """The video container the first 64 bytes announce ("MP4", "QuickTime", "3GP", "M4V", "WebM",
    "Matroska", "AVI"), or None. HEIF/AVIF/CR3 (also ISO boxes) are not videos: ``formats.sniff`` tells them."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if sniff(head) is not None:  # HEIF, AVIF, CR3: pictures in ISO boxes
            return None
        if brand == b"qt  ":
            return "QuickTime"
        if brand.startswith((b"3gp", b"3g2")):
            return "3GP"
        return "M4V" if brand.startswith(b"M4V") else "MP4"
    if head[4:8] in _QT_ATOMS:  # QuickTime files older than the ftyp box
        return "QuickTime"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "WebM" if b"webm" in head[:64] else "Matroska"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "AVI"
    return None


def video_fields(data: bytes) -> dict:
    """The catalog's fields for a video: format ("MP4 video", ...), width/height as displayed, orientation
    1, duration_s, taken_at (+ offset, source "container" or None), camera, GPS, and ``content_id`` (Apple's
    Live Photo identifier, or None). Raises ImageDecodeError saying what is wrong."""
    container_name = sniff_video(data[:64]) or "video"
    with _Video(data, container_name) as (container, stream):
        meta = {k.lower(): v for k, v in container.metadata.items()}
        width, height = _display_size(data, stream)
        taken, offset = container_time(meta, stream.metadata)
        lat, lon = iso6709(meta.get("com.apple.quicktime.location.iso6709") or meta.get("location"))
        return {
            "format": f"{container_name} video",
            "width": width, "height": height, "orientation": 1,
            "duration_s": _duration(container, stream),
            "taken_at": taken, "taken_at_offset_min": offset,
            "taken_at_source": SOURCE_CONTAINER if taken is not None else None,
            "camera_make": meta.get("com.apple.quicktime.make") or meta.get("com.android.manufacturer") or meta.get("make"),
            "camera_model": meta.get("com.apple.quicktime.model") or meta.get("com.android.model") or meta.get("model"),
            "gps_lat": lat, "gps_lon": lon,
            "content_id": meta.get(_CONTENT_ID),
        }


def poster_frame(data: bytes, draft_size: int | None = None, reduce_gap: int = 1) -> Image.Image:
    """The video's poster frame as an RGB PIL image, upright; with ``draft_size``, scaled down (by
    FFmpeg's scaler, in the same pass as the colour conversion) to at least ``reduce_gap`` x
    ``draft_size`` on its shorter side, as ``decode_image`` does for photos."""
    container_name = sniff_video(data[:64]) or "video"
    with _Video(data, container_name) as (container, stream):
        frame = _pick_frame(container, stream, container_name)
        width, height = frame.width, frame.height
        scale = reduce_gap * draft_size / min(width, height) if draft_size else 1.0
        if scale <= 0.5:  # scaled in the colour conversion's pass: the shorter side kept at reduce_gap x draft_size
            rgb = frame.reformat(width=max(1, round(width * scale)), height=max(1, round(height * scale)),
                                 format="rgb24", interpolation="AREA")
        else:
            rgb = frame.reformat(format="rgb24")
        image = Image.fromarray(rgb.to_ndarray())
        return _rotate(image, tkhd_rotation(data) or getattr(frame, "rotation", 0) or 0)


def container_time(meta: dict, stream_meta: dict | None = None) -> tuple[datetime | None, int | None]:
    """(local wall-clock capture time, UTC offset in minutes) from a container's tags: Apple's creationdate
    carries its offset; ``creation_time`` is UTC, shown in this machine's zone (as file times are)."""
    apple = _iso_time(meta.get("com.apple.quicktime.creationdate"))
    if apple is not None and apple.tzinfo is not None:
        return apple.replace(tzinfo=None), int(apple.utcoffset().total_seconds() // 60)
    for value in (meta.get("creation_time"), (stream_meta or {}).get("creation_time"), meta.get("date")):
        when = _iso_time(value)
        if when is None or when.year < 1971:  # 1904/1970: an encoder's zero, not a date
            continue
        local = (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone()
        return local.replace(tzinfo=None), int(local.utcoffset().total_seconds() // 60)
    return None, None


def iso6709(value) -> tuple[float | None, float | None]:
    """"+48.8584+002.2945+035.000/" as (latitude, longitude), or (None, None)."""
    match = _ISO6709.match(str(value or "").strip())
    if not match:
        return None, None
    lat, lon = float(match.group(1)), float(match.group(2))
    if abs(lat) > 90 or abs(lon) > 180 or (lat == 0 and lon == 0):
        return None, None
    return lat, lon


# Probing a stream (avformat_find_stream_info) decodes frames with a thread pool: 15-35 ms per 1080p file.
# MP4/MOV/MKV headers already say the frame size, so probe without decoding first; MPEG-4 Part 2 in 3GP
# or AVI may only say it in the bitstream, and such a file is opened again with the full probe.
_QUICK_PROBE = {"threads": "1", "skip_frame": "nonkey"}


class _Video:
    """An opened container and its first video stream; closes the container on exit."""

    def __init__(self, data: bytes, container_name: str):
        av = video_support()
        if av is None:
            raise ImageDecodeError(f"{container_name} video: reading it needs {VIDEO_EXTRA}")
        if not data:
            raise ImageDecodeError("empty file")
        self.container = self.stream = None
        for options in (_QUICK_PROBE, {}):
            if self.container is not None:
                self.container.close()
            try:
                self.container = av.open(io.BytesIO(data), options=options, metadata_errors="ignore")
            except (av.FFmpegError, ValueError, OSError) as err:
                raise ImageDecodeError(f"{container_name} video that cannot be opened: {_ffmpeg_reason(err)}") from None
            if not self.container.streams.video:
                self.container.close()
                raise ImageDecodeError(f"{container_name} file with no video stream (audio only?)")
            self.stream = self.container.streams.video[0]
            if self.stream.codec_context is not None and self.stream.codec_context.width:
                return
        self.container.close()
        raise ImageDecodeError(f"{container_name} video whose frame size is unknown (damaged header)")

    def __enter__(self):
        return self.container, self.stream

    def __exit__(self, *exc):
        self.container.close()
        return False


def _pick_frame(container, stream, container_name: str):
    """The key frame at or before the poster time; when it is black, the key frames at a quarter and at
    half the duration; when those are black too, the frames after the last one (a few)."""
    av = video_support()
    duration = _duration(container, stream) or 0.0
    target = min(max(duration * POSTER_FRACTION, POSTER_MIN_S), duration / 2) if duration else 0.0
    times = sorted({target, duration / 4, duration / 2} - {0.0}) or [0.0]
    context = stream.codec_context
    context.thread_type, context.thread_count = "NONE", 1  # one frame: a thread pool costs more than it saves
    chosen = None
    try:
        for at in [t for t in times if t >= target]:
            chosen = _key_frame(container, stream, at) or chosen
            if chosen is not None and not _dark(chosen):
                return chosen
        context.flush_buffers()
        for tries, frame in enumerate(container.decode(stream)):  # black key frames: what follows the last
            chosen = frame
            if not _dark(frame) or tries >= DARK_TRIES:
                break
    except av.FFmpegError as err:
        if chosen is None:
            raise ImageDecodeError(f"{container_name} video whose frames cannot be decoded: {_ffmpeg_reason(err)}") from None
    if chosen is None:
        raise ImageDecodeError(f"{container_name} video with no frame that decodes (truncated?)")
    return chosen


def _key_frame(container, stream, at: float):
    """The key frame at or before ``at`` seconds, decoded alone: its packet is sent and the decoder drained,
    so no frame after it is decoded (a decoder holding frames back for B-frames would decode several)."""
    if at > 0 and stream.time_base:
        container.seek(int(at / stream.time_base), stream=stream, backward=True, any_frame=False)
    context = stream.codec_context
    context.flush_buffers()
    for packet in container.demux(stream):
        if packet.size and packet.is_keyframe:
            frames = context.decode(packet) + context.decode(None)
            context.flush_buffers()
            if frames:
                return frames[0]
        if packet.pts is not None and stream.time_base and float(packet.pts * stream.time_base) > at + 10:
            break  # no key frame near: leave it to the plain decode
    return None


def _dark(frame) -> bool:
    """Whether the frame is black: the mean of a subsample of its luma plane (YUV formats; 16 is black in
    video's usual limited range) is below DARK_MEAN. Frames in other pixel formats count as not black."""
    if not frame.format.name.startswith(("yuv", "yuvj", "nv12", "gray")):
        return False
    plane = frame.planes[0]
    rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[::8, : plane.width : 8]
    return float(rows.mean()) < DARK_MEAN


def _duration(container, stream) -> float | None:
    if stream.duration and stream.time_base:
        return round(float(stream.duration * stream.time_base), 3)
    if container.duration:
        return round(container.duration / 1_000_000, 3)  # AV_TIME_BASE
    return None


def _display_size(data: bytes, stream) -> tuple[int, int]:
    width, height = stream.codec_context.width, stream.codec_context.height
    return (height, width) if tkhd_rotation(data) % 180 == 90 else (width, height)


def tkhd_rotation(data: bytes) -> int:
    """Degrees (counter-clockwise, 0/90/180/270) the video track's display matrix turns the picture, from
    the ISO/QuickTime ``tkhd`` box (a phone filming upright stores landscape frames and this matrix);
    read from the bytes, so no frame is decoded to learn the displayed size. 0 when there is none."""
    start = 0
    for _ in range(8):  # one tkhd per track: the video's is the one with a size
        at = data.find(b"tkhd", start)
        if at < 4:
            return 0
        start = at + 4
        matrix = at + 4 + 4 + (32 if data[at + 4:at + 5] == b"\x01" else 20) + 16
        if matrix + 44 > len(data):
            return 0
        a, b = struct.unpack(">2i", data[matrix:matrix + 8])
        width, height = struct.unpack(">2I", data[matrix + 36:matrix + 44])
        if width and height:
            return int(round(math.degrees(math.atan2(-b, a)))) % 360
    return 0


def _rotate(image: Image.Image, degrees: float) -> Image.Image:
    """Turn a frame by its display matrix: PyAV gives the angle counter-clockwise."""
    turn = int(round(degrees)) % 360
    method = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}.get(turn)
    return image.transpose(method) if method is not None else image


def _iso_time(value) -> datetime | None:
    text = str(value or "").strip()
    if not text:
        return None
    text = text.replace("Z", "+00:00")
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)  # "+0200" -> "+02:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _ffmpeg_reason(err: BaseException) -> str:
    """FFmpeg's words for an error, without its errno and file name ("invalid data found when processing input")."""
    text = getattr(err, "strerror", None) or str(err)
    text = text[0].lower() + text[1:] if text else type(err).__name__
    return text + " (truncated or damaged?)" if "invalid data" in text else _short(text)


def _short(err) -> str:
    text = str(err) or type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."


__all__ = ["SOURCE_CONTAINER", "VIDEO_EXTENSIONS", "VIDEO_EXTRA", "container_time", "is_video_name", "iso6709",
           "poster_frame", "sniff_video", "tkhd_rotation", "video_fields", "video_support"]
