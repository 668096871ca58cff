"""People: faces found in real photos and none where there is none, the grouping's rules, the
stored artifact, its cache, the CLI, and the error without dlib.

The photos are scikit-image's: "astronaut" (Eileen Collins, NASA, public domain) is the one
with a face; the others have none. Two faces in one photo are the astronaut beside her mirror
image: one person twice, which only the rule keeps apart.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from imgorg import ClusterConfig, MapConfig, RunConfig, run
from imgorg.cli.main import app
from imgorg.config import AddConfig, PeopleConfig
from imgorg.errors import ConfigError
from imgorg.people.detect import MissingPeopleExtra, faces_in_file, require_dlib
from imgorg.people.group import UNRECOGNISED, by_size, group_faces, split_shared_photos
from imgorg.workspace import FACE_DESCRIPTORS_FILE, FACES_FILE, read_manifest

from .conftest import extract_cifar
from .test_cli_errors import imgorg

skimage_data = pytest.importorskip("skimage.data")
dlib = pytest.importorskip("dlib")

ASTRONAUT_FACE = (175, 76, 91, 91)  # x, y, w, h of her face in skimage's 512x512 astronaut
RUN = RunConfig(cluster=ClusterConfig(method="kmeans", k=2), map=MapConfig(method="none"))


def jpeg(pixels: np.ndarray, path=None, exif=None) -> bytes:
    image = Image.fromarray(pixels)
    if path is None:
        import io
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=92, **({"exif": exif} if exif else {}))
        return buffer.getvalue()
    image.save(path, "JPEG", quality=92, **({"exif": exif} if exif else {}))
    return path.read_bytes()


def recognised(faces):
    config = PeopleConfig()
    return [tuple(b) for b, s, w in zip(faces.boxes, faces.scores, faces.work_px)
            if s >= config.min_score and w >= config.min_face_px]


def near(box, expected, tolerance=6) -> bool:
    return all(abs(int(a) - b) <= tolerance for a, b in zip(box, expected))


# -- grouping, on descriptors made up to the case ------------------------------------------------

def blob(rng, centre, count, spread=0.12):
    return centre + rng.normal(0, spread / np.sqrt(128), (count, 128))


def test_two_faces_of_one_photo_are_never_one_person():
    rng = np.random.default_rng(0)
    centre = rng.normal(0, 1, 128)
    descriptors = blob(rng, centre / np.linalg.norm(centre), 6)  # six faces of one look
    images = np.array([0, 0, 1, 2, 3, 3])  # photos 0 and 3 hold two of them each
    people = group_faces(descriptors, images, threshold=0.5)
    assert people[0] != people[1] and people[4] != people[5]
    assert set(people) == {0, 1}  # split in two, not scattered: every other face joined a part


def test_split_keeps_groups_without_a_shared_photo_whole():
    labels = np.array([5, 5, 5, 7, 7])
    descriptors = np.random.default_rng(1).normal(0, 1, (5, 128))
    assert split_shared_photos(labels, descriptors, np.array([0, 1, 2, 0, 1])).tolist() == [5, 5, 5, 7, 7]


def test_alike_people_chained_by_faces_between_them_stay_apart():
    """Chinese whispers alone joins two people whose faces a few in-between faces link."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, (2, 128))
    a, b = a / np.linalg.norm(a) * 0.41, b / np.linalg.norm(b) * 0.41  # about 0.58 apart: two alike people
    bridge = np.stack([a + (b - a) * t for t in np.linspace(0.2, 0.8, 4)])  # each about 0.12 from the next
    descriptors = np.concatenate([blob(rng, a, 20, 0.15), blob(rng, b, 20, 0.15), bridge])
    people = group_faces(descriptors, np.arange(len(descriptors)), threshold=0.5, reach=0.48, cut=0.55)
    assert len(set(people[:20])) == 1 and len(set(people[20:40])) == 1
    assert people[0] != people[20]
    merged = group_faces(descriptors, np.arange(len(descriptors)), threshold=0.5)
    assert merged[0] == merged[20]  # what the extra steps are for


def test_unrecognised_faces_are_not_grouped_and_groups_go_largest_first():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, (2, 128))
    descriptors = np.concatenate([blob(rng, a / np.linalg.norm(a), 2), blob(rng, b / np.linalg.norm(b), 4)])
    keep = np.array([True, True, True, True, True, False])
    people = group_faces(descriptors, np.arange(6), recognised=keep)
    assert people.tolist() == [1, 1, 0, 0, 0, UNRECOGNISED]
    assert by_size(np.array([9, 4, 4, 9, 4])).tolist() == [1, 0, 0, 1, 0]


