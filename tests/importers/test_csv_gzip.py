"""Issue 10 items 2 and 4: CSV quoting, BOM and encoding, damaged gzip, unknown formats, hostile
Mastodon notes: every row before the damage is kept, each bad record costs only itself."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from sounding.errors import InputError, UsageError
from sounding.importers import import_file, import_files

from importer_helpers import good_rows, read_rejects, row, stored_ids, write_jsonl

HEADER = b"kind,platform,id,parent_id,author,text,created_at\n"


def csv_line(kind: str, pid: str, parent: str = "", text: bytes = b"hi") -> bytes:
    return b",".join([kind.encode(), b"twitter", pid.encode(), parent.encode(), b"ann", text,
                      b"2026-01-05T12:00:00Z"]) + b"\n"


def test_csv_with_a_byte_order_mark(sqlite_store, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + HEADER + csv_line("post", "p1") + csv_line("comment", "c1", "p1"))
    report = import_file(sqlite_store, path)
    assert report.rejected == 0 and report.new["posts"] == 1 and report.new["comments"] == 1


def test_jsonl_with_a_byte_order_mark(sqlite_store, tmp_path):
    path = tmp_path / "d.jsonl"
    write_jsonl(path, [row("post", "p1")])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert import_file(sqlite_store, path).new["posts"] == 1


def test_invalid_utf8_in_a_quoted_multiline_field_costs_only_that_record(sqlite_store, tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(
        HEADER + csv_line("post", "p1")
        + csv_line("comment", "bad", "p1", b'"first line\nsecond caf\xe9 line"')  # lines 3-4, closing quote on the bad line
        + csv_line("comment", "good", "p1")  # line 5: must not be swallowed
        + csv_line("comment", "good2", "p1", b'"multi\nline, fine"')
    )
    report = import_file(sqlite_store, path)
    assert {"p1", "good", "good2"} <= stored_ids(sqlite_store)
    assert report.rejected == 1 and report.first_rejects[0]["line"] == 3
    assert "invalid UTF-8" in report.first_rejects[0]["error"]
    (entry,) = read_rejects(report.rejects_path)
    assert "caf\\xe9" in entry["raw"] and entry["raw"].count("\n") == 1  # both lines of the record kept


def test_an_unclosed_quote_costs_only_its_line(sqlite_store, tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(HEADER + csv_line("post", "p1") + csv_line("comment", "open", "p1", b'"never closed')
                     + b"".join(csv_line("comment", f"c{i}", "p1") for i in range(5)))
    report = import_file(sqlite_store, path)
    assert report.rejected == 1 and report.first_rejects[0]["line"] == 3
    assert "unclosed quote" in report.first_rejects[0]["error"]
    assert {f"c{i}" for i in range(5)} <= stored_ids(sqlite_store)


def test_a_field_over_the_csv_limit_is_one_rejected_row(sqlite_store, tmp_path):
    path = tmp_path / "d.csv"
    huge = b'"' + b"x" * 131_073 + b'"'
    path.write_bytes(HEADER + csv_line("post", "p1") + csv_line("comment", "huge", "p1", huge)
                     + csv_line("comment", "after", "p1"))
    report = import_file(sqlite_store, path)
    assert report.rejected == 1 and report.first_rejects[0]["line"] == 3
    assert "131,072 characters" in report.first_rejects[0]["error"]
    assert {"p1", "after"} <= stored_ids(sqlite_store)


def _gz(path: Path, rows: list[dict]) -> Path:
    plain = write_jsonl(path.with_suffix(""), rows)
    path.write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    return path


def test_a_truncated_gzip_keeps_every_row_before_the_damage(sqlite_store, tmp_path):
    rows = [row("post", f"p{i}", text=f"post number {i} " * 20) for i in range(3000)]
    path = _gz(tmp_path / "d.jsonl.gz", rows)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError) as caught:
        import_file(sqlite_store, path)
    message = str(caught.value)
    assert "\n" not in message and "truncated" in message
    stored = stored_ids(sqlite_store)
    assert 0 < len(stored) < 3000
    assert stored == {f"p{i}" for i in range(len(stored))}  # every row before the damage
    (entry,) = read_rejects(path.with_name(path.name + ".rejects.jsonl"))
    assert entry["line"] == len(stored) + 1 and "cannot be read from here on" in entry["error"]


def test_a_gz_that_is_not_gzip_is_a_one_line_error(sqlite_store, tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl.gz", [row("post", "p1")])
    with pytest.raises(InputError, match="not a gzip file"):
        import_file(sqlite_store, path)


def test_corrupt_gzip_data_is_a_one_line_error(sqlite_store, tmp_path):
    path = _gz(tmp_path / "d.jsonl.gz", [row("post", f"p{i}") for i in range(200)])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(InputError):
        import_file(sqlite_store, path)


def test_unknown_extension_and_unknown_format_list_the_formats(sqlite_store, tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("x\n")
    with pytest.raises(UsageError, match="jsonl, csv"):
        import_file(sqlite_store, path)
    good = write_jsonl(tmp_path / "d.jsonl", [row("post", "p1")])
    with pytest.raises(UsageError, match="unknown format 'bogus'.*jsonl"):
        import_files(sqlite_store, [good], "bogus")
    assert sqlite_store.counts()["posts"] == 0


ACTOR = "https://social.example/users/brand"


def _note(i, **fields):
    note = {"type": "Note", "id": f"{ACTOR}/statuses/{i}", "published": "2026-01-05T12:00:00Z",
            "attributedTo": ACTOR, "content": f"<p>note {i}</p>"}
    note.update(fields)
    return {"type": "Create", "object": note}


@pytest.mark.parametrize("bad", [
    {"id": 12345},
    {"id": 1.5e300},
    {"content": ["<p>a</p>", "<p>b</p>"]},
    {"content": {"html": "x"}},
    {"attributedTo": {"id": ACTOR}},
    {"published": 10**30},
    {"published": "0001-01-01T00:00:00+14:00"},
    {"inReplyTo": ["x"]},
])
def test_a_hostile_mastodon_note_is_one_rejected_item(sqlite_store, tmp_path, bad):
    outbox = {"type": "OrderedCollection",
              "orderedItems": [_note(1), _note(2, **bad), _note(3, inReplyTo=f"{ACTOR}/statuses/1")]}
    path = tmp_path / "outbox.json"
    path.write_text(json.dumps(outbox))
    report = import_file(sqlite_store, path)
    assert report.rejected == 1 and report.first_rejects[0]["line"] == 2
    assert report.new["posts"] == 1 and report.new["comments"] == 1


def test_csv_rows_around_bad_values_are_kept(sqlite_store, tmp_path):
    rows = good_rows(threads=3)
    path = tmp_path / "d.csv"
    lines = [HEADER.rstrip(b"\n") + b",likes"]
    for r in rows:
        lines.append(csv_line(r["kind"], r["id"], r.get("parent_id", ""), r["text"].encode()).rstrip(b"\n") + b",1")
    lines.insert(3, csv_line("post", "big", text=b"x").rstrip(b"\n") + b",99999999999999999999")
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = import_file(sqlite_store, path)
    assert report.rejected == 1 and report.first_rejects[0]["line"] == 4
    assert report.new["posts"] == 3 and report.new["comments"] == 9
