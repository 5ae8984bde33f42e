"""Faults between Mastodon.py and mastodon-mock, injected by a loopback proxy; and kill/resume.

The proxy (``faultproxy.py``) answers 429 (with and without ``Retry-After``), 500/503, holds requests
past the client's timeout, and cuts JSON bodies in half. A sync through it must end with exactly what
a clean sync gets, within the backoff budget, or stop with a clear message and lose nothing.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from connector_helpers import ROOT, masto, run_cli
from faultproxy import FaultProxy, Rule
from sqlalchemy import func, select

from sounding.connectors import AccountRef, RetryPolicy, open_connector
from sounding.connectors.sync import run_connector
from sounding.store import Store, models


def _seed(url: str, posts: int = 5, replies: int = 2) -> None:
    alice, bob, carol = masto(url, "alice_token"), masto(url, "bob_token"), masto(url, "carol_token")
    for i in range(posts):
        q = alice.status_post(f"Question {i}: what do you think?")
        parent = q
        for j in range(replies):
            parent = (bob if j % 2 == 0 else carol).status_post(
                f"answer {i}.{j}", in_reply_to_id=parent["id"]
            )
    poll = alice.status_post("Poll?", poll=alice.make_poll(["a", "b"], expires_in=3600))
    bob.poll_vote(poll["poll"]["id"], [0])


def _connector(url: str, timeout: float = 5.0, policy: RetryPolicy | None = None):
    ref = AccountRef("mastodon", "alice", url, "alice_token", options={"timeout": str(timeout)})
    return open_connector(ref, policy=policy or RetryPolicy.fast())


def _totals(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            "posts": conn.execute(select(func.count()).select_from(models.Post)).scalar_one(),
            "comments": conn.execute(select(func.count()).select_from(models.Comment)).scalar_one(),
            "polls": conn.execute(select(func.count()).select_from(models.PollSnapshot)).scalar_one(),
        }


@pytest.fixture
def seeded(mastodon_server, tmp_path):
    url = mastodon_server.base_url
    _seed(url)
    reference = Store.open(str(tmp_path / "reference.db"))
    aid = reference.upsert_account("mastodon", "alice", url, "file:x")
    assert run_connector(reference, aid, _connector(url)).complete
    expected = _totals(reference)
    reference.close()
    assert expected == {"posts": 6, "comments": 10, "polls": 1}
    with FaultProxy(url) as proxy:
        yield url, proxy, expected


def test_every_kind_of_fault_is_retried_and_the_sync_completes(seeded, sqlite_store):
    url, proxy, expected = seeded
    proxy.add(
        Rule(
            "status", path="/api/v1/accounts/verify_credentials", status=429, headers={"Retry-After": "0.3"}
        ),
        Rule("status", path="/statuses", status=429),  # no Retry-After, no reset header: backoff only
        Rule("status", path="/context", status=500, times=2),
        Rule("status", path="/api/v1/polls/", status=503, headers={"Retry-After": "0"}),
        Rule("timeout", path="/context", delay=1.5),  # longer than the client's 0.5 s timeout
        Rule("truncate", path="/context"),
        Rule("truncate", path="/api/v1/accounts/"),  # a page of our statuses cut in half
    )
    connector = _connector(proxy.url, timeout=0.5)
    started = time.monotonic()
    result = run_connector(
        sqlite_store, sqlite_store.upsert_account("mastodon", "alice", url, "file:x"), connector
    )
    elapsed = time.monotonic() - started
    assert result.complete, result.error
    assert _totals(sqlite_store) == expected
    kinds = {what.split()[0] for _, _, what in proxy.faults()}
    assert kinds == {"status", "timeout", "truncated"}
    assert all(r.times == 0 for r in proxy.rules), [r for r in proxy.rules if r.times]
    assert result.retries == 8
    assert connector.retrier.waited >= 0.3  # Retry-After honoured
    assert elapsed < 15


def test_persistent_outage_stops_clearly_then_resumes_without_loss(seeded, sqlite_store):
    url, proxy, expected = seeded
    aid = sqlite_store.upsert_account("mastodon", "alice", url, "file:x")
    # the 3rd thread read onwards fails for good
    proxy.add(
        Rule("delay", path="/context", times=2), Rule("status", path="/context", status=503, times=None)
    )
    result = run_connector(sqlite_store, aid, _connector(proxy.url))
    assert not result.complete
    assert result.error.startswith(
        "mastodon: gave up on read thread after 6 attempt(s): HTTP 503 server error"
    )
    assert "run `sounding sync` again later to resume" in result.error
    partial = _totals(sqlite_store)
    assert partial["posts"] == 2 and partial["comments"] < expected["comments"]  # two posts fully written
    cursor = json.loads(sqlite_store.get_cursor(aid, "posts"))
    assert len(cursor["pass"]["done"]) == 2

    proxy.clear()
    before = len(proxy.log)
    resumed = run_connector(sqlite_store, aid, _connector(proxy.url))
    assert resumed.complete
    assert _totals(sqlite_store) == expected
    contexts = [p for _, p, _ in proxy.log[before:] if p.endswith("/context")]
    assert len(contexts) == expected["posts"] - 2  # the two done posts were not fetched again
    assert resumed.new["posts"] == expected["posts"] - 2


def test_a_retry_after_longer_than_the_budget_stops_at_once(seeded, sqlite_store):
    url, proxy, _ = seeded
    proxy.add(Rule("status", path="/statuses", status=429, headers={"Retry-After": "3600"}, times=None))
    policy = RetryPolicy(max_attempts=6, initial=0.01, maximum=0.1, budget=60)
    connector = _connector(proxy.url, policy=policy)
    result = run_connector(
        sqlite_store, sqlite_store.upsert_account("mastodon", "alice", url, "file:x"), connector
    )
    assert not result.complete
    assert "HTTP 429 rate limited (the server asked to wait 3600s)" in result.error
    assert connector.retrier.retries == 0
    assert len([e for e in proxy.log if "/statuses" in e[1]]) == 1


def _count_comments(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("select count(*) from comments").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_sigkill_mid_sync_resumes_without_loss_or_duplicates(mastodon_server, tmp_path):
    url = mastodon_server.base_url
    _seed(url, posts=8, replies=3)
    db = tmp_path / "kill.db"
    env = {
        "SOUNDING_DATABASE_URL": f"sqlite:///{db}",
        "SOUNDING_CONFIG_DIR": str(tmp_path / "cfg"),
        "SOUNDING_SECRETS_BACKEND": "file",
    }
    with FaultProxy(url) as proxy:
        proxy.add(Rule("delay", path="/context", delay=0.4, times=None))  # slow enough to be killed mid-way
        out = run_cli(
            ["connect", "mastodon", "--instance", proxy.url, "--token-stdin"], env=env, input="alice_token\n"
        )
        assert out.returncode == 0, out.stderr
        proc = subprocess.Popen(
            [sys.executable, "-c", "from sounding.cli import app; app()", "sync", "--json"],
            env=dict(os.environ, PYTHONPATH=str(ROOT / "src"), **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while _count_comments(db) < 6 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at = _count_comments(db)
        assert 0 < killed_at < 8 * 3, f"not killed mid-way ({killed_at} comments)"
        with sqlite3.connect(db) as conn:
            cursor = json.loads(conn.execute("select cursor from sync_cursors").fetchone()[0])
        assert cursor["pass"] is not None  # an interrupted pass, resumable

        before = len(proxy.log)
        resumed = run_cli(["sync", "--json"], env=env)
        assert resumed.returncode == 0, resumed.stderr
        report = json.loads(resumed.stdout)
        refetched = [p for _, p, _ in proxy.log[before:] if p.endswith("/context")]
        assert report["new"]["comments"] == 8 * 3 - killed_at
        assert len(refetched) < 9  # done posts were skipped (8 questions + 1 poll)

        again = run_cli(["sync", "--json"], env=env)
        assert json.loads(again.stdout)["new"] == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from comments").fetchone()[0] == 24
        assert conn.execute("select count(*), count(distinct platform_id) from posts").fetchone() == (9, 9)
