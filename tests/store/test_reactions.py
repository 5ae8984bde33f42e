"""Growth curves: first counts on the item row plus later changes read as the series a snapshot per
observation gave, on SQLite and PostgreSQL, for stores written now and stores migrated from 0005."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import func, select

from sounding.records import CommentRecord, PostRecord, ReactionSnapshot
from sounding.store import Store, models
from sounding.store.engine import alembic_config, make_engine
from sounding.store.reactions import latest_per_post, series

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
DAY, MINUTE = timedelta(days=1), timedelta(minutes=1)


def curve(store: Store, target: str, platform: str = "x") -> list[tuple]:
    with store.engine.connect() as conn:
        return [(p.taken_at.replace(tzinfo=None), p.likes, p.reposts, p.replies, p.views)
                for p in series(conn, platform, target)]


def naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def snapshot_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(models.ReactionSnapshot)).scalar_one()


def first_import() -> list:
    return [
        PostRecord("x", "p", "brand", "Which one?", T0, ours=True, likes=2, observed_at=T0 + DAY),
        CommentRecord("x", "c1", "p", "ann", "Blue", T0 + MINUTE, likes=1),
        CommentRecord("x", "c2", "c1", "bob", "Green", T0 + 2 * MINUTE, likes=0, replies=1),
        CommentRecord("x", "c3", "p", "cy", "Red", T0 + 3 * MINUTE),
    ]


def test_several_observations_per_item_make_the_same_curves(store):
    assert store.write_records(first_import()).new["reactions"] == 3
    later = [
        ReactionSnapshot("x", "p", T0 + 2 * DAY, likes=5),
        ReactionSnapshot("x", "p", T0 + 3 * DAY, likes=5),  # unchanged: not a new point
        ReactionSnapshot("x", "c3", T0 + 2 * DAY, likes=7),  # the first counts of c3 come by a sync
    ]
    assert store.write_records(later).new["reactions"] == 2
    assert store.write_records(first_import()).new == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}
    grown = CommentRecord("x", "c1", "p", "ann", "Blue", T0 + MINUTE, likes=4, observed_at=T0 + 2 * DAY)
    assert store.write_records([grown]).new["reactions"] == 1
    assert store.write_records([grown]).new["reactions"] == 0
    assert curve(store, "p") == [(naive(T0 + DAY), 2, None, None, None), (naive(T0 + 2 * DAY), 5, None, None, None)]
    assert curve(store, "c1") == [(naive(T0 + MINUTE), 1, None, None, None), (naive(T0 + 2 * DAY), 4, None, None, None)]
    assert curve(store, "c2") == [(naive(T0 + 2 * MINUTE), 0, None, 1, None)]
    assert curve(store, "c3") == [(naive(T0 + 2 * DAY), 7, None, None, None)]
    assert store.counts()["reactions"] == 6
    assert snapshot_rows(store) == 3  # the three first observations sit on their item rows
    latest = latest_per_post()
    with store.engine.connect() as conn:
        assert conn.execute(select(latest.c.likes)).scalars().all() == [5]


def test_a_change_at_a_time_already_observed_is_not_a_second_point(store):
    store.write_records(first_import())
    same_time = ReactionSnapshot("x", "c1", T0 + MINUTE, likes=9)  # the first observation's own time
    assert store.write_records([same_time]).new["reactions"] == 0
    assert curve(store, "c1") == [(naive(T0 + MINUTE), 1, None, None, None)]


# -- a store of revision 0005 (one snapshot row per observation), migrated --------------------------------

LEGACY = {  # target -> its snapshot rows as the 0005 writer stored them: (taken_at, likes, reposts, replies, views)
    "p": [(T0 + DAY, 2, None, None, None), (T0 + 2 * DAY, 5, None, None, None), (T0 + 3 * DAY, 5, 1, None, None)],
    "c1": [(T0 + MINUTE, 1, None, None, None), (T0 + DAY, 4, None, None, None)],
    "c2": [(T0 + 2 * MINUTE, 0, None, 1, None)],
    "c3": [(T0 + 3 * MINUTE, None, None, None, None), (T0 + DAY, 3, None, None, None)],  # a first row without counts
}


def _legacy_store(url: str) -> None:
    """The schema at 0005 with posts, comments and their snapshots written as that version did."""
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
        posts, comments, snaps = models.Post.__table__, models.Comment.__table__, models.ReactionSnapshot.__table__
        post_id = conn.execute(posts.insert().values(platform="x", platform_id="p", ours=True, author="u_brand",
                                                     text="Which one?", text_hash="h0", created_at=T0)
                               .returning(posts.c.id)).scalar_one()
        conn.execute(posts.insert().values(platform="x", platform_id="quiet", ours=True, author="u_brand", text="Hi",
                                           text_hash="h9", created_at=T0))
        ids = {}
        for pid, parent, minutes in (("c1", None, 1), ("c2", "c1", 2), ("c3", None, 3)):
            ids[pid] = conn.execute(comments.insert().values(
                platform="x", platform_id=pid, post_id=post_id, parent_comment_id=ids.get(parent), ours=False,
                author=f"u_{pid}", text=pid, text_hash=f"h{pid}", created_at=T0 + minutes * MINUTE,
            ).returning(comments.c.id)).scalar_one()
        for target, rows in LEGACY.items():
            for taken, likes, reposts, replies, views in rows:
                conn.execute(snaps.insert().values(
                    platform="x", target_id=target, post_id=post_id if target == "p" else None,
                    comment_id=ids.get(target), taken_at=taken, likes=likes, reposts=reposts, replies=replies,
                    views=views))
    engine.dispose()


def test_migration_moves_each_first_snapshot_onto_its_row_and_the_curves_stay(store_url):
    _legacy_store(store_url)
    store = Store.open(store_url)  # migrates to head
    try:
        for target, rows in LEGACY.items():
            assert curve(store, target) == [(naive(t), *counts) for t, *counts in rows], target
        assert curve(store, "quiet") == []
        assert snapshot_rows(store) == 8 - 4  # p, c1, c2 and c3 each had their first counted row moved
        assert store.counts()["reactions"] == 8
        with store.engine.connect() as conn:
            firsts = dict(conn.execute(select(models.Comment.platform_id, models.Comment.first_seen_at)).all())
            post = conn.execute(select(models.Post.first_likes, models.Post.first_seen_at)
                                .where(models.Post.platform_id == "p")).one()
        assert firsts["c1"] is None  # observed at its creation: no time of its own
        assert naive(firsts["c3"]) == naive(T0 + DAY)  # its counted first row, the count-less one stays
        assert post[0] == 2 and naive(post[1]) == naive(T0 + DAY)
        again = [PostRecord("x", "p", "brand", "Which one?", T0, ours=True, likes=5, reposts=1,
                            observed_at=T0 + 4 * DAY),
                 CommentRecord("x", "c1", "p", "ann", "c1", T0 + MINUTE, likes=4, observed_at=T0 + 4 * DAY)]
        assert store.write_records(again).new["reactions"] == 0  # the latest counts again: nothing new
    finally:
        store.close()
    engine = make_engine(store_url)
    config = alembic_config()
    with engine.begin() as conn:  # and back: every observation is a snapshot row again
        config.attributes["connection"] = conn
        command.downgrade(config, "0005")
        s = models.ReactionSnapshot.__table__
        rows = conn.execute(select(s.c.target_id, s.c.taken_at, s.c.likes, s.c.reposts, s.c.replies, s.c.views)).all()
    engine.dispose()
    back = {}
    for target, taken, *counts in rows:
        back.setdefault(target, []).append((naive(taken), *counts))
    assert {t: sorted(r, key=lambda x: x[0]) for t, r in back.items()} == {
        t: [(naive(x[0]), *x[1:]) for x in r] for t, r in LEGACY.items()}
