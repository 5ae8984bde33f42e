"""Instagram connector at the httpx transport, against Graph API bodies shaped as Meta documents them.

See ``fake_graph.py`` for the shapes: media pages, comment pages with nested ``replies{…}``
(whose own paging forces ``/{ig-comment-id}/replies``), error objects and usage headers.
"""

from __future__ import annotations

import json

import pytest
from fake_graph import IG_ID, IG_USERNAME, TOKEN, FakeGraph, error
from sqlalchemy import select

from sounding.connectors import AccountRef, AuthError, ReplyItem, RetryPolicy, open_connector
from sounding.connectors.meta import usage
from sounding.connectors.sync import run_connector
from sounding.store import models
from sounding.store.reactions import series
from sounding.store.writer import pseudonym
from connector_helpers import ROOT, run_cli


@pytest.fixture
def graph():
    return FakeGraph(page_size=2)


def _connector(graph, policy=None, token=TOKEN):
    return open_connector(
        AccountRef("instagram", IG_ID, graph.base_url, token),
        transport=graph.transport(),
        policy=policy or RetryPolicy.fast(),
    )


def _rows(store):
    with store.engine.connect() as conn:
        return {r.platform_id: r for r in conn.execute(select(models.Comment))}


def test_media_comments_and_replies_across_pages(graph, store):
    aid = store.upsert_account("instagram", IG_ID, graph.base_url, "file:ig")
    result = run_connector(store, aid, _connector(graph))
    assert result.complete, result.error
    assert result.new["posts"] == 5
    assert result.new["comments"] == 25  # 15 comments, 10 replies (5 on one comment: 3 reply pages)
    paths = [p for _, p, _ in graph.log]
    assert sum(p.endswith("/media") for p in paths) == 3  # 5 media, 2 a page
    assert sum(p.endswith("/replies") for p in paths) == 3  # only the comment with 5 replies pages on
    assert all("access_token" not in q for _, _, q in graph.log)  # the token stays in the header

    rows = _rows(store)
    first = graph.ig_comments["17890000000000"][0]
    top, reply = rows[first["id"]], rows[first["_replies"][4]["id"]]  # 5th reply of post 0's first comment
    assert reply.parent_comment_id == top.id and top.parent_comment_id is None
    assert rows[first["_replies"][0]["id"]].ours and not reply.ours  # our "Thanks, noted!" vs a friend
    assert sum(r.ours for r in rows.values()) == 6
    assert top.author == pseudonym(store.salt, "instagram", "fan_0_0") and top.text == "Comment 0 on post 0: more colours please"
    with store.engine.connect() as conn:
        (snap,) = series(conn, None, "17890000000000")
        post = conn.execute(select(models.Post).where(models.Post.platform_id == "17890000000000")).one()
    assert (snap.likes, snap.replies) == (10, 9)
    assert post.url == "https://www.instagram.com/p/ABC0/" and post.ours

    again = run_connector(store, aid, _connector(graph))
    assert again.complete and again.new == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}


def test_rate_limit_error_then_success(graph, sqlite_store):
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=6, initial=0.01, maximum=0.02, budget=600, sleep=waits.append)
    buc = {IG_ID: [{"type": "instagram", "call_count": 100, "total_cputime": 20, "total_time": 30,
                    "estimated_time_to_regain_access": 2}]}
    graph.faults = [
        ("/comments", 400, {"x-business-use-case-usage": json.dumps(buc)},
         error(80002, "There have been too many calls to this Instagram account. Wait a bit and try again.")),
        ("/media", 400, {}, error(4, "(#4) Application request limit reached", kind="OAuthException")),
        ("/replies", 403, {}, error(17, "(#17) User request limit reached")),
        ("/comments", 500, {}, error(2, "An unexpected error has occurred. Please retry your request later.")),
        ("/comments", 200, {}, '{"data": [{"id": "1790'),  # cut off
    ]
    aid = sqlite_store.upsert_account("instagram", IG_ID, graph.base_url, "file:ig")
    connector = _connector(graph, policy)
    result = run_connector(sqlite_store, aid, connector)
    assert result.complete, result.error
    assert result.new["comments"] == 25 and not graph.faults
    assert result.retries == 5
    assert 120.0 in waits  # estimated_time_to_regain_access: 2 minutes


