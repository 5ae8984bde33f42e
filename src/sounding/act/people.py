"""Naming a person: a pseudonym (``u_…``) or ``platform:author`` as the platform gave it.

Handles are never stored beside comments (see :func:`sounding.store.writer.pseudonym`), so a
person is found by recomputing their pseudonym with the store's key, or through the people table
where the store keeps one.
"""

from __future__ import annotations

import re

from sqlalchemy import inspect, text

from sounding.errors import UsageError
from sounding.store import Store
from sounding.store.writer import pseudonym

PSEUDONYM = re.compile(r"^u_[0-9a-f]{16}$")


def resolve(store: Store, who: str) -> str:
    """The pseudonym of ``who`` (a pseudonym, ``platform:author``, or a handle in the people table)."""
    who = (who or "").strip()
    if PSEUDONYM.match(who):
        return who
    platform, sep, author = who.partition(":")
    if not sep or not platform or not author:
        raise UsageError(f"name a person as PLATFORM:HANDLE (e.g. bluesky:ana.bsky.social) or a pseudonym u_…, "
                         f"not {who!r}")
    found = _from_people_table(store, platform, author.lstrip("@"))
    return found or pseudonym(store.salt, platform, author)


def _from_people_table(store: Store, platform: str, handle: str) -> str | None:
    if "people" not in inspect(store.engine).get_table_names():
        return None
    with store.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("people")}
        if not {"pseudonym", "platform", "handle"} <= columns:
            return None
        return conn.execute(
            text("SELECT pseudonym FROM people WHERE platform = :p AND lower(handle) = lower(:h)"),
            {"p": platform, "h": handle},
        ).scalar()
