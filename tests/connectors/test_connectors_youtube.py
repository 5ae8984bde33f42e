"""YouTube connector at the transport: an httplib2-compatible fake routes googleapiclient's requests.

Bodies follow the YouTube Data API v3 reference: ``channels`` (contentDetails.relatedPlaylists.uploads),
``playlistItems`` (contentDetails.videoId, nextPageToken), ``videos`` (snippet, statistics as strings),
``commentThreads`` (snippet.topLevelComment, snippet.totalReplyCount, replies.comments: a *subset* of
the replies) and ``comments`` (parentId paging). Errors use the documented error body
(``{"error": {"code", "message", "errors": [{"reason", "domain"}]}}``).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httplib2
import pytest

from sounding.connectors import AccountRef, RetryPolicy, open_connector
from sounding.connectors.retry import SyncInterrupted
from sounding.connectors.sync import run_connector
from sounding.store.reactions import series

CHANNEL = "UCbrand000000000000000000"
KEY = "AIzaTESTKEY-very-secret-123"


def _comment(cid, text, author, when, *, video="v1", parent=None, likes=0):
    sn = {
        "authorDisplayName": f"@{author}",
        "authorChannelId": {"value": f"UC{author}"},
        "channelId": CHANNEL,
        "videoId": video,
        "textDisplay": text,
        "textOriginal": text,
        "canRate": True,
        "viewerRating": "none",
        "likeCount": likes,
        "publishedAt": when,
        "updatedAt": when,
    }
    if parent:
        sn["parentId"] = parent
    return {"kind": "youtube#comment", "etag": "e", "id": cid, "snippet": sn}


def _error(code, reason, message="error"):
    return code, {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "youtube", "reason": reason}],
        }
    }


class FakeYouTube:
    """httplib2.Http look-alike: answers by path and query, records the calls, can inject faults."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.faults: list[tuple[str, int, dict, bytes]] = []  # (path part, status, headers, body)
        # 7 replies to t1, of which the thread embeds 2: the rest must come from comments.list (2 pages)
        self.replies = [
            _comment(f"t1.r{i}", f"reply {i}", f"u{i}", f"2026-11-0{i}T10:00:00Z", parent="t1")
            for i in range(1, 8)
        ]
        self.replies[2]["snippet"]["authorChannelId"]["value"] = CHANNEL  # we answered too

    # httplib2.Http API used by googleapiclient
    def request(self, uri, method="GET", body=None, headers=None, redirections=5, connection_type=None):
        parts = urlsplit(uri)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.calls.append((parts.path, query))
        for i, (needle, status, hdrs, payload) in enumerate(self.faults):
            if needle in parts.path:
                del self.faults[i]
                if status == 0:
                    raise TimeoutError("timed out")
                return httplib2.Response({"status": str(status), **hdrs}), payload
        status, data = self.route(parts.path.rsplit("/", 1)[-1], query)
        return httplib2.Response({"status": str(status), "content-type": "application/json"}), json.dumps(
            data
        ).encode()

    def close(self):
        pass

    def route(self, name, q):
        assert q.get("key") == KEY
        if name == "channels":
            return 200, {
                "kind": "youtube#channelListResponse",
                "items": [
                    {
                        "kind": "youtube#channel",
                        "id": CHANNEL,
                        "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": "UUbrand"}},
                    }
                ],
            }
        if name == "playlistItems":
            if q.get("pageToken") is None:
                return 200, {
                    "items": [{"contentDetails": {"videoId": "v1"}}],
                    "nextPageToken": "P2",
                    "pageInfo": {"totalResults": 2, "resultsPerPage": 1},
                }
            return 200, {"items": [{"contentDetails": {"videoId": "v2"}}], "pageInfo": {"totalResults": 2}}
        if name == "videos":
            items = []
            for vid in q["id"].split(","):
                items.append(
                    {
                        "kind": "youtube#video",
                        "id": vid,
                        "snippet": {
                            "publishedAt": "2026-10-01T12:00:00Z" if vid == "v1" else "2026-09-01T12:00:00Z",
                            "channelId": CHANNEL,
                            "title": f"Video {vid}",
                            "description": "What do you think?",
                        },
                        "statistics": {
                            "viewCount": "1234",
                            "likeCount": "56",
                            "favoriteCount": "0",
                            "commentCount": "9",
                        },
                    }
                )
            return 200, {"items": items}
        if name == "commentThreads":
            if q["videoId"] == "v2":
                return _error(403, "commentsDisabled", "The video has disabled comments.")
            if q.get("pageToken") is None:
                return 200, {
                    "items": [
                        {
                            "kind": "youtube#commentThread",
                            "id": "t1",
                            "snippet": {
                                "channelId": CHANNEL,
                                "videoId": "v1",
                                "canReply": True,
                                "isPublic": True,
                                "totalReplyCount": 7,
                                "topLevelComment": _comment(
                                    "t1", "Love it", "ann", "2026-10-02T10:00:00Z", likes=4
                                ),
                            },
                            "replies": {"comments": self.replies[:2]},
                        }
                    ],
                    "nextPageToken": "T2",
                }
            return 200, {
                "items": [
                    {
                        "kind": "youtube#commentThread",
                        "id": "t2",
                        "snippet": {
                            "channelId": CHANNEL,
                            "videoId": "v1",
                            "totalReplyCount": 1,
                            "topLevelComment": _comment("t2", "Second thread", "bob", "2026-10-03T10:00:00Z"),
                        },
                        "replies": {
                            "comments": [
                                _comment("t2.r1", "only reply", "cat", "2026-10-04T10:00:00Z", parent="t2")
                            ]
                        },
                    }
                ]
            }
        if name == "comments":
            assert q["parentId"] == "t1"
            if q.get("pageToken") is None:
                return 200, {"items": self.replies[:4], "nextPageToken": "C2"}
            return 200, {"items": self.replies[4:]}
        raise AssertionError(f"unexpected request {name} {q}")


