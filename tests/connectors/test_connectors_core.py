"""The retry policy and the shared sync pass (cursor, resume, refresh window), without a network."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sounding.connectors import (
    AccountRef,
    FetchedPost,
    RetryPolicy,
    SyncInterrupted,
    ThreadedConnector,
    Transient,
)
from sounding.connectors.base import order_parents_first
from sounding.connectors.retry import Retrier, delay_from_headers, parse_retry_after
from sounding.connectors.sync import run_connector
from sounding.records import CommentRecord, PostRecord

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_retry_after_and_reset_headers():
    now = 1_800_000_000.0
    assert parse_retry_after("7") == 7.0
    assert (
        parse_retry_after(
            "Thu, 15 Jan 2027 08:00:10 GMT", now=datetime(2027, 1, 15, 8, 0, tzinfo=UTC).timestamp()
        )
        == 10
    )
    assert parse_retry_after("soon") is None
    assert delay_from_headers({"Retry-After": "3"}, now) == 3
    assert delay_from_headers({"ratelimit-reset": str(int(now) + 20)}, now) == 20  # atproto: epoch
    assert (
        delay_from_headers(
            {"X-RateLimit-Reset": "2027-01-15T08:00:30.000Z"},
            datetime(2027, 1, 15, 8, 0, tzinfo=UTC).timestamp(),
        )
        == 30
    )  # Mastodon: ISO
    assert delay_from_headers({"x-ratelimit-reset": "42"}, now) == 42  # Reddit: seconds
    assert delay_from_headers({}, now) is None


def _retrier(fails, policy=None, classify=None):
    calls = {"n": 0}
    sleeps: list[float] = []

    def fn():
        calls["n"] += 1
        if calls["n"] <= len(fails):
            raise fails[calls["n"] - 1]
        return "ok"

    p = policy or RetryPolicy(max_attempts=5, initial=1, maximum=8, budget=100)
    p.sleep = sleeps.append
    return Retrier("test", classify or (lambda e: None), p), fn, calls, sleeps


def test_backoff_is_exponential_with_jitter_and_honours_retry_after():
    r, fn, calls, sleeps = _retrier(
        [Transient("503"), Transient("503"), Transient("429", 5.0, True), Transient("503")]
    )
    assert r.call("thing", fn) == "ok"
    assert calls["n"] == 5
    assert 0 <= sleeps[0] <= 1 and 0 <= sleeps[1] <= 2 and sleeps[2] >= 5 and 0 <= sleeps[3] <= 8


def test_gives_up_after_max_attempts_with_a_clear_message():
    r, fn, calls, sleeps = _retrier([Transient("HTTP 503 server error")] * 10)
    with pytest.raises(
        SyncInterrupted, match=r"gave up on thing after 5 attempt\(s\): HTTP 503 server error"
    ):
        r.call("thing", fn)
    assert calls["n"] == 5 and len(sleeps) == 4


def test_unsafe_calls_are_only_retried_after_a_rate_limit():
    classify = lambda e: Transient("HTTP 500") if isinstance(e, RuntimeError) else None
    r, fn, calls, _ = _retrier([RuntimeError("500")], classify=classify)
    with pytest.raises(RuntimeError):
        r.call("post", fn, safe=False)
    assert calls["n"] == 1
    r, fn, calls, _ = _retrier([Transient("429", 0.1, rate_limited=True)])
    assert r.call("post", fn, safe=False) == "ok"


def test_non_transient_errors_are_raised_at_once():
    r, fn, calls, _ = _retrier([KeyError("x")])
    with pytest.raises(KeyError):
        r.call("thing", fn)
    assert calls["n"] == 1


def test_order_parents_first():
    def c(i, parent):
        return CommentRecord("p", i, parent, "a", i, NOW)

    ordered = order_parents_first(
        [c("c3", "c2"), c("c2", "c1"), c("x", "gone"), c("c1", "root"), c("c4", "root")], "root"
    )
    assert [x.id for x in ordered] == ["c1", "c4", "c2", "c3", "x"]


class FakePlatform(ThreadedConnector):
    """An in-memory platform: posts newest first, one reply each; can fail on a given post."""

    platform = "fake"

    def __init__(self, posts, fail_on=None, **kw):
        super().__init__(AccountRef("fake", "me", None, None), policy=RetryPolicy.fast(), **kw)
        self.posts = posts
        self.fail_on = fail_on
        self.threads_read: list[str] = []
        self.clock = NOW

    def now(self):
        return self.clock

    def iter_posts(self, since):
        for p in self.posts:
            yield FetchedPost(PostRecord("fake", p[0], "me", p[0], p[1], ours=True, likes=1))

    def fetch_thread(self, post):
        if post.record.id == self.fail_on:
            raise SyncInterrupted("fake: outage")
        self.threads_read.append(post.record.id)
        return [
            CommentRecord("fake", post.record.id + "/r", post.record.id, "you", "hi", post.record.created_at)
        ]


def test_pass_resume_and_refresh_window(sqlite_store):
    posts = [(f"p{i}", NOW - timedelta(days=i * 5)) for i in range(6)]  # 0, 5, 10 … 25 days old
    aid = sqlite_store.upsert_account("fake", "me", None, None)

    broken = FakePlatform(posts, fail_on="p3")
    res = run_connector(sqlite_store, aid, broken)
    assert not res.complete and res.error == "fake: outage" and res.new["posts"] == 3
    state = json.loads(sqlite_store.get_cursor(aid, "posts"))
    assert state["last_pass"] is None and len(state["pass"]["done"]) == 3

    resumed = FakePlatform(posts)
    res = run_connector(sqlite_store, aid, resumed)
    assert res.complete and resumed.threads_read == ["p3", "p4", "p5"] and res.new["comments"] == 3
    state = json.loads(sqlite_store.get_cursor(aid, "posts"))
    assert state["pass"] is None and state["last_pass"] == broken.clock.isoformat()

    later = FakePlatform(posts)  # next pass: only posts of the last 14 days (+ since the last pass)
    later.clock = NOW + timedelta(days=1)
    res = run_connector(sqlite_store, aid, later)
    assert res.complete and later.threads_read == ["p0", "p1", "p2"]
    assert res.new == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}

    full = FakePlatform(posts)
    full.full = True
    run_connector(sqlite_store, aid, full)
    assert full.threads_read == [p[0] for p in posts]
