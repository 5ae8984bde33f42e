"""Engines for SQLite (WAL) and PostgreSQL, the schema brought up to date by Alembic under a lock.

Two processes may open a store that does not exist yet at the same instant (two imports, an import
and ``status``): migrations and index builds therefore run under :func:`store_lock`, a file lock
beside a SQLite file or a PostgreSQL advisory lock, so only one of them creates the schema.
"""

from __future__ import annotations

import contextlib
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from filelock import FileLock, Timeout
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from sounding.errors import StoreError, UsageError

MIGRATIONS = Path(__file__).parent / "migrations"
#: the advisory-lock key of Sounding's migrations on PostgreSQL (any fixed 63-bit number)
PG_LOCK_KEY = zlib.crc32(b"sounding.store.migrations")
LOCK_TIMEOUT = 600.0  # seconds to wait for another process's migration or index build


def _bind_plainly() -> None:
    """Bind ``None`` and ``bool`` without the sqlite3 module's adapter search.

    The module adapts every value that is not exactly an int, float, str or bytes: for ``None`` and
    ``bool`` it looks for an adapter, then ``__adapt__`` and ``__conform__``, and finds none. A
    registered adapter is found at once. These two bind exactly as before (NULL, and 0 or 1), and
    an import binds about eight of them per comment: a tenth of a large import's time.
    """
    sqlite3.register_adapter(type(None), {}.get)  # a C function returning None
    sqlite3.register_adapter(bool, int)


_bind_plainly()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-32768")  # 32 MB: more of the random-order text-hash index stays in memory
    cursor.close()


def sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite store (``None`` for PostgreSQL or an in-memory store)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    return Path(database) if database and database != ":memory:" else None


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite files get WAL mode so readers never block the importer."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                path = Path(parsed.database)
                if path.exists() and not path.is_file():
                    raise StoreError(f"{path} is not a Sounding database (not a regular file)")
                if path.is_file() and not _looks_like_sqlite(path):
                    raise StoreError(f"{path} is not a Sounding database (not a SQLite file)")
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"cannot create the folder of {path}: {exc.strerror}") from None
            engine = create_engine(url)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise UsageError(f"cannot use the database URL {_hide(url)!r}: {type(exc).__name__}") from None


def _looks_like_sqlite(path: Path) -> bool:
    """An empty file (a store being created) or one with SQLite's header; read before any lock file
    is made beside it, so ``--db /etc/passwd`` leaves no trace."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    return head in (b"", b"SQLite format 3\x00")


def _hide(url: str) -> str:
    """How to name a store in a message: a SQLite file's path, else the URL without its password."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return "(unparseable URL)"
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)


def display_name(url: str) -> str:
    return _hide(url)


@contextlib.contextmanager
def store_lock(engine: Engine) -> Iterator[None]:
    """Hold the store's schema lock: a file lock beside a SQLite file, an advisory lock on PostgreSQL."""
    path = sqlite_path(engine)
    if path is not None:
        lock = FileLock(f"{path}.lock", timeout=LOCK_TIMEOUT)
        try:
            lock.acquire()
        except Timeout:
            raise StoreError(f"{path} is locked by another Sounding process; try again later") from None
        except OSError:
            # no lock file possible (a read-only folder): nobody can migrate there either, so reading
            # without the lock is safe; a write will fail with its own clear StoreError
            yield
            return
        try:
            yield
        finally:
            lock.release()
        return
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
            conn.commit()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Apply every pending migration (a no-op on an up-to-date store); call under :func:`store_lock`.

    A database that holds tables but no migration history belongs to something else: it is refused
    rather than filled with Sounding's tables.
    """
    config = alembic_config()
    with engine.begin() as connection:
        tables = set(inspect(connection).get_table_names())
        if tables and "alembic_version" not in tables:
            raise StoreError(f"{_hide(str(engine.url))} is not a Sounding database (it holds other tables)")
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "head")
        except CommandError as exc:
            raise StoreError(
                f"{_hide(str(engine.url))} has a schema this version of Sounding does not know ({exc}); "
                "upgrade Sounding"
            ) from None


def describe_open_error(url: str, exc: DBAPIError) -> StoreError:
    """A one-line StoreError for a driver error while opening (never the SQL or its parameters)."""
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(getattr(exc, "orig", exc)).strip() else ""
    where = _hide(url)
    if "file is not a database" in reason or "not a database" in reason:
        return StoreError(f"{where} is not a Sounding database ({reason})")
    return StoreError(f"cannot open {where}: {reason or type(exc).__name__}")
