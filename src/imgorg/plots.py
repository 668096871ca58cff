"""Figures of a workspace for reports and notebooks: each function returns a Figure.

Figures are made with ``matplotlib.figure.Figure`` directly, not pyplot: nothing
global is registered, nothing is ever shown, no display or GUI backend is needed,
and a figure is freed as soon as the caller drops it (``figure.savefig`` renders
with Agg). Every function renders something for one cluster, for noise only and
without labels: a report must never fail because a collection is odd.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from .constants import NOISE

NOISE_COLOUR = (0.62, 0.62, 0.62, 1.0)
TILE = 64  # pixels of one thumbnail in a grid
DPI = 100
MAX_LEGEND = 20  # more categories than this: no legend, it would hide the map

# (key, title, which way is better); the keys are those of metrics.ClusterScores plus "seconds".
METRICS = (
    ("silhouette", "silhouette", "higher"),
    ("davies_bouldin", "Davies-Bouldin", "lower"),
    ("calinski_harabasz", "Calinski-Harabasz", "higher"),
    ("noise_fraction", "noise fraction", "lower"),
    ("acc", "ACC (Hungarian)", "higher"),
    ("nmi", "NMI", "higher"),
    ("ari", "ARI", "higher"),
    ("seconds", "seconds", "lower"),
)


def palette(n: int) -> list[tuple]:
    """n distinct colours: tab10/tab20 while they last, then evenly spaced hues."""
    if n <= 10:
        return [colormaps["tab10"](i) for i in range(n)]
    if n <= 20:
        return [colormaps["tab20"](i) for i in range(n)]
    return [colormaps["turbo"](x) for x in np.linspace(0.05, 0.95, n)]


def map_scatter(points: np.ndarray, clusters: np.ndarray, labels: Sequence | None = None) -> Figure:
    """The 2D map coloured by cluster and, where labels exist, by label beside it."""
    points = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    clusters = np.asarray(clusters)
    has_labels = labels is not None and len(labels) == len(points) and not pd.isna(pd.Series(labels)).any()
    panels = [("cluster", clusters)] + ([("label", np.asarray(labels, dtype=object))] if has_labels else [])
    fig = Figure(figsize=(6.5 * len(panels), 5), dpi=DPI, layout="constrained")
    for ax, (name, values) in zip(fig.subplots(1, len(panels), squeeze=False)[0], panels):
        _scatter_by(ax, points, values, name)
    return fig


def _scatter_by(ax, points: np.ndarray, values: np.ndarray, name: str) -> None:
    """Noise in grey underneath, then every other point in one call (fast for 100 clusters too)."""
    from matplotlib.lines import Line2D

    categories = _categories(values)
    coloured = [c for c in categories if not (name == "cluster" and _is_noise(c))]
    colours = dict(zip(coloured, palette(len(coloured))))
    size = float(np.clip(3000 / max(len(points), 1), 1.5, 30))
    noise = (values == NOISE) if name == "cluster" else np.zeros(len(values), bool)
    if noise.any():
        ax.scatter(points[noise, 0], points[noise, 1], s=size, linewidths=0, rasterized=True,
                   color=NOISE_COLOUR, alpha=0.5)
    if (~noise).any():
        ax.scatter(points[~noise, 0], points[~noise, 1], s=size, linewidths=0, rasterized=True, alpha=0.8,
                   c=[colours[v] for v in values[~noise]])
    ax.set_title(f"by {name} ({len(categories)} {'clusters' if name == 'cluster' else 'labels'})")
    ax.set_xticks([])
    ax.set_yticks([])
    if 0 < len(categories) <= MAX_LEGEND:
        handles = [Line2D([], [], linestyle="", marker="o", markersize=6,
                          color=NOISE_COLOUR if c not in colours else colours[c],
                          label=_plain(_category_name(c, name))) for c in categories]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1, 1), fontsize=8, frameon=False)


def _categories(values: np.ndarray) -> list:
    """Categories in display order; the noise cluster, if any, last."""
    unique = list(pd.unique(pd.Series(values)))
    try:
        unique.sort()
    except TypeError:  # mixed types: keep first-seen order
        pass
    return [c for c in unique if not _is_noise(c)] + [c for c in unique if _is_noise(c)]


def _is_noise(value) -> bool:
    return isinstance(value, (int, np.integer)) and value == NOISE


def _plain(text) -> str:
    """Text from the collection shown as is: a folder named "$x^$" must not be read as TeX."""
    return str(text).replace("$", r"\$")


def _category_name(value, kind: str) -> str:
    if kind == "cluster":
        return "noise" if _is_noise(value) else f"cluster {value}"
    return str(value)


def cluster_grid(thumbnails_per_cluster: Mapping[int, Sequence], sizes: Mapping[int, int],
                 dominant: Mapping[int, tuple[str, float]] | None = None, note: str = "",
                 names: Mapping[int, str] | None = None) -> Figure:
    """One row per cluster: its sample images, most typical first, as given.

    ``thumbnails_per_cluster`` maps a cluster id to images (PIL images or HxWx3
    uint8 arrays; None for one that could not be read). Each row is titled with
    the cluster's size and, when ``dominant`` has it, its dominant label and share.
    Each row is one image (a strip of tiles), not one axes per tile: a grid of 30
    clusters renders in a fraction of a second.
    """
    clusters = list(thumbnails_per_cluster)
    columns = max([len(thumbnails_per_cluster[c]) for c in clusters] + [1])
    side = 1 if len(clusters) <= 4 else 2  # clusters side by side: half the height for a long list
    rows = max(-(-len(clusters) // side), 1)
    fig = Figure(figsize=(max(side * (columns * (TILE + 4) + 20) / DPI, 4.5), rows * (TILE + 26) / DPI + 0.4),
                 dpi=DPI, layout="constrained")
    if not clusters:
        return _message(fig, "no clusters to show")
    axes = fig.subplots(rows, side, squeeze=False).ravel()
    for ax, cluster_id in zip(axes, clusters):
        strip, _ = _strip(thumbnails_per_cluster[cluster_id], columns)
        ax.imshow(strip, interpolation="nearest")
        ax.set_title(_cluster_title(cluster_id, sizes.get(cluster_id, 0), (dominant or {}).get(cluster_id),
                                    (names or {}).get(cluster_id, "")), loc="left", fontsize=9)
    for ax in axes:
        ax.set_axis_off()
    if note:
        fig.suptitle(note, fontsize=9, x=0.01, ha="left")
    return fig


def _cluster_title(cluster_id: int, size: int, dominant: tuple[str, float] | None, named: str = "") -> str:
    name = "noise" if cluster_id == NOISE else f"cluster {cluster_id}" + (f" ({_plain(named)})" if named else "")
    title = f"{name}: {size:,} image{'s' if size != 1 else ''}"
    if dominant:
        title += f", {dominant[1]:.0%} {_plain(dominant[0])}"
    return title


def neighbour_grid(queries: Sequence, neighbours: Sequence[Sequence], similarities: Sequence[Sequence[float]],
                   titles: Sequence[str] | None = None) -> Figure:
    """Each query image, then its nearest neighbours with their cosine similarity."""
    columns = 1 + max([len(n) for n in neighbours] + [0])
    row_height = (TILE + 40) / DPI
    fig = Figure(figsize=(max(columns * (TILE + 10) / DPI, 4.5), max(len(queries), 1) * row_height + 0.3),
                 dpi=DPI, layout="constrained")
    if not len(queries):
        return _message(fig, "no images to search with")
    for i, ax in enumerate(fig.subplots(len(queries), 1, squeeze=False)[:, 0]):
        strip, centres = _strip([queries[i], *neighbours[i]], columns, gap_after_first=True)
        ax.imshow(strip, interpolation="nearest")
        ax.set_axis_off()
        title = "query" if titles is None else _plain(titles[i])
        ax.text(centres[0], strip.shape[0] + 2, title, ha="center", va="top", fontsize=7, fontweight="bold")
        for x, sim in zip(centres[1:], similarities[i]):
            ax.text(x, strip.shape[0] + 2, f"{sim:.2f}", ha="center", va="top", fontsize=7)
        ax.set_ylim(strip.shape[0] + 16, 0)
    return fig


def contingency_heatmap(clusters: np.ndarray, labels: Sequence | None, max_clusters: int = 40) -> Figure:
    """Counts of each (cluster, label) pair; rows ordered so that a good clustering is diagonal."""
    clusters = np.asarray(clusters)
    if labels is None or len(labels) != len(clusters) or pd.isna(pd.Series(labels)).any() or not len(clusters):
        return _message(Figure(figsize=(5, 1.2), dpi=DPI), "no labels: nothing to compare the clusters with")
    table = pd.crosstab(pd.Series(clusters, name="cluster"), pd.Series(np.asarray(labels, dtype=object), name="label"))
    note = ""
    if len(table) > max_clusters:
        table = table.loc[table.sum(axis=1).nlargest(max_clusters).index]
        note = f" ({max_clusters} largest clusters)"
    if table.shape[1] > max_clusters:
        table = table[table.sum(axis=0).nlargest(max_clusters).index]
        note += f" ({max_clusters} most common labels)"
    table = _diagonal_order(table)
    fig = Figure(figsize=(min(2.5 + 0.55 * table.shape[1], 16), min(1.5 + 0.32 * table.shape[0], 20)), dpi=DPI,
                 layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(table.to_numpy(), cmap="Blues", aspect="auto")
    ax.set_xticks(range(table.shape[1]), [_plain(c) for c in table.columns], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(table.shape[0]), ["noise" if _is_noise(c) else str(c) for c in table.index], fontsize=8)
    ax.set_xlabel("label")
    ax.set_ylabel("cluster")
    ax.set_title("images per cluster and label" + note, fontsize=10)
    if table.size <= 900:
        _annotate(ax, table.to_numpy())
    fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def _diagonal_order(table: pd.DataFrame) -> pd.DataFrame:
    """Clusters sorted by their dominant label's column, then by size; noise last."""
    dominant = table.to_numpy().argmax(axis=1)
    order = sorted(range(len(table)), key=lambda i: (_is_noise(table.index[i]), dominant[i], -table.iloc[i].sum()))
    return table.iloc[order]


