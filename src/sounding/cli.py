"""The ``sounding`` command: a thin typer layer over :class:`sounding.api.Sounding`.

Built-in command groups register themselves exactly like plugins do: a module with
``register(app)``, listed in :data:`BUILTIN_COMMANDS` or exposed through the ``sounding.commands``
entry-point group.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Annotated

import typer

from sounding.config import DATABASE_ENV

BUILTIN_COMMANDS = (
    "sounding.commands.core",
    "sounding.commands.experiments",
    "sounding.commands.connectors",
    "sounding.commands.analysis",
    "sounding.commands.web",
)

app = typer.Typer(
    name="sounding",
    help="Learn from your audience: import conversations, find what people tell you, act on it.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
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
    ctx.obj = {"db": db}


def _register_all() -> None:
    for name in BUILTIN_COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command group not built yet
                continue
            raise
        module.register(app)
    for plugin in entry_points(group="sounding.commands"):
        plugin.load()(app)


_register_all()

if __name__ == "__main__":
    app()
