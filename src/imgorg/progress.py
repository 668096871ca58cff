"""How long work reports progress: the library counts, the caller draws.

A ProgressFactory is called once per stage with a description and the number
of items, and returns a function that is called with each batch's item count.
"""

from __future__ import annotations

from collections.abc import Callable

Advance = Callable[[int], None]
ProgressFactory = Callable[[str, int], Advance]


def start(progress: ProgressFactory | None, description: str, total: int, unit: str = "img") -> Advance:
    """The stage's advance function, or one that does nothing. ``unit``: what is counted, where it is not
    images, for a factory that takes it as a keyword (the CLI's shows "3 pairs/s", not "3 img/s")."""
    if not progress:
        return _ignore
    if unit != "img" and _takes_unit(progress):
        return progress(description, total, unit=unit)
    return progress(description, total)


def _takes_unit(factory: Callable) -> bool:
    import inspect

    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "unit" or p.kind is p.VAR_KEYWORD for p in parameters)


def _ignore(_: int) -> None:
    pass
