"""CLIP's text tower and BPE tokenizer: a sentence -> a vector in the same space as CLIP image embeddings.

The tower reads the non-``visual.*`` tensors of the same OpenAI checkpoint the image
tower reads (``token_embedding``, ``positional_embedding``, ``transformer.*``,
``ln_final``, ``text_projection``); its sizes are taken from the tensors, so any
CLIP-shaped checkpoint loads. The tokenizer follows OpenAI's ``simple_tokenizer.py``
(byte-level BPE over ``bpe_simple_vocab_16e6.txt.gz``), with two differences kept on
purpose to avoid dependencies: no ``ftfy`` text repair (only HTML unescaping), and
the stdlib ``re`` in place of ``regex`` (letters are ``[^\\W\\d_]``, digits ``\\d``:
the same split for ordinary text).
"""

from __future__ import annotations

import functools
import gzip
import html
import re
from pathlib import Path

import numpy as np

from ..errors import BackboneError

VOCAB_NAME = "bpe_simple_vocab_16e6.txt.gz"
VOCAB_URL = "https://github.com/openai/CLIP/raw/main/clip/" + VOCAB_NAME
MAX_MERGES = 49152 - 256 - 2  # OpenAI's vocabulary: 512 byte tokens + 48,894 merges + 2 markers = 49,408
START, END = "<|startoftext|>", "<|endoftext|>"
_SPLIT = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+",
                    re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def bytes_to_unicode() -> dict[int, str]:
    """Every byte -> a printable character, so BPE works on text without spaces or control bytes."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars, extra = list(printable), 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, chars)))


class BpeTokenizer:
    """OpenAI CLIP's tokenizer: lower-cased, split into words, each word byte-pair encoded."""

    def __init__(self, vocab_path: str | Path, max_merges: int = MAX_MERGES):
        lines = gzip.open(vocab_path, "rt", encoding="utf-8").read().split("\n")
        merges = [tuple(line.split()) for line in lines[1:max_merges + 1] if line.strip()]
        symbols = list(bytes_to_unicode().values())
        vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + [START, END]
        self.encoder = {token: i for i, token in enumerate(vocab)}
        self.ranks = {merge: i for i, merge in enumerate(merges)}
        self.start, self.end = self.encoder[START], self.encoder[END]

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` without the start/end markers."""
        text = re.sub(r"\s+", " ", html.unescape(html.unescape(text))).strip().lower()
        byte_chars = bytes_to_unicode()
        ids = []
        for word in _SPLIT.findall(text):
            word = "".join(byte_chars[b] for b in word.encode("utf-8"))
            ids.extend(self.encoder[piece] for piece in self._bpe(word))
        return ids

    def tokenize(self, text: str, context: int) -> np.ndarray:
        """[start] + tokens + [end], cut to ``context`` (the end marker kept last) and zero-padded."""
        ids = [self.start, *self.encode(text)][: context - 1] + [self.end]
        out = np.zeros(context, dtype=np.int64)
        out[: len(ids)] = ids
        return out

    @functools.lru_cache(maxsize=10_000)
    def _bpe(self, word: str) -> tuple[str, ...]:
        """Merge the best-ranked adjacent pair until no known pair is left (the last symbol ends the word)."""
        parts = [*word[:-1], word[-1] + "</w>"]
        while len(parts) > 1:
            pairs = set(zip(parts, parts[1:]))
            best = min(pairs, key=lambda pair: self.ranks.get(pair, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(parts):
                if i < len(parts) - 1 and (parts[i], parts[i + 1]) == best:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        return tuple(parts)


def find_vocab(weights_path: str | Path) -> Path:
    """The BPE vocabulary beside the weights file, or in the weights cache; the error says where to put it."""
    from .backbones import hub_weights_file

    candidates = [Path(weights_path).parent / VOCAB_NAME, hub_weights_file(VOCAB_URL)]
    for path in candidates:
        if path.is_file():
            return path
    raise BackboneError(f"CLIP's tokenizer vocabulary {VOCAB_NAME} is in neither {str(candidates[0].parent)!r} "
                        f"nor {str(candidates[1].parent)!r}; download it from {VOCAB_URL} into one of them")


class ClipTextEncoder:
    """Text -> L2-normalised CLIP embedding (float32), comparable by cosine with CLIP image embeddings."""

    def __init__(self, weights_path: str | Path, vocab_path: str | Path | None = None):
        from .torch_models import load_state

        self.tokenizer = BpeTokenizer(vocab_path or find_vocab(weights_path))
        self.model = build_text_tower(load_state(str(weights_path)), str(weights_path))
        vocab = self.model.token_embedding.num_embeddings
        if vocab < len(self.tokenizer.encoder):
            raise BackboneError(f"{VOCAB_NAME} has {len(self.tokenizer.encoder):,} tokens but the checkpoint's "
                                f"text tower only {vocab:,}; use the vocabulary published with the weights")

    def __call__(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def encode(self, texts: list[str], batch: int = 256) -> np.ndarray:
        """(len(texts), dim) L2-normalised embeddings, a batch of sentences at a time."""
        import torch

        out = []
        for start in range(0, len(texts), batch):
            tokens = np.stack([self.tokenizer.tokenize(t, self.model.context) for t in texts[start:start + batch]])
            with torch.inference_mode():
                vectors = self.model(torch.from_numpy(tokens)).numpy().astype(np.float64)
            out.append(vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12))
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, self.model.text_projection.shape[1]), np.float32)


PROMPT = "a photo of a {}"  # CLIP's own zero-shot prompt for one word


def word_embeddings(weights_path: str | Path, words: list[str]) -> np.ndarray:
    """Each word's CLIP embedding (``PROMPT``), computed once per checkpoint and vocabulary and kept in
    the cache folder: the 1,800-word naming vocabulary takes the text tower a while on a CPU."""
    import hashlib

    from ..cache_dir import cache_dir
    from ..fileio import file_sha256, write_npy

    key = hashlib.sha256("\n".join([PROMPT, *words]).encode()).hexdigest()[:12]
    path = cache_dir() / "clip-words" / f"{file_sha256(weights_path)[:12]}-{key}.npy"
    if path.is_file():
        return np.load(path, allow_pickle=False)
    vectors = ClipTextEncoder(weights_path).encode([PROMPT.format(w) for w in words])
    write_npy(path, vectors)
    return vectors


def build_text_tower(state: dict, source: str = "checkpoint"):
    """The text tower with the checkpoint's tensors; sizes come from the tensors themselves."""
    needed = ("token_embedding.weight", "positional_embedding", "ln_final.weight", "text_projection")
    if any(key not in state for key in needed):
        raise BackboneError(f"{source!r} has no CLIP text tower (it lacks {', '.join(k for k in needed if k not in state)}); "
                            "text search needs the full OpenAI CLIP checkpoint (ViT-B-32.pt), not the image tower alone")
    layers = len({k.split(".")[2] for k in state if k.startswith("transformer.resblocks.")})
    width = state["ln_final.weight"].shape[0]
    model = ClipTextTransformer(vocab=state["token_embedding.weight"].shape[0],
                                context=state["positional_embedding"].shape[0], width=width, layers=layers,
                                heads=max(width // 64, 1), output_dim=state["text_projection"].shape[1])
    own = model.state_dict().keys()
    missing = sorted(set(own) - set(state))
    if missing:
        raise BackboneError(f"{source!r} is not a CLIP checkpoint: its text tower lacks {len(missing)} tensors "
                            f"({', '.join(missing[:3])}, ...); pass the published weights")
    model.load_state_dict({k: v.float() for k, v in state.items() if k in own})  # CLIP ships fp16
    return model.eval()


def ClipTextTransformer(vocab: int, context: int, width: int, layers: int, heads: int, output_dim: int):
    """OpenAI CLIP's text tower (top-level keys of its checkpoint), built on first use: torch loads lazily."""
    import torch
    from torch import nn

    from .architectures import ClipBlock

    class CausalBlock(ClipBlock):
        """A CLIP block whose tokens only attend to earlier tokens, as in CLIP's text model."""

        def forward(self, x):  # (L, N, D)
            mask = torch.full((len(x), len(x)), float("-inf"), device=x.device).triu(1)
            y = self.ln_1(x)
            x = x + self.attn(y, y, y, need_weights=False, attn_mask=mask)[0]
            return x + self.mlp(self.ln_2(x))

    class Tower(nn.Module):
        def __init__(self):
            super().__init__()
            self.context = context
            self.token_embedding = nn.Embedding(vocab, width)
            self.positional_embedding = nn.Parameter(torch.zeros(context, width))
            self.transformer = nn.Module()
            self.transformer.resblocks = nn.Sequential(*[CausalBlock(width, heads) for _ in range(layers)])
            self.ln_final = nn.LayerNorm(width)
            self.text_projection = nn.Parameter(torch.zeros(width, output_dim))

        def forward(self, tokens):  # (N, context) int64 -> (N, output_dim)
            x = self.token_embedding(tokens) + self.positional_embedding
            x = self.transformer.resblocks(x.transpose(0, 1)).transpose(0, 1)
            x = self.ln_final(x)
            return x[torch.arange(len(x)), tokens.argmax(dim=-1)] @ self.text_projection  # the end marker

    return Tower()
