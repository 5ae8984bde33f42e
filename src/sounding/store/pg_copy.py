"""PostgreSQL's fast path for large batches: ``COPY`` into a staging table, then one merge.

A multi-row ``INSERT`` sends every value as a bound parameter and plans a statement per chunk;
``COPY`` streams the rows in PostgreSQL's own text format. The merge is the very statement the
normal path runs — ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`` — so natural-key
conflicts, the "new" counts and the ids the writer caches come out exactly as on the normal path.

The staging table is a temporary table shaped by the target's own columns (``CREATE … AS SELECT
<columns> FROM <table> WITH NO DATA``: same types, no constraints), made inside the batch's
transaction and dropped with it, so a failed or killed batch leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

import psycopg
from psycopg import sql
from sqlalchemy import JSON, Connection, Table

from sounding.store.writer import ValueRefused, refused

_names = count()


def copyable(table: Table, columns: Sequence[str]) -> bool:
    """Whether COPY's text format carries these columns as the normal path binds them (not JSON)."""
    return not any(isinstance(table.c[c].type, JSON) for c in columns)


def insert_ignore(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple], returning: Sequence[str]
) -> list[tuple]:
    """Insert ``rows`` (tuples in ``columns`` order), skipping natural-key conflicts; RETURNING of the new ones."""
    cursor = conn.connection.driver_connection.cursor()
    stage = sql.Identifier(f"_sounding_stage_{table.name}_{next(_names)}")
    target = sql.Identifier(table.name)
    names = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    try:
        cursor.execute(sql.SQL("CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA")
                       .format(stage, names, target))
        with cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(stage, names)) as copy:
            for row in rows:
                copy.write_row(row)
        merge = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT DO NOTHING").format(
            target, names, names, stage)
        if returning:
            merge += sql.SQL(" RETURNING {}").format(sql.SQL(", ").join(sql.Identifier(c) for c in returning))
        cursor.execute(merge)
        out = [tuple(r) for r in cursor.fetchall()] if returning else []
        cursor.execute(sql.SQL("DROP TABLE {}").format(stage))
        return out
    except psycopg.DataError as exc:  # a value this row's column cannot hold: the importer sets the row aside
        raise ValueRefused(f"the store refused a value in this batch ({type(exc).__name__})") from None
    except psycopg.Error as exc:
        raise refused(exc) from None
    finally:
        cursor.close()
