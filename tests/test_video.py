"""Videos as items of the collection: catalogued with duration, size and capture time from the container,
embedded through their poster frame, failed with a reason when unreadable, skipped without PyAV."""

from __future__ import annotations

import io
from datetime import datetime

import numpy as np
import pytest

from imgorg.images import decode_image, probe_image
from imgorg.sources import scan_source

from .companion_corpus import CONTAINERS, make_video, write

av = pytest.importorskip("av")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    for ext in CONTAINERS:
        write(root, f"clip{ext}", make_video(ext, seconds=2, metadata={"creation_time": "2024-01-02T03:04:05Z"}))
    return root


def _row(catalog, path):
    return catalog[catalog["path"] == path].iloc[0]


def test_every_container_is_catalogued_with_its_size_duration_and_format(clips):
    scan = scan_source(clips)
    assert scan.skipped.empty
    catalog = scan.catalog
    assert (catalog["status"] == "pending").all(), catalog[["path", "error"]]
    assert dict(zip(catalog["path"], catalog["format"])) == {
        "clip.3gp": "3GP video", "clip.avi": "AVI video", "clip.m4v": "MP4 video", "clip.mkv": "Matroska video",
        "clip.mov": "QuickTime video", "clip.mp4": "MP4 video", "clip.webm": "WebM video"}
    assert (catalog["width"] == 320).all() and (catalog["height"] == 240).all()
    assert catalog["duration_s"].between(1.9, 2.1).all()
    mkv = _row(catalog, "clip.mkv")
    assert mkv["taken_at_source"] == "container"


@pytest.mark.parametrize("ext", sorted(CONTAINERS))
def test_poster_frame_decodes_like_a_photo(clips, ext):
    data = (clips / f"clip{ext}").read_bytes()
    image = decode_image(data)
    assert image.mode == "RGB" and image.size == (320, 240)
    assert probe_image(data).format.endswith("video")
    assert np.asarray(image).std() > 20  # the photograph, not a black or flat frame


def test_poster_is_about_a_second_in_and_passes_over_a_black_start():
    import av as _av

    def ramp(gop: int) -> bytes:  # frame i is a flat grey of level 20 + 4 i: the poster's level tells its time
        buffer = io.BytesIO()
        with _av.open(buffer, "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=15)
            stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
            stream.codec_context.gop_size = gop
            for i in range(45):
                frame = _av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 + 4 * i, np.uint8), format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        return buffer.getvalue()

    level = float(np.asarray(decode_image(ramp(gop=15))).mean())
    assert abs(level - (20 + 4 * 15)) < 6  # the key frame at 1 s (frame 15)
    dark = make_video(".mp4", seconds=6, fps=10, gop=10, black_start_s=1.5)
    assert np.asarray(decode_image(dark)).mean() > 40  # the black key frame at 1 s is passed over


def test_phone_video_filmed_upright_is_catalogued_and_shown_upright(tmp_path):
    # stored landscape, the left half white; the display matrix turns it 90 degrees clockwise (as an iPhone
    # held upright writes it): shown portrait, the white half on top
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.set_display_rotation(-90)
        stored = np.zeros((240, 320, 3), np.uint8)
        stored[:, :160] = 255
        for _ in range(10):
            for packet in stream.encode(av.VideoFrame.from_ndarray(stored, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    write(tmp_path, "portrait.mp4", buffer.getvalue())
    row = scan_source(tmp_path).catalog.iloc[0]
    assert (row["width"], row["height"]) == (240, 320)
    shown = np.asarray(decode_image(buffer.getvalue()).convert("L"), dtype=float)
    assert shown.shape == (320, 240)
    assert shown[:150].mean() > 200 and shown[170:].mean() < 50


def test_apple_creation_date_location_and_camera_come_from_the_container(tmp_path):
    write(tmp_path, "IMG_0100.MOV", make_video(".mov", metadata={
        "com.apple.quicktime.creationdate": "2024-05-17T14:03:22+0200",
        "com.apple.quicktime.location.ISO6709": "+48.8584+002.2945+035.000/",
        "com.apple.quicktime.make": "Apple", "com.apple.quicktime.model": "iPhone 15 Pro"}))
    row = scan_source(tmp_path).catalog.iloc[0]
    assert (row["taken_at"], row["taken_at_offset_min"], row["taken_at_source"]) == (
        datetime(2024, 5, 17, 14, 3, 22), 120, "container")
    assert (row["gps_lat"], row["gps_lon"]) == (48.8584, 2.2945)
    assert (row["camera_make"], row["camera_model"]) == ("Apple", "iPhone 15 Pro")


def test_a_video_that_cannot_be_read_is_failed_with_its_reason(tmp_path):
    good = make_video(".mp4")
    write(tmp_path, "cut.mp4", good[: len(good) // 3])  # moov at the end: cut off
    write(tmp_path, "noise.mov", bytes(range(256)) * 40)  # a video by name only
    write(tmp_path, "ok.mp4", good)
    catalog = scan_source(tmp_path).catalog
    errors = dict(zip(catalog["path"], catalog["error"]))
    assert catalog.loc[catalog["path"] == "ok.mp4", "error"].isna().all()
    assert errors["cut.mp4"].startswith("MP4 video that cannot be opened")
    assert "video" in errors["noise.mov"]
    assert set(catalog.loc[catalog["path"] != "ok.mp4", "status"]) == {"error"}


def test_without_pyav_videos_are_skipped_naming_the_extra(tmp_path, monkeypatch):
    import imgorg.sources as sources

    write(tmp_path, "clip.mp4", make_video(".mp4"))
    write(tmp_path, "photo.png", b"")  # keeps the folder from holding no image at all
    monkeypatch.setattr(sources, "video_support", lambda: None)
    scan = scan_source(tmp_path)
    skipped = scan.skipped.set_index("path")
    assert skipped.loc["clip.mp4", "reason"] == "unsupported format"
    assert "pip install 'imgorg[video]'" in skipped.loc["clip.mp4", "detail"]


def test_videos_are_embedded_through_the_model_input_path(clips):
    from imgorg.embed.decode import decode_file
    from imgorg.embed.preprocess import Preprocess

    pixels, error = decode_file(clips / "clip.mp4", Preprocess(64, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)))
    assert error is None and pixels.shape == (64, 64, 3) and pixels.dtype == np.uint8
    pixels, error = decode_file(clips / "clip.webm", Preprocess(64, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)))
    assert error is None and pixels.std() > 10


def test_the_review_measures_a_videos_poster_like_a_photo(clips):
    from imgorg.review.quality import measure, quality_scores

    scores = measure((clips / "clip.mp4").read_bytes())
    assert (scores["width"], scores["height"]) == (320, 240)
    frame = quality_scores(["clip.mov", "clip.webm"], clips, workers=1)
    assert frame.notna().all().all()
