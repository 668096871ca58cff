"""Leaks between splits on a reviewed workspace: how many evaluation images have a copy in training,
and a figure of the closest pairs (each leaking image beside the one its split keeps).

    imgorg run /tmp/cifar --out /tmp/ws-cifar60k --method kmeans --map none --no-review   # train/ and test/
    imgorg review /tmp/ws-cifar60k --kinds copy,leak
    python benchmarks/leaks.py /tmp/ws-cifar60k --figure docs/leaks-cifar10.png
"""

from __future__ import annotations

import argparse

import numpy as np
from PIL import Image, ImageDraw

import imgorg
from imgorg.sources import source_path

TILE = 64  # px per image in the figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace")
    parser.add_argument("--figure", help="PNG of the closest pairs")
    parser.add_argument("--pairs", type=int, default=24)
    args = parser.parse_args()
    ws = imgorg.load_workspace(args.workspace)
    table = ws.review()
    leaks = table[table["kind"] == "leak"].sort_values("score", ascending=False)
    per_split = leaks["split"].value_counts().to_dict()
    images = ws.images.set_index("id")
    total = images["path"].astype(str).str.split("/").str[0].value_counts().to_dict()
    for split, count in per_split.items():
        print(f"{count:,} of {total.get(split, 0):,} {split} images ({count / max(total.get(split, 1), 1):.1%}) have a "
              f"copy in a split that keeps it; similarity median {leaks.loc[leaks['split'] == split, 'score'].median():.3f}")
    if args.figure:
        figure(ws, leaks.head(args.pairs), images, args.figure)
        print(f"figure: {args.figure}")


def figure(ws, leaks, images, target: str) -> None:
    """Pairs in rows of four: the leaking image, then the image its split keeps, and the similarity."""
    per_row, cell = 4, 2 * TILE + 8
    rows = int(np.ceil(len(leaks) / per_row))
    canvas = Image.new("RGB", (per_row * cell, rows * (TILE + 14)), "white")
    draw = ImageDraw.Draw(canvas)
    for i, finding in enumerate(leaks.itertuples()):
        x, y = (i % per_row) * cell, (i // per_row) * (TILE + 14)
        for j, image_id in enumerate((finding.id, int(finding.partner))):
            path = source_path(ws.root, str(images.at[image_id, "path"]))
            canvas.paste(Image.open(path).convert("RGB").resize((TILE, TILE), Image.NEAREST), (x + j * TILE, y))
        draw.text((x, y + TILE), f"{finding.score:.2f}", fill="black")
    canvas.save(target)


if __name__ == "__main__":
    main()
