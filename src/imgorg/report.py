"""One self-contained HTML report of a workspace: summary, scores, figures, failures.

Everything is inside the file (CSS inline, figures and thumbnails as base64 PNG),
so it can be mailed or archived and opened anywhere without a network or the
images. It only reads what the workspace stores: the map is a stored projection
(`imgorg map`) or the first two PCA components, never a fresh UMAP, so a report
of 10,000 images takes seconds. Every string from the collection (paths, labels,
decode errors) is HTML-escaped: file names are data, not markup.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd

from . import plots
from .constants import NOISE
from .errors import ImageDecodeError
from .images import decode_image
from .sources import source_path
from .version import __version__
from .views import Workspace

MAX_CLUSTERS = 30  # cluster rows in the grid and the contingency table: the largest ones
THUMBNAILS = 8  # sample images per cluster
MAP_POINTS = 10_000  # scatter points; past this a seeded sample (the figure looks the same)
QUERIES = 6  # images shown with their nearest neighbours
NEIGHBOURS = 7
MAX_FAILURES = 1_000  # failed files listed; the rest are counted
SECTIONS = ("summary", "methods", "map", "clusters", "contingency", "neighbours", "failures")
TABLE_COLUMNS = ("n_clusters", "noise_fraction", "silhouette", "davies_bouldin", "calinski_harabasz",
                 "acc", "nmi", "ari", "purity", "seconds")


def render_report(ws: Workspace, method: str | None = None, seed: int = 0) -> str:
    """The report's HTML for one clustering of ``ws`` (the chosen one by default)."""
    data = ReportData(ws, method, seed)
    body = "\n".join(section(data) for section in (
        _summary, _methods, _map, _clusters, _contingency, _neighbours, _failures))
    title = f"imgorg report: {Path(ws.manifest.get('source', {}).get('root', str(ws.path))).name}"
    made = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    return PAGE.format(title=_e(title), css=CSS, nav=_nav(), body=body,
                       footer=_e(f"Made by imgorg {__version__} on {made} from {ws.path}"))


class ReportData:
    """What every section reads: the workspace, the clustering shown, the labels if any."""

    def __init__(self, ws: Workspace, method: str | None, seed: int):
        self.ws = ws
        self.methods = ws.methods
        self.method = ws.check_method(method)
        self.images = ws.images
        self.clusters = ws.cluster_labels(self.method)
        self.has_labels = ws.has_labels
        self.labels = ws.labels
        self.root = ws.root
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        ids, counts = np.unique(self.clusters, return_counts=True)
        self.sizes = {int(c): int(n) for c, n in zip(ids, counts)}

    def shown_clusters(self) -> list[int]:
        """The largest clusters (ties by id), then noise if there is any: it matters most when large."""
        ranked = sorted((c for c in self.sizes if c != NOISE), key=lambda c: (-self.sizes[c], c))
        return ranked[:MAX_CLUSTERS] + ([NOISE] if NOISE in self.sizes else [])

    def members(self, cluster_id: int) -> np.ndarray:
        """Rows of a cluster, most typical (closest to the centre) first, as the app orders them."""
        if cluster_id == NOISE:  # no centre to be close to: a random sample, not the first files
            return np.random.default_rng(self.seed).permutation(np.flatnonzero(self.clusters == NOISE))
        return self.ws.members(cluster_id, self.method)

    def dominant(self, cluster_id: int) -> tuple[str, float] | None:
        if not self.has_labels:
            return None
        counts = pd.Series(self.labels[self.clusters == cluster_id]).value_counts()
        return str(counts.index[0]), float(counts.iloc[0] / counts.sum())

    def thumbnail(self, row: int):
        """The image of a row, small; None when the file is gone or unreadable now."""
        try:
            path = source_path(self.root, str(self.images["path"].iloc[row]))
            image = decode_image(path.read_bytes(), draft_size=plots.TILE)
        except (OSError, ImageDecodeError):
            return None
        image.thumbnail((plots.TILE, plots.TILE))
        return image


# -- sections ------------------------------------------------------------------------------

