"""What a command was given: a workspace or a folder of images, an image file, an id or words.

One rule for every command that takes "a workspace or a folder" (``imgorg duplicates``,
``imgorg compare``): a workspace is used as it is; a folder gets its workspace at ``--out`` (or
./workspaces/<folder>), the one made from all of that folder if there is one, else a new one
embedded now with k-means, no map and no report, since only the embeddings matter to them.
"""

from __future__ import annotations

from pathlib import Path

from ..config import ClusterConfig, MapConfig, RunConfig
from ..errors import ConfigError, WorkspaceError
from ..pipeline import default_workspace
from ..progress import ProgressFactory
from ..workspace import is_workspace, read_manifest
from .run import run


def workspace_for(source: str | Path, out: str | Path | None = None, progress: ProgressFactory | None = None,
                  k: int | str = 2) -> tuple[Path, bool]:
    """(the workspace a command works on, whether it was made now). ``source`` is a workspace (then
    ``out`` must be None) or a folder of images, embedded into ``out`` if it has no workspace there;
    ``k``: the clusters of that new workspace's k-means. Raises TooFewImagesError when the folder
    holds fewer than two readable images."""
    source = Path(source)
    if is_workspace(source):
        if out is not None:
            raise ConfigError(f"--out is for a folder of images; {source} is already a workspace")
        return source, False
    if not source.is_dir():
        raise WorkspaceError(f"{source} does not exist; pass a workspace made by `imgorg run` or a folder of images")
    return workspace_for_folder(source, Path(out) if out else default_workspace(source), progress, k)


def workspace_for_folder(folder: Path, path: Path, progress: ProgressFactory | None = None,
                         k: int | str = 2) -> tuple[Path, bool]:
    """(the workspace of a folder of images, whether it was made now): the one at ``path`` if it was
    made from all of this folder, else a new one there with k-means, not scan, and no report: only
    the embeddings matter to the commands that need one (10,000 images: 48 s against about 66 s
    for `imgorg run`). Raises TooFewImagesError when the folder holds fewer than two readable images."""
    if is_workspace(path):
        check_source_of(path, folder)
        return path, False
    run(folder, path, RunConfig(cluster=ClusterConfig(method="kmeans", k=k), map=MapConfig(method="none")),
        progress=progress)
    return path, True


def check_source_of(path: Path, folder: Path) -> None:
    """Refuse a workspace made from another source, or from only part of this folder."""
    source = read_manifest(path).get("source", {})
    root = source.get("root")
    if not root or Path(root).resolve() != Path(folder).resolve():
        raise WorkspaceError(f"{path} is the workspace of another source ({root}); pass --out with a new "
                             f"folder for {folder}")
    subset = {key: source[key] for key in ("limit", "sample") if source.get(key)}
    if subset:
        option = " ".join(f"--{key} {value}" for key, value in subset.items())
        raise WorkspaceError(f"{path} holds only part of {folder} ({option}); run `imgorg run {folder} --out "
                             f"{path}` to embed all of it, or pass --out with a new folder")
