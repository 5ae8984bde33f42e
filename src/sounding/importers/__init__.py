"""``sounding import``: stream a file of posts and comments into the store, batch by batch.

Formats are registered in :data:`FORMATS` by plugins (:mod:`sounding.plugins`; the built-ins are
the plugin :mod:`sounding.importers.builtin`). Good rows are kept, bad rows go to a rejects file with
their line and reason, and each batch is one transaction: a killed import is simply run again.
Every row read is stored, already stored, or rejected: a value the store refuses is found by
splitting its batch and set aside alone, and a damaged file keeps every row before the damage.
"""

from __future__ import annotations

import gc
import json
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson

from sounding.errors import InputError, UsageError
from sounding.importers.base import Format, Row
from sounding.importers.rejects import FIRST_REJECTS, RejectsFile, check_rejects_path, default_path
from sounding.records import CommentRecord, PostRecord
from sounding.store import Store
from sounding.store.writer import ValueRefused

__all__ = ["BATCH_SIZE", "FORMATS", "ImportReport", "check_rejects_path", "detect", "import_file", "import_files",
           "resolve_format"]

BATCH_SIZE = 50_000  # rows per transaction: per-batch costs (lookups, commit) fall with size; ~380 MB peak at 1 M rows
MAX_DEFERRED = 100_000  # replies kept in memory while waiting for a parent later in the file
GC_EVERY = 50  # batches between garbage collections during an import (2.5 M rows)
BYTES_PER_ROW = 300  # a generous row size: estimates how many rows a file holds from its size

FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> None:
    FORMATS[fmt.name] = fmt


def _load_plugins() -> None:
    from sounding import plugins

    for fmt in plugins.importers():
        FORMATS.setdefault(fmt.name, fmt)


_load_plugins()


def detect(path: Path) -> Format:
    """The first registered format that recognises the file (specific exports before generic)."""
    for fmt in FORMATS.values():
        try:
            if fmt.matches(path):
                return fmt
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    names = ", ".join(FORMATS)
    raise UsageError(f"cannot tell the format of {path.name}; pass --format (one of: {names})")


def resolve_format(path: Path, format_name: str | Format | None = None) -> Format:
    """The named format (or the format itself, e.g. a spreadsheet with a ``--map``), or the detected
    one; :class:`UsageError` listing the formats otherwise."""
    if format_name is None:
        return detect(path)
    if not isinstance(format_name, str):
        return format_name
    if format_name not in FORMATS:
        raise UsageError(f"unknown format {format_name!r}; one of: {', '.join(FORMATS)}")
    return FORMATS[format_name]


@dataclass
class ImportReport:
    """What an import did: rows read, new rows per kind, duplicates skipped, rejects."""

    path: str
    format: str
    note: str | None = None  # what the format cannot hold (e.g. no audience comments), said once
    read: int = 0
    new: dict[str, int] = field(default_factory=lambda: {"posts": 0, "comments": 0, "reactions": 0, "polls": 0})
    rejected: int = 0
    rejects_path: str | None = None
    first_rejects: list[dict] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.read - self.rejected - self.new["posts"] - self.new["comments"]

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "format": self.format,
            "note": self.note,
            "read": self.read,
            "new": self.new,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejects_path": self.rejects_path,
            "first_rejects": self.first_rejects,
        }


class _Rejects:
    """One file's rejected rows: into the command's rejects file, counted in its report."""

    def __init__(self, source: Path, sink: RejectsFile, report: ImportReport) -> None:
        self.source, self.sink, self.report = source, sink, report

    def add(self, line: int, error: str, raw: str) -> None:
        self.sink.add(self.source, line, error, raw)
        self.report.rejects_path = str(self.sink.target)
        self.report.rejected += 1
        if len(self.report.first_rejects) < FIRST_REJECTS:
            self.report.first_rejects.append({"line": line, "error": error})


def import_files(
    store: Store,
    paths: Sequence[Path],
    format_name: str | Format | None = None,
    rejects_path: Path | None = None,
    *,
    force: bool = False,
    on_progress: Callable[[Path, int], None] | None = None,
    on_report: Callable[[ImportReport], None] | None = None,
) -> list[ImportReport]:
    """Import files in order, with every check done before the first row is written.

    One ``rejects_path`` collects the rejects of all files; without it each file's go beside it.
    """
    paths = [Path(path) for path in paths]
    formats = [resolve_format(path, format_name) for path in paths]
    targets = [rejects_path] if rejects_path is not None else [default_path(path) for path in paths]
    for target in targets:
        check_rejects_path(target, paths, store, force=force, explicit=rejects_path is not None)
    sinks = {target: RejectsFile(target) for target in targets}
    reports = []
    try:
        for path, fmt in zip(paths, formats, strict=True):
            sink = sinks[rejects_path if rejects_path is not None else default_path(path)]
            progress = (lambda n, p=path: on_progress(p, n)) if on_progress else None
            report = _import_one(store, path, fmt, sink, progress)
            reports.append(report)
            if on_report:
                on_report(report)
    finally:
        for sink in sinks.values():
            sink.close()
    return reports


def import_file(
    store: Store,
    path: Path,
    format_name: str | Format | None = None,
    rejects_path: Path | None = None,
    on_progress: Callable[[int], None] | None = None,
    *,
    force: bool = False,
) -> ImportReport:
    """Import one file; ``on_progress`` gets the number of rows handled since the last call."""
    progress = (lambda _path, n: on_progress(n)) if on_progress else None
    return import_files(store, [path], format_name, rejects_path, force=force, on_progress=progress)[0]


