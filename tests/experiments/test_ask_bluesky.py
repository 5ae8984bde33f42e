"""`sounding ask` on Bluesky against the local devnet (tests/integration/bluesky): the poll is a post
listing numbered options, replies are the answers (numbers, option texts, or free text read by
meaning); asking on Bluesky and Mastodon at once pools both.

Uses the session's devnet fixture (tests/integration/bluesky/devnet_helpers.py, registered in
tests/conftest.py). Skipped when no network can be had, unless SOUNDING_REQUIRE_DEVNET=1.
"""

from __future__ import annotations

import json

import devnet_helpers as devnet  # loaded by tests/conftest.py, which also provides bluesky_net and people
import pytest
from sqlalchemy import select

from sounding.connectors import AccountRef, RetryPolicy, open_connector
from sounding.connectors.secrets import SecretStore
from sounding.connectors.sync import run_connector
from sounding.store import models


@pytest.fixture
def db(store, store_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDING_DATABASE_URL", store_url)
    monkeypatch.setenv("SOUNDING_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SOUNDING_SECRETS_BACKEND", "file")
    return store


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
    devnet.wait_indexed(devnet.thread_has(brand, poll_uri, 5))
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
