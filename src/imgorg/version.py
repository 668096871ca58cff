"""The version of imgorg, in a module of its own so that every module can read it without a cycle."""

__version__ = "0.1.0"
