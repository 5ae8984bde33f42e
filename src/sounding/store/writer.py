"""The one place records enter the database: batched, idempotent, atomic per batch.

Importers and connectors hand over lists of :mod:`sounding.records`; each batch is written in one
transaction with ``INSERT … ON CONFLICT DO NOTHING`` on the natural keys, so a re-run or a resumed
sync adds nothing twice and a killed process leaves no half-written batch behind.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from sounding.errors import StoreError
from sounding.records import CommentRecord, PollRecord, PostRecord, ReactionSnapshot, Record
from sounding.store import models, sqlite_insert
from sounding.store.reactions import stored_counts
from sounding.store.rows import (
    COMMENT_COLUMNS,
    POST_COLUMNS,
    SNAPSHOT_COLUMNS,
    clean,
    comment_rows,
    counts_as_snapshots,
    has_counts,
    post_row,
    sqlite_time,
    text_hash,
    utc_time,
)

__all__ = ["RecordWriter", "ValueRefused", "WriteResult", "clean", "dialect_insert", "pseudonym", "text_hash"]

CHUNK = 500  # bound parameters per IN (...) lookup: well under every backend's limit
CACHE_SIZE = 100_000  # recently written ids kept so replies find their parents without a query
#: Rows from which a PostgreSQL batch goes through COPY (below it the plain INSERT costs less than staging)
COPY_MIN_ROWS = 1_000


def dialect_insert(dialect: str):
    """``insert`` of the backend, for ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


class ValueRefused(StoreError):
    """The store refused a value in a batch (too large, not encodable); the batch wrote nothing.

    Importers split the batch to set the one bad row aside; nothing of its values is in the message.
    """


#: Errors a single row's value causes; anything else (locked, disk full, gone) is the store's.
_VALUE_ERRORS = (OverflowError, UnicodeError, ValueError, sqlite3.DataError, sa_exc.DataError)


def refused(exc: BaseException) -> StoreError:
    """A store error naming the failure's kind only: driver messages and SQLAlchemy's carry the values."""
    orig = getattr(exc, "orig", None) or exc
    if isinstance(exc, _VALUE_ERRORS) or isinstance(orig, _VALUE_ERRORS) or _datatype_mismatch(orig):
        return ValueRefused(f"the store refused a value in this batch ({type(orig).__name__})")
    if isinstance(orig, sqlite3.OperationalError) or isinstance(exc, sa_exc.OperationalError):
        reason = str(orig).splitlines()[0][:120] if isinstance(orig, sqlite3.OperationalError) else type(orig).__name__
        return StoreError(f"the store could not write this batch: {reason}")
    return StoreError(f"the store could not write this batch ({type(orig).__name__})")


def _datatype_mismatch(orig: BaseException) -> bool:
    """PostgreSQL: an integer beyond BIGINT is sent as numeric and refused as a type mismatch."""
    return getattr(orig, "sqlstate", None) in {"42804", "22003", "22P05", "22021", "22008"}


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


