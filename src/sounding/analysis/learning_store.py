"""Learning values kept in the store: ``analyze`` writes one row per thread, the dashboard reads them.

Computing learning value aggregates every audience item (seconds at a million comments); a page
that did so per visit could not keep up with a sync writing beside it. The rows are rewritten
whenever an analysis sees new enrichments, themes or items (a stamp in ``meta`` says which data
they were computed from), so a second ``analyze`` on unchanged data still does nothing.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import delete, func, insert, select

from sounding.store.reactions import latest_per_post
from sounding.analysis import learning
from sounding.store import Store
from sounding.store.models import Comment, Meta, Post, PostLearning

STAMP_KEY = "post_learning_stamp"
COLUMNS = ("learning_value", "audience_items", "substantive_people", "questions", "themes", "theme_share")


def _data_stamp(store: Store, version: str) -> str:
    """What the rows depend on: the analysis version and how many items of each kind exist."""
    with store.engine.connect() as conn:
        comments = conn.execute(select(func.max(Comment.id), func.count(Comment.id))).one()
        posts = conn.execute(select(func.max(Post.id), func.count(Post.id))).one()
    return f"{version}|{comments[0]}|{comments[1]}|{posts[0]}|{posts[1]}"


def stale(store: Store, version: str) -> bool:
    """Whether items arrived (or left) since the stored learning values were computed."""
    with store.engine.connect() as conn:
        kept = conn.execute(select(Meta.value).where(Meta.key == STAMP_KEY)).scalar()
    return kept != _data_stamp(store, version)


def refresh(store: Store, version: str) -> int:
    """Recompute every thread's learning value and replace the stored rows; returns how many."""
    stamp = _data_stamp(store, version)
    frame = learning.by_post(store, version)
    ids = _post_ids(store, frame)
    rows = [{"post_id": ids[(r.platform, r.post_id)], **{c: getattr(r, c) for c in COLUMNS}}
            for r in frame.itertuples() if (r.platform, r.post_id) in ids]
    for row in rows:
        for column in ("audience_items", "substantive_people", "questions", "themes"):
            row[column] = int(row[column])
        row["learning_value"], row["theme_share"] = float(row["learning_value"]), float(row["theme_share"])
    meta = store.insert(Meta.__table__).values(key=STAMP_KEY, value=stamp)
    with store.transaction() as conn:
        conn.execute(delete(PostLearning))
        if rows:
            conn.execute(insert(PostLearning), rows)
        conn.execute(meta.on_conflict_do_update(index_elements=["key"], set_={"value": stamp}))
    return len(rows)


def _post_ids(store: Store, frame: pd.DataFrame) -> dict[tuple[str, str], int]:
    with store.engine.connect() as conn:
        return {(p, i): row for row, p, i in conn.execute(select(Post.id, Post.platform, Post.platform_id))}


def per_day(store: Store) -> tuple[pd.DataFrame, tuple]:
    """Per UTC day the posts started: stored learning value, latest likes and reposts, posts;
    with the first and last creation time (a few hundred rows, summed by the database)."""
    latest = latest_per_post()
    created = Post.created_at
    if store.dialect == "postgresql":
        created = func.timezone("UTC", Post.created_at)
    day = func.date(created).label("day")
    joined = (
        select(PostLearning.learning_value, Post.created_at, day, latest.c.likes, latest.c.reposts)
        .join(Post, Post.id == PostLearning.post_id)
        .outerjoin(latest, latest.c.post_id == Post.id)
        .subquery()
    )
    query = select(
        joined.c.day, func.sum(joined.c.learning_value).label("learning_value"),
        func.coalesce(func.sum(joined.c.likes), 0).label("likes"),
        func.coalesce(func.sum(joined.c.reposts), 0).label("reposts"), func.count().label("posts"),
        func.min(joined.c.created_at).label("first"), func.max(joined.c.created_at).label("last"),
    ).group_by(joined.c.day)
    with store.engine.connect() as conn:
        frame = pd.DataFrame([tuple(r) for r in conn.execute(query)],
                             columns=["day", "learning_value", "likes", "reposts", "posts", "first", "last"])
    if frame.empty:
        return frame, (None, None)
    return frame, (min(map(str, frame["first"])), max(map(str, frame["last"])))
