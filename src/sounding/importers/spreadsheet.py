"""Any comment spreadsheet (CSV or XLSX), one row per comment, mapped column by column.

``sounding import FILE --map text=Comment,author=Name,created_at=Date,likes=Likes,reply_to=Parent``
names which column holds which field; ``--preset NAME`` uses a documented export layout
(:data:`sounding.importers.sheet_presets.PRESETS`); a file whose header fits exactly one preset is
recognised without either. Fields:

* ``text``, ``author``, ``created_at`` (required); ``id`` (else a stable hash of post, author,
  time and text, so importing again adds nothing); ``likes``, ``replies``, ``views``; ``url``;
  ``reply_to`` (the ``id`` of the comment replied to); ``post`` (the post's id or URL per row);
  ``post_text``; ``ours`` (a yes/no column); ``lang``.
* Not columns: ``date_order=DMY|MDY|YMD`` for dates like 03/04/2026 (otherwise read from the
  column: a first number above 12 means day first), ``sheet=NAME`` (XLSX sheet; default the
  first), ``header=N`` (the header's row; default: the first row holding the mapped columns).

Without a ``post`` column or ``--post``, the comments hang from one post per file
(``sheet:<file name>``), ours. Dates are read in the sheet's own format (dateutil), Excel dates as
cells or serial numbers; a date without a zone is UTC. Counts accept ``1,234`` and ``1.2K``.
CSV: UTF-8 (with or without BOM), else Windows-1252; the delimiter (``,;\\t|``) is sniffed.
A bad row is set aside with its line (the CSV line where it starts, or the XLSX row number).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dateutil import parser as dateparser

from sounding.errors import InputError, UsageError
from sounding.importers.base import MAX_ID, MAX_TEXT, Row, RowError
from sounding.importers.sheet_presets import PRESETS, Preset, map_hint
from sounding.records import CommentRecord, PostRecord

FIELDS = ("text", "author", "created_at", "id", "likes", "replies", "views", "url", "reply_to", "post",
          "post_text", "ours", "lang")
OPTIONS = ("date_order", "sheet", "header")
REQUIRED = ("text", "author", "created_at")
SAMPLE = 1000  # rows read ahead to tell the date order
NUMERIC_DATE = re.compile(r"^\s*(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})")
COUNT = re.compile(r"^([0-9][0-9,.\s]*)([kKmM]?)$")


@dataclass
class Mapping:
    """Which column (header text) holds which field, plus constants from the command line."""

    columns: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    platform: str = "sheet"
    post: str | None = None
    ours_author: str | None = None
    all_ours: bool = False  # exports of our own words


def parse_map(spec: str) -> tuple[dict[str, str], dict[str, str]]:
    """``text=Comment,author=Name`` → ({field: column}, {option: value}); UsageError when unclear."""
    columns: dict[str, str] = {}
    options: dict[str, str] = {}
    for part in (p for p in spec.split(",") if p.strip()):
        key, sep, value = part.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or not value:
            raise UsageError(f"--map: {part.strip()!r} is not FIELD=COLUMN")
        if key in OPTIONS:
            options[key] = value
        elif key in FIELDS:
            columns[key] = value
        else:
            raise UsageError(f"--map: unknown field {key!r}; fields: {', '.join(FIELDS + OPTIONS)}")
    if (order := options.get("date_order")) and order.upper() not in ("DMY", "MDY", "YMD"):
        raise UsageError("--map: date_order must be DMY, MDY or YMD")
    return columns, options


def mapping_for(
    spec: str | None, preset: str | None, platform: str | None, post: str | None, ours: str | None
) -> Mapping:
    """The mapping the command line asks for: a preset, overridden column by column by ``--map``."""
    base = Mapping()
    if preset:
        if preset not in PRESETS:
            raise UsageError(f"--preset: unknown preset {preset!r}; known: {', '.join(sorted(PRESETS))}")
        base = PRESETS[preset].mapping()
    columns, options = parse_map(spec or "")
    m = replace(base, columns={**base.columns, **columns}, options={**base.options, **options})
    if platform:
        m.platform = platform
    m.post, m.ours_author = post or m.post, ours or m.ours_author
    return m


def _norm(name: Any) -> str:
    return " ".join(str(name or "").split()).casefold()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class Sheet:
    """A CSV or XLSX of comments read through a :class:`Mapping` (``--map`` / ``--preset``)."""

    name = "sheet"
    description = "Comment spreadsheet (CSV/XLSX): --map FIELD=COLUMN,… or --preset NAME, or a known layout"

    def __init__(self, mapping: Mapping | None = None) -> None:
        self.mapping = mapping

    def matches(self, path: Path) -> bool:
        if self.mapping is not None:
            return False  # a mapping from the command line is chosen by name, never guessed
        if path.suffix.lower() == ".xlsx":
            return True  # no other format reads workbooks
        if path.suffix.lower() != ".csv":
            return False
        return detect_preset(_first_rows(path, 20)) is not None

    # -- reading ---------------------------------------------------------------------------------
    def rows(self, path: Path) -> Iterator[Row]:
        table = _xlsx_rows(path, self.mapping) if path.suffix.lower() == ".xlsx" else _csv_rows(path)
        mapping = self.mapping
        if mapping is None:
            first = _first_rows(path, 20)
            preset = detect_preset(first)
            if preset is None:
                columns = max(([c for c in row if c] for row in first), key=len, default=[])  # the header: widest first
                raise InputError(f"{path.name}: not a known comment-export layout; {map_hint(columns)}")
            mapping = preset.mapping()
        yield from _records(path, table, mapping)


def _first_rows(path: Path, n: int) -> list[list[str]]:
    out = []
    for _, values, _ in (_xlsx_rows(path, None) if path.suffix.lower() == ".xlsx" else _csv_rows(path)):
        out.append([_cell(v) for v in values])
        if len(out) >= n:
            break
    return out


def detect_preset(first: list[list[str]]) -> Preset | None:
    """The one preset whose columns all appear in one of the first rows (``None`` if 0 or 2+)."""
    hits = {p.name: p for row in first for p in PRESETS.values() if p.fits({_norm(v) for v in row})}
    return next(iter(hits.values())) if len(hits) == 1 else None


def _csv_rows(path: Path) -> Iterator[tuple[int, list[Any], str | None]]:
    """(line where the record starts, cells, decoding error) for every CSV record."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
        handle.seek(0)
        encoding = "utf-8-sig"
        try:
            head.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not just a character cut at the sample's end
                encoding = "cp1252"
        try:
            dialect: Any = csv.Sniffer().sniff(head.decode(encoding, "replace").split("\n", 1)[0], ",;\t|")
        except csv.Error:
            dialect = csv.excel
        lines = _Lines(handle, encoding)
        reader = csv.reader(lines, dialect)
        while True:
            start = lines.number + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, [], f"unreadable CSV: {exc}"
                continue
            error, lines.bad = lines.bad, None
            yield start, values, error


