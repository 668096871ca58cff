"""People on the shared LFW subset, on images without faces, on two-face collages, and their cost.

    PYTHONPATH=src python benchmarks/people_lfw.py [--lfw /tmp/lfw] [--cifar /tmp/cifar] [--big /tmp/big12mp/jpeg]

Needs ``pip install 'imgorg[people]'`` and scikit-image. The LFW subset is
``../shared/datasets/lfw-people.tar.gz`` (62 people x 20 photos, 313 strangers with one), unpacked:
``mkdir -p /tmp/lfw && tar -xzf lfw-people.tar.gz -C /tmp/lfw``; CIFAR-10 from
``cifar10-jpg.tar.gz`` into /tmp/cifar. Everything runs through the library's own path
(``scan_files`` on every core, ``faces_table``) with the default ``PeopleConfig``.

How it counts. LFW photos are 150x150 crops centred on the labelled person; some show other
people behind. A photo's labelled face is the detected face whose centre lies nearest the
photo's centre, within 25 px; other faces take part in the grouping but not in the scores. A
photo is "detected" when it has such a face at all, whatever its score or size. Pairwise
precision and recall are over pairs of labelled faces that were grouped (not unrecognised). A
person is "in exactly one group" when all their grouped labelled faces share one person id;
"and alone there" when no other labelled person is in it; "lone aside" counts the people whose
faces in groups of two or more all share one group (a photo left on its own is not a second
group of theirs). A stranger is "put in someone's
group" when its face shares a person id with any other labelled face.

Held out: the people at positions 4, 9, ..., 59 of the sorted names (12) and the strangers at
positions 4, 9, ... (63) were never looked at while choosing ``min_score``, ``cut``, ``rejoin``
and ``reach``; the other 50 people and 250 strangers were. CIFAR-10: train images were looked at,
test images held out.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
from PIL import Image

from imgorg.config import PeopleConfig
from imgorg.people.detect import FaceModels, Faces
from imgorg.people.group import UNRECOGNISED
from imgorg.people.scan import scan_files
from imgorg.people.table import faces_table

CENTRE_PX = 25  # a labelled face's centre lies this close to the photo's centre
CONFIG = PeopleConfig()
NON_FACE_SAMPLES = ("coffee", "chelsea", "rocket", "coins", "hubble_deep_field", "immunohistochemistry", "horse",
                    "moon", "brick", "grass", "gravel", "colorwheel", "page", "text", "clock", "cat", "logo",
                    "retina", "cell", "binary_blobs", "shepp_logan_phantom", "microaneurysms")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def scan(paths: list[Path]) -> tuple[list, float, float]:
    """(faces per path, wall s, CPU s of this process and its worker processes)."""
    wall, cpu = time.perf_counter(), time.process_time() + children_cpu()
    found = [None] * len(paths)
    for position, faces in scan_files(paths, CONFIG):
        found[position] = faces if faces is not None else Faces.none()
    return found, time.perf_counter() - wall, time.process_time() + children_cpu() - cpu


def labelled_rows(table, sizes: dict[int, tuple[int, int]]) -> dict[int, int]:
    """image id -> the row of its labelled face (nearest the centre, within CENTRE_PX)."""
    cx = table["x"] + table["w"] / 2
    cy = table["y"] + table["h"] / 2
    width = table["image_id"].map(lambda i: sizes[i][0])
    height = table["image_id"].map(lambda i: sizes[i][1])
    table = table.assign(off=np.hypot(cx - width / 2, cy - height / 2))
    near = table[table["off"] <= CENTRE_PX].sort_values(["off", "face_id"])
    return dict(near.groupby("image_id").head(1)[["image_id", "face_id"]].itertuples(index=False, name=None))


def scores(files: list[Path], found: list, who: list[str], strangers: set[str], grouping=None) -> dict:
    """Group the faces of ``files`` alone (by ``grouping``, default ``group_faces``) and score the labelled faces."""
    extra = {"grouping": grouping} if grouping is not None else {}
    table, _ = faces_table(np.arange(len(files)), found, CONFIG, **extra)
    sizes = {i: (150, 150) for i in range(len(files))}
    labelled = labelled_rows(table, sizes)
    person = table.set_index("face_id")["person"]
    rows = [(who[i], int(person[f])) for i, f in labelled.items()]
    grouped = [(w, p) for w, p in rows if p != UNRECOGNISED]
    names = np.array([w for w, _ in grouped])
    groups = np.array([p for _, p in grouped])
    upper = np.triu_indices(len(grouped), 1)
    same = (names[:, None] == names[None])[upper]
    together = (groups[:, None] == groups[None])[upper]
    people = sorted({w for w in who if w not in strangers})
    size = {g: int((groups == g).sum()) for g in set(groups.tolist())}
    one = alone = lone_aside = 0
    for name in people:
        theirs = set(groups[names == name])
        lone_aside += len({g for g in theirs if size[g] > 1}) == 1
        if len(theirs) == 1:
            one += 1
            alone += set(names[groups == next(iter(theirs))]) == {name}
    # of every stranger's labelled face, grouped or not: put into a group with other faces
    in_group = [p != UNRECOGNISED and size[p] > 1 for w, p in rows if w in strangers]
    return {"photos": len(files), "detected": len(labelled) / len(files),
            "grouped": len(grouped) / len(files),
            "precision": float((same & together).sum() / max(1, together.sum())),
            "recall": float((same & together).sum() / max(1, same.sum())),
            "people": len(people), "in_one_group": one, "alone_there": alone, "lone_aside": lone_aside,
            "strangers": sum(w in strangers for w in who),
            "strangers_in_groups": float(np.mean(in_group)) if in_group else None}


def lfw(root: Path) -> tuple[list[Path], list[str], set[str], set[str], list]:
    people = sorted(p.name for p in (root / "people").iterdir())
    strangers = sorted(p.name for p in (root / "strangers").iterdir())
    held = set(people[4::5]) | set(strangers[4::5])
    files = sorted((root / "people").glob("*/*.jpg")) + sorted((root / "strangers").glob("*/*.jpg"))
    who = [f.parent.name for f in files]
    found, wall, cpu = scan(files)
    print(f"LFW: {len(files)} photos scanned in {wall:.0f} s wall, {cpu / len(files):.3f} CPU-s per photo")
    return files, who, set(strangers), held, found


def report_lfw(files, who, strangers, held, found) -> None:
    def subset(keep):
        idx = [i for i in range(len(files)) if keep(who[i])]
        return scores([files[i] for i in idx], [found[i] for i in idx], [who[i] for i in idx], strangers)

    cases = {
        "62 people": lambda w: w not in strangers,
        "50 tuning people": lambda w: w not in strangers and w not in held,
        "12 held-out people": lambda w: w not in strangers and w in held,
        "62 people + 313 strangers": lambda w: True,
        "50 tuning + 250 strangers": lambda w: w not in held,
        "12 held-out + 63 strangers": lambda w: w in held,
    }
    print(f"{'case':28} {'detected':>8} {'grouped':>8} {'prec':>6} {'recall':>6} {'one group':>10} "
          f"{'alone':>6} {'lone aside':>10} {'strangers in':>12}")
    for name, keep in cases.items():
        s = subset(keep)
        st = "" if s["strangers_in_groups"] is None else f"{s['strangers_in_groups']:.1%}"
        print(f"{name:28} {s['detected']:8.2%} {s['grouped']:8.2%} {s['precision']:6.3f} {s['recall']:6.3f} "
              f"{s['in_one_group']:>4}/{s['people']:<5} {s['alone_there']:>6} {s['lone_aside']:>10} {st:>12}")


def collages(files, who, strangers, found, count: int = 200, seed: int = 0) -> None:
    """Two photos side by side: of two different people, and of one person twice; grouped together
    with every LFW photo, so each face has its person's group to join."""
    rng = np.random.default_rng(seed)
    people = [i for i in range(len(files)) if who[i] not in strangers]
    out = Path("/tmp/people-collages")
    out.mkdir(exist_ok=True)
    made, kinds = [], []
    for k in range(count):
        a = int(rng.choice(people))
        same = k % 2 == 1
        pool = [i for i in people if (who[i] == who[a]) == same and i != a]
        b = int(rng.choice(pool))
        canvas = Image.new("RGB", (300, 150))
        canvas.paste(Image.open(files[a]).convert("RGB"), (0, 0))
        canvas.paste(Image.open(files[b]).convert("RGB"), (150, 0))
        path = out / f"collage-{k:03d}.jpg"
        canvas.save(path, quality=92)
        made.append(path)
        kinds.append("one person twice" if same else "two people")
    scanned, _, _ = scan(made)
    ids = np.arange(len(files) + len(made))
    table, _ = faces_table(ids, found + scanned, CONFIG)
    for kind in ("two people", "one person twice"):
        picked = [len(files) + k for k in range(len(made)) if kinds[k] == kind]
        faces = table[table["image_id"].isin(picked) & (table["person"] != UNRECOGNISED)]
        both = faces.groupby("image_id").filter(lambda f: len(f) >= 2)
        shared = both.groupby("image_id")["person"].apply(lambda p: p.duplicated().any()).sum()
        print(f"collages of {kind}: {len(picked)}, with two grouped faces {both['image_id'].nunique()}, "
              f"whose two faces share a person: {shared}")