@dataclass
class _Damage:
    """Where a file stopped being readable (a truncated or corrupt gzip stream, a read error)."""

    after_line: int = 0
    reason: str | None = None


def _readable(rows: Iterator[Row], damage: _Damage) -> Iterator[Row]:
    """The rows up to the first read error; the error is kept in ``damage`` instead of raised."""
    try:
        for row in rows:
            damage.after_line = max(damage.after_line, row.line)
            yield row
    except (OSError, EOFError, zlib.error) as exc:
        damage.reason = _read_error(exc)


def _read_error(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, EOFError) or "end-of-stream" in text:
        return "the compressed file ends early (truncated)"
    if "Not a gzipped file" in text:
        return "it is not a gzip file"
    if isinstance(exc, zlib.error) or "CRC" in text or "decompress" in text.lower():
        return "the compressed data is corrupt"
    return f"read error ({getattr(exc, 'strerror', None) or type(exc).__name__})"


def _import_one(
    store: Store, path: Path, fmt: Format, sink: RejectsFile, on_progress: Callable[[int], None] | None
) -> ImportReport:
    report = ImportReport(path=str(path), format=fmt.name, note=getattr(fmt, "note", None))
    rejects = _Rejects(path, sink, report)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    damage = _Damage()
    deferred: list[Row] = []
    collecting = gc.isenabled()
    # Automatic full collections walk every cached id again and again (a third of the import time).
    # A batch's garbage is acyclic and freed by reference counting: collecting every fifth batch
    # found 38 unreachable objects the first time and none after, for 2 % of a 1 M-row import. A
    # full collection every GC_EVERY batches only bounds what a long import might leave.
    gc.disable()
    try:
        with store.bulk_load(expected_rows=size // BYTES_PER_ROW):
            for number, batch in enumerate(_batches(_readable(fmt.rows(path), damage), BATCH_SIZE), start=1):
                if number % GC_EVERY == 0:
                    gc.collect()
                report.read += len(batch)
                good = [row for row in batch if row.error is None]
                if len(good) < len(batch):
                    for row in batch:
                        if row.error is not None:
                            rejects.add(row.line, row.error, row.raw)
                deferred.extend(_write(store, good, report, rejects))
                if len(deferred) > MAX_DEFERRED:
                    deferred = _retry(store, deferred, report, rejects)
                    for row in deferred[: len(deferred) - MAX_DEFERRED]:
                        rejects.add(row.line, f"unknown parent {row.record.parent_id!r}", _raw(row))
                    deferred = deferred[len(deferred) - MAX_DEFERRED :]
                if on_progress:
                    on_progress(len(batch))
            for row in _retry(store, deferred, report, rejects):
                rejects.add(row.line, f"unknown parent {row.record.parent_id!r}", _raw(row))
    finally:
        if collecting:
            gc.enable()
    if damage.reason is not None:
        _damaged(path, damage, report, rejects)
    return report


def _damaged(path: Path, damage: _Damage, report: ImportReport, rejects: _Rejects) -> None:
    """Everything readable is written; say in one line where the file broke (the rest is one reject)."""
    if report.read == 0:
        raise InputError(f"cannot import {path}: {damage.reason}")
    report.read += 1
    rejects.add(damage.after_line + 1, f"the file cannot be read from here on: {damage.reason}", "")
    raise InputError(
        f"{path} is damaged after line {damage.after_line:,}: {damage.reason}. The {report.read - 1:,} rows "
        f"before it are handled ({report.new['posts'] + report.new['comments']:,} new, {report.duplicates:,} "
        f"already stored, {report.rejected - 1:,} rejected, in {rejects.sink.target}); "
        "the rest could not be read"
    )


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write(store: Store, rows: list[Row], report: ImportReport, rejects: _Rejects) -> list[Row]:
    """Write rows as one transaction; return the replies whose parent is not known yet.

    A value the store refuses fails the whole transaction: the rows are written again in halves
    until the row that holds it stands alone and is rejected (a cost paid only when it happens).
    """
    if not rows:
        return []
    try:
        result = store.write_records([row.record for row in rows])
    except ValueRefused as exc:
        if len(rows) == 1:
            rejects.add(rows[0].line, exc.message.replace("in this batch", "of this row"), _raw(rows[0]))
            return []
        middle = len(rows) // 2
        return _write(store, rows[:middle], report, rejects) + _write(store, rows[middle:], report, rejects)
    report.new = {k: report.new[k] + result.new[k] for k in report.new}
    return [rows[index] for index in sorted({index for index, _ in result.unresolved})]


def _retry(store: Store, deferred: list[Row], report: ImportReport, rejects: _Rejects) -> list[Row]:
    """Replies seen before their parent: write again until no more find one."""
    while deferred:
        still = []
        for start in range(0, len(deferred), BATCH_SIZE):
            still.extend(_write(store, deferred[start : start + BATCH_SIZE], report, rejects))
        if len(still) == len(deferred):
            return still
        deferred = still
    return deferred


def _raw(row: Row) -> str:
    """A good row set aside (unknown parent, refused value) as a JSONL line with all its fields,
    so the rejects file can be imported again once the parent is there."""
    record = row.record
    assert isinstance(record, (PostRecord, CommentRecord))
    fields = {"kind": "comment" if isinstance(record, CommentRecord) else "post"}
    for name in record.__slots__:
        value = getattr(record, name)
        if value is None or name == "account":
            continue
        fields[name] = value.isoformat() if isinstance(value, datetime) else value
    try:
        return orjson.dumps(fields).decode()
    except (orjson.JSONEncodeError, TypeError):  # lone surrogates, or a count beyond 64 bits
        return json.dumps(fields, ensure_ascii=True, default=str)
