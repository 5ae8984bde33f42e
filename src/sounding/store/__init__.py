"""The store: one SQLAlchemy engine (SQLite file by default, PostgreSQL for teams) and its writes.

Everything above the store (analysis, experiments, the CLI) reads through this object; importers and
connectors write through :meth:`Store.write_batch`, which is atomic and idempotent.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Table, func, select
from sqlalchemy.orm import Session

from sounding.config import database_url
from sounding.records import Record, SyncBatch
from sounding.store import models
from sounding.store.engine import make_engine, upgrade
from sounding.store.writer import RecordWriter, WriteResult, dialect_insert

__all__ = ["Store", "WriteResult", "models"]

#: Secondary comment indexes a large SQLite import drops and builds once at the end (one sorted
#: pass) instead of updating them row by row; the natural-key indexes the writer needs stay.
DEFERRABLE_INDEXES = ("ix_comments_post", "ix_comments_parent", "ix_comments_text_hash")
#: Deferring pays off only for imports at least this large and at least as large as the table.
BULK_MIN_ROWS = 100_000


def _deferrable_indexes() -> list:
    wanted = set(DEFERRABLE_INDEXES)
    return [index for index in models.Comment.__table__.indexes if index.name in wanted]


class Store:
    """A handle on one database, schema migrated on open."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        upgrade(engine)
        self._writer: RecordWriter | None = None
        self.ensure_indexes()

    @classmethod
    def open(cls, url_or_path: str | None = None) -> Store:
        """Open (and create or migrate) the store at a URL or SQLite path; ``None`` = the default."""
        return cls(make_engine(database_url(url_or_path)))

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
        """Build any deferrable index that is missing (a bulk import killed before its end)."""
        with self.engine.begin() as conn:
            for index in _deferrable_indexes():
                index.create(conn, checkfirst=True)

    @contextmanager
    def bulk_load(self, expected_rows: int) -> Iterator[bool]:
        """Around a large SQLite import: drop the deferrable indexes, build them once at the end.

        Yields whether it deferred. Each batch stays its own transaction; a killed import leaves
        the indexes missing, and the next :meth:`open` builds them (:meth:`ensure_indexes`).
        """
        deferring = self.dialect == "sqlite" and expected_rows >= BULK_MIN_ROWS
        if deferring:
            with self.engine.connect() as conn:
                stored = conn.execute(select(func.max(models.Comment.id))).scalar() or 0
            deferring = expected_rows >= stored
        if not deferring:
            yield False
            return
        with self.engine.begin() as conn:
            for index in _deferrable_indexes():
                index.drop(conn, checkfirst=True)
        try:
            yield True
        finally:
            self.ensure_indexes()

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
            with self.engine.begin() as conn:
                return self.writer.write(conn, records, account_id)
        except BaseException:
            self.writer.forget()
            raise

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

    # -- what is in it -----------------------------------------------------------------------
    def counts(self) -> dict[str, object]:
        """Totals and per-platform counts of everything the store holds."""
        tables = {
            "posts": models.Post,
            "comments": models.Comment,
            "reactions": models.ReactionSnapshot,
        }
        out: dict[str, object] = {}
        per_platform: dict[str, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for name, model in tables.items():
                total = 0
                for platform, count in conn.execute(
                    select(model.platform, func.count()).group_by(model.platform)
                ):
                    per_platform.setdefault(platform, {})[name] = count
                    total += count
                out[name] = total
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
        out["platforms"] = {p: per_platform[p] for p in sorted(per_platform)}
        return out
