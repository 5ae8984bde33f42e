"""The audience's words as one relation: comments and posts that are not ours, with their analysis.

Customers often start the thread themselves (a mention, a support request), so "audience items" are
both comments and posts not written by us. Every read-side view joins through here.
"""

from __future__ import annotations

from sqlalchemy import and_, literal, select, union_all

from sounding.store.models import Comment, Enrichment, Post, ThemeMember


def audience(version: str | None):
    """Every audience item (comment or post, not ours) with its analysis and theme, as a subquery."""
    comments = select(
        literal("comment").label("kind"),
        Comment.id.label("item_id"),
        Comment.platform,
        Comment.platform_id,
        Comment.post_id.label("thread_id"),
        Comment.author,
        Comment.text,
        Comment.text_hash,
        Comment.url,
        Comment.created_at,
    ).where(Comment.ours.is_(False))
    posts = select(
        literal("post").label("kind"),
        Post.id.label("item_id"),
        Post.platform,
        Post.platform_id,
        Post.id.label("thread_id"),
        Post.author,
        Post.text,
        Post.text_hash,
        Post.url,
        Post.created_at,
    ).where(Post.ours.is_(False))
    items = union_all(comments, posts).subquery("items")
    return (
        select(
            items,
            Enrichment.sentiment,
            Enrichment.sentiment_score,
            Enrichment.intent,
            Enrichment.intent_score,
            Enrichment.lang,
            ThemeMember.theme_id,
        )
        .outerjoin(Enrichment, and_(Enrichment.text_hash == items.c.text_hash, Enrichment.model_version == version))
        .outerjoin(ThemeMember, ThemeMember.text_hash == items.c.text_hash)
        .subquery("audience")
    )
