"""Multi-row ``INSERT … ON CONFLICT DO NOTHING`` straight to the sqlite3 driver, for large batches.

SQLAlchemy's per-row parameter processing would dominate a large import, so the writer hands SQLite
batches here (PostgreSQL's go through :mod:`sounding.store.pg_copy`). Same natural-key rule.
"""

from __future__ import annotations

import sqlite3
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


def insert_ignore(db: sqlite3.Connection, table: Table, columns: tuple[str, ...], rows: list[tuple],
                  returned: tuple[str, ...]) -> list[tuple]:
    """Multi-row ``INSERT … ON CONFLICT DO NOTHING`` on SQLite; the ``returned`` columns of the new rows.

    Without RETURNING (SQLite buffers every returned row, and the driver decodes each again): a new
    row without an explicit id gets one more than the table's largest, so the rows one statement
    adds hold the ids just below its last insert rowid. All new: they pair in order with the
    statement's rows; some skipped: the new ones are read back by that id range.
    """
    cursor = db.cursor()
    placeholders = "(" + ",".join("?" * len(columns)) + ")"
    head = f"INSERT INTO {table.name} ({','.join(columns)}) VALUES "
    position = {name: i for i, name in enumerate(columns)}
    out: list[tuple] = []
    start = 0
    try:
        for size in statement_sizes(len(rows), len(columns)):
            chunk = rows[start : start + size]
            start += size
            cursor.execute(head + ",".join([placeholders] * size) + " ON CONFLICT DO NOTHING",
                           list(chain.from_iterable(chunk)))
            added = cursor.rowcount
            if not returned or added <= 0:
                continue
            first = cursor.lastrowid - added + 1
            if added == size and returned[0] == "id":
                picks = [position[name] for name in returned[1:]]
                out.extend((first + i, *(row[p] for p in picks)) for i, row in enumerate(chunk))
            else:
                cursor.execute(f"SELECT {','.join(returned)} FROM {table.name} WHERE id >= ? ORDER BY id", (first,))
                out.extend(cursor.fetchall())
    finally:
        cursor.close()
    return out
