"""A sync that stops keeps its last error on the account (kind and one redacted line), shown by
`sounding accounts`, `status` and the Sync page's data; the next complete sync clears it."""

from __future__ import annotations

import json

import httpx
from fake_graph import PAGE_ID, TOKEN, FakeGraph
from typer.testing import CliRunner

from sounding.connectors import AccountRef, RetryPolicy, open_connector
from sounding.connectors.sync import run_connector
from sounding.dashboard import sync_status


def _connector(transport):
    policy = RetryPolicy(max_attempts=2, initial=0.001, maximum=0.002, budget=1, sleep=lambda _s: None)
    return open_connector(AccountRef("facebook", PAGE_ID, FakeGraph().base_url, TOKEN), transport=transport,
                          policy=policy)


def _down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def _leaky(request: httpx.Request) -> httpx.Response:
    """A transport failing with a message that holds the secret, on two lines."""
    raise RuntimeError(f"proxy refused\n{request.url} (token {TOKEN})")


def test_a_failed_transport_is_kept_redacted_and_cleared_by_the_next_sync(sqlite_store):
    aid = sqlite_store.upsert_account("facebook", PAGE_ID, FakeGraph().base_url, "file:fb")
    failed = run_connector(sqlite_store, aid, _connector(httpx.MockTransport(_down)))
    assert not failed.complete and failed.error

    (row,) = sync_status(sqlite_store)
    assert row["error_kind"] in ("interrupted", "remote"), row
    assert row["error"] == failed.error and "\n" not in row["error"]
    assert "network error" in row["error"] and row["error_at"] is not None
    assert sqlite_store.counts()["sync_errors"] == 1
    with sqlite_store.engine.connect() as conn:  # nowhere in the database, not just not in this view
        dump = "\n".join(str(tuple(r)) for r in conn.exec_driver_sql("SELECT * FROM accounts"))
    assert TOKEN not in dump

    leaked = run_connector(sqlite_store, aid, _connector(httpx.MockTransport(_leaky)))
    (row,) = sync_status(sqlite_store)
    assert row["error_kind"] == "unexpected" and "proxy refused" in row["error"] and "***" in row["error"]
    assert TOKEN not in row["error"] and TOKEN not in leaked.error and "\n" not in row["error"]

    graph = FakeGraph(page_size=2)
    ok = run_connector(sqlite_store, aid, _connector(graph.transport()))
    assert ok.complete, ok.error
    (row,) = sync_status(sqlite_store)
    assert (row["error"], row["error_kind"], row["error_at"]) == (None, None, None)
    assert sqlite_store.counts()["sync_errors"] == 0


def test_refused_credentials_are_kept_as_auth(sqlite_store):
    def refused(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"message": "Error validating access token", "type": "OAuthException",
                                                   "code": 190}})

    aid = sqlite_store.upsert_account("facebook", PAGE_ID, FakeGraph().base_url, "file:fb")
    result = run_connector(sqlite_store, aid, _connector(httpx.MockTransport(refused)))
    assert not result.complete
    (row,) = sync_status(sqlite_store)
    assert row["error_kind"] == "auth", row
    assert TOKEN not in row["error"]


def test_accounts_and_status_show_the_kept_error(tmp_path, monkeypatch):
    from sounding.cli import app
    from sounding.store import Store

    db = str(tmp_path / "s.db")
    store = Store.open(db)
    aid = store.upsert_account("facebook", PAGE_ID, FakeGraph().base_url, "file:fb")
    run_connector(store, aid, _connector(httpx.MockTransport(_down)))
    store.close()
    runner = CliRunner()
    monkeypatch.setenv("COLUMNS", "250")
    listed = runner.invoke(app, ["--db", db, "accounts", "--json"])
    assert listed.exit_code == 0, listed.output
    (account,) = json.loads(listed.output)
    assert account["last_error"].split(":", 1)[0] in ("interrupted", "remote") and TOKEN not in listed.output
    table = runner.invoke(app, ["--db", db, "accounts"])
    assert "last sync error" in table.output and "network error" in table.output
    status = runner.invoke(app, ["--db", db, "status"])
    assert "1 account(s) stopped with an error" in status.output, status.output
