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
from .constants import NOISE, REVIEW_BESIDE_STAGE
from .errors import ImageDecodeError, ImgorgError
from .images import decode_image
from .review.table import KIND_TITLES, summary
from .sources import source_path
from .version import __version__
from .views import Workspace

MAX_CLUSTERS = 30  # cluster rows in the grid and the contingency table: the largest ones
THUMBNAILS = 8  # sample images per cluster
MAP_POINTS = 10_000  # scatter points; past this a seeded sample (the figure looks the same)
QUERIES = 6  # images shown with their nearest neighbours
NEIGHBOURS = 7
MAX_FAILURES = 1_000  # failed files listed; the rest are counted
REVIEW_GROUPS = 3  # groups (copies, a series) shown per kind of finding
REVIEW_SINGLES = 6  # single findings shown per kind, the strongest first
MAX_PEOPLE = 40  # people shown with a face each: the named ones, then the unnamed with most faces
SECTIONS = ("summary", "methods", "map", "clusters", "contingency", "neighbours", "review", "people", "places",
            "failures")
TABLE_COLUMNS = ("n_clusters", "noise_fraction", "silhouette", "davies_bouldin", "calinski_harabasz",
                 "acc", "nmi", "ari", "purity", "seconds")


def render_report(ws: Workspace, method: str | None = None, seed: int = 0) -> str:
    """The report's HTML for one clustering of ``ws`` (the chosen one by default)."""
    data = ReportData(ws, method, seed)
    body = "\n".join(section(data) for section in (
        _summary, _methods, _map, _clusters, _contingency, _neighbours, _review, _people, _places, _failures))
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
        self.kept = ~ws.removed()  # images a review set aside leave the clusters and the map, as in the app
        ids, counts = np.unique(self.clusters[self.kept], return_counts=True)
        self.sizes = {int(c): int(n) for c, n in zip(ids, counts)}

    def shown_clusters(self) -> list[int]:
        """The largest clusters (ties by id), then noise if there is any: it matters most when large."""
        ranked = sorted((c for c in self.sizes if c != NOISE), key=lambda c: (-self.sizes[c], c))
        return ranked[:MAX_CLUSTERS] + ([NOISE] if NOISE in self.sizes else [])

    def members(self, cluster_id: int) -> np.ndarray:
        """Rows of a cluster, most typical (closest to the centre) first, as the app orders them."""
        if cluster_id == NOISE:  # no centre to be close to: a random sample, not the first files
            return np.random.default_rng(self.seed).permutation(np.flatnonzero((self.clusters == NOISE) & self.kept))
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
    overlapped = (REVIEW_BESIDE_STAGE,)  # ran in another process beside the run's stages: not its own time
    timing_rows.append(("total", f"{sum(v for k, v in timings.items() if k not in overlapped):,.1f} s"))
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
    rows = np.flatnonzero(d.kept)
    note = f"{shown.description}; {len(rows):,} images"
    if len(rows) < len(points):
        note += f" ({len(points) - len(rows):,} set aside by the review left out)"
    if len(rows) > MAP_POINTS:
        rows = np.sort(d.rng.choice(rows, MAP_POINTS, replace=False))
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


def _no_labels(d: ReportData) -> str:
    """Why the images have no labels: folders named as a camera, a library or an archive names them, or none."""
    from .sources import why_no_labels

    why = why_no_labels(d.images["path"].astype(str)) if "path" in d.images else None
    return why.rstrip(".") if why else "The images have no labels (no class folders)"


def _contingency(d: ReportData) -> str:
    if not d.has_labels:
        return _section("contingency", "Clusters and labels",
                        f"<p class=note>{_e(_no_labels(d))}: nothing to compare with.</p>")
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