class RecordWriter:
    """Writes batches of records on a connection; keeps a bounded id cache across batches."""

    def __init__(self, dialect: str, salt: bytes) -> None:
        self.dialect = dialect
        self.salt = salt
        self._insert = dialect_insert(dialect)
        self._time = sqlite_time if dialect == "sqlite" else utc_time  # what the driver takes for a datetime
        # (platform, platform_id) -> (comment id or None for a post, thread root post id)
        self._ids: OrderedDict[tuple[str, str], tuple[int | None, int]] = OrderedDict()
        self._authors: dict[tuple[str, str], str] = {}
        self._people: list[tuple[str, str, str]] = []  # (pseudonym, platform, handle) first seen in this batch
        self._fresh: dict[tuple[str, str], Record] = {}  # created by this batch (by which record)
        self._firsts = 0  # items created by this batch with counts (their first observation is on their row)

    def forget(self) -> None:
        """Drop cached ids (after a rollback they may name rows that no longer exist)."""
        self._ids.clear()
        self._authors.clear()  # so the people rows of a rolled-back batch are queued again

    # -- helpers ---------------------------------------------------------------------------
    def _author(self, platform: str, author: str) -> str:
        key = (platform, author)
        name = self._authors.get(key)
        if name is None:
            if len(self._authors) > CACHE_SIZE:
                self._authors.clear()
            name = self._authors[key] = pseudonym(self.salt, platform, author)
            self._people.append((name, clean(platform), clean(author)))  # the people table keeps the store's text rule
        return name

    def _pseudonyms(self, records: list[CommentRecord]) -> list[str]:
        """:meth:`_author` of each record, the known ones without a call each."""
        known, author = self._authors.get, self._author
        return [known((c.platform, c.author)) or author(c.platform, c.author) for c in records]

    def _remember(self, key: tuple[str, str], value: tuple[int | None, int]) -> None:
        self._ids[key] = value
        self._ids.move_to_end(key)
        if len(self._ids) > CACHE_SIZE:
            self._ids.popitem(last=False)

    def _insert_ignore(self, conn: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple],
                       returned: tuple[str, ...] | None = None) -> list[tuple]:
        """Insert, skipping natural-key conflicts; returns (id, platform?, platform_id?) of the rows really new
        (on SQLite just (id,): its posts and comments take :meth:`_insert_new`).

        RETURNING yields only inserted rows: an exact "new" count on every backend and the ids of new
        posts and comments without another query (``returned=()``: nothing returned). On SQLite,
        multi-row statements go straight to the driver (SQLAlchemy's per-row parameter processing
        would dominate a large import); on PostgreSQL a large batch goes through COPY
        (:mod:`sounding.store.pg_copy`), merged by the same ON CONFLICT DO NOTHING.
        """
        if not rows:
            return []
        if returned is None:
            returned = ("id", "platform", "platform_id") if "platform_id" in table.c else ("id",) if "id" in table.c else ()
        if self.dialect == "postgresql" and len(rows) >= COPY_MIN_ROWS:
            from sounding.store import pg_copy

            if pg_copy.copyable(table, columns):
                return pg_copy.insert_ignore(conn, table, columns, rows, returned)
        if self.dialect != "sqlite":
            if not returned:
                conn.execute(self._insert(table).on_conflict_do_nothing(), [dict(zip(columns, row)) for row in rows])
                return []
            statement = self._insert(table).on_conflict_do_nothing().returning(*(table.c[c] for c in returned))
            return [tuple(r) for r in conn.execute(statement, [dict(zip(columns, row)) for row in rows])]
        new_ids = sqlite_insert.insert_ignore(conn.connection.driver_connection, table, columns, rows)
        return [(new_id,) for new_id in new_ids]  # its callers on SQLite only count them

    def _lookup(self, conn: Connection, keys: set[tuple[str, str]]) -> None:
        """Fill the id cache for (platform, platform_id) keys, from posts then comments."""
        missing: dict[str, list[str]] = {}
        for platform, pid in keys:
            if (platform, pid) not in self._ids:
                missing.setdefault(platform, []).append(pid)
        posts, comments = models.Post.__table__, models.Comment.__table__
        for platform, ids in missing.items():
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                found = conn.execute(
                    select(posts.c.platform_id, posts.c.id).where(
                        posts.c.platform == platform, posts.c.platform_id.in_(chunk)
                    )
                )
                for pid, post_id in found:
                    self._remember((platform, pid), (None, post_id))
                rest = [pid for pid in chunk if (platform, pid) not in self._ids]
                if not rest:
                    continue
                found = conn.execute(
                    select(comments.c.platform_id, comments.c.id, comments.c.post_id).where(
                        comments.c.platform == platform, comments.c.platform_id.in_(rest)
                    )
                )
                for pid, comment_id, post_id in found:
                    self._remember((platform, pid), (comment_id, post_id))

    # -- the batch -------------------------------------------------------------------------
    def write(self, conn: Connection, records: Sequence[Record], account_id: int | None = None) -> WriteResult:
        """Write one batch inside the caller's transaction; a failure is a :class:`StoreError` without values."""
        try:
            return self._write(conn, records, account_id)
        except (sa_exc.SQLAlchemyError, sqlite3.Error, *_VALUE_ERRORS) as exc:
            raise refused(exc) from None

    def _write(self, conn: Connection, records: Sequence[Record], account_id: int | None) -> WriteResult:
        result = WriteResult()
        self._fresh = {}
        self._firsts = 0
        comments = [pair for pair in enumerate(records) if isinstance(pair[1], CommentRecord)]
        posts = [pair for pair in enumerate(records) if isinstance(pair[1], PostRecord)]
        snapshots: list[tuple[int, ReactionSnapshot]] = []
        polls: list[tuple[int, PollRecord]] = []
        if len(comments) + len(posts) < len(records):
            snapshots = [pair for pair in enumerate(records) if isinstance(pair[1], ReactionSnapshot)]
            polls = [pair for pair in enumerate(records) if isinstance(pair[1], PollRecord)]
        new, stale = self._write_posts(conn, posts, account_id)
        result.new["posts"] = new
        new, stale_comments = self._write_comments(conn, comments, result)
        result.new["comments"] = new
        snapshots.extend(counts_as_snapshots(stale + stale_comments))
        result.new["reactions"] = self._firsts + self._write_snapshots(conn, snapshots, result)
        result.new["polls"] = self._write_polls(conn, polls, result)
        self._write_people(conn)
        return result

    def _write_people(self, conn: Connection) -> None:
        """Handles of the people first seen by this writer go to the one ``people`` table (keyed by pseudonym)."""
        if self._people:
            self._insert_ignore(conn, models.Person.__table__, ("pseudonym", "platform", "handle"), self._people, ())
            self._people = []

    def _write_posts(
        self, conn: Connection, pairs: list[tuple[int, PostRecord]], account_id: int | None
    ) -> tuple[int, list[tuple[int, PostRecord]]]:
        """New posts, and the (index, record) of those stored before (their counts may be news)."""
        when = self._time
        posts = [p for _, p in pairs]
        rows = [post_row(p, account_id, self._author(p.platform, p.author), when) for p in posts]
        new_ids = self._insert_new(conn, models.Post.__table__, POST_COLUMNS, rows)
        self._created(posts, [None] * len(posts), new_ids)
        stale = [pair for pair, new_id in zip(pairs, new_ids, strict=True) if new_id is None]
        self._lookup(conn, {(p.platform, p.id) for _, p in stale})  # the ones that already existed
        stored = [p for _, p in stale if (p.platform, p.id) not in self._fresh]  # not a repeat of a new one
        late_urls = [{"u": clean(p.url), "p": p.platform, "i": p.id} for p in stored if p.url]
        if late_urls:  # a post we published before the platform told us its URL: fill it, nothing else
            table = models.Post.__table__
            conn.execute(
                update(table)
                .where(table.c.platform == bindparam("p"), table.c.platform_id == bindparam("i"), table.c.url.is_(None))
                .values(url=bindparam("u")),
                late_urls,
            )
        if account_id is not None:  # imported from an export first, synced now: the post is this account's
            self._claim(conn, [(p.platform, p.id) for p in stored], account_id)
        return len(posts) - len(stale), stale

    def _claim(self, conn: Connection, keys: list[tuple[str, str]], account_id: int) -> None:
        """Set the account of stored posts that have none, so both doors give the same row."""
        if not keys:
            return
        table = models.Post.__table__
        conn.execute(
            update(table)
            .where(table.c.platform == bindparam("p"), table.c.platform_id == bindparam("i"),
                   table.c.account_id.is_(None))
            .values(account_id=account_id),
            [{"p": platform, "i": pid} for platform, pid in keys],
        )

    def _write_comments(
        self, conn: Connection, comments: list[tuple[int, CommentRecord]], result: WriteResult
    ) -> tuple[int, list[tuple[int, CommentRecord]]]:
        """Insert replies level by level, so a reply can follow its parent within one batch.

        Returns the new count and the (index, record) of replies stored before (or repeated).
        Replies are handled by their position in ``comments``: a large import's most frequent
        loop, so each key is built once.
        """
        table = models.Comment.__table__
        records = [c for _, c in comments]
        keys = [(c.platform, c.id) for c in records]
        parents = [(c.platform, c.parent_id) for c in records]
        # parents written by this batch need no query (one already stored is looked up once it conflicts)
        looked_up = set(parents).difference(keys)
        self._lookup(conn, looked_up)
        ids = self._ids
        ready: list[int] = []
        waiting: dict[tuple[str, str], list[int]] = {}  # parent key -> positions of its replies
        for position, parent in enumerate(parents):
            if parent in ids:
                ready.append(position)
            else:
                waiting.setdefault(parent, []).append(position)
        stale: list[int] = []
        new = 0
        while ready:
            level = [records[position] for position in ready]
            links = [ids[parents[position]] for position in ready]  # (parent comment id, thread root post id)
            rows = comment_rows(level, links, self._pseudonyms(level), self._time)
            new_ids = self._insert_new(conn, table, COMMENT_COLUMNS, rows)
            new += len(new_ids) - new_ids.count(None)
            self._created(level, [post_id for _, post_id in links], new_ids)
            if None in new_ids:  # replies that were already stored (or repeats of a new one)
                old = [position for position, new_id in zip(ready, new_ids) if new_id is None]
                stale.extend(old)
                self._lookup(conn, {keys[position] for position in old})
            ready = [reply for position in ready if keys[position] in waiting and keys[position] in ids
                     for reply in waiting.pop(keys[position])]
            if not ready and waiting.keys() - looked_up:  # parents in this batch that never came: stored before?
                rest = waiting.keys() - looked_up
                looked_up |= rest
                self._lookup(conn, rest)
                ready = [reply for key in sorted(rest) if key in ids for reply in waiting.pop(key)]
        for replies in waiting.values():
            for position in replies:
                result.unresolved.append((comments[position][0], f"unknown parent {records[position].parent_id!r}"))
        return new, [comments[position] for position in sorted(stale)]  # in batch order, as the snapshots go

    def _insert_new(self, conn: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> list:
        """Insert post or comment rows, skipping stored keys; each row's new id, ``None`` where skipped.

        A key that repeats within ``rows`` is new only at its first row, as the store sees it.
        """
        if self.dialect == "sqlite":
            return sqlite_insert.new_ids(conn.connection.driver_connection, table, columns, rows)
        found = {(platform, pid): new_id for new_id, platform, pid in self._insert_ignore(conn, table, columns, rows)}
        return [found.pop((row[0], row[1]), None) for row in rows]

    def _created(self, records: list[Record], threads: list[int | None], new_ids: list[int | None]) -> None:
        """Remember the rows just inserted (their inline counts went onto their row).

        ``threads`` holds each record's thread root post id (``None`` for a post).
        """
        ids, fresh = self._ids, self._fresh
        firsts = 0
        for record, thread, new_id in zip(records, threads, new_ids, strict=True):
            if new_id is None:
                continue
            key = (record.platform, record.id)
            ids[key] = (None, new_id) if thread is None else (new_id, thread)
            fresh[key] = record
            if record.likes is not None or record.reposts is not None or record.replies is not None \
                    or record.views is not None:
                firsts += 1
        self._firsts += firsts
        while len(ids) > CACHE_SIZE:
            ids.popitem(last=False)

    def _write_snapshots(
        self, conn: Connection, snapshots: list[tuple[int, ReactionSnapshot]], result: WriteResult
    ) -> int:
        """Store a snapshot only when the counts changed since the latest one: re-syncs add nothing.

        A snapshot at a time already observed (the item's first counts included) is not stored either.
        """
        if not snapshots:
            return 0
        keys = {(s.platform, s.target_id) for _, s in snapshots}
        self._lookup(conn, keys)
        fresh = self._fresh
        stored = stored_counts(conn, keys - fresh.keys(), self._time)
        for key in keys & fresh.keys():  # created by this batch: its first counts are its record's
            r = fresh[key]
            if has_counts(r):
                taken = self._time(r.observed_at or r.created_at)
                stored[key] = ((r.likes, r.reposts, r.replies, r.views), {taken})
        rows = []
        for index, s in snapshots:
            key = (s.platform, s.target_id)
            if key not in self._ids:
                result.unresolved.append((index, f"unknown target {s.target_id!r}"))
                continue
            counts = (s.likes, s.reposts, s.replies, s.views)
            latest, times = stored.get(key, ((), set()))
            taken = self._time(s.taken_at)
            if latest == counts or taken in times:
                continue
            times.add(taken)
            stored[key] = (counts, times)
            comment_id, post_id = self._ids[key]
            rows.append((s.platform, s.target_id, post_id if comment_id is None else None, comment_id, taken, *counts))
        return len(self._insert_ignore(conn, models.ReactionSnapshot.__table__, SNAPSHOT_COLUMNS, rows))

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
            self._insert_ignore(conn, poll_table, ("post_id", "closes_at"), [(post_id, closes)])
            poll_id = conn.execute(select(poll_table.c.id).where(poll_table.c.post_id == post_id)).scalar_one()
            last = conn.execute(
                select(snap_table.c.options, snap_table.c.votes, snap_table.c.voters)
                .where(snap_table.c.poll_id == poll_id)
                .order_by(snap_table.c.taken_at.desc())
                .limit(1)
            ).first()
            if last is not None and (list(last[0]), list(last[1]), last[2]) == (p.options, p.votes, p.voters):
                continue
            snapshot = (poll_id, self._time(p.taken_at), json.dumps(list(p.options)), json.dumps(list(p.votes)), p.voters)
            if self.dialect != "sqlite":  # JSON columns take Python lists through SQLAlchemy
                snapshot = (*snapshot[:2], list(p.options), list(p.votes), p.voters)
            new += len(self._insert_ignore(conn, snap_table, ("poll_id", "taken_at", "options", "votes", "voters"), [snapshot]))
        return new

