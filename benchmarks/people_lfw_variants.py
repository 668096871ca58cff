"""What else was tried to join the people split into two groups on LFW, and what it cost.

    PYTHONPATH=src python benchmarks/people_lfw_variants.py [--lfw /tmp/lfw] [--saved /tmp/people-variants.npz]

Detects the faces of the shared LFW subset once (as ``find_faces`` does: one upsampling, dlib's
aligned 150x150 chips with padding 0.25) and describes each chip three ways: as the product does
(``base``), as the mean of the chip's and its mirror image's descriptors (``flip``, deterministic,
2x the descriptor's time) and with dlib's ``num_jitters=2`` (``jit2``, 2x). The descriptors go to
``--saved`` (about 13 minutes of a loaded 2-core machine; a later run reads them back).

Then it scores, counting exactly as ``benchmarks/people_lfw.py`` (whose ``scores`` it calls), on
the 50 tuning people and their 250 strangers only (the held-out 12 people and 63 strangers are
not looked at here):
1. each descriptor at the default ``PeopleConfig``, and how well it separates same-person pairs
   from different-person pairs (the share of same-person pairs farther than the 0.1% quantile of
   different-person pairs: lower is better);
2. ``reach``, ``cut`` and ``rejoin`` re-chosen (base; flip with ``threshold`` 0.48 and 0.5);
3. a last pass (``attach_strays`` below, not in the product) that puts a face left alone into
   the nearest group of 3 or more when within ``within`` of its centre, nearer than ``margin``
   times the next group's centre, and the group has no face of its photo; the chosen setting is
   then shown on every case.
"""

from __future__ import annotations

import argparse
import itertools
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import people_lfw as bench
from PIL import Image

from imgorg.config import PeopleConfig
from imgorg.people.detect import FaceModels, Faces
from imgorg.people.group import group_faces

VARIANTS = ("base", "flip", "jit2")
_models = None


def describe(path: str):
    """(boxes, scores, sides, {variant: descriptors}, {variant: CPU-s}) of one LFW photo."""
    global _models
    import dlib

    _models = _models or FaceModels.load()
    pixels = np.ascontiguousarray(np.asarray(Image.open(path).convert("RGB")), np.uint8)
    rects, scores, _ = _models.detector.run(pixels, 1, 0.0)
    if not rects:
        return [], [], [], {}, {}
    shapes = dlib.full_object_detections([_models.shape(pixels, r) for r in rects])
    chips = [np.asarray(c) for c in dlib.get_face_chips(pixels, shapes, size=150, padding=0.25)]
    found, cost = {}, {}
    start = time.process_time()
    found["base"] = np.asarray(_models.descriptor.compute_face_descriptor(chips, 0), np.float32)
    cost["base"] = time.process_time() - start
    mirrored = [np.ascontiguousarray(c[:, ::-1]) for c in chips]
    found["flip"] = (found["base"] + np.asarray(_models.descriptor.compute_face_descriptor(mirrored, 0),
                                                np.float32)) / 2
    cost["flip"] = time.process_time() - start
    start = time.process_time()
    found["jit2"] = np.asarray(_models.descriptor.compute_face_descriptor(chips, 2), np.float32)
    cost["jit2"] = time.process_time() - start
    boxes = [(r.left(), r.top(), r.width(), r.height()) for r in rects]
    return boxes, list(scores), [max(r.width(), r.height()) for r in rects], found, cost


def extract(files: list[Path], saved: Path) -> None:
    with Pool(2) as pool:
        results = pool.map(describe, [str(f) for f in files], chunksize=8)
    photo, boxes, scores, sides = [], [], [], []
    found = {v: [] for v in VARIANTS}
    cost = dict.fromkeys(VARIANTS, 0.0)
    for i, (b, s, w, d, c) in enumerate(results):
        photo += [i] * len(b)
        boxes += b
        scores += s
        sides += w
        for v in VARIANTS:
            if b:
                found[v].append(d[v])
                cost[v] += c[v]
    np.savez(saved, files=np.array([str(f) for f in files]), photo=np.array(photo), boxes=np.array(boxes),
             scores=np.array(scores, np.float32), sides=np.array(sides),
             **{v: np.concatenate(found[v]) for v in VARIANTS},
             **{f"cpu_{v}": np.array(cost[v] / len(photo)) for v in VARIANTS})


