"""Places from GPS: the nearest GeoNames place offline, searched, exported and listed; events named by them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import imgorg
from imgorg.cli.main import app
from imgorg.constants import EVENTS
from imgorg.errors import ConfigError
from imgorg.events import date_range, event_names, with_people
from imgorg.places import EARTH_RADIUS_KM, CityRule, gazetteer, geocode, unit_vectors
from imgorg.tasks.export import export_folders

from .places_corpus import make_workspace


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("places"))


@pytest.fixture(scope="module")
def no_gps_path(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("nogps"), with_gps=False)


def test_gps_read_from_exif_gives_city_region_and_country_name(ws_path):
    ws = imgorg.load_workspace(ws_path)
    places = ws.places().assign(path=ws.images["path"].to_numpy()).set_index("path")
    assert places.loc["a.jpg", ["place_city", "place_region", "place_country"]].tolist() == ["Lisbon", "Lisbon", "Portugal"]
    assert places.loc["e.jpg", "place_city"] == "Porto" and places.loc["e.jpg", "place_country_code"] == "PT"
    assert pd.isna(places.loc["g.jpg", "place_city"])  # no GPS, no place
    assert (places["place_km"].dropna() < 5).all()


def test_the_nearest_place_is_the_nearest_on_the_globe_not_in_degrees():
    # at 60 N a degree of longitude is half a degree of latitude: a tree on degrees picks wrongly
    g = gazetteer()
    lat, lon = np.array([59.9, 64.1, -54.8]), np.array([10.75, -21.9, -68.3])
    rows, _ = g.nearest(lat, lon)
    exact = np.arccos(np.clip(unit_vectors(lat, lon) @ unit_vectors(g.places["lat"], g.places["lon"]).T, -1, 1))
    assert rows.tolist() == exact.argmin(axis=1).tolist()
    assert geocode([59.9139], [10.7522])["place_city"][0] == "Oslo"


# (lat, lon, the city a visitor names, the GeoNames place nearest to it)
LANDMARKS = {
    "Eiffel Tower": (48.8584, 2.2945, "Paris", "Paris 16 Passy"),
    "Brandenburg Gate": (52.5163, 13.3777, "Berlin", "Tiergarten"),
    "Sydney Opera House": (-33.8568, 151.2153, "Sydney", "The Rocks"),
    "Shibuya crossing": (35.6595, 139.7005, "Tokyo", "Sakuragaokachō"),  # Shibuya ward, a "city" of its own
    "Central Park": (40.7829, -73.9654, "New York City", "Manhattan"),
}


def test_a_landmark_is_named_by_its_city_and_the_district_kept_as_locality():
    lat, lon, city, locality = zip(*LANDMARKS.values())
    found = geocode(lat, lon)
    assert found["place_city"].tolist() == list(city)
    assert found["place_locality"].tolist() == list(locality)
    # the nearest place alone names the district, not the city
    rows, _ = gazetteer().nearest(lat, lon)
    assert gazetteer().places["name"].to_numpy()[rows].tolist() == list(locality)


def test_a_separate_town_beside_a_big_city_keeps_its_name():
    # Amadora (179,000) touches Lisbon; Jersey City is across the state line from New York City
    found = geocode([38.7538, 40.7282, 38.7223], [-9.2308, -74.0776, -9.1393])
    assert found["place_city"].tolist() == ["Amadora", "Jersey City", "Lisbon"]
    assert found["place_region"].tolist() == ["Lisbon", "New Jersey", "Lisbon"]


def test_a_point_at_a_towns_edge_beside_a_village_is_named_by_the_town():
    # 1.95 km north of Delitzsch's centre (26,000 people), 0.5 km from the village of Doebernitz (2,900)
    found = geocode([51.5084], [12.3492])
    assert (found["place_city"][0], found["place_locality"][0]) == ("Delitzsch", "Döbernitz")
    assert 1.8 < found["place_km"][0] < 2.0
    # with every place of 1,000+ people a candidate city, the village would take it
    assert geocode([51.5084], [12.3492], CityRule(city_population=0))["place_city"][0] == "Döbernitz"


def test_a_village_far_from_any_town_is_its_own_city():
    # Vila Nova de Milfontes (4,400 people) is 68 km from the nearest place of 15,000+; a point 1 km away
    found = geocode([37.7328], [-8.7828])
    assert found["place_city"][0] == "Vila Nova de Milfontes" and pd.isna(found["place_locality"][0])


def _points_2km_from(lat, lon, rng):
    """A point per centre, uniform over the 2 km disc, on the sphere."""
    d, b = 2.0 * np.sqrt(rng.random(len(lat))) / EARTH_RADIUS_KM, rng.random(len(lat)) * 2 * np.pi
    la = np.radians(lat)
    la2 = np.arcsin(np.sin(la) * np.cos(d) + np.cos(la) * np.sin(d) * np.cos(b))
    lo2 = np.radians(lon) + np.arctan2(np.sin(b) * np.sin(d) * np.cos(la), np.cos(d) - np.sin(la) * np.sin(la2))
    return np.degrees(la2), (np.degrees(lo2) + 540) % 360 - 180


def test_points_within_2km_of_city_centres_get_the_city_of_the_centre():
    # benchmarks/places.py measures this on all 34,000 centres; a seeded sample of 2,000 here
    g = gazetteer()
    centres = np.random.default_rng(3).choice(np.flatnonzero(g.population() >= 15000), 2000, replace=False)
    lat, lon = g.places["lat"].to_numpy()[centres], g.places["lon"].to_numpy()[centres]
    plat, plon = _points_2km_from(lat, lon, np.random.default_rng(4))
    right = {}
    for name, rule in (("city class", CityRule()), ("all places", CityRule(city_population=0))):
        right[name] = np.mean(g.city(plat, plon, rule)[0] == g.city(lat, lon, rule)[0])
    assert right["city class"] >= 0.955 and right["city class"] > right["all places"] + 0.02, right


def test_search_by_place_matches_the_locality_too():
    from imgorg.places import matches_place

    found = geocode([48.8584, 48.8606], [2.2945, 2.3376])  # Eiffel Tower, the Louvre
    assert matches_place(found, "Paris").tolist() == [True, True]
    assert matches_place(found, "paris 16 passy").tolist() == [True, False]
    with pytest.raises(ConfigError, match="no image is at 'Atlantis'; the collection's places include Paris"):
        matches_place(found, "Atlantis")  # said, as an unknown person is, not an empty answer


def test_places_command_lists_counts_and_dates(ws_path):
    out = CliRunner().invoke(app, ["places", str(ws_path), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    by_city = {p["city"]: p for p in data["places"]}
    assert by_city["Lisbon"]["images"] == 4 and by_city["Porto"]["images"] == 2
    assert (by_city["Lisbon"]["first"], by_city["Lisbon"]["last"]) == ("2024-05-03", "2024-05-07")
    assert data["images_with_gps"] == 6 and data["images"] == 7


def test_search_and_export_by_place(ws_path, tmp_path):
    out = CliRunner().invoke(app, ["search", str(ws_path), "--place", "porto", "--json"])
    assert out.exit_code == 0, out.output
    assert sorted(i["path"] for i in json.loads(out.output)["images"]) == ["e.jpg", "f.jpg"]
    out = CliRunner().invoke(app, ["search", str(ws_path), "--place", "Portugal", "--json"])
    assert json.loads(out.output)["found"] == 6
    done = export_folders(imgorg.load_workspace(ws_path), tmp_path / "out", by="place")
    assert done.images == 7
    assert sorted(p.name for p in (tmp_path / "out" / "Portugal" / "Lisbon").iterdir()) == ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert [p.name for p in (tmp_path / "out" / "no place").iterdir()] == ["g.jpg"]


def test_events_are_named_by_place_and_dates(ws_path):
    ws = imgorg.load_workspace(ws_path)
    names = sorted(ws.cluster_names(EVENTS).values())
    # a gap of 6 hours starts an event: a day each; g.jpg (no GPS) is in Porto's by its time
    assert names == ["Lisbon, 3 May 2024", "Lisbon, 4 May 2024", "Lisbon, 5 May 2024", "Lisbon, 7 May 2024",
                     "Porto, 20 Aug 2024"]


def test_a_workspace_without_gps_has_no_places_said_once(no_gps_path, tmp_path):
    ws = imgorg.load_workspace(no_gps_path)
    assert not ws.has_places() and ws.places()["place_city"].isna().all() and ws.places_table().empty
    out = CliRunner().invoke(app, ["places", str(no_gps_path)])
    assert out.exit_code == 0 and out.output.count("no image has a GPS position") + out.output.count("No image has a GPS position") == 1
    out = CliRunner().invoke(app, ["search", str(no_gps_path), "--place", "Lisbon"])
    assert out.exit_code != 0 and "no image has a GPS position" in str(out.exception)
    assert all("," not in n for n in ws.cluster_names(EVENTS).values())  # dates only


def test_event_names_compact_dates_and_people():
    t = pd.Timestamp
    assert date_range(t("2024-05-03 10:00"), t("2024-05-03 22:00")) == "3 May 2024"
    assert date_range(t("2024-04-30"), t("2024-05-02")) == "30 Apr - 2 May 2024"
    assert date_range(t("2023-12-30"), t("2024-01-02")) == "30 Dec 2023 - 2 Jan 2024"
    assert with_people(["Ana", "Rui", "Eva", "Zé", "Bo"]) == "with Ana, Rui, Eva and 2 others"
    labels = np.array([0, 0, 0, 0, 1, -1])
    taken = pd.Series(pd.to_datetime(["2024-05-03", "2024-05-04", "2024-05-07", "2024-05-05", "2024-06-01", None]))
    cities = pd.Series(["Lisbon", "Lisbon", "Sintra", None, "Porto", None])
    people = [["Ana", "Rui"], ["Rui", "Ana"], ["Rui"], ["Eva"], ["Eva"], []]
    assert event_names(labels, taken, cities, people) == {0: "Lisbon, 3-7 May 2024, with Rui and Ana",
                                                          1: "Porto, 1 Jun 2024, with Eva"}
    # two outings in one city on one day, a gap apart: each named with the hour it began
    day = pd.Series(pd.to_datetime(["2024-08-22 09:10", "2024-08-22 10:00", "2024-08-22 18:30"]))
    assert event_names(np.array([0, 0, 1]), day, pd.Series(["Tokyo"] * 3)) == {
        0: "Tokyo, 22 Aug 2024, from 09:10", 1: "Tokyo, 22 Aug 2024, from 18:30"}


def test_report_has_a_places_section(ws_path, no_gps_path):
    from imgorg.report import render_report

    page = render_report(imgorg.load_workspace(ws_path))
    assert '<section id="places">' in page and "<td>Lisbon</td>" in page and "6 of 7 images" in page
    assert "No image has a GPS position" in render_report(imgorg.load_workspace(no_gps_path))


def test_added_photos_join_the_event_of_their_capture_time(ws_path, tmp_path):
    import shutil

    from PIL import Image

    from imgorg import AddConfig, add_images
    from imgorg.constants import EVENTS

    from .photo_corpus import make_exif

    path = shutil.copytree(ws_path, tmp_path / "ws")
    new = tmp_path / "new"
    new.mkdir()
    pixels = (np.random.default_rng(1).random((48, 64, 3)) * 200).astype(np.uint8)
    Image.fromarray(pixels).save(new / "h.jpg", "JPEG", exif=make_exif(taken="2024:08:20 17:30:00"))  # Porto's day
    added = add_images(path, AddConfig(str(new)))
    ws = imgorg.load_workspace(path)
    events = dict(zip(ws.images["path"], ws.cluster_labels(EVENTS)))
    new_path = added.added["path"].iloc[0]
    assert events[new_path] == events["f.jpg"] != -1  # it was noise: stored clusterings never saw it


def test_a_word_search_for_a_place_name_finds_the_photos_taken_there_first(ws_path):
    """`--text Lisbon` answered "No image matches" (through WordNet: ponchos) though photos were taken there."""
    out = CliRunner().invoke(app, ["search", str(ws_path), "--text", "lisbon", "-k", "4", "--json"])
    assert out.exit_code == 0, out.output
    answer = json.loads(out.output)
    assert sorted(i["path"] for i in answer["neighbours"]) == ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert answer["how"].startswith("4 images taken in lisbon, then ")