class _Lines:
    def __init__(self, handle: Any, encoding: str) -> None:
        self.handle, self.encoding, self.number, self.bad = handle, encoding, 0, None

    def __iter__(self) -> Iterator[str]:
        for raw in self.handle:
            self.number += 1
            try:
                yield raw.decode(self.encoding if self.number == 1 else self.encoding.replace("-sig", ""))
            except UnicodeDecodeError as exc:
                name = "UTF-8" if self.encoding.startswith("utf") else "Windows-1252"
                self.bad = f"line {self.number} is not valid {name} (byte {exc.start})"
                yield raw.decode(self.encoding, "replace")


def _xlsx_rows(path: Path, mapping: Mapping | None) -> Iterator[tuple[int, list[Any], str | None]]:
    try:
        from openpyxl import load_workbook
    except ImportError:  # pragma: no cover - a declared dependency
        raise InputError("reading .xlsx needs openpyxl (pip install openpyxl)") from None
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException…
        raise InputError(f"{path.name} is not a readable .xlsx workbook ({type(exc).__name__})") from None
    try:
        wanted = (mapping.options.get("sheet") if mapping else None)
        if wanted and wanted not in book.sheetnames:
            raise InputError(f"{path.name} has no sheet {wanted!r}; sheets: {', '.join(book.sheetnames)}")
        sheet = book[wanted] if wanted else book.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # some exporters write a wrong <dimension>; read every row there is
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values), None
    finally:
        book.close()


# -- rows to records -------------------------------------------------------------------------------
def _records(path: Path, table: Iterator[tuple[int, list[Any], str | None]], m: Mapping) -> Iterator[Row]:
    wanted = {f: _norm(c) for f, c in m.columns.items()}
    missing = [f for f in REQUIRED if f not in wanted]
    if missing:
        raise UsageError(f"--map: say which column holds {', '.join(missing)} (e.g. text=Comment)")
    header_row = int(m.options["header"]) if m.options.get("header", "").isdigit() else None
    index: dict[str, int] | None = None
    seen_header: list[str] = []
    buffered: list[tuple[int, list[Any], str | None]] = []
    for number, values, error in table:
        if index is None:
            names = [_norm(v) for v in values]
            if (header_row is None and set(wanted.values()) <= set(names)) or number == header_row:
                index = {f: names.index(c) for f, c in wanted.items() if c in names}
                if lost := [m.columns[f] for f in wanted if f not in index]:
                    raise InputError(f"{path.name}: no column {lost[0]!r} in the header (row {number})")
            elif number < 50 and not seen_header:
                if any(names):
                    seen_header = [str(v) for v in values if v not in (None, "")]
            if index is None and number >= 50:
                break
            continue
        buffered.append((number, values, error))
        if len(buffered) >= SAMPLE:
            break
    if index is None:
        cols = ", ".join(repr(c) for c in seen_header[:12]) or "none"
        need = ", ".join(repr(c) for c in m.columns.values())
        raise InputError(f"{path.name}: no header row with the columns {need} (first row's columns: {cols})")
    order = (m.options.get("date_order") or _date_order(buffered, index.get("created_at"))).upper()
    builder = _Builder(path, m, index, order)
    for item in buffered:
        yield from builder.row(*item)
    for item in table:
        yield from builder.row(*item)


