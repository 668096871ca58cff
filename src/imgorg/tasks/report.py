"""``write_report``: the workspace's self-contained HTML report (rendered by ``imgorg.report``)."""

from __future__ import annotations

import os
from pathlib import Path

from ..config import ReportConfig
from ..fileio import atomic_write
from ..views import Workspace, open_workspace
from ..workspace import REPORT_FILE, workspace_lock


def write_report(workspace: Workspace | str | os.PathLike, config: ReportConfig = ReportConfig()) -> Path:
    """Write the report of one clustering; to the workspace's report.html (registered as an artifact,
    so a rerun that changes what it shows drops it) unless ``config.out`` names another file."""
    from ..report import render_report  # matplotlib: imported only when a report is written

    ws = open_workspace(workspace)
    config.validate()
    text = render_report(ws, config.method, config.seed)
    if config.out is not None:
        target = Path(config.out)
        atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        return target
    with workspace_lock(ws.path):
        return ws.write_artifact(REPORT_FILE, text)
