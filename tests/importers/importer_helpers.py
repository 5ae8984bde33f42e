"""Rows and files the importer tests share, and what a store holds after an import."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
from sqlalchemy import select

from sounding.store import Store, models
from sounding.store.reactions import series


def row(kind: str, id: str, parent: str | None = None, text: str = "hello", **extra) -> dict:
    out = {"kind": kind, "platform": "twitter", "id": id, "author": f"user{id}", "text": text,
           "created_at": "2026-01-05T12:00:00Z", **extra}
    if parent:
        out["parent_id"] = parent
    return out


def write_jsonl(path: Path, rows: list) -> Path:
    with open(path, "wb") as out:
        for item in rows:
            out.write(item if isinstance(item, bytes) else _dumps(item))
            out.write(b"\n")
    return path


def _dumps(item: dict) -> bytes:
    try:
        return orjson.dumps(item)
    except TypeError:  # integers beyond 64 bits, lone surrogates: the standard library writes them
        return json.dumps(item).encode()


def good_rows(threads: int = 20, replies: int = 3) -> list[dict]:
    rows = []
    for t in range(threads):
        rows.append(row("post", f"p{t}", likes=t))
        parent = f"p{t}"
        for r in range(replies):
            rows.append(row("comment", f"c{t}-{r}", parent, text=f"reply {r} in thread {t}?"))
            parent = f"c{t}-{r}"
    return rows


def read_rejects(path: str | Path) -> list[dict]:
    """Entries of a rejects file: JSONL, split on newlines only (texts may hold U+2028 and the like)."""
    return [json.loads(line) for line in Path(path).read_bytes().split(b"\n") if line]


def stored_ids(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        posts = conn.execute(select(models.Post.platform_id)).scalars().all()
        comments = conn.execute(select(models.Comment.platform_id)).scalars().all()
    return set(posts) | set(comments)


def stored_rows(store: Store, platform: str) -> dict[str, tuple]:
    """Every stored column that does not depend on insertion order, by platform id."""
    post, comment = models.Post.__table__, models.Comment.__table__
    out: dict[str, tuple] = {}
    with store.engine.connect() as conn:
        post_ids = {}
        for r in conn.execute(select(post).where(post.c.platform == platform)):
            post_ids[r.id] = r.platform_id
            out[r.platform_id] = ("post", r.account_id, r.ours, r.author, r.text, r.text_hash, r.url,
                                  r.created_at.replace(tzinfo=None))
        comment_rows = list(conn.execute(select(comment).where(comment.c.platform == platform)))
        comment_ids = {r.id: r.platform_id for r in comment_rows}
        for r in comment_rows:
            out[r.platform_id] = ("comment", post_ids[r.post_id], comment_ids.get(r.parent_comment_id), r.ours,
                                  r.author, r.text, r.text_hash, r.lang, r.url, r.created_at.replace(tzinfo=None))
    return out


def latest_counts(db: Path, target: str) -> tuple | None:
    """(likes, reposts, replies, views) of the newest point of an item's growth curve, or None."""
    store = Store.open(str(db))
    try:
        with store.engine.connect() as conn:
            points = series(conn, None, target)
    finally:
        store.close()
    return tuple(points[-1])[1:] if points else None
