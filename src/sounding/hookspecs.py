"""What a Sounding plugin can add: CLI commands, import formats, platform connectors.

A plugin is a module (or object) with functions marked ``@sounding.hookimpl`` and named like the
specs below, exposed through the entry-point group ``sounding``::

    [project.entry-points.sounding]
    my_plugin = "my_package.sounding_plugin"

The built-ins are registered the same way (:data:`sounding.plugins.BUILTIN_PLUGINS`).
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("sounding")
hookimpl = pluggy.HookimplMarker("sounding")


@hookspec
def register_commands(app: Any) -> None:
    """Add commands or command groups to the typer ``app``."""


@hookspec
def register_importers() -> list[Any]:
    """Import formats (:class:`sounding.importers.base.Format` instances) this plugin provides."""


@hookspec
def register_connectors() -> dict[str, Any]:
    """Platform name -> connector class (or a lazy ``"module:Class"`` string)."""
