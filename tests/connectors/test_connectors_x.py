"""X API v2 connector at the httpx transport, with bodies shaped as X documents them (docs.x.com).

``GET /2/users/by/username/:username`` → ``{"data": {"id", "name", "username"}}``;
``GET /2/users/:id/tweets`` and ``GET /2/tweets/search/recent`` → ``{"data": [...], "includes":
{"users", "polls"}, "meta": {"result_count", "newest_id", "oldest_id", "next_token"?}}`` with
``public_metrics``, ``conversation_id`` and ``referenced_tweets``; problems as
``{"title", "detail", "type", "status"}``; 429 with ``x-rate-limit-limit/-remaining/-reset``.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from sounding.connectors import AccountRef, AuthError, PollItem, ReplyItem, RetryPolicy, open_connector
from sounding.connectors.sync import run_connector
from sounding.store import models
from sounding.store.reactions import series
from connector_helpers import run_cli

ME, TOKEN = "1500000000000000001", "AAAAAAAAAAAAAAAAAAAAAx-test-bearer"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _tweet(tid, text, when, author, conv, parent=None, likes=0, replies=0, poll=None):
    t = {
        "id": tid, "text": text, "created_at": when, "author_id": author, "conversation_id": conv,
        "edit_history_tweet_ids": [tid],
        "public_metrics": {"retweet_count": 1, "reply_count": replies, "like_count": likes, "quote_count": 0,
                           "bookmark_count": 0, "impression_count": 100},
    }
    if parent:
        t["referenced_tweets"] = [{"type": "replied_to", "id": parent}]
    if poll:
        t["attachments"] = {"poll_ids": [poll]}
    return t


class FakeX:
    """X API v2 for one account; times are hours before ``now`` (NOW in transport tests, the real
    time in the CLI test, where the 7-day recent-search window applies as it is)."""

    def __init__(self, now: datetime = NOW):
        self.log: list[tuple[str, str, dict]] = []
        self.faults: list[tuple[str, int, dict, dict]] = []

        def ago(hours: float) -> str:
            return (now - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")

        self.posts = [
            _tweet("300", "Which colour next? Vote!", ago(26), ME, "300", replies=0, poll="p1"),
            _tweet("200", "What should we fix first?", ago(50), ME, "200", likes=7, replies=5),
            _tweet("100", "Old news", ago(24 * 51), ME, "100", replies=3),  # beyond recent search's 7 days
        ]
        self.replies = [  # search returns newest first
            _tweet("205", "thanks!", ago(45), "42", "200", parent="203"),
            _tweet("204", "me too", ago(46), "43", "200", parent="201"),
            _tweet("203", "On it, shipping Friday", ago(47), ME, "200", parent="201"),
            _tweet("202", "The app crashes on login", ago(48), "43", "200", parent="200"),
            _tweet("201", "Checkout is slow", ago(49), "42", "200", parent="200", likes=2),
        ]

    def handler(self, request: httpx.Request) -> httpx.Response:
        path, q = request.url.path, dict(request.url.params)
        self.log.append((request.method, path, q))
        for i, (needle, status, headers, body) in enumerate(self.faults):
            if needle in path:
                del self.faults[i]
                return httpx.Response(status, headers=headers, json=body)
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"title": "Unauthorized", "type": "about:blank", "status": 401,
                                             "detail": "Unauthorized"})
        headers = {"x-rate-limit-limit": "900", "x-rate-limit-remaining": "899",
                   "x-rate-limit-reset": str(int(time.time()) + 900)}
        if path == "/2/users/by/username/brand":
            return httpx.Response(200, headers=headers, json={"data": {"id": ME, "name": "Brand", "username": "brand"}})
        if path == "/2/users/by/username/nobody":
            return httpx.Response(200, json={"errors": [{"value": "nobody", "detail": "Could not find user with username: [nobody].", "title": "Not Found Error", "type": "https://api.twitter.com/2/problems/resource-not-found"}]})
        if path == f"/2/users/{ME}/tweets":
            assert q["exclude"] == "retweets,replies"
            if "pagination_token" not in q:
                return httpx.Response(200, headers=headers, json={
                    "data": self.posts[:2],
                    "includes": {"polls": [{"id": "p1", "voting_status": "open", "end_datetime": "2030-11-21T10:00:00.000Z",
                                            "options": [{"position": 2, "label": "Green", "votes": 4},
                                                        {"position": 1, "label": "Blue", "votes": 9}]}]},
                    "meta": {"result_count": 2, "newest_id": "300", "oldest_id": "200", "next_token": "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i"}})
            assert q["pagination_token"] == "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i"
            return httpx.Response(200, headers=headers, json={"data": self.posts[2:], "meta": {"result_count": 1, "newest_id": "100", "oldest_id": "100"}})
        if path == "/2/tweets/search/recent":
            assert q["query"] == "conversation_id:200"
            start = int(q.get("next_token", "0"))
            chunk = self.replies[start : start + 2]
            meta = {"result_count": len(chunk), "newest_id": chunk[0]["id"], "oldest_id": chunk[-1]["id"]}
            if start + 2 < len(self.replies):
                meta["next_token"] = str(start + 2)
            users = [{"id": a, "username": f"user{a}", "name": a} for a in {t["author_id"] for t in chunk}]
            return httpx.Response(200, headers=headers, json={"data": chunk, "includes": {"users": users}, "meta": meta})
        if path == "/2/tweets" and request.method == "POST":
            body = json.loads(request.content)
            self.log[-1] = (request.method, path, body)
            return httpx.Response(201, json={"data": {"id": "999", "text": body["text"], "edit_history_tweet_ids": ["999"]}})
        return httpx.Response(404, json={"title": "Not Found", "status": 404})


@pytest.fixture
def fake():
    return FakeX()


def _connector(fake, policy=None, token=TOKEN, handle="brand"):
    c = open_connector(AccountRef("x", handle, "https://api.x.test", token),
                       transport=httpx.MockTransport(fake.handler), policy=policy or RetryPolicy.fast())
    c.now = lambda: NOW
    return c


def test_posts_replies_in_conversations_and_polls(fake, store):
    aid = store.upsert_account("x", "brand", "https://api.x.test", "file:x")
    result = run_connector(store, aid, _connector(fake))
    assert result.complete, result.error
    assert (result.new["posts"], result.new["comments"], result.new["polls"]) == (3, 5, 1)
    searches = [q for _, p, q in fake.log if p.endswith("/search/recent")]
    assert len(searches) == 3 and [q.get("next_token") for q in searches] == [None, "2", "4"]
    # no search for the post without replies nor for the one older than recent search reaches
    with store.engine.connect() as conn:
        rows = {r.platform_id: r for r in conn.execute(select(models.Comment))}
        poll = conn.execute(select(models.PollSnapshot)).one()
        (snap,) = series(conn, None, "200")
    assert rows["205"].parent_comment_id == rows["203"].id and rows["203"].parent_comment_id == rows["201"].id
    assert rows["201"].parent_comment_id is None and rows["203"].ours and not rows["201"].ours
    assert (snap.likes, snap.replies, snap.views, snap.reposts) == (7, 5, 100, 1)
    assert (poll.options, poll.votes) == (["Blue", "Green"], [9, 4])  # in position order

    again = run_connector(store, aid, _connector(fake))
    assert again.complete and again.new == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}


def test_429_waits_for_the_rate_limit_reset(fake, sqlite_store):
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=4, initial=0.01, maximum=0.02, budget=1000, sleep=waits.append)
    reset = str(int(time.time()) + 120)
    fake.faults = [("/search/recent", 429, {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
                                            "x-rate-limit-reset": reset},
                    {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429})]
    aid = sqlite_store.upsert_account("x", "brand", "https://api.x.test", "file:x")
    result = run_connector(sqlite_store, aid, _connector(fake, policy))
    assert result.complete, result.error
    assert result.retries == 1 and 115 < max(waits) <= 120
    assert result.new["comments"] == 5


def test_a_reset_beyond_the_budget_stops_clearly(fake):
    fake.faults = [("/tweets", 429, {"x-rate-limit-reset": str(int(time.time()) + 900)}, {"title": "Too Many Requests", "status": 429})]
    with pytest.raises(Exception, match=r"gave up on list our posts .*asked to wait (899|900)s"):
        list(_connector(fake).iter_posts(None))


def test_monthly_cap_and_bad_token_are_not_retried(fake):
    fake.faults = [("/tweets", 429, {}, {"title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly product cap",
                                         "type": "https://api.twitter.com/2/problems/usage-capped", "period": "Monthly"})]
    with pytest.raises(Exception, match="monthly post cap"):
        list(_connector(fake).iter_posts(None))
    with pytest.raises(AuthError, match="token was refused"):
        _connector(fake, token="wrong").verify()
    with pytest.raises(Exception, match="Could not find user"):
        _connector(fake, handle="nobody").verify()
    assert sum(p.endswith("/tweets") for _, p, _ in fake.log) == 1


def test_publish_reply_and_poll(fake):
    c = _connector(fake)
    assert c.publish(ReplyItem("201", "You asked, we did")) == ["999"]
    assert fake.log[-1][2] == {"text": "You asked, we did", "reply": {"in_reply_to_tweet_id": "201"}}
    c.publish(PollItem("Colour?", ["Blue", "Green"], expires_in=3600))
    assert fake.log[-1][2]["poll"] == {"options": ["Blue", "Green"], "duration_minutes": 60}


def test_remaining_zero_waits_for_the_reset_before_the_next_call(fake):
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=3, initial=0.01, maximum=0.02, budget=100, sleep=waits.append)
    reset = str(int(time.time()) + 30)
    fake.faults = [("/users/by/username", 200, {"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset},
                    {"data": {"id": ME, "name": "Brand", "username": "brand"}})]
    c = _connector(fake, policy)
    c.verify()
    assert waits == []
    list(c.iter_posts(None))
    assert len(waits) == 1 and 25 < waits[0] <= 30


def test_cli_connect_and_sync_twice_against_a_local_x_server(tmp_path):
    import sqlite3

    from fake_graph import LocalServer

    fake = FakeX(now=datetime.now(UTC))
    env = {"SOUNDING_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SOUNDING_CONFIG_DIR": str(tmp_path / "cfg"),
           "SOUNDING_SECRETS_BACKEND": "file"}
    with LocalServer(fake.handler) as server:
        out = run_cli(["connect", "x", "--handle", "@brand", "--token-stdin", "--api-url", server.url],
                      env=env, input=TOKEN + "\n")
        assert out.returncode == 0, out.stderr
        first = run_cli(["sync", "--json"], env=env)
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["new"] == {"posts": 3, "comments": 5, "reactions": 8, "polls": 1}
        second = run_cli(["sync", "--json"], env=env)
        assert json.loads(second.stdout)["new"] == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}
        bad = run_cli(["connect", "x", "--handle", "nobody", "--token-stdin", "--api-url", server.url],
                      env=env, input=TOKEN + "\n")
        assert bad.returncode != 0 and "Could not find user" in bad.stderr and "Traceback" not in bad.stderr
    with sqlite3.connect(tmp_path / "x.db") as conn:
        assert conn.execute("select count(*), sum(ours) from comments").fetchone() == (5, 1)
    assert TOKEN.encode() not in (tmp_path / "x.db").read_bytes()
