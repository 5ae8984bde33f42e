"""Accounts and secrets through the real CLI: connect, accounts (masked), sync --json; no token leaks."""

from __future__ import annotations

import json
import logging
import os
import stat

import pytest

from connector_helpers import masto, run_cli
from faultproxy import FaultProxy, Rule

from sounding.connectors.secrets import REDACTOR, Redactor, SecretStore
from sounding.errors import RemoteError

TOKEN = "tok-SECRET-7f3a9c2e1d5b"


def _env(tmp_path):
    return {
        "SOUNDING_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SOUNDING_CONFIG_DIR": str(tmp_path / "cfg"),
        "SOUNDING_SECRETS_BACKEND": "file",
        "SOUNDING_LOG_FILE": str(tmp_path / "sounding.log"),
    }


def test_connect_accounts_sync_json(mastodon_server, tmp_path):
    url = mastodon_server.base_url
    q = masto(url, "alice_token").status_post("Hello, what do you need?")
    masto(url, "bob_token").status_post("@alice more colours", in_reply_to_id=q["id"])
    env = _env(tmp_path)

    out = run_cli(["connect", "mastodon", "--instance", url, "--token-stdin"], env=env, input="alice_token\n")
    assert out.returncode == 0, out.stderr
    assert "Connected mastodon account alice" in out.stdout

    listed = run_cli(["accounts", "--json"], env=env)
    rows = json.loads(listed.stdout)
    assert rows == [
        {
            "id": 1,
            "platform": "mastodon",
            "handle": "alice",
            "service_url": url,
            "secret": "•••••••• (secrets file)",
            "last_error": None,  # no sync has failed yet
            "last_error_at": None,
        }
    ]
    table = run_cli(["accounts"], env=env)
    assert "alice" in table.stdout and "alice_token" not in table.stdout

    synced = run_cli(["sync", "--json"], env=env)
    assert synced.returncode == 0, synced.stderr
    report = json.loads(synced.stdout)
    assert report["new"] == {"posts": 1, "comments": 1, "reactions": 2, "polls": 0}
    assert report["accounts"][0]["complete"] is True

    again = run_cli(["sync", "--account", "mastodon:alice", "--json"], env=env)
    assert json.loads(again.stdout)["new"] == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}

    poll = run_cli(
        ["publish", "-a", "alice", "--text", "Tea or coffee?", "-o", "tea", "-o", "coffee", "--json"], env=env
    )
    assert poll.returncode == 0, poll.stderr
    poll_id = json.loads(poll.stdout)["ids"][0]
    assert [o["title"] for o in masto(url, "alice_token").status(poll_id)["poll"]["options"]] == [
        "tea",
        "coffee",
    ]
    variant = run_cli(
        ["publish", "-a", "mastodon:alice", "--text", "What do you need most?", "--variant", "B", "--json"],
        env=env,
    )
    assert json.loads(variant.stdout)["variant"] == "B"

    secrets = tmp_path / "cfg" / "secrets.json"
    assert stat.S_IMODE(os.stat(secrets).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(secrets.parent).st_mode) == 0o700
    assert b"alice_token" not in (tmp_path / "cli.db").read_bytes()