def _review(d: ReportData) -> str:
    """The stored review (`imgorg review`): counts per kind and what each kind looks like, a set of
    copies or a series with the one kept (the best shot) marked, single findings with their reason."""
    table = d.ws.review()
    if table is None:
        return _section("review", "Review", "<p class=note>No review stored (none was made, or images were added "
                                            "since): <code>imgorg review WS</code> looks for copies, similar shots, "
                                            "bad shots, outliers, leaks between splits and wrong labels.</p>")
    if table.empty:
        return _section("review", "Review", "<p class=note>The review found nothing that needs a look.</p>")
    head = "".join(f"<th>{c}</th>" for c in ("kind", "images", "groups", "open", "accepted", "kept", "suggested (open)"))
    rows, examples = [], []
    for row in summary(table).itertuples():
        found = table[table["kind"] == row.kind]
        cells = [f"{row.images:,}", f"{row.groups:,}" if row.groups else "",
                 *(f"{n:,}" for n in (row.open, row.accepted, row.dismissed)), row.suggested]
        title, about = KIND_TITLES[row.kind]
        rows.append(f"<tr><th>{_e(title)}</th>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
        examples.append(f"<h3>{_e(title)}</h3><p class=note>{_e(_sentence(about))}.</p>"
                        + _review_examples(d, found))
    removed = int(d.ws.removed().sum())
    note = (f"<p class=note>{_count(removed, 'image was', 'images were')} set aside by accepting findings "
            "(never deleted: <code>imgorg export WS --removed FILE</code> lists them).</p>" if removed else "")
    return _section("review", "Review", f"<table class=scores><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
                                        f"</tbody></table>{note}" + "".join(examples))


def _review_examples(d: ReportData, found: pd.DataFrame) -> str:
    grouped = found[found["group"] >= 0]
    if len(grouped):
        units = []
        for _, group in list(grouped.groupby("group", sort=True))[:REVIEW_GROUPS]:
            group = group.sort_values("action", key=lambda a: a != "keep", kind="stable")  # the one kept first
            kept = group[group["action"] == "keep"]
            reason = (kept if len(kept) else group)["reason"].iat[0]
            tiles = "".join(_tile(d, r, _finding_word(r, found["kind"].iat[0])) for r in group.itertuples())
            units.append(f"<div class=unit><div class=tiles>{tiles}</div><p class=reason>{_e(_sentence(reason))}</p></div>")
        more = grouped["group"].nunique() - REVIEW_GROUPS
        extra = f"<p class=note>... and {more:,} more groups.</p>" if more > 0 else ""
        return f"<div class=units>{''.join(units)}</div>{extra}"
    strongest = found.sort_values("score", ascending=False, kind="stable").head(REVIEW_SINGLES)
    units = [f"<div class=unit>{_tile(d, r, _finding_word(r, r.kind))}<p class=reason>{_e(_sentence(r.reason))}</p></div>"
             for r in strongest.itertuples()]
    more = len(found) - len(strongest)
    return f"<div class=units>{''.join(units)}</div>" + (f"<p class=note>... and {more:,} more.</p>" if more > 0 else "")


def _finding_word(row, kind: str) -> str:
    if row.action == "keep":
        return "best shot" if kind == "similar" else "kept"
    word = {"accepted": "removed" if row.action != "relabel" else "relabelled", "dismissed": "kept (dismissed)",
            "set aside": "removed (another finding)"}
    if row.status in word:
        return word[row.status]
    return f"relabel: {row.suggested}" if row.action == "relabel" else str(row.action)


def _tile(d: ReportData, finding, word: str) -> str:
    """One finding's image, small and inline, with its suggestion and its split."""
    image = d.thumbnail(int(d.ws.rows_of([finding.id])[0]))
    caption = word + ("" if pd.isna(finding.split) else f" · {finding.split}")
    if image is None:
        picture = "<span class=missing>unreadable now</span>"
    else:
        picture = _png_img(image, finding.path)
    cls = "tile kept" if finding.action == "keep" else "tile"
    return f"<figure class='{cls}'>{picture}<figcaption>{_e(caption)}</figcaption></figure>"


def _people(d: ReportData) -> str:
    """The people the faces were grouped into (`imgorg people`, then curated): a face and counts each."""
    if not d.ws.has_people():
        return _section("people", "People", "<p class=note>No faces stored: <code>imgorg people WS</code> finds the "
                                            "faces and groups them into people (pip install 'imgorg[people]').</p>")
    people = d.ws.people()
    faces = d.ws.faces()
    no_one = int((faces["person"] == -1).sum())
    named = people[people["name"].fillna("") != ""]
    shown = pd.concat([named, people[people["name"].fillna("") == ""]]).head(MAX_PEOPLE)
    tiles = "".join(_face_tile(d, r) for r in shown.itertuples())
    note = (f"{_count(len(faces), 'face', 'faces')} in {faces['image_id'].nunique():,} images: "
            f"{_count(len(people), 'person', 'people')}, {len(named):,} named; {_count(no_one, 'face', 'faces')} of no one "
            "(too small, unsure, or marked not their person)")
    if len(people) > len(shown):
        note += f"; the named people and the unnamed with most faces shown, {len(shown)} of {len(people)}"
    return _section("people", "People", f"<p class=note>{_e(note)}.</p><div class=tiles>{tiles}</div>")


def _face_tile(d: ReportData, person) -> str:
    """One person: their face (the largest, best-scored), their name or number, their faces and photos."""
    try:
        picture = _png_img(d.ws.face_crop(int(person.cover_face), plots.TILE), str(person.name or ""))
    except (OSError, ImgorgError):
        picture = "<span class=missing>unreadable now</span>"
    name = person.name or f"person {int(person.person)}"
    caption = f"{name} · {_count(int(person.faces), 'face', 'faces')}, {_count(int(person.images), 'photo', 'photos')}"
    return f"<figure class='tile person'>{picture}<figcaption>{_e(caption)}</figcaption></figure>"


def _png_img(image, title: str) -> str:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")
    return (f'<img alt="{_e(title)}" title="{_e(title)}" '
            f'src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode("ascii")}">')


def _places(d: ReportData) -> str:
    """The places the photos were taken (nearest GeoNames place of their GPS position): a table, no map tiles."""
    from .places import NO_GPS

    if not d.ws.has_places():
        return _section("places", "Places", f"<p class=note>{_e(_sentence(NO_GPS))}</p>")
    try:
        table = d.ws.places_table()
    except ImgorgError as err:  # the places extra is missing
        return _section("places", "Places", f"<p class=note>{_e(str(err))}</p>")
    def day(value) -> str:
        return "" if pd.isna(value) else pd.Timestamp(value).date().isoformat()
    rows = "".join(f"<tr><td>{_e(r.city)}</td><td>{_e(r.region)}</td><td>{_e(r.country)}</td><td>{r.images:,}</td>"
                   f"<td>{day(r.first)}</td><td>{day(r.last)}</td></tr>" for r in table.head(50).itertuples())
    note = (f"{int(table['images'].sum()):,} of {len(d.ws.images):,} images have a GPS position, in "
            f"{_count(len(table), 'place', 'places')} (nearest GeoNames place of 1,000+ people, CC BY 4.0)"
            + ("; the 50 with most images shown" if len(table) > 50 else ""))
    head = "".join(f"<th>{h}</th>" for h in ("city", "region", "country", "images", "first", "last"))
    return _section("places", "Places", f"<p class=note>{_e(note)}.</p><table class=scores><thead><tr>{head}</tr>"
                    f"</thead><tbody>{rows}</tbody></table>")


def _failures(d: ReportData) -> str:
    failures = d.ws.failures
    if failures.empty:
        return _section("failures", "Files that could not be used", "<p class=note>None: every file decoded.</p>")
    rows = "".join(f"<tr><td>{_e(r.path)}</td><td>{_e(r.error)}</td></tr>"
                   for r in failures.head(MAX_FAILURES).itertuples())
    more = ""
    if len(failures) > MAX_FAILURES:
        more = (f"<p class=note>... and {len(failures) - MAX_FAILURES:,} more: <code>imgorg inspect "
                f"{_e(str(d.ws.root))} --json inspect.json</code> lists them all with their reasons.</p>")
    return _section("failures", "Files that could not be used",
                    f"<p class=note>{_count(len(failures), 'file', 'files')} could not be decoded; the run went on "
                    "without them.</p>"
                    f"<table class=failures><thead><tr><th>file</th><th>reason</th></tr></thead>"
                    f"<tbody>{rows}</tbody></table>{more}")


# -- HTML helpers --------------------------------------------------------------------------

def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


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
              "contingency": "Clusters and labels", "neighbours": "Neighbours", "review": "Review",
              "people": "People", "places": "Places", "failures": "Failures"}
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
.units { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
.unit { border: 1px solid #ddd; border-radius: 6px; padding: 6px; max-width: 420px; }
.tiles { display: flex; flex-wrap: wrap; gap: 6px; }
figure.tile { margin: 0; width: 72px; text-align: center; font-size: 11px; border: 2px solid transparent; border-radius: 4px; }
figure.tile img { width: 64px; height: 64px; object-fit: contain; image-rendering: pixelated; background: #eee; }
figure.tile.kept { border-color: #16a34a; background: #dcfce7; }
.unit .reason { font-size: 12px; color: #444; margin: 4px 2px 0; }
figure.tile.person { width: 96px; }
.missing { display: inline-block; width: 64px; height: 64px; background: #eee; font-size: 10px; }
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
