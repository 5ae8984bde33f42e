"""Mastodon connector against mastodon-mock (a FastAPI fake of the Mastodon REST API) on 127.0.0.1."""

from __future__ import annotations

from connector_helpers import masto
from sqlalchemy import func, select

from sounding.connectors import AccountRef, PollItem, PostItem, ReplyItem, RetryPolicy, open_connector
from sounding.connectors.sync import run_connector
from sounding.store import models
from sounding.store.reactions import series


def _connector(url: str, token: str = "alice_token", handle: str = "alice"):
    return open_connector(AccountRef("mastodon", handle, url, token), policy=RetryPolicy.fast())


def _conversation(url: str) -> dict:
    """alice asks; bob and carol answer at depths 1-4; alice answers too; a favourite and a boost."""
    alice, bob, carol = masto(url, "alice_token"), masto(url, "bob_token"), masto(url, "carol_token")
    q = alice.status_post("What should we make next? #question")
    r1 = bob.status_post("@alice a blue one", in_reply_to_id=q["id"])
    r2 = alice.status_post("@bob why blue?", in_reply_to_id=r1["id"])
    r3 = bob.status_post("@alice <b>calm</b> & cool", in_reply_to_id=r2["id"])
    r4 = carol.status_post("@bob agreed", in_reply_to_id=r3["id"])
    r5 = carol.status_post("@alice a red one", in_reply_to_id=q["id"])
    bob.status_favourite(q["id"])
    carol.status_reblog(q["id"])
    other = alice.status_post("Unrelated announcement")
    bob.status_post(
        "@carol not ours", in_reply_to_id=masto(url, "carol_token").status_post("carol's own post")["id"]
    )
    return {"q": q, "replies": [r1, r2, r3, r4, r5], "other": other}


def _count(store, model) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_sync_thread_all_depths_then_idempotent(mastodon_server, store):
    url = mastodon_server.base_url
    conv = _conversation(url)
    aid = store.upsert_account("mastodon", "alice", url, "file:mastodon:alice")

    first = run_connector(store, aid, _connector(url))
    assert first.complete, first.error
    assert first.new["posts"] == 2  # the question and the announcement, nothing of carol's
    assert first.new["comments"] == 5
    assert first.new["reactions"] >= 2

    with store.engine.connect() as conn:
        rows = conn.execute(
            select(
                models.Comment.platform_id,
                models.Comment.parent_comment_id,
                models.Comment.text,
                models.Comment.ours,
            )
        ).all()
        posts = conn.execute(select(models.Post.platform_id, models.Post.ours)).all()
    by_id = {r.platform_id: r for r in rows}
    r1, r2, r3, r4, r5 = (str(r["id"]) for r in conv["replies"])
    assert by_id[r1].parent_comment_id is None and by_id[r5].parent_comment_id is None
    # depth 4: r4 -> r3 -> r2 -> r1 -> question
    assert by_id[r4].parent_comment_id is not None and by_id[r2].ours and not by_id[r1].ours
    assert by_id[r3].text == "@alice <b>calm</b> & cool"  # typed text back from the escaped HTML
    assert {p.platform_id for p in posts} == {str(conv["q"]["id"]), str(conv["other"]["id"])}
    assert all(p.ours for p in posts)

    second = run_connector(store, aid, _connector(url))
    assert second.complete
    assert second.new == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}


def test_incremental_picks_up_new_replies_and_reactions(mastodon_server, sqlite_store):
    url = mastodon_server.base_url
    conv = _conversation(url)
    aid = sqlite_store.upsert_account("mastodon", "alice", url, "file:x")
    assert run_connector(sqlite_store, aid, _connector(url)).complete
    cursor = sqlite_store.get_cursor(aid, "posts")
    assert cursor and '"pass":null' in cursor

    bob = masto(url, "bob_token")
    bob.status_post("@alice one more thing", in_reply_to_id=conv["replies"][3]["id"])  # depth 5
    masto(url, "carol_token").status_favourite(conv["q"]["id"])
    again = run_connector(sqlite_store, aid, _connector(url))
    assert again.complete
    assert again.new["comments"] == 1
    assert again.new["posts"] == 0
    assert again.new["reactions"] >= 1  # the question's favourites went 1 -> 2: a new snapshot
    with sqlite_store.engine.connect() as conn:
        likes = [point.likes for point in series(conn, None, str(conv["q"]["id"]))]
    assert likes[-2:] == [1, 2]


def test_native_poll_published_and_votes_read(mastodon_server, sqlite_store):
    url = mastodon_server.base_url
    connector = _connector(url)
    ids = connector.publish(PollItem("Tea or coffee?", ["tea", "coffee", "water"], expires_in=3600))
    assert len(ids) == 1
    status = masto(url, "alice_token").status(ids[0])
    assert [o["title"] for o in status["poll"]["options"]] == ["tea", "coffee", "water"]
    masto(url, "bob_token").poll_vote(status["poll"]["id"], [1])
    masto(url, "carol_token").poll_vote(status["poll"]["id"], [1])

    aid = sqlite_store.upsert_account("mastodon", "alice", url, "file:x")
    result = run_connector(sqlite_store, aid, _connector(url))
    assert result.complete and result.new["polls"] == 1
    with sqlite_store.engine.connect() as conn:
        snap = conn.execute(
            select(models.PollSnapshot.options, models.PollSnapshot.votes, models.PollSnapshot.voters)
        ).one()
    assert snap.options == ["tea", "coffee", "water"]
    assert snap.votes == [0, 2, 0]
    again = run_connector(sqlite_store, aid, _connector(url))
    assert again.new["polls"] == 0  # same votes: no new snapshot


def test_publish_question_variants_and_reply(mastodon_server):
    url = mastodon_server.base_url
    connector = _connector(url)
    a = connector.publish(PostItem("How do you use our app? (A)", variant="A"))
    b = connector.publish(PostItem("What do you do with our app? (B)", variant="B"))
    assert a != b
    reply = connector.publish(ReplyItem(a[0], "Thanks for the answers!"))
    alice = masto(url, "alice_token")
    assert alice.status(reply[0])["in_reply_to_id"] in (a[0], int(a[0]))
    assert "(B)" in alice.status(b[0])["content"]


def test_registry_and_entry_point_style_registration():
    from sounding.connectors import available, get_connector_class, register
    from sounding.connectors.mastodon import MastodonConnector

    assert {"bluesky", "mastodon", "reddit", "youtube"} <= set(available())
    assert get_connector_class("mastodon") is MastodonConnector
    register("mastodon-clone", "sounding.connectors.mastodon:MastodonConnector")
    assert get_connector_class("mastodon-clone") is MastodonConnector
