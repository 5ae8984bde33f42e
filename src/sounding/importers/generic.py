"""Sounding's own import formats: JSONL (one object per line) and CSV (header row), same fields.

Files are read as bytes line by line, so memory stays flat and a line with invalid UTF-8 is rejected
on its own instead of failing the whole file. ``.gz`` files are read transparently. A UTF-8 byte
order mark at the start is skipped. CSV records are split by the csv module itself (strict quoting);
a quote that is never closed costs only its own line.
"""

from __future__ import annotations

import csv
import gzip
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import orjson

from sounding.errors import InputError
from sounding.importers.base import REQUIRED, Row, RowError, record_from_fields
from sounding.importers.sheet_presets import map_hint
from sounding.records import Record


def open_binary(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _stem_suffix(path: Path) -> str:
    return Path(path.stem).suffix if path.suffix == ".gz" else path.suffix


def decode(raw: bytes) -> str:
    """Strict UTF-8; the error names the byte offset so a user can find the bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RowError(f"invalid UTF-8 at byte {exc.start} of the line") from None


def _utf8_error(raw: bytes) -> str | None:
    try:
        decode(raw)
    except RowError as exc:
        return str(exc)
    return None


def shown(raw: bytes) -> str:
    """The raw line as text for the rejects file, with undecodable bytes escaped, not dropped."""
    return raw.decode("utf-8", "backslashreplace").rstrip("\r\n")


class JsonLines:
    name = "jsonl"
    description = "Sounding JSONL: one object per line with kind, platform, id, parent_id, author, text, created_at…"

    def matches(self, path: Path) -> bool:
        return _stem_suffix(path) in {".jsonl", ".ndjson"}

    def rows(self, path: Path) -> Iterator[Row]:
        with open_binary(path) as handle:
            for number, raw in enumerate(handle, start=1):
                if number == 1 and raw.startswith(BOM):
                    raw = raw[len(BOM) :]
                try:  # orjson checks the UTF-8 itself; decoding first would copy every line
                    fields = orjson.loads(raw)
                except orjson.JSONDecodeError as exc:
                    if raw.strip():  # a blank line is skipped; a bad one says why (a bad byte by its offset)
                        yield Row(number, shown(raw), error=_utf8_error(raw) or f"invalid JSON: {exc}")
                    continue
                try:
                    yield Row(number, "", record=record_from_fields(fields))
                except RowError as exc:
                    yield Row(number, shown(raw), error=str(exc))


class Csv:
    name = "csv"
    description = "Sounding CSV: a header row naming the same fields as the JSONL format"

    def matches(self, path: Path) -> bool:
        return _stem_suffix(path) == ".csv"

    def rows(self, path: Path) -> Iterator[Row]:
        names = header_names(path)
        if names and (missing := [f for f in REQUIRED if f not in names]):
            columns = [n for n in header_names(path, lower=False) if n]
            raise InputError(f"{path.name} is not a Sounding CSV (no column {', '.join(missing)}); {map_hint(columns)}")
        yield from csv_rows(path, record_from_fields)


def header_names(path: Path, lower: bool = True) -> list[str]:
    """The first line's column names, stripped (lower case unless ``lower`` is false); ``[]`` when unreadable."""
    with open_binary(path) as handle:
        first = handle.readline(65_536)
    try:
        names = next(csv.reader([first.removeprefix(BOM).decode("utf-8", "replace")]), [])
    except csv.Error:
        return []
    return [n.strip().lower() if lower else n.strip() for n in names]


def csv_rows(
    path: Path, build: Callable[[dict[str, str]], Record | list[Record] | None], escapechar: str | None = None
) -> Iterator[Row]:
    """Rows of a CSV file with a header: ``build`` turns one record's fields into a record, several
    (all from this line) or ``None`` (skipped); ``escapechar`` for exports escaping quotes with ``\\``."""
    with open_binary(path) as handle:
        records = csv_records(handle, escapechar)
        header = csv_header(path, records)
        if header is None:
            return
        for line, raw, values, error in records:
            if error is not None:
                yield Row(line, shown(raw), error=error)
            elif len(values) != len(header):
                yield Row(line, shown(raw), error=f"{len(values)} fields, header has {len(header)}")
            else:
                try:
                    record = build(dict(zip(header, values, strict=True)))
                except RowError as exc:
                    yield Row(line, shown(raw), error=str(exc))
                    continue
                if type(record) is list:
                    for one in record:
                        yield Row(line, "", record=one)
                elif record is not None:
                    yield Row(line, "", record=record)


BOM = b"\xef\xbb\xbf"


class _Lines:
    """Feeds decoded lines to the csv module and remembers which physical lines each record used.

    Undecodable lines are passed on with their bytes escaped (``surrogateescape``), so quotes in
    them still open and close fields and the bad record alone is rejected. Lines can be pushed
    back: after an unclosed quote only its first line is rejected and the rest is read again.
    """

    def __init__(self, handle: BinaryIO) -> None:
        self._source = enumerate(handle, start=1)
        self.pending: deque[tuple[int, bytes]] = deque()
        self.used: list[tuple[int, bytes]] = []
        self.bad: str | None = None

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.pending:
            number, raw = self.pending.popleft()
        else:
            number, raw = next(self._source)
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
        self.used.append((number, raw))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if self.bad is None:
                self.bad = f"invalid UTF-8 at byte {exc.start} of line {number}"
            return raw.decode("utf-8", "surrogateescape")

    def take(self) -> tuple[int, bytes, str | None]:
        """The record just read: its first line, its bytes, and its decoding error if any."""
        used, bad = self.used, self.bad
        self.used, self.bad = [], None
        first = used[0][0] if used else 0
        return first, used[0][1] if len(used) == 1 else b"".join(raw for _, raw in used), bad


def csv_records(
    handle: BinaryIO, escapechar: str | None = None
) -> Iterator[tuple[int, bytes, list[str] | None, str | None]]:
    """(first line, raw bytes, values or None, error or None) for each non-blank CSV record."""
    lines = _Lines(handle)
    reader = csv.reader(lines, strict=True, escapechar=escapechar)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            used = lines.used
            first, raw = used[0] if used else (0, b"")
            lines.used, lines.bad = [], None
            lines.pending.extendleft(reversed(used[1:]))  # read again: they were not this row's
            yield first, raw, None, _csv_error(exc)
            continue
        first, raw, bad = lines.take()
        if bad is not None:
            yield first, raw, None, bad
        elif any(values):
            yield first, raw, values, None


def csv_header(path: Path, records: Iterator[tuple[int, bytes, list[str] | None, str | None]]) -> list[str] | None:
    """Field names of the first record (lower case); :class:`InputError` when it is unreadable."""
    first = next(records, None)
    if first is None:
        return None
    line, _raw, values, error = first
    if error is not None:
        raise InputError(f"cannot read the header row (line {line}) of {path}: {error}")
    return [name.strip().lower() for name in values]


def _csv_error(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return "CSV: a quoted field is never closed (unclosed quote); this line is set aside, the next are read again"
    if "field larger than field limit" in text:
        return (f"CSV: a field is over {csv.field_size_limit():,} characters (or a quote is not closed); "
                "this line is set aside, the next are read again")
    return f"CSV: {text}"
