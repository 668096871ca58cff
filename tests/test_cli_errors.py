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


def test_a_command_line_imports_only_the_command_it_names():
    """`imgorg duplicates ...` starts without importing the other commands (nor scikit-learn)."""
    import subprocess
    import sys

    code = ("import sys; from imgorg.cli import main as m; sys.argv = ['imgorg', 'duplicates', '--help']\n"
            "try:\n    m.main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(n for n in sys.modules if n.startswith('imgorg.cli.') and n not in "
            "('imgorg.cli.main', 'imgorg.cli.console', 'imgorg.cli.options', 'imgorg.cli.duplicates')), "
            "'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[] False"


def test_the_reviews_process_imports_no_scikit_learn():
    """`imgorg run` spawns the review's process beside its own stages: scikit-learn and scipy.stats
    (about 2.5 s of CPU on a loaded machine, taken from the run) came in through modules it never used."""
    import subprocess
    import sys

    code = "import sys, imgorg.tasks.review; print('sklearn' in sys.modules, 'scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False False"


def test_an_unknown_map_is_refused_before_anything_is_embedded(tmp_path):
    import pytest

    from imgorg import ConfigError, MapConfig, RunConfig, run

    with pytest.raises(ConfigError, match="one of umap, tsne, pca, none"):  # it failed after the clustering
        run(tmp_path / "no images needed", tmp_path / "ws", RunConfig(map=MapConfig(method="foo")))


def test_a_workspace_is_no_source_and_no_source_is_its_own_workspace(tmp_path):
    import pytest

    from imgorg import ConfigError, run
    from imgorg.sources import scan_source

    from .conftest import make_image

    for i in range(3):
        make_image(tmp_path / "photos" / f"{i}.png", (40 * i, 200, 30))
    with pytest.raises(ConfigError, match="is the folder of images itself"):
        run(tmp_path / "photos", tmp_path / "photos")
    ws = tmp_path / "photos" / "ws"  # a workspace kept among the photos: its files are not the photos'
    (ws / "cache").mkdir(parents=True)
    (ws / "manifest.json").write_text('{"format": "imgorg-workspace"}')
    (ws / "cache" / "x.jpg").write_bytes(b"not read")
    assert sorted(scan_source(tmp_path / "photos").catalog["path"]) == ["0.png", "1.png", "2.png"]
    assert scan_source(tmp_path / "photos").skipped.empty
    with pytest.raises(ConfigError, match="is an imgorg workspace, not a folder of images"):
        run(ws, tmp_path / "other")


def test_python_arguments_of_the_wrong_kind_say_what_they_should_be(tmp_path):
    import pytest

    from imgorg import ClassifyConfig, ConfigError, run

    with pytest.raises(ConfigError, match="source must be a folder"):
        run(123, tmp_path / "ws")
    with pytest.raises(ConfigError, match=r"config must be an imgorg.RunConfig\(...\) or None, not dict"):
        run(tmp_path, tmp_path / "ws", config={"k": 5})
    with pytest.raises(ConfigError, match="review must be an imgorg.ReviewConfig"):
        run(tmp_path, tmp_path / "ws", review=True)
    with pytest.raises(ConfigError, match="not models='svm'"):  # "classifier 's' is not one of ..." before
        ClassifyConfig(models="svm").validate()


def test_a_read_only_place_to_write_is_said_without_a_traceback(tmp_path):
    """A read-only --out printed 50 lines of traceback ending in PermissionError (as root, chmod does not
    stop a write: the refusal is simulated)."""
    make_image(tmp_path / "img" / "a.png", (10, 200, 30))
    prelude = ("import pathlib\n"
               "def refuse(self, *a, **k):\n"
               "    raise PermissionError(1, 'Operation not permitted', str(self))\n"
               "pathlib.Path.mkdir = refuse")
    done = imgorg("run", str(tmp_path / "img"), "--out", str(tmp_path / "ro" / "ws"), prelude=prelude)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"cannot write {tmp_path / 'ro' / 'ws'}: Operation not permitted" in done.stderr.replace("\n", "")