# -- detection, on real photos -----------------------------------------------------------------

@pytest.mark.slow
def test_the_astronauts_face_is_found_where_she_is(tmp_path):
    astronaut = skimage_data.astronaut()
    faces = faces_in_file(jpeg(astronaut))
    found = recognised(faces)
    assert len(found) == 1 and near(found[0], ASTRONAUT_FACE)
    assert faces.descriptors.shape == (len(faces.scores), 128)
    # stored turned, displayed upright by its EXIF orientation: the box is in the displayed picture
    exif = Image.Exif()
    exif[0x0112] = 6
    turned = recognised(faces_in_file(jpeg(np.ascontiguousarray(np.rot90(astronaut, 1)), exif=exif)))
    assert len(turned) == 1 and near(turned[0], ASTRONAUT_FACE)
    # a 4x larger copy is searched at 1000 px; the box comes back in its own pixels
    big = np.asarray(Image.fromarray(astronaut).resize((2048, 2048)))
    large = recognised(faces_in_file(jpeg(big)))
    assert len(large) == 1 and near(large[0], tuple(4 * v for v in ASTRONAUT_FACE), tolerance=24)


@pytest.mark.slow
def test_no_face_where_there_is_none(tmp_path):
    photos = [skimage_data.coffee(), skimage_data.chelsea(), skimage_data.rocket(), skimage_data.coins(),
              skimage_data.hubble_deep_field(), skimage_data.horse()]
    cifar = extract_cifar(tmp_path / "cifar", per_class=3)
    photos += [np.asarray(Image.open(p).convert("RGB").resize((256, 256), Image.BICUBIC))
               for p in sorted(cifar.glob("*/*.jpg"))]  # CIFAR-10 scaled up 8x
    for pixels in photos:
        pixels = np.asarray(Image.fromarray(np.asarray(pixels).astype(np.uint8)).convert("RGB"))
        assert recognised(faces_in_file(jpeg(pixels))) == []


# -- the workspace task, its cache and the CLI ---------------------------------------------------

@pytest.fixture(scope="module")
def faces_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faces") / "photos"
    folder.mkdir()
    astronaut = skimage_data.astronaut()
    jpeg(astronaut, folder / "astronaut.jpg")
    jpeg(np.concatenate([astronaut, astronaut[:, ::-1]], 1), folder / "twice.jpg")  # her and her mirror image
    jpeg(skimage_data.coffee(), folder / "coffee.jpg")
    jpeg(skimage_data.chelsea(), folder / "chelsea.jpg")
    return folder


@pytest.mark.slow
def test_people_are_stored_cached_and_looked_for_only_in_new_images(faces_folder, tmp_path):
    from imgorg.tasks import add_images, find_people
    from imgorg.views import load_workspace

    ws = run(faces_folder, tmp_path / "ws", RUN).workspace
    table = find_people(ws, workers=2)
    assert table.attrs["looked_at"] == 4
    stored = pd.read_parquet(tmp_path / "ws" / FACES_FILE)
    descriptors = np.load(tmp_path / "ws" / FACE_DESCRIPTORS_FILE)
    assert list(stored.columns) == ["face_id", "image_id", "x", "y", "w", "h", "score", "person", "size_px"]
    assert stored["face_id"].tolist() == list(range(len(stored))) and descriptors.shape == (len(stored), 128)
    assert descriptors.dtype == np.float32
    assert (stored["person"].to_numpy()[~descriptors.any(axis=1)] == UNRECOGNISED).all()  # no descriptor: no person
    grouped = stored[stored["person"] != UNRECOGNISED].merge(ws.images[["id", "path"]], left_on="image_id",
                                                             right_on="id")
    # one person twice in a photo is never one person: one face joins the astronaut's other photo, and
    # the other, a group of its own with one face, is no person yet (PeopleConfig.min_faces)
    assert sorted(grouped["path"]) == ["astronaut.jpg", "twice.jpg"] and grouped["person"].nunique() == 1
    twice = stored[stored["image_id"] == int(ws.images.loc[ws.images["path"] == "twice.jpg", "id"].iat[0])]
    assert len(twice) == 2 and sorted(twice["person"]) == [UNRECOGNISED, 0]
    assert descriptors[twice["face_id"].to_numpy()].any(axis=1).all()  # the face set aside keeps its descriptor
    assert near(grouped.loc[grouped["path"] == "astronaut.jpg", ["x", "y", "w", "h"]].iloc[0], ASTRONAUT_FACE)
    assert read_manifest(tmp_path / "ws")["artifacts"]["people"]["inputs"].keys() == {"images"}

    assert find_people(tmp_path / "ws", workers=2).attrs["looked_at"] == 0  # all cached
    new = tmp_path / "new"
    new.mkdir()
    jpeg(skimage_data.astronaut()[:, ::-1].copy(), new / "mirrored.jpg")
    jpeg(skimage_data.rocket(), new / "rocket.jpg")
    add_images(tmp_path / "ws", AddConfig(str(new)))
    again = find_people(load_workspace(tmp_path / "ws"), workers=2)
    assert again.attrs["looked_at"] == 2 and again.attrs["people"] == 2


