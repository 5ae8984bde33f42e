"""Which model version the read views show: the last ``sounding analyze`` run's.

Kept apart from :mod:`sounding.analysis.views` so that commands which only need the version
(import, status, the inbox) do not load pandas.
"""

from __future__ import annotations

from sqlalchemy import select

from sounding.store import Store
from sounding.store.models import Meta

VERSION_KEY = "analysis_version"


def current_version(store: Store) -> str | None:
    """The model version of the last ``sounding analyze`` (views read its results)."""
    with store.engine.connect() as conn:
        return conn.execute(select(Meta.value).where(Meta.key == VERSION_KEY)).scalar()


def set_current_version(store: Store, version: str) -> None:
    table = Meta.__table__
    with store.transaction() as conn:
        statement = store.insert(table).values(key=VERSION_KEY, value=version)
        conn.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": version}))
