"""How long work reports progress: the library counts, the caller draws.

A ProgressFactory is called once per stage with a description and the number
of items, and returns a function that is called with each batch's item count.
"""

from __future__ import annotations

from collections.abc import Callable

Advance = Callable[[int], None]
ProgressFactory = Callable[[str, int], Advance]


def start(progress: ProgressFactory | None, description: str, total: int) -> Advance:
    """The stage's advance function, or one that does nothing."""
    return progress(description, total) if progress else _ignore


def _ignore(_: int) -> None:
    pass
