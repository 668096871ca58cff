"""A small exception tree. Every message states the value, the rule and the fix."""

from __future__ import annotations


class ImgorgError(Exception):
    """Base class of every error imgorg raises on purpose."""


class ConfigError(ImgorgError, ValueError):
    """A parameter has a value outside its rule."""


class SourceError(ImgorgError):
    """The source of images cannot be read (missing folder, no images)."""


class TooFewImagesError(SourceError):
    """Too few files of a source can be decoded: none to embed, or fewer than two to cluster or compare."""


class DatasetError(SourceError):
    """A named dataset is unknown, or its archive is missing, corrupt or cannot be downloaded."""


class ImageDecodeError(ImgorgError):
    """One image could not be decoded; ``reason`` is short and stored in the catalog."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BackboneError(ImgorgError):
    """A backbone id is unknown or its weights cannot be found."""


class WorkspaceError(ImgorgError):
    """A workspace is missing, locked, tampered with or of an unknown format."""