def test_failing_sync_never_shows_the_token(mastodon_server, tmp_path):
    """The server fails every call and even echoes the Authorization header in its error body."""
    env = _env(tmp_path)
    with FaultProxy(mastodon_server.base_url) as proxy:
        out = run_cli(
            [
                "connect",
                "mastodon",
                "--instance",
                proxy.url,
                "--handle",
                "brand",
                "--no-verify",
                "--token-stdin",
            ],
            env=env,
            input=TOKEN + "\n",
        )
        assert out.returncode == 0, out.stderr
        sent: list[str] = []

        def echo(headers: dict) -> bytes:
            sent.append(headers.get("Authorization", ""))
            return json.dumps({"error": f"boom, you sent {headers.get('Authorization')}"}).encode()

        proxy.add(Rule("status", status=500, times=None, body=echo))
        failed = run_cli(["sync", "--json", "--verbose"], env={**env, "SOUNDING_RETRY_INITIAL": "0.05"})
    assert sent and all(a == "Bearer " + TOKEN for a in sent)  # the token did travel, and came back
    assert failed.returncode == 1
    report = json.loads(failed.stdout)
    assert report["accounts"][0]["complete"] is False
    assert "gave up" in report["accounts"][0]["error"]

    log_text = (tmp_path / "sounding.log").read_text()
    assert "mastodon" in log_text  # the log does say what happened
    for name, text in {
        "stdout": failed.stdout,
        "stderr": failed.stderr,
        "log": log_text,
        "db": (tmp_path / "cli.db").read_bytes().decode("latin-1"),
    }.items():
        assert TOKEN not in text, f"token leaked in {name}"


def test_wrong_token_is_refused_with_a_clear_message(mastodon_server, tmp_path):
    env = _env(tmp_path)
    out = run_cli(
        ["connect", "mastodon", "--instance", mastodon_server.base_url, "--token-stdin"],
        env=env,
        input=TOKEN + "\n",
    )
    assert out.returncode == RemoteError.exit_code == 8
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: mastodon: ")
    assert "refused the access token" in out.stderr
    assert TOKEN not in out.stderr + out.stdout
    assert not (tmp_path / "cfg" / "secrets.json").exists()


def test_secret_store_file_backend_and_refs(tmp_path):
    store = SecretStore(backend="file", directory=tmp_path / "c")
    ref = store.set("bluesky:brand.test@localhost", "app-pass-1234")
    assert ref == "file:bluesky:brand.test@localhost"
    assert store.get(ref) == "app-pass-1234"
    assert SecretStore.describe(ref) == "•••••••• (secrets file)"
    store.delete(ref)
    assert store.get(ref) is None


def test_redactor_masks_secrets_in_messages_args_and_tracebacks(caplog):
    red = Redactor()
    red.add('{"client_id": "cid-1234", "client_secret": "shh-9876", "password": "pw-5555"}')
    logger = logging.getLogger("sounding.test.redact")
    logger.addFilter(red)
    with caplog.at_level(logging.INFO, logger="sounding.test.redact"):
        logger.info("login with %s and %s", "shh-9876", "pw-5555")
        try:
            raise RuntimeError("bad password pw-5555")
        except RuntimeError:
            logger.exception("failed")
    text = caplog.text
    assert "shh-9876" not in text and "pw-5555" not in text and "***" in text
    assert REDACTOR.redact("") == ""


def test_system_keyring_is_used_when_one_is_usable(monkeypatch, tmp_path):
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 10

        def __init__(self):
            super().__init__()
            self.data = {}

        def get_password(self, service, username):
            return self.data.get((service, username))

        def set_password(self, service, username, password):
            self.data[(service, username)] = password

        def delete_password(self, service, username):
            self.data.pop((service, username), None)

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    monkeypatch.delenv("SOUNDING_SECRETS_BACKEND")
    try:
        store = SecretStore(directory=tmp_path / "c")
        assert store.backend == "keyring"
        ref = store.set("mastodon:brand@social.example", "tok-keyring-5678")
        assert ref == "keyring:mastodon:brand@social.example"
        assert backend.data[("sounding", "mastodon:brand@social.example")] == "tok-keyring-5678"
        assert store.get(ref) == "tok-keyring-5678"
        assert not (tmp_path / "c" / "secrets.json").exists()
        assert SecretStore.describe(ref) == "•••••••• (system keyring)"
    finally:
        keyring.set_keyring(previous)


