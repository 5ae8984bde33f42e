"""`sounding ask` on Bluesky against the local devnet (tests/integration/bluesky): the poll is a post
listing numbered options, replies are the answers (numbers, option texts, or free text read by
meaning); asking on Bluesky and Mastodon at once pools both.

Uses the devnet fixture's helpers. The network is the one given by SOUNDING_BSKY_PDS_URL, one
started by hand (`scripts/bluesky-devnet.sh start`), or one this module starts (and exports, so the
integration tests of the same session reuse it). Skipped when none can be had, unless
SOUNDING_REQUIRE_DEVNET=1.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from sounding.connectors import AccountRef, RetryPolicy, open_connector
from sounding.connectors.secrets import SecretStore
from sounding.connectors.sync import run_connector
from sounding.store import models

_CONFTEST = Path(__file__).resolve().parents[1] / "integration" / "bluesky" / "conftest.py"
_spec = importlib.util.spec_from_file_location("sounding_bluesky_devnet_fixture", _CONFTEST)
devnet = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(devnet)  # type: ignore[union-attr]


@pytest.fixture(scope="session")
def bluesky_net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The devnet, reused when running; when this module starts it, it exports its URLs so the
    integration tests' fixture (same session) reuses it instead of starting a second one on the
    same ports."""
    if url := os.environ.get("SOUNDING_BSKY_PDS_URL"):
        yield devnet.Network(url, os.environ.get("SOUNDING_BSKY_APPVIEW_URL"))
        return
    running = subprocess.run(  # noqa: PLW1510 - returncode checked
        ["bash", str(devnet.SCRIPT), "env"], capture_output=True, text=True, timeout=30
    )
    values = devnet._parse_env(running.stdout) if running.returncode == 0 else {}
    if "SOUNDING_BSKY_PDS_URL" in values and devnet._reachable(values["SOUNDING_BSKY_PDS_URL"]):
        yield devnet.Network(values["SOUNDING_BSKY_PDS_URL"], values.get("SOUNDING_BSKY_APPVIEW_URL"))
        return
    if not (devnet.HERE / "node_modules" / "@atproto" / "dev-env").is_dir():
        devnet._unavailable(f"{devnet.HERE / 'node_modules'} is not installed")
    if os.geteuid() != 0:
        devnet._unavailable("starting PostgreSQL for the AppView needs root (su postgres)")
    env = dict(os.environ, SOUNDING_DEVNET_STATE=str(tmp_path_factory.mktemp("devnet")))
    started = subprocess.run(  # noqa: PLW1510 - returncode checked below
        ["bash", str(devnet.SCRIPT), "start"], capture_output=True, text=True, env=env, timeout=240
    )
    if started.returncode != 0:
        devnet._unavailable(f"start failed: {started.stderr[-2000:]}")
    values = devnet._parse_env(started.stdout)
    exported = {k: v for k, v in values.items() if k.startswith("SOUNDING_BSKY_")}
    os.environ.update(exported)
    try:
        yield devnet.Network(values["SOUNDING_BSKY_PDS_URL"], values.get("SOUNDING_BSKY_APPVIEW_URL"))
    finally:
        for key in exported:
            os.environ.pop(key, None)
        subprocess.run(  # noqa: PLW1510 - best-effort teardown
            ["bash", str(devnet.SCRIPT), "stop"], capture_output=True, text=True, env=env, timeout=120
        )


people = devnet.people  # the integration fixture: fresh .test accounts on the network above