def _summary(d: ReportData) -> str:
    m = d.ws.manifest
    counts = m.get("counts", {})
    selection = m.get("selection", {})
    backbone = m.get("backbone", {})
    rows = [
        ("source", m.get("source", {}).get("root", "")),
        ("workspace", str(d.ws.path)),
        ("images", f"{len(d.images):,} embedded"),
        ("failed files", f"{len(d.ws.failures):,}"),
        ("skipped files (not images)", f"{counts.get('skipped', 0):,}"),
        ("backbone", f"{backbone.get('id', '?')} ({backbone.get('dim', '?')} dimensions)"),
        ("labels", "from folder names (used only to score)" if d.has_labels else "none"),
        ("chosen method", f"{d.ws.method}: {selection.get('reason', '')}"),
        ("k", _k_text(selection)),
        ("created", f"{m.get('created', '?')} by imgorg {m.get('imgorg_version', '?')}"),
    ]
    if d.method != d.ws.method:
        rows.append(("shown in this report", d.method))
    timings = m.get("timings", {})
    timing_rows = [(stage, f"{seconds:,.1f} s") for stage, seconds in timings.items()]
    timing_rows.append(("total", f"{sum(timings.values()):,.1f} s"))
    return _section("summary", "Summary", _pairs(rows) + "<h3>Timings</h3>" + _pairs(timing_rows))


def _k_text(selection: dict) -> str:
    k = selection.get("k", "?")
    if selection.get("k_auto"):
        return f"{k}, the best silhouette of k-means over k = 2..{selection['k_curve'][-1]['k']}"
    if selection.get("k_capped_from"):
        return f"{k} (--k {selection['k_capped_from']} was more than the number of images)"
    return str(k)


def _methods(d: ReportData) -> str:
    scores = {m: d.ws.scores(m) for m in d.methods}  # `curated` is scored now: it is not in metrics.json
    columns = [c for c in TABLE_COLUMNS if any(scores[m].get(c) is not None for m in d.methods)]
    head = "".join(f"<th>{_e(c)}</th>" for c in ("method", *columns))
    body = []
    for name in d.methods:
        cells = "".join(f"<td>{_format(scores[name].get(c))}</td>" for c in columns)
        mark = " (chosen)" if name == d.ws.method else ""
        body.append(f"<tr{' class=chosen' if mark else ''}><th>{_e(name)}{mark}</th>{cells}</tr>")
    table = f"<table class=scores><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    figure = _figure(plots.method_bars(scores, chosen=d.ws.method),
                     "scores of every clustering method")
    note = ("<p class=note>Internal scores (silhouette, Davies-Bouldin, Calinski-Harabasz) are computed on the "
            "L2 + PCA features, without noise points; ACC, NMI and ARI compare with the labels.</p>")
    return _section("methods", "Clustering methods", table + note + figure)


def _map(d: ReportData) -> str:
    shown = d.ws.map_points(dims=2)
    points = shown.points
    rows = np.arange(len(points))
    note = f"{shown.description}; {len(points):,} images"
    if len(rows) > MAP_POINTS:
        rows = np.sort(d.rng.choice(len(rows), MAP_POINTS, replace=False))
        note += f", a random {MAP_POINTS:,} of them drawn"
    labels = d.labels[rows] if d.has_labels else None
    figure = _figure(plots.map_scatter(points[rows], d.clusters[rows], labels),
                     f"map of the collection coloured by {d.method} cluster")
    if (d.clusters == NOISE).any():
        note += "; grey: noise"
    return _section("map", "Map", f"<p class=note>{_e(note)}.</p>" + figure)


def _clusters(d: ReportData) -> str:
    shown = d.shown_clusters()
    thumbs = {c: [d.thumbnail(int(r)) for r in d.members(c)[:THUMBNAILS]] for c in shown}
    dominant = {c: d.dominant(c) for c in shown} if d.has_labels else None
    figure = _figure(plots.cluster_grid(thumbs, d.sizes, dominant, names=d.ws.cluster_names(d.method)),
                     f"sample images of each {d.method} cluster")
    real = len(d.sizes) - (NOISE in d.sizes)
    note = f"{real:,} clusters by {d.method}"
    if NOISE in d.sizes:
        note += f" and {d.sizes[NOISE]:,} images of noise"
    if real > MAX_CLUSTERS:
        note += f"; the {MAX_CLUSTERS} largest are shown"
    note += f". Up to {THUMBNAILS} images each, the most typical (closest to the cluster's centre) first."
    if NOISE in d.sizes:
        note += " Noise (no cluster): a random sample."
    if d.has_labels:
        note += " The title gives the cluster's size and its most common label with its share."
    return _section("clusters", "Clusters", f"<p class=note>{_e(note)}</p>" + figure)


