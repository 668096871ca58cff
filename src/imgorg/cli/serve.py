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
    _check_port(host, port)  # said before the address is printed, not after it
    console.print(f"imgorg app for [bold]{escape(str(workspace))}[/] at [bold]http://{escape(host)}:{port}/[/]  (API docs: /docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _check_port(host: str, port: int) -> None:
    """A ConfigError when ``port`` cannot be bound on ``host`` (another app has it): uvicorn would print
    the address first and then fail."""
    import socket

    from ..errors import ConfigError

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as err:
            raise ConfigError(f"cannot serve on {host}:{port} ({err.strerror or err}): another program has the "
                              "port; pass --port N") from None
