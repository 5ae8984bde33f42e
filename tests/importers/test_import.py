"""`sounding import`: idempotence, bad rows set aside with their line, and resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from sounding.cli import app
from sounding.importers import BATCH_SIZE
from sounding.store import Store

from importer_helpers import good_rows, row, write_jsonl

runner = CliRunner()


def run(db: Path, *args: str):
    return runner.invoke(app, ["--db", str(db), *args])


def test_importing_twice_changes_no_counts(tmp_path):
    data = write_jsonl(tmp_path / "data.jsonl", good_rows())
    first = run(tmp_path / "s.db", "import", str(data), "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)[0]["new"] == {"posts": 20, "comments": 60, "reactions": 20, "polls": 0}
    second = run(tmp_path / "s.db", "import", str(data), "--json")
    report = json.loads(second.stdout)[0]
    assert report["new"] == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}
    assert report["duplicates"] == 80
    status = json.loads(run(tmp_path / "s.db", "status", "--json").stdout)
    assert (status["posts"], status["comments"]) == (20, 60)


def test_the_import_summary_reads_in_words(tmp_path):
    """One row is "1 row", one new post "1 post"; more are counted in the plural."""
    one = run(tmp_path / "s.db", "import", str(write_jsonl(tmp_path / "one.jsonl", [row("post", "p1")])))
    assert one.exit_code == 0, one.output
    assert "1 row read; new: 1 post; 0 already stored; 0 rejected" in " ".join(one.stdout.split())
    more = run(tmp_path / "s.db", "import", str(write_jsonl(tmp_path / "more.jsonl", good_rows(threads=2))))
    assert "8 rows read; new: 1 post, 6 comments, 2 reactions; 1 already stored" in " ".join(more.stdout.split())


def test_bad_rows_are_reported_with_their_line_and_set_aside(tmp_path):
    rows: list = good_rows(threads=5)
    bad = {
        3: b'{"kind": "comment", "platform": "twitter", "id": "broken"',  # invalid JSON
        6: orjson.dumps(row("post", "latin1")).replace(b"hello", b"caf\xe9"),  # invalid UTF-8
        9: orjson.dumps({k: v for k, v in row("comment", "noid", "p0").items() if k != "id"}),
        12: orjson.dumps(row("comment", "huge", "p0", text="x" * 10_000_000)),  # a 10 MB text field
        15: orjson.dumps(row("comment", "orphan", "no-such-parent")),
        18: orjson.dumps(row("post", "when", created_at="yesterday")),
    }
    for line in sorted(bad):  # insert at 1-based line numbers
        rows.insert(line - 1, bad[line])
    data = write_jsonl(tmp_path / "bad.jsonl", rows)
    result = run(tmp_path / "s.db", "import", str(data), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)[0]
    assert report["rejected"] == len(bad)
    assert report["new"]["posts"] == 5 and report["new"]["comments"] == 15  # every good row kept
    rejects = [json.loads(line) for line in Path(report["rejects_path"]).read_text().splitlines()]
    by_line = {r["line"]: r for r in rejects}
    assert set(by_line) == set(bad)
    assert by_line[3]["error"].startswith("invalid JSON")
    assert "invalid UTF-8" in by_line[6]["error"] and "caf\\xe9" in by_line[6]["raw"]
    assert by_line[9]["error"] == "missing required field 'id'"
    assert "10,000,000 characters" in by_line[12]["error"] and len(by_line[12]["raw"]) > 10_000_000
    assert by_line[15]["error"] == "unknown parent 'no-such-parent'"
    assert "ISO 8601" in by_line[18]["error"]
    assert all(r["source"] == str(data) for r in rejects)


def test_reply_before_its_parent_in_the_file_is_kept(tmp_path):
    rows = [row("comment", "c2", "c1"), row("comment", "c1", "p1"), row("post", "p1")]
    result = run(tmp_path / "s.db", "import", str(write_jsonl(tmp_path / "d.jsonl", rows)), "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["new"]["comments"] == 2


def test_csv_with_the_same_fields(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(
        b"kind,platform,id,parent_id,author,text,created_at,ours,likes\n"
        b"post,reddit,p1,,brand,\"Which one, A or B?\",2026-01-05T12:00:00Z,true,4\n"
        b"comment,reddit,c1,p1,ann,\"B, clearly\",2026-01-05T12:01:00Z,,\n"
        b"comment,reddit,c2,p1,bob,B,not-a-date,,\n"
        b"comment,reddit,c3,p1,bo\xff,x,2026-01-05T12:01:00Z,,\n"
        b"comment,reddit,c4,p1,cy,\"multi\nline\",2026-01-05T12:02:00Z,,-1\n"
    )
    result = run(tmp_path / "s.db", "import", str(path), "--json")
    report = json.loads(result.stdout)[0]
    assert report["new"]["posts"] == 1 and report["new"]["comments"] == 1
    assert {r["line"] for r in report["first_rejects"]} == {4, 5, 6}  # a record is named by its first line


def test_mastodon_outbox(tmp_path):
    actor = "https://social.example/users/brand"
    note = lambda i, reply=None: {  # noqa: E731
        "type": "Create",
        "object": {"type": "Note", "id": f"{actor}/statuses/{i}", "url": f"https://social.example/@brand/{i}",
                   "published": "2026-01-05T12:00:00Z", "attributedTo": actor,
                   "content": "<p>Which <b>one</b>?</p><p>A &amp; B</p>", "inReplyTo": reply},
    }
    outbox = {"@context": "https://www.w3.org/ns/activitystreams", "type": "OrderedCollection",
              "orderedItems": [note(1), note(2, f"{actor}/statuses/1"), {"type": "Announce", "object": "x"},
                               note(3, "https://elsewhere.example/statuses/77")]}
    path = tmp_path / "outbox.json"
    path.write_text(json.dumps(outbox))
    report = json.loads(run(tmp_path / "s.db", "import", str(path), "--json").stdout)[0]
    assert report["format"] == "mastodon-outbox"
    assert report["new"]["posts"] == 1 and report["new"]["comments"] == 1 and report["rejected"] == 1
    store = Store.open(str(tmp_path / "s.db"))
    with store.engine.connect() as conn:
        text = conn.exec_driver_sql("select text from posts").scalar_one()
    assert text == "Which one?\n\nA & B"  # the connector's HTML to text: paragraphs are blank lines


def test_reddit_export(tmp_path):
    (tmp_path / "posts.csv").write_text(
        "id,permalink,date,ip,subreddit,gildings,title,url,body\n"
        "abc,https://www.reddit.com/r/x/comments/abc/t/,2025-05-18 04:35:32 UTC,1.2.3.4,x,0,Title,,Body\n"
    )
    (tmp_path / "comments.csv").write_text(
        "id,permalink,date,ip,subreddit,gildings,link,parent,body,media\n"
        "k1,https://www.reddit.com/r/x/comments/abc/t/k1/,2025-05-18 05:00:00 UTC,,x,0,"
        "https://www.reddit.com/r/x/comments/abc/t/,,Top level,\n"
        "k2,https://www.reddit.com/r/x/comments/abc/t/k2/,2025-05-18 05:10:00 UTC,,x,0,"
        "https://www.reddit.com/r/x/comments/abc/t/,t1_k1,Nested,\n"
    )
    result = run(tmp_path / "s.db", "import", str(tmp_path / "posts.csv"), str(tmp_path / "comments.csv"), "--json")
    reports = json.loads(result.stdout)
    assert [r["format"] for r in reports] == ["reddit-export", "reddit-export"]
    assert reports[0]["new"]["posts"] == 1 and reports[1]["new"]["comments"] == 2


@pytest.mark.slow
def test_sigkill_mid_import_then_rerun_completes_without_duplicates(tmp_path, store_url):
    pairs = 2 * BATCH_SIZE  # four batches of post + reply pairs
    rows = []
    for t in range(pairs):
        rows.append(row("post", f"p{t}"))
        rows.append(row("comment", f"c{t}", f"p{t}"))
    data = write_jsonl(tmp_path / "big.jsonl", rows)
    command = [sys.executable, "-m", "sounding.cli", "--db", store_url, "import", str(data)]
    store = Store.open(store_url)  # created first: this test is about the kill, not about creation races
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    try:
        while time.time() < deadline:  # kill once some, but not all, batches are durable
            if 0 < store.counts()["posts"] < pairs:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        partial = store.counts()
        assert 0 < partial["posts"] < pairs, "the kill should land mid-import"
        # batches (BATCH_SIZE rows = BATCH_SIZE / 2 post+reply pairs) are atomic: never a post without its reply
        assert partial["posts"] == partial["comments"] and partial["posts"] % (BATCH_SIZE // 2) == 0
        done = subprocess.run(command, capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr
        final = store.counts()
        assert (final["posts"], final["comments"]) == (pairs, pairs)
    finally:
        store.close()


def _index_names(store: Store) -> set[str]:
    from sqlalchemy import inspect

    return {index["name"] for table in ("comments", "reaction_snapshots") for index in inspect(store.engine).get_indexes(table)}


def test_large_import_defers_comment_indexes_and_builds_them_at_the_end(tmp_path, monkeypatch):
    import sounding.store as store_module
    from sounding.importers import import_file

    data = write_jsonl(tmp_path / "threads.jsonl", good_rows(threads=30))
    plain = Store.open(str(tmp_path / "plain.db"))
    import_file(plain, data)
    monkeypatch.setattr(store_module, "BULK_MIN_ROWS", 1)
    bulk = Store.open(str(tmp_path / "bulk.db"))
    seen_during: list[set[str]] = []
    report = import_file(bulk, data, on_progress=lambda _: seen_during.append(_index_names(bulk)))
    assert report.rejected == 0
    assert seen_during and not (seen_during[0] & set(store_module.DEFERRABLE_INDEXES))  # dropped while loading
    assert set(store_module.DEFERRABLE_INDEXES) <= _index_names(bulk)  # and built again at the end
    assert bulk.counts() == plain.counts()


def test_a_bulk_import_links_every_reply_as_the_file_says_and_turns_foreign_keys_back_on(tmp_path, monkeypatch):
    """SQLite's foreign-key probes are off while a bulk import writes: the writer's own links must hold."""
    import sounding.store as store_module
    from sounding.importers import import_file

    rows = good_rows(threads=30, replies=4) + [row("comment", "orphan", "nowhere")]
    rows.insert(5, row("comment", "early", "c29-3"))  # its parent comes later in the file
    monkeypatch.setattr(store_module, "BULK_MIN_ROWS", 1)
    store = Store.open(str(tmp_path / "bulk.db"))
    report = import_file(store, write_jsonl(tmp_path / "threads.jsonl", rows))
    assert report.rejected == 1  # the orphan, by the writer's own check
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # the pooled connection again checks
        stored = set(conn.exec_driver_sql(
            "SELECT c.platform_id, coalesce(parent.platform_id, post.platform_id), post.platform_id FROM comments c "
            "JOIN posts post ON post.id = c.post_id LEFT JOIN comments parent ON parent.id = c.parent_comment_id"
        ).fetchall())
    expected = {(r["id"], r["parent_id"], r["parent_id"].split("-")[0].replace("c", "p"))
                for r in rows if r["kind"] == "comment" and r["id"] != "orphan"}
    assert stored == expected


def test_indexes_a_killed_bulk_import_left_dropped_are_rebuilt_on_open(tmp_path):
    import sounding.store as store_module
    from sqlalchemy import text

    db = tmp_path / "s.db"
    store = Store.open(str(db))
    with store.engine.begin() as conn:  # what a SIGKILL between drop and rebuild leaves behind
        for name in store_module.DEFERRABLE_INDEXES:
            conn.execute(text(f"DROP INDEX {name}"))
    assert not (_index_names(store) & set(store_module.DEFERRABLE_INDEXES))
    store.close()
    assert set(store_module.DEFERRABLE_INDEXES) <= _index_names(Store.open(str(db)))
