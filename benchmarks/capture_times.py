"""imgorg's capture time, camera and orientation against exiftool's, and the catalog scan's cost.

    PYTHONPATH=src python benchmarks/capture_times.py [--out /tmp/capture_corpus] [--timing BEFORE_SRC]

Needs exiftool (Debian: ``apt-get install libimage-exiftool-perl``), used only as the reference.
The corpus is built here, offline: the generated camera files of ``tests/camera_files.py`` and
``tests/photo_corpus.py`` (XMP, IPTC, EXIF variants, CRW, HEIC with and without irot, DNG, AVIF,
PNG with late EXIF, ...) plus every real photo found on this machine in the installed packages
(scikit-image's, matplotlib's and scikit-learn's sample photos) and ``/tmp/big12mp/jpeg`` if present.

For each file the reference capture time is the first exiftool reports in imgorg's order
(EXIF DateTimeOriginal with SubSecTimeOriginal, XMP exif:DateTimeOriginal / photoshop:DateCreated /
xmp:CreateDate, IPTC DateCreated+TimeCreated, Canon CRW TimeStamp, QuickTime CreateDate,
EXIF CreateDate (DateTimeDigitized), EXIF ModifyDate), compared to the second; files where
exiftool finds none are left out of the time figure. ``--timing`` also times ``scan_source``
on the corpus folder and on ``/tmp/big12mp/jpeg`` with this tree's ``src`` and with another
(``BEFORE_SRC``: the code before a change), alternating, 5 runs each, medians.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

from imgorg.sources import scan_source  # noqa: E402
from tests import camera_files as cf  # noqa: E402
from tests.photo_corpus import build_photo_corpus, make_exif, source_photo, skimage_data_folder  # noqa: E402

BIG = Path("/tmp/big12mp/jpeg")


def build(dest: Path) -> None:
    """The generated files (``gen/``, ``corpus/``) and the real photos found here (``real/``)."""
    if dest.exists():
        shutil.rmtree(dest)
    gen = dest / "gen"
    gen.mkdir(parents=True)
    photo = source_photo("chelsea").resize((300, 200))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "GoPro\x00\x00\x1fjunk", "HERO4 Silver\x00"
    exif.get_ifd(0x8769)[0x9003] = "2019:07:07 07:07:07"
    late_png = cf.png(photo, exif=make_exif(taken="2020:02:02 02:02:02", orientation=6), exif_after_pixels=True)
    digitized = Image.Exif()
    digitized[0x9004] = "2017:03:03 03:03:03"
    digitized[0x0132] = "2024:01:01 00:00:00"
    files = {
        "exif_subsec.jpg": cf.jpeg(photo, exif=_exif_with(original="2024:05:17 14:03:22", subsec="25",
                                                         offset="+02:00", make="Canon", model="Canon EOS R5")),
        "xmp_lightroom.jpg": cf.jpeg(photo, exif=_exif_with(modify="2024:06:01 09:00:00"),
                                     xmp=cf.xmp_packet(original="2024-05-17T14:03:22+02:00")),
        "xmp_photoshop.jpg": cf.jpeg(photo, xmp=cf.xmp_packet(photoshop="2022-12-24T18:30:05")),
        "xmp_create_elements.jpg": cf.jpeg(photo, xmp=cf.xmp_packet(create="2021-01-02T03:04:05", as_elements=True)),
        "xmp.png": cf.png(photo, xmp=cf.xmp_packet(original="2022-12-24T18:30:05")),
        "xmp_orientation.png": cf.png(photo, xmp=cf.xmp_packet(orientation=6)),
        "xmp.tif": cf.tiff(photo, xmp=cf.xmp_packet(original="2018-08-08T08:08:08")),
        "iptc.jpg": cf.jpeg(photo, iptc=cf.iptc_records("20210704", "213000-0400")),
        "iptc.tif": cf.tiff(photo, iptc=cf.iptc_records("20200505", "101010")),
        "digitized_ifd0.jpg": cf.jpeg(photo, exif=digitized.tobytes()),
        "modify_only.jpg": cf.jpeg(photo, exif=_exif_with(modify="2023:03:03 03:03:03")),
        "nul_make.jpg": cf.jpeg(photo, exif=exif.tobytes()),
        "late_exif.png": late_png,
        "dnl.jpg": cf.dnl_jpeg(photo),
        "bigtiff_be.tif": cf.bigtiff_big_endian(photo),
        "truncated.jpg": cf.jpeg(photo, exif=_exif_with(original="2016:06:16 16:16:16"))[:-30],
        "IMG_0001.CRW": cf.crw(datetime(2003, 9, 14, 16, 20, 1)),
    }
    try:
        files["no_irot.heic"] = cf.heic_without_irot(photo.transpose(Image.Transpose.ROTATE_90))
        files["irot.heic"] = cf.heic_with_irot(photo)
    except (KeyError, ValueError, OSError):  # no HEIF writer
        pass
    for name, data in files.items():
        (gen / name).write_bytes(data)
    build_photo_corpus(dest / "corpus")
    real = dest / "real"
    real.mkdir()
    for path in _real_photos():
        shutil.copy2(path, real / f"{path.parent.name}_{path.name}")


def _exif_with(original=None, subsec=None, offset=None, modify=None, make=None, model=None) -> bytes:
    exif = Image.Exif()
    main = exif.get_ifd(0x8769)
    for tag, value, where in ((0x9003, original, main), (0x9291, subsec, main), (0x9011, offset, main),
                              (0x0132, modify, exif), (0x010F, make, exif), (0x0110, model, exif)):
        if value is not None:
            where[tag] = value
    return exif.tobytes()


def _real_photos() -> list[Path]:
    site = skimage_data_folder().parents[1]
    found = [p for p in sorted(skimage_data_folder().iterdir()) if p.suffix.lower() in (".png", ".jpg", ".tif", ".gif")]
    for extra in ("matplotlib/mpl-data/sample_data/grace_hopper.jpg", "sklearn/datasets/images/china.jpg",
                  "sklearn/datasets/images/flower.jpg"):
        if (site / extra).exists():
            found.append(site / extra)
    if BIG.is_dir():
        found += sorted(BIG.glob("*.jpg"))[:16]
    return found


_TIME_TAGS = ["EXIF:DateTimeOriginal", "EXIF:SubSecTimeOriginal", "EXIF:OffsetTimeOriginal",
              "XMP-exif:DateTimeOriginal", "XMP-photoshop:DateCreated", "XMP-xmp:CreateDate",
              "IPTC:DateCreated", "IPTC:TimeCreated", "CanonRaw:TimeStamp", "QuickTime:CreateDate",
              "EXIF:CreateDate", "IFD0:CreateDate", "IFD0:ModifyDate"]


def exiftool(folder: Path) -> dict[str, dict]:
    out = subprocess.run(["exiftool", "-j", "-G1", "-r", "-n", "-api", "LargeFileSupport=1", "-Make", "-Model",
                          "-Orientation", "-FileType", "-Error", "-time:all", str(folder)],
                         capture_output=True, text=True, check=False).stdout
    return {str(Path(row["SourceFile"]).relative_to(folder)): row for row in json.loads(out or "[]")}


def reference_time(row: dict) -> tuple[datetime, str] | None:
    """exiftool's values in imgorg's order (group names as exiftool -G1 gives them)."""
    def get(*names):
        for name in names:
            for key, value in row.items():
                if key.split(":")[-1] == name.split(":")[-1] and key.split(":")[0] == name.split(":")[0]:
                    return str(value)
        return None

    candidates = [
        ("exif", get("ExifIFD:DateTimeOriginal", "IFD0:DateTimeOriginal")),
        ("xmp", get("XMP-exif:DateTimeOriginal") or get("XMP-photoshop:DateCreated") or get("XMP-xmp:CreateDate")),
        ("iptc", (get("IPTC:DateCreated") or "") + (" " + get("IPTC:TimeCreated") if get("IPTC:TimeCreated") else "")
         if get("IPTC:DateCreated") else None),
        ("makernote", get("CanonRaw:DateTimeOriginal")),
        ("container", get("QuickTime:CreateDate")),
        ("digitized", get("ExifIFD:CreateDate", "IFD0:CreateDate")),
        ("exif_datetime", get("IFD0:ModifyDate")),
    ]
    for source, text in candidates:
        parsed = _parse(text)
        if parsed is not None:
            return parsed, source
    return None


def _parse(text: str | None) -> datetime | None:
    """exiftool's "YYYY:MM:DD HH:MM[:SS][.ss][+-HH:MM]" (XMP may leave out the seconds or the time)."""
    match = re.match(r"(\d{4})[:-](\d{2})[:-](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?", text or "")
    if not match:
        return None
    try:
        return datetime(*(int(x or 0) for x in match.groups()))
    except ValueError:
        return None


