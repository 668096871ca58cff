"""Every figure renders headless for ordinary data and for the odd cases a report meets."""

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from imgorg import plots
from imgorg.constants import NOISE

N = 120
RNG = np.random.default_rng(0)
POINTS = RNG.normal(size=(N, 2)).astype(np.float32)
LABELS = np.array(["cat", "dog", "ship"] * (N // 3), dtype=object)

CASES = {
    "normal": (np.repeat([0, 1, 2, NOISE], N // 4), LABELS),
    "one cluster": (np.zeros(N, np.int64), LABELS),
    "noise only": (np.full(N, NOISE), LABELS),
    "no labels": (np.repeat([0, 1, 2, NOISE], N // 4), None),
}


def render(fig) -> bytes:
    assert isinstance(fig, Figure)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = buffer.getvalue()
    assert data.startswith(b"\x89PNG") and Image.open(io.BytesIO(data)).size[0] > 100
    return data


def thumbnails(clusters):
    colours = {c: RNG.integers(0, 255, 3) for c in np.unique(clusters)}
    images = {}
    for c in np.unique(clusters):
        tile = np.zeros((32, 24, 3), np.uint8) + colours[c].astype(np.uint8)
        images[int(c)] = [Image.fromarray(tile)] * 3 + [tile, None]  # PIL, array, unreadable
    return images


@pytest.mark.parametrize("case", CASES)
def test_map_scatter(case):
    clusters, labels = CASES[case]
    fig = plots.map_scatter(POINTS, clusters, labels)
    assert len(fig.axes) == (1 if labels is None else 2)
    render(fig)


@pytest.mark.parametrize("case", CASES)
def test_cluster_grid(case):
    clusters, labels = CASES[case]
    sizes = {int(c): int((clusters == c).sum()) for c in np.unique(clusters)}
    dominant = None if labels is None else {c: ("cat", 0.5) for c in sizes}
    fig = plots.cluster_grid(thumbnails(clusters), sizes, dominant)
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
    assert len(titles) == len(sizes)
    if NOISE in sizes:
        assert any(t.startswith("noise:") for t in titles)
    if labels is not None:
        assert all("50% cat" in t for t in titles)
    render(fig)


def test_cluster_grid_with_nothing_still_renders():
    render(plots.cluster_grid({}, {}))


@pytest.mark.parametrize("case", CASES)
def test_neighbour_grid(case):
    clusters, _ = CASES[case]
    images = thumbnails(clusters)[int(clusters[0])]
    fig = plots.neighbour_grid(images[:2], [images[:4], images[1:]], [[1.0, 0.9, 0.8, 0.7], [0.5, 0.4, 0.3, 0.2]])
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "query" in texts and "0.90" in texts
    render(fig)


@pytest.mark.parametrize("case", CASES)
def test_contingency_heatmap(case):
    clusters, labels = CASES[case]
    fig = plots.contingency_heatmap(clusters, labels)
    if labels is None:
        assert "no labels" in fig.texts[0].get_text()
    else:
        rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert len(rows) == len(np.unique(clusters)) and ("noise" in rows) == (NOISE in clusters)
    render(fig)


def test_contingency_heatmap_is_capped_and_diagonal():
    clusters = np.arange(300) % 60
    labels = np.array([f"l{c % 3}" for c in clusters], dtype=object)
    fig = plots.contingency_heatmap(clusters, labels, max_clusters=40)
    assert len(fig.axes[0].get_yticklabels()) == 40 and "40 largest" in fig.axes[0].get_title()
    render(fig)


METRICS = {
    "scan": {"n_clusters": 10, "noise_fraction": 0.0, "silhouette": 0.1, "davies_bouldin": 2.5,
             "calinski_harabasz": 400.0, "acc": 0.8, "nmi": 0.7, "ari": 0.6, "purity": 0.8, "seconds": 20.0,
             "contingency": {"clusters": [0], "labels": ["a"], "counts": [[1]]}},
    "dbscan": {"n_clusters": 0, "noise_fraction": 1.0, "silhouette": None, "davies_bouldin": None,
               "calinski_harabasz": None, "seconds": 0.5},
    "kmeans": {"n_clusters": 1, "noise_fraction": 0.0, "silhouette": -0.05, "davies_bouldin": None,
               "calinski_harabasz": None, "seconds": 1.0},
}


@pytest.mark.parametrize("metrics", [METRICS, {"dbscan": METRICS["dbscan"]}, {"kmeans": METRICS["kmeans"]}, {}],
                         ids=["normal", "noise only", "one cluster", "none"])
def test_method_bars(metrics):
    fig = plots.method_bars(metrics, chosen="scan")
    titles = [ax.get_title() for ax in fig.axes]
    if "scan" in metrics:
        assert "silhouette (higher is better)" in titles and "ACC (Hungarian) (higher is better)" in titles
    render(fig)


def test_cluster_grid_puts_many_clusters_side_by_side():
    clusters = np.arange(N) % 7
    sizes = {c: int((clusters == c).sum()) for c in range(7)}
    fig = plots.cluster_grid(thumbnails(clusters), sizes)
    assert len([ax for ax in fig.axes if ax.get_title(loc="left")]) == 7
    width, height = Image.open(io.BytesIO(render(fig))).size
    assert width > height  # two columns of four rows, not one of seven


def test_names_from_the_collection_are_not_read_as_tex():
    labels = np.array(["$x^$", "a$b", "100$"] * (N // 3), dtype=object)
    clusters = np.repeat([0, 1, 2, NOISE], N // 4)
    render(plots.map_scatter(POINTS, clusters, labels))
    render(plots.contingency_heatmap(clusters, labels))
    render(plots.cluster_grid(thumbnails(clusters), {0: 30}, {0: ("$x^$", 0.5)}))
    images = thumbnails(clusters)[0]
    render(plots.neighbour_grid(images[:1], [images[1:3]], [[0.9, 0.8]], titles=["$x^$"]))


def test_many_clusters_and_labels_render_quickly():
    clusters = RNG.integers(-1, 150, 20_000)
    labels = np.array([f"class {i}" for i in RNG.integers(0, 120, 20_000)], dtype=object)
    points = RNG.normal(size=(20_000, 2))
    fig = plots.map_scatter(points, clusters, labels)
    assert all(ax.get_legend() is None for ax in fig.axes)  # 150 entries would hide the map
    render(fig)
    fig = plots.contingency_heatmap(clusters, labels)
    assert fig.axes[0].get_title().endswith("(40 largest clusters) (40 most common labels)")
    render(fig)
