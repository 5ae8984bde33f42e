"""One plugin mechanism (pluggy, as in datasette) for commands, importers and connectors.

Built-ins and third-party plugins are loaded the same way; a plugin that fails to load, or whose
hook raises, costs one warning line on stderr and is skipped, so a broken plugin cannot break the
CLI. The older entry-point groups (``sounding.commands``, ``sounding.importers``,
``sounding.connectors``) still work: each entry there is wrapped as a plugin.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any

import pluggy

from sounding import hookspecs
from sounding.hookspecs import hookimpl
from sounding.terminal import visible

ENTRY_POINT_GROUP = "sounding"
BUILTIN_PLUGINS = (
    "sounding.commands",
    "sounding.importers.builtin",
    "sounding.connectors.base",
)

_manager: pluggy.PluginManager | None = None


def warn(message: str) -> None:
    sys.stderr.write(f"warning: {visible(message, newlines=False)}\n")


class _LegacyCommands:
    """An entry of the old ``sounding.commands`` group: ``callable(app)``."""

    def __init__(self, target: Callable[[Any], None]) -> None:
        self.target = target

    @hookimpl
    def register_commands(self, app: Any) -> None:
        self.target(app)


class _LegacyImporter:
    """An entry of the old ``sounding.importers`` group: a Format class."""

    def __init__(self, target: Callable[[], Any]) -> None:
        self.target = target

    @hookimpl
    def register_importers(self) -> list[Any]:
        return [self.target()]


class _LegacyConnector:
    """An entry of the old ``sounding.connectors`` group: ``name = "module:Class"``."""

    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value

    @hookimpl
    def register_connectors(self) -> dict[str, Any]:
        return {self.name: self.value}


def _load_plugins(pm: pluggy.PluginManager) -> None:
    for name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as exc:  # noqa: BLE001 - any failure of someone else's code
            warn(f"plugin {ep.name!r} could not be loaded ({type(exc).__name__}: {exc}); skipped")
    legacy = {
        "sounding.commands": lambda ep: _LegacyCommands(ep.load()),
        "sounding.importers": lambda ep: _LegacyImporter(ep.load()),
        "sounding.connectors": lambda ep: _LegacyConnector(ep.name, ep.value),
    }
    for group, wrap in legacy.items():
        for ep in entry_points(group=group):
            try:
                pm.register(wrap(ep), name=f"{group}:{ep.name}")
            except Exception as exc:  # noqa: BLE001
                warn(f"plugin {ep.name!r} ({group}) could not be loaded ({type(exc).__name__}: {exc}); skipped")


def manager() -> pluggy.PluginManager:
    """The plugin manager, loaded on first use."""
    global _manager
    if _manager is None:
        pm = pluggy.PluginManager("sounding")
        pm.add_hookspecs(hookspecs)
        _load_plugins(pm)
        _manager = pm
    return _manager


def _call_each(hook_name: str, **kwargs: Any) -> Iterator[Any]:
    """Each plugin's result of one hook, built-ins first; a hook that raises is warned about and skipped."""
    pm = manager()
    impls = getattr(pm.hook, hook_name).get_hookimpls()
    for impl in sorted(impls, key=lambda i: i.plugin_name not in BUILTIN_PLUGINS):
        try:
            result = impl.function(**kwargs)
        except Exception as exc:  # noqa: BLE001
            if impl.plugin_name in BUILTIN_PLUGINS:
                raise
            warn(f"plugin {impl.plugin_name!r} failed in {hook_name} ({type(exc).__name__}: {exc}); skipped")
            continue
        if result is not None:
            yield result


def register_commands(app: Any) -> None:
    """Let every plugin add its commands to ``app``."""
    for _ in _call_each("register_commands", app=app):
        pass


def importers() -> list[Any]:
    """Every import format, built-ins first (specific exports before generic ones)."""
    return [fmt for formats in _call_each("register_importers") for fmt in formats]


def connectors() -> dict[str, Any]:
    """Platform name -> connector class or ``"module:Class"``; a built-in name is never overridden."""
    out: dict[str, Any] = {}
    for found in _call_each("register_connectors"):
        for name, target in found.items():
            out.setdefault(name, target)
    return out
