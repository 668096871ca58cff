"""`imgorg report WORKSPACE`: write one self-contained HTML report of a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import ReportConfig
from .console import console, escape


def report(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="HTML file (default: WORKSPACE/report.html).")] = None,
    method: Annotated[Optional[str], typer.Option(help="Clustering to show (default: the workspace's chosen one).")] = None,
) -> None:
    """Write an HTML report (summary, scores, map, clusters, failures) that opens anywhere, offline."""
    from ..tasks.report import write_report

    with console.status("Writing the report"):
        path = write_report(workspace, ReportConfig(out=str(out) if out else None, method=method))
    console.print(f"Report: [bold]{escape(str(path))}[/]")