@pytest.fixture
def db(store, store_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDING_DATABASE_URL", store_url)
    monkeypatch.setenv("SOUNDING_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SOUNDING_SECRETS_BACKEND", "file")
    return store


def _thread_has(person, uri: str, replies: int):
    def check() -> bool:
        thread = person.client.get_post_thread(uri, depth=10).thread
        count, stack = 0, [thread]
        while stack:
            node = stack.pop()
            for r in node.replies or []:
                count += 1
                stack.append(r)
        return count >= replies

    return check


@pytest.fixture
def mastodon(tmp_path):
    from mastodon_mock.config import SeedAccount, SeedConfig
    from mastodon_mock.testing import MockServer

    seed = SeedConfig(accounts=[SeedAccount(username=p, access_token=f"{p}_token") for p in ("brand", "zoe")])
    with MockServer(host="127.0.0.1", seed=seed) as server:
        yield server


def test_ask_on_bluesky_and_mastodon_pools_both(cli, db, bluesky_net, people, mastodon):
    brand, ann, ben, cat, dan = people("brand"), people("ann"), people("ben"), people("cat"), people("dan")
    secrets = SecretStore()
    bsky_id = db.upsert_account(
        "bluesky", brand.handle, bluesky_net.pds, secrets.set(f"bluesky:{brand.handle}", devnet.PASSWORD)
    )
    masto_id = db.upsert_account(
        "mastodon", "brand", mastodon.base_url, secrets.set("mastodon:brand", "brand_token")
    )

    args = [
        "ask",
        "Which should we build next?",
        "-o",
        "Dark mode",
        "-o",
        "Widgets",
        "--on",
        "bluesky,mastodon",
    ]
    dry = cli(*args, "--dry-run")
    assert (
        dry.exit_code == 0 and "1. Dark mode" in dry.output and "post whose replies are counted" in dry.output
    )
    asked = cli(*args, "--json")
    assert asked.exit_code == 0, asked.output
    out = json.loads(asked.output)
    published = {p["platform"]: p for p in out["published"]}
    poll_uri = published["bluesky"]["ids"][0]
    assert poll_uri.startswith("at://") and "/dev.sounding.poll/" in published["bluesky"]["ids"][1]
    status_id = published["mastodon"]["ids"][0]

    # Bluesky: answers are replies.
    devnet.wait_indexed(lambda: brand.client.get_post_thread(poll_uri).thread.post is not None)
    post = brand.client.get_post_thread(poll_uri).thread.post
    assert "1. Dark mode" in post.record.text and "2. Widgets" in post.record.text
    devnet.reply(ann, post, post, "1")
    devnet.reply(ben, post, post, "I'd love a dark theme")
    devnet.reply(cat, post, post, "widgets on the home screen please")
    devnet.reply(dan, post, post, "what about offline sync?")
    devnet.reply(brand, post, post, "Thanks everyone!")  # ours: never an answer
    devnet.wait_indexed(_thread_has(brand, poll_uri, 5))
    # Mastodon: a native vote.
    from mastodon import Mastodon

    zoe = Mastodon(access_token="zoe_token", api_base_url=mastodon.base_url, version_check_mode="none")
    zoe.poll_vote(zoe.status(status_id)["poll"]["id"], [1])

    bsky = open_connector(
        AccountRef("bluesky", brand.handle, bluesky_net.pds, devnet.PASSWORD), policy=RetryPolicy.fast()
    )
    assert run_connector(db, bsky_id, bsky).complete
    masto = open_connector(
        AccountRef("mastodon", "brand", mastodon.base_url, "brand_token"), policy=RetryPolicy.fast()
    )
    assert run_connector(db, masto_id, masto).complete
    with db.session() as session:
        linked = session.scalars(
            select(models.Post.platform).where(models.Post.question_id == out["question_id"])
        )
        assert sorted(linked) == ["bluesky", "mastodon"]

    data = json.loads(cli("ask", "results", str(out["question_id"]), "--json").output)
    by_option = {o["option"]: o for o in data["options"]}
    # Bluesky's own reply-count snapshot ("1" -> Dark mode) is not added on top of the replies.
    assert data["by_platform"]["bluesky"] == {"poll_votes": None, "reply_votes": [2, 1]}
    assert data["by_platform"]["mastodon"] == {"poll_votes": [0, 1], "reply_votes": None}
    assert by_option["Dark mode"]["votes"] == 2 and by_option["Widgets"]["votes"] == 2
    assert data["other"]["people"] == 1
    assert [q["text"] for q in data["other"]["quotes"]] == ["what about offline sync?"]
    assert sum(o["p_most_preferred"] for o in data["options"]) == pytest.approx(1, abs=1e-6)
