"""What the person sees: progress bars and tables (rich). The library never prints."""

from __future__ import annotations

import os
import sys
import time
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
        return Text(f"{_rate(speed)} {unit}/s" if speed else "", style="progress.data.speed")


def _rate(per_second: float) -> str:
    return f"{per_second:,.1f}" if per_second < 10 else f"{per_second:,.0f}"


@contextmanager
def progress_bars() -> Iterator[ProgressFactory]:
    """A ProgressFactory drawing one rich bar per stage; where stderr is no terminal (a log file, a
    pipe), plain lines instead (``plain_progress``)."""
    if not sys.stderr.isatty():
        yield plain_progress(sys.stderr)
        return
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


PLAIN_EVERY = 30.0  # s between the lines of a stage that is still going, in a log


def plain_progress(stream, every: float = PLAIN_EVERY, clock=time.monotonic) -> ProgressFactory:
    """A ProgressFactory writing lines for a log: where a long stage stands every ``every`` seconds, and
    each stage's count, time and rate when it ends (a stage of nothing writes nothing)."""
    def factory(description: str, total: int, unit: str = "img"):
        start = last = clock()
        done = 0

        def advance(n: int) -> None:
            nonlocal done, last
            done += n
            now = clock()
            counted = f"{unit}s" if unit != "img" and done != 1 else unit
            if done >= total > 0:
                took = now - start
                rate = f", {_rate(done / took)} {unit}/s" if took > 0 else ""
                print(f"{description}: {done:,} {counted} in {took:.1f} s{rate}", file=stream, flush=True)
            elif now - last >= every:
                last = now
                print(f"{description}: {done:,}/{total:,} {counted} ({done / total:.0%}), {now - start:.0f} s",
                      file=stream, flush=True)
        return advance
    return factory
