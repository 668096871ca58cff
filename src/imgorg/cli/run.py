"""`imgorg run SOURCE`: catalog, embed, reduce, cluster, score, write the workspace.

SOURCE is a folder of images or a dataset name (`imgorg.datasets`)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from ..config import ClusterConfig, ReduceConfig, ReviewConfig, RunConfig
from ..constants import REVIEW_BESIDE_STAGE, REVIEW_STAGE
from ..embed.backbones import DEFAULT_BACKBONE
from .add import print_added
from .clusters import show as show_clusters
from .console import console, escape, print_skipped, progress_bars
from .review import comma_list
from .options import (Actors, Address, BatchSize, Backbone, Data, Device, Engine, Float16, ImageSize, Limit, Out,
                      Sample, Seed, Source, Split, Tta, Weights, Workers, embed_config)

if TYPE_CHECKING:  # annotations only: the module loads them when a command runs
    from ..tasks.run import RunResult

MAX_FAILURES_SHOWN = 20


def run(
    source: Source,
    out: Out = None,
    split: Split = None,
    data: Data = None,
    limit: Limit = None,
    sample: Sample = None,
    k: Annotated[str, typer.Option(help="Number of clusters, or 'auto' (best silhouette over 2-30).")] = "10",
    method: Annotated[str, typer.Option(help="Clustering method (scan, kmeans, agglomerative, dbscan, hdbscan), or 'auto' to run them all and choose.")] = "scan",
    backbone: Backbone = DEFAULT_BACKBONE,
    image_size: ImageSize = None,
    weights: Weights = None,
    device: Device = "auto",
    tta: Tta = False,
    pca_dim: Annotated[int, typer.Option(help="PCA components kept before clustering.")] = 50,
    map_method: Annotated[str, typer.Option("--map", help="The 2D map the run makes: umap, tsne (fitted on 1,500 images, the rest placed by their neighbours) or pca, or none.")] = "umap",
    batch_size: BatchSize = 64,
    workers: Workers = None,
    engine: Engine = "local",
    address: Address = None,
    actors: Actors = None,
    float16: Float16 = False,
    seed: Seed = 0,
    review: Annotated[bool, typer.Option("--review/--no-review", help="Review the collection at the end: copies, similar shots, bad shots, outliers, leaks between splits, wrong labels (`imgorg review` shows and acts on them).")] = True,
    splits: Annotated[Optional[str], typer.Option(help="Top-level folders that are splits, for the review's leaks (default: those named train, val, valid, validation, test).")] = None,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Write WORKSPACE/report.html at the end (a few seconds).")] = True,
    discard_edits: Annotated[bool, typer.Option("--discard-edits", help="Into a curated workspace: cluster anew and drop the curation edits.")] = False,
    people: Annotated[bool, typer.Option("--people/--no-people", help="Find faces and group them into people at the end (`imgorg people`; needs imgorg\\[people]).")] = False,
) -> None:
    """Embed, reduce and cluster every image under SOURCE, score it, write a workspace."""
    from ..tasks.run import run as run_pipeline

    config = RunConfig(
        embed=embed_config(backbone, image_size, weights, batch_size, workers, device, tta, engine, address, actors,
                           float16),
        reduce=ReduceConfig(pca_dim=pca_dim, seed=seed),
        cluster=ClusterConfig(method=method, k=parse_k(k), seed=seed),
        map=dataclasses.replace(RunConfig().map, method=map_method),
    )
    review_config = ReviewConfig(splits=tuple(comma_list(splits)) if splits else None) if review else None
    with progress_bars() as progress:
        result = run_pipeline(source, out, config, progress=progress, split=split, data=data, limit=limit,
                              sample=sample, discard_edits=discard_edits, review=review_config)
    if people:  # before the clusters are shown: clusters of faces are named for people
        from .people import find_and_summarise, print_summary as print_people

        print_people(find_and_summarise(result.workspace))
    if result.added is not None:  # a curated workspace whose folder grew: the new images were added
        console.print(f"{escape(str(result.workspace.path))} is curated: new images are added to its clusters "
                      "(`imgorg clusters` to review; --discard-edits clusters anew)")
        print_added(result.added, source)
        show_clusters(result.workspace.path)
    else:
        print_summary(result)
    if result.review_error is not None:  # the run is complete and written; its summary is said above
        raise result.review_error
    if result.review is not None:
        say_review(result)
    if report:  # rewritten on a grown-folder rerun too, so it shows the added images
        from ..tasks.report import write_report

        with console.status("Writing the report"):
            path = write_report(result.workspace)
        console.print(f"Report: [bold]{escape(str(path))}[/]")


def _run_seconds(timings: dict[str, float]) -> float:
    """The run's stages, not its review's (said on its own line, and partly beside the run's stages)."""
    return sum(seconds for stage, seconds in timings.items() if stage not in (REVIEW_STAGE, REVIEW_BESIDE_STAGE))


def say_review(result: RunResult) -> None:
    """The review a run ends with, its open findings per kind in one line (`imgorg review WS` has the
    table), with its own clock and, where it ran beside the run's clustering and map, what it added."""
    found = result.review.summary
    beside, added = result.timings.get(REVIEW_BESIDE_STAGE), result.timings.get(REVIEW_STAGE, 0.0)
    clock = f"{beside:.1f} s beside the run, {added:.1f} s after it" if beside is not None else f"{added:.1f} s"
    if "stored" in result.review.seconds:
        clock = "stored: nothing new to look at; open findings"
    said = ", ".join(f"{row.open:,} {row.kind.replace('_', ' ')}" for row in found.itertuples() if row.open)
    if not said:
        return console.print(f"Review ({clock}): nothing needs a look", highlight=False)
    console.print(f"Review ({clock}): {said}; `imgorg review {escape(str(result.workspace.path))}` "
                  "lists them, `--accept KIND` acts on them", highlight=False)


def parse_k(value: str) -> int | str:
    if value == "auto":
        return "auto"
    try:
        return int(value)
    except ValueError:
        raise typer.BadParameter(f"--k ({value!r}) must be a whole number or 'auto'") from None


K_METHODS = ("scan", "kmeans", "agglomerative")  # the methods --k sets the number of clusters of


def print_summary(result: RunResult) -> None:
    ws = result.workspace
    console.print(_clusters_table(ws))
    console.print(_metrics_table(ws.scores()))
    selection = ws.manifest.get("selection", {})
    if selection.get("k_capped_from"):
        console.print(f"[yellow]k = {selection['k']}: --k {selection['k_capped_from']} is more than the number of images[/]")
    if selection.get("k_auto"):
        console.print(f"k = {selection['k']}, the best silhouette over k = 2..{selection['k_curve'][-1]['k']}")
    found = ws.scores().get("n_clusters")
    if isinstance(selection.get("k"), int) and found is not None and ws.method in K_METHODS \
            and 0 < found < selection["k"] and not selection.get("k_capped_from"):
        console.print(f"k = {selection['k']}: {found} clusters hold images (the others came out empty)",
                      highlight=False)
    for method, how in selection.get("fit", {}).items():
        console.print(f"{method}: {how}", highlight=False, markup=False)
    if len(ws.methods) > 1:
        console.print(f"Method: [bold]{escape(ws.method)}[/] ({escape(selection.get('reason', ''))})")
    from ..sources import why_no_labels

    images = ws.images
    unlabelled = why_no_labels(images["path"].astype(str)) if not images["label"].notna().any() else None
    if unlabelled:
        console.print(unlabelled, highlight=False, markup=False)
    counts = ws.manifest["counts"]
    console.print(
        f"{counts['ok']:,} images embedded ({result.n_computed:,} now, {result.n_cached:,} from cache"
        f"{_copies(result.n_copies)}), "
        f"{counts['failed']:,} failed, in {_run_seconds(result.timings):.1f} s"
    )
    _print_failures(ws.failures, ws.root)
    print_skipped(result.skipped)
    console.print(f"Workspace: [bold]{escape(str(ws.path))}[/]")


def _clusters_table(ws) -> Table:
    clusters = ws.clusters()
    table = Table(title=f"Clusters ({ws.method})")
    table.add_column("cluster", justify="right")
    named = bool(clusters["name"].str.len().gt(0).any() if len(clusters) else False)
    if named:
        table.add_column("name")
    table.add_column("images", justify="right")
    if ws.has_labels:
        table.add_column("top label")
        table.add_column("share", justify="right")
    for row in clusters.itertuples():
        cells = [str(row.id)] + ([escape(row.name)] if named else []) + [f"{row.size:,}"]
        if ws.has_labels:
            cells += [escape(row.top_label), f"{row.top_share:.0%}"]
        table.add_row(*cells)
    return table


def _metrics_table(scores: dict) -> Table:
    table = Table(title="Scores")
    names = ["silhouette", "davies_bouldin", "calinski_harabasz", "acc", "nmi", "ari"]
    shown = [n for n in names if scores.get(n) is not None]
    for name in shown:
        table.add_column(name, justify="right")
    table.add_row(*[f"{scores[n]:.3f}" if n != "calinski_harabasz" else f"{scores[n]:.1f}" for n in shown])
    return table


def _copies(n: int) -> str:
    return f", {n:,} {'copy' if n == 1 else 'copies'} of another file" if n else ""


def more_failures_hint(root) -> str:
    """Where a person finds every failed file and its reason."""
    return f"`imgorg inspect {root} --json inspect.json` lists them all with their reasons"


def _print_failures(failures, root=None) -> None:
    if failures.empty:
        return
    console.print(f"[yellow]{len(failures):,} file{'s' if len(failures) != 1 else ''} could not be used:[/]")
    for row in failures.head(MAX_FAILURES_SHOWN).itertuples():
        console.print(f"  {row.path}: {row.error}", highlight=False, markup=False)
    if len(failures) > MAX_FAILURES_SHOWN:
        console.print(f"  ... and {len(failures) - MAX_FAILURES_SHOWN:,} more: {more_failures_hint(root or 'SOURCE')}",
                      highlight=False, markup=False)
