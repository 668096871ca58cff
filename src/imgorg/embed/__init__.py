"""Embedding: backbones named by id, runners (ONNX Runtime on a CPU, torch on a GPU), the local
and Ray engines, and the cache of embeddings by file content.

    embed_catalog(root, catalog, EmbedConfig(...), cache_root)   every image of a catalog
    ImageEmbedder(EmbedConfig(...))(image_bytes)                 one image, as a run embeds it
"""

from .backbones import BACKBONES, COMBINE, DEFAULT_BACKBONE, BackboneSpec, get_backbone, preprocess_for, split_backbones
from .cache import EmbeddingCache, cache_key
from .decode import decode_file
from .engine import EmbedResult, embed_catalog
from .preprocess import Preprocess, load_and_prepare
from .runners import OnnxRunner, TorchRunner, default_runner, resolve_device
from .single import ImageEmbedder

__all__ = [
    "BACKBONES", "COMBINE", "DEFAULT_BACKBONE", "BackboneSpec", "EmbedResult", "EmbeddingCache", "ImageEmbedder",
    "OnnxRunner", "Preprocess", "TorchRunner", "cache_key", "decode_file", "default_runner", "embed_catalog",
    "get_backbone", "load_and_prepare", "preprocess_for", "resolve_device", "split_backbones",
]
