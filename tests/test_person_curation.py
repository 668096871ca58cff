"""People curated like clusters: name, merge, split, move, 'not this person', undo; names that hold
when the faces are recomputed; search, events and export by person. The faces table is synthetic
(the contract of the ``people`` artifact), the photos and workspace real."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import imgorg
from imgorg.cli.main import app
from imgorg.constants import EVENTS
from imgorg.errors import ConfigError
from imgorg.persons import MergePeople, MoveFaces, NamePerson, NotPerson, SplitPerson, UndoPerson
from imgorg.tasks.export import export_folders
from imgorg.tasks.person import edit_people
from imgorg.views.names import tag_names
from imgorg.workspace import plan_carry_over
from imgorg.workspace.artifacts import FACE_DESCRIPTORS_FILE, FACES_FILE, PERSON_EDITS, PERSON_EDITS_FILE

from .places_corpus import make_workspace

rng = np.random.default_rng(7)
CENTRES = {name: rng.normal(0, 1, 128) for name in ("ana", "rui", "eva", "stranger")}
for key in CENTRES:
    CENTRES[key] *= 0.6 / np.linalg.norm(CENTRES[key])  # centres about 0.85 apart, faces 0.2 from theirs

# (file, who, person the grouping found): Rui was split in two (persons 1 and 2)
FACES = [("a.jpg", "ana", 0), ("b.jpg", "ana", 0), ("c.jpg", "ana", 0), ("d.jpg", "ana", 0),
         ("a.jpg", "rui", 1), ("b.jpg", "rui", 1), ("e.jpg", "rui", 1), ("c.jpg", "rui", 2),
         ("f.jpg", "eva", -1)]


def face(who: str) -> np.ndarray:
    noise = rng.normal(0, 1, 128)
    return (CENTRES[who] + 0.2 * noise / np.linalg.norm(noise)).astype(np.float32)


def write_faces(ws, rows, first_id: int = 0) -> None:
    ids = dict(zip(ws.images["path"], ws.images["id"]))
    table = pd.DataFrame({"face_id": np.arange(first_id, first_id + len(rows), dtype=np.int64),
                          "image_id": [np.int64(ids[f]) for f, _, _ in rows],
                          "x": [10 + 40 * (who == "rui") for _, who, _ in rows], "y": 10, "w": 30, "h": 30,
                          "score": 1.0, "person": np.array([p for _, _, p in rows], np.int64), "size_px": 30})
    ws.write_artifact(FACES_FILE, table.astype({"y": "int64", "w": "int64", "h": "int64", "size_px": "int64"}))
    ws.write_artifact(FACE_DESCRIPTORS_FILE, np.stack([face(who) for _, who, _ in rows]))


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("people"))


@pytest.fixture
def ws(made, tmp_path):
    photos = shutil.copytree(made.parent / "photos", tmp_path / "photos")
    path = shutil.copytree(made, tmp_path / "ws")
    manifest = (path / "manifest.json").read_text().replace(str((made.parent / "photos").resolve()), str(photos.resolve()))
    (path / "manifest.json").write_text(manifest)
    workspace = imgorg.load_workspace(path)
    write_faces(workspace, FACES)
    return workspace


def paths(ws, mask) -> list[str]:
    return sorted(ws.images["path"][mask])


def test_name_merge_and_search_with_two_people_then_undo(ws):
    edit_people(ws, NamePerson(0, "Ana"))
    edit_people(ws, NamePerson(1, "Rui"))
    assert paths(ws, ws.with_people("Ana", "rui")) == ["a.jpg", "b.jpg"]
    edit_people(ws, MergePeople((1, 2)))
    ws = imgorg.load_workspace(ws.path)  # applied on read, from the log on disk
    people = ws.people().set_index("name")
    assert people.loc["Rui", "faces"] == 4 and people.loc["Ana", "images"] == 4 and len(people) == 2
    assert paths(ws, ws.with_people("Ana", "Rui")) == ["a.jpg", "b.jpg", "c.jpg"]
    out = CliRunner().invoke(app, ["search", str(ws.path), "--person", "Ana", "--person", "Rui", "--json"])
    assert out.exit_code == 0, out.output
    assert sorted(i["path"] for i in json.loads(out.output)["images"]) == ["a.jpg", "b.jpg", "c.jpg"]
    edit_people(ws, UndoPerson())
    assert paths(ws, ws.with_people("Ana", "Rui")) == ["a.jpg", "b.jpg"]
    assert set(ws.people()["person"]) == {0, 1, 2}


def test_split_move_not_and_the_rules_that_refuse(ws):
    faces = ws.faces()
    d_face = int(faces.loc[(faces["person"] == 0) & (faces["image_id"] == 3), "face_id"].iloc[0])
    edit_people(ws, NamePerson(0, "Ana"))
    edit_people(ws, SplitPerson(0, (d_face,)))
    faces = ws.faces().set_index("face_id")
    new = int(faces.at[d_face, "person"])
    assert new not in (0, 1, 2) and faces.at[d_face, "name"] == "" and ws.people().set_index("person").at[0, "name"] == "Ana"
    edit_people(ws, MoveFaces((d_face,), to=0))
    assert ws.faces().set_index("face_id").at[d_face, "name"] == "Ana"
    edit_people(ws, NotPerson((d_face,)))
    assert ws.faces().set_index("face_id").at[d_face, "person"] == -1
    with pytest.raises(ConfigError, match="seen together"):
        edit_people(ws, MergePeople((0, 1)))  # Ana and Rui are both in a.jpg
    rui_in_a = int(faces.loc[(faces["person"] == 1) & (faces["image_id"] == 0)].index[0])
    with pytest.raises(ConfigError, match="two faces in image"):
        edit_people(ws, MoveFaces((rui_in_a,), to=0))
    with pytest.raises(ConfigError, match="already named"):
        edit_people(ws, NamePerson(1, "ana"))
    with pytest.raises(ConfigError, match="no person 9"):
        edit_people(ws, NamePerson(9, "X"))
    for _ in range(4):
        edit_people(ws, UndoPerson())
    assert ws.faces()["person"].tolist() == ws.faces()["found_person"].tolist() and not ws.person_log() is None
    with pytest.raises(ConfigError, match="nothing to undo"):
        edit_people(ws, UndoPerson())


def test_names_survive_a_recompute_and_new_faces_join_the_nearest_named_person(ws):
    edit_people(ws, NamePerson(0, "Ana"))
    edit_people(ws, MergePeople((1, 2), name="Rui"))
    # recomputed: persons renumbered, face ids renumbered, and faces of a new photo (g.jpg, unseen)
    recomputed = [(f, who, {0: 5, 1: 3, 2: 4, -1: -1}[p]) for f, who, p in FACES]
    recomputed += [("g.jpg", "ana", 7), ("g.jpg", "stranger", 5)]  # the stranger was grouped with Ana's faces
    write_faces(ws, recomputed, first_id=100)
    ws = imgorg.load_workspace(ws.path)
    faces = ws.faces()
    names = dict(zip(faces["image_id"].astype(str) + faces["x"].astype(str), faces["name"]))
    assert ws.people().set_index("name").loc["Rui", "faces"] == 4  # the merge found again by its faces
    assert ws.people().set_index("name").loc["Ana", "faces"] == 5  # four seen, one new joined
    new = faces[faces["image_id"] == 6].sort_values("face_id")
    assert new["name"].tolist() == ["Ana", ""] and new["person"].iloc[1] >= 0  # the stranger: someone unnamed
    assert names["010"] == "Ana" and names["050"] == "Rui"


def test_the_log_outlives_reruns_and_shows_in_events_and_exports(ws, tmp_path):
    edit_people(ws, NamePerson(0, "Ana"))
    edit_people(ws, NamePerson(1, "Rui"))
    assert PERSON_EDITS.depends_on == ()
    plan = plan_carry_over(ws.manifest, {"images": "other", "embeddings": "other", "reduced": "x", "clusters": "y"})
    assert PERSON_EDITS_FILE in plan.files and FACES_FILE not in plan.files
    names = ws.cluster_names(EVENTS)
    assert "Lisbon, 3 May 2024, with Ana and Rui" in names.values()
    done = export_folders(ws, tmp_path / "out", by="person")
    assert sorted(p.name for p in (tmp_path / "out" / "Ana").iterdir()) == ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert sorted(p.name for p in (tmp_path / "out" / "Rui").iterdir()) == ["a.jpg", "b.jpg", "e.jpg"]
    assert done.images == 8  # person 2 (c.jpg) in "unnamed 002"


def test_cli_names_lists_and_undoes(ws):
    runner = CliRunner()
    out = runner.invoke(app, ["person", "name", str(ws.path), "0", "Ana"])
    assert out.exit_code == 0 and "named person 0 'Ana'" in out.output, out.output
    out = runner.invoke(app, ["person", "list", str(ws.path), "--json"])
    assert json.loads(out.output)[0] == {"person": 0, "name": "Ana", "faces": 4, "images": 4, "cover_face": 0}
    out = runner.invoke(app, ["person", "undo", str(ws.path)])
    assert out.exit_code == 0 and "undid: named person 0 'Ana'" in out.output
    assert (imgorg.load_workspace(ws.path).people()["name"] == "").all()


def test_rest_names_merges_undoes_and_filters(ws):
    from fastapi.testclient import TestClient

    from imgorg.app.server import create_app

    client = TestClient(create_app(ws.path))
    assert client.post("/api/people/1/name", json={"name": "Rui"}).status_code == 200
    merged = client.post("/api/people/merge", json={"persons": [1, 2]})
    assert merged.status_code == 200 and {p["name"]: p["faces"] for p in merged.json()["people"]}["Rui"] == 4
    assert client.post("/api/people/merge", json={"persons": [0, 1]}).status_code == 400  # seen together
    ids = client.get("/api/people/images", params={"person": ["Rui"], "place": ["Porto"]}).json()["ids"]
    assert ids == [int(ws.images.set_index("path").at["e.jpg", "id"])]
    assert client.post("/api/people/undo").json()["said"] == "undid: merged people 1, 2 into person 1"
    assert len(client.get("/api/people").json()) == 3
    assert {p["city"] for p in client.get("/api/places").json()["places"]} == {"Lisbon", "Porto"}


def test_clusters_listed_with_a_person_count_only_their_images(ws):
    edit_people(ws, NamePerson(0, "Ana"))
    runner = CliRunner()
    everyone = json.loads(runner.invoke(app, ["clusters", str(ws.path), "--json"]).output)
    out = runner.invoke(app, ["clusters", str(ws.path), "--person", "Ana", "--json"])
    assert out.exit_code == 0, out.output
    with_ana = json.loads(out.output)
    assert sum(c["size"] for c in with_ana) == int(ws.with_people("Ana").sum()) == 4
    assert sum(c["size"] for c in everyone) > 4
    out = runner.invoke(app, ["clusters", str(ws.path), "--person", "Nobody"])
    assert out.exit_code != 0 and "no person 'Nobody'" in str(out.exception)


def test_a_cluster_of_faces_is_named_for_people_and_for_the_person_most_of_it_shows(ws):
    faces_in = ws.images["path"].isin(["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"]).to_numpy()
    labels = np.where(faces_in, 0, 1)
    tagged = imgorg.load_workspace(ws.path)
    words_only = {c: n.split(", ")[0] for c, n in tag_names(tagged.tags(), labels).items()}
    names = tagged.auto_names(labels)
    assert names[0] == f"people, {words_only[0]}"  # five of five show a face
    assert names[1] == tag_names(tagged.tags(), labels)[1]  # f.jpg shows a face, g.jpg none: half is not most
    edit_people(ws, NamePerson(0, "Ana"))  # Ana is in a, b, c, d: four of the five
    assert imgorg.load_workspace(ws.path).auto_names(labels)[0] == f"Ana, {words_only[0]}"


def test_two_clusters_of_people_are_not_named_alike():
    from imgorg.views.names import with_people

    labels = np.array([0, 0, 0, 1, 1, 2, 2])
    names = {0: "goods, ties", 1: "goods, equipment", 2: "equipment, light"}
    named = with_people(names, labels, np.ones(7, bool), [frozenset()] * 7)
    assert named == {0: "people, goods", 1: "people, equipment", 2: "people, light"}  # not "people, goods" twice


def test_names_survive_a_rerun_after_a_photo_was_deleted(ws):
    """A rerun numbers the images again: deleting a photo shifted every id after it, the log's faces
    pointed at other images, and both names were lost."""
    from imgorg import run

    from .places_corpus import CONFIG

    edit_people(ws, NamePerson(0, "Ana"))
    edit_people(ws, NamePerson(1, "Rui"))
    photos = ws.root
    first = sorted(ws.images["path"])[0]
    assert first == "a.jpg"
    (photos / first).unlink()
    again = run(photos, ws.path, CONFIG).workspace
    assert again.images.set_index("path")["id"]["b.jpg"] != ws.images.set_index("path")["id"]["b.jpg"]  # shifted
    path_of = again.images.set_index("id")["path"].to_dict()
    named = {e["name"]: sorted(path_of[k[0]] for k in e["faces"]) for e in again.person_log()["edits"]}
    assert named == {"Ana": ["b.jpg", "c.jpg", "d.jpg"], "Rui": ["b.jpg", "e.jpg"]}  # a.jpg's faces gone with it
    write_faces(again, [row for row in FACES if row[0] != first])  # the faces found again, by path
    people = imgorg.load_workspace(again.path).people().set_index("name")
    assert people.loc["Ana", "faces"] == 3 and people.loc["Rui", "faces"] == 2


def test_renumbering_a_log_maps_every_face_and_drops_those_of_images_gone():
    from imgorg.persons import renumber

    log = {"edits": [{"op": "name", "person": 0, "name": "Ana", "faces": [[0, 1, 1, 5, 5], [3, 2, 2, 5, 5]]},
                     {"op": "merge", "persons": [1, 2], "faces": [[[1, 0, 0, 4, 4]], [[4, 0, 0, 4, 4]]], "name": None},
                     {"op": "move", "faces": [[3, 9, 9, 2, 2]], "to": 1, "to_faces": [[1, 0, 0, 4, 4]]}],
           "images": [[0, 4]]}
    out = renumber(log, {1: 0, 3: 2, 4: 3, 2: 1})  # image 0 deleted, the rest shifted down
    assert out["edits"][0]["faces"] == [[2, 2, 2, 5, 5]]
    assert out["edits"][1]["faces"] == [[[0, 0, 0, 4, 4]], [[3, 0, 0, 4, 4]]]
    assert out["edits"][2]["faces"] == [[2, 9, 9, 2, 2]] and out["edits"][2]["to_faces"] == [[0, 0, 0, 4, 4]]
    assert out["images"] == [[0, 3]] and log["edits"][0]["faces"][0][0] == 0  # the log given is left as it was


def test_a_word_search_for_a_persons_name_finds_their_photos_first(ws):
    edit_people(ws, NamePerson(0, "Ana"))
    out = CliRunner().invoke(app, ["search", str(ws.path), "--text", "ana", "-k", "4", "--json"])
    assert out.exit_code == 0, out.output
    answer = json.loads(out.output)
    assert sorted(i["path"] for i in answer["neighbours"]) == ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert answer["how"].startswith("4 images of ana, then ")


def test_export_by_person_keeps_the_files_of_a_shot_together(made, tmp_path):
    """By cluster, date or place a photo's sidecar, RAW or Live Photo video went with it; by person not."""
    from imgorg import run

    from .companion_corpus import xmp_sidecar
    from .places_corpus import CONFIG

    photos = shutil.copytree(made.parent / "photos", tmp_path / "photos")
    (photos / "a.jpg.xmp").write_bytes(xmp_sidecar(rating=5))
    ws = run(photos, tmp_path / "ws", CONFIG).workspace
    write_faces(ws, FACES)
    edit_people(ws, NamePerson(0, "Ana"))
    done = export_folders(imgorg.load_workspace(ws.path), tmp_path / "out", by="person")
    assert sorted(p.name for p in (tmp_path / "out" / "Ana").iterdir()) == ["a.jpg", "a.jpg.xmp", "b.jpg", "c.jpg",
                                                                           "d.jpg"]
    assert done.companions == 2  # beside Ana's a.jpg and Rui's
