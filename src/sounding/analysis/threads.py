"""Thread-level views the data alone supports: most-discussed threads and unanswered questions.

A question is "unanswered" when nothing of ours was posted in its thread after it. Until a comment
has been analysed, "question" means its text contains a question mark; once the intent model has
run (see ``sounding analyze``), its intent label decides.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from sounding.store import Store
from sounding.analysis.audience import audience
from sounding.store.models import Comment, Post


def most_discussed(store: Store, limit: int = 10) -> pd.DataFrame:
    """Threads ranked by distinct people in the audience, then audience comments."""
    audience = (
        select(
            Comment.post_id,
            func.count(func.distinct(Comment.author)).label("people"),
            func.count().label("comments"),
            func.max(Comment.created_at).label("last_activity"),
        )
        .where(Comment.ours.is_(False))
        .group_by(Comment.post_id)
        .subquery()
    )
    ours = (
        select(Comment.post_id, func.count().label("our_replies"))
        .where(Comment.ours.is_(True))
        .group_by(Comment.post_id)
        .subquery()
    )
    query = (
        select(
            Post.platform,
            Post.platform_id.label("post_id"),
            Post.text,
            Post.created_at,
            audience.c.people,
            audience.c.comments,
            func.coalesce(ours.c.our_replies, 0).label("our_replies"),
            audience.c.last_activity,
        )
        .join(audience, audience.c.post_id == Post.id)
        .outerjoin(ours, ours.c.post_id == Post.id)
        .order_by(audience.c.people.desc(), audience.c.comments.desc(), Post.id)
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys()))


def unanswered_questions(store: Store, model_version: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """Audience questions with no reply of ours in their thread after them, oldest first.

    With ``model_version`` the intent label decides (texts not analysed yet fall back to "?").
    """
    a = audience(model_version)
    reply = aliased(Comment)
    is_question = or_(a.c.intent == "question", and_(a.c.intent.is_(None), a.c.text.like("%?%")))
    answered = exists().where(reply.post_id == a.c.thread_id, reply.ours.is_(True), reply.created_at > a.c.created_at)
    query = (
        select(
            a.c.kind,
            a.c.platform,
            a.c.platform_id.label("id"),
            Post.platform_id.label("thread_id"),
            a.c.author,
            a.c.text,
            a.c.created_at,
        )
        .join(Post, Post.id == a.c.thread_id)
        .where(is_question, ~answered)
        .order_by(a.c.created_at, a.c.platform_id)
    )
    if limit:
        query = query.limit(limit)
    with store.engine.connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))
