"""Reddit connector (PRAW) at the HTTP transport, with bodies shaped like Reddit's documented JSON.

Shapes (reddit-archive/reddit wiki "JSON"): a Listing is ``{"kind": "Listing", "data": {"after",
"before", "children": [things]}}``; a comment is kind ``t1`` with ``name``/``parent_id`` fullnames and
``replies`` (``""`` or a Listing); a "load more comments" stub is kind ``more`` with ``count`` and
``children`` ids (fetched through ``/api/morechildren``, answered as ``{"json": {"errors": [],
"data": {"things": [...]}}}``); a "continue this thread" stub is a ``more`` with ``count`` 0 and
id ``_`` (fetched as ``/comments/POST/_/COMMENT``). Deleted comments have author ``[deleted]`` and
body ``[deleted]``; removed ones body ``[removed]``.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from sounding.connectors import AccountRef, RetryPolicy, open_connector
from sounding.connectors.sync import run_connector

OAUTH = "https://oauth.reddit.com"
SECRET = json.dumps(
    {"client_id": "cid-abcdef", "client_secret": "csecret-xyz987", "password": "hunter2-reddit"}
)
T0 = 1_763_000_000.0


def listing(children, after=None):
    return {
        "kind": "Listing",
        "data": {
            "after": after,
            "before": None,
            "dist": len(children),
            "children": children,
            "modhash": None,
        },
    }


def submission(sid, title, *, author="brand", created=T0, num_comments=0, poll=None, selftext=""):
    data = {
        "id": sid,
        "name": f"t3_{sid}",
        "title": title,
        "selftext": selftext,
        "author": author,
        "created_utc": created,
        "permalink": f"/r/brand/comments/{sid}/slug/",
        "score": 12,
        "ups": 12,
        "num_comments": num_comments,
        "subreddit": "brand",
        "subreddit_name_prefixed": "r/brand",
        "url": f"https://www.reddit.com/r/brand/comments/{sid}/slug/",
        "is_self": True,
        "over_18": False,
    }
    if poll is not None:
        data["poll_data"] = poll
    return {"kind": "t3", "data": data}


def comment(cid, parent, link, body, *, author="ann", created=T0 + 60, replies=None, depth=0):
    return {
        "kind": "t1",
        "data": {
            "id": cid,
            "name": f"t1_{cid}",
            "parent_id": parent,
            "link_id": f"t3_{link}",
            "author": author,
            "body": body,
            "created_utc": created,
            "score": 3,
            "depth": depth,
            "permalink": f"/r/brand/comments/{link}/slug/{cid}/",
            "subreddit": "brand",
            "replies": listing(replies) if replies else "",
        },
    }


def more(mid, parent, children, count, depth=1):
    return {
        "kind": "more",
        "data": {
            "count": count,
            "name": f"t1_{mid}",
            "id": mid,
            "parent_id": parent,
            "depth": depth,
            "children": children,
        },
    }


class FakeReddit:
    """Routes PRAW's requests to canned, documented-shape bodies and records what was asked."""

    def __init__(self):
        self.calls: list[str] = []
        p1 = submission("p1", "What should we build next?", num_comments=9)
        poll = {
            "voting_end_timestamp": (T0 + 86400) * 1000,
            "total_vote_count": 13,
            "is_prediction": False,
            "user_selection": None,
            "options": [
                {"id": "1", "text": "Yes", "vote_count": 10},
                {"id": "2", "text": "No", "vote_count": 3},
            ],
        }
        p2 = submission("p2", "Quick poll", created=T0 - 3600, poll=poll)
        self.submissions = [p1, p2]
        deep = comment("d3", "t1_d2", "p1", "deep reply", depth=3, author="ben")
        self.thread_p1 = [
            listing([p1]),
            listing(
                [
                    comment(
                        "c1",
                        "t3_p1",
                        "p1",
                        "A dark mode!",
                        replies=[
                            comment(
                                "c2",
                                "t1_c1",
                                "p1",
                                "[removed]",
                                author="[deleted]",
                                depth=1,
                                replies=[
                                    comment(
                                        "c3",
                                        "t1_c2",
                                        "p1",
                                        "replying to a removed comment",
                                        author="cat",
                                        depth=2,
                                    ),
                                ],
                            ),
                            comment(
                                "d1",
                                "t1_c1",
                                "p1",
                                "[deleted]",
                                author="[deleted]",
                                depth=1,
                                replies=[
                                    comment(
                                        "d2",
                                        "t1_d1",
                                        "p1",
                                        "still here",
                                        author="dan",
                                        depth=2,
                                        replies=[
                                            more("_", "t1_d2", [], 0, depth=3),  # "continue this thread"
                                        ],
                                    ),
                                ],
                            ),
                        ],
                    ),
                    more("m1", "t3_p1", ["c4", "c5"], 2, depth=0),  # "load more comments (2 replies)"
                ]
            ),
        ]
        self.morechildren = {
            "things": [
                comment("c4", "t3_p1", "p1", "Offline mode", author="eve"),
                comment("c5", "t1_c4", "p1", "yes please", author="brand", depth=1),
            ]
        }
        self.continue_d2 = [
            listing([p1]),
            listing([comment("d2", "t1_d1", "p1", "still here", author="dan", depth=2, replies=[deep])]),
        ]
        self.thread_p2 = [listing([p2]), listing([])]

    def install(self, rsps: responses.RequestsMock) -> None:
        rsps.add(
            responses.POST,
            "https://www.reddit.com/api/v1/access_token",
            json={"access_token": "at-123", "token_type": "bearer", "expires_in": 86400, "scope": "*"},
        )
        rsps.add_callback(responses.GET, f"{OAUTH}/user/brand/submitted", callback=self._submitted)
        rsps.add_callback(
            responses.GET, f"{OAUTH}/comments/p1/", callback=lambda r: self._json(r, self.thread_p1)
        )
        rsps.add_callback(
            responses.GET, f"{OAUTH}/comments/p2/", callback=lambda r: self._json(r, self.thread_p2)
        )
        rsps.add_callback(
            responses.GET, f"{OAUTH}/comments/p1/_/d2", callback=lambda r: self._json(r, self.continue_d2)
        )
        rsps.add_callback(responses.POST, f"{OAUTH}/api/morechildren/", callback=self._more)

    def _json(self, request, body):
        self.calls.append(f"{request.method} {urlsplit(request.url).path}")
        return (
            200,
            {"x-ratelimit-remaining": "99", "x-ratelimit-used": "1", "x-ratelimit-reset": "300"},
            json.dumps(body),
        )

    def _submitted(self, request):
        after = parse_qs(urlsplit(request.url).query).get("after", [None])[0]
        if after is None:
            return self._json(request, listing([self.submissions[0]], after="t3_p1"))
        return self._json(request, listing([self.submissions[1]], after=None))

    def _more(self, request):
        form = parse_qs(request.body if isinstance(request.body, str) else request.body.decode())
        assert form["link_id"] == ["t3_p1"] and sorted(form["children"][0].split(",")) == ["c4", "c5"]
        return self._json(request, {"json": {"errors": [], "data": self.morechildren}})


