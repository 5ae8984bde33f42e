"""Facebook Page connector at the httpx transport, against Graph API bodies shaped as Meta documents them.

``/{page-id}/posts`` with reaction/comment summaries and shares, ``/{post-id}/comments`` with
``filter=stream`` (replies at depth 1 and 2, each with ``parent{id}``), cursor paging, error
objects; see ``fake_graph.py``.
"""

from __future__ import annotations

import pytest
from fake_graph import PAGE_ID, TOKEN, FakeGraph, error
from sqlalchemy import select

from sounding.connectors import AccountRef, AuthError, PollItem, PostItem, PublishNotSupported, ReplyItem
from sounding.connectors import RetryPolicy, open_connector
from sounding.connectors.sync import run_connector
from sounding.store import models
from sounding.store.reactions import series


@pytest.fixture
def graph():
    return FakeGraph(page_size=2)


def _connector(graph, policy=None, token=TOKEN):
    return open_connector(
        AccountRef("facebook", PAGE_ID, graph.base_url, token),
        transport=graph.transport(),
        policy=policy or RetryPolicy.fast(),
    )


def _rows(store):
    with store.engine.connect() as conn:
        return {r.platform_id: r for r in conn.execute(select(models.Comment))}


def test_page_posts_and_every_comment_at_every_depth(graph, store):
    aid = store.upsert_account("facebook", PAGE_ID, graph.base_url, "file:fb")
    result = run_connector(store, aid, _connector(graph))
    assert result.complete, result.error
    assert (result.new["posts"], result.new["comments"]) == (5, 21)  # 4 Page posts + a visitor's
    calls = [(p, q) for _, p, q in graph.log]
    assert sum(p.endswith("/feed") for p, _ in calls) == 3  # 5 posts, 2 a page
    assert sum(p.endswith("/comments") for p, _ in calls) == 4 * 3 + 1  # 5 comments a post, 2 a page
    assert all(q.get("filter") == "stream" for p, q in calls if p.endswith("/comments"))

    rows = _rows(store)
    top, ours, deep = rows["200000_30000"], rows["200000_31000"], rows["200000_32000"]
    assert top.parent_comment_id is None and ours.parent_comment_id == top.id
    assert deep.parent_comment_id == ours.id  # a reply to the Page's reply
    assert ours.ours and not top.ours and not deep.ours
    assert sum(r.ours for r in rows.values()) == 5
    with store.engine.connect() as conn:
        visitor = conn.execute(select(models.Post).where(models.Post.platform_id == f"{PAGE_ID}_299999")).one()
    assert not visitor.ours and visitor.text == "My order arrived broken, who do I contact?"
    assert rows["299999_39999"].ours and rows["299999_39999"].parent_comment_id is None
    assert top.text == "Question 0 on post 0?"
    with store.engine.connect() as conn:
        (snap,) = series(conn, None, f"{PAGE_ID}_200002")
    assert (snap.likes, snap.reposts, snap.replies) == (22, 2, 5)

    again = run_connector(store, aid, _connector(graph))
    assert again.complete and again.new == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}


def test_page_rate_limit_then_success(graph, sqlite_store):
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=6, initial=0.01, maximum=0.02, budget=600, sleep=waits.append)
    graph.faults = [
        ("/feed", 400, {"retry-after": "3"}, error(32, "(#32) Page request limit reached")),
        ("/comments", 400, {}, error(613, "Calls to this api have exceeded the rate limit.")),
        ("/comments", 503, {}, "<html>Service Unavailable</html>"),
    ]
    aid = sqlite_store.upsert_account("facebook", PAGE_ID, graph.base_url, "file:fb")
    result = run_connector(sqlite_store, aid, _connector(graph, policy))
    assert result.complete, result.error
    assert result.new["comments"] == 21 and result.retries == 3 and not graph.faults
    assert 3.0 in waits


def test_a_rate_limit_longer_than_the_budget_stops_and_resumes(graph, sqlite_store):
    import json

    buc = {PAGE_ID: [{"type": "pages", "call_count": 100, "total_cputime": 5, "total_time": 5,
                      "estimated_time_to_regain_access": 30}]}
    graph.faults = [("/comments", 400, {"x-business-use-case-usage": json.dumps(buc)},
                     error(80001, "There have been too many calls to this Page account."))]
    aid = sqlite_store.upsert_account("facebook", PAGE_ID, graph.base_url, "file:fb")
    result = run_connector(sqlite_store, aid, _connector(graph))
    assert not result.complete
    assert "gave up on read comments" in result.error and "asked to wait 1800s" in result.error
    again = run_connector(sqlite_store, aid, _connector(graph))
    assert again.complete and len(_rows(sqlite_store)) == 21


def test_expired_page_token(graph):
    graph.valid_tokens = set()
    connector = _connector(graph)
    with pytest.raises(AuthError, match="expired or was revoked .*code 190, subcode 463"):
        list(connector.iter_posts(None))
    assert len(graph.log) == 1


def test_missing_permission_is_an_auth_error(graph):
    graph.faults = [("/feed", 403, {}, error(200, "(#200) Requires pages_read_engagement permission"))]
    with pytest.raises(AuthError, match="lacks a permission"):
        list(_connector(graph).iter_posts(None))


def test_reply_and_post_as_the_page(graph, sqlite_store):
    connector = _connector(graph)
    [reply] = connector.publish(ReplyItem("200001_30001", "You asked, we did: fixed in v2."))
    [post] = connector.publish(PostItem("Which colour next?"))
    assert post.startswith(f"{PAGE_ID}_")
    assert [p for m, p, _ in graph.log if m == "POST"] == ["/v25.0/200001_30001/comments", f"/v25.0/{PAGE_ID}/feed"]
    with pytest.raises(PublishNotSupported):
        connector.publish(PollItem("?", ["a", "b"]))
    aid = sqlite_store.upsert_account("facebook", PAGE_ID, graph.base_url, "file:fb")
    run_connector(sqlite_store, aid, _connector(graph))
    rows = _rows(sqlite_store)
    assert rows[reply].ours and rows[reply].parent_comment_id == rows["200001_30001"].id


def test_cli_connect_and_sync_twice_against_a_local_graph_server(tmp_path):
    from test_connectors_instagram import connect_and_sync_twice

    rows = connect_and_sync_twice(tmp_path, "facebook", "--page-id", PAGE_ID, 5, 21, 5)
    assert ("200003_32000", "Great, thanks") in rows
