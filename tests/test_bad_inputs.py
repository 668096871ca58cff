"""A folder of every kind of bad and odd input: the run finishes, bad files are listed with a
reason, every good image is embedded once."""

import io
import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from imgorg import ClusterConfig, RunConfig, load_workspace, run

pytestmark = pytest.mark.slow


INVALID_UTF8_TEXT = "invalid-\\xff\\xfe.jpg"  # how the catalog writes the name b"invalid-\xff\xfe.jpg"


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _with_ihdr_size(png: bytes, width: int, height: int) -> bytes:
    """A PNG whose header claims another size, with a correct CRC (a decompression bomb's header)."""
    ihdr = bytearray(png[8 + 8 : 8 + 8 + 13])
    ihdr[0:8] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)) & 0xFFFFFFFF)
    return png[:16] + bytes(ihdr) + crc + png[16 + 13 + 4 :]


def build_corpus(root):
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    good, bad = {}, {}

    def put(name, data, is_good):
        path = root / name
        path.write_bytes(data)
        (good if is_good else bad)[name] = path

    buffer = io.BytesIO(); photo.save(buffer, format="JPEG"); jpeg = buffer.getvalue()
    put("truncated.jpg", jpeg[: len(jpeg) // 2], False)
    put("empty.jpg", b"", False)
    put("text.jpg", b"just some text, not a picture\n", False)
    put("page.png", b"<!doctype html><html><body>hi</body></html>", False)
    png = _png(photo)
    broken_crc = bytearray(png); broken_crc[29] ^= 0xFF  # the IHDR CRC
    put("wrong-crc.png", bytes(broken_crc), False)
    put("bomb.png", _with_ihdr_size(_png(Image.new("L", (8, 8))), 30000, 30000), False)

    put("gray16.png", _png(Image.fromarray((rng.integers(0, 65535, (32, 32))).astype(np.uint16))), True)
    buffer = io.BytesIO(); photo.convert("CMYK").save(buffer, format="JPEG"); put("cmyk.jpg", buffer.getvalue(), True)
    palette = photo.convert("P"); palette.info["transparency"] = 0
    put("palette-transparent.png", _png(palette), True)
    buffer = io.BytesIO()
    photo.save(buffer, format="GIF", save_all=True, append_images=[photo.rotate(90)], duration=100, loop=0)
    put("animated.gif", buffer.getvalue(), True)
    exif = Image.Exif(); exif[0x0112] = 6
    buffer = io.BytesIO(); photo.save(buffer, format="JPEG", exif=exif.tobytes()); put("exif-rotated.jpg", buffer.getvalue(), True)
    put("one-pixel.png", _png(Image.new("RGB", (1, 1), (255, 0, 0))), True)
    put("panorama.png", _png(Image.new("RGB", (10000, 50), (0, 128, 255))), True)
    put("name with spaces.jpg", jpeg, True)
    put("ünïcødé-图片.jpg", jpeg[:-2] + b"\xff\xd9", True)
    # Not UTF-8: catalogued as "invalid-\\xff\\xfe.jpg" (text for Parquet) and still embedded.
    good[INVALID_UTF8_TEXT] = root / os.fsdecode(b"invalid-\xff\xfe.jpg")
    good[INVALID_UTF8_TEXT].write_bytes(jpeg + b"\x00")  # distinct content: embedded on its own
    (root / "folder.jpg").mkdir()  # a directory with an image's name: not catalogued at all
    os.symlink(root, root / "loop")  # a symlink loop: the walk does not follow it
    return good, bad


def test_bad_and_odd_inputs_never_stop_a_run(tmp_path):
    root = tmp_path / "mess"
    root.mkdir()
    good, bad = build_corpus(root)
    result = run(root, tmp_path / "ws", RunConfig(cluster=ClusterConfig(k=12)))
    ws = load_workspace(tmp_path / "ws")
    status = dict(zip(ws.catalog["path"], ws.catalog["status"]))
    reasons = dict(zip(ws.catalog["path"], ws.catalog["error"]))
    assert set(status) == set(good) | set(bad)
    for name in bad:
        assert status[name] == "error" and reasons[name], name
    for name in good:
        assert status[name] == "ok", (name, reasons[name])
    assert "too large" in reasons["bomb.png"]
    assert ws.images["path"].str.contains("xff").sum() == 1  # the escaped name, embedded
    # ... and the tools that reopen source files find it: export keeps the name on disk.
    from imgorg.tasks.export import export_folders

    export_folders(ws, tmp_path / "out", copy=True)
    exported = [p for p in (tmp_path / "out").rglob("*") if os.fsencode(p.name) == b"invalid-\xff\xfe.jpg"]
    assert len(exported) == 1 and exported[0].read_bytes() == good[INVALID_UTF8_TEXT].read_bytes()
    # identical content ("name with spaces.jpg" and the good JPEG bytes) is embedded once
    assert result.n_computed == len({ws.catalog.set_index("path").loc[n, "sha256"] for n in good})
    assert np.isfinite(ws.embeddings).all() and len(ws.embeddings) == len(good)
    assert ws.manifest["selection"]["k_capped_from"] == 12  # 10 images, k=12: capped, not an error


def test_a_folder_with_one_readable_image_says_which_files_failed(tmp_path):
    from imgorg.errors import TooFewImagesError

    root = tmp_path / "few"
    root.mkdir()
    good, bad = build_corpus(tmp_path)  # in tmp_path itself: pick one good and two bad files
    (root / "photo.jpg").write_bytes(good["name with spaces.jpg"].read_bytes())
    (root / "text.jpg").write_bytes(bad["text.jpg"].read_bytes())
    (root / "empty.jpg").write_bytes(b"")
    with pytest.raises(TooFewImagesError) as caught:
        run(root, tmp_path / "ws", RunConfig(cluster=ClusterConfig(k=2)))
    message = str(caught.value)
    assert "1 of the 3 files selected" in message and "clustering needs at least 2" in message
    assert "text.jpg: not an image" in message and "empty.jpg: empty file" in message
    from imgorg.tasks.run import embed_only  # embedding needs no second image

    embedded, _ = embed_only(root, tmp_path / "ws-embed", RunConfig())
    assert len(embedded.embeddings) == 1


def test_an_unreadable_file_is_reported_and_the_rest_catalogued(tmp_path):
    """chmod 000, proven with permissions that apply: root reads anything, so as root the
    catalog runs in a child without the capabilities that bypass file permissions."""
    import json
    import shutil
    import subprocess
    import sys

    for name, colour in (("a.png", (250, 0, 0)), ("secret.png", (0, 250, 0))):
        Image.new("RGB", (8, 8), colour).save(tmp_path / name)
    (tmp_path / "secret.png").chmod(0o000)
    command = [sys.executable, "-c", "import json, sys; from imgorg.sources import scan_folder; "
               "c = scan_folder(sys.argv[1]); print(json.dumps(dict(zip(c['path'], c['error'].fillna('')))))",
               str(tmp_path)]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv (util-linux): cannot drop CAP_DAC_OVERRIDE")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        (tmp_path / "secret.png").chmod(0o644)
    assert result.returncode == 0, result.stderr
    errors = json.loads(result.stdout.strip().splitlines()[-1])
    assert errors == {"a.png": "", "secret.png": "cannot read: Permission denied"}


def test_a_single_file_as_source_names_the_folder_that_holds_it(tmp_path):
    """`imgorg run IMG_0001.JPG` said the 'source folder does not exist', though the file does."""
    from imgorg.errors import SourceError
    from imgorg.sources import scan_source

    Image.new("RGB", (40, 30), (10, 20, 30)).save(tmp_path / "IMG_0001.JPG")
    with pytest.raises(SourceError, match=r"is a file; imgorg takes a folder of images: pass the folder"):
        scan_source(tmp_path / "IMG_0001.JPG")
