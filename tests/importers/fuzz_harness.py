"""Property-based fuzzing of every importer: no traceback, and every row stored or rejected.

Shared by tests/importers/test_fuzz_import.py (a modest number of cases per run) and
benchmarks/fuzz_import.py (many more). ``SOUNDING_FUZZ_EXAMPLES`` sets the cases per property;
:data:`CASES` counts the cases that ran, per importer.

The checks, for every generated file:
  * the import ends normally or with a one-line :class:`SoundingError` (a damaged file);
  * rows read = new + already stored + rejected, where "new" is what the store's counts grew by
    and "rejected" is the number of entries in the rejects file;
  * none lost: every row of the file is in the store (by its id) or covered by a reject entry;
  * idempotent: importing the same file again adds nothing and rejects the same rows.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import orjson
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from sounding.errors import SoundingError
from sounding.importers import ImportReport, import_file
from sounding.platforms import mastodon, reddit
from sounding.store import Store

from importer_helpers import read_rejects, stored_ids

EXAMPLES = int(os.environ.get("SOUNDING_FUZZ_EXAMPLES", "25"))
CASES: Counter[str] = Counter()
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("SOUNDING_FUZZ_RANDOM") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    database=None,
)
DAMAGE = "cannot be read from here on"

# -- values --------------------------------------------------------------------------------------
EDGE_STRINGS = [
    "", " ", "\u0000", "a\u0000b", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
    "2026-01-05T12:00:00Z", "2026-01-05 12:00:00 UTC", "1e20", "-1", str(2**63), str(2**64), "NaN", "x" * 300,
    "\x1b]0;evil\x07", "[link=file:///etc/passwd]x[/]", "true", "post", "comment", "p0", "c1", '"', '"a,b\n',
    "\ufeff", "\r", "caf\u00e9", "\U0001f600",
]
hostile = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0.0, 1e20, -1e15, 1.5, 1e300]), st.text(max_size=20), st.sampled_from(EDGE_STRINGS),
    st.lists(st.integers(min_value=0, max_value=9), max_size=2), st.dictionaries(st.sampled_from("ab"), st.integers(0, 9)),
)
IDS = [f"p{i}" for i in range(4)] + [f"c{i}" for i in range(6)]
FIELDS = ["kind", "platform", "id", "parent_id", "author", "text", "created_at", "url", "ours", "likes", "reposts",
          "replies", "views", "lang", "observed_at"]


@st.composite
def generic_row(draw) -> dict:
    """A valid row of the JSONL/CSV format, then some of its fields replaced by hostile values."""
    item_id = draw(st.sampled_from(IDS))
    fields = {"kind": "post" if item_id.startswith("p") else "comment", "platform": "fz", "id": item_id,
              "author": draw(st.sampled_from(["ann", "bob"])), "text": draw(st.text(max_size=30)),
              "created_at": "2026-01-05T12:00:00Z"}
    if fields["kind"] == "comment":
        fields["parent_id"] = draw(st.sampled_from(IDS))
    if draw(st.booleans()):
        fields["likes"] = draw(st.integers(min_value=0, max_value=1000))
    fields.update(draw(st.dictionaries(st.sampled_from(FIELDS), hostile, max_size=3)))
    return fields


def dumps(value) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # beyond 64-bit integers, lone surrogates
        return json.dumps(value).encode()


@st.composite
def jsonl_file(draw) -> bytes:
    lines = draw(st.lists(st.one_of(generic_row().map(dumps), st.binary(max_size=30)), max_size=25))
    data = b"\n".join(lines)
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return data + (b"\n" if draw(st.booleans()) else b"")


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


def _cell(value) -> str:
    return "" if value is None else str(value)


@st.composite
def csv_file(draw) -> tuple[bytes, list[tuple[int, list[str]]]]:
    """Well-quoted CSV (hostile values inside fields); returns the bytes and (first line, values) per row."""
    header = FIELDS
    rows = [[_cell(r.get(name)) for name in header] for r in draw(st.lists(generic_row(), max_size=20))]
    located, line = [], 2
    for values in rows:
        located.append((line, values))
        line += csv_bytes([values]).count(b"\n")
    return csv_bytes([header, *rows]), located


# -- running one case --------------------------------------------------------------------------
class Case:
    """A fresh store (SQLite copied from a migrated template, or a new PostgreSQL database) and a
    folder for one generated file."""

    template: Path | None = None

    def __init__(self, postgres_url: str | None = None) -> None:
        self.postgres_url = postgres_url

    def __enter__(self) -> Case:
        self.folder = Path(tempfile.mkdtemp(prefix="sounding-fuzz-"))
        if self.postgres_url:
            self.store = Store.open(_new_database(self.postgres_url))
            return self
        if Case.template is None or not Case.template.exists():
            Case.template = Path(tempfile.mkdtemp(prefix="sounding-fuzz-template-")) / "t.db"
            Store.open(str(Case.template)).close()
        shutil.copy(Case.template, self.folder / "s.db")
        self.store = Store.open(str(self.folder / "s.db"))
        return self

    def __exit__(self, *exc) -> None:
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _new_database(server: str) -> str:
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"sounding_fuzz_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _count(store: Store) -> int:
    counts = store.counts()
    return counts["posts"] + counts["comments"]


def import_and_check(case: Case, path: Path, fmt: str | None = None) -> tuple[ImportReport | None, list[dict]]:
    """Import once; check the counts add up; return the report (None if the file is damaged) and rejects."""
    rejects = case.folder / "rejects.jsonl"
    before = _count(case.store)
    try:
        report = import_file(case.store, path, fmt, rejects_path=rejects, force=True)
    except SoundingError as exc:  # a damaged or unreadable file: one line, everything before it kept
        assert "\n" not in str(exc), str(exc)
        report = None
    entries = read_rejects(rejects) if rejects.exists() else []
    if report is not None:
        assert _count(case.store) - before == report.new["posts"] + report.new["comments"]
        assert len(entries) == report.rejected
        assert report.duplicates >= 0
        assert report.read == report.new["posts"] + report.new["comments"] + report.duplicates + report.rejected
    return report, entries


def check_again(case: Case, path: Path, first: ImportReport | None, fmt: str | None = None) -> None:
    """The same file a second time adds nothing and rejects the same number of rows."""
    again, _ = import_and_check(case, path, fmt)
    if first is None or again is None:
        return
    assert again.new["posts"] == again.new["comments"] == 0
    assert again.rejected == first.rejected and again.read == first.read


def covered(line: int, entries: list[dict]) -> bool:
    for entry in entries:
        start = entry["line"]
        if DAMAGE in entry["error"] and line >= start:
            return True
        if start <= line <= start + entry["raw"].count("\n"):
            return True
    return False


def check_jsonl_lines(case: Case, data: bytes, entries: list[dict]) -> None:
    """Each non-blank line: its id is stored, or a reject entry names it."""
    ids = stored_ids(case.store)
    for number, raw in enumerate(io.BytesIO(data), start=1):
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        if not raw.strip() or covered(number, entries):
            continue
        fields = orjson.loads(raw)  # not rejected, so it must be a readable row
        assert str(fields["id"]) in ids, (number, raw)


def check_located_rows(case: Case, located: list[tuple[int, list[str]]], id_of: Callable[[list[str]], str | None],
                       entries: list[dict]) -> None:
    ids = stored_ids(case.store)
    for line, values in located:
        if not any(values) or covered(line, entries):
            continue
        assert id_of(values) in ids, (line, values)


# -- the properties, one per importer ---------------------------------------------------------
def jsonl_case(data: bytes, postgres_url: str | None = None) -> None:
    CASES["jsonl-postgres" if postgres_url else "jsonl"] += 1
    with Case(postgres_url) as case:
        path = case.folder / "d.jsonl"
        path.write_bytes(data)
        report, entries = import_and_check(case, path)
        check_jsonl_lines(case, data, entries)
        check_again(case, path, report)


def csv_case(generated: tuple[bytes, list[tuple[int, list[str]]]]) -> None:
    CASES["csv"] += 1
    data, located = generated
    with Case() as case:
        path = case.folder / "d.csv"
        path.write_bytes(data)
        report, entries = import_and_check(case, path)
        check_located_rows(case, located, lambda values: values[FIELDS.index("id")], entries)
        check_again(case, path, report)


def gz_case(data: bytes, cut: float, flip: int | None) -> None:
    """Compressed JSONL, cut short at ``cut`` of its length and/or with one byte flipped."""
    CASES["gz"] += 1
    packed = bytearray(gzip.compress(data))
    packed = packed[: max(1, int(len(packed) * cut))]
    if flip is not None:
        packed[flip % len(packed)] ^= 0x5A
    with Case() as case:
        path = case.folder / "d.jsonl.gz"
        path.write_bytes(bytes(packed))
        report, entries = import_and_check(case, path)
        if flip is None:  # a cut stream reads as a prefix of the file: every line of it is accounted for
            check_jsonl_lines(case, _readable_prefix(bytes(packed)), entries)
        check_again(case, path, report)


def _readable_prefix(packed: bytes) -> bytes:
    out = bytearray()
    try:
        with gzip.open(io.BytesIO(packed)) as handle:
            while chunk := handle.read(65_536):
                out.extend(chunk)
    except (OSError, EOFError):
        pass
    return bytes(out[: out.rfind(b"\n") + 1])  # the importer reads whole lines only


ACTOR = "https://social.example/users/brand"
NOTE_FIELDS = ["id", "published", "attributedTo", "content", "inReplyTo", "url", "contentMap", "type"]


@st.composite
def outbox_item(draw) -> dict:
    sid = draw(st.integers(min_value=1, max_value=6))
    note = {"type": "Note", "id": f"{ACTOR}/statuses/{sid}", "published": "2026-01-05T12:00:00Z",
            "attributedTo": ACTOR, "content": draw(st.text(max_size=30).map(lambda t: f"<p>{t}</p>"))}
    if draw(st.booleans()):
        note["inReplyTo"] = f"{ACTOR}/statuses/{draw(st.integers(min_value=1, max_value=6))}"
    note.update(draw(st.dictionaries(st.sampled_from(NOTE_FIELDS), hostile, max_size=2)))
    kind = draw(st.sampled_from(["Create", "Create", "Create", "Announce", None]))
    return {"type": kind, "object": note if draw(st.integers(0, 9)) else draw(hostile)}


def outbox_case(items: list[dict], cut: float | None) -> None:
    CASES["mastodon-outbox"] += 1
    data = dumps({"type": "OrderedCollection", "orderedItems": items})
    if cut is not None:
        data = data[: int(len(data) * cut)]
    with Case() as case:
        path = case.folder / "outbox.json"
        path.write_bytes(data)
        report, entries = import_and_check(case, path)
        if cut is None:
            ids = stored_ids(case.store)
            for number, item in enumerate(items, start=1):
                if item.get("type") != "Create" or covered(number, entries):
                    continue
                assert mastodon.status_id(item["object"]["id"]) in ids, (number, item)
        check_again(case, path, report)


REDDIT_POSTS = ["id", "permalink", "date", "ip", "subreddit", "gildings", "title", "url", "body"]
REDDIT_COMMENTS = ["id", "permalink", "date", "ip", "subreddit", "gildings", "link", "parent", "body", "media"]
LINK = "https://www.reddit.com/r/x/comments/abc/t/"


@st.composite
def reddit_rows(draw, header: list[str]) -> list[list[str]]:
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        fields = {"id": draw(st.sampled_from(["abc", "k1", "k2", "t1_k3", "k4"])), "permalink": f"{LINK}x/",
                  "date": "2025-05-18 04:35:32 UTC", "title": "T", "body": draw(st.text(max_size=20)), "link": LINK,
                  "parent": draw(st.sampled_from(["", "t1_k1", "k2", "t1_zz"]))}
        fields.update(draw(st.dictionaries(st.sampled_from(header), hostile, max_size=2)))
        rows.append([_cell(fields.get(name)) for name in header])
    return rows


def reddit_case(posts: list[list[str]], comments: list[list[str]]) -> None:
    CASES["reddit-export"] += 1
    with Case() as case:
        for name, header, rows, prefix in (("posts.csv", REDDIT_POSTS, posts, reddit.POST),
                                           ("comments.csv", REDDIT_COMMENTS, comments, reddit.COMMENT)):
            path = case.folder / name
            path.write_bytes(csv_bytes([header, *rows]))
            located, line = [], 2
            for values in rows:
                located.append((line, values))
                line += csv_bytes([values]).count(b"\n")
            report, entries = import_and_check(case, path, "reddit-export")
            check_located_rows(case, located, lambda values, p=prefix: reddit.fullname(values[0].strip(), p), entries)
            check_again(case, path, report, "reddit-export")
            (case.folder / "rejects.jsonl").unlink(missing_ok=True)


# -- byte-level mutation of a valid file -------------------------------------------------------
def valid_jsonl() -> bytes:
    rows = []
    for t in range(6):
        rows.append({"kind": "post", "platform": "fz", "id": f"p{t}", "author": "brand", "text": f"Which one, {t}?",
                     "created_at": "2026-01-05T12:00:00Z", "likes": t, "ours": True})
        for r in range(3):
            rows.append({"kind": "comment", "platform": "fz", "id": f"c{t}-{r}", "parent_id": f"p{t}",
                         "author": f"u{r}", "text": f"reply {r}, \"quoted\"\nand more", "lang": "en",
                         "created_at": f"2026-01-05T12:0{r}:00+02:00"})
    return b"\n".join(orjson.dumps(r) for r in rows) + b"\n"


def valid_csv() -> bytes:
    rows = [dict(zip(FIELDS, [None] * len(FIELDS)), **r) for r in orjson.loads(b"[" + valid_jsonl().strip().replace(b"\n", b",") + b"]")]
    return csv_bytes([FIELDS, *[[_cell(r.get(name)) for name in FIELDS] for r in rows]])


mutation = st.tuples(st.sampled_from(["flip", "insert", "delete", "duplicate", "truncate"]),
                     st.floats(min_value=0, max_value=1), st.integers(min_value=1, max_value=40),
                     st.binary(min_size=1, max_size=4))


def mutate(data: bytes, ops: list[tuple[str, float, int, bytes]]) -> bytes:
    out = bytearray(data)
    for op, where, size, extra in ops:
        at = int(where * len(out))
        if op == "flip" and out:
            out[min(at, len(out) - 1)] ^= extra[0] or 1
        elif op == "insert":
            out[at:at] = extra
        elif op == "delete":
            del out[at : at + size]
        elif op == "duplicate":
            out[at:at] = out[at : at + size]
        elif op == "truncate":
            del out[at:]
    return bytes(out)


def mutation_case(kind: str, ops: list[tuple[str, float, int, bytes]]) -> None:
    CASES[f"mutation-{kind}"] += 1
    data = {"jsonl": valid_jsonl, "csv": valid_csv, "gz": lambda: gzip.compress(valid_jsonl())}[kind]()
    mutated = mutate(data, ops)
    with Case() as case:
        path = case.folder / {"jsonl": "d.jsonl", "csv": "d.csv", "gz": "d.jsonl.gz"}[kind]
        path.write_bytes(mutated)
        report, entries = import_and_check(case, path)
        if kind == "jsonl":
            check_jsonl_lines(case, mutated, entries)
        check_again(case, path, report)
