"""Train the blurry / dark / overexposed decision of ``imgorg.review.quality`` on generated defects over many real photos.

    PYTHONPATH=src .venv/bin/python benchmarks/quality_training.py build /tmp/qtrain --lfw /tmp/lfw \
        --extra-site /tmp/venv-cleanvision/lib/python3.11/site-packages
    PYTHONPATH=src .venv/bin/python benchmarks/quality_training.py fit /tmp/qtrain   # writes src/imgorg/data/quality_model.json

Photos: ``--cifar-count`` of CIFAR-10's training images (32 px; none of its test images, on which
the flags' rate is checked), LFW's ``strangers/`` (the first ``--strangers`` of 313 people with one news photo each, 150 px:
no person of the evaluation splits fresh2-fresh4, which use ``people/``) and crops of the dev
split's photos (scikit-image, scikit-learn's china, imagecorruptions' frost2) reduced to 150-512 px.
Each photo gives its clean copy and ``DEFECTS_PER_PHOTO`` copies with a defect drawn from the
families of quality_corpus.py's dev / heldout / fresh splits (never the third-party families of
fresh2-fresh5) at a strength drawn uniformly from a range around the corpus's, finished as the
corpus finishes its files (sensor noise, JPEG 90) and labelled by its rules (an exposure edit is
dark only under a mean luma of 0.30, overexposed only over 0.60). Only the stored per-image scores
are kept (``scores.parquet``), never the files.

``fit`` forms ``COLLECTIONS`` collections of ``COLLECTION_PHOTOS`` photos each, drawn at random,
each with its own share of defective copies (a mostly clean album to a pile of rejects), computes
each image's features within its collection (``imgorg.review.quality.model_features``) and fits
one shallow gradient-boosted model per flag (scikit-learn's HistGradientBoostingClassifier, with
monotonic constraints where the direction is physical: wider edges are never less blurry). The
trees are written as plain arrays to JSON; ``quality.py`` evaluates them with numpy. Collections
of the last ``--holdout`` share of the photos are kept apart and scored at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quality_corpus as qc  # noqa: E402

from imgorg.review.quality import (FEATURES, MODEL_FILE, MODEL_FLAGS, SCORE_COLUMNS, measure,  # noqa: E402
                                   model_features)

DEFECTS_PER_PHOTO = 4
DEV_CROPS = 30  # crops per dev photo
# (flag, family, low, high): strengths drawn uniformly; families of dev, heldout and fresh only
FAMILIES = [
    ("blurry", "gauss", 1.2, 5), ("blurry", "defocus", 1.5, 5), ("blurry", "motion", 5, 18),
    ("blurry", "streak", 6, 16), ("blurry", "jitter", 6, 14), ("blurry", "shake", 7, 14),
    ("blurry", "box", 3, 7), ("blurry", "cvbox", 3, 8), ("blurry", "resample", 2, 4.5), ("blurry", "lens", 2, 4.5),
    ("dark", "gain", 0.03, 0.22), ("dark", "darker", 0.1, 0.45), ("dark", "night", 0.05, 0.15),
    ("dark", "power", 1.6, 4), ("dark", "ev", -4, -1.3), ("dark", "stops", -4, -1.3),
    ("overexposed", "gain", 0.7, 0.96), ("overexposed", "brighter", 0.2, 0.7), ("overexposed", "lift", 0.25, 0.6),
    ("overexposed", "haze", 0.3, 0.7), ("overexposed", "veil", 0.35, 0.7), ("overexposed", "hsv", 0.2, 0.55),
    ("overexposed", "hsvcv", 0.2, 0.55), ("overexposed", "ev", 0.8, 3), ("overexposed", "stops", 0.8, 3),
    ("low_information", "uniform", 1, 1), ("low_information", "faded", 0.02, 0.06),
    ("low_information", "gradient", 1, 1), ("low_information", "page", 1, 1),
    ("odd_size", "tiny", 20, 64), ("odd_aspect", "strip", 3.2, 8),
]
WEIGHTS = {"blurry": 3, "dark": 2, "overexposed": 2.5, "low_information": 0.5, "odd_size": 0.3, "odd_aspect": 0.3}
COLLECTIONS = 120
COLLECTION_PHOTOS = 60


def photo_list(lfw: Path, strangers: int, cifar: Path | None, cifar_count: int) -> list[str]:
    people = sorted(p for p in (lfw / "strangers").iterdir() if p.is_dir())[:strangers]
    specs = [f"lfw:{(person / sorted(q.name for q in person.glob('*.jpg'))[0]).relative_to(lfw)}" for person in people]
    if cifar is not None:  # 32 px photos, some naturally dim or on white: what a small-image collection holds
        files = sorted((cifar / "train").rglob("*.jpg"))
        specs += [f"file:{files[i]}" for i in np.random.default_rng(5).choice(len(files), cifar_count, replace=False)]
    return specs + [f"dev:{spec}:{i}" for spec in qc.SPLITS["dev"] for i in range(DEV_CROPS)]


def pictures(spec: str, rng: np.random.Generator):
    """The clean picture of one spec: a whole LFW photo, or one crop of a dev photo at 150-512 px."""
    from PIL import Image

    if spec.startswith(("lfw:", "file:")):
        with Image.open(qc.LFW[0] / spec[4:] if spec.startswith("lfw:") else spec[5:]) as image:
            return image.convert("RGB")
    _, package, name, _ = spec.split(":")
    crop = qc.crops(qc.photo(f"{package}:{name}"), rng, 1)[0]
    side = rng.uniform(150, 512)
    factor = min(1.0, side / max(crop.size))
    return crop.resize((max(1, round(crop.width * factor)), max(1, round(crop.height * factor))),
                       Image.Resampling.LANCZOS)


def score_photo(args) -> list[dict]:
    number, spec, lfw, extra = args
    qc.LFW[:] = [lfw]
    qc.EXTRA_SITE[:] = extra
    rng = np.random.default_rng(7_000_000 + number)
    clean = pictures(spec, rng)
    weights = np.array([WEIGHTS[flag] for flag, *_ in FAMILIES], float)
    chosen = rng.choice(len(FAMILIES), DEFECTS_PER_PHOTO, replace=False, p=weights / weights.sum())
    rows = []
    for index in [None, *chosen]:
        if index is None:
            flag = family = strength = None
            image = clean
        else:
            flag, family, low, high = FAMILIES[index]
            strength = float(rng.uniform(low, high)) if high != low else low
            if family in ("tiny",):
                strength = int(strength)
            image = qc.defect(clean, family, strength, rng)
        data = qc.finish(image, rng)
        luma = qc.mean_luma(data)
        labels = qc.labels_for(flag, family, strength, luma)
        if flag in ("dark", "overexposed") and (luma < 0.06 or luma > 0.92):
            labels.update(low_information=None, blurry=None)  # near one tone: no edges to judge
        rows.append({"photo": number, "spec": spec, "defect": family or "clean", "strength": strength,
                     **{f"y_{k}": (np.nan if v is None else v) for k, v in labels.items()}, **measure(data)})
    return rows


def build(dest: Path, lfw: Path, extra: list[Path], strangers: int, workers: int, cifar: Path | None = None,
          cifar_count: int = 0) -> pd.DataFrame:
    specs = photo_list(lfw, strangers, cifar, cifar_count)
    jobs = [(number, spec, lfw, extra) for number, spec in enumerate(specs)]
    with ProcessPoolExecutor(workers) as pool:
        rows = [row for chunk in pool.map(score_photo, jobs, chunksize=8) for row in chunk]
    frame = pd.DataFrame(rows)
    dest.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(dest / "scores.parquet")
    print(f"{len(specs)} photos, {len(frame)} images; positives "
          f"{ {k: int((frame[f'y_{k}'] == 1).sum()) for k in qc.KINDS} }")
    return frame


def collections(frame: pd.DataFrame, photos: np.ndarray, count: int, rng: np.random.Generator):
    """Feature rows of ``count`` random collections of the given photos, each with its own defect share."""
    parts = []
    for number in range(count):
        members = rng.choice(photos, min(COLLECTION_PHOTOS, len(photos)), replace=False)
        rows = frame[frame["photo"].isin(members)]
        share = rng.uniform(0.1, 1.0)  # the share of defective copies kept: a good album to a pile of rejects
        keep = (rows["defect"] == "clean") | (rng.random(len(rows)) < share)
        rows = rows[keep.to_numpy()]
        features = model_features(rows[list(SCORE_COLUMNS)].reset_index(drop=True))
        parts.append(pd.concat([features, rows.filter(like="y_").reset_index(drop=True),
                                rows[["defect"]].reset_index(drop=True)], axis=1).assign(collection=number))
    return pd.concat(parts, ignore_index=True)


def export(model, flag: str) -> dict:
    """The fitted trees as arrays: per node feature, threshold, left, right, leaf value, NaN goes left."""
    trees = []
    for (predictor,) in model._predictors:  # one tree per iteration (binary)
        nodes = predictor.nodes
        trees.append({"feature": nodes["feature_idx"].tolist(), "threshold": [round(float(t), 6) for t in nodes["num_threshold"]],
                      "left": nodes["left"].tolist(), "right": nodes["right"].tolist(),
                      "leaf": nodes["is_leaf"].astype(int).tolist(), "value": [round(float(v), 6) for v in nodes["value"]],
                      "nan_left": nodes["missing_go_to_left"].astype(int).tolist()})
    return {"flag": flag, "baseline": float(model._baseline_prediction.ravel()[0]), "trees": trees}


MONOTONIC = {  # +1: the feature only ever raises the flag's odds, -1 lowers, 0 free
    "blurry": {"log_width": 1, "width_vs_collection": 1},
    "dark": {"brightness": -1, "highlights": -1, "brightness_vs_collection": -1},
    "overexposed": {"brightness": 1, "shadows": 1, "clipped": 1},
}


def fit(dest: Path, holdout: float) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    frame = pd.read_parquet(dest / "scores.parquet")
    rng = np.random.default_rng(0)
    photos = np.unique(frame["photo"])
    rng.shuffle(photos)
    cut = int(len(photos) * (1 - holdout))
    train = collections(frame, photos[:cut], COLLECTIONS, rng)
    test = collections(frame, photos[cut:], max(10, COLLECTIONS // 6), rng)
    out = {"features": list(FEATURES), "models": {}}
    for flag in MODEL_FLAGS:
        rows = train[train[f"y_{flag}"].notna()]
        cst = [MONOTONIC[flag].get(name, 0) for name in FEATURES]
        model = HistGradientBoostingClassifier(max_depth=3, max_iter=150, learning_rate=0.1, min_samples_leaf=40,
                                               l2_regularization=1.0, monotonic_cst=cst, random_state=0)
        model.fit(rows[list(FEATURES)], rows[f"y_{flag}"].astype(int))
        out["models"][flag] = export(model, flag)
        held = test[test[f"y_{flag}"].notna()]
        said = model.predict(held[list(FEATURES)]) == 1
        truth = held[f"y_{flag}"].to_numpy() == 1
        tp, fp, fn = (said & truth).sum(), (said & ~truth).sum(), (~said & truth).sum()
        print(f"{flag:12s} train {len(rows)} rows; held-out photos: P {tp / max(tp + fp, 1):.3f} "
              f"R {tp / max(tp + fn, 1):.3f} F1 {2 * tp / max(2 * tp + fp + fn, 1):.3f}")
    MODEL_FILE.write_text(json.dumps(out, separators=(",", ":")))
    print(f"wrote {MODEL_FILE} ({MODEL_FILE.stat().st_size // 1024} KiB)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("build", "fit"))
    parser.add_argument("dest", type=Path)
    parser.add_argument("--lfw", type=Path, default=Path("/tmp/lfw"), help="the unpacked lfw-people.tar.gz")
    parser.add_argument("--extra-site", type=Path, action="append", default=[])
    parser.add_argument("--strangers", type=int, default=250, help="LFW strangers used (the rest stay unseen)")
    parser.add_argument("--cifar", type=Path, help="the unpacked cifar10-jpg.tar.gz: photos from its train/ join")
    parser.add_argument("--cifar-count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--holdout", type=float, default=0.2, help="share of photos kept from the fit")
    args = parser.parse_args()
    if args.step == "build":
        qc.LFW[:] = [args.lfw]
        qc.EXTRA_SITE[:] = args.extra_site
        build(args.dest, args.lfw, args.extra_site, args.strangers, args.workers, args.cifar, args.cifar_count)
    else:
        fit(args.dest, args.holdout)


if __name__ == "__main__":
    main()
