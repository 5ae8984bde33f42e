"""Growth curves: the one reader of reaction counts.

An item's first observed counts live on its own row (:class:`~sounding.store.models.FirstCounts`);
``reaction_snapshots`` holds only the later observations that changed a count. :func:`observations`
reads both as the one series of (time, counts) per item that a snapshot table with every observation
would hold; everything that reads counts (learning value, threads, experiments, status, the
writer's "did it change?") goes through it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import Connection, DateTime, Integer, Row, Subquery, cast, func, null, or_, over, select, union_all

from sounding.store.models import Comment, Post, ReactionSnapshot

CHUNK = 500  # ids per IN (...) list
COUNTS = ("likes", "reposts", "replies", "views")
KINDS = ("post", "comment")


def _first(model, platform: str | None, target_ids: Iterable[str] | None, post_ids: Iterable[int] | None):
    """The first observation of each item of ``model`` that has one, in the snapshot table's shape."""
    is_post = model is Post
    none = cast(null(), Integer)
    query = select(
        model.platform.label("platform"),
        model.platform_id.label("target_id"),
        (model.id if is_post else none).label("post_id"),
        (none if is_post else model.id).label("comment_id"),
        func.coalesce(model.first_seen_at, model.created_at, type_=DateTime(timezone=True)).label("taken_at"),
        *(getattr(model, f"first_{name}").label(name) for name in COUNTS),
    ).where(or_(*(getattr(model, f"first_{name}").is_not(None) for name in COUNTS)))
    return _narrow(query, (model.platform, platform), (model.platform_id, target_ids), (model.id, post_ids))


def _later(kinds: tuple[str, ...], platform, target_ids, post_ids):
    s = ReactionSnapshot
    query = select(s.platform, s.target_id, s.post_id, s.comment_id, s.taken_at, *(getattr(s, n) for n in COUNTS))
    if kinds == ("post",):
        query = query.where(s.post_id.is_not(None))
    elif kinds == ("comment",):
        query = query.where(s.comment_id.is_not(None))
    return _narrow(query, (s.platform, platform), (s.target_id, target_ids), (s.post_id, post_ids))


def _narrow(query, platform: tuple, targets: tuple, posts: tuple):
    """``query`` limited to a platform, target ids and post ids, each ``(column, wanted or None)``."""
    column, wanted = platform
    if wanted is not None:
        query = query.where(column == wanted)
    for column, ids in (targets, posts):
        if ids is not None:
            query = query.where(column.in_(list(ids)))
    return query


def observations(
    kinds: tuple[str, ...] = KINDS,
    *,
    platform: str | None = None,
    target_ids: Iterable[str] | None = None,
    post_ids: Iterable[int] | None = None,
) -> Subquery:
    """Every observation of counts, first ones included: columns platform, target_id, post_id,
    comment_id, taken_at, likes, reposts, replies, views (one row per point of a growth curve).

    The filters go into each part of the union, so each part uses its table's index.
    """
    target_ids = None if target_ids is None else list(target_ids)
    post_ids = None if post_ids is None else list(post_ids)
    if post_ids is not None:
        kinds = ("post",)
    parts = [_first(Post if kind == "post" else Comment, platform, target_ids, post_ids) for kind in kinds]
    parts.append(_later(kinds, platform, target_ids, post_ids))
    return union_all(*parts).subquery("observations")


def series(conn: Connection, platform: str | None, target_id: str) -> list[Row]:
    """The growth curve of one post or comment: (taken_at, likes, reposts, replies, views), oldest first.

    ``platform`` ``None``: the item of that id on any platform.
    """
    o = observations(platform=platform, target_ids=[target_id])
    return list(conn.execute(select(o.c.taken_at, *(o.c[n] for n in COUNTS)).order_by(o.c.taken_at)))


def latest_per_post(post_ids: Iterable[int] | None = None) -> Subquery:
    """The newest observation of each post's counts: post_id, taken_at, likes, reposts, replies, views."""
    o = observations(("post",), post_ids=post_ids)
    ranked = select(
        o.c.post_id, o.c.taken_at, *(o.c[n] for n in COUNTS),
        over(func.row_number(), partition_by=o.c.post_id, order_by=o.c.taken_at.desc()).label("rank"),
    ).subquery("ranked")
    return (
        select(ranked.c.post_id, ranked.c.taken_at, *(ranked.c[n] for n in COUNTS))
        .where(ranked.c.rank == 1)
        .subquery("latest_counts")
    )


def count_by_platform(conn: Connection) -> dict[str, int]:
    """How many observations each platform's items have (what a snapshot per observation would count)."""
    o = observations()
    return dict(conn.execute(select(o.c.platform, func.count()).group_by(o.c.platform)).all())


def stored_counts(
    conn: Connection, keys: Iterable[tuple[str, str]], when: Callable[[datetime], object]
) -> dict[tuple[str, str], tuple[tuple, set]]:
    """Per (platform, platform id): its newest stored counts and the times already observed.

    Times come back through ``when`` (the writer's storage form), so a new observation's time can be
    compared with them: a second observation at a time already observed is not stored.
    """
    by_platform: dict[str, list[str]] = {}
    for platform, target in keys:
        by_platform.setdefault(platform, []).append(target)
    out: dict[tuple[str, str], tuple[tuple, set]] = {}
    for platform, targets in by_platform.items():
        for start in range(0, len(targets), CHUNK):
            o = observations(platform=platform, target_ids=targets[start : start + CHUNK])
            rows = conn.execute(select(o.c.target_id, o.c.taken_at, *(o.c[n] for n in COUNTS)).order_by(o.c.taken_at))
            for target, taken, *counts in rows:
                times = out.get((platform, target), ((), set()))[1]
                times.add(when(taken))
                out[(platform, target)] = (tuple(counts), times)
    return out