def non_faces(cifar: Path, per_class: int = 30) -> None:
    import skimage.data

    for split in ("train", "test"):
        files = sorted(cifar.glob(f"{split}/*/*.jpg"))
        by_class: dict[str, list[Path]] = {}
        for f in files:
            by_class.setdefault(f.parent.name, []).append(f)
        chosen = [f for c in sorted(by_class) for f in by_class[c][:per_class]]
        out = Path(f"/tmp/people-cifar8x-{split}")
        out.mkdir(exist_ok=True)
        paths = []
        for f in chosen:
            path = out / f"{f.parent.name}-{f.name}"
            if not path.exists():
                Image.open(f).convert("RGB").resize((256, 256), Image.BICUBIC).save(path, quality=95)
            paths.append(path)
        _say_faces(f"CIFAR-10 {split} x8 (256x256)", paths, scan(paths)[0])
    out = Path("/tmp/people-skimage")
    out.mkdir(exist_ok=True)
    paths = []
    for name in NON_FACE_SAMPLES:
        pixels = np.asarray(getattr(skimage.data, name)())
        if pixels.dtype != np.uint8:
            pixels = (pixels * 255 / max(1, pixels.max())).astype(np.uint8)
        path = out / f"{name}.png"
        Image.fromarray(pixels).convert("RGB").save(path)
        paths.append(path)
    _say_faces("scikit-image non-face samples", paths, scan(paths)[0])


