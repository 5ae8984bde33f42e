"""Thread-level views the data alone supports: most-discussed threads and unanswered questions.

A question is "unanswered" when nothing of ours was posted in its thread after it. Until a comment
has been analysed, "question" means its text contains a question mark; once the intent model has
run (see ``sounding analyze``), its intent label decides.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from sounding.store import Store
from sounding.store.models import Comment, Enrichment, Post


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


def _is_question(text_column, hash_column, model_version: str | None):
    """Intent label when analysed with ``model_version``, else the question-mark rule."""
    heuristic = text_column.like("%?%")
    if model_version is None:
        return heuristic
    analysed = select(Enrichment.intent).where(
        Enrichment.text_hash == hash_column, Enrichment.model_version == model_version
    ).scalar_subquery()
    return or_(analysed == "question", and_(analysed.is_(None), heuristic))


def unanswered_questions(store: Store, model_version: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """Audience questions with no reply of ours in their thread after them, oldest first."""
    reply = aliased(Comment)

    def not_answered(thread_id, asked_at):
        return ~exists().where(reply.post_id == thread_id, reply.ours.is_(True), reply.created_at > asked_at)

    comments = select(
        literal("comment").label("kind"),
        Comment.platform,
        Comment.platform_id.label("id"),
        Post.platform_id.label("thread_id"),
        Comment.author,
        Comment.text,
        Comment.created_at,
    ).join(Post, Post.id == Comment.post_id).where(
        Comment.ours.is_(False),
        _is_question(Comment.text, Comment.text_hash, model_version),
        not_answered(Comment.post_id, Comment.created_at),
    )
    posts = select(
        literal("post").label("kind"),
        Post.platform,
        Post.platform_id.label("id"),
        Post.platform_id.label("thread_id"),
        Post.author,
        Post.text,
        Post.created_at,
    ).where(
        Post.ours.is_(False),
        _is_question(Post.text, Post.text_hash, model_version),
        not_answered(Post.id, Post.created_at),
    )
    both = union_all(comments, posts).subquery()
    query = select(both).order_by(both.c.created_at, both.c.id)
    if limit:
        query = query.limit(limit)
    with store.engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(both.c.keys()))
