"""Embedding: backbones named by id, runners (ONNX Runtime on a CPU, torch on a GPU), the local
and Ray engines, and the cache of embeddings by file content.

    embed_catalog(root, catalog, EmbedConfig(...), cache_root)   every image of a catalog
    ImageEmbedder(EmbedConfig(...))(image_bytes)                 one image, as a run embeds it
"""

from __future__ import annotations

from ..lazy import lazy_exports

# Loaded on first use (PEP 562): the backbone registry alone does not import the engine, torch or scikit-learn.
_WHERE = {
    "BACKBONES": "backbones", "COMBINE": "backbones", "DEFAULT_BACKBONE": "backbones", "BackboneSpec": "backbones",
    "get_backbone": "backbones", "preprocess_for": "backbones", "split_backbones": "backbones",
    "EmbeddingCache": "cache", "cache_key": "cache", "decode_file": "decode", "EmbedResult": "engine",
    "embed_catalog": "engine", "Preprocess": "preprocess", "load_and_prepare": "preprocess",
    "OnnxRunner": "runners", "TorchRunner": "runners", "default_runner": "runners", "resolve_device": "runners",
    "ImageEmbedder": "single",
}

__all__ = [
    "BACKBONES", "COMBINE", "DEFAULT_BACKBONE", "BackboneSpec", "EmbedResult", "EmbeddingCache", "ImageEmbedder",
    "OnnxRunner", "Preprocess", "TorchRunner", "cache_key", "decode_file", "default_runner", "embed_catalog",
    "get_backbone", "load_and_prepare", "preprocess_for", "resolve_device", "split_backbones",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
