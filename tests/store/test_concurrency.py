"""Several processes on one store (issue 10, item 6): migrations and index rebuilds under a lock.

Real processes (multiprocessing, fork), on SQLite and PostgreSQL: two imports into a store that
does not exist yet, ``status`` while a bulk import has dropped the indexes, a killed bulk import.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import socket
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, select

from sounding.records import CommentRecord, PostRecord
from sounding.store import BULK_MIN_ROWS, DEFERRABLE_INDEXES, INDEX_OWNER_KEY, Store, models
from sounding.store.engine import make_engine

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
CTX = mp.get_context("fork")
WORKERS = 6


def _records(worker: int) -> list:
    post = PostRecord("mastodon", f"p{worker}", "brand", "Question?", T0, ours=True)
    comments = [
        CommentRecord("mastodon", f"c{worker}-{i}", f"p{worker}", f"u{i}", f"reply {i}", T0 + timedelta(minutes=i))
        for i in range(20)
    ]
    return [post, *comments]


def _open_and_write(url: str, worker: int, barrier, results) -> None:
    try:
        barrier.wait(timeout=60)
        store = Store.open(url)
        store.write_records(_records(worker))
        store.counts()
        store.close()
        results.put((worker, "ok"))
    except BaseException as exc:  # report, never hang the parent
        results.put((worker, f"{type(exc).__name__}: {exc}"))


def _run(target, args_per_worker: list[tuple]) -> list:
    results = CTX.Queue()
    procs = [CTX.Process(target=target, args=(*args, results)) for args in args_per_worker]
    for p in procs:
        p.start()
    out = [results.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return out


def _indexes(url: str) -> set[str]:
    """The comment and snapshot indexes, looked at without opening a Store (opening may build them)."""
    engine = make_engine(url)
    try:
        return {ix["name"] for table in ("comments", "reaction_snapshots") for ix in inspect(engine).get_indexes(table)}
    finally:
        engine.dispose()


def _owner(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(models.Meta.value).where(models.Meta.key == INDEX_OWNER_KEY)).scalar()
    finally:
        engine.dispose()


def test_processes_opening_a_store_that_does_not_exist_yet_all_succeed(store_url):
    barrier = CTX.Barrier(WORKERS)
    out = _run(_open_and_write, [(store_url, w, barrier) for w in range(WORKERS)])
    assert sorted(out) == [(w, "ok") for w in range(WORKERS)]
    store = Store.open(store_url)
    counts = store.counts()
    store.close()
    assert (counts["posts"], counts["comments"]) == (WORKERS, WORKERS * 20)
    assert set(DEFERRABLE_INDEXES) <= _indexes(store_url)


def _bulk_owner(url: str, entered, release, results) -> None:
    try:
        store = Store.open(url)
        with store.bulk_load(expected_rows=BULK_MIN_ROWS) as deferred:
            entered.set()
            release.wait(timeout=120)
            store.write_records(_records(99))
        store.close()
        results.put(("owner", deferred))
    except BaseException as exc:
        results.put(("owner", f"{type(exc).__name__}: {exc}"))


def _status(url: str, worker: int, barrier, results) -> None:
    _open_and_write(url, worker, barrier, results)


def test_status_during_a_bulk_import_neither_rebuilds_nor_fails(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    Store.open(url).close()
    entered, release, results = CTX.Event(), CTX.Event(), CTX.Queue()
    owner = CTX.Process(target=_bulk_owner, args=(url, entered, release, results))
    owner.start()
    assert entered.wait(timeout=60)
    assert not set(DEFERRABLE_INDEXES) & _indexes(url)  # dropped by the owner
    recorded = json.loads(_owner(url))
    assert (recorded["pid"], recorded["host"]) == (owner.pid, socket.gethostname())

    barrier = CTX.Barrier(4)
    out = _run(_status, [(url, w, barrier) for w in range(4)])  # open, write, count: like status
    assert sorted(out) == [(w, "ok") for w in range(4)]
    assert not set(DEFERRABLE_INDEXES) & _indexes(url)  # nobody else rebuilt them

    release.set()
    assert results.get(timeout=120) == ("owner", True)
    owner.join(timeout=60)
    assert set(DEFERRABLE_INDEXES) <= _indexes(url)  # the owner built them at its end
    assert _owner(url) is None


def _killed_owner(url: str) -> None:
    store = Store.open(url)
    with store.bulk_load(expected_rows=BULK_MIN_ROWS):
        store.write_records(_records(7))
        os._exit(9)  # killed mid-import: no cleanup runs


def test_a_killed_bulk_import_leaves_the_rebuild_to_the_next_open(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    Store.open(url).close()
    proc = CTX.Process(target=_killed_owner, args=(url,))
    proc.start()
    proc.join(timeout=60)
    assert proc.exitcode == 9
    assert not set(DEFERRABLE_INDEXES) & _indexes(url)
    assert json.loads(_owner(url))["pid"] == proc.pid  # gone now
    store = Store.open(url)
    assert store.counts()["comments"] == 20
    store.close()
    assert set(DEFERRABLE_INDEXES) <= _indexes(url)
    assert _owner(url) is None


def test_a_second_bulk_import_does_not_drop_what_a_live_one_deferred(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    Store.open(url).close()
    entered, release, results = CTX.Event(), CTX.Event(), CTX.Queue()
    owner = CTX.Process(target=_bulk_owner, args=(url, entered, release, results))
    owner.start()
    assert entered.wait(timeout=60)
    store = Store.open(url)
    with store.bulk_load(expected_rows=BULK_MIN_ROWS) as deferred:
        assert deferred is False
        store.write_records(_records(5))
    assert not set(DEFERRABLE_INDEXES) & _indexes(url)  # still the first one's to rebuild
    store.close()
    release.set()
    assert results.get(timeout=120) == ("owner", True)
    owner.join(timeout=60)
    assert set(DEFERRABLE_INDEXES) <= _indexes(url)


def test_an_owner_record_that_is_not_json_is_taken_for_gone(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    store = Store.open(url)
    with store.engine.begin() as conn:
        for index in models.Comment.__table__.indexes:
            if index.name in DEFERRABLE_INDEXES:
                index.drop(conn)
        conn.execute(models.Meta.__table__.insert().values(key=INDEX_OWNER_KEY, value="garbage"))
    store.close()
    Store.open(url).close()
    assert set(DEFERRABLE_INDEXES) <= _indexes(url)


def _die_holding_the_lock(url: str, held) -> None:
    from sounding.store.engine import store_lock

    engine = make_engine(url)
    with store_lock(engine):
        held.set()
        time.sleep(0.2)
        os._exit(9)  # killed while migrating: the OS (SQLite) or the server (PostgreSQL) frees the lock


def test_a_process_killed_while_holding_the_schema_lock_does_not_block_the_next(store_url):
    held = CTX.Event()
    proc = CTX.Process(target=_die_holding_the_lock, args=(store_url, held))
    proc.start()
    assert held.wait(timeout=60)
    proc.join(timeout=60)
    assert proc.exitcode == 9
    started = time.monotonic()
    store = Store.open(store_url)
    assert store.counts()["posts"] == 0
    store.close()
    assert time.monotonic() - started < 30


def test_a_store_in_a_folder_where_no_lock_file_can_be_made_still_opens(tmp_path, monkeypatch):
    """E.g. a read-only folder (root ignores permissions, so the refusal is simulated)."""
    import filelock

    url = f"sqlite:///{tmp_path / 's.db'}"
    Store.open(url).close()

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(filelock.FileLock, "acquire", refuse)
    store = Store.open(url)
    assert store.counts()["posts"] == 0
    store.close()
