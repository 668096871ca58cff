"""``find_similar``: the images most like a query, which is an image (bytes or a file), an image id
or words; ``resolve_query`` is the one rule for what a query is, for the CLI and the app alike."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..constants import CLIP_BACKBONE, NOISE
from ..errors import ConfigError
from ..index import SearchIndex
from ..config import SearchConfig
from ..views import Workspace, open_workspace

if TYPE_CHECKING:  # annotations only: the word table loads on the first word search
    from ..words import Reach

MAX_TEXT = 1000  # characters; CLIP reads 77 tokens at most anyway
# A word search without CLIP returns no image whose tags put less than this (probability times how
# directly the class shows the word) on the word: astronauts at 0.003 are no answer to "car". On
# CIFAR-10's test images every one of the benchmark words' top 10 scores 0.029 or more (docs/words.md).
MIN_WORD_SCORE = 0.01


@dataclass
class Neighbour:
    row: int  # row in the workspace's embeddings (and in ``Workspace.images``)
    similarity: float  # cosine


class Searcher:
    """The workspace's stored index plus the backbone that made it, loaded on first use."""

    def __init__(self, ws: Workspace, index: SearchIndex | None = None):
        self.ws = ws
        self.index = index or ws.search_index()
        self._embedder = None
        self._text_encoder = None
        self._lock = threading.Lock()

    def embed(self, data: bytes) -> np.ndarray:
        """Embed image bytes exactly as the run embedded its images (raises ImageDecodeError)."""
        from ..config import EmbedConfig
        from ..embed import ImageEmbedder

        with self._lock:  # one set of models; inference one image at a time
            if self._embedder is None:
                self._embedder = ImageEmbedder(EmbedConfig(**self.ws.manifest["config"]["embed"]))
            return self._embedder(data)

    def embed_text(self, text: str) -> np.ndarray:
        """Embed a sentence with CLIP's text tower, into the space of the workspace's CLIP image embeddings."""
        weights = check_text_search(self.ws, text)
        from ..embed.clip_text import ClipTextEncoder

        with self._lock:
            if self._text_encoder is None:
                self._text_encoder = ClipTextEncoder(weights)
            return self._text_encoder(text)

    def search_text(self, text: str, k: int) -> tuple[list[Neighbour], str]:
        """The k images that best match ``text``, and how they were found (``search_words`` without
        the word's reach)."""
        found, how, _ = self.search_words(text, k)
        return found, how

    def search_words(self, text: str, k: int) -> tuple[list[Neighbour], str, Reach | None]:
        """The k images that best match ``text``, how they were found, and for a word search without
        CLIP the classes the word went through (``words.Reach``; None for CLIP). A CLIP workspace
        compares the sentence's CLIP embedding with the images' (similarity: cosine); any other
        workspace with tags ranks images by the probability their ImageNet classes put on the classes
        that show the word, each weighted by how directly it does (similarity: that score)."""
        _check_text(text)
        named, said = self.named_by(text)  # a person's own words: people's names, places, sidecars come first
        if is_clip(self.ws):
            found = self.neighbours(self.embed_text(text), k)
            return _first(named, found, k), _with_keywords(f"CLIP text embedding of {text!r}", said), None
        tags = self.ws.tags()
        if tags is None:
            raise ConfigError(f"text search needs a CLIP workspace ({CLIP_BACKBONE}) or one whose backbone has an "
                              f"ImageNet classifier (efficientnet-lite*, resnet*, mobilenet_v2); "
                              f"{self.ws.manifest['backbone']['id']!r} has neither: search by image")
        from ..naming import word_scores
        from ..words import reach

        words = reach(text)  # a word that reaches nothing goes through the nearest word that does
        scores = word_scores(tags.classes, tags.probs, words.weights)
        scores = np.where(self.ws.removed(), 0.0, scores)  # images a review removed are not found
        order = np.argsort(-scores, kind="stable")[:k]
        found = [Neighbour(int(r), float(scores[r])) for r in order if scores[r] >= MIN_WORD_SCORE]
        return _first(named, found, k), _with_keywords(words.describe(), said), words

    def named_by(self, text: str) -> tuple[np.ndarray, list[str]]:
        """(rows, what named them): the images of the person a person named ``text``, those taken at the
        place of that name (city, locality, region or country), and those whose keywords or description
        (from sidecars: XMP, IPTC, Google Takeout) hold it as a whole word or phrase, case aside, in that
        order; images a review removed are left out."""
        import re

        images, wanted = self.ws.images, text.strip().casefold()
        pattern = re.compile(rf"(?<!\w){re.escape(text.strip())}(?!\w)", re.IGNORECASE)
        found: list[tuple[str, np.ndarray]] = []
        if self.ws.has_people():
            faces = self.ws.faces()
            ids = faces.loc[faces["name"].fillna("").str.casefold() == wanted, "image_id"].unique()
            found.append((f"of {text.strip()}", np.flatnonzero(images["id"].isin(ids).to_numpy())))
        if self.ws.has_places():
            at = self.ws.places()
            columns = [c for c in ("place_city", "place_locality", "place_region", "place_country") if c in at]
            hit = np.logical_or.reduce([at[c].fillna("").astype(str).str.casefold().eq(wanted).to_numpy(bool)
                                        for c in columns])
            found.append((f"taken in {text.strip()}", np.flatnonzero(hit)))
        said = [images[c].fillna("").astype(str) for c in ("keywords", "description") if c in images]
        if said:
            hit = np.logical_or.reduce([column.str.contains(pattern).to_numpy(bool) for column in said])
            found.append((f"whose keywords or description say {text!r}", np.flatnonzero(hit)))
        kept, rows, how = ~self.ws.removed(), [], []
        for phrase, hits in found:
            hits = [int(r) for r in hits if kept[r] and r not in set(rows)]
            if hits:
                rows += hits
                how.append(f"{len(hits):,} image{'s' if len(hits) != 1 else ''} {phrase}")
        return np.array(rows, np.int64), how

    def neighbours(self, vector: np.ndarray, k: int, exclude: int | None = None) -> list[Neighbour]:
        """The k most similar images; ``exclude`` leaves out one row (the query image itself), and
        images a review removed are left out too."""
        removed = self.ws.removed()
        extra = int(removed.sum())  # asked for beyond k, so that k remain once they are left out
        sims, rows = self.index.search(vector, k + extra, exclude=None if exclude is None else np.array([exclude]))
        found = [Neighbour(int(r), float(s)) for r, s in zip(rows[0], sims[0]) if r >= 0 and not removed[r]]
        return found[:k]

    def by_row(self, row: int, k: int) -> list[Neighbour]:
        return self.neighbours(self.ws.embeddings[row], k, exclude=row)

    def predicted_cluster(self, neighbours: list[Neighbour], labels: np.ndarray, row: int | None = None) -> int:
        """The query's own cluster when it is an image of the workspace (``row``), else the cluster its
        neighbours' similarities add up to most (noise only if nothing else; ties: the nearest's):
        nothing is refitted. An exact copy of an image of cluster 3 is in cluster 3 whatever k."""
        if row is not None:
            return int(labels[row])
        if not neighbours:
            return NOISE
        found = labels[[n.row for n in neighbours]]
        weight = np.maximum(np.array([n.similarity for n in neighbours], np.float64), 1e-6)
        voters = found != NOISE if (found != NOISE).any() else np.ones(len(found), bool)
        totals: dict[int, float] = {}
        for cluster, w in zip(found[voters].tolist(), weight[voters].tolist()):  # nearest first: wins ties
            totals[int(cluster)] = totals.get(int(cluster), 0.0) + w
        return max(totals, key=lambda c: (round(totals[c], 9), -list(totals).index(c)))


