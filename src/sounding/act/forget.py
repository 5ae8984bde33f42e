"""Forget a person on request: their words, their handle and everything derived from them.

Removed: their comments and audience posts (a post others replied to is kept as an empty
placeholder so the thread stays whole; replies to a removed comment move up to its nearest kept
ancestor), reaction counts of those items (snapshots, and the first counts on an emptied post's
row), analysis rows (enrichments, theme memberships) of texts nobody else wrote (and of lesson merges), their place in
"you asked, we did" drafts, their opt-out and people records, and any row of another table that
points at a removed comment. Lessons are recomputed
and, on SQLite, the file is vacuumed so no deleted page keeps the text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, inspect, select, text, update

from sounding.act.people import resolve
from sounding.store.writer import text_hash
from sounding.errors import NotFoundError
from sounding.store import Store
from sounding.store.models import (
    Comment,
    ContactOptOut,
    Enrichment,
    LessonMergeMember,
    LoopReply,
    Meta,
    Post,
    PostLearning,
    ReactionSnapshot,
    ThemeMember,
)

PLACEHOLDER_AUTHOR = "forgotten"


def _referencing(store: Store, table: str) -> list[tuple[str, str, bool]]:
    """(table, column, nullable) of every column with a foreign key to ``table``.id, outside the core."""
    inspector = inspect(store.engine)
    found = []
    for name in inspector.get_table_names():
        columns = {c["name"]: c for c in inspector.get_columns(name)}
        for fk in inspector.get_foreign_keys(name):
            if fk["referred_table"] == table and len(fk["constrained_columns"]) == 1:
                column = fk["constrained_columns"][0]
                found.append((name, column, bool(columns[column]["nullable"])))
    return found


#: Meta key counting erasures: caches (the web pages') drop every kept value when it moves, rather
#: than serving a page that still quotes the person for up to their staleness bound.
ERASURES_KEY = "erasures"


def erasures(conn) -> int:
    return int(conn.execute(select(Meta.value).where(Meta.key == ERASURES_KEY)).scalar() or 0)


def _count_erasure(store: Store) -> None:
    with store.transaction() as conn:
        count = str(erasures(conn) + 1)
        statement = store.insert(Meta.__table__).values(key=ERASURES_KEY, value=count)
        conn.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": count}))


def forget(store: Store, who: str) -> dict[str, Any]:
    """Erase one person (``platform:handle`` or pseudonym); returns a receipt of what was removed."""
    author = resolve(store, who)
    receipt: dict[str, Any] = {"person": author, "comments": 0, "posts": 0, "posts_emptied": 0, "snapshots": 0,
                               "analysis_rows": 0, "replies_moved": 0, "drafts_changed": 0, "other_rows": 0}
    with store.transaction() as conn:
        comments = conn.execute(
            select(Comment.id, Comment.parent_comment_id, Comment.text_hash, Comment.first_likes.is_not(None)
                   | Comment.first_reposts.is_not(None) | Comment.first_replies.is_not(None)
                   | Comment.first_views.is_not(None))
            .where(Comment.author == author, Comment.ours.is_(False))
        ).all()
        posts = conn.execute(select(Post.id, Post.text_hash).where(Post.author == author, Post.ours.is_(False))).all()
        optout = conn.execute(select(ContactOptOut.author).where(ContactOptOut.author == author)).scalar()
        if not comments and not posts and optout is None:
            raise NotFoundError(f"nobody called {who!r} has written anything in this store")
        gone = {c.id for c in comments}
        receipt["snapshots"] = sum(bool(c[3]) for c in comments)  # first counts, on the comment rows deleted below
        parent = {c.id: c.parent_comment_id for c in comments}

        def kept_ancestor(cid: int | None) -> int | None:
            while cid is not None and cid in gone:
                cid = parent[cid]
            return cid

        for cid in gone:  # their comments' replies by others move up, so threads stay whole
            moved = conn.execute(update(Comment).where(Comment.parent_comment_id == cid, Comment.id.not_in(gone))
                                 .values(parent_comment_id=kept_ancestor(parent[cid]))).rowcount
            receipt["replies_moved"] += moved
        for table, column, nullable in _referencing(store, "comments"):
            if table == "comments":
                continue
            for chunk in _chunks(sorted(gone)):
                if table == "reaction_snapshots":
                    receipt["snapshots"] += conn.execute(
                        delete(ReactionSnapshot).where(ReactionSnapshot.comment_id.in_(chunk))).rowcount
                    continue
                marks = ", ".join(f":c{i}" for i in range(len(chunk)))
                params = {f"c{i}": v for i, v in enumerate(chunk)}
                sql = (f'UPDATE "{table}" SET "{column}" = NULL WHERE "{column}" IN ({marks})' if nullable
                       else f'DELETE FROM "{table}" WHERE "{column}" IN ({marks})')
                receipt["other_rows"] += conn.execute(text(sql), params).rowcount
        for chunk in _chunks(sorted(gone)):
            receipt["comments"] += conn.execute(delete(Comment).where(Comment.id.in_(chunk))).rowcount

        empty_hash = text_hash("")
        post_refs = [(t, c) for t, c, _ in _referencing(store, "posts") if t not in ("comments", "reaction_snapshots", "post_learning")]
        for post in posts:
            others = conn.execute(select(Comment.id).where(Comment.post_id == post.id).limit(1)).first()
            conn.execute(delete(ReactionSnapshot).where(ReactionSnapshot.post_id == post.id))
            conn.execute(delete(PostLearning).where(PostLearning.post_id == post.id))  # derived, recomputed
            if others is None and not _post_referenced(conn, post_refs, post.id):
                conn.execute(delete(Post).where(Post.id == post.id))
                receipt["posts"] += 1
            else:
                conn.execute(update(Post).where(Post.id == post.id).values(
                    text="", text_hash=empty_hash, author=PLACEHOLDER_AUTHOR, url=None, first_likes=None,
                    first_reposts=None, first_replies=None, first_views=None, first_seen_at=None))
                receipt["posts_emptied"] += 1

        hashes = {c.text_hash for c in comments} | {p.text_hash for p in posts}
        for h in hashes:  # analysis of a text only they wrote
            still = conn.execute(select(Comment.id).where(Comment.text_hash == h).limit(1)).first() or \
                conn.execute(select(Post.id).where(Post.text_hash == h).limit(1)).first()
            if still is None:
                receipt["analysis_rows"] += conn.execute(delete(Enrichment).where(Enrichment.text_hash == h)).rowcount
                receipt["analysis_rows"] += conn.execute(delete(ThemeMember).where(ThemeMember.text_hash == h)).rowcount
                receipt["analysis_rows"] += conn.execute(
                    delete(LessonMergeMember).where(LessonMergeMember.text_hash == h)).rowcount

        for row in conn.execute(select(LoopReply.id, LoopReply.people, LoopReply.status)).all():
            if author in (row.people or []):
                left = [p for p in row.people if p != author]
                if not left and row.status == "draft":
                    conn.execute(delete(LoopReply).where(LoopReply.id == row.id))
                else:
                    conn.execute(update(LoopReply).where(LoopReply.id == row.id).values(people=left))
                receipt["drafts_changed"] += 1
        conn.execute(delete(ContactOptOut).where(ContactOptOut.author == author))
        if "people" in inspect(conn).get_table_names():
            receipt["other_rows"] += conn.execute(text("DELETE FROM people WHERE pseudonym = :a"), {"a": author}).rowcount
    _recompute(store)
    _count_erasure(store)
    if store.dialect == "sqlite":
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        raw = store.engine.raw_connection()
        try:
            raw.driver_connection.execute("VACUUM")
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    receipt["at"] = datetime.now(UTC).isoformat()
    return receipt


def _post_referenced(conn, refs: list[tuple[str, str]], post_id: int) -> bool:
    """True when a row of another table (a question, a variant, a reply draft) points at the post."""
    for table, column in refs:
        if conn.execute(text(f'SELECT 1 FROM "{table}" WHERE "{column}" = :p LIMIT 1'), {"p": post_id}).first():
            return True
    return False


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _recompute(store: Store) -> None:
    """Lessons and theme sizes without the removed rows (no model work: nothing new to analyse)."""
    from sounding.analysis import views
    from sounding.analysis.lessons import newest_audience_time, refresh_lessons

    version = views.current_version(store)
    if version is None:
        return
    refresh_lessons(store, version, newest_audience_time(store) or datetime.now(UTC))