def compare(folder: Path) -> dict:
    reference = exiftool(folder)
    scan = scan_source(folder)
    catalog = scan.catalog.set_index("path")
    times = makes = orients = 0
    time_total = make_total = orient_total = 0
    disagreements = []
    for path, row in catalog.iterrows():
        ref = reference.get(path, {})
        if "Error" in ref:
            continue
        want = reference_time(ref)
        if want is not None:
            time_total += 1
            got = row["taken_at"]
            ok = got is not None and str(got)[:19] == want[0].isoformat(sep=" ")[:19]
            times += ok
            if not ok:
                disagreements.append(f"time {path}: imgorg {got} ({row['taken_at_source']}), exiftool {want[0]} ({want[1]})")
        if "IFD0:Make" in ref or "IFD0:Model" in ref:
            make_total += 1
            pair = (str(ref.get("IFD0:Make", "")).strip(), str(ref.get("IFD0:Model", "")).strip())
            got = (_s(row["camera_make"]), _s(row["camera_model"]))
            ok = got == pair
            makes += ok
            if not ok:
                disagreements.append(f"camera {path}: imgorg {got}, exiftool {pair}")
        if row["status"] != "error":
            orient_total += 1
            want_orientation = next((int(v) for k, v in ref.items() if k.endswith(":Orientation")
                                     and isinstance(v, (int, float))), 1)
            ok = int(row["orientation"]) == want_orientation  # late_exif.png differs by design (docs)
            orients += ok
            if not ok:
                disagreements.append(f"orientation {path}: imgorg {row['orientation']}, exiftool {want_orientation}")
    return {"files": len(catalog), "skipped": len(scan.skipped), "time": (times, time_total),
            "camera": (makes, make_total), "orientation": (orients, orient_total), "disagreements": disagreements,
            "sources": catalog["taken_at_source"].value_counts().to_dict()}