def is_clip(ws: Workspace) -> bool:
    """Whether the images were embedded by CLIP alone (then a sentence can be placed among them)."""
    embed = ws.manifest.get("config", {}).get("embed", {})
    return (embed.get("backbone") or ws.manifest.get("backbone", {}).get("id")) == CLIP_BACKBONE


def check_text_search(ws: Workspace, text: str) -> str:
    """The CLIP weights file for a text query; refused unless the images were embedded by CLIP alone.

    A combined backbone ("clip-vit-b-32+dinov2-vits14") is refused too: its other part
    has no text tower, so a sentence cannot be placed in the concatenated space.
    """
    embed = ws.manifest.get("config", {}).get("embed", {})
    backbone = embed.get("backbone") or ws.manifest.get("backbone", {}).get("id")
    if backbone != CLIP_BACKBONE:
        raise ConfigError(f"text search needs a workspace embedded with {CLIP_BACKBONE} alone, but this one used "
                          f"{backbone!r}; run `imgorg run DIR --backbone {CLIP_BACKBONE}`, or search by image")
    _check_text(text)
    from ..embed.backbones import get_backbone

    return get_backbone(CLIP_BACKBONE).weights_path(embed.get("weights"))


def _check_text(text: str) -> None:
    """An empty text query, or one over MAX_TEXT characters, is a ConfigError that says which."""
    if not text.strip():
        raise ConfigError("the text query is empty: give a word or a sentence")
    if len(text) > MAX_TEXT:
        raise ConfigError(f"text query of {len(text):,} characters: give at most {MAX_TEXT:,}")


