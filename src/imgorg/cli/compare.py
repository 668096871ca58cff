"""`imgorg compare DIR|WORKSPACE --methods kmeans,agglomerative,...`: one table, stored per method."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.table import Table

from ..config import AUTO_METHODS, ClusterConfig, CompareConfig
from .console import console, escape, progress_bars
from .run import parse_k


def compare(
    source: Annotated[Path, typer.Argument(help="A workspace, or a folder of images (run first).")],
    methods: Annotated[str, typer.Option(help="Comma-separated method names.")] = ",".join(AUTO_METHODS),
    k: Annotated[Optional[str], typer.Option(help="Clusters for methods that take k, or 'auto'. Default: the workspace's k (10 for a folder).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Workspace for a folder source.")] = None,
    max_noise: Annotated[float, typer.Option(help="Prefer a density method only up to this noise fraction.")] = CompareConfig.max_noise,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the table here as JSON.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Cluster with several methods, print one comparison table, keep every method's assignments."""
    from ..constants import CURATED
    from ..tasks import compare_methods
    from ..tasks.inputs import workspace_for

    names = tuple(m.strip() for m in methods.split(",") if m.strip())
    config = CompareConfig(methods=names, k=parse_k(k) if k else None, max_noise=max_noise, seed=seed).validate()
    with progress_bars() as progress:  # --k 1 was refused above, before anything runs
        source, _ = workspace_for(source, out, progress, k=config.k or ClusterConfig.k)
        result = compare_methods(source, config, progress=progress)
    console.print(_rich_table(result.table))
    console.print(f"Chosen: [bold]{escape(result.chosen)}[/] ({escape(result.reason)})")
    if result.previous == CURATED:  # the curated clustering stays what everything shows while edits stand
        console.print(f"The workspace shows its curated clustering (your edits) as before; "
                      f"`--method {escape(result.chosen)}` shows this one; every method's clusters stay stored")
    elif result.chosen != result.previous:  # what `serve`, `report` and `export` show from now on
        console.print(f"The workspace's default method is now [bold]{escape(result.chosen)}[/] (was "
                      f"{escape(result.previous)}); every method's clusters stay stored")
    console.print(f"Workspace: [bold]{escape(str(source))}[/]")
    if json_out:
        methods = result.table.astype(object).where(result.table.notna(), None)  # JSON has no NaN: null
        json_out.write_text(json.dumps({"methods": methods.to_dict(orient="records"), "chosen": result.chosen,
                                        "reason": result.reason}, indent=2, default=float, allow_nan=False) + "\n")


_HEADERS = {"n_clusters": "clusters", "noise_fraction": "noise", "davies_bouldin": "DB",
            "calinski_harabasz": "CH", "acc": "ACC", "nmi": "NMI", "ari": "ARI", "seconds": "s"}


def _rich_table(table) -> Table:
    out = Table(title="Clustering methods (scores on the L2 + PCA features)", box=box.SIMPLE_HEAD)
    for column in table.columns:
        out.add_column(_HEADERS.get(column, column), justify="left" if column == "method" else "right",
                       no_wrap=True)
    for row in table.itertuples(index=False):
        out.add_row(*[_fmt(v) for v in row])
    return out


def _fmt(value) -> str:
    if isinstance(value, str):
        return value
    if value is None or value != value:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:,.1f}"
    return f"{value:,}"
