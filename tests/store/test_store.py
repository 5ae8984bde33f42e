"""The store on SQLite and PostgreSQL: migrations, idempotent writes, threads, snapshots, cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from sounding.records import CommentRecord, PollRecord, PostRecord, ReactionSnapshot, SyncBatch
from sounding.store import Store, models
from sounding.store.reactions import observations, series

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def thread() -> list:
    return [
        PostRecord("bluesky", "p1", "brand.test", "Which should we build next?", T0, ours=True, likes=3),
        CommentRecord("bluesky", "c1", "p1", "ann.test", "Dark mode please!", T0 + timedelta(minutes=1)),
        CommentRecord("bluesky", "c2", "c1", "bob.test", "+1 for dark mode", T0 + timedelta(minutes=2)),
        CommentRecord("bluesky", "c3", "c2", "brand.test", "Noted!", T0 + timedelta(minutes=3), ours=True),
    ]


def count(store: Store, model) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def observed(store: Store) -> int:
    """Points of all growth curves (first counts on the item rows and later snapshots)."""
    return count(store, observations())


def test_migrations_are_idempotent(store_url):
    Store.open(store_url).close()
    store = Store.open(store_url)  # a second open finds the schema at head and changes nothing
    assert store.counts()["posts"] == 0
    store.close()


def test_writing_the_same_records_twice_changes_nothing(store):
    first = store.write_records(thread())
    assert first.new == {"posts": 1, "comments": 3, "reactions": 1, "polls": 0}
    second = store.write_records(thread())
    assert second.new == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}
    assert (count(store, models.Post), count(store, models.Comment)) == (1, 3)


def test_replies_keep_thread_root_and_parent(store):
    store.write_records(thread())
    with store.engine.connect() as conn:
        rows = {r.platform_id: r for r in conn.execute(select(models.Comment))}
        post_id = conn.execute(select(models.Post.id)).scalar_one()
    assert {r.post_id for r in rows.values()} == {post_id}
    assert rows["c1"].parent_comment_id is None
    assert rows["c2"].parent_comment_id == rows["c1"].id
    assert rows["c3"].parent_comment_id == rows["c2"].id


def test_authors_are_pseudonymised_consistently(store):
    store.write_records(thread())
    with store.engine.connect() as conn:
        authors = {pid: author for pid, author in conn.execute(select(models.Comment.platform_id, models.Comment.author))}
    assert "brand.test" not in authors.values() and "ann.test" not in authors.values()
    assert authors["c1"].startswith("u_") and authors["c1"] != authors["c2"]
    store.write_records([CommentRecord("bluesky", "c9", "p1", "ann.test", "again", T0)])
    with store.engine.connect() as conn:
        again = conn.execute(select(models.Comment.author).where(models.Comment.platform_id == "c9")).scalar_one()
    assert again == authors["c1"]


def test_unknown_parent_is_reported_not_written(store):
    result = store.write_records([CommentRecord("bluesky", "x", "nowhere", "a", "hi", T0)])
    assert result.unresolved == [(0, "unknown parent 'nowhere'")]
    assert count(store, models.Comment) == 0


def test_snapshots_only_when_counts_change(store):
    store.write_records(thread())
    later = T0 + timedelta(hours=1)
    same = ReactionSnapshot("bluesky", "p1", later, likes=3)
    assert store.write_records([same]).new["reactions"] == 0
    grown = ReactionSnapshot("bluesky", "p1", later, likes=5, reposts=1)
    assert store.write_records([grown]).new["reactions"] == 1
    assert observed(store) == 2


def test_poll_snapshots(store):
    store.write_records(thread())
    poll = PollRecord("bluesky", "p1", ["Dark mode", "Widgets"], [4, 2], T0, voters=6)
    assert store.write_records([poll]).new["polls"] == 1
    assert store.write_records([poll]).new["polls"] == 0
    assert store.counts()["polls"] == 1


def test_batch_and_cursor_are_written_together(store):
    account = store.upsert_account("bluesky", "brand.test", service_url="http://127.0.0.1:2583")
    assert store.upsert_account("bluesky", "brand.test") == account
    new = store.write_batch(account, SyncBatch(thread(), stream="posts", cursor="abc"))
    assert new["comments"] == 3 and store.get_cursor(account, "posts") == "abc"
    store.write_batch(account, SyncBatch([], stream="posts", cursor="def"))
    assert store.get_cursor(account, "posts") == "def"
    assert [a.handle for a in store.list_accounts()] == ["brand.test"]


def test_times_round_trip_in_utc(store):
    from datetime import timezone

    paris = timezone(timedelta(hours=1))
    store.write_records([PostRecord("x", "1", "a", "t", datetime(2026, 1, 5, 13, 0, tzinfo=paris))])
    with store.engine.connect() as conn:
        stored = conn.execute(select(models.Post.created_at)).scalar_one()
    assert stored.replace(tzinfo=None) == datetime(2026, 1, 5, 12, 0)


def test_counts_per_platform(store):
    store.write_records(thread())
    store.write_records([PostRecord("mastodon", "9", "a", "hello", T0)])
    counts = store.counts()
    assert counts["posts"] == 2 and counts["comments"] == 3
    assert counts["platforms"]["bluesky"] == {"posts": 1, "comments": 3, "reactions": 1}
    assert counts["platforms"]["mastodon"] == {"posts": 1}


def test_a_late_url_fills_a_published_post_without_counting_as_new(store):
    store.write_records([PostRecord("mastodon", "42", "brand", "Which one?", T0, ours=True)])
    later = PostRecord("mastodon", "42", "brand", "Which one?", T0, ours=True, url="https://social.example/@brand/42")
    assert store.write_records([later]).new["posts"] == 0
    with store.engine.connect() as conn:
        assert conn.execute(select(models.Post.url)).scalar_one() == "https://social.example/@brand/42"


def test_inline_counts_become_the_first_snapshot_then_only_changes(store):
    seen = T0 + timedelta(days=1)
    first = [
        PostRecord("x", "p", "brand", "Which one?", T0, ours=True, likes=2, observed_at=seen),
        CommentRecord("x", "c", "p", "ann", "Blue", T0 + timedelta(minutes=1), likes=1),
    ]
    assert store.write_records(first).new["reactions"] == 2
    o = observations()
    with store.engine.connect() as conn:
        rows = conn.execute(select(o.c.target_id, o.c.taken_at, o.c.likes, o.c.post_id, o.c.comment_id)
                            .order_by(o.c.target_id)).all()
    assert [(r[0], r[1].replace(tzinfo=None), r[2]) for r in rows] == [
        ("c", (T0 + timedelta(minutes=1)).replace(tzinfo=None), 1),
        ("p", seen.replace(tzinfo=None), 2),
    ]
    assert rows[0][3] is None and rows[0][4] is not None and rows[1][3] is not None and rows[1][4] is None
    assert store.write_records(first).new["reactions"] == 0  # same counts again: nothing new
    grown = [CommentRecord("x", "c", "p", "ann", "Blue", T0 + timedelta(minutes=1), likes=4,
                           observed_at=T0 + timedelta(days=2))]
    assert store.write_records(grown).new["reactions"] == 1
    assert observed(store) == 3


def test_the_same_id_on_two_platforms_in_one_batch(store):
    records = [
        PostRecord("mastodon", "1", "a", "toot", T0),
        PostRecord("bluesky", "1", "b", "skeet", T0),
        CommentRecord("mastodon", "2", "1", "c", "reply on mastodon", T0 + timedelta(minutes=1), likes=1),
        CommentRecord("bluesky", "2", "1", "d", "reply on bluesky", T0 + timedelta(minutes=1), likes=2),
    ]
    assert store.write_records(records).new == {"posts": 2, "comments": 2, "reactions": 2, "polls": 0}
    with store.engine.connect() as conn:
        pairs = conn.execute(
            select(models.Comment.platform, models.Post.platform)
            .join(models.Post, models.Post.id == models.Comment.post_id)
        ).all()
        o = observations(("comment",))
        snaps = conn.execute(
            select(o.c.platform, o.c.likes, models.Comment.platform).join(models.Comment, models.Comment.id == o.c.comment_id)
        ).all()
    assert sorted(pairs) == [("bluesky", "bluesky"), ("mastodon", "mastodon")]
    assert sorted(snaps) == [("bluesky", 2, "bluesky"), ("mastodon", 1, "mastodon")]


def test_a_comment_repeated_in_one_batch_with_grown_counts_keeps_both_observations(store):
    post = PostRecord("x", "p", "brand", "Which one?", T0, ours=True)
    early = CommentRecord("x", "c", "p", "ann", "Blue", T0, likes=1, observed_at=T0 + timedelta(hours=1))
    late = CommentRecord("x", "c", "p", "ann", "Blue", T0, likes=5, observed_at=T0 + timedelta(hours=2))
    result = store.write_records([post, early, late])
    assert result.new["comments"] == 1 and result.new["reactions"] == 2
    with store.engine.connect() as conn:
        assert [point.likes for point in series(conn, "x", "c")] == [1, 5]


def test_an_empty_database_name_is_refused_not_the_default(tmp_path, monkeypatch):
    import pytest

    from sounding.errors import UsageError

    monkeypatch.setenv("SOUNDING_HOME", str(tmp_path))
    with pytest.raises(UsageError):
        Store.open("  ")
    assert not (tmp_path / "sounding.db").exists()


def test_new_and_stored_rows_in_one_statement_get_the_right_ids(store):
    """Rows already stored, repeated and new in one insert: every reply still finds its own parent.

    (On SQLite new ids are taken from the statement's insert count, not from RETURNING.)
    """
    store.write_records(thread()[:2])  # p1, c1
    store.write_records([CommentRecord("bluesky", "c5", "p1", "eve.test", "Stored before", T0)])
    batch = [
        CommentRecord("bluesky", "c1", "p1", "ann.test", "Dark mode please!", T0 + timedelta(minutes=1)),
        CommentRecord("bluesky", "c6", "p1", "fay.test", "New one", T0 + timedelta(minutes=4)),
        CommentRecord("bluesky", "c5", "p1", "eve.test", "Stored before", T0),
        CommentRecord("bluesky", "c6", "p1", "fay.test", "New one", T0 + timedelta(minutes=4)),
        CommentRecord("bluesky", "c7", "p1", "gus.test", "Another new one", T0 + timedelta(minutes=5)),
        CommentRecord("bluesky", "r6", "c6", "hal.test", "Reply to c6", T0 + timedelta(minutes=6)),
        CommentRecord("bluesky", "r5", "c5", "hal.test", "Reply to c5", T0 + timedelta(minutes=6)),
        CommentRecord("bluesky", "r7", "c7", "hal.test", "Reply to c7", T0 + timedelta(minutes=6)),
    ]
    result = store.write_records(batch)
    assert result.new["comments"] == 5 and not result.unresolved
    with store.engine.connect() as conn:
        rows = {r.platform_id: r for r in conn.execute(select(models.Comment))}
    assert len(rows) == 7
    for reply, parent in (("r5", "c5"), ("r6", "c6"), ("r7", "c7")):
        assert rows[reply].parent_comment_id == rows[parent].id
        assert rows[reply].text == f"Reply to {parent}"
    assert rows["c6"].text == "New one" and rows["c7"].text == "Another new one"
