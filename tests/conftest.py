"""Shared fixtures: a fresh store per test, on SQLite and (when a server is given) PostgreSQL.

``SOUNDING_TEST_POSTGRES_URL`` names a server (``scripts/test.sh`` starts one); each test gets its own
database on it. With ``SOUNDING_REQUIRE_POSTGRES=1`` a missing server fails instead of skipping.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sounding.store import Store

PG_URL = os.environ.get("SOUNDING_TEST_POSTGRES_URL")

# Tests read the CLI's tables as a pipe would get them, at the width a test sets with COLUMNS. A caller's
# FORCE_COLOR or TTY_COMPATIBLE makes rich treat the capture as a terminal, which with TERM=dumb ignores
# COLUMNS; and an xdist worker starts with COLUMNS=80, which rich's module-level consoles would keep for good.
for _name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "LINES"):
    os.environ.pop(_name, None)

# The local Bluesky network: one session fixture for every test that needs it (connectors, ask),
# so it starts at most once. Registered under its own module name, which no conftest shadows.
_spec = importlib.util.spec_from_file_location(
    "devnet_helpers", Path(__file__).parent / "integration" / "bluesky" / "devnet_helpers.py"
)
devnet_helpers = sys.modules.setdefault("devnet_helpers", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(devnet_helpers)
bluesky_net = devnet_helpers.bluesky_net
people = devnet_helpers.people


@pytest.fixture(scope="session", autouse=True)
def _own_home(tmp_path_factory):
    """Logs, secrets and keys of every test go to a throwaway folder (one per xdist worker), never the user's."""
    home = tmp_path_factory.mktemp("home")
    saved = {k: os.environ.get(k) for k in ("SOUNDING_HOME", "SOUNDING_CONFIG_DIR")}
    os.environ.setdefault("SOUNDING_HOME", str(home))
    os.environ.setdefault("SOUNDING_CONFIG_DIR", str(home / "config"))
    yield home
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items) -> None:
    """Under ``pytest -n`` (scripts/test.sh) the tests of one shared server run on one worker: one local
    Bluesky network on its fixed ports, one Ray cluster. First, so xdist's own hook (which turns the
    ``xdist_group`` marks into the groups it schedules by) sees these marks; after it they are ignored."""
    for item in items:
        if "bluesky_net" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("devnet"))
        elif item.path.name == "test_ray_engine.py":
            item.add_marker(pytest.mark.xdist_group("ray"))


def _postgres_database() -> str:
    if not PG_URL:
        if os.environ.get("SOUNDING_REQUIRE_POSTGRES") == "1":
            pytest.fail("SOUNDING_REQUIRE_POSTGRES=1 but SOUNDING_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL server (set SOUNDING_TEST_POSTGRES_URL; ./scripts/test.sh starts one)")
    name = f"sounding_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    _created_databases.append(name)
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


_created_databases: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases():
    """Each test's PostgreSQL database is dropped when the session ends (a run left ~100 MB each)."""
    yield
    if not (PG_URL and _created_databases):
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in _created_databases:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sounding.db'}"
    return _postgres_database()


@pytest.fixture
def new_pg_database():
    """A factory of fresh PostgreSQL databases, for tests that need more than one (or PostgreSQL only)."""
    return _postgres_database


@pytest.fixture
def store(store_url):
    store = Store.open(store_url)
    yield store
    store.close()


@pytest.fixture
def sqlite_store(tmp_path):
    store = Store.open(str(tmp_path / "sounding.db"))
    yield store
    store.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> str:
    """A SQLite store with ~600 analysed sample comments, one test and one poll (built once; tests/demo_store.py)."""
    from tests.demo_store import build_demo

    return build_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def demo_copy(demo_db, tmp_path) -> str:
    """A private copy of the demo store, for tests that change it (inbox marks, replies, erasure)."""
    from tests.demo_store import copy_store

    return copy_store(demo_db, tmp_path)