def _date_order(sample: list[tuple[int, list[Any], str | None]], col: int | None) -> str:
    """YMD for 2026-…; DMY when more dates have a first number above 12 than a second; else MDY."""
    day_first = month_first = 0
    for _, values, _ in sample:
        value = values[col] if col is not None and col < len(values) else None
        if isinstance(value, str) and (m := NUMERIC_DATE.match(value)):
            if len(m.group(1)) == 4:
                return "YMD"
            a, b = int(m.group(1)), int(m.group(2))
            day_first += a > 12 >= b
            month_first += b > 12 >= a
    return "DMY" if day_first > month_first else "MDY"


class _Builder:
    def __init__(self, path: Path, m: Mapping, index: dict[str, int], order: str) -> None:
        self.m, self.index, self.order = m, index, order
        self.file_post = m.post or f"sheet:{path.name}"
        self.posts: set[str] = set()

    def get(self, values: list[Any], name: str) -> Any:
        i = self.index.get(name)
        return values[i] if i is not None and i < len(values) else None

    def row(self, number: int, values: list[Any], error: str | None) -> Iterator[Row]:
        if not any(_cell(v) for v in values):
            return
        raw = _raw(values)
        if error:
            yield Row(number, raw, error=error)
            return
        try:
            post, comment = self.build(values)
        except RowError as exc:
            yield Row(number, raw, error=str(exc))
            return
        if post is not None:
            yield Row(number, "", record=post)
        yield Row(number, "", record=comment)

    def build(self, values: list[Any]) -> tuple[PostRecord | None, CommentRecord]:
        m = self.m
        text = _cell(self.get(values, "text"))
        author = _cell(self.get(values, "author"))
        if not author:
            raise RowError("no author")
        if len(text) > MAX_TEXT:
            raise RowError(f"text is {len(text):,} characters long (limit {MAX_TEXT:,})")
        created = self.time(self.get(values, "created_at"))
        post_id = _cell(self.get(values, "post")) or self.file_post
        comment_id = _cell(self.get(values, "id")) or "sheet-" + hashlib.sha1(
            f"{post_id}\0{author}\0{created.isoformat()}\0{text}".encode()
        ).hexdigest()[:20]
        parent = _cell(self.get(values, "reply_to"))
        if not parent or parent == comment_id:  # some exports give a top-level comment itself
            parent = post_id
        for value, what in ((comment_id, "id"), (parent, "reply_to"), (author, "author")):
            if len(value) > MAX_ID:
                raise RowError(f"{what} is longer than {MAX_ID} characters")
        ours = m.all_ours or (
            m.ours_author is not None and author.lstrip("@").casefold() == m.ours_author.lstrip("@").casefold()
        )
        if "ours" in self.index:
            ours = ours or _cell(self.get(values, "ours")).lower() in {"1", "true", "yes", "y", "x", "✓"}
        url = _cell(self.get(values, "url")) or None
        post = None
        if post_id not in self.posts:
            self.posts.add(post_id)
            post = PostRecord(
                platform=m.platform, id=post_id, author=m.ours_author or "[our account]",
                text=_cell(self.get(values, "post_text")), created_at=created,
                url=post_id if post_id.startswith("http") else None, ours=True,
            )
        comment = CommentRecord(
            platform=m.platform, id=comment_id, parent_id=parent, author=author, text=text, created_at=created,
            url=url if url and len(url) <= 1000 else None, ours=ours, lang=_cell(self.get(values, "lang")) or None,
            likes=_count(self.get(values, "likes"), "likes"), replies=_count(self.get(values, "replies"), "replies"),
            views=_count(self.get(values, "views"), "views"),
        )
        return post, comment

    def time(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value > 1e11:  # epoch milliseconds
                return datetime.fromtimestamp(value / 1000, UTC)
            if value > 1e9:
                return datetime.fromtimestamp(value, UTC)
            if 1 < value < 200_000:  # an Excel serial date (days since 1899-12-30)
                from openpyxl.utils.datetime import from_excel

                return from_excel(value).replace(tzinfo=UTC)
        text = _cell(value)
        if not text:
            raise RowError("no date")
        if re.fullmatch(r"\d{10}(\d{3})?", text):
            return self.time(int(text))
        try:
            parsed = dateparser.parse(text, dayfirst=self.order == "DMY", yearfirst=self.order == "YMD")
        except (ValueError, OverflowError):
            raise RowError(f"cannot read the date {text[:40]!r} ({self.order} order)") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _count(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise RowError(f"{name} is negative")
        return int(value)
    text = str(value).strip()
    match = COUNT.match(text)
    if not match:
        raise RowError(f"{name} is not a count: {text[:20]!r}")
    number, suffix = match.group(1).replace(" ", ""), match.group(2).lower()
    if suffix:
        return int(float(number.replace(",", ".")) * (1000 if suffix == "k" else 1_000_000))
    return int(number.replace(",", "").replace(".", ""))


def _raw(values: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([_cell(v) for v in values])
    return out.getvalue().rstrip("\r\n")