def _s(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def time_scans(folders: list[Path], before_src: str, runs: int = 5) -> dict:
    code = ("import sys, time; from imgorg.sources import scan_source; t = time.perf_counter(); "
            "scan_source(sys.argv[1], workers=2); print(time.perf_counter() - t)")
    out = {}
    for folder in folders:
        seconds = {"before": [], "after": []}
        for _ in range(runs):
            for name, src in (("before", before_src), ("after", str(ROOT / "src"))):
                env = {**os.environ, "PYTHONPATH": src}
                result = subprocess.run([sys.executable, "-c", code, str(folder)], env=env, capture_output=True,
                                        text=True, check=True)
                seconds[name].append(float(result.stdout.strip().splitlines()[-1]))
        out[str(folder)] = {k: statistics.median(v) for k, v in seconds.items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/capture_corpus"))
    parser.add_argument("--timing", metavar="BEFORE_SRC", help="also time scan_source against this src folder")
    args = parser.parse_args()
    if shutil.which("exiftool") is None:
        sys.exit("exiftool is needed as the reference: apt-get install libimage-exiftool-perl")
    build(args.out)
    result = compare(args.out)
    for name in ("time", "camera", "orientation"):
        agree, total = result[name]
        print(f"{name}: {agree}/{total} agree with exiftool")
    print(f"files catalogued {result['files']}, skipped {result['skipped']}; taken_at_source: {result['sources']}")
    for line in result["disagreements"]:
        print("  " + line)
    if args.timing:
        folders = [args.out] + ([BIG] if BIG.is_dir() else [])
        for folder, medians in time_scans(folders, args.timing).items():
            print(f"scan_source {folder}: before {medians['before']:.3f} s, after {medians['after']:.3f} s "
                  f"(median of 5, alternating)")


if __name__ == "__main__":
    main()
