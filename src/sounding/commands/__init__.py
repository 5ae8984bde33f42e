"""Command groups of the CLI; each module exposes ``register(app)``."""

from __future__ import annotations

import typer

from sounding.api import Sounding


def open_api(ctx: typer.Context) -> Sounding:
    """The API object over the store chosen with ``--db`` / ``SOUNDING_DATABASE_URL``."""
    root = ctx.find_root()
    return Sounding((root.obj or {}).get("db"))
