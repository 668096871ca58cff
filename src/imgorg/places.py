"""Places: the city (and the nearest locality) of each photo's GPS position, offline.

The places are GeoNames places of 1,000+ people (about 170,000; CC BY 4.0) with their population,
shipped as ``data/places.tsv.gz`` (written by ``tools/make_places.py``). They go into k-d trees on
unit vectors, so the nearest place is the nearest on the globe (a tree on degrees stretches
east-west distances by 1/cos(latitude) and breaks at the antimeridian).

The nearest place is often not what a user calls the place: GeoNames lists villages at the edge of
towns, and districts and neighbourhoods inside big cities (Alfama, Soho, Paris 04 Hotel-de-Ville,
Shibuya), as places of their own. So a position is named by its nearest place of 15,000+ people
(GeoNames' cities) within reach, and that place by a city ``dominance`` times bigger whose extent
holds its centre (``CityRule``); a village names only the countryside beyond every town's reach.
The nearest place is kept as the locality. Loading takes under a second once per process (and the
first position 0.2 s more); a position then costs a few microseconds.

Country names come from ``data/countries.tsv`` (ISO 3166-1 codes, Debian iso-codes).
"""

from __future__ import annotations

import gzip
import logging
import threading
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd

from .errors import ConfigError

log = logging.getLogger(__name__)

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
PLACE_COLUMNS = ["place_city", "place_locality", "place_region", "place_country", "place_country_code", "place_km"]
NO_GPS = "no image has a GPS position: there are no places (photos from a phone or camera with location on have one)"
PLACES_FILE = "data/places.tsv.gz"
_TIERS = (1e6, 3e5, 1e5, 3e4, 1e4, 3e3, 0)  # population bounds of the trees searched for a containing city
_PER_TIER = 16  # nearest places of a tier looked at; a position lies in the extents of only a few
CITY_POPULATION = 15000  # GeoNames' own line between a city (cities15000) and a smaller place
CITY_REACH_KM = 2.5  # a city-class place names positions this far from its centre at least (dev half; docs/places.md)
_LOCK = threading.Lock()
_GAZETTEER: Gazetteer | None = None


@dataclass(frozen=True)
class CityRule:
    """How a position's city is chosen.

    GeoNames calls a place of 15,000+ people a city (its cities15000 cut); the villages of 1,000+
    between cities are localities. If every place could be a city, a point 2 km from a town's
    centre that is nearer to a village at the town's edge would be named by the village. So:

    - a position within ``reach(population)`` of its nearest city-class place (``city_population``
      or more people) is named by that place's city;
    - a city-class place's city is itself, unless its centre lies inside the extent of a place at
      least ``dominance`` times as populous, in the same country and region (admin1): then the
      biggest such place. A place's extent is ``km_per_k * (population / 1000) ** exponent`` km,
      at most ``cap_km``. So a district listed as a place of its own (Paris 16 Passy, Shibuya,
      Manhattan) is named by its city, and so is every position nearest to it; the region keeps a
      city from naming its neighbour across a border (New York City and Jersey City);
    - a position beyond the reach of its nearest city-class place (the countryside) is named by its
      nearest place of any size, or by a place ``dominance`` times bigger whose extent holds it.

    ``city_population=0`` names every position by the last rule alone (no city class)."""

    km_per_k: float = 0.6  # 15,000 people: 1.5 km; 500,000: 4.8 km; 9 million: 12.5 km
    exponent: float = 1 / 3  # chosen on benchmarks/places.py's dev half (docs/places.md)
    cap_km: float = 25.0
    dominance: float = 5.0
    same_region: bool = True
    city_population: float = CITY_POPULATION
    reach_km: float = CITY_REACH_KM

    def extent_km(self, population) -> np.ndarray:
        return np.minimum(self.km_per_k * (np.asarray(population, np.float64) / 1000) ** self.exponent, self.cap_km)

    def reach(self, population) -> np.ndarray:
        """How far from its centre a city-class place names a position: its extent, at least reach_km."""
        return np.maximum(self.extent_km(population), self.reach_km)


