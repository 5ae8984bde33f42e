"""The audience's words as one relation: comments and posts that are not ours, with their analysis.

Customers often start the thread themselves (a mention, a support request), so "audience items" are
both comments and posts not written by us. Every read-side view joins through here.
"""

from __future__ import annotations

from sqlalchemy import and_, literal, select, union_all

from sounding.store.models import Comment, Enrichment, Post, ThemeMember


ITEM_COLUMNS = ("kind", "item_id", "platform", "platform_id", "thread_id", "author", "text", "text_hash", "url",
                "created_at")


def _items(model, thread_id, kind: str, names: tuple[str, ...]):
    available = {
        "kind": literal(kind).label("kind"),
        "item_id": model.id.label("item_id"),
        "platform": model.platform,
        "platform_id": model.platform_id,
        "thread_id": thread_id.label("thread_id"),
        "author": model.author,
        "text": model.text,
        "text_hash": model.text_hash,
        "url": model.url,
        "created_at": model.created_at,
    }
    return select(*(available[name] for name in names)).where(model.ours.is_(False))


SOURCES = {"comment": (Comment, Comment.post_id, "comment"), "post": (Post, Post.id, "post")}


def audience(version: str | None, columns: tuple[str, ...] = ITEM_COLUMNS, hash_order: bool = False,
             kinds: tuple[str, ...] = ("comment", "post")):
    """Every audience item (comment or post, not ours) with its analysis and theme, as a subquery.

    ``columns`` narrows the item columns (an aggregate over a million comments needs no text).
    ``hash_order`` feeds the items in text-hash order: SQLite then merges the two tables' hash
    indexes and probes the enrichment and theme tables in key order, which made the lesson
    aggregate 2x faster (random probes into 32-character keys were most of its time).
    ``kinds`` keeps only comments or only posts: one table, no union, so an ordered page can walk
    that table's time index (PostgreSQL hashed a whole union to find one page of a theme).
    """
    names = columns if "text_hash" in columns else (*columns, "text_hash")  # the joins need the hash
    selects = [_items(*SOURCES[kind], names) for kind in kinds]
    items = union_all(*selects) if len(selects) > 1 else selects[0]
    if hash_order:
        items = items.order_by("text_hash")
    items = items.subquery("items")
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
