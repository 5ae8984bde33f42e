"""Multi-row ``INSERT … ON CONFLICT DO NOTHING`` straight to the sqlite3 driver, for large batches.

SQLAlchemy's per-row parameter processing would dominate a large import, so the writer hands SQLite
batches here (PostgreSQL's go through :mod:`sounding.store.pg_copy`). Same natural-key rule.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from itertools import chain

from sqlalchemy import Table


def statement_sizes(rows: int, columns: int) -> list[int]:
    """Rows per multi-row INSERT: a fixed power of two, the rest in smaller powers of two.

    The driver caches prepared statements by their SQL; a handful of fixed sizes keeps that cache
    (and memory) bounded, where "whatever is left over" would prepare a new large statement per batch.
    """
    largest = 1 << ((30_000 // columns).bit_length() - 1)
    sizes = [largest] * (rows // largest)
    rest = rows % largest
    while rest:
        size = 1 << (rest.bit_length() - 1)
        sizes.append(size)
        rest -= size
    return sizes


def new_ids(db: sqlite3.Connection, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> list[int | None]:
    """Insert rows keyed by (platform, platform_id): each row's new id, ``None`` where it was skipped.

    All rows of a statement new (the usual case): their ids are the statement's id range, in order,
    with no tuple built per row. Otherwise the new rows are read back by that range and matched by
    key; a key repeated within the rows is new only at its first row.
    """
    platform, platform_id = columns.index("platform"), columns.index("platform_id")
    out: list[int | None] = []
    for chunk, added, first in _statements(db, table, columns, rows):
        if added == len(chunk):
            out.extend(range(first, first + added))
        elif added <= 0:
            out.extend([None] * len(chunk))
        else:
            found = {(row_platform, row_id): new_id for new_id, row_platform, row_id in db.execute(
                f"SELECT id, platform, platform_id FROM {table.name} WHERE id >= ?", (first,))}
            out.extend([found.pop((row[platform], row[platform_id]), None) for row in chunk])
    return out


def insert_ignore(db: sqlite3.Connection, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> list[int]:
    """Insert rows, skipping natural-key conflicts; the ids of the new ones."""
    statements = _statements(db, table, columns, rows)
    return [new_id for _, added, first in statements for new_id in range(first, first + added)]


def _statements(
    db: sqlite3.Connection, table: Table, columns: tuple[str, ...], rows: list[tuple]
) -> Iterator[tuple[list[tuple], int, int]]:
    """Insert ``rows`` in multi-row statements; for each: its rows, how many it added, the first new id.

    Without RETURNING (SQLite buffers every returned row, and the driver decodes each again): a new
    row without an explicit id gets one more than the table's largest, so the rows one statement
    adds hold consecutive ids ending at its last insert rowid. The first id means nothing when the
    statement added none.
    """
    placeholders = "(" + ",".join("?" * len(columns)) + ")"
    head = f"INSERT INTO {table.name} ({','.join(columns)}) VALUES "
    start = 0
    for size in statement_sizes(len(rows), len(columns)):
        chunk = rows[start : start + size]
        start += size
        cursor = db.execute(head + ",".join([placeholders] * size) + " ON CONFLICT DO NOTHING",
                            list(chain.from_iterable(chunk)))
        added, last = max(cursor.rowcount, 0), cursor.lastrowid
        cursor.close()
        yield chunk, added, last - added + 1
