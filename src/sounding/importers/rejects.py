"""Where rejected rows go, and the checks that keep a rejects path from destroying data.

A rejects file is JSONL, one entry per rejected row: ``{"source", "line", "error", "raw"}``. It is
opened (truncated) at the first rejected row of a command, and every file of that command appends
to it. Before anything is read, :func:`check_rejects_path` refuses a path that is an input, the
store or its ``-wal``/``-shm``/``-journal``, not a regular file, in a missing folder or not writable,
and an existing file that is not an earlier rejects file of the same inputs unless ``force``.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path

import orjson

from sounding.errors import UsageError
from sounding.store import Store

FIRST_REJECTS = 20  # reasons kept in the report for a quick look; all are in the file
_OURS = re.compile(rb'^\{"source":("(?:[^"\\]|\\.)*"),"line":-?\d+,"error":')


def default_path(source: Path) -> Path:
    return source.with_name(source.name + ".rejects.jsonl")


def store_files(store: Store | None) -> list[Path]:
    """The files an SQLite store lives in (database, WAL, shared memory, rollback journal)."""
    if store is None or store.dialect != "sqlite" or not store.engine.url.database:
        return []
    database = store.engine.url.database
    if database == ":memory:" or database.startswith("file:"):
        return []
    return [Path(database + suffix) for suffix in ("", "-wal", "-shm", "-journal")]


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)  # also hard links and other spellings of one file
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _written_by_us(target: Path, inputs: Sequence[Path]) -> bool:
    """Is ``target`` a rejects file an earlier import of one of these inputs wrote?"""
    try:
        with open(target, "rb") as handle:
            head = handle.read(65_536)
    except OSError:
        return False
    match = _OURS.match(head)
    if match is None:
        return False
    try:
        source = Path(orjson.loads(match.group(1)))
    except orjson.JSONDecodeError:
        return False
    return any(_same(source, path) for path in inputs)


def check_rejects_path(
    target: Path, inputs: Sequence[Path], store: Store | None = None, force: bool = False, explicit: bool = True
) -> None:
    """Raise :class:`UsageError` unless rows can be set aside in ``target`` without harming anything.

    ``explicit`` is False for the default path beside an input: its folder is checked only when a
    row is rejected (importing a read-only sample that has no bad rows must work).
    """
    shown = f"--rejects {target}" if explicit else f"the rejects file {target}"
    for path in inputs:
        if _same(target, path):
            raise UsageError(f"{shown} is a file being imported; choose another rejects file")
    for path in store_files(store):
        if _same(target, path):
            raise UsageError(f"{shown} is a file of the store; choose another rejects file")
    try:
        info = os.stat(target)
    except FileNotFoundError:
        if target.is_symlink():
            raise UsageError(f"{shown} is a link to nothing; choose another rejects file") from None
        if explicit:
            folder = target.parent
            if not folder.is_dir():
                raise UsageError(f"{shown}: the folder {folder} does not exist") from None
            if not os.access(folder, os.W_OK | os.X_OK):
                raise UsageError(f"{shown}: cannot create a file in {folder}") from None
        return
    except OSError as exc:
        raise UsageError(f"{shown} cannot be used ({exc.strerror or type(exc).__name__})") from None
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{shown} is not a regular file (a folder, device or pipe); choose a file path")
    if not os.access(target, os.W_OK):
        raise UsageError(f"{shown} is not writable")
    if info.st_size and not force and not _written_by_us(target, inputs):
        raise UsageError(
            f"{shown} already exists and is not an earlier rejects file of this import",
            hint="pass --force to replace it, or choose another path",
        )


class RejectsFile:
    """One rejects file for a whole command: created at its first rejected row, appended to after."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.handle = None

    def add(self, source: Path, line: int, error: str, raw: str) -> None:
        if self.handle is None:
            try:
                self.handle = open(self.target, "wb")  # noqa: SIM115 - closed in close()
            except OSError as exc:
                raise UsageError(
                    f"cannot write rejected rows to {self.target} ({exc.strerror or type(exc).__name__})",
                    hint="pass --rejects PATH",
                ) from None
        entry = {"source": str(source), "line": line, "error": error, "raw": raw}
        try:
            data = orjson.dumps(entry)
        except orjson.JSONEncodeError:  # text with lone surrogates: escaped, not dropped
            data = json.dumps(entry, ensure_ascii=True, separators=(",", ":")).encode()
        self.handle.write(data + b"\n")

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
