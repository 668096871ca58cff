"""`imgorg compare DIR|WORKSPACE --methods kmeans,agglomerative,...`: one table, stored per method."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.table import Table

from ..compare import AUTO_METHODS, assignments_frame, comparison_table, run_methods, select_method
from ..config import ClusterConfig, RunConfig
from ..outliers import refresh_outlier_clusters
from ..pipeline import run as run_pipeline
from ..workspace import MANIFEST, load_workspace, update_clusterings, workspace_lock
from .console import console, progress_bars
from .run import parse_k


def compare(
    source: Annotated[Path, typer.Argument(help="A workspace, or a folder of images (run first).")],
    methods: Annotated[str, typer.Option(help="Comma-separated method names.")] = ",".join(AUTO_METHODS),
    k: Annotated[Optional[str], typer.Option(help="Clusters for methods that take k, or 'auto'. Default: the workspace's k (10 for a folder).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Workspace for a folder source.")] = None,
    max_noise: Annotated[float, typer.Option(help="Prefer a density method only up to this noise fraction.")] = 0.30,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the table here as JSON.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Cluster with several methods, print one comparison table, keep every method's assignments."""
    names = [m.strip() for m in methods.split(",") if m.strip()]
    config = ClusterConfig(k=parse_k(k) if k else ClusterConfig.k, seed=seed)
    config.validate()  # --k 1 is refused before anything runs
    with progress_bars() as progress:
        if not (source / MANIFEST).is_file():
            source = run_pipeline(source, out, RunConfig(cluster=config), progress=progress).workspace.path
        ws = load_workspace(source)
        images = ws.images
        truth = images["label"].to_numpy() if images["label"].notna().all() else None
        if k is None or config.k == "auto":  # the k the workspace's clustering was made with
            config = ClusterConfig(k=int(ws.manifest.get("selection", {}).get("k", ClusterConfig.k)), seed=seed)
        results = run_methods(ws.embeddings, ws.reduced, names, config, truth, progress=progress)
    chosen, reason = select_method(results, max_noise)
    kept = {r.name: r for r in _previous_results(ws)}
    kept.update({r.name: r for r in results})
    metrics = {name: {**r.scores, "seconds": r.seconds} for name, r in kept.items()}
    with workspace_lock(source):
        updated = update_clusterings(source, assignments_frame(images["id"].to_numpy(), list(kept.values())),
                                     metrics, {"default_method": chosen,
                                               "selection": {"method": chosen, "reason": reason, "k": config.k}})
        refresh_outlier_clusters(updated)
    table = comparison_table(results)
    console.print(_rich_table(table))
    console.print(f"Chosen: [bold]{chosen}[/] ({reason})")
    if chosen != ws.method:  # what `serve`, `report` and `export` show from now on
        console.print(f"The workspace's default method is now [bold]{chosen}[/] (was {ws.method}); "
                      "every method's clusters stay stored")
    console.print(f"Workspace: [bold]{source}[/]")
    if json_out:
        json_out.write_text(json.dumps({"methods": table.to_dict(orient="records"), "chosen": chosen,
                                        "reason": reason}, indent=2, default=float) + "\n")


def _previous_results(ws):
    """Methods already in the workspace, so comparing a subset keeps the others."""
    from ..compare import MethodResult

    for name, scores in ws.metrics.items():
        if name in ws.assignments.columns:
            yield MethodResult(name, ws.assignments[name].to_numpy(), ws.assignments[f"{name}_distance"].to_numpy(),
                               {k: v for k, v in scores.items() if k != "seconds"}, scores.get("seconds", 0.0),
                               density=False)


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
