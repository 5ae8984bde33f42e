"""Streaming reads of the store for analysis: pages of audience texts, never the whole table.

Audience texts are comments and posts that are not ours. Pages are keyset-paginated on the text
hash (an indexed column), so every page is an index range scan, memory stays flat, and an
interrupted run resumes where the enrichments table says it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from sqlalchemy import Connection, exists, func, select

from sounding.store import Store
from sounding.store.models import Comment, Enrichment, Post, ThemeMember

AUDIENCE = (Comment, Post)


def _pages(
    store: Store, key, columns: tuple, conditions: tuple, page: int, start: str = "", stop: str | None = None,
    done: Callable[[Connection, list], set] | None = None,
) -> Iterator[list]:
    """Rows in ``key`` order, ``page`` at a time: each page is an index range scan after the last key.

    ``start``/``stop`` bound the key range (``start < key < stop``): a shard of a distributed run.
    ``done(conn, keys)`` names the keys of a page already handled, dropped after the page is read:
    by key lookups, not an anti-join in the page query (with statistics behind a growing table,
    PostgreSQL hashed all 4 M enrichments for every 2,000-row page: 6 s a page at 10 M comments).
    """
    last = start
    bound = (key < stop,) if stop is not None else ()
    while True:
        query = select(key, *columns).where(*conditions, *bound, key > last).order_by(key).limit(page)
        with store.engine.connect() as conn:
            rows = conn.execute(query).all()
            if not rows:
                return
            last = rows[-1][0]
            if done is not None:
                handled = done(conn, [row[0] for row in rows])
                rows = [row for row in rows if row[0] not in handled]
        if rows:
            yield rows


LOOKUP_CHUNK = 500  # keys per IN (...): under every SQLite build's bound-variable limit (999 before 3.32)


def _present(column, *conditions) -> Callable[[Connection, list], set]:
    """``done`` for :func:`_pages`: the page's keys that have a row in ``column``'s table."""
    def done(conn: Connection, keys: list) -> set:
        keys = sorted(set(keys))
        return {key for start in range(0, len(keys), LOOKUP_CHUNK) for key in conn.execute(
            select(column).where(*conditions, column.in_(keys[start : start + LOOKUP_CHUNK]))).scalars()}
    return done


def _not_enriched(model, version: str):
    return model.ours.is_(False), ~exists().where(
        Enrichment.text_hash == model.text_hash, Enrichment.model_version == version
    )


def pending_texts(
    store: Store, version: str, page: int = 2_000, start: str = "", stop: str | None = None
) -> Iterator[list[tuple[str, str]]]:
    """Pages of distinct (text_hash, text) of audience items not yet enriched with ``version``.

    ``start``/``stop`` restrict it to one shard of the text-hash key range (see ``_pages``).
    """
    for model in AUDIENCE:
        audience = (model.ours.is_(False),)
        enriched = _present(Enrichment.text_hash, Enrichment.model_version == version)
        for rows in _pages(store, model.text_hash, (model.text,), audience, page, start, stop, enriched):
            yield list(dict(rows).items())  # the same text said twice is analysed once


def count_pending(store: Store, version: str) -> int:
    """How many audience items still wait for ``version`` (an upper bound on distinct texts)."""
    with store.engine.connect() as conn:
        return sum(
            conn.execute(select(func.count()).where(*_not_enriched(model, version))).scalar_one()
            for model in AUDIENCE
        )


def unthemed_embeddings(store: Store, version: str, page: int = 10_000) -> Iterator[tuple[list[str], np.ndarray]]:
    """Pages of (text hashes, embeddings) enriched with ``version`` that have no theme decision yet."""
    versioned = (Enrichment.model_version == version,)
    for rows in _pages(store, Enrichment.text_hash, (Enrichment.embedding,), versioned, page,
                       done=_present(ThemeMember.text_hash)):
        yield [r[0] for r in rows], decode_embeddings([r[1] for r in rows])


def texts_for(store: Store, hashes: list[str]) -> dict[str, str]:
    """One text per hash (audience items), for labelling themes and quoting."""
    out: dict[str, str] = {}
    for model in AUDIENCE:
        need = [h for h in hashes if h not in out]
        for start in range(0, len(need), 500):
            with store.engine.connect() as conn:
                out.update(
                    dict(
                        conn.execute(
                            select(model.text_hash, model.text).where(model.text_hash.in_(need[start : start + 500]))
                        ).all()
                    )
                )
    return out


def encode_embedding(vector: np.ndarray) -> bytes:
    """float16 halves the storage; cosine similarities move by < 1e-3."""
    return np.asarray(vector, dtype=np.float16).tobytes()


def decode_embeddings(blobs: list[bytes]) -> np.ndarray:
    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(blobs), -1).astype(np.float32)