@dataclass(frozen=True)
class Query:
    """What is searched for: exactly one of an image's bytes, an image id, or words."""

    image: bytes | None = field(default=None, repr=False)  # an image file's content (embedded as the run embedded its images)
    image_id: int | None = None  # an image of the workspace
    text: str | None = None  # words: CLIP's text tower, else the images' ImageNet tags
    name: str = ""  # how the person named it (a file name, an id, the words), for messages

    @property
    def kind(self) -> str:
        return "text" if self.text is not None else "id" if self.image_id is not None else "image"


def resolve_query(value: str | bytes | None = None, *, text: str | None = None, image_id: int | None = None) -> Query:
    """The query a person gave: ``text`` (words), ``image_id``, or ``value``: image bytes, a path to an
    image file, or a whole number naming an image id. Anything else, or two at once, is a ConfigError."""
    given = [g for g in (value, text, image_id) if g is not None]
    if len(given) != 1:
        raise ConfigError("give one query: an image file, an image id or words (--text)" if not given else
                          f"give one query, not {len(given)}: an image file, an image id or words")
    if text is not None:
        return Query(text=text, name=text)
    if image_id is not None:
        return Query(image_id=int(image_id), name=str(image_id))
    if isinstance(value, bytes):
        return Query(image=value, name="the uploaded image")
    if Path(value).is_file():
        return Query(image=Path(value).read_bytes(), name=str(value))
    if str(value).isdigit():
        return Query(image_id=int(value), name=str(value))
    raise ConfigError(f"query {value!r} is neither an image file nor an image id; for words, pass "
                      f"SearchConfig(text={str(value)!r}) (the CLI: --text)")


def _first(named: np.ndarray, found: list[Neighbour], k: int) -> list[Neighbour]:
    """The images a person's words name (similarity 1), then the others found, k in all."""
    rows = set(named.tolist())
    return ([Neighbour(int(r), 1.0) for r in named] + [n for n in found if n.row not in rows])[:k]


def _with_keywords(how: str, said: list[str]) -> str:
    """How a search went: the images a person's words named first (``Searcher.named_by``), then ``how``."""
    return f"{', '.join(said)}, then {how}" if said else how


def as_query(value) -> Query:
    """A ``Query`` as it is, an int as an image id, anything else as ``resolve_query`` reads it (image
    bytes, a path to an image file, an id's digits): ``SearchConfig(query=166)`` from Python."""
    if isinstance(value, Query):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return resolve_query(image_id=int(value))
    if isinstance(value, (str, bytes, Path)):
        return resolve_query(value if isinstance(value, bytes) else str(value))
    raise ConfigError(f"query {value!r} is not an image, an image id or words: use resolve_query(file, text=, "
                      "image_id=)")


@dataclass
class SearchResult:
    query: Query
    neighbours: list[Neighbour]  # most similar first
    row: int | None  # the query's row when it is an image of the workspace
    cluster: int  # its cluster, or the one most of its neighbours are in
    how: str  # how the images were found, for a caption
    method: str  # the clustering whose clusters are shown
    index: str = field(default="exact")  # the kind of search index used
    words: Reach | None = None  # a word search without CLIP: the classes the word went through
    ids: list[int] = field(default_factory=list)  # the neighbours' image ids (catalog ids), most similar first


def find_similar(workspace: Workspace | str, config: SearchConfig, searcher: Searcher | None = None) -> SearchResult:
    """The ``config.k`` images most like ``config.query`` (``resolve_query``); ``searcher`` keeps the
    models loaded between queries (the app)."""
    workspace = open_workspace(workspace)
    config.validate()
    query, k = as_query(config.query) if config.text is None else resolve_query(text=config.text), config.k
    method = workspace.check_method(config.method)  # an unknown method is refused before any work
    searcher = searcher or Searcher(workspace)
    row, words = None, None
    if query.text is not None:
        found, how, words = searcher.search_words(query.text, k)
    else:
        if query.image_id is not None:
            row = int(workspace.rows_of(query.image_id)[0])
            found = searcher.by_row(row, k)
        else:
            found = searcher.neighbours(searcher.embed(query.image), k)
        how = f"{searcher.index.kind} search"
    cluster = searcher.predicted_cluster(found, workspace.cluster_labels(method), row)
    ids = workspace.images["id"].to_numpy()[[n.row for n in found]].tolist() if found else []
    return SearchResult(query, found, row, cluster, how, method, searcher.index.kind, words, ids)
