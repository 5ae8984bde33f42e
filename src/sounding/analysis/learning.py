"""Learning value: what a post (or a week) taught us, credited to what its own audience said.

For a post's thread (or a week), with *substantive* meaning a question, a suggestion or a problem,
or any comment of 60+ characters:

    learning_value = substantive people + questions asked + 2 × theme_share

    theme_share = Σ over themes t of  (people in this thread who said t) / (people-thread pairs of t)

Each theme is worth 2 points in all, shared among the threads that hold it in proportion to how
much of it each holds: a thread holding a third of a small topic earns more than one comment in a
topic a thousand threads repeat. Nothing here depends on when a post came: reversing the order of
the posts in time leaves every value and the ranking unchanged (a "surfaced first" bonus, which
this replaces, rewarded whichever posts happened to come first). Ties are broken by audience
items, then likes, then the platform id, never by time. Likes, reposts and replies are shown
beside the value, not inside it.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Float, case, cast, func, or_, select

from sounding.analysis.audience import audience
from sounding.store import Store
from sounding.store.models import Post
from sounding.store.reactions import latest_per_post

SUBSTANTIVE_CHARS = 60
THEME_POINTS = 2
POST_COLUMNS = ["platform", "post_id", "ours", "text", "created_at", "learning_value", "substantive_people",
                "questions", "themes", "theme_share", "audience_items", "likes", "reposts", "replies"]
WEEK_COLUMNS = ["week", "learning_value", "substantive_people", "questions", "themes", "theme_share", "items"]


def _frame(store: Store, query) -> pd.DataFrame:
    with store.engine.connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


def substantive(a):
    """A question, suggestion or problem, or anything long enough to say something."""
    return or_(a.c.intent.in_(("question", "suggestion", "problem")), func.length(a.c.text) >= SUBSTANTIVE_CHARS)


def theme_shares(store: Store, version: str) -> pd.DataFrame:
    """Per thread: how many themes it holds and the sum of its share of each (people-weighted)."""
    a = audience(version, ("thread_id", "author"))
    pairs = (
        select(a.c.thread_id, a.c.theme_id, func.count(func.distinct(a.c.author)).label("people"))
        .where(a.c.theme_id.is_not(None))
        .group_by(a.c.thread_id, a.c.theme_id)
        .subquery()
    )
    totals = select(pairs.c.theme_id, func.sum(pairs.c.people).label("total")).group_by(pairs.c.theme_id).subquery()
    share = cast(pairs.c.people, Float) / cast(totals.c.total, Float)
    return _frame(
        store,
        select(pairs.c.thread_id, func.count().label("themes"), func.sum(share).label("theme_share"))
        .join(totals, totals.c.theme_id == pairs.c.theme_id)
        .group_by(pairs.c.thread_id),
    )


def _value(frame: pd.DataFrame) -> pd.Series:
    # rounded so that summing the shares in another order can never reorder equal posts
    return (frame["substantive_people"] + frame["questions"] + THEME_POINTS * frame["theme_share"]).round(6)


def by_post(store: Store, version: str, limit: int | None = None) -> pd.DataFrame:
    """Per thread: learning value and its parts, next to likes, reposts and replies; best first."""
    a = audience(version, ("thread_id", "author", "text"))
    per_thread = (
        select(
            a.c.thread_id,
            func.count().label("audience_items"),
            func.count(func.distinct(case((substantive(a), a.c.author)))).label("substantive_people"),
            func.sum(case((a.c.intent == "question", 1), else_=0)).label("questions"),
        )
        .group_by(a.c.thread_id)
        .subquery()
    )
    latest = latest_per_post()
    frame = _frame(
        store,
        select(
            Post.id.label("thread_id"),
            Post.platform,
            Post.platform_id.label("post_id"),
            Post.ours,
            Post.text,
            Post.created_at,
            per_thread.c.substantive_people,
            per_thread.c.questions,
            per_thread.c.audience_items,
            latest.c.likes,
            latest.c.reposts,
            latest.c.replies,
        )
        .join(per_thread, per_thread.c.thread_id == Post.id)
        .outerjoin(latest, latest.c.post_id == Post.id),
    )
    if frame.empty:
        return pd.DataFrame(columns=POST_COLUMNS)
    frame = frame.merge(theme_shares(store, version), on="thread_id", how="left")
    frame["themes"] = frame["themes"].fillna(0).astype(int)
    frame["theme_share"] = frame["theme_share"].fillna(0.0).astype(float).round(6)
    frame["questions"] = frame["questions"].fillna(0).astype(int)
    frame["learning_value"] = _value(frame)
    frame["_likes"] = pd.to_numeric(frame["likes"], errors="coerce").fillna(-1)
    frame = frame.sort_values(
        ["learning_value", "audience_items", "_likes", "platform", "post_id"],
        ascending=[False, False, False, True, True],
        kind="mergesort",
    )
    frame = frame[POST_COLUMNS].reset_index(drop=True)
    return frame.head(limit) if limit else frame


def by_week(store: Store, version: str) -> pd.DataFrame:
    """Per week (Monday start): the same measure over everything the audience said that week."""
    a = audience(version, ("author", "text", "created_at"))
    frame = _frame(
        store,
        select(
            a.c.created_at.label("day"),
            a.c.author,
            a.c.theme_id,
            substantive(a).label("substantive"),
            (a.c.intent == "question").label("question"),
        ),
    )
    if frame.empty:
        return pd.DataFrame(columns=WEEK_COLUMNS)
    frame["week"] = pd.to_datetime(frame["day"], utc=True).dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time.dt.date
    weeks = frame.groupby("week").agg(
        items=("author", "size"),
        questions=("question", lambda s: int(s.fillna(False).astype(bool).sum())),
    )
    weeks["substantive_people"] = frame[frame["substantive"].fillna(False).astype(bool)].groupby("week")["author"].nunique()
    pairs = frame.dropna(subset=["theme_id"]).groupby(["week", "theme_id"])["author"].nunique().rename("people")
    pairs = pairs.reset_index()
    pairs["share"] = pairs["people"] / pairs.groupby("theme_id")["people"].transform("sum")
    weeks["themes"] = pairs.groupby("week").size()
    weeks["theme_share"] = pairs.groupby("week")["share"].sum()
    weeks[["items", "questions", "substantive_people", "themes"]] = (
        weeks[["items", "questions", "substantive_people", "themes"]].fillna(0).astype(int)
    )
    weeks["theme_share"] = weeks["theme_share"].fillna(0.0).round(6)
    weeks["learning_value"] = _value(weeks)
    return weeks.reset_index()[WEEK_COLUMNS]