@pytest.fixture
def reddit():
    fake = FakeReddit()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        yield fake, rsps


def _connector():
    return open_connector(AccountRef("reddit", "brand", None, SECRET), policy=RetryPolicy.fast())


def test_thread_with_more_stubs_continue_thread_and_deleted_comments(reddit, sqlite_store):
    fake, _ = reddit
    aid = sqlite_store.upsert_account("reddit", "brand", None, "file:reddit:brand")
    result = run_connector(sqlite_store, aid, _connector())
    assert result.complete, result.error
    assert result.new["posts"] == 2
    assert result.new["comments"] == 8  # c1 c2 c3 d1 d2 d3 c4 c5
    assert result.new["polls"] == 1
    assert "POST /api/morechildren/" in fake.calls and "GET /comments/p1/_/d2" in fake.calls

    from sqlalchemy import select

    from sounding.store import models

    with sqlite_store.engine.connect() as conn:
        rows = {r.platform_id: r for r in conn.execute(select(models.Comment))}
        snap = conn.execute(
            select(models.PollSnapshot.options, models.PollSnapshot.votes, models.PollSnapshot.voters)
        ).one()
    assert rows["t1_c2"].text == "[removed]" and rows["t1_d1"].text == "[deleted]"
    assert rows["t1_c3"].parent_comment_id == rows["t1_c2"].id  # kept under the removed comment
    assert rows["t1_d3"].parent_comment_id == rows["t1_d2"].id  # from "continue this thread"
    assert rows["t1_c5"].ours and not rows["t1_c4"].ours
    assert rows["t1_c4"].parent_comment_id is None
    assert (snap.options, snap.votes, snap.voters) == (["Yes", "No"], [10, 3], 13)

    again = run_connector(sqlite_store, aid, _connector())
    assert again.complete and again.new == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}


def test_records_use_fullnames_and_deleted_authors(reddit):
    connector = _connector()
    posts = list(connector.iter_posts(None))
    assert [p.record.id for p in posts] == ["t3_p1", "t3_p2"]
    records = connector.fetch_thread(posts[0])
    comments = {r.id: r for r in records}
    assert comments["t1_c2"].author == "[deleted]" and comments["t1_c2"].parent_id == "t1_c1"
    assert comments["t1_c1"].parent_id == "t3_p1"
    ids = [r.id for r in records]
    assert ids.index("t1_c1") < ids.index("t1_c2") < ids.index("t1_c3")  # parents first


def test_server_errors_and_429_are_retried_then_sync_completes(reddit, sqlite_store):
    fake, rsps = reddit
    # the first two reads of the thread fail: 503, then 429 with Retry-After
    calls = {"n": 0}

    def flaky(request):
        calls["n"] += 1
        if calls["n"] == 1:
            return 503, {}, "unavailable"
        if calls["n"] == 2:
            return 429, {"Retry-After": "0.05"}, '{"message": "Too Many Requests", "error": 429}'
        return fake._json(request, fake.thread_p1)

    rsps.remove(responses.GET, f"{OAUTH}/comments/p1/")
    rsps.add_callback(responses.GET, f"{OAUTH}/comments/p1/", callback=flaky)
    aid = sqlite_store.upsert_account("reddit", "brand", None, "file:x")
    connector = _connector()
    result = run_connector(sqlite_store, aid, connector)
    assert result.complete, result.error
    assert result.retries == 2 and result.new["comments"] == 8
