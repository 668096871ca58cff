"""People and places in the app over REST: a face's crop (from the photo as displayed), the place and
person filters beside the date range, the map coloured by person or place, a person's photos, and the
report's People section. Real photos (scikit-image's) with GPS; the faces are synthetic
(tests/people_corpus.py)."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from imgorg import load_workspace
from imgorg.face_crops import crop_box, crop_face
from imgorg.images import decode_image
from imgorg.persons import NamePerson
from imgorg.tasks.person import edit_people

from .people_corpus import TURNED, add_faces, copy_workspace, make_photo_workspace

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from imgorg.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """The photos' workspace before `imgorg people`."""
    return make_photo_workspace(tmp_path_factory.mktemp("people-app"))


@pytest.fixture(scope="module")
def made(bare, tmp_path_factory):
    return add_faces(copy_workspace(bare, tmp_path_factory.mktemp("people-app-faces")))


@pytest.fixture
def ws(made, tmp_path):
    return load_workspace(copy_workspace(made, tmp_path))


@pytest.fixture
def client(ws):
    return TestClient(create_app(ws.path))


def ids_of(ws, *names) -> list[int]:
    at = ws.images.set_index("path")["id"]
    return sorted(int(at[n]) for n in names)


def test_a_face_crop_is_cut_from_the_photo_as_displayed(ws, client):
    faces = ws.faces()
    face = faces[faces["image_id"] == ids_of(ws, TURNED)[0]].iloc[0]
    response = client.get(f"/api/people/faces/{int(face['face_id'])}/crop")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    got = np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB"), np.float32)
    data = (ws.root / TURNED).read_bytes()
    shown = decode_image(data)  # turned by its EXIF orientation: 240x180, as the boxes are given
    assert shown.size == (240, 180)
    box = crop_box((face["x"], face["y"], face["w"], face["h"]), *shown.size)
    assert box == (1, 1, 49, 49)  # 30 px and 30% on each side: 48 px, inside the photo
    want = np.asarray(shown.crop(box), np.float32)
    stored = np.asarray(Image.open(io.BytesIO(data)).convert("RGB").crop(box), np.float32)  # the pixels as stored
    assert got.shape == want.shape
    assert np.abs(got - want).mean() < 6 < np.abs(got - stored).mean()


def test_a_crop_of_a_big_photo_is_at_most_its_size_and_keeps_the_square(tmp_path):
    photo = Image.fromarray(np.random.default_rng(0).integers(0, 255, (1500, 2000, 3), np.uint8))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG")
    crop = crop_face(buffer.getvalue(), (1000, 600, 400, 400), size=128)
    assert crop.size == (128, 128)
    assert crop_face(buffer.getvalue(), (1960, 0, 40, 40), size=128).size == (52, 52)  # in the corner: cut there


@pytest.mark.parametrize("face, says", [("99", "no face with id 99 in this workspace (face ids run 0..8)"),
                                        ("-1", "no face with id -1"), ("a.jpg", "no face with id a.jpg")])
def test_an_unknown_face_is_a_404_that_says_so(client, face, says):
    response = client.get(f"/api/people/faces/{face}/crop")
    assert response.status_code == 404 and says in response.json()["detail"]


def test_a_workspace_without_faces_says_how_to_get_them(bare, tmp_path):
    client = TestClient(create_app(copy_workspace(bare, tmp_path)))
    summary = client.get("/api/summary").json()
    assert summary["has_people"] is False and summary["has_places"] is True
    for response in (client.get("/api/people"), client.get("/api/people/faces/0/crop"),
                     client.get("/api/map", params={"colour": "person"})):
        assert response.status_code in (400, 404) and "imgorg people WS" in response.json()["detail"]
    places = client.get("/api/map", params={"colour": "place"}).json()["place"]
    assert sorted(set(places)) == ["", "Lisbon, Portugal", "Porto, Portugal"]
    # an image's details say where its GPS is, in words; one without GPS says nothing
    ids = client.get("/api/map").json()["ids"]
    shown = {client.get(f"/api/images/{i}").json().get("place") for i in ids}
    assert shown == {None, "Lisbon, Portugal", "Porto, Portugal"}


def cluster_ids(client, **filters) -> list[int]:
    """Every image the clusters' galleries show with these filters."""
    out = []
    for cluster in client.get("/api/clusters", params=filters).json()["clusters"]:
        detail = client.get(f"/api/clusters/{cluster['id']}", params={**filters, "page_size": 500}).json()
        assert detail["size"] == cluster["size"] == len(detail["images"])
        out += [image["id"] for image in detail["images"]]
    return sorted(out)