@dataclass
class Gazetteer:
    """GeoNames places, a k-d tree over their positions on the unit sphere, and one per population tier."""

    places: pd.DataFrame  # name, lat, lon, cc, admin1, population
    tree: object  # scipy.spatial.cKDTree over unit vectors
    tiers: list = field(default_factory=list)  # _Tier per population band, biggest first
    region: np.ndarray | None = None  # one integer per (country, admin1)
    classes: dict = field(default_factory=dict)  # city_population -> (rows, tree) of the city-class places
    class_cities: dict = field(default_factory=dict)  # CityRule -> the city of each city-class place

    def nearest(self, lat, lon) -> tuple[np.ndarray, np.ndarray]:
        """Row of the nearest place of each position, and its great-circle distance in km."""
        chord, rows = self.tree.query(unit_vectors(lat, lon))
        return np.asarray(rows, np.int64), chord_km(chord)

    def city(self, lat, lon, rule: CityRule = CityRule()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row of each position's city (see ``CityRule``) and its distance in km, and the row of its
        nearest place (the locality)."""
        units = unit_vectors(lat, lon)
        near, _ = self.nearest(lat, lon)
        best, reached = near.copy(), np.zeros(len(near), bool)
        if rule.city_population > 1000 and len(near):  # the city of the nearest city-class place within reach
            rows, tree = self._city_class(rule.city_population)
            chord, idx = tree.query(units)
            reached = chord_km(chord) <= rule.reach(self.population()[rows[idx]])
            best[reached] = self._city_of_cities(rule)[idx[reached]]
        if not reached.all():  # the countryside: its nearest place, or a big place whose extent holds it
            best[~reached] = self._biggest_containing(units[~reached], near[~reached], rule)
        km = chord_km(np.linalg.norm(units - unit_vectors(self.places["lat"].to_numpy()[best],
                                                          self.places["lon"].to_numpy()[best]), axis=1))
        return best, km, near

    def _biggest_containing(self, units: np.ndarray, anchor: np.ndarray, rule: CityRule) -> np.ndarray:
        """The biggest place ``rule.dominance`` times as populous as each position's anchor (in its
        region) whose extent holds the position; the anchor where there is none."""
        population = self.population()
        need = population[anchor] * rule.dominance
        best = anchor.copy()
        found = np.zeros(len(anchor), bool)
        for tier in self.tiers:  # biggest first: the first tier with a hit holds the biggest
            rows = tier.rows
            todo = np.flatnonzero(~found & (need <= population[rows].max(initial=0)))
            if not len(todo):
                continue
            reach = 2 * np.sin(rule.extent_km(population[rows].max()) / (2 * EARTH_RADIUS_KM))
            chord, idx = tier.tree.query(units[todo], k=min(_PER_TIER, len(rows)), distance_upper_bound=reach * 1.0001)
            chord, idx = chord.reshape(len(todo), -1), idx.reshape(len(todo), -1)
            valid = idx < len(rows)
            cand = rows[np.where(valid, idx, 0)]
            inside = valid & (chord_km(np.where(valid, chord, 0)) <= rule.extent_km(population[cand])) \
                & (population[cand] >= need[todo, None])
            if rule.same_region:
                inside &= self.region[cand] == self.region[anchor[todo], None]
            hit = inside.any(axis=1)
            pick = np.where(inside, population[cand], -1).argmax(axis=1)
            best[todo[hit]] = cand[hit, pick[hit]]
            found[todo[hit]] = True
        return best

    def _city_class(self, least: float) -> tuple[np.ndarray, object]:
        """Rows of the places of ``least`` or more people and their k-d tree, built on first use."""
        if least not in self.classes:
            from scipy.spatial import cKDTree

            rows = np.flatnonzero(self.population() >= least)
            if not len(rows):
                raise ConfigError(f"no GeoNames place has {least:,.0f} or more people: "
                                  f"give CityRule a city_population the places reach, e.g. {CITY_POPULATION}")
            self.classes[least] = rows, cKDTree(unit_vectors(self.places["lat"].to_numpy()[rows],
                                                             self.places["lon"].to_numpy()[rows]))
        return self.classes[least]

    def _city_of_cities(self, rule: CityRule) -> np.ndarray:
        """The city of each city-class place's centre (itself, or a big city whose extent holds it),
        worked out once per rule: every position whose nearest city-class place it is shares it."""
        if rule not in self.class_cities:
            rows, _ = self._city_class(rule.city_population)
            units = unit_vectors(self.places["lat"].to_numpy()[rows], self.places["lon"].to_numpy()[rows])
            self.class_cities[rule] = self._biggest_containing(units, rows, rule)
        return self.class_cities[rule]

    def population(self) -> np.ndarray:
        """Population of each place, at least 1,000 (GeoNames lists seats of divisions with 0)."""
        return np.maximum(self.places["population"].to_numpy(np.float64), 1000)


def unit_vectors(lat, lon) -> np.ndarray:
    lat, lon = np.radians(np.asarray(lat, np.float64)), np.radians(np.asarray(lon, np.float64))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def chord_km(chord) -> np.ndarray:
    """Great-circle distance in km of a chord between unit vectors."""
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord, np.float64) / 2, 0, 1))


def read_places() -> pd.DataFrame:
    """The shipped GeoNames places (name, lat, lon, cc, admin1, population)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = resources.files("imgorg").joinpath(PLACES_FILE)
    try:
        with path.open("rb") as raw, gzip.open(raw, "rb") as f:
            data = f.read()
    except FileNotFoundError as e:
        raise ConfigError(f"the GeoNames places {PLACES_FILE} are missing from the installed imgorg: "
                          "reinstall imgorg (python tools/make_places.py writes them in a checkout)") from e
    header = sum(1 for line in data[:4096].split(b"\n") if line.startswith(b"#"))
    text = {c: pa.string() for c in ("name", "cc", "admin1")}  # "NA" is Namibia, not a missing value
    table = pacsv.read_csv(pa.BufferReader(data), read_options=pacsv.ReadOptions(skip_rows=header),
                           parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False),
                           convert_options=pacsv.ConvertOptions(column_types=text, strings_can_be_null=False))
    return table.to_pandas()


