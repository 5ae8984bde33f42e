"""Issue 10 item 1: a rejects path never destroys data, and rejected rows keep everything."""

from __future__ import annotations

import json
import os
from pathlib import Path

import orjson
import pytest

from sounding.errors import UsageError
from sounding.importers import import_file, import_files
from sounding.store import Store
from sounding.store.reactions import series

from importer_helpers import good_rows, read_rejects, row, stored_ids, write_jsonl


@pytest.fixture
def data(tmp_path) -> Path:
    rows = good_rows(threads=5)
    rows.insert(3, row("comment", "orphan", "no-such-parent"))
    return write_jsonl(tmp_path / "data.jsonl", rows)


def test_rejects_into_the_input_is_refused_and_the_input_is_intact(sqlite_store, data):
    before = data.read_bytes()
    with pytest.raises(UsageError, match="being imported"):
        import_file(sqlite_store, data, rejects_path=data)
    link = data.with_name("alias.jsonl")
    os.link(data, link)  # another name of the same file
    with pytest.raises(UsageError, match="being imported"):
        import_file(sqlite_store, data, rejects_path=link)
    assert data.read_bytes() == before
    assert sqlite_store.counts()["posts"] == 0  # refused before anything was written


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_rejects_into_the_store_is_refused_and_the_store_still_opens(tmp_path, data, suffix):
    db = tmp_path / "s.db"
    store = Store.open(str(db))
    import_file(store, write_jsonl(tmp_path / "first.jsonl", good_rows(threads=2)))
    with pytest.raises(UsageError, match="file of the store"):
        import_file(store, data, rejects_path=Path(f"{db}{suffix}"))
    store.close()
    again = Store.open(str(db))
    assert again.counts()["posts"] == 2
    again.close()


def test_rejects_into_a_missing_folder_a_device_or_a_folder_is_refused(sqlite_store, data, tmp_path):
    for target, message in [
        (tmp_path / "no" / "such" / "r.jsonl", "does not exist"),
        (Path("/dev/null"), "not a regular file"),
        (tmp_path, "not a regular file"),
    ]:
        with pytest.raises(UsageError, match=message):
            import_file(sqlite_store, data, rejects_path=target)


def test_an_existing_file_is_replaced_only_with_force(sqlite_store, data, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my precious notes\n")
    with pytest.raises(UsageError, match="--force"):
        import_file(sqlite_store, data, rejects_path=notes)
    assert notes.read_text() == "my precious notes\n"
    report = import_file(sqlite_store, data, rejects_path=notes, force=True)
    assert report.rejected == 1 and read_rejects(notes)[0]["line"] == 4


def test_an_earlier_rejects_file_of_the_same_input_is_replaced_without_force(sqlite_store, data, tmp_path):
    target = tmp_path / "r.jsonl"
    import_file(sqlite_store, data, rejects_path=target)
    report = import_file(sqlite_store, data, rejects_path=target)  # a re-run: same rejects, no --force
    assert report.rejected == 1 and len(read_rejects(target)) == 1
    other = write_jsonl(tmp_path / "other.jsonl", [row("comment", "o2", "nowhere")])
    with pytest.raises(UsageError, match="--force"):  # someone else's rejects are not ours to drop
        import_file(sqlite_store, other, rejects_path=target)


def test_several_inputs_keep_every_files_rejects(sqlite_store, tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [row("post", "a1"), row("comment", "a2", "nowhere"), b"{broken"])
    b = write_jsonl(tmp_path / "b.jsonl", [b"not json", row("post", "b1"), row("comment", "b2", "nowhere")])
    target = tmp_path / "all.rejects.jsonl"
    reports = import_files(sqlite_store, [a, b], rejects_path=target)
    assert [r.rejected for r in reports] == [2, 2]
    entries = read_rejects(target)
    assert [(Path(e["source"]).name, e["line"]) for e in entries] == [
        ("a.jsonl", 3), ("a.jsonl", 2), ("b.jsonl", 1), ("b.jsonl", 3)
    ]


def test_a_rejected_unknown_parent_row_keeps_all_its_fields_and_imports_again(sqlite_store, tmp_path):
    full = row("comment", "late", "p-later", text="we need dark mode", likes=3, reposts=1, replies=2, views=99,
               lang="en", observed_at="2026-01-06T08:00:00+00:00", url="https://x.example/late", ours=True)
    data = write_jsonl(tmp_path / "d.jsonl", [full])
    report = import_file(sqlite_store, data)
    (entry,) = read_rejects(report.rejects_path)
    assert entry["error"] == "unknown parent 'p-later'"
    kept = json.loads(entry["raw"])
    for name in ("likes", "reposts", "replies", "views", "lang", "url", "ours", "author", "text"):
        assert kept[name] == full[name], name
    assert kept["observed_at"].startswith("2026-01-06T08:00:00")
    # once the parent is there, the rejects file itself imports the row with the same fields
    import_file(sqlite_store, write_jsonl(tmp_path / "p.jsonl", [row("post", "p-later")]))
    again = write_jsonl(tmp_path / "again.jsonl", [orjson.loads(entry["raw"])])
    assert import_file(sqlite_store, again).new["comments"] == 1
    assert "late" in stored_ids(sqlite_store)
    with sqlite_store.engine.connect() as conn:
        (point,) = series(conn, None, "late")
    assert tuple(point)[1:] == (3, 1, 2, 99)


def test_the_cli_refuses_before_reading(tmp_path, data):
    from typer.testing import CliRunner

    from sounding.cli import app

    before = data.read_bytes()
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "s.db"), "import", str(data), "--rejects", str(data)])
    assert result.exit_code != 0
    assert isinstance(result.exception, (UsageError, SystemExit))
    assert data.read_bytes() == before
