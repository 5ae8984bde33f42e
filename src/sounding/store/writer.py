"""The one place records enter the database: batched, idempotent, atomic per batch.

Importers and connectors hand over lists of :mod:`sounding.records`; each batch is written in one
transaction with ``INSERT … ON CONFLICT DO NOTHING`` on the natural keys, so a re-run or a resumed
sync adds nothing twice and a killed process leaves no half-written batch behind.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Table, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from sounding.records import CommentRecord, PollRecord, PostRecord, ReactionSnapshot, Record
from sounding.store import models

CHUNK = 500  # bound parameters per IN (...) lookup: well under every backend's limit
CACHE_SIZE = 200_000  # recently written ids kept so replies find their parents without a query


def text_hash(text: str) -> str:
    """Stable 128-bit hash of a text: enrichment and theme caches are keyed by it."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def pseudonym(salt: bytes, platform: str, author: str) -> str:
    """Same person → same pseudonym within one store, but the handle itself is never stored."""
    digest = hashlib.blake2b(f"{platform}:{author}".encode(), key=salt, digest_size=8).hexdigest()
    return f"u_{digest}"


@dataclass
class WriteResult:
    """New rows per kind, and records that could not be written (index in the batch, reason)."""

    new: dict[str, int] = field(
        default_factory=lambda: {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}
    )
    unresolved: list[tuple[int, str]] = field(default_factory=list)

    def add(self, other: WriteResult) -> None:
        for key, value in other.new.items():
            self.new[key] += value