@pytest.fixture
def fake():
    return FakeYouTube()


def _connector(fake, policy=None):
    return open_connector(
        AccountRef("youtube", CHANNEL, None, KEY), http=fake, policy=policy or RetryPolicy.fast()
    )


def test_videos_threads_and_replies_beyond_the_embedded_few(fake, sqlite_store):
    aid = sqlite_store.upsert_account("youtube", CHANNEL, None, "file:youtube")
    result = run_connector(sqlite_store, aid, _connector(fake))
    assert result.complete, result.error
    assert result.new["posts"] == 2
    assert result.new["comments"] == 2 + 7 + 1  # two threads, all 7 replies of t1, the one of t2
    paths = [p.rsplit("/", 1)[-1] for p, _ in fake.calls]
    assert paths.count("comments") == 2  # reply paging
    assert paths.count("commentThreads") == 3  # two pages for v1, one (disabled) for v2

    from sqlalchemy import select

    from sounding.store import models

    with sqlite_store.engine.connect() as conn:
        rows = {r.platform_id: r for r in conn.execute(select(models.Comment))}
        (video,) = series(conn, None, "v1")
    assert rows["t1.r7"].parent_comment_id == rows["t1"].id
    assert rows["t1.r3"].ours and not rows["t1.r1"].ours
    assert rows["t1"].parent_comment_id is None
    assert (video.likes, video.views, video.replies) == (56, 1234, 9)

    again = run_connector(sqlite_store, aid, _connector(fake))
    assert again.complete and again.new == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}


def test_transient_faults_are_retried(fake, sqlite_store):
    fake.faults = [
        ("commentThreads", 503, {}, b'{"error": {"code": 503, "message": "backend"}}'),
        (
            "commentThreads",
            429,
            {"retry-after": "0.05"},
            json.dumps(_error(429, "rateLimitExceeded")[1]).encode(),
        ),
        ("comments", 0, {}, b""),  # a timeout
        (
            "videos",
            200,
            {"content-type": "application/json"},
            b'{"items": [{"id": "v1", "snip',
        ),  # cut-off JSON
        ("commentThreads", 500, {}, b"<html>oops</html>"),
    ]
    aid = sqlite_store.upsert_account("youtube", CHANNEL, None, "file:youtube")
    connector = _connector(fake)
    result = run_connector(sqlite_store, aid, connector)
    assert result.complete, result.error
    assert result.new["comments"] == 10 and not fake.faults
    assert result.retries == 5


def test_quota_exhausted_stops_clearly_and_never_shows_the_key(fake, sqlite_store):
    status, body = _error(
        403, "quotaExceeded", "The request cannot be completed because you have exceeded your quota."
    )
    fake.faults = [("comments", status, {"content-type": "application/json"}, json.dumps(body).encode())]
    aid = sqlite_store.upsert_account("youtube", CHANNEL, None, "file:youtube")
    result = run_connector(sqlite_store, aid, _connector(fake))
    assert not result.complete
    assert "quota" in result.error and "midnight Pacific" in result.error
    assert KEY not in result.error
    # nothing of the video whose thread failed was half-written; the resumed sync gets everything
    again = run_connector(sqlite_store, aid, _connector(fake))
    assert again.complete
    from sqlalchemy import func, select

    from sounding.store import models

    with sqlite_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(models.Comment)).scalar_one() == 10


def test_persistent_server_errors_give_up_within_the_budget(fake):
    fake.faults = [("channels", 503, {}, b"{}")] * 20
    policy = RetryPolicy(max_attempts=4, initial=0.01, maximum=0.02, budget=1.0)
    connector = _connector(fake, policy)
    with pytest.raises(SyncInterrupted) as info:
        list(connector.iter_posts(None))
    assert "gave up on read channel after 4 attempt(s)" in str(info.value)
    assert KEY not in str(info.value)
