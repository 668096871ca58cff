"""`imgorg serve WORKSPACE`: the web app over a finished workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .console import console, escape


def serve(
    workspace: Annotated[Path, typer.Argument(help="A workspace made by `imgorg run`.")],
    host: Annotated[str, typer.Option(help="Interface to bind; 0.0.0.0 exposes the app to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 7860,
) -> None:
    """Browse clusters, the map, search by upload or id, compare methods."""
    try:
        import uvicorn

        from ..app import create_app

    except ImportError as err:
        raise typer.BadParameter(f"the app needs its extra ({err.name} is missing): pip install 'imgorg[app]'") from None
    app = create_app(workspace)
    console.print(f"imgorg app for [bold]{escape(str(workspace))}[/] at [bold]http://{escape(host)}:{port}/[/]  (API docs: /docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