def test_usage_headers_slow_the_client_down(graph):
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=3, initial=0.01, maximum=10.0, budget=60, sleep=waits.append)
    graph.faults = [("/media", 200, {"x-app-usage": json.dumps({"call_count": 90, "total_time": 12, "total_cputime": 5})},
                     {"data": [], "paging": {}})]
    connector = _connector(graph, policy)
    assert list(connector.iter_posts(None)) == []
    connector.get(IG_ID, fields="id")
    assert waits == [5.0]  # 90 % of the hourly limit: half the longest wait before the next call
    assert usage({"X-Page-Usage": '{"call_count": 97}'})[0] == 97


def test_expired_token_is_a_clear_auth_error_not_a_retry_loop(graph, sqlite_store):
    connector = _connector(graph, token="EAAG-expired")
    with pytest.raises(AuthError) as info:
        connector.verify()
    message = str(info.value)
    assert "expired or was revoked" in message and "code 190, subcode 463" in message
    assert "sounding connect instagram" in message
    assert len(graph.log) == 1  # asked once, never retried

    aid = sqlite_store.upsert_account("instagram", IG_ID, graph.base_url, "file:ig")
    result = run_connector(sqlite_store, aid, _connector(graph, token="EAAG-expired"))
    assert not result.complete and "expired" in result.error and "EAAG-expired" not in result.error


def test_a_page_id_given_as_the_instagram_account_is_named_as_such(graph):
    from fake_graph import PAGE_ID

    connector = open_connector(AccountRef("instagram", PAGE_ID, graph.base_url, TOKEN), transport=graph.transport(),
                               policy=RetryPolicy.fast())
    with pytest.raises(Exception, match="is not an Instagram professional account id .*instagram_business_account"):
        connector.verify()
    assert _connector(graph).verify() == IG_ID


def test_reply_as_the_brand_to_a_comment_and_to_our_media(graph, sqlite_store):
    connector = _connector(graph)
    asked = graph.ig_comments["17890000000000"][1]["id"]
    [to_comment] = connector.publish(ReplyItem(asked, "You asked, we did: blue is back."))
    [to_media] = connector.publish(ReplyItem("17890000000001", "New colours are live"))
    posts = [(m, p) for m, p, _ in graph.log if m == "POST"]
    assert posts == [("POST", f"/v25.0/{asked}/replies"), ("POST", "/v25.0/17890000000001/comments")]
    assert graph.log[-1][2]["message"] == "New colours are live"

    aid = sqlite_store.upsert_account("instagram", IG_ID, graph.base_url, "file:ig")
    run_connector(sqlite_store, aid, _connector(graph))
    rows = _rows(sqlite_store)
    assert rows[to_comment].ours and rows[to_comment].parent_comment_id == rows[asked].id
    assert rows[to_media].ours and rows[to_media].text == "New colours are live"
    assert rows[to_media].author == pseudonym(sqlite_store.salt, "instagram", IG_USERNAME)


def test_a_publish_is_not_repeated_after_a_server_error(graph):
    graph.faults = [("/replies", 500, {}, error(1, "An unknown error occurred"))]
    connector = _connector(graph)
    with pytest.raises(Exception) as info:
        connector.publish(ReplyItem(graph.ig_comments["17890000000000"][1]["id"], "hello"))
    assert "publish reply" in str(info.value)
    assert sum(m == "POST" for m, _, _ in graph.log) == 1


# -- the real CLI against a real local server ------------------------------------------------------
def cli_env(tmp_path):
    return {
        "SOUNDING_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SOUNDING_CONFIG_DIR": str(tmp_path / "cfg"),
        "SOUNDING_SECRETS_BACKEND": "file",
    }