@pytest.mark.parametrize("filters, shown", [
    ({"place": "Porto"}, ["e.jpg", "f.jpg"]),
    ({"place": ["Porto", "Lisbon"]}, ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg", "f.jpg"]),
    ({"place": "pt", "person": "1"}, ["a.jpg", "b.jpg", "e.jpg"]),
    ({"person": ["0", "1"]}, ["a.jpg", "b.jpg"]),
    ({"person": "Ana", "from": "2024-05-04", "to": "2024-05-05"}, ["b.jpg", "d.jpg"]),
])
def test_place_and_person_filter_clusters_galleries_and_the_map_like_the_dates(ws, client, filters, shown):
    edit_people(ws, NamePerson(0, "Ana"))
    assert cluster_ids(client, **filters) == ids_of(ws, *shown)
    assert sorted(client.get("/api/map", params=filters).json()["ids"]) == ids_of(ws, *shown)


@pytest.mark.parametrize("filters, says", [({"person": "Zoe"}, "no person 'Zoe'"), ({"place": " "}, "cannot be empty")])
def test_a_filter_that_cannot_apply_says_why(client, filters, says):
    for path in ("/api/clusters", "/api/map", "/api/clusters/0"):
        response = client.get(path, params=filters)
        assert response.status_code == 400 and says in response.json()["detail"]


def test_the_map_is_coloured_by_each_images_main_person_or_its_place(ws, client):
    edit_people(ws, NamePerson(0, "Ana"))
    data = client.get("/api/map", params={"colour": "person"}).json()
    person = dict(zip(data["ids"], data["person"]))
    paths = dict(zip(ws.images["id"], ws.images["path"]))
    by_path = {paths[i]: p for i, p in person.items()}
    assert by_path == {"a.jpg": "Ana", "b.jpg": "Ana", "c.jpg": "Ana", "d.jpg": "Ana", "e.jpg": "person 1",
                       "f.jpg": "", "g.jpg": ""}  # f: a face of no one; g: no face
    places = client.get("/api/map", params={"colour": "place", "person": "Ana"}).json()
    assert places["place"] == ["Lisbon, Portugal"] * 4 and "person" not in places
    assert client.get("/api/map", params={"colour": "size"}).status_code == 400


def test_a_persons_faces_largest_first_and_their_photos(ws, client):
    faces = client.get("/api/people/faces", params={"person": 1, "limit": 2}).json()
    assert len(faces) == 2 and {f["person"] for f in faces} == {1}
    photos = client.get("/api/people/images", params={"person": "1", "page_size": 2}).json()
    assert photos["ids"] == ids_of(ws, "a.jpg", "b.jpg", "e.jpg")
    assert [im["id"] for im in photos["images"]] == photos["ids"][:2] and photos["images"][0]["path"] == "a.jpg"
    no_one = client.get("/api/people/faces", params={"person": -1}).json()
    assert [ws.images.set_index("id").at[f["image_id"], "path"] for f in no_one] == ["f.jpg"]


def test_an_undo_says_what_it_undid(client):
    assert client.post("/api/people/merge", json={"persons": [1, 2], "name": "Rui"}).status_code == 200
    undone = client.post("/api/people/undo").json()
    assert undone["said"] == "undid: merged people 1, 2 into person 1"
    assert len(undone["people"]) == 3
    history = client.get("/api/people/history").json()
    assert [e["op"] for e in history] == ["merge", "undo"] and not history[0]["standing"]
    assert history[1]["said"] == "undid: merged people 1, 2 into person 1"


def test_the_people_endpoints_are_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/people/faces/{face_id}/crop" in paths
    params = {p["name"] for p in paths["/api/map"]["get"]["parameters"]}
    assert {"place", "person", "colour", "from", "to"} <= params


def test_the_report_has_a_people_section_with_a_face_each_named_first(ws, bare, tmp_path):
    from imgorg.report import render_report

    edit_people(ws, NamePerson(1, "Rui"))
    section = render_report(ws).split('<section id="people">')[1].split("</section>")[0]
    captions = re.findall(r"<figcaption>([^<]*)</figcaption>", section)
    assert captions == ["Rui · 3 faces, 3 photos", "person 0 · 4 faces, 4 photos", "person 2 · 1 face, 1 photo"]
    assert "9 faces in 6 images: 3 people, 1 named; 1 face of no one" in section
    sources = re.findall(r'src="([^"]*)"', section)
    assert len(sources) == 3 and all(s.startswith("data:image/png;base64,") for s in sources)
    without = render_report(load_workspace(copy_workspace(bare, tmp_path / "bare")))
    assert "<code>imgorg people WS</code>" in without.split('<section id="people">')[1].split("</section>")[0]
