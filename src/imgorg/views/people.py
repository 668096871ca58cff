"""Who and where, as the read model gives them: faces with their curated people, one row per person,
each image's place from its GPS position, and events named by place, dates and people.

A mixin of ``Workspace`` (it uses ``cached``, ``has``, ``read`` and ``images``): places are computed
from the catalog's GPS columns on read (a pure function of them and the bundled GeoNames places,
so never stale after ``add`` or a review), people from the ``people`` artifact and the log."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..constants import EVENTS
from ..errors import ConfigError
from ..events import event_names
from ..persons import UNKNOWN, CuratedPeople, apply as apply_person_edits
from ..places import NO_GPS, has_gps, image_places, place_label, places_summary
from ..workspace.artifacts import FACE_DESCRIPTORS_FILE, FACES_FILE, PERSON_EDITS_FILE

log = logging.getLogger(__name__)
PEOPLE_COLUMNS = ["person", "name", "faces", "images", "cover_face"]


class PeopleView:
    # -- places ----------------------------------------------------------------------------
    def has_places(self) -> bool:
        """Whether any image has a GPS position (then it has a place)."""
        return bool(self.cached(("has_gps",), lambda: has_gps(self.images).any()))

    def places(self) -> pd.DataFrame:
        """place_city, place_locality (the nearest GeoNames place where it is not the city),
        place_region, place_country, place_country_code, place_km (to the city's centre) per image
        (rows as ``images``; NA without GPS)."""
        def compute() -> pd.DataFrame:
            if not self.has_places():
                log.info(NO_GPS)
            return image_places(self.images)
        return self.cached(("places",), compute).copy()

    def places_table(self) -> pd.DataFrame:
        """One row per place: city, region, country, country_code, images, first, last (most images
        first); images a review removed are not counted."""
        kept = ~self.removed()
        return places_summary(self.images[kept].reset_index(drop=True), self.places()[kept].reset_index(drop=True))

    def image_place_labels(self) -> list[str]:
        """Each image's place as "Lisbon, Portugal" (rows as ``images``); "" without GPS."""
        def compute() -> list[str]:
            if not self.has_places():
                return [""] * len(self.images)
            at = self.places()
            return [place_label(c, k) for c, k in zip(at["place_city"], at["place_country"])]
        return self.cached(("image_place_labels",), compute)

    # -- people ----------------------------------------------------------------------------
    def has_people(self) -> bool:
        return self.has(FACES_FILE)

    def person_log(self) -> dict | None:
        return self.read(PERSON_EDITS_FILE) if self.has(PERSON_EDITS_FILE) else None

    def curated_people(self) -> CuratedPeople:
        def compute() -> CuratedPeople:
            faces = self._faces_table()
            descriptors = self.read(FACE_DESCRIPTORS_FILE) if self.has(FACE_DESCRIPTORS_FILE) else None
            return apply_person_edits(self.person_log(), faces, descriptors)
        return self.cached(("curated_people",), compute)

    def _faces_table(self) -> pd.DataFrame:
        if not self.has(FACES_FILE):
            raise ConfigError("this workspace has no faces: run `imgorg people WS` first (pip install 'imgorg[people]')")
        return self.read(FACES_FILE)

    def faces(self) -> pd.DataFrame:
        """The faces table with ``person`` as curated (edits applied, new faces joined) and its ``name``
        ("" for unnamed and unrecognised faces); ``found_person``: the grouping's own."""
        def compute() -> pd.DataFrame:
            faces = self._faces_table().copy()
            state = self.curated_people()
            faces["found_person"] = faces["person"]
            faces["person"] = state.person
            faces["name"] = pd.array([state.names.get(int(p), "") for p in state.person], dtype="string")
            return faces
        return self.cached(("faces",), compute).copy()

    def people(self) -> pd.DataFrame:
        """One row per person: person, name, faces, images, cover_face (the face id shown for them:
        their largest, best-scored face), most faces first."""
        def compute() -> pd.DataFrame:
            faces = self.faces()
            faces = faces[faces["person"] != UNKNOWN]
            if faces.empty:
                return pd.DataFrame(columns=PEOPLE_COLUMNS)
            size = faces["size_px"] if "size_px" in faces else faces["w"] * faces["h"]
            cover = faces.assign(_size=size).sort_values(["_size", "score", "face_id"], ascending=[False, False, True],
                                                         kind="stable").groupby("person")["face_id"].first()
            table = faces.groupby("person").agg(name=("name", "first"), faces=("face_id", "size"),
                                                images=("image_id", "nunique")).reset_index()
            table["cover_face"] = table["person"].map(cover).astype("int64")
            return table.sort_values(["faces", "person"], ascending=[False, True], kind="stable")[
                PEOPLE_COLUMNS].reset_index(drop=True)
        return self.cached(("people",), compute).copy()

    def person_id(self, who: int | str) -> int:
        """A person by id or by name (case-insensitive); unknown ones are refused, listing the names."""
        people = self.people()
        if isinstance(who, (int, np.integer)) or str(who).lstrip("-").isdigit():
            if int(who) in set(people["person"].tolist()):
                return int(who)
        else:
            hit = people[people["name"].fillna("").str.casefold() == str(who).strip().casefold()]
            if len(hit):
                return int(hit["person"].iloc[0])
        named = [n for n in people["name"].fillna("") if n]
        raise ConfigError(f"no person {who!r} in this workspace; named people: {', '.join(named[:20]) or 'none'} "
                          "(`imgorg person list WS` lists them all)")

    def with_people(self, *who: int | str) -> np.ndarray:
        """Whether each image (rows as ``images``) shows every one of these people."""
        faces = self.faces()
        ids = self.images["id"].to_numpy()
        hit = np.ones(len(ids), bool)
        for person in who:
            shown = faces.loc[faces["person"] == self.person_id(person), "image_id"].unique()
            hit &= np.isin(ids, shown)
        return hit

    def image_people(self) -> list[list[str]]:
        """The named people in each image (rows as ``images``), in face order."""
        def compute() -> list[list[str]]:
            out = [[] for _ in range(len(self.images))]
            if not self.has_people():
                return out
            faces = self.faces()
            faces = faces[faces["name"].fillna("") != ""]
            row_of = {int(i): r for r, i in enumerate(self.images["id"].to_numpy())}
            for image, name in zip(faces["image_id"], faces["name"]):
                if int(image) in row_of and name not in out[row_of[int(image)]]:
                    out[row_of[int(image)]].append(str(name))
            return out
        return self.cached(("image_people",), compute)

    def image_person_labels(self) -> list[str]:
        """Each image's main person (rows as ``images``): the one of its largest recognised face, by name,
        or "person 3" while unnamed; "" for an image with no recognised face (or none at all)."""
        def compute() -> list[str]:
            out = [""] * len(self.images)
            if not self.has_people():
                return out
            faces = self.faces()
            faces = faces[faces["person"] != UNKNOWN]
            size = faces["size_px"] if "size_px" in faces else faces["w"] * faces["h"]
            main = faces.assign(_size=size).sort_values(["_size", "face_id"], ascending=[False, True], kind="stable")
            main = main.drop_duplicates("image_id")
            row_of = {int(i): r for r, i in enumerate(self.images["id"].to_numpy())}
            for image, person, name in zip(main["image_id"], main["person"], main["name"].fillna("")):
                if int(image) in row_of:
                    out[row_of[int(image)]] = str(name) or f"person {int(person)}"
            return out
        return self.cached(("image_person_labels",), compute)

    def face_crop(self, face_id: int, size: int | None = None):
        """The face ``face_id`` cut out of its photo (PIL RGB, at most ``size`` px a side, with a margin);
        ConfigError for an id the faces table lacks, ImageDecodeError or OSError when the photo cannot be read."""
        from ..face_crops import CROP_SIZE, crop_face
        from ..sources import source_path

        faces = self._faces_table()
        hit = faces[faces["face_id"] == int(face_id)]
        if hit.empty:
            last = f" (face ids run 0..{int(faces['face_id'].max())})" if len(faces) else " (it has no faces)"
            raise ConfigError(f"no face with id {face_id} in this workspace{last}")
        face = hit.iloc[0]
        rows = np.flatnonzero(self.images["id"].to_numpy() == int(face["image_id"]))
        if not len(rows):
            raise ConfigError(f"face {face_id} is on image {int(face['image_id'])}, which the catalog no longer has: "
                              "run `imgorg people WS` again")
        path = source_path(self.root, str(self.images["path"].iat[int(rows[0])]))
        return crop_face(path.read_bytes(), (face["x"], face["y"], face["w"], face["h"]), size or CROP_SIZE)

    def event_names(self, labels: np.ndarray) -> dict[int, str]:
        """Names of events: "Lisbon, 3-7 May 2024, with Ana and Rui" (parts without data left out)."""
        images = self.images
        cities = self.places()["place_city"] if self.has_places() else None
        people = self.image_people() if self.has_people() else None
        return event_names(labels, images["taken_at"] if "taken_at" in images else pd.Series([None] * len(images)),
                           cities, people)

    def names_of_events(self, method: str) -> dict[int, str] | None:
        """For the ``events`` method, its event names (hook for ``cluster_names``); None otherwise."""
        return self.event_names(self.cluster_labels(method)) if method == EVENTS else None

    def image_filter(self, places=(), people=()) -> np.ndarray:
        """Images (rows as ``images``) at any of ``places`` (a city, region, country or country code)
        that show every one of ``people`` (ids or names); images a review removed are left out."""
        from ..places import matches_place

        hit = ~self.removed()
        if places:
            if not self.has_places():
                raise ConfigError(f"no place to search in: {NO_GPS}")
            at = self.places()
            hit &= np.logical_or.reduce([matches_place(at, place) for place in places])
        if people:
            hit &= self.with_people(*people)
        return hit