def connect_and_sync_twice(tmp_path, platform, id_option, account_id, posts, comments, ours):
    """``connect`` + ``sync`` twice through the CLI against FakeGraphServer; returns the store rows.

    Every post and comment has counts, so the first sync makes one reaction snapshot for each.
    """
    import sqlite3

    from fake_graph import FakeGraphServer

    env = cli_env(tmp_path)
    with FakeGraphServer() as server:
        out = run_cli(
            ["connect", platform, id_option, account_id, "--token-stdin", "--graph-url", server.url],
            env=env,
            input=TOKEN + "\n",
        )
        assert out.returncode == 0, out.stderr
        assert TOKEN not in out.stdout + out.stderr
        first = run_cli(["sync", "--json"], env=env)
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["new"] == {"posts": posts, "comments": comments, "reactions": posts + comments, "polls": 0}
        second = run_cli(["sync", "--json"], env=env)
        assert json.loads(second.stdout)["new"] == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}
        accounts = json.loads(run_cli(["accounts", "--json"], env=env).stdout)
        assert accounts[0]["handle"] == account_id and accounts[0]["secret"] != TOKEN
    db = tmp_path / "cli.db"
    assert TOKEN.encode() not in db.read_bytes()
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*), sum(ours) from comments").fetchone() == (comments, ours)
        return conn.execute("select platform_id, text from comments order by platform_id").fetchall()


def test_cli_connect_and_sync_twice_against_a_local_graph_server(tmp_path):
    rows = connect_and_sync_twice(tmp_path, "instagram", "--account-id", IG_ID, 5, 25, 6)
    assert ("179000000000", "Comment 0 on post 0: more colours please") in rows


@pytest.mark.parametrize(
    ("platform", "option", "account_id", "posts", "total", "first_post"),
    [("instagram", "--account-id", IG_ID, 5, 25, 9), ("facebook", "--page-id", "104000000000001", 5, 21, 5)],
)
def test_cli_sync_killed_mid_way_resumes_without_gaps(tmp_path, platform, option, account_id, posts, total, first_post):
    import os
    import signal
    import subprocess
    import sys
    import time
    import sqlite3

    from fake_graph import FakeGraphServer, comment_count

    env = cli_env(tmp_path)
    db = tmp_path / "cli.db"
    with FakeGraphServer() as server:
        out = run_cli(["connect", platform, option, account_id, "--token-stdin", "--graph-url", server.url],
                      env=env, input=TOKEN + "\n")
        assert out.returncode == 0, out.stderr
        server.graph.delay = 0.15  # slow enough to be killed between two posts
        proc = subprocess.Popen(
            [sys.executable, "-c", "from sounding.cli import app; app()", "sync", "--json"],
            env=dict(os.environ, PYTHONPATH=str(ROOT / "src"), **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while comment_count(db) < first_post and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at = comment_count(db)
        assert 0 < killed_at < total, f"not killed mid-way ({killed_at} comments)"
        print(f"{platform}: killed with {killed_at} of {total} comments stored")
        server.graph.delay = 0.0
        before = len(server.graph.log)
        resumed = run_cli(["sync", "--json"], env=env)
        assert resumed.returncode == 0, resumed.stderr
        assert json.loads(resumed.stdout)["new"]["comments"] == total - killed_at
        reread = {p for _, p, _ in server.graph.log[before:] if p.endswith("/comments")}
        assert len(reread) < posts  # the posts done before the kill were skipped
        again = run_cli(["sync", "--json"], env=env)
        assert json.loads(again.stdout)["new"] == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*), count(distinct platform_id) from comments").fetchone() == (total, total)
        assert conn.execute("select count(*) from posts").fetchone() == (posts,)
        orphans = conn.execute(
            "select count(*) from comments c where c.parent_comment_id is not null and not exists "
            "(select 1 from comments p where p.id = c.parent_comment_id)"
        ).fetchone()
        assert orphans == (0,)
