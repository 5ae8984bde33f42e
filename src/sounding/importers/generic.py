"""Sounding's own import formats: JSONL (one object per line) and CSV (header row), same fields.

Files are read as bytes line by line, so memory stays flat and a line with invalid UTF-8 is rejected
on its own instead of failing the whole file. ``.gz`` files are read transparently.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import orjson

from sounding.importers.base import Row, RowError, record_from_fields


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
                if not raw.strip():
                    continue
                try:
                    yield Row(number, "", record=record_from_fields(orjson.loads(decode(raw))))
                except orjson.JSONDecodeError as exc:
                    yield Row(number, shown(raw), error=f"invalid JSON: {exc}")
                except RowError as exc:
                    yield Row(number, shown(raw), error=str(exc))


class Csv:
    name = "csv"
    description = "Sounding CSV: a header row naming the same fields as the JSONL format"

    def matches(self, path: Path) -> bool:
        return _stem_suffix(path) == ".csv"

    def rows(self, path: Path) -> Iterator[Row]:
        with open_binary(path) as handle:
            lines = _located_lines(handle)
            reader = csv.reader(line for _, line in lines)
            header = next(reader, None)
            if header is None:
                return
            header = [name.strip().lower() for name in header]
            for values in reader:
                number = lines.current
                if lines.bad is not None:
                    yield Row(number, lines.bad_raw, error=lines.bad)
                    lines.bad = None
                    continue
                if not any(values):
                    continue
                if len(values) != len(header):
                    yield Row(number, _csv_line(values), error=f"{len(values)} fields, header has {len(header)}")
                    continue
                try:
                    yield Row(number, "", record=record_from_fields(dict(zip(header, values, strict=True))))
                except RowError as exc:
                    yield Row(number, _csv_line(values), error=str(exc))


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue().rstrip("\r\n")


class _located_lines:
    """Decodes lines for the csv module, remembering the line number and any undecodable line."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.current = 0
        self.bad: str | None = None
        self.bad_raw = ""

    def __iter__(self) -> Iterator[tuple[int, str]]:
        for number, raw in enumerate(self.handle, start=1):
            self.current = number
            try:
                yield number, decode(raw)
            except RowError as exc:
                self.bad, self.bad_raw = str(exc), shown(raw)
                yield number, "\n"
