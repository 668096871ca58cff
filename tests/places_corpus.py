"""A tiny photo folder with capture times and GPS positions in EXIF, and its workspace."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from imgorg import ClusterConfig, RunConfig, run

from .photo_corpus import make_exif

# (file, capture time, GPS): a trip to Lisbon, a day in Porto, a photo without a position
PHOTOS = [
    ("a.jpg", "2024:05:03 10:00:00", (38.7139, -9.1394)),  # Lisbon
    ("b.jpg", "2024:05:04 12:00:00", (38.7223, -9.1393)),
    ("c.jpg", "2024:05:07 18:00:00", (38.7100, -9.1450)),
    ("d.jpg", "2024:05:05 09:00:00", (38.7167, -9.1333)),
    ("e.jpg", "2024:08:20 11:00:00", (41.1496, -8.6110)),  # Porto
    ("f.jpg", "2024:08:20 15:00:00", (41.1579, -8.6291)),
    ("g.jpg", "2024:08:20 16:00:00", None),
]
CONFIG = RunConfig(cluster=ClusterConfig(method="kmeans", k=2))


def write_photos(folder: Path, with_gps: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i, (name, taken, gps) in enumerate(PHOTOS):
        pixels = (rng.random((48, 64, 3)) * 60 + 40 * (i % 3)).astype(np.uint8)
        exif = make_exif(taken=taken, gps=gps if with_gps else None)
        Image.fromarray(pixels).save(folder / name, "JPEG", exif=exif)
    return folder


def make_workspace(root: Path, with_gps: bool = True) -> Path:
    folder = write_photos(root / "photos", with_gps)
    return run(folder, root / "ws", CONFIG).workspace.path