@pytest.mark.slow
def test_imgorg_run_people_then_imgorg_people(faces_folder, tmp_path):
    done = CliRunner().invoke(app, ["run", str(faces_folder), "--out", str(tmp_path / "ws"), "--people", "--k", "2",
                                    "--method", "kmeans", "--map", "none", "--no-review", "--no-report"])
    assert done.exit_code == 0, done.output
    assert "People" in done.output and "4 images looked at" in done.output
    done = CliRunner().invoke(app, ["people", str(tmp_path / "ws"), "--json"])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.output)
    assert summary["faces"] >= 3 and summary["people"] == 1 and summary["images_with_faces"] == 2
    done = CliRunner().invoke(app, ["people", str(tmp_path / "ws")])
    assert "People" in done.output and "0 images looked at" in done.output
    new = tmp_path / "new"
    new.mkdir()
    jpeg(skimage_data.astronaut()[:, ::-1].copy(), new / "mirrored.jpg")
    done = CliRunner().invoke(app, ["add", str(tmp_path / "ws"), str(new)])  # the workspace has people: faces too
    assert done.exit_code == 0, done.output
    assert "1 images looked at, 4 from the cache" in done.output and (tmp_path / "ws" / FACES_FILE).is_file()


def test_a_face_seen_once_is_no_person_yet_unless_asked():
    from imgorg.people.group import seen_once_aside

    people = np.array([0, 0, 1, 2, 2, 2, UNRECOGNISED, 3])
    assert seen_once_aside(people, 2).tolist() == [1, 1, UNRECOGNISED, 0, 0, 0, UNRECOGNISED, UNRECOGNISED]
    assert seen_once_aside(people, 1).tolist() == people.tolist()
    with pytest.raises(ConfigError, match="min_faces"):
        PeopleConfig(min_faces=0).validate()


def test_a_config_out_of_range_is_refused():
    with pytest.raises(ConfigError, match="upsample"):
        PeopleConfig(upsample=5).validate()
    with pytest.raises(ConfigError, match="threshold"):
        PeopleConfig(threshold=0).validate()


def test_without_dlib_the_error_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "dlib", None)  # as if dlib were not installed
    with pytest.raises(MissingPeopleExtra, match=r"pip install 'imgorg\[people\]'"):
        require_dlib()
    # the command says so before it looks at the workspace
    done = imgorg("people", str(tmp_path / "nowhere"), prelude="import sys; sys.modules['dlib'] = None")
    assert done.returncode == 2
    assert "pip install 'imgorg[people]'" in done.stderr


def test_the_face_cache_keeps_what_was_found_and_ignores_a_torn_shard(tmp_path):
    from imgorg.people.detect import Faces
    from imgorg.people.scan import FaceCache

    rng = np.random.default_rng(4)
    two = Faces(np.array([[1, 2, 30, 30], [50, 60, 41, 41]]), np.array([1.5, 0.2], np.float32),
                np.array([30, 41]), rng.normal(0, 1, (2, 128)).astype(np.float32))
    cache = FaceCache(tmp_path / "faces")
    cache.append(["a" * 64, "b" * 64], [two, Faces.none()])
    cache.append(["c" * 64], [Faces.none()])
    (tmp_path / "faces" / "shard-00001-faces.parquet").unlink()  # a run killed between two writes
    found = cache.load()
    assert set(found) == {"a" * 64, "b" * 64}  # the torn shard's image is looked at again
    assert found["a" * 64].boxes.tolist() == two.boxes.tolist()
    assert np.array_equal(found["a" * 64].descriptors, two.descriptors)
    assert found["a" * 64].scores.tolist() == two.scores.tolist() and len(found["b" * 64].scores) == 0