def attach_strays(labels, descriptors, image_ids, within: float, margin: float, min_size: int = 3):
    """A face alone in its group joins the nearest group of ``min_size`` or more (see the docstring)."""
    labels = np.asarray(labels, np.int64).copy()
    values, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    big = np.flatnonzero(counts >= min_size)
    alone = np.flatnonzero(counts[inverse] == 1)
    if len(big) < 2 or not len(alone):
        return labels
    x = np.asarray(descriptors, np.float64)
    centres = np.stack([x[inverse == g].mean(0) for g in big])
    photos = [set(np.asarray(image_ids)[inverse == g].tolist()) for g in big]
    gaps = np.linalg.norm(x[alone, None] - centres[None], axis=2)
    for row, face in enumerate(alone):
        gaps[row, [image_ids[face] in taken for taken in photos]] = np.inf
    order = np.argsort(gaps, 1)
    nearest, second = (gaps[np.arange(len(alone)), order[:, k]] for k in (0, 1))
    joins = (nearest < within) & (nearest < margin * second)
    labels[alone[joins]] = values[big[order[joins, 0]]]
    return labels


def with_attach(within: float, margin: float):
    """group_faces followed by attach_strays, for faces_table to call."""
    def grouped(descriptors, image_ids, threshold, recognised, reach, cut, rejoin):
        people = group_faces(descriptors, image_ids, threshold, recognised, reach, cut, rejoin)
        rows = np.flatnonzero(people >= 0)
        people[rows] = attach_strays(people[rows], descriptors[rows], np.asarray(image_ids)[rows], within, margin)
        return people
    return grouped


class Scorer:
    def __init__(self, saved: Path):
        self.z = np.load(saved)
        self.files = [Path(f) for f in self.z["files"]]
        self.who = [f.parent.name for f in self.files]
        people = sorted({w for f, w in zip(self.files, self.who) if f.parent.parent.name == "people"})
        self.strangers = {w for f, w in zip(self.files, self.who) if f.parent.parent.name == "strangers"}
        self.held = set(people[4::5]) | set(sorted(self.strangers)[4::5])
        self.cases = {
            "62 people": lambda w: w not in self.strangers,
            "50 tuning people": lambda w: w not in self.strangers and w not in self.held,
            "12 held-out people": lambda w: w not in self.strangers and w in self.held,
            "62 people + 313 strangers": lambda w: True,
            "50 tuning + 250 strangers": lambda w: w not in self.held,
            "12 held-out + 63 strangers": lambda w: w in self.held}

    def found(self, variant: str) -> list[Faces]:
        photo, out = self.z["photo"], []
        for i in range(len(self.files)):
            rows = np.flatnonzero(photo == i)
            boxes = [(max(0, x), max(0, y), min(150, x + w) - max(0, x), min(150, y + h) - max(0, y))
                     for x, y, w, h in self.z["boxes"][rows]]
            out.append(Faces(np.array(boxes, np.int64).reshape(-1, 4), self.z["scores"][rows],
                             self.z["sides"][rows].astype(np.int64), self.z[variant][rows]))
        return out

    def score(self, variant: str, cases=("50 tuning people", "50 tuning + 250 strangers"), grouping=group_faces,
              **config) -> dict:
        bench.CONFIG = PeopleConfig(**config)
        found = self.found(variant)
        out = {}
        for name in cases:
            idx = [i for i in range(len(self.files)) if self.cases[name](self.who[i])]
            out[name] = bench.scores([self.files[i] for i in idx], [found[i] for i in idx],
                                     [self.who[i] for i in idx], self.strangers, grouping)
        return out

    def separation(self, variant: str) -> float:
        """Share of same-person pairs (tuning people's labelled faces) farther than the 0.1% quantile
        of different-person pairs."""
        z, photo = self.z, self.z["photo"]
        off = np.hypot(z["boxes"][:, 0] + z["boxes"][:, 2] / 2 - 75, z["boxes"][:, 1] + z["boxes"][:, 3] / 2 - 75)
        first = {}
        for f in np.argsort(off, kind="stable"):
            if off[f] <= bench.CENTRE_PX and photo[f] not in first:
                first[photo[f]] = f
        rows = [f for i, f in first.items() if self.who[i] not in self.held and self.who[i] not in self.strangers]
        names = np.array([self.who[photo[f]] for f in rows])
        x = z[variant][rows].astype(np.float64)
        upper = np.triu_indices(len(x), 1)
        gaps = np.linalg.norm(x[:, None] - x[None], axis=2)[upper]
        same = (names[:, None] == names[None])[upper]
        return float(np.mean(gaps[same] > np.quantile(gaps[~same], 0.001)))


