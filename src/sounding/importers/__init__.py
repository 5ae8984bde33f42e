"""``sounding import``: stream a file of posts and comments into the store, batch by batch.

Formats are registered in :data:`FORMATS` by plugins (:mod:`sounding.plugins`; the built-ins are
the plugin :mod:`sounding.importers.builtin`). Good rows are kept, bad rows go to a rejects file with
their line and reason, and each batch is one transaction: a killed import is simply run again.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from sounding.importers.base import Format, Row
from sounding.records import CommentRecord
from sounding.store import Store

BATCH_SIZE = 20_000
MAX_DEFERRED = 100_000  # replies kept in memory while waiting for a parent later in the file
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
        if fmt.matches(path):
            return fmt
    names = ", ".join(FORMATS)
    raise ValueError(f"cannot tell the format of {path.name}; pass --format (one of: {names})")


@dataclass
class ImportReport:
    """What an import did: rows read, new rows per kind, duplicates skipped, rejects."""

    path: str
    format: str
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
            "read": self.read,
            "new": self.new,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejects_path": self.rejects_path,
            "first_rejects": self.first_rejects,
        }


class _Rejects:
    """Appends rejected rows (line, reason, raw text) as JSONL; opened only if something is rejected."""

    def __init__(self, source: Path, target: Path, report: ImportReport) -> None:
        self.source, self.target, self.report = source, target, report
        self.handle = None

    def add(self, line: int, error: str, raw: str) -> None:
        if self.handle is None:
            self.handle = open(self.target, "wb")  # noqa: SIM115 - closed in close()
            self.report.rejects_path = str(self.target)
        entry = {"source": str(self.source), "line": line, "error": error, "raw": raw}
        self.handle.write(orjson.dumps(entry) + b"\n")
        self.report.rejected += 1
        if len(self.report.first_rejects) < 20:
            self.report.first_rejects.append({"line": line, "error": error})

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def import_file(
    store: Store,
    path: Path,
    format_name: str | None = None,
    rejects_path: Path | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import one file; ``on_progress`` gets the number of rows handled since the last call."""
    fmt = FORMATS[format_name] if format_name else detect(path)
    report = ImportReport(path=str(path), format=fmt.name)
    rejects = _Rejects(path, rejects_path or path.with_name(path.name + ".rejects.jsonl"), report)
    deferred: list[Row] = []
    collecting = gc.isenabled()
    # Automatic full collections walk every cached id again and again (a third of the import time);
    # instead the young generations are collected every fifth batch (a batch's garbage is acyclic
    # and freed by reference counting; the collection only bounds the few cycles the driver leaves).
    gc.disable()
    try:
        with store.bulk_load(expected_rows=path.stat().st_size // BYTES_PER_ROW):
            for number, batch in enumerate(_batches(fmt.rows(path), BATCH_SIZE), start=1):
                if number % 5 == 0:
                    gc.collect(2 if number % 50 == 0 else 1)
                good = []
                for row in batch:
                    report.read += 1
                    if row.error is not None:
                        rejects.add(row.line, row.error, row.raw)
                    else:
                        good.append(row)
                deferred.extend(_write(store, good, report))
                if len(deferred) > MAX_DEFERRED:
                    deferred = _retry(store, deferred, report)
                    for row in deferred[: len(deferred) - MAX_DEFERRED]:
                        rejects.add(row.line, f"unknown parent {row.record.parent_id!r}", _raw(row))
                    deferred = deferred[len(deferred) - MAX_DEFERRED :]
                if on_progress:
                    on_progress(len(batch))
            for row in _retry(store, deferred, report):
                rejects.add(row.line, f"unknown parent {row.record.parent_id!r}", _raw(row))
    finally:
        rejects.close()
        if collecting:
            gc.enable()
    return report


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write(store: Store, rows: list[Row], report: ImportReport) -> list[Row]:
    """Write rows as one transaction; return the replies whose parent is not known yet."""
    if not rows:
        return []
    result = store.write_records([row.record for row in rows])
    report.new = {k: report.new[k] + result.new[k] for k in report.new}
    return [rows[index] for index in sorted({index for index, _ in result.unresolved})]


def _retry(store: Store, deferred: list[Row], report: ImportReport) -> list[Row]:
    """Replies seen before their parent: write again until no more find one."""
    while deferred:
        still = []
        for start in range(0, len(deferred), BATCH_SIZE):
            still.extend(_write(store, deferred[start : start + BATCH_SIZE], report))
        if len(still) == len(deferred):
            return still
        deferred = still
    return deferred


def _raw(row: Row) -> str:
    record = row.record
    assert isinstance(record, CommentRecord)
    return orjson.dumps(
        {
            "kind": "comment",
            "platform": record.platform,
            "id": record.id,
            "parent_id": record.parent_id,
            "author": record.author,
            "text": record.text,
            "created_at": record.created_at.isoformat(),
            "url": record.url,
            "ours": record.ours,
        }
    ).decode()
