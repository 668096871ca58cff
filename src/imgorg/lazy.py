"""Packages whose public names load on first use (PEP 562): a command imports only what it runs
(`imgorg duplicates --fast` needs neither scikit-learn nor torch)."""

from __future__ import annotations

import importlib


def lazy_exports(package: str, where: dict[str, str], names: list[str]):
    """``(__getattr__, __dir__)`` for ``package``: ``where`` maps each name to the submodule (relative
    to the package) that defines it; a name once loaded is kept in the package's namespace."""
    def __getattr__(name: str):
        if name not in where:  # a submodule (``imgorg.curation``), imported as ``import imgorg.curation`` would
            try:
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as err:
                if err.name != f"{package}.{name}":
                    raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        module = importlib.import_module(package)
        value = getattr(importlib.import_module(f".{where[name]}", package), name)
        setattr(module, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(importlib.import_module(package))) | set(names))

    return __getattr__, __dir__
