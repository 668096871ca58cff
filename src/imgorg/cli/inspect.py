"""`imgorg inspect SOURCE [--json FILE]`: what a folder or dataset holds, before spending time on a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..datasets import DATASETS, resolve_source
from .console import console, progress_bars

SHOWN = 20  # failures and duplicate groups printed; --json has them all


def inspect_command(
    source: Annotated[str, typer.Argument(help=f"Folder of images (searched recursively), or a dataset: {', '.join(DATASETS)}.")],
    split: Annotated[Optional[str], typer.Option(help="Dataset split (cifar10/cifar100/stl10: train or test, default test).")] = None,
    data: Annotated[Optional[Path], typer.Option(help="The dataset's archive, or a folder holding it.")] = None,
    json_file: Annotated[Optional[Path], typer.Option("--json", help="Also write the whole report to this JSON file.")] = None,
    decode: Annotated[bool, typer.Option("--decode/--headers-only", help="Decode every image to find the ones that fail (slower), or read headers only.")] = True,
    workers: Annotated[int, typer.Option(min=1, help="Reading threads.")] = 4,
) -> None:
    """Count formats, sizes, colour modes, capture dates, cameras, undecodable files, exact copies, class sizes
    and the files that are not images (system files, other documents, formats that need an extra)."""
    from ..inspection import inspect_source

    with progress_bars() as progress:
        folder = resolve_source(source, split, data, progress)
        report = inspect_source(folder, workers=workers, decode=decode, progress=progress)
    print_report(report)
    if json_file:
        json_file.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        console.print(f"Written: [bold]{json_file}[/]")


def print_report(report: dict) -> None:
    """The report as rich tables, smallest facts first."""
    summary = report["summary"]
    console.print(f"[bold]{report['source']}[/]: {summary['files']:,} files, {summary['bytes'] / 1e6:,.1f} MB, "
                  f"{summary['ok']:,} ok, {summary['failed']:,} failed"
                  + ("" if report["decoded"] else " (headers only: pass --decode to find corrupt pixels)"),
                  highlight=False)
    tables = [_counts_table("Formats", report["formats"], "format"),
              _counts_table("Extensions", report["extensions"], "extension"),
              _counts_table("Colour modes", report["modes"], "mode")]
    for key, title in (("width", "Width (px)"), ("height", "Height (px)"), ("aspect_ratio", "Aspect ratio (w/h)")):
        tables.append(_histogram_table(title, report[key]))
    if report["cameras"]:
        tables.append(_counts_table("Cameras", dict(list(report["cameras"].items())[:SHOWN]), "camera"))
    console.print(*[table for table in tables if table.row_count])  # nothing read: no empty tables
    _print_dates(report["dates"])
    _print_companions(report.get("companions"))
    _print_classes(report["classes"], report.get("no_labels"))
    _print_failures(report["failures"])
    _print_duplicates(report["duplicates"], summary)
    _print_skipped(report["skipped"]["by_reason"], bool(report["failures"]))


def _print_dates(dates: dict) -> None:
    found, files = dates.get("metadata", dates["exif"]), dates["file"]
    if found["count"]:
        where = ", ".join(f"{n:,} {_SOURCE_WORDS.get(s, s)}" for s, n in dates.get("by_source", {}).items()
                          if s != "file")
        console.print(f"[bold]Taken[/] {_day(found['first'])} to {_day(found['last'])} "
                      f"({found['count']:,} dates: {where})", highlight=False, markup=True)
    if files["count"]:
        console.print(f"{files['count']:,} files have no capture date of their own: their file times run from "
                      f"{_day(files['first'])} to {_day(files['last'])}", highlight=False)
    if dates["with_gps"]:
        console.print(f"{dates['with_gps']:,} files have a GPS position", highlight=False)


_SOURCE_WORDS = {"exif": "from EXIF", "xmp": "from XMP", "iptc": "from IPTC", "makernote": "from maker notes",
                 "container": "from the container", "digitized": "from EXIF DateTimeDigitized",
                 "sidecar": "from sidecar files", "exif_datetime": "from EXIF DateTime (the last change)",
                 "name": "from file names"}


def _print_companions(found: dict | None) -> None:
    """RAW+JPEG pairs, Live Photos, sidecars and videos: each one line, with a few examples."""
    if not found:
        return
    for key, title, part in (("pairs", "RAW+JPEG pairs (one photo each, the RAW its original)", "original"),
                             ("live_photos", "Live Photos (the video is the photo's motion)", "motion")):
        if found[key]:
            examples = ", ".join(f"{r['path']} + {r[part].rpartition('/')[2]}" for r in found[key][:3])
            console.print(f"[bold]{len(found[key]):,} {title}[/]: {examples}", highlight=False, markup=True)
    sidecars = found["sidecars"]
    if sidecars["files"]:
        kinds = ", ".join(f"{n:,} {k}" for k, n in sidecars["by_kind"].items())
        console.print(f"[bold]{sidecars['files']:,} sidecars[/] ({kinds}) beside {sidecars['photos']:,} files; "
                      f"{found['with_rating']:,} rated, {found['with_keywords']:,} with keywords", highlight=False)
    videos = found["videos"]
    if videos["count"]:
        formats = ", ".join(f"{n:,} {f}" for f, n in videos["formats"].items())
        console.print(f"[bold]{videos['count']:,} videos[/] ({formats}), {videos['duration_s'] / 60:,.1f} minutes "
                      f"in all: each embedded by its poster frame", highlight=False)


def _day(iso: str) -> str:
    return iso.replace("T", " ")[:16]


def _print_skipped(by_reason: list[dict], failed: bool = False) -> None:
    if not by_reason:  # by its name or signature; those that then fail to decode are listed above
        console.print("No other file was skipped." if failed else "Every file is an image.")
        return
    total = sum(row["count"] for row in by_reason)
    table = Table(title=f"{total:,} files skipped (not catalogued)", title_justify="left")
    for name, justify in (("reason", "left"), ("files", "right"), ("detail", "left"), ("for example", "left")):
        table.add_column(name, justify=justify)
    for row in by_reason:
        details = "; ".join(f"{d} ({n:,})" if len(row["details"]) > 1 else d for d, n in row["details"].items())
        table.add_row(row["reason"], f"{row['count']:,}", details, ", ".join(row["examples"][:3]))
    console.print(table)


def _counts_table(title: str, counts: dict[str, int], name: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(name)
    table.add_column("files", justify="right")
    for key, n in counts.items():
        table.add_row(key, f"{n:,}")
    return table


def _histogram_table(title: str, bins: list[dict]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("[low, high)")
    table.add_column("files", justify="right")
    for row in bins:
        if row["count"]:
            high = "" if row["high"] is None else row["high"]
            table.add_row(f"{row['low']} - {high}" if high != "" else f">= {row['low']}", f"{row['count']:,}")
    return table


def _print_classes(classes: dict | None, why_none: str | None = None) -> None:
    if classes is None:  # folders that are no classes by their names (DCIM/, 1970s/) say so
        console.print(why_none or "No class labels (not a folder-per-class tree).", highlight=False, markup=False)
        return
    console.print(f"[bold]{classes['count']} classes[/], imbalance {classes['imbalance_ratio']:.2f} "
                  f"(largest {classes['largest']} / smallest {classes['smallest']})", highlight=False)
    table = Table(title="Class sizes", title_justify="left")
    table.add_column("class")
    table.add_column("files", justify="right")
    for name, n in classes["sizes"].items():
        table.add_row(name, f"{n:,}")
    console.print(table)


def _print_failures(failures: list[dict]) -> None:
    if not failures:
        console.print("Every file decodes.")
        return
    table = Table(title=f"{len(failures):,} files fail to decode", title_justify="left")
    table.add_column("path")
    table.add_column("reason")
    for row in failures[:SHOWN]:
        table.add_row(row["path"], row["reason"])
    console.print(table)
    if len(failures) > SHOWN:
        console.print(f"... and {len(failures) - SHOWN:,} more (all of them in --json)")


def _print_duplicates(groups: list[dict], summary: dict) -> None:
    if not groups:
        console.print("No exact duplicates.")
        return
    groups_of = "group" if summary["duplicate_groups"] == 1 else "groups"
    console.print(f"[bold]{summary['duplicate_groups']:,} {groups_of} of identical files[/] "
                  f"({summary['duplicate_files']:,} could go, keeping one per group)")
    for group in groups[:SHOWN]:
        console.print("  " + "  ==  ".join(group["paths"]), highlight=False, markup=False)
    if len(groups) > SHOWN:
        console.print(f"... and {len(groups) - SHOWN:,} more groups (all of them in --json)")