def short(result: dict) -> str:
    a, b = result["50 tuning people"], result["50 tuning + 250 strangers"]
    return (f"people: P {a['precision']:.3f} R {a['recall']:.3f} one group {a['in_one_group']}/50 | "
            f"+strangers: P {b['precision']:.3f} one group {b['in_one_group']}/50 strangers in groups "
            f"{b['strangers_in_groups']:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=Path, default=Path("/tmp/lfw"))
    parser.add_argument("--saved", type=Path, default=Path("/tmp/people-variants.npz"))
    args = parser.parse_args()
    if not args.saved.exists():
        files = sorted((args.lfw / "people").glob("*/*.jpg")) + sorted((args.lfw / "strangers").glob("*/*.jpg"))
        extract(files, args.saved)
    scorer = Scorer(args.saved)
    print("1. descriptors at the defaults")
    for variant in VARIANTS:
        cpu = f"{float(scorer.z['cpu_' + variant]):.3f}" if f"cpu_{variant}" in scorer.z else "?"
        print(f"  {variant}: {cpu} CPU-s per face, same-person pairs past the 0.1% different-person "
              f"quantile {scorer.separation(variant):.2%}; {short(scorer.score(variant))}")
    print("2. thresholds re-chosen")
    for reach, cut, rejoin in itertools.product((0.48, 0.5, 0.52), (0.55, 0.6), (0.4, 0.45)):
        print(f"  base reach {reach} cut {cut} rejoin {rejoin}: "
              f"{short(scorer.score('base', reach=reach, cut=cut, rejoin=rejoin))}")
    for threshold, reach in itertools.product((0.48, 0.5), (0.46, 0.47, 0.48, 0.49)):
        print(f"  flip threshold {threshold} reach {reach}: "
              f"{short(scorer.score('flip', threshold=threshold, reach=reach))}")
    print("3. a lone face attached to the nearest group")
    for within, margin in itertools.product((0.5, 0.505, 0.52, 0.55), (0.8, 0.85, 0.9, 1.0)):
        print(f"  within {within} margin {margin}: {short(scorer.score('base', grouping=with_attach(within, margin)))}")
    print("   chosen on the tuning half (within 0.5, margin 0.85), every case:")
    result = scorer.score("base", cases=tuple(scorer.cases), grouping=with_attach(0.5, 0.85))
    for name, s in result.items():
        st = "" if s["strangers_in_groups"] is None else f" strangers in groups {s['strangers_in_groups']:.1%}"
        print(f"  {name:28} P {s['precision']:.3f} R {s['recall']:.3f} one group {s['in_one_group']}/{s['people']} "
              f"lone aside {s['lone_aside']}{st}")


if __name__ == "__main__":
    main()
