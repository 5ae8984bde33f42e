"""The store: one SQLAlchemy engine (SQLite file by default, PostgreSQL for teams) and its writes.

Everything above the store (analysis, experiments, the CLI) reads through this object; importers and
connectors write through :meth:`Store.write_batch`, which is atomic and idempotent.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, Table, delete, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from sounding.config import database_url
from sounding.errors import SoundingError, UsageError
from sounding.records import Record, SyncBatch
from sounding.store import models
from sounding.store.engine import describe_open_error, make_engine, store_lock, upgrade
from sounding.store.reactions import count_by_platform
from sounding.store.writer import RecordWriter, WriteResult, dialect_insert

__all__ = ["Store", "WriteResult", "models"]

#: Secondary comment and snapshot indexes a large import (SQLite or PostgreSQL) drops and builds once at the end (one sorted
#: pass) instead of updating them row by row; the natural-key indexes the writer needs stay.
DEFERRABLE_INDEXES = ("ix_comments_post", "ix_comments_parent", "ix_comments_text_hash", "ix_comments_created",
                      "ix_comments_ours", "ix_reaction_snapshots_post", "ix_reaction_snapshots_comment")
#: Deferring pays off only for imports at least this large and at least as large as the table.
BULK_MIN_ROWS = 100_000
#: ``meta`` key naming the process that dropped the deferrable indexes (only it rebuilds them)
INDEX_OWNER_KEY = "deferred_indexes_owner"
#: an owner on another host cannot be checked; after this long it is taken for gone
FOREIGN_OWNER_TTL = timedelta(hours=24)


def _deferrable_indexes() -> list:
    wanted = set(DEFERRABLE_INDEXES)
    tables = (models.Comment.__table__, models.ReactionSnapshot.__table__)
    return [index for table in tables for index in table.indexes if index.name in wanted]


def _me() -> str:
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": datetime.now(UTC).isoformat()})


def _owner(conn: Connection) -> dict | None:
    raw = conn.execute(select(models.Meta.value).where(models.Meta.key == INDEX_OWNER_KEY)).scalar()
    if raw is None:
        return None
    try:
        owner = json.loads(raw)
        return owner if isinstance(owner, dict) else {}
    except ValueError:
        return {}


def _alive(owner: dict) -> bool:
    """Whether the process that dropped the indexes may still be running."""
    pid, host = owner.get("pid"), owner.get("host")
    if not isinstance(pid, int):
        return False
    if host != socket.gethostname():
        try:
            since = datetime.fromisoformat(owner.get("since", ""))
        except (TypeError, ValueError):
            return False
        return datetime.now(UTC) - since < FOREIGN_OWNER_TTL
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """A handle on one database, schema migrated on open."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._writer: RecordWriter | None = None
        self._bulk = False  # inside bulk_load on SQLite: writes skip the foreign-key probes
        with store_lock(engine):
            upgrade(engine)
            self._build_missing_indexes(mine=False)

    @classmethod
    def open(cls, url_or_path: str | None = None) -> Store:
        """Open (and create or migrate) the store at a URL or SQLite path; ``None`` = the default.

        Raises :class:`~sounding.errors.StoreError` for a file that is not a Sounding database, a
        server that cannot be reached, a folder that cannot be created.
        """
        if url_or_path is not None and not str(url_or_path).strip():
            raise UsageError("the database is empty: give a SQLite file path or a database URL, or None")
        url = database_url(url_or_path)
        engine = make_engine(url)
        try:
            return cls(engine)
        except SoundingError:
            engine.dispose()
            raise
        except DBAPIError as exc:
            engine.dispose()
            raise describe_open_error(url, exc) from None

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    # -- sessions and connections -----------------------------------------------------------
    def session(self) -> Session:
        """An ORM session for the read/write paths that are not bulk (experiments, decisions…)."""
        return Session(self.engine, expire_on_commit=False)

    def insert(self, table: Table):
        """An INSERT for this backend that supports ``on_conflict_do_nothing`` / ``_do_update``."""
        return dialect_insert(self.dialect)(table)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # -- bulk loads ----------------------------------------------------------------------------
    def ensure_indexes(self) -> None:
        """Build any deferrable index that is missing, unless a bulk import still running dropped it.

        The importer that dropped them builds them at its end; if it was killed, the next process
        to open the store (once the owner is gone) builds them.
        """
        with store_lock(self.engine):
            self._build_missing_indexes(mine=False)

    def _build_missing_indexes(self, mine: bool) -> None:
        with self.engine.begin() as conn:
            owner = _owner(conn)
            if owner is not None and not mine and _alive(owner):
                return
            if self.dialect == "postgresql":  # one sort in memory instead of an external merge (this transaction only)
                conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
            for index in _deferrable_indexes():
                index.create(conn, checkfirst=True)
            if owner is not None:
                conn.execute(delete(models.Meta).where(models.Meta.key == INDEX_OWNER_KEY))

    @contextmanager
    def bulk_load(self, expected_rows: int) -> Iterator[bool]:
        """Around a large import: drop the deferrable indexes, build them once at the end (one sort).

        Yields whether it deferred. Each batch stays its own transaction. The dropping process is
        recorded in ``meta`` (pid and host): other processes opening the store meanwhile (``status``,
        a second import) leave the indexes alone; a killed import leaves them missing, and the next
        :meth:`open` after it is gone builds them.
        """
        deferring = self.dialect in ("sqlite", "postgresql") and expected_rows >= BULK_MIN_ROWS
        if deferring:
            with self.engine.connect() as conn:
                stored = conn.execute(select(func.max(models.Comment.id))).scalar() or 0
            deferring = expected_rows >= stored
        if deferring:
            with store_lock(self.engine), self.engine.begin() as conn:
                owner = _owner(conn)
                if owner is not None and _alive(owner):
                    deferring = False  # another import already deferred them; it rebuilds them
                else:
                    for index in _deferrable_indexes():
                        index.drop(conn, checkfirst=True)
                    conn.execute(delete(models.Meta).where(models.Meta.key == INDEX_OWNER_KEY))
                    conn.execute(models.Meta.__table__.insert().values(key=INDEX_OWNER_KEY, value=_me()))
        if not deferring:
            yield False
            return
        self._bulk = self.dialect == "sqlite"
        try:
            yield True
        finally:
            self._bulk = False
            with store_lock(self.engine):
                self._build_missing_indexes(mine=True)

    # -- writing records ---------------------------------------------------------------------
    @property
    def salt(self) -> bytes:
        """Per-store key of the author pseudonyms, created once and kept in ``meta``."""
        with self.engine.begin() as conn:
            value = conn.execute(select(models.Meta.value).where(models.Meta.key == "pseudonym_salt")).scalar()
            if value is None:
                value = secrets.token_hex(16)
                conn.execute(models.Meta.__table__.insert().values(key="pseudonym_salt", value=value))
        return bytes.fromhex(value)

    @property
    def writer(self) -> RecordWriter:
        if self._writer is None:
            self._writer = RecordWriter(self.dialect, self.salt)
        return self._writer

    def write_records(self, records: Sequence[Record], account_id: int | None = None) -> WriteResult:
        """Write one batch in its own transaction; on failure nothing of it is kept."""
        try:
            with self._write_transaction() as conn:
                return self.writer.write(conn, records, account_id)
        except BaseException:
            self.writer.forget()
            raise

    @contextmanager
    def _write_transaction(self) -> Iterator[Connection]:
        """One batch's transaction; during a SQLite bulk load without the per-row foreign-key probes.

        The writer resolves every reply's post and parent id itself (from its batch or the store)
        before writing the reply, so the two probes per row re-read what it has just resolved: 2 % of
        a large import. The pragma is set outside the transaction (SQLite ignores it inside one) and
        is per connection, so it is set back before the connection returns to the pool.
        """
        if not self._bulk:
            with self.engine.begin() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            driver = conn.connection.driver_connection
            driver.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    yield conn
            finally:
                driver.execute("PRAGMA foreign_keys=ON")

    def write_batch(self, account_id: int, batch: SyncBatch) -> dict[str, int]:
        """Write a connector's batch and advance its cursor in the same transaction."""
        try:
            with self.engine.begin() as conn:
                result = self.writer.write(conn, batch.records, account_id)
                if batch.cursor is not None:
                    self._set_cursor(conn, account_id, batch.stream, batch.cursor)
        except BaseException:
            self.writer.forget()
            raise
        new = dict(result.new)
        new["unresolved"] = len(result.unresolved)
        return new

    # -- accounts and cursors ----------------------------------------------------------------
    def upsert_account(
        self, platform: str, handle: str, service_url: str | None = None, credential_ref: str | None = None
    ) -> int:
        """Create or update an account by (platform, handle); returns its id."""
        with self.session() as session, session.begin():
            account = session.scalars(
                select(models.Account).where(models.Account.platform == platform, models.Account.handle == handle)
            ).first()
            if account is None:
                account = models.Account(platform=platform, handle=handle, created_at=datetime.now(UTC))
                session.add(account)
            if service_url is not None:
                account.service_url = service_url
            if credential_ref is not None:
                account.credential_ref = credential_ref
            session.flush()
            return account.id

    def list_accounts(self) -> list[models.Account]:
        with self.session() as session:
            return list(session.scalars(select(models.Account).order_by(models.Account.id)))

    def get_cursor(self, account_id: int, stream: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(models.SyncCursor.cursor).where(
                    models.SyncCursor.account_id == account_id, models.SyncCursor.stream == stream
                )
            ).scalar()

    def _set_cursor(self, conn: Connection, account_id: int, stream: str, cursor: str) -> None:
        table = models.SyncCursor.__table__
        values = {"account_id": account_id, "stream": stream, "cursor": cursor, "updated_at": datetime.now(UTC)}
        statement = self.insert(table).values(**values)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["account_id", "stream"],
                set_={"cursor": cursor, "updated_at": values["updated_at"]},
            )
        )

    def set_sync_error(self, account_id: int, kind: str | None, message: str | None = None) -> None:
        """Keep why an account's sync stopped (already redacted, one line), or clear it (``kind=None``)."""
        values = {"last_error_kind": kind, "last_error": message if kind else None,
                  "last_error_at": datetime.now(UTC) if kind else None}
        with self.engine.begin() as conn:
            conn.execute(update(models.Account).where(models.Account.id == account_id).values(**values))

    # -- what is in it -----------------------------------------------------------------------
    def counts(self) -> dict[str, object]:
        """Totals and per-platform counts of everything the store holds."""
        out: dict[str, object] = {}
        per_platform: dict[str, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for name, model in {"posts": models.Post, "comments": models.Comment}.items():
                by_platform = dict(conn.execute(select(model.platform, func.count()).group_by(model.platform)).all())
                for platform, count in by_platform.items():
                    per_platform.setdefault(platform, {})[name] = count
                out[name] = sum(by_platform.values())
            reactions = count_by_platform(conn)  # observations of counts: the first ones are on the item rows
            for platform, count in reactions.items():
                per_platform.setdefault(platform, {})["reactions"] = count
            out["reactions"] = sum(reactions.values())
            for platform, count in conn.execute(
                select(models.Post.platform, func.count())
                .join(models.Poll, models.Poll.post_id == models.Post.id)
                .group_by(models.Post.platform)
            ):
                per_platform.setdefault(platform, {})["polls"] = count
            for platform, count in conn.execute(
                select(models.Account.platform, func.count()).group_by(models.Account.platform)
            ):
                per_platform.setdefault(platform, {})["accounts"] = count
            for name, model in {
                "accounts": models.Account,
                "polls": models.Poll,
                "questions": models.Question,
                "experiments": models.Experiment,
                "decisions": models.Decision,
            }.items():
                out[name] = conn.execute(select(func.count()).select_from(model)).scalar_one()
            out["sync_errors"] = conn.execute(
                select(func.count()).select_from(models.Account).where(models.Account.last_error_kind.is_not(None))
            ).scalar_one()
        out["platforms"] = {p: per_platform[p] for p in sorted(per_platform)}
        return out
