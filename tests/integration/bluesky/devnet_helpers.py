"""A real AT Protocol network (PLC + PDS + Bluesky AppView from ``@atproto/dev-env``) on 127.0.0.1.

The ``bluesky_net`` fixture uses, in this order:

1. a network that is already running, given by ``SOUNDING_BSKY_PDS_URL`` (and
   ``SOUNDING_BSKY_APPVIEW_URL``), or started by hand with ``scripts/bluesky-devnet.sh start``;
2. else it starts one with ``scripts/bluesky-devnet.sh start`` (needs ``scripts/bluesky-devnet.sh
   install`` to have run: Node 22, node_modules here, PostgreSQL + Redis) and stops it afterwards.

When neither is possible the tests are skipped, or fail when ``SOUNDING_REQUIRE_DEVNET=1``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SCRIPT = ROOT / "scripts" / "bluesky-devnet.sh"
PASSWORD = "devnet-pass-0192"


@dataclass
class Network:
    pds: str
    appview: str | None


def _unavailable(reason: str) -> None:
    if os.environ.get("SOUNDING_REQUIRE_DEVNET") == "1":
        pytest.fail(
            f"SOUNDING_REQUIRE_DEVNET=1 but the Bluesky devnet is not available: {reason}", pytrace=False
        )
    pytest.skip(f"Bluesky devnet not available ({reason}); run `scripts/bluesky-devnet.sh install`")


def _reachable(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/xrpc/_health", timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def _parse_env(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if line.startswith("export ") and "=" in line:
            key, _, value = line[len("export ") :].partition("=")
            out[key] = value
    return out


@pytest.fixture(scope="session")
def bluesky_net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    if url := os.environ.get("SOUNDING_BSKY_PDS_URL"):
        yield Network(url, os.environ.get("SOUNDING_BSKY_APPVIEW_URL"))
        return
    running = subprocess.run(  # noqa: PLW1510 - returncode checked
        ["bash", str(SCRIPT), "env"], capture_output=True, text=True, timeout=30
    )
    values = _parse_env(running.stdout) if running.returncode == 0 else {}
    if "SOUNDING_BSKY_PDS_URL" in values and _reachable(values["SOUNDING_BSKY_PDS_URL"]):
        yield Network(
            values["SOUNDING_BSKY_PDS_URL"], values.get("SOUNDING_BSKY_APPVIEW_URL")
        )  # started by hand
        return
    if not (HERE / "node_modules" / "@atproto" / "dev-env").is_dir():
        _unavailable(f"{HERE / 'node_modules'} is not installed")
    if os.geteuid() != 0:
        _unavailable("starting PostgreSQL for the AppView needs root (su postgres)")
    state = tmp_path_factory.mktemp("devnet")
    env = dict(os.environ, SOUNDING_DEVNET_STATE=str(state))
    started = subprocess.run(  # noqa: PLW1510 - returncode checked below
        ["bash", str(SCRIPT), "start"], capture_output=True, text=True, env=env, timeout=240
    )
    if started.returncode != 0:
        _unavailable(f"start failed: {started.stderr[-2000:]}")
    values = _parse_env(started.stdout)
    try:
        yield Network(values["SOUNDING_BSKY_PDS_URL"], values.get("SOUNDING_BSKY_APPVIEW_URL"))
    finally:
        subprocess.run(  # noqa: PLW1510 - best-effort teardown
            ["bash", str(SCRIPT), "stop"], capture_output=True, text=True, env=env, timeout=120
        )


@dataclass
class Person:
    handle: str
    did: str
    client: Any


@pytest.fixture
def people(bluesky_net: Network):
    """Make fresh accounts (handles end in .test) and log them in."""
    from atproto import Client, models

    if not bluesky_net.appview:
        _unavailable("no AppView (bare mode): thread reads need the full network")
    suffix = uuid.uuid4().hex[:6]

    def make(name: str) -> Person:
        handle = f"{name}{suffix}.test"
        Client(base_url=bluesky_net.pds).com.atproto.server.create_account(
            models.ComAtprotoServerCreateAccount.Data(
                handle=handle, email=f"{handle}@example.test", password=PASSWORD
            )
        )
        client = Client(base_url=bluesky_net.pds)
        client.login(handle, PASSWORD, fetch_bsky_profile=False)
        client.me = models.AppBskyActorDefs.ProfileViewDetailed(
            did=client._session.did, handle=client._session.handle
        )
        return Person(handle, client._session.did, client)

    return make


def reply(person: Person, parent: Any, root: Any, text: str) -> Any:
    from atproto import models

    return person.client.send_post(
        text=text,
        reply_to=models.AppBskyFeedPost.ReplyRef(
            parent=models.create_strong_ref(parent), root=models.create_strong_ref(root)
        ),
    )


def wait_indexed(check, timeout: float = 15.0) -> None:
    """The AppView indexes writes a moment later: poll until ``check()`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):  # not indexed yet
            if check():
                return
        if time.monotonic() > deadline:
            raise AssertionError("the AppView did not index the writes in time")
        time.sleep(0.2)


def thread_has(person: Person, uri: str, replies: int):
    """A check for :func:`wait_indexed`: the AppView shows at least ``replies`` replies under ``uri``."""

    def check() -> bool:
        count, stack = 0, [person.client.get_post_thread(uri, depth=1000).thread]
        while stack:
            node = stack.pop()
            for child in node.replies or []:
                count += 1
                stack.append(child)
        return count >= replies

    return check