def gazetteer() -> Gazetteer:
    """The places, loaded once per process; a tier's tree is built the first time a rule needs it."""
    global _GAZETTEER
    with _LOCK:
        if _GAZETTEER is None:
            from scipy.spatial import cKDTree

            places = read_places()
            units = unit_vectors(places["lat"], places["lon"])
            population = np.maximum(places["population"].to_numpy(), 1000)
            tiers, high = [], np.inf
            for low in _TIERS:
                rows = np.flatnonzero((population >= low) & (population < high))
                tiers.append(_Tier(low, rows, units[rows]))
                high = low
            region = pd.factorize(places["cc"] + "|" + places["admin1"])[0]
            _GAZETTEER = Gazetteer(places, cKDTree(units), tiers, region)
        return _GAZETTEER


class _Tier:
    """The places of one population band and their k-d tree, built on first use."""

    def __init__(self, low: float, rows: np.ndarray, units: np.ndarray):
        self.low, self.rows, self._units, self._tree = low, rows, units, None

    @property
    def tree(self):
        if self._tree is None:
            from scipy.spatial import cKDTree

            self._tree = cKDTree(self._units)
        return self._tree


def country_names() -> dict[str, str]:
    text = resources.files("imgorg").joinpath("data/countries.tsv").read_text(encoding="utf-8")
    return dict(line.split("\t", 1) for line in text.splitlines() if line and not line.startswith("#"))


def has_gps(images: pd.DataFrame) -> np.ndarray:
    """Whether each image has a usable GPS position (both coordinates, in range)."""
    if "gps_lat" not in images or "gps_lon" not in images:
        return np.zeros(len(images), bool)
    lat = pd.to_numeric(images["gps_lat"], errors="coerce").to_numpy(np.float64, na_value=np.nan)
    lon = pd.to_numeric(images["gps_lon"], errors="coerce").to_numpy(np.float64, na_value=np.nan)
    return np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)


