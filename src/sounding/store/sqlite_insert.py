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


def new_ids(db: sqlite3.Connection, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> list[int | None]:
    """:func:`insert_ignore` for rows keyed by (platform, platform_id): each row's new id, ``None`` where skipped.

    All rows of a statement new (the usual case): their ids are the statement's id range, in order,
    with no tuple built per row. Otherwise the new rows are matched by key; a key repeated within
    the rows is new only at its first row.
    """
    platform, platform_id = columns.index("platform"), columns.index("platform_id")
    out: list[int | None] = []
    start = 0
    for size in statement_sizes(len(rows), len(columns)):
        chunk = rows[start : start + size]
        start += size
        added, first = _insert_chunk(db, table, columns, chunk)
        if added == size:
            out.extend(range(first, first + size))
        elif added <= 0:
            out.extend([None] * size)
        else:
            found = {(row_platform, row_id): new_id for new_id, row_platform, row_id in db.execute(
                f"SELECT id, platform, platform_id FROM {table.name} WHERE id >= ?", (first,))}
            out.extend([found.pop((row[platform], row[platform_id]), None) for row in chunk])
    return out


def _insert_chunk(db: sqlite3.Connection, table: Table, columns: tuple[str, ...], chunk: list[tuple]) -> tuple[int, int]:
    """One multi-row statement: how many rows it added, and the first new id (meaningful when it added any)."""
    placeholders = "(" + ",".join("?" * len(columns)) + ")"
    cursor = db.execute(f"INSERT INTO {table.name} ({','.join(columns)}) VALUES "
                        + ",".join([placeholders] * len(chunk)) + " ON CONFLICT DO NOTHING",
                        list(chain.from_iterable(chunk)))
    try:
        return cursor.rowcount, cursor.lastrowid - cursor.rowcount + 1
    finally:
        cursor.close()


def insert_ignore(db: sqlite3.Connection, table: Table, columns: tuple[str, ...], rows: list[tuple],
                  returned: tuple[str, ...]) -> list[tuple]:
    """Multi-row ``INSERT … ON CONFLICT DO NOTHING`` on SQLite; the ``returned`` columns of the new rows.

    Without RETURNING (SQLite buffers every returned row, and the driver decodes each again): a new
    row without an explicit id gets one more than the table's largest, so the rows one statement
    adds hold the ids just below its last insert rowid. All new: they pair in order with the
    statement's rows; some skipped: the new ones are read back by that id range.
    """
    position = {name: i for i, name in enumerate(columns)}
    out: list[tuple] = []
    start = 0
    for size in statement_sizes(len(rows), len(columns)):
        chunk = rows[start : start + size]
        start += size
        added, first = _insert_chunk(db, table, columns, chunk)
        if not returned or added <= 0:
            continue
        if added == size and returned[0] == "id":
            picks = [position[name] for name in returned[1:]]
            out.extend((first + i, *(row[p] for p in picks)) for i, row in enumerate(chunk))
        else:
            out.extend(db.execute(f"SELECT {','.join(returned)} FROM {table.name} WHERE id >= ? ORDER BY id",
                                  (first,)).fetchall())
    return out
