"""One cache directory for exported graphs and downloaded weights."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$IMGORG_CACHE`` if set, else the platform's user cache dir (~/.cache/imgorg on Linux)."""
    env = os.environ.get("IMGORG_CACHE")
    if env:
        path = Path(env).expanduser()
    else:
        from platformdirs import user_cache_dir

        path = Path(user_cache_dir("imgorg"))
    path.mkdir(parents=True, exist_ok=True)
    return path