def geocode(lat, lon, rule: CityRule = CityRule()) -> pd.DataFrame:
    """The city of each position: PLACE_COLUMNS (city, the nearest place where it is another,
    region, country name and code, km to the city's centre)."""
    lat, lon = np.asarray(lat, np.float64), np.asarray(lon, np.float64)
    if not len(lat):
        return _empty(0)
    g = gazetteer()
    rows, km, near = g.city(lat, lon, rule)
    found, names = g.places.iloc[rows], country_names()
    city, locality = found["name"].to_numpy(), g.places["name"].to_numpy()[near]
    return pd.DataFrame({
        "place_city": pd.array(city, dtype="string"),
        "place_locality": pd.array(np.where(locality != city, locality, None), dtype="string"),
        "place_region": pd.array(found["admin1"].replace("", None).to_numpy(), dtype="string"),
        "place_country": pd.array([names.get(cc, cc) for cc in found["cc"]], dtype="string"),
        "place_country_code": pd.array(found["cc"].to_numpy(), dtype="string"),
        "place_km": np.round(km, 3),
    })


def image_places(images: pd.DataFrame) -> pd.DataFrame:
    """PLACE_COLUMNS per image (rows as ``images``), empty (NA) where an image has no GPS position."""
    known = has_gps(images)
    out = _empty(len(images))
    if known.any():
        found = geocode(images["gps_lat"].to_numpy(np.float64, na_value=np.nan)[known],
                        images["gps_lon"].to_numpy(np.float64, na_value=np.nan)[known])
        for column in PLACE_COLUMNS:
            out.loc[known, column] = found[column].to_numpy()
    return out


def _empty(n: int) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.array([None] * n, dtype="string") for c in PLACE_COLUMNS[:-1]})
    frame["place_km"] = np.full(n, np.nan)
    return frame


def place_label(city, country) -> str:
    """"Lisbon, Portugal"; "" for no place."""
    if city is None or pd.isna(city):
        return ""
    return f"{city}, {country}" if country is not None and not pd.isna(country) else str(city)


def places_summary(images: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """One row per place (city, region, country): images, first and last capture time, most first."""
    columns = ["city", "region", "country", "country_code", "images", "first", "last"]
    found = places["place_city"].notna().to_numpy()
    if not found.any():
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame({"city": places["place_city"], "region": places["place_region"].fillna(""),
                          "country": places["place_country"], "country_code": places["place_country_code"],
                          "taken_at": pd.to_datetime(images["taken_at"], errors="coerce") if "taken_at" in images
                          else pd.NaT})[found]
    grouped = frame.groupby(["city", "region", "country", "country_code"], dropna=False)
    table = grouped.agg(images=("city", "size"), first=("taken_at", "min"), last=("taken_at", "max")).reset_index()
    table = table.sort_values(["images", "country", "city"], ascending=[False, True, True], kind="stable")
    return table[columns].reset_index(drop=True)


def matches_place(places: pd.DataFrame, query: str) -> np.ndarray:
    """Images whose city, locality, region, country or country code is ``query`` (compared
    case-insensitively, whole names only: "Lisbon" is not "Lisbon County")."""
    wanted = str(query or "").strip().casefold()
    if not wanted:
        raise ConfigError("a place to search for cannot be empty; give a city, region or country, e.g. 'Lisbon'")
    hit = np.zeros(len(places), bool)
    columns = ("place_city", "place_locality", "place_region", "place_country", "place_country_code")
    for column in columns:
        hit |= places[column].fillna("").str.casefold().to_numpy() == wanted
    if not hit.any():  # a place no image is at: said, as an unknown person is, not an empty answer
        cities = places["place_city"].dropna().value_counts().index[:8].tolist()
        raise ConfigError(f"no image is at {query!r}; the collection's places include "
                          f"{', '.join(cities) or 'none'} (`imgorg places WS` lists them all)")
    return hit
