"""Issue 10 items 2 and 3: one bad value is one rejected row with its line, on SQLite and PostgreSQL,
and a store error never carries row values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sounding import importers
from sounding.errors import StoreError
from sounding.importers import import_file
from sounding.importers.base import Row
from sounding.records import PostRecord
from sounding.store.writer import ValueRefused

from importer_helpers import good_rows, read_rejects, row, stored_ids, write_jsonl

BAD_VALUES = {
    "likes 2**63": row("post", "bad", likes=2**63),
    "views 2**64-1": row("post", "bad", views=2**64 - 1),
    "replies 2**63 as text": row("post", "bad", replies="9223372036854775808"),
    "created_at 1e20": row("post", "bad", created_at=1e20),
    "created_at -1e15": row("post", "bad", created_at=-1e15),
    "created_at year 1 at +14:00": row("post", "bad", created_at="0001-01-01T00:00:00+14:00"),
    "created_at year 9999 at -14:00": row("post", "bad", created_at="9999-12-31T23:59:59-14:00"),
    "observed_at year 9999 at -14:00": row("post", "bad", observed_at="9999-12-31T23:59:59-14:00", likes=1),
    "comment created_at year 1 at +14:00": row("comment", "bad", "p0", created_at="0001-01-01T00:00:00+14:00"),
    "id too large for an integer": row("post", 123456789012345678901234567890),
    "id with NUL": row("post", "b\u0000d"),
    "parent with NUL": row("comment", "bad", "p\u00000"),
}


@pytest.mark.parametrize("name", list(BAD_VALUES))
def test_one_bad_value_is_one_rejected_row(store, tmp_path, name):
    rows: list = good_rows(threads=4)
    rows.insert(6, BAD_VALUES[name])  # line 7
    report = import_file(store, write_jsonl(tmp_path / "d.jsonl", rows))
    assert report.rejected == 1, report.first_rejects
    assert report.first_rejects[0]["line"] == 7
    assert report.new["posts"] == 4 and report.new["comments"] == 12  # the batch around it is kept
    assert read_rejects(report.rejects_path)[0]["line"] == 7


def test_edge_times_that_fit_are_stored_in_utc(store, tmp_path):
    rows = [row("post", "early", created_at="0001-01-01T00:00:00-01:00"),
            row("post", "late", created_at="9999-12-31T23:59:59+14:00"), row("post", "unix", created_at=0)]
    report = import_file(store, write_jsonl(tmp_path / "d.jsonl", rows))
    assert report.rejected == 0 and report.new["posts"] == 3


def test_nul_in_text_is_stripped_the_same_on_both_stores(store, tmp_path):
    rows = [row("post", "p1", text="dark\u0000 mode", author="an\u0000n", url="https://x.example/\u0000p1"),
            row("comment", "c1", "p1", text="\u0000yes\u0000", lang="e\u0000n")]
    report = import_file(store, write_jsonl(tmp_path / "d.jsonl", rows))
    assert report.rejected == 0 and report.new == {"posts": 1, "comments": 1, "reactions": 0, "polls": 0}
    from sounding.store.writer import text_hash

    with store.engine.connect() as conn:
        post = conn.exec_driver_sql("select text, text_hash, url from posts").one()
        comment = conn.exec_driver_sql("select text, lang from comments").one()
    assert tuple(post) == ("dark mode", text_hash("dark mode"), "https://x.example/p1")
    assert tuple(comment) == ("yes", "en")


class _Unchecked:
    """A format (a plugin, say) that hands the store records no importer validated."""

    name = "unchecked"
    description = "test only"

    def __init__(self, records):
        self.records = records

    def matches(self, path: Path) -> bool:
        return False

    def rows(self, path: Path) -> Iterator[Row]:
        for line, record in enumerate(self.records, start=1):
            yield Row(line, "", record=record)


def _post(pid: str, **extra) -> PostRecord:
    return PostRecord("twitter", pid, "ann", f"text of {pid}", datetime(2026, 1, 5, tzinfo=UTC), **extra)


@pytest.mark.parametrize("bad", [
    {"likes": 2**70},  # beyond BIGINT: OverflowError on SQLite, out of range on PostgreSQL
    {"text_id": "b\u0000d"},  # NUL in a key: refused by PostgreSQL, not by SQLite: rejected where refused
    {"text": "lone \ud800 surrogate"},  # cannot be encoded for either driver
])
def test_a_value_the_store_refuses_is_found_and_set_aside_alone(store, tmp_path, monkeypatch, bad):
    records = [_post(f"p{i}") for i in range(50)]
    if "text_id" in bad:
        records[17] = _post(bad["text_id"])
    elif "text" in bad:
        records[17] = PostRecord("twitter", "p17", "ann", bad["text"], datetime(2026, 1, 5, tzinfo=UTC))
    else:
        records[17] = _post("p17", likes=bad["likes"])
    monkeypatch.setitem(importers.FORMATS, "unchecked", _Unchecked(records))
    path = tmp_path / "x.bin"
    path.write_bytes(b"")
    report = import_file(store, path, "unchecked")
    stored = stored_ids(store)
    assert {f"p{i}" for i in range(50) if i != 17} <= stored  # no other row is lost
    if "text_id" in bad and store.dialect == "sqlite":  # SQLite can hold a NUL in a key
        assert report.rejected == 0
    else:
        (entry,) = read_rejects(report.rejects_path)
        assert entry["line"] == 18 and "refused a value of this row" in entry["error"]
        assert json.loads(entry["raw"])["id"] in {"p17", "b\u0000d"}
    assert report.read == report.new["posts"] + report.duplicates + report.rejected


def test_a_store_error_names_no_row_values(store):
    secret_text = "SECRET-ROW-VALUE-4242"
    records = [PostRecord("twitter", "p1", "ann", secret_text, datetime(2026, 1, 5, tzinfo=UTC), likes=2**70)]
    with pytest.raises(StoreError) as caught:
        store.write_records(records)
    error = caught.value
    assert isinstance(error, ValueRefused)
    assert secret_text not in str(error) and str(2**70) not in str(error)
    assert error.__suppress_context__ and error.__cause__ is None  # a traceback shows no driver message either
    assert store.counts()["posts"] == 0