class RecordWriter:
    """Writes batches of records on a connection; keeps a bounded id cache across batches."""

    def __init__(self, dialect: str, salt: bytes) -> None:
        self.dialect = dialect
        self.salt = salt
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # (platform, platform_id) -> (comment id or None for a post, thread root post id)
        self._ids: OrderedDict[tuple[str, str], tuple[int | None, int]] = OrderedDict()

    def forget(self) -> None:
        """Drop cached ids (after a rollback they may name rows that no longer exist)."""
        self._ids.clear()

    # -- helpers ---------------------------------------------------------------------------
    def _time(self, value: datetime) -> datetime:
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return value.replace(tzinfo=None) if self.dialect == "sqlite" else value

    def _remember(self, key: tuple[str, str], value: tuple[int | None, int]) -> None:
        self._ids[key] = value
        self._ids.move_to_end(key)
        if len(self._ids) > CACHE_SIZE:
            self._ids.popitem(last=False)

    def _insert_ignore(self, conn: Connection, table: Table, rows: list[dict]) -> int:
        if not rows:
            return 0
        # RETURNING yields only the rows really inserted: an exact "new" count on every backend
        primary = list(table.primary_key.columns)[0]
        statement = self._insert(table).on_conflict_do_nothing().returning(primary)
        return len(conn.execute(statement, rows).all())

    def _lookup(self, conn: Connection, keys: set[tuple[str, str]]) -> None:
        """Fill the id cache for (platform, platform_id) keys, from posts then comments."""
        missing = [k for k in keys if k not in self._ids]
        posts, comments = models.Post.__table__, models.Comment.__table__
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            found = conn.execute(
                select(posts.c.platform, posts.c.platform_id, posts.c.id).where(
                    tuple_(posts.c.platform, posts.c.platform_id).in_(chunk)
                )
            )
            for platform, pid, post_id in found:
                self._remember((platform, pid), (None, post_id))
            rest = [k for k in chunk if k not in self._ids]
            if not rest:
                continue
            found = conn.execute(
                select(
                    comments.c.platform, comments.c.platform_id, comments.c.id, comments.c.post_id
                ).where(tuple_(comments.c.platform, comments.c.platform_id).in_(rest))
            )
            for platform, pid, comment_id, post_id in found:
                self._remember((platform, pid), (comment_id, post_id))

    # -- the batch -------------------------------------------------------------------------
    def write(self, conn: Connection, records: Sequence[Record], account_id: int | None = None) -> WriteResult:
        """Write one batch inside the caller's transaction."""
        result = WriteResult()
        posts: list[tuple[int, PostRecord]] = []
        comments: list[tuple[int, CommentRecord]] = []
        snapshots: list[tuple[int, ReactionSnapshot]] = []
        polls: list[tuple[int, PollRecord]] = []
        for index, record in enumerate(records):
            if isinstance(record, CommentRecord):
                comments.append((index, record))
            elif isinstance(record, PostRecord):
                posts.append((index, record))
            elif isinstance(record, ReactionSnapshot):
                snapshots.append((index, record))
            elif isinstance(record, PollRecord):
                polls.append((index, record))
        result.new["posts"] = self._write_posts(conn, [r for _, r in posts], account_id)
        result.new["comments"] = self._write_comments(conn, comments, result)
        snapshots.extend(self._counts_as_snapshots(posts, comments))
        result.new["reactions"] = self._write_snapshots(conn, snapshots, result)
        result.new["polls"] = self._write_polls(conn, polls, result)
        return result

    def _write_posts(self, conn: Connection, posts: list[PostRecord], account_id: int | None) -> int:
        rows = [
            {
                "platform": p.platform,
                "platform_id": p.id,
                "account_id": account_id,
                "ours": p.ours,
                "author": pseudonym(self.salt, p.platform, p.author),
                "text": p.text,
                "text_hash": text_hash(p.text),
                "url": p.url,
                "created_at": self._time(p.created_at),
            }
            for p in posts
        ]
        new = self._insert_ignore(conn, models.Post.__table__, rows)
        self._lookup(conn, {(p.platform, p.id) for p in posts})
        return new

    def _write_comments(
        self, conn: Connection, comments: list[tuple[int, CommentRecord]], result: WriteResult
    ) -> int:
        """Insert replies level by level, so a reply can follow its parent within one batch."""
        table = models.Comment.__table__
        self._lookup(conn, {(c.platform, c.parent_id) for _, c in comments})
        pending, new = comments, 0
        while pending:
            ready = [(i, c) for i, c in pending if (c.platform, c.parent_id) in self._ids]
            if not ready:
                break
            ready_keys = {(c.platform, c.id) for _, c in ready}
            pending = [(i, c) for i, c in pending if (c.platform, c.parent_id) not in self._ids]
            rows = []
            for _, c in ready:
                parent_comment, post_id = self._ids[(c.platform, c.parent_id)]
                rows.append(
                    {
                        "platform": c.platform,
                        "platform_id": c.id,
                        "post_id": post_id,
                        "parent_comment_id": parent_comment,
                        "ours": c.ours,
                        "author": pseudonym(self.salt, c.platform, c.author),
                        "text": c.text,
                        "text_hash": text_hash(c.text),
                        "lang": c.lang,
                        "url": c.url,
                        "created_at": self._time(c.created_at),
                    }
                )
            new += self._insert_ignore(conn, table, rows)
            self._lookup(conn, ready_keys)
        for index, c in pending:
            result.unresolved.append((index, f"unknown parent {c.parent_id!r}"))
        return new

    @staticmethod
    def _counts_as_snapshots(
        posts: Iterable[tuple[int, PostRecord]], comments: Iterable[tuple[int, CommentRecord]]
    ) -> list[tuple[int, ReactionSnapshot]]:
        """Counts given inline with a post or comment become a snapshot at the record's observation."""
        out = []
        for index, r in [*posts, *comments]:
            if r.likes is None and r.reposts is None and r.replies is None and r.views is None:
                continue
            taken = r.observed_at or r.created_at
            out.append(
                (index, ReactionSnapshot(r.platform, r.id, taken, r.likes, r.reposts, r.replies, r.views))
            )
        return out

    def _write_snapshots(
        self, conn: Connection, snapshots: list[tuple[int, ReactionSnapshot]], result: WriteResult
    ) -> int:
        """Store a snapshot only when the counts changed since the latest one: re-syncs add nothing."""
        if not snapshots:
            return 0
        table = models.ReactionSnapshot.__table__
        self._lookup(conn, {(s.platform, s.target_id) for _, s in snapshots})
        latest = self._latest_counts(conn, {(s.platform, s.target_id) for _, s in snapshots})
        rows = []
        for index, s in snapshots:
            key = (s.platform, s.target_id)
            if key not in self._ids:
                result.unresolved.append((index, f"unknown target {s.target_id!r}"))
                continue
            counts = (s.likes, s.reposts, s.replies, s.views)
            if latest.get(key) == counts:
                continue
            latest[key] = counts
            comment_id, post_id = self._ids[key]
            rows.append(
                {
                    "platform": s.platform,
                    "target_id": s.target_id,
                    "post_id": post_id if comment_id is None else None,
                    "comment_id": comment_id,
                    "taken_at": self._time(s.taken_at),
                    "likes": s.likes,
                    "reposts": s.reposts,
                    "replies": s.replies,
                    "views": s.views,
                }
            )
        return self._insert_ignore(conn, table, rows)

    def _latest_counts(self, conn: Connection, keys: set[tuple[str, str]]) -> dict:
        table = models.ReactionSnapshot.__table__
        latest: dict[tuple[str, str], tuple] = {}
        keys_list = list(keys)
        for start in range(0, len(keys_list), CHUNK):
            chunk = keys_list[start : start + CHUNK]
            rows = conn.execute(
                select(
                    table.c.platform, table.c.target_id, table.c.likes, table.c.reposts,
                    table.c.replies, table.c.views,
                )
                .where(tuple_(table.c.platform, table.c.target_id).in_(chunk))
                .order_by(table.c.taken_at)
            )
            for platform, target, *counts in rows:
                latest[(platform, target)] = tuple(counts)
        return latest

    def _write_polls(self, conn: Connection, polls: list[tuple[int, PollRecord]], result: WriteResult) -> int:
        if not polls:
            return 0
        poll_table, snap_table = models.Poll.__table__, models.PollSnapshot.__table__
        self._lookup(conn, {(p.platform, p.post_id) for _, p in polls})
        new = 0
        for index, p in polls:
            ids = self._ids.get((p.platform, p.post_id))
            if ids is None or ids[0] is not None:
                result.unresolved.append((index, f"poll on unknown post {p.post_id!r}"))
                continue
            post_id = ids[1]
            closes = self._time(p.closes_at) if p.closes_at else None
            self._insert_ignore(conn, poll_table, [{"post_id": post_id, "closes_at": closes}])
            poll_id = conn.execute(select(poll_table.c.id).where(poll_table.c.post_id == post_id)).scalar_one()
            last = conn.execute(
                select(snap_table.c.options, snap_table.c.votes, snap_table.c.voters)
                .where(snap_table.c.poll_id == poll_id)
                .order_by(snap_table.c.taken_at.desc())
                .limit(1)
            ).first()
            if last is not None and (list(last[0]), list(last[1]), last[2]) == (p.options, p.votes, p.voters):
                continue
            new += self._insert_ignore(
                conn,
                snap_table,
                [
                    {
                        "poll_id": poll_id,
                        "taken_at": self._time(p.taken_at),
                        "options": list(p.options),
                        "votes": list(p.votes),
                        "voters": p.voters,
                    }
                ],
            )
        return new