def _annotate(ax, counts: np.ndarray) -> None:
    top = counts.max() or 1
    for (row, col), value in np.ndenumerate(counts):
        if value:
            ax.text(col, row, f"{value:,}", ha="center", va="center", fontsize=6,
                    color="white" if value > top * 0.6 else "black")


def method_bars(metrics: Mapping[str, Mapping], chosen: str | None = None) -> Figure:
    """One bar chart per score, every clustering method side by side; the chosen one darker."""
    methods = list(metrics)
    shown = [m for m in METRICS if any(_number(metrics[name].get(m[0])) is not None for name in methods)]
    if not shown:
        return _message(Figure(figsize=(5, 1.2), dpi=DPI), "no scores to compare")
    columns = min(4, len(shown))
    rows = -(-len(shown) // columns)
    fig = Figure(figsize=(3.4 * columns, 0.6 + rows * (0.8 + 0.28 * len(methods))), dpi=DPI, layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, (key, title, better) in zip(axes, shown):
        values = [_number(metrics[name].get(key)) for name in methods]
        colours = ["#1f4e79" if name == chosen else "#7fa7cf" for name in methods]
        ax.barh(range(len(methods)), [v or 0.0 for v in values], color=colours)
        ax.set_yticks(range(len(methods)), methods, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(f"{title} ({better} is better)", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        for y, value in enumerate(values):
            ax.text(value or 0.0, y, " n/a " if value is None else f" {_short(value)} ", va="center", fontsize=7,
                    ha="right" if (value or 0) < 0 else "left")
        ax.margins(x=0.3)
        if all((v or 0) >= 0 for v in values):
            ax.set_xlim(left=0)
    for ax in axes[len(shown):]:
        ax.set_axis_off()
    return fig


def _number(value) -> float | None:
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and np.isfinite(value):
        return float(value)
    return None


def _short(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _message(fig: Figure, text: str) -> Figure:
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=10, color="0.35")
    return fig


def _strip(images: Sequence, columns: int, gap_after_first: bool = False) -> tuple[np.ndarray, list[float]]:
    """Images side by side in ``columns`` square tiles on white; the tiles' centre x."""
    pad, gap = 4, (12 if gap_after_first else 0)
    width = columns * (TILE + pad) + gap
    strip = np.full((TILE, width, 3), 255, np.uint8)
    centres = []
    for i in range(columns):
        x = i * (TILE + pad) + (gap if i else 0)
        centres.append(x + TILE / 2)
        if i < len(images):
            strip[:, x:x + TILE] = _tile(images[i])
    return strip, centres


def _tile(image) -> np.ndarray:
    """A TILE x TILE RGB array: the image fitted and centred, or grey when missing."""
    from PIL import Image

    tile = np.full((TILE, TILE, 3), 255, np.uint8)
    if image is None:
        tile[:] = 220
        return tile
    picture = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image, np.uint8))
    picture = picture.convert("RGB")
    scale = TILE / max(picture.size)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    array = np.asarray(picture.resize(size, Image.Resampling.BICUBIC))
    top, left = (TILE - size[1]) // 2, (TILE - size[0]) // 2
    tile[top:top + size[1], left:left + size[0]] = array
    return tile
