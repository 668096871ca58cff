"""`imgorg` entry point: builds the typer app from one module per command."""

from __future__ import annotations

import logging

import typer

from ..errors import ImgorgError
from ..version import __version__
from . import add as add_command
from . import backbones as backbones_command
from . import classify as classify_command
from . import clusters as clusters_command
from . import compare as compare_command
from . import embed as embed_command
from . import duplicates as duplicates_command
from . import export as export_command
from . import index as index_command
from . import inspect as inspect_command
from . import map as map_command
from . import outliers as outliers_command
from . import people as people_command
from . import person as person_command
from . import places as places_command
from . import report as report_command
from . import review as review_command
from . import run as run_command
from . import search as search_command
from . import serve as serve_command
from .console import errors, print_error

app = typer.Typer(
    name="imgorg",
    help="Organize a pile of unlabeled images by what they show.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("run")(run_command.run)
app.command("embed")(embed_command.embed_command)
app.command("compare")(compare_command.compare)
app.command("serve")(serve_command.serve)
app.command("map")(map_command.map_command)
app.command("report")(report_command.report)
app.command("backbones")(backbones_command.backbones)
app.command("index")(index_command.index_command)
app.command("search")(search_command.search)
app.command("duplicates")(duplicates_command.duplicates)
app.command("outliers")(outliers_command.outliers)
app.command("classify")(classify_command.classify_command)
app.command("inspect")(inspect_command.inspect_command)
app.command("export")(export_command.export_command)
app.command("clusters")(clusters_command.clusters_command)
app.command("add")(add_command.add_command)
app.command("review")(review_command.review_command)
app.command("places")(places_command.places_command)
app.add_typer(person_command.app, name="person")
app.command("people")(people_command.people_command)


def _print_version(value: bool) -> None:
    """Runs while the options are parsed: before click asks for a command."""
    if value:
        typer.echo(f"imgorg {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True,
                                 callback=_print_version),
) -> None:
    """Organize a pile of unlabeled images by what they show."""


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except ImgorgError as err:
        print_error(str(err))
        raise SystemExit(2) from None
    except SystemExit as exit_:
        if exit_.code == INTERRUPTED:  # typer turns Ctrl-C into this exit code, silently
            errors.print(INTERRUPTED_MESSAGE, highlight=False, markup=False)
        raise


INTERRUPTED = 130
INTERRUPTED_MESSAGE = ("interrupted: run the same command again to go on; images already embedded are cached "
                       "in the workspace and not embedded again")


if __name__ == "__main__":
    main()
