"""Shared fixtures: real CIFAR-10 images from the shared tarball, tiny synthetic images."""

from __future__ import annotations

import importlib
import zlib
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
# Set by `make test-reference`: there a missing reference package or a skipped reference test fails.
REFERENCE_RUN = "IMGORG_REFERENCE_RUN"
CIFAR_TAR = Path(os.environ.get("IMGORG_CIFAR_TAR", REPO.parent / "shared" / "datasets" / "cifar10-jpg.tar.gz"))


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Exported ONNX graphs go to a throwaway cache, not the user's."""
    old = os.environ.get("IMGORG_CACHE")
    os.environ["IMGORG_CACHE"] = str(tmp_path_factory.mktemp("imgorg-cache"))
    yield
    if old is None:
        os.environ.pop("IMGORG_CACHE", None)
    else:
        os.environ["IMGORG_CACHE"] = old


def extract_cifar(dest: Path, per_class: int, split: str = "test", offset: int = 0) -> Path:
    """Unpack ``per_class`` images of each class (ImageFolder layout) into ``dest``."""
    if not CIFAR_TAR.is_file():
        pytest.fail(f"CIFAR-10 tarball not found at {CIFAR_TAR}; set IMGORG_CIFAR_TAR")
    taken: dict[str, int] = {}
    with tarfile.open(CIFAR_TAR, "r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) != 3 or parts[0] != split:
                continue
            seen = taken.get(parts[1], 0)
            taken[parts[1]] = seen + 1
            if offset <= seen < offset + per_class:
                target = dest / parts[1] / parts[2]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
    return dest


@pytest.fixture(scope="session")
def cifar_small(tmp_path_factory) -> Path:
    """30 real CIFAR-10 test images of each of the 10 classes (300 in all)."""
    return extract_cifar(tmp_path_factory.mktemp("cifar-small"), per_class=30)


def make_image(path: Path, color, size=(40, 30), mode="RGB", fmt=None) -> Path:
    # Seeded by the file's own name, not hash(), which Python salts per process, nor the tmp folder, which
    # changes per run: the same test gets the same pixels every time.
    rng = np.random.default_rng(zlib.crc32(f"{path.parent.name}/{path.name}".encode()))
    path.parent.mkdir(parents=True, exist_ok=True)
    base = np.zeros((size[1], size[0], 3), np.float32) + np.array(color, np.float32)
    noisy = np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8)
    Image.fromarray(noisy).convert(mode).save(path, format=fmt)
    return path


def reference_package(name: str):
    """A reference implementation's module: skips its tests in the main venv, fails them in the reference run."""
    if os.environ.get(REFERENCE_RUN):
        return importlib.import_module(name)
    return pytest.importorskip(name, reason=f"{name} is in the reference venv only: run make test-reference")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In the reference run a skipped reference test is a failure: a skip there would hide a mismatch."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get(REFERENCE_RUN) and item.get_closest_marker("reference"):
        report.outcome = "failed"
        report.longrepr = f"a reference test was skipped in the reference run: {report.longrepr}"
