"""`imgorg review WORKSPACE`: what needs a look (copies, similar shots, bad shots, outliers, leaks,
wrong labels), and acting on it: `--accept KIND`, `--dismiss KIND`, `--undo`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..config import DEFAULT_REVIEW_KINDS, REVIEW_KINDS, ReviewConfig
from ..curation import describe
from ..errors import ConfigError
from ..review.table import is_open, summary
from ..workspace import REVIEW_FILE
from .clusters import undo as undo_latest
from .console import console, errors, escape, progress_bars


def review_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    kinds: Annotated[Optional[str], typer.Option(help=f"Comma-separated kinds to look for, of {', '.join(REVIEW_KINDS)} (default: all but similar, which aligns every candidate pair: about 10x the time of copies).")] = None,
    splits: Annotated[Optional[str], typer.Option(help="Top-level folders that are splits, the one that keeps a shared image first (default: those named train, val, valid, validation, test).")] = None,
    accept: Annotated[Optional[str], typer.Option(help="Accept the stored review's suggestions for one KIND: remove copies and bad shots, relabel wrong labels; 'all': every suggestion to remove or relabel (findings that ask for a look stay open). Undo takes it back.")] = None,
    dismiss: Annotated[Optional[str], typer.Option(help="Keep the images of one KIND's open findings as they are ('keep both').")] = None,
    ids: Annotated[Optional[str], typer.Option(help="With --accept or --dismiss: only these image ids (comma-separated).")] = None,
    undo: Annotated[bool, typer.Option("--undo", help="Take back the latest accepted or dismissed finding (any edit).")] = False,
    again: Annotated[bool, typer.Option("--again", help="Look again where a review is stored already (it is shown otherwise).")] = False,
    show: Annotated[Optional[str], typer.Option(help="List one KIND's open findings of the stored review, one row each (id, group, suggestion, score, path, reason): the ids --ids takes.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary per kind as JSON (notes go to stderr).")] = False,
) -> None:
    """Review a collection: one table of findings (review.parquet), each with a suggestion and its reason.
    A stored review (`imgorg run` makes one) is shown; --kinds, --splits or --again look again."""
    from ..tasks.review import accept_findings, dismiss_findings, review_collection, stored_notes
    from ..views import load_workspace

    chosen = _ints(ids)
    _check_actions(accept, dismiss, undo, ids)
    if show:
        return _show_kind(load_workspace(workspace), show, json_out)
    if undo:
        return console.print(undo_latest(load_workspace(workspace))[1], highlight=False, markup=False)
    if accept or dismiss:
        done = accept_findings(workspace, None if accept == "all" else accept, chosen) if accept \
            else [dismiss_findings(workspace, dismiss, chosen)]
        for result in done:
            console.print(describe(result.edit, {}).capitalize(), highlight=False, markup=False)
        if len(done) > 1:
            console.print(f"({len(done)} edits: each `--undo` takes back one)", highlight=False, markup=False)
        after = summary(done[-1].workspace.review())
        return show_findings(after if json_out else still_open(after), json_out, "Still open")
    say = errors if json_out else console  # --json prints JSON alone on stdout
    if not (kinds or splits or again):
        ws = load_workspace(workspace)
        stored = ws.review()
        if stored is not None:  # what still waits for a decision; what was decided, counted below
            found = summary(stored)
            for note in stored_notes(ws):
                say.print(note, highlight=False, markup=False)
            # JSON: every kind with its counts (a script asks how many were accepted); the table: what is open
            show_findings(found if json_out else still_open(found), json_out, "Review (stored): open findings")
            if not json_out:
                total = found[["open", "accepted", "dismissed", "set_aside"]].sum()
                console.print(f"{len(stored):,} findings in [bold]{escape(str(Path(workspace) / REVIEW_FILE))}[/]: "
                              f"{total['open']:,} open, {total['accepted']:,} accepted, "
                              f"{total['dismissed']:,} dismissed, "
                              f"{int((stored['action'] == 'keep').sum()):,} copies kept and best shots (nothing to decide)"
                              + (f", {total['set_aside']:,} set aside with findings of other kinds"
                                 if total["set_aside"] else "") + "; `--again` looks again, "
                              "`--accept KIND` acts on them, `imgorg serve WS` shows them")
            _say_failures(ws, say)
            return
    config = ReviewConfig(kinds=tuple(comma_list(kinds)) if kinds else DEFAULT_REVIEW_KINDS,
                          splits=tuple(comma_list(splits)) if splits else None)
    with progress_bars() as progress:
        result = review_collection(workspace, config, progress)
    for note in result.notes:
        say.print(note, highlight=False, markup=False)
    show_findings(result.summary, json_out, "Review")
    if result.kept:
        say.print(f"{result.kept:,} findings of kinds not looked for now are kept from the stored review",
                  highlight=False, markup=False)
    if not json_out:
        console.print(f"Stored: [bold]{escape(str(Path(workspace) / REVIEW_FILE))}[/] ({len(result.table) + result.kept:,} findings; "
                      "`imgorg review WS --accept KIND` acts on them, `imgorg serve WS` shows them)")
    _say_failures(load_workspace(workspace), say)


def still_open(found):
    """The kinds of a ``summary`` with open findings."""
    return found[found["open"] > 0].reset_index(drop=True)


def _say_failures(ws, say) -> None:
    """Files that never decoded are in no finding: said, with one of them and its reason."""
    failed = ws.failures
    if len(failed):
        first = failed.iloc[0]
        say.print(f"{len(failed):,} file{'s' if len(failed) != 1 else ''} could not be decoded and {'are' if len(failed) != 1 else 'is'} "
                  f"in no finding (e.g. {first['path']}: {first['error']}); the catalog lists them "
                  "(catalog.parquet, status error)", highlight=False, markup=False)


def _show_kind(ws, kind: str, json_out: bool) -> None:
    """The stored review's open findings of ``kind`` (``review.table.is_open``), one row each, with the
    ids ``--ids`` takes."""
    from ..tasks.review import check_kind

    check_kind(kind)
    stored = ws.review()
    if stored is None:
        raise ConfigError(f"no review of {ws.path} yet: `imgorg review {ws.path}` makes one")
    rows = stored[is_open(stored) & (stored["kind"] == kind)]
    columns = ["id", "group", "action", "score", "path", "reason"]
    if json_out:  # every field a script needs, in fields: the suggested label, the partner, the split, the status
        fields = columns[:3] + ["kind", "status"] + columns[3:] + \
            [c for c in ("suggested", "partner", "split") if c in rows.columns]
        records = rows[fields].astype(object).where(rows[fields].notna(), None).to_dict(orient="records")
        typer.echo(json.dumps(records, indent=2, default=str))
        return
    if rows.empty:
        console.print(f"No open {kind} finding.")
        return
    out = Table(title=f"Open {kind} findings ({len(rows):,}): `--accept {kind} --ids ...` or `--dismiss {kind} --ids ...`")
    for column in columns:
        out.add_column(column, justify="right" if column in ("id", "group", "score") else "left",
                       overflow="fold")
    for row in rows.itertuples():
        out.add_row(str(row.id), "" if row.group < 0 else str(row.group), row.action, f"{row.score:.2f}",
                    escape(str(row.path)), escape(str(row.reason)))
    console.print(out)


def _check_actions(accept: str | None, dismiss: str | None, undo: bool, ids: str | None) -> None:
    """One action at a time, and --ids only with one that takes them."""
    chosen = [name for name, given in (("--accept", accept), ("--dismiss", dismiss), ("--undo", undo)) if given]
    if len(chosen) > 1:
        raise ConfigError(f"{' and '.join(chosen)} cannot be given together: give one")
    if ids is not None and not (accept or dismiss):
        raise ConfigError("--ids names the images to accept or dismiss: give it with --accept KIND or --dismiss KIND")


def show_findings(table, json_out: bool, title: str) -> None:
    if json_out:
        typer.echo(json.dumps(table.to_dict(orient="records"), indent=2))
        return
    if table.empty:
        console.print("Nothing needs a look.")
        return
    out = Table(title=title)
    for column in ("kind", "open", "suggested", "images", "groups", "examples"):
        out.add_column(column, justify="right" if column in ("open", "images", "groups") else "left")
    for row in table.itertuples():
        out.add_row(row.kind, f"{row.open:,}", row.suggested, f"{row.images:,}",
                    f"{row.groups:,}" if row.groups else "", escape(", ".join(row.examples)))
    console.print(out)


def comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _ints(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(part) for part in comma_list(text)]
    except ValueError:
        raise ConfigError(f"--ids takes image ids separated by commas, e.g. --ids 12,40; got {text!r}") from None
