"""Command groups of the CLI; each module exposes ``register(app)``.

This package is itself the built-in commands plugin (:mod:`sounding.plugins`): its
``register_commands`` hook adds every group in :data:`BUILTIN_COMMANDS`, exactly as a third-party
plugin adds its own.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import typer

from sounding.hookspecs import hookimpl

if TYPE_CHECKING:
    from sounding.api import Sounding

BUILTIN_COMMANDS = (
    "sounding.commands.core",
    "sounding.commands.experiments",
    "sounding.commands.connectors",
    "sounding.commands.analysis",
    "sounding.commands.tally",
    "sounding.commands.act",
    "sounding.commands.web",
)


@hookimpl
def register_commands(app: typer.Typer) -> None:
    for name in BUILTIN_COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command group not built yet
                continue
            raise
        module.register(app)


def open_api(ctx: typer.Context) -> Sounding:
    """The API object over the store chosen with ``--db`` / ``SOUNDING_DATABASE_URL``."""
    from sounding.api import Sounding

    root = ctx.find_root()
    return Sounding((root.obj or {}).get("db"))