def _contingency(d: ReportData) -> str:
    if not d.has_labels:
        return _section("contingency", "Clusters and labels",
                        "<p class=note>The images have no labels (no class folders): nothing to compare with.</p>")
    figure = _figure(plots.contingency_heatmap(d.clusters, d.labels, max_clusters=MAX_CLUSTERS),
                     "contingency table of clusters and labels")
    return _section("contingency", "Clusters and labels",
                    "<p class=note>How many images of each label fell in each cluster; a clustering that "
                    "matches the labels is one dark cell per row.</p>" + figure)


def _neighbours(d: ReportData) -> str:
    n = len(d.images)
    if n < 2:
        return _section("neighbours", "Nearest neighbours", "<p class=note>Too few images.</p>")
    queries = np.sort(d.rng.choice(n, min(QUERIES, n), replace=False))
    sims = d.ws.embeddings[queries] @ d.ws.embeddings.T  # cosine: the embeddings are L2-normalised
    sims[np.arange(len(queries)), queries] = -np.inf
    k = min(NEIGHBOURS, n - 1)
    top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    names = [_query_title(d, q) for q in queries]
    figure = _figure(plots.neighbour_grid([d.thumbnail(int(q)) for q in queries],
                                          [[d.thumbnail(int(r)) for r in row] for row in top],
                                          [sims[i, row] for i, row in enumerate(top)], titles=names),
                     "random images and their nearest neighbours")
    return _section("neighbours", "Nearest neighbours",
                    f"<p class=note>{len(queries)} random images, each followed by its {k} nearest neighbours "
                    "(cosine similarity of the embeddings, under each image).</p>" + figure)


def _query_title(d: ReportData, row: int) -> str:
    return str(d.labels[row]) if d.has_labels else f"#{int(d.images['id'].iloc[row])}"


def _failures(d: ReportData) -> str:
    failures = d.ws.failures
    if failures.empty:
        return _section("failures", "Files that could not be used", "<p class=note>None: every file decoded.</p>")
    rows = "".join(f"<tr><td>{_e(r.path)}</td><td>{_e(r.error)}</td></tr>"
                   for r in failures.head(MAX_FAILURES).itertuples())
    more = ""
    if len(failures) > MAX_FAILURES:
        more = f"<p class=note>... and {len(failures) - MAX_FAILURES:,} more (see catalog.parquet).</p>"
    return _section("failures", "Files that could not be used",
                    f"<p class=note>{_count(len(failures), 'file was', 'files were')} skipped.</p>"
                    f"<table class=failures><thead><tr><th>file</th><th>reason</th></tr></thead>"
                    f"<tbody>{rows}</tbody></table>{more}")


# -- HTML helpers --------------------------------------------------------------------------

def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _format(value) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "&ndash;"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3f}"
    return _e(value)


def _pairs(rows) -> str:
    return "<table class=pairs>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows) + "</table>"


def _section(anchor: str, title: str, content: str) -> str:
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>\n{content}\n</section>'


def _figure(fig, alt: str) -> str:
    """The figure as an inline PNG; the Figure is dropped afterwards (no pyplot registry holds it)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=plots.DPI)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}"></figure>'


def _nav() -> str:
    titles = {"summary": "Summary", "methods": "Methods", "map": "Map", "clusters": "Clusters",
              "contingency": "Clusters and labels", "neighbours": "Neighbours", "failures": "Failures"}
    return " ".join(f'<a href="#{s}">{titles[s]}</a>' for s in SECTIONS)


CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #1f4e79; color: white; padding: 12px 24px; position: sticky; top: 0; z-index: 1; }
header h1 { font-size: 18px; margin: 0 0 4px; }
header a { color: #dbe8f5; margin-right: 14px; text-decoration: none; }
main { max-width: 1400px; margin: 0 auto; padding: 8px 24px 48px; }
section { background: white; border: 1px solid #e3e3e3; border-radius: 6px; padding: 4px 18px 14px; margin: 16px 0; }
h2 { font-size: 17px; color: #1f4e79; } h3 { font-size: 14px; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
table.scores td { text-align: right; font-variant-numeric: tabular-nums; }
tr.chosen { background: #eaf2fb; }
table.failures td { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
.note { color: #555; }
figure { margin: 8px 0; overflow-x: auto; } figure img { max-width: 100%; height: auto; }
footer { color: #777; font-size: 12px; text-align: center; }
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<header><h1>{title}</h1><nav>{nav}</nav></header>
<main>
{body}
</main>
<footer>{footer}</footer>
</body>
</html>
"""
