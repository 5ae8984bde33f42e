"""One conversation as a tree: the post, then every reply under the comment it answers.

Each node carries its intent and sentiment (when analysed) and its theme, so a reader sees who
asked what and whether we answered, in the order people said it.
"""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from sounding.errors import NotFoundError
from sounding.store import Store
from sounding.store.models import Comment, Enrichment, Post, Theme, ThemeMember
from sounding.store.reactions import latest_per_post

MAX_COMMENTS = 5000  # a thread page beyond this is cut (and says so)


def _enriched(model, version: str | None):
    return (
        select(model, Enrichment.sentiment, Enrichment.sentiment_score, Enrichment.intent,
               Enrichment.intent_score, Theme.key.label("theme"), Theme.name.label("theme_name"))
        .outerjoin(Enrichment, and_(Enrichment.text_hash == model.text_hash, Enrichment.model_version == version))
        .outerjoin(ThemeMember, ThemeMember.text_hash == model.text_hash)
        .outerjoin(Theme, Theme.id == ThemeMember.theme_id)
    )


def _node(obj, row, parent: str | None) -> dict:
    return {
        "platform": obj.platform, "id": obj.platform_id, "parent": parent, "ours": obj.ours,
        "author": obj.author, "text": obj.text, "url": obj.url, "created_at": obj.created_at,
        "sentiment": row.sentiment, "sentiment_score": row.sentiment_score, "intent": row.intent,
        "intent_score": row.intent_score, "theme": row.theme, "theme_name": row.theme_name, "replies": [],
    }


def thread(store: Store, version: str | None, post_id: str, platform: str | None = None) -> dict:
    """The post ``post_id`` (platform id) with its replies nested; ``truncated`` if over the cap."""
    with store.session() as session:
        # find the row first (a plain lookup), then join its analysis by primary key: the planner
        # otherwise may start the joins from the analysis tables
        lookup = select(Post.id).where(Post.platform_id == post_id)
        if platform:
            lookup = lookup.where(Post.platform == platform)
        row_id = session.execute(lookup.limit(1)).scalar()
        if row_id is None:
            raise NotFoundError(f"no thread {post_id!r}")
        post_row = session.execute(_enriched(Post, version).where(Post.id == row_id)).first()
        post = post_row[0]
        root = _node(post, post_row, None)
        counts = latest_per_post([post.id])
        latest = session.execute(select(counts.c.likes, counts.c.reposts)).first()
        root.update(likes=latest.likes if latest else None, reposts=latest.reposts if latest else None)
        parent = aliased(Comment)
        rows = session.execute(
            _enriched(Comment, version).add_columns(parent.platform_id.label("parent_id"))
            .outerjoin(parent, parent.id == Comment.parent_comment_id)
            .where(Comment.post_id == post.id)
            .order_by(Comment.created_at, Comment.id)
            .limit(MAX_COMMENTS + 1)
        ).all()
    nodes = {}
    for row in rows[:MAX_COMMENTS]:
        comment = row[0]
        nodes[comment.platform_id] = _node(comment, row, row.parent_id or post.platform_id)
    for node in nodes.values():
        holder = nodes.get(node["parent"], root)
        holder["replies"].append(node)
    root["comments"] = len(nodes)
    root["people"] = len({n["author"] for n in nodes.values() if not n["ours"]})
    root["truncated"] = len(rows) > MAX_COMMENTS
    return root


def flatten(node: dict, depth: int = 0) -> list[tuple[int, dict]]:
    """The tree in reading order with each node's depth (for tables and exports)."""
    out = [(depth, node)]
    for child in node["replies"]:
        out.extend(flatten(child, depth + 1))
    return out
