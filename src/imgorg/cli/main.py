"""`imgorg` entry point: builds the typer app from one module per command."""

from __future__ import annotations

import importlib
import logging
import sys

import typer

from ..errors import ImgorgError
from ..version import __version__
from .console import errors, print_error

# command -> (module of imgorg.cli, its function; None: the module's own typer app of subcommands).
# Only the command asked for is imported: importing all of them (pandas, scikit-learn through the
# views) cost about 0.7 s before any command ran.
COMMANDS = {
    "run": ("run", "run"), "embed": ("embed", "embed_command"), "compare": ("compare", "compare"),
    "serve": ("serve", "serve"), "map": ("map", "map_command"), "report": ("report", "report"),
    "backbones": ("backbones", "backbones"), "index": ("index", "index_command"), "search": ("search", "search"),
    "duplicates": ("duplicates", "duplicates"), "outliers": ("outliers", "outliers"),
    "classify": ("classify", "classify_command"), "inspect": ("inspect", "inspect_command"),
    "export": ("export", "export_command"), "clusters": ("clusters", "clusters_command"),
    "add": ("add", "add_command"), "review": ("review", "review_command"), "places": ("places", "places_command"),
    "person": ("person", None), "people": ("people", "people_command"),
}


def build_app(only: str | None = None) -> typer.Typer:
    """The typer app with every command, or with ``only`` that one (what ``main`` runs)."""
    built = typer.Typer(name="imgorg", help="Organize a pile of unlabeled images by what they show.",
                        no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
    built.callback()(_root)
    for name, (module_name, function) in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"{__package__}.{module_name}")
        if function is None:
            built.add_typer(module.app, name=name)
        else:
            built.command(name)(getattr(module, function))
    return built


def __getattr__(name: str):
    """``app``, every command registered, built on first use (tests and ``python -m`` use it)."""
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _asked_command(argv: list[str]) -> str | None:
    """The command of a command line, when it names one of COMMANDS before any other word."""
    words = [word for word in argv if not word.startswith("-")]
    return words[0] if words and words[0] in COMMANDS else None


def _print_version(value: bool) -> None:
    """Runs while the options are parsed: before click asks for a command."""
    if value:
        typer.echo(f"imgorg {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True,
                                 callback=_print_version),
) -> None:
    """Organize a pile of unlabeled images by what they show."""


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        build_app(_asked_command(sys.argv[1:]))()
    except ImgorgError as err:
        print_error(str(err))
        raise SystemExit(2) from None
    except PermissionError as err:  # a read-only --out, workspace or export target: said, not a traceback
        print_error(f"cannot write {err.filename or 'there'}: {err.strerror or err}; give a folder you may "
                    "write to (or make this one writable)")
        raise SystemExit(2) from None
    except SystemExit as exit_:
        if exit_.code == INTERRUPTED:  # typer turns Ctrl-C into this exit code, silently
            errors.print(interrupted_message(_asked_command(sys.argv[1:])), highlight=False, markup=False)
        raise


INTERRUPTED = 130
# what a command interrupted keeps, so that running it again goes on from there
RESUMES = {"run": "images already embedded are cached in the workspace and not embedded again",
           "embed": "images already embedded are cached in the workspace and not embedded again",
           "add": "images already embedded are cached in the workspace and not embedded again",
           "people": "the faces of every 256 images looked at are cached and not looked for again"}


def interrupted_message(command: str | None) -> str:
    kept = RESUMES.get(command or "")
    return "interrupted: " + (f"run the same command again to go on; {kept}" if kept else
                              "what it was computing is not stored; run the same command again")


if __name__ == "__main__":
    main()
