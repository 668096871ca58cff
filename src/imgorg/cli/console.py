"""What the person sees: progress bars and tables (rich). The library never prints."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ..progress import ProgressFactory
from ..sources import skipped_summary

# Piped or captured output gets room for a whole table, not rich's 80 columns with cut cells
# (COLUMNS, when set, still decides).
_piped = not (sys.stdout and sys.stdout.isatty()) and "COLUMNS" not in os.environ
console = Console(width=160 if _piped else None)
errors = Console(stderr=True)

__all__ = ["console", "errors", "escape", "print_error", "print_skipped", "progress_bars"]


def print_error(message: str) -> None:
    """``error: message`` on stderr. The message is printed as it is: text in square brackets, such
    as an extra's name in ``pip install 'imgorg[ray]'``, is not read as rich markup."""
    errors.print("[bold red]error:[/] " + escape(message), highlight=False)


def print_skipped(skipped) -> None:
    """The files under a folder that are not images, counted by reason with each kind of file
    (nothing is left out in silence)."""
    if skipped is None or skipped.empty:
        return
    one = len(skipped) == 1
    console.print(f"[yellow]{len(skipped):,} {'file is not an image' if one else 'files are not images'} imgorg can read "
                  f"and {'was' if one else 'were'} skipped:[/]")
    for row in skipped_summary(skipped):
        details = row["details"]
        kinds = ", ".join(d if len(details) == 1 else f"{d} ({n:,})" for d, n in details.items())
        console.print(f"  {row['count']:,} {row['reason']}" + (f": {kinds}" if kinds else "")
                      + (f" (e.g. {row['examples'][0]})" if row["examples"] else ""), highlight=False, markup=False)


class RateColumn(ProgressColumn):
    """Items per second, the figure that matters for embedding."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        unit = task.fields.get("unit", "img")
        return Text(f"{speed:,.0f} {unit}/s" if speed else "", style="progress.data.speed")


@contextmanager
def progress_bars() -> Iterator[ProgressFactory]:
    """A ProgressFactory drawing one rich bar per stage (plain logs when not a terminal)."""
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True),
        disable=not sys.stderr.isatty(),
    )

    def factory(description: str, total: int, unit: str = "img"):
        task = progress.add_task(description, total=total, unit=unit)
        return lambda n: progress.advance(task, n)

    with progress:
        yield factory
