"""What the CLI prints on an error: the message as the library wrote it, square brackets included."""

from __future__ import annotations

import subprocess
import sys

from .conftest import make_image


def imgorg(*args: str, prelude: str = "") -> subprocess.CompletedProcess:
    code = f"{prelude}\nimport sys\nfrom imgorg.cli.main import main\nsys.argv = ['imgorg', *{list(args)!r}]\nmain()"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_the_extra_to_install_survives_in_the_error(tmp_path):
    """rich reads [ray] as markup and printed `pip install 'imgorg'`: the one part that matters lost."""
    make_image(tmp_path / "img" / "a.png", (10, 200, 30))
    done = imgorg("embed", str(tmp_path / "img"), "--out", str(tmp_path / "ws"), "--engine", "ray",
                  prelude="import sys; sys.modules['ray'] = None  # as if Ray were not installed")
    assert done.returncode == 2
    assert "pip install 'imgorg[ray]'" in done.stderr


def test_a_path_with_brackets_is_printed_as_it_is(tmp_path):
    missing = tmp_path / "photos [2024]" / "[bold]x"
    done = imgorg("run", str(missing))
    assert done.returncode == 2 and f"{missing}" in done.stderr.replace("\n", "")
