"""PostgreSQL's COPY path (sounding.store.pg_copy): the rows of the normal path, idempotent, bad rows set aside.

Each test imports the same file twice over: once with COPY for every batch (``COPY_MIN_ROWS = 1``),
once with the plain INSERT only, and compares every column of every table the import writes.
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select

from sounding.importers import import_file
from sounding.store import Store, models, pg_copy, writer

pytestmark = pytest.mark.postgres

WRITTEN = (models.Post, models.Comment, models.ReactionSnapshot, models.Person)


def _rows(threads: int = 60) -> list[dict]:
    """Threads with nested replies, some before their parent, repeated authors, counts and a repeat."""
    rows = []
    for t in range(threads):
        rows.append({"kind": "post", "platform": "twitter", "id": f"p{t}", "author": f"brand{t % 3}",
                     "text": f"post {t}", "created_at": f"2026-01-05T12:{t % 60:02d}:00Z", "likes": t, "ours": t % 2 == 0})
        parent = f"p{t}"
        for r in range(4):
            rows.append({"kind": "comment", "platform": "twitter", "id": f"c{t}-{r}", "parent_id": parent,
                         "author": f"user{(t * 4 + r) % 17}", "text": f"reply {r} in thread {t}?",
                         "created_at": f"2026-01-05T13:{r:02d}:00+02:00", "replies": r or None,
                         "url": f"https://x.example/c{t}-{r}"})
            parent = f"c{t}-{r}"
    late = rows.pop(5)  # a reply before its parent in the file
    rows.insert(len(rows) - 7, late)
    rows.append(dict(rows[3]))  # the same comment twice in one batch
    return rows


def _write(path: Path, rows: list) -> Path:
    path.write_bytes(b"".join((r if isinstance(r, bytes) else orjson.dumps(r)) + b"\n" for r in rows))
    return path


def _dump(store: Store) -> dict[str, list[tuple]]:
    """Every column of every table the importer writes, in primary-key order."""
    out = {}
    with store.engine.connect() as conn:
        for model in WRITTEN:
            table = model.__table__
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]
    return out


REAL = pg_copy.insert_ignore
COPIED: dict[bool, list[str]] = {}  # tables each run sent through COPY
SALT = "00" * 16  # one pseudonym key for both stores, so their author columns can be compared


def _import(url: str, path: Path, monkeypatch, copy: bool, **kwargs):
    monkeypatch.setattr(writer, "COPY_MIN_ROWS", 1 if copy else 10**9)
    copied = COPIED[copy] = []
    monkeypatch.setattr(pg_copy, "insert_ignore", lambda conn, table, *a: copied.append(table.name) or REAL(conn, table, *a))
    store = Store.open(url)
    with store.transaction() as conn:
        conn.execute(models.Meta.__table__.insert().values(key="pseudonym_salt", value=SALT))
    return store, import_file(store, path, **kwargs)


def test_copy_gives_the_rows_of_the_normal_path_and_a_second_import_adds_nothing(tmp_path, monkeypatch, new_pg_database):
    data = _write(tmp_path / "d.jsonl", _rows())
    plain, plain_report = _import(new_pg_database(), data, monkeypatch, copy=False)
    copied, copy_report = _import(new_pg_database(), data, monkeypatch, copy=True,
                                  rejects_path=tmp_path / "r2.jsonl")
    try:
        assert copy_report.as_dict() | {"rejects_path": None} == plain_report.as_dict() | {"rejects_path": None}
        assert copy_report.new == {"posts": 60, "comments": 240, "reactions": 240, "polls": 0}
        assert not COPIED[False] and {"posts", "comments", "people"} <= set(COPIED[True])  # first counts ride on the item row
        expected = _dump(plain)
        assert _dump(copied) == expected and len(expected["people"]) == 20
        again = import_file(copied, data, rejects_path=tmp_path / "r3.jsonl", force=True)
        assert again.new == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0} and again.duplicates == 301
        assert _dump(copied) == expected
    finally:
        plain.close()
        copied.close()


BAD = {
    "likes beyond BIGINT": {"likes": 2**63},
    "a year PostgreSQL cannot hold": {"created_at": "0001-01-01T00:00:00+14:00"},
    "a platform name too long for its column": {"platform": "x" * 40},
    "a lone surrogate": None,  # written by hand below: orjson refuses it
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_value_in_a_copied_batch_is_one_rejected_row_with_its_line(tmp_path, monkeypatch, name, new_pg_database):
    rows: list = _rows(threads=5)
    bad = {"kind": "post", "platform": "twitter", "id": "bad", "author": "a", "text": "t",
           "created_at": "2026-01-05T12:00:00Z"}
    if BAD[name] is None:
        rows.insert(6, json.dumps({**bad, "text": "lone \ud800"}).encode())
    else:
        rows.insert(6, {**bad, **BAD[name]})  # line 7
    store, report = _import(new_pg_database(), _write(tmp_path / "d.jsonl", rows), monkeypatch, copy=True)
    try:
        assert report.rejected == 1 and report.first_rejects[0]["line"] == 7, report.first_rejects
        assert report.new["posts"] == 5 and report.new["comments"] == 20  # the rest of the batch is kept
    finally:
        store.close()


def test_a_value_only_the_store_refuses_sets_one_row_aside_from_a_copied_batch(tmp_path, monkeypatch, new_pg_database):
    """Records no importer checked (a plugin's): the COPY fails, the batch is split, one row is rejected."""
    from datetime import UTC, datetime

    from sounding import importers
    from sounding.importers.base import Row
    from sounding.records import PostRecord

    records = [PostRecord("twitter", f"p{i}", "ann", f"text {i}", datetime(2026, 1, 5, tzinfo=UTC)) for i in range(40)]
    records[17] = PostRecord("twitter", "p17", "ann", "t", datetime(2026, 1, 5, tzinfo=UTC), likes=2**70)
    records[23] = PostRecord("twitter", "b\x00d", "ann", "t", datetime(2026, 1, 5, tzinfo=UTC))

    class Unchecked:
        name, description = "unchecked", "test only"

        def matches(self, path):
            return False

        def rows(self, path):
            for line, record in enumerate(records, start=1):
                yield Row(line, "", record=record)

    monkeypatch.setitem(importers.FORMATS, "unchecked", Unchecked())
    path = tmp_path / "x.bin"
    path.write_bytes(b"")
    store, report = _import(new_pg_database(), path, monkeypatch, copy=True, format_name="unchecked")
    try:
        assert [r["line"] for r in report.first_rejects] == [18, 24]
        assert all("refused a value of this row" in r["error"] for r in report.first_rejects)
        assert report.new["posts"] == 38 and "posts" in COPIED[True]
    finally:
        store.close()


def test_a_large_import_defers_the_secondary_comment_indexes_on_postgresql_too(tmp_path, monkeypatch, new_pg_database):
    import sounding.store as store_module
    from sqlalchemy import inspect

    def names(store: Store) -> set[str]:
        return {ix["name"] for table in ("comments", "reaction_snapshots") for ix in inspect(store.engine).get_indexes(table)}

    monkeypatch.setattr(store_module, "BULK_MIN_ROWS", 1)
    seen: list[set[str]] = []
    store = Store.open(new_pg_database())
    try:
        report = import_file(store, _write(tmp_path / "d.jsonl", _rows()), on_progress=lambda _: seen.append(names(store)))
        assert report.rejected == 0 and report.new["comments"] == 240
        assert seen and not seen[0] & set(store_module.DEFERRABLE_INDEXES)  # dropped while loading
        assert set(store_module.DEFERRABLE_INDEXES) <= names(store)  # built again at the end
    finally:
        store.close()