def _say_faces(name: str, paths: list[Path], found: list) -> None:
    table, _ = faces_table(np.arange(len(paths)), found, CONFIG)
    recognised = table[table["person"] != UNRECOGNISED]
    print(f"{name}: {len(paths)} images; images with any face box {table['image_id'].nunique()}, "
          f"with a recognised face {recognised['image_id'].nunique()}"
          + ("".join(f"; {paths[i].name} score {s:.2f}" for i, s in zip(table['image_id'], table['score']))))


def speed(files: list[Path], big: Path, count: int = 40) -> None:
    """800x600 photos with one face (an LFW photo at 2x on a real photo's background) and 12-MP JPEGs."""
    import skimage.data

    background = Image.fromarray(skimage.data.coffee()).resize((800, 600))
    out = Path("/tmp/people-800x600")
    out.mkdir(exist_ok=True)
    paths = []
    for k, f in enumerate(files[::len(files) // count][:count]):
        canvas = background.copy()
        canvas.paste(Image.open(f).convert("RGB").resize((300, 300), Image.BICUBIC), (250, 150))
        path = out / f"one-face-{k:03d}.jpg"
        canvas.save(path, quality=92)
        paths.append(path)
    start = time.process_time()
    FaceModels.load()
    print(f"loading the models: {time.process_time() - start:.2f} CPU-s once per worker process")
    found, wall, cpu = scan(paths)
    faces = sum(len(f.scores) for f in found)
    print(f"800x600 with one face: {len(paths)} photos, {faces} faces, {cpu / len(paths):.3f} CPU-s per photo, "
          f"{len(paths) / wall:.1f} photos/s (wall, both cores)")
    big_files = sorted(big.glob("*.jpg")) if big.is_dir() else []
    if not big_files:
        print(f"12-MP photos: none at {big}")
        return
    found, wall, cpu = scan(big_files)
    faces = sum(len(f.scores) for f in found if f is not None)
    print(f"12-MP JPEGs ({big}): {len(big_files)} photos, {faces} faces, {cpu / len(big_files):.3f} CPU-s per photo, "
          f"{len(big_files) / wall:.2f} photos/s (wall, both cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=Path, default=Path("/tmp/lfw"))
    parser.add_argument("--cifar", type=Path, default=Path("/tmp/cifar"))
    parser.add_argument("--big", type=Path, default=Path("/tmp/big12mp/jpeg"))
    args = parser.parse_args()
    files, who, strangers, held, found = lfw(args.lfw)
    report_lfw(files, who, strangers, held, found)
    collages(files, who, strangers, found)
    non_faces(args.cifar)
    speed(files, args.big)


if __name__ == "__main__":
    main()