class _EchoServer:
    """A server that refuses every request and echoes its body back (as some servers' errors do)."""

    def __init__(self, status: int = 400) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.bodies: list[bytes] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _reply(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.bodies.append(body)
                payload = json.dumps(
                    {"error": "InvalidRequest", "message": f"bad request {self.path}: {body.decode()}"}
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _reply

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("password", ['pa"ss\\wo\'rd-1234', "tab\there\\n-5678", 'ü"ber\\\\geheim'])
def test_a_password_echoed_back_by_the_server_never_reaches_the_terminal(tmp_path, password):
    env = {**_env(tmp_path), "SOUNDING_RETRY_MAX_ATTEMPTS": "1"}
    with _EchoServer() as server:
        out = run_cli(
            ["connect", "bluesky", "--service", server.url, "--handle", "brand.test", "--password-stdin"],
            env=env,
            input=password + "\n",
        )
    assert server.bodies and any(json.dumps(password, ensure_ascii=False)[1:-1].encode() in b for b in server.bodies)
    assert out.returncode == RemoteError.exit_code, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("error: ")
    shown = out.stdout + out.stderr + (tmp_path / "sounding.log").read_text()
    escaped = json.dumps(password, ensure_ascii=False)[1:-1]
    for form in (password, escaped, json.dumps(password)[1:-1], json.dumps(escaped, ensure_ascii=False)[1:-1]):
        assert form not in shown
    assert "Traceback" not in shown


def test_credentials_in_a_service_url_are_neither_stored_nor_printed(tmp_path):
    env = _env(tmp_path)
    out = run_cli(
        [
            "connect", "bluesky", "--service", "http://alice:url-pass-4321@127.0.0.1:9/", "--handle",
            "brand.test", "--no-verify", "--password-stdin",
        ],
        env=env,
        input="app-pass-9999\n",
    )
    assert out.returncode == 0, out.stderr
    listed = json.loads(run_cli(["accounts", "--json"], env=env).stdout)
    assert listed[0]["service_url"] == "http://127.0.0.1:9"
    table = run_cli(["accounts"], env=env)
    everything = out.stdout + out.stderr + table.stdout + table.stderr
    everything += (tmp_path / "cli.db").read_bytes().decode("latin-1")
    everything += (tmp_path / "cfg" / "secrets.json").read_text()
    assert "url-pass-4321" not in everything and "alice:" not in everything


def test_an_unreachable_host_is_one_clear_line_and_honours_the_retry_settings(tmp_path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**_env(tmp_path), "SOUNDING_RETRY_MAX_ATTEMPTS": "2", "SOUNDING_RETRY_INITIAL": "0.01"}
    out = run_cli(
        ["connect", "mastodon", "--instance", f"http://127.0.0.1:{port}", "--token-stdin"],
        env=env,
        input=TOKEN + "\n",
    )
    assert out.returncode == RemoteError.exit_code
    assert out.stderr.strip().splitlines()[-1] == f"error: cannot reach http://127.0.0.1:{port}: connection refused"
    assert out.stderr.count("before retry 2/2") == 1  # one wait: two attempts, as configured
    assert TOKEN not in out.stdout + out.stderr


def test_a_script_connects_lists_and_syncs_through_the_api(mastodon_server, tmp_path, monkeypatch):
    from sounding import Sounding

    monkeypatch.setenv("SOUNDING_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("SOUNDING_SECRETS_BACKEND", "file")
    url = mastodon_server.base_url
    masto(url, "alice_token").status_post("What should we build?")
    api = Sounding(str(tmp_path / "api.db"))
    done = api.connect("mastodon", service=url + "/", credentials={"token": "alice_token"})
    assert (done["handle"], done["service_url"]) == ("alice", url)
    assert [(a["handle"], a["secret"]) for a in api.accounts()] == [("alice", "•••••••• (secrets file)")]
    results = api.sync(show_progress=False)
    assert [r.complete for r in results] == [True] and results[0].new["posts"] == 1
    ids = api.publish("mastodon:alice", "Tea or coffee?", options=["tea", "coffee"])
    assert len(ids) == 1
    api.close()
