"""API tokens: scoped, expiring, revocable, stored hashed. A revoked or expired token gets 401 from
a running server at once, like an unknown one; the token itself is in no table, log or error."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from sounding.api import Sounding
from sounding.store.models import ApiToken
from sounding.web import security
from sounding.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(tmp_path):
    api = Sounding(f"sqlite:///{tmp_path / 'tokens.db'}")
    app = create_app(api, auth=security.Auth(key=b"k" * 32, required=True))
    yield api, TestClient(app)
    api.close()


def _get(client, token, path="/api/v1/lessons"):
    return client.get(path, headers={"authorization": f"Bearer {token}"})


def test_revoked_expired_and_unknown_tokens_get_401(served, caplog):
    api, client = served
    made = api.tokens.create("read", 3600, name="ci")
    assert made["token"].startswith("sdg_") and len(made["token"]) > 40
    assert _get(client, made["token"]).status_code == 200
    assert _get(client, made["token"], "/").status_code == 200

    with caplog.at_level(logging.DEBUG):
        api.tokens.revoke(made["id"])
        refused = _get(client, made["token"])
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert made["token"] not in refused.text and made["token"] not in caplog.text
    assert [t["state"] for t in api.tokens.list()] == ["revoked"]

    other = api.tokens.create("write", 3600)
    assert _get(client, other["token"]).status_code == 200
    with api.store.engine.begin() as conn:  # an hour passes
        conn.execute(update(ApiToken).where(ApiToken.id == other["id"])
                     .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert _get(client, other["token"]).status_code == 401
    assert [t["state"] for t in api.tokens.list()] == ["revoked", "expired"]

    for forged in (other["token"][:-1] + ("A" if other["token"][-1] != "A" else "B"), "sdg_", "nope", "sdg_" + "x" * 500):
        assert _get(client, forged).status_code == 401
    assert client.get("/api/v1/lessons", headers={"authorization": "Basic abc"}).status_code == 401


def test_only_the_hash_is_stored(served):
    api, _ = served
    made = api.tokens.create("write", 600)
    with api.store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM api_tokens")]
    dump = repr(rows)
    assert made["token"] not in dump and made["token"][4:] not in dump
    assert hashlib.sha256(made["token"].encode()).hexdigest() in dump
    assert "token" not in api.tokens.list()[0]


def test_bad_scopes_and_ids_are_one_clear_error(served):
    from sounding.errors import NotFoundError, UsageError

    api, _ = served
    with pytest.raises(UsageError, match="scope must be one of read, write"):
        api.tokens.create("admin")
    with pytest.raises(NotFoundError, match="no API token 99"):
        api.tokens.revoke(99)


def _cli(*args: str, db: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "sounding.cli", "--db", db, *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_token_create_list_revoke_on_the_command_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    made = _cli("token", "create", "--scope", "write", "--expires", "7d", "--name", "deploy bot", db=db)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("sdg_") and "shown only now" in made.stderr
    listed = _cli("token", "list", db=db)
    assert listed.returncode == 0 and "deploy bot" in listed.stdout and "active" in listed.stdout
    assert token not in listed.stdout
    revoked = _cli("token", "revoke", "1", db=db)
    assert revoked.returncode == 0 and "Revoked token 1" in revoked.stdout
    assert "revoked" in _cli("token", "list", db=db).stdout
    missing = _cli("token", "revoke", "7", db=db)
    assert missing.returncode == 4 and "no API token 7" in missing.stderr and "Traceback" not in missing.stderr
    api = Sounding(db)
    assert api.tokens.scope(token) is None
    api.close()
