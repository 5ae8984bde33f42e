"""The ``sounding`` command: a thin typer layer over :class:`sounding.api.Sounding`.

Command groups are plugins (:mod:`sounding.plugins`): the built-ins register exactly as a
third-party package does. This module is also the CLI's one error boundary
(:class:`BoundaryGroup`): a :class:`~sounding.errors.SoundingError` becomes one ``error: …`` line
and its kind's exit code; anything else becomes one ``internal error`` line, its traceback going
to a log file, never to the terminal.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from sounding.config import DATABASE_ENV
from sounding.errors import (
    INTERNAL_EXIT_CODE,
    UsageError,
    error_line,
    internal_error_line,
    log_internal_error,
    translate,
)


#: the widest integer both stores keep (a BIGINT); larger ids and counts are refused up front
MAX_INTEGER = 2**63 - 1


def _check_integers(callback: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse integer arguments no store column can hold, before the command runs."""

    @functools.wraps(callback)
    def checked(*args: Any, **params: Any) -> Any:
        for name, value in params.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            for number in values:
                if isinstance(number, int) and not isinstance(number, bool) and abs(number) > MAX_INTEGER:
                    option = name.replace("_", "-")
                    shown = str(number) if len(str(number)) <= 24 else f"{str(number)[:24]}…"
                    raise UsageError(f"{option}: {shown} is too large (at most {MAX_INTEGER})")
        return callback(*args, **params)

    return checked


def _guard(command: Any) -> None:
    if command.callback is not None and not getattr(command.callback, "_sounding_checked", False):
        command.callback = _check_integers(command.callback)
        command.callback._sounding_checked = True  # type: ignore[attr-defined]
    for sub in getattr(command, "commands", {}).values():
        _guard(sub)


class BoundaryGroup(TyperGroup):
    """The root group: runs the chosen command and turns what it raises into one line and an exit code.

    Sitting in ``invoke`` (not only in :func:`main`), it also covers ``CliRunner.invoke(app, …)``.
    Click's own exits (``--help``, usage errors with exit 2, ``typer.Exit``, Ctrl-C) pass through.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            _guard(command)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException, BrokenPipeError):
            raise  # click's exits and usage errors; a closed pipe (`| head`) is typer's to handle
        except Exception as exc:  # noqa: BLE001 - the boundary: nothing else may reach the terminal
            known = translate(exc)
            if known is not None:
                typer.echo(error_line(known), err=True)
                raise typer.Exit(known.exit_code) from None
            typer.echo(internal_error_line(exc, log_internal_error(exc, sys.argv)), err=True)
            raise typer.Exit(INTERNAL_EXIT_CODE) from None


app = typer.Typer(
    name="sounding",
    cls=BoundaryGroup,
    help="Learn from your audience: import conversations, find what people tell you, act on it.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar=DATABASE_ENV,
            help="Database URL (sqlite:///…, postgresql+psycopg://…) or SQLite file path. "
            "Default: ~/.local/share/sounding/sounding.db.",
        ),
    ] = None,
) -> None:
    from sounding.connectors.secrets import setup_logging

    setup_logging()  # warnings to stderr, known secrets redacted, from every command
    if db is not None and not db.strip():
        raise UsageError("--db is empty: give a SQLite file path or a database URL, or leave --db out")
    ctx.obj = {"db": db}


def _register_all() -> None:
    from sounding import plugins

    plugins.register_commands(app)


_register_all()


def main() -> None:
    """The console script. Errors inside a command are handled by :class:`BoundaryGroup`; this guard
    catches the rest (a bug while parsing, a plugin's command that breaks before it runs)."""
    try:
        app()
    except Exception as exc:  # noqa: BLE001
        typer.echo(internal_error_line(exc, log_internal_error(exc, sys.argv)), err=True)
        sys.exit(INTERNAL_EXIT_CODE)


if __name__ == "__main__":
    main()
