"""The web app: a REST API and one page over a finished workspace. Nothing is recomputed."""

from .server import create_app

__all__ = ["create_app"]
