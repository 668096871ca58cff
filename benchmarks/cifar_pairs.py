"""Candidate CIFAR-10 test/train partners to judge by hand, and montages to judge them on.

    python benchmarks/cifar_pairs.py candidates --cifar /tmp/cifar --out /tmp/cifar-pairs.csv
    python benchmarks/cifar_pairs.py montages --pairs /tmp/cifar-pairs.csv --out /tmp/montages

``candidates``: every test image's nearest training images by 8x8 thumbnail (and its mirror),
scored by the duplicate finder's thumbnail score (``pair_scores`` without an embedding, the
``--fast`` score); the best partner of each test image above ``--floor`` is written, best
first. ``montages``: the pairs side by side, 4x enlarged, numbered, 20 per PNG, to look at.
The judgements made on them are ``benchmarks/data/cifar_pairs_judged.csv`` (used by
``benchmarks/similar_shots.py``); the images themselves are never committed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from imgorg.duplicates import image_thumbnails, pair_scores
from imgorg.duplicates.thumbnails import SEARCH_SIDE, mirror_signatures
from imgorg.index import build_index


def candidates(cifar: Path, out: Path, floor: float, k: int) -> None:
    paths = sorted(str(p.relative_to(cifar)) for p in cifar.glob("t*/*/*.jpg"))
    test = np.array([p.startswith("test/") for p in paths])
    thumbnails = image_thumbnails(cifar, paths)
    train_rows, test_rows = np.flatnonzero(~test), np.flatnonzero(test)
    index = build_index(thumbnails.search[train_rows])
    found = []
    for queries in (thumbnails.search[test_rows], mirror_signatures(thumbnails.search[test_rows], SEARCH_SIDE)):
        _, rows = index.search(queries, k)
        found.append(np.stack([np.repeat(test_rows, k), train_rows[rows.ravel()]], axis=1))
    pairs = np.unique(np.concatenate(found), axis=0)
    scores = pair_scores(pairs, None, thumbnails)
    frame = pd.DataFrame({"test": np.array(paths)[pairs[:, 0]], "train": np.array(paths)[pairs[:, 1]], "score": scores})
    frame = frame.sort_values("score", ascending=False).drop_duplicates("test")
    frame = frame[frame["score"] >= floor]
    frame.round(4).to_csv(out, index=False)
    print(f"{len(frame)} test images with a training partner scoring >= {floor}")


def montages(cifar: Path, pairs: Path, out: Path, per_page: int = 20) -> None:
    from PIL import Image, ImageDraw

    frame = pd.read_csv(pairs)
    out.mkdir(parents=True, exist_ok=True)
    cell = 4 * 32  # 4x enlarged
    for page in range(0, len(frame), per_page):
        rows = frame.iloc[page : page + per_page]
        cols = 4  # pairs per line
        lines = -(-len(rows) // cols)
        sheet = Image.new("RGB", (cols * (2 * cell + 40), lines * (cell + 24)), "white")
        draw = ImageDraw.Draw(sheet)
        for i, (number, row) in enumerate(rows.iterrows()):
            x, y = (i % cols) * (2 * cell + 40), (i // cols) * (cell + 24)
            for side, name in enumerate((row["test"], row["train"])):
                with Image.open(cifar / name) as image:
                    sheet.paste(image.convert("RGB").resize((cell, cell), Image.NEAREST), (x + side * (cell + 4), y + 20))
            draw.text((x + 2, y + 4), f"#{number}", fill="black")
        sheet.save(out / f"pairs_{page:04d}.png")
    print(f"{-(-len(frame) // per_page)} montages in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("candidates", "montages"))
    parser.add_argument("--cifar", type=Path, default=Path("/tmp/cifar"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--pairs", type=Path)
    parser.add_argument("--floor", type=float, default=0.55)
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    if args.what == "candidates":
        candidates(args.cifar, args.out, args.floor, args.k)
    else:
        montages(args.cifar, args.pairs, args.out)


if __name__ == "__main__":
    main()
