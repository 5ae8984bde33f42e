"""`sounding ask` end to end on Mastodon (mastodon-mock on 127.0.0.1): a native poll is published and
linked to the question, people vote and reply, a real sync reads it back, and `sounding ask results`
pools native votes with replies read by meaning (real `embed()`), one vote per person."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from sounding.analysis.embed import embed
from sounding.analysis.reader import encode_embedding
from sounding.analysis.views import set_current_version
from sounding.connectors import AccountRef, RetryPolicy, open_connector
from sounding.connectors.secrets import SecretStore
from sounding.connectors.sync import run_connector
from sounding.store import models

PEOPLE = ["alice", "bob", "carol", "dan", "erin", "frank", "gina", "hank"]


@pytest.fixture
def mastodon(tmp_path, monkeypatch):
    """mastodon-mock with the brand (alice) and six people; secrets isolated in a per-test folder."""
    from mastodon_mock.config import SeedAccount, SeedConfig
    from mastodon_mock.testing import MockServer

    monkeypatch.setenv("SOUNDING_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SOUNDING_SECRETS_BACKEND", "file")
    seed = SeedConfig(accounts=[SeedAccount(username=p, access_token=f"{p}_token") for p in PEOPLE])
    with MockServer(host="127.0.0.1", seed=seed) as server:
        yield server


@pytest.fixture
def db(store, store_url, monkeypatch):
    monkeypatch.setenv("SOUNDING_DATABASE_URL", store_url)
    return store


def _client(url: str, name: str):
    from mastodon import Mastodon

    return Mastodon(access_token=f"{name}_token", api_base_url=url, version_check_mode="none")


def _connect(db, url: str) -> int:
    ref = SecretStore().set(f"mastodon:alice@{url.split('://')[-1]}", "alice_token")
    return db.upsert_account("mastodon", "alice", url, ref)


def _sync(db, account_id: int, url: str) -> None:
    connector = open_connector(AccountRef("mastodon", "alice", url, "alice_token"), policy=RetryPolicy.fast())
    assert run_connector(db, account_id, connector).complete


def test_ask_on_mastodon_then_pooled_results(cli, db, mastodon):
    url = mastodon.base_url
    account_id = _connect(db, url)
    dry = cli(
        "ask", "Which should we build next?", "--option", "Dark mode", "--option", "Widgets",
        "--on", "mastodon", "--dry-run",
    )  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert "native poll" in dry.output and "Dark mode | Widgets" in dry.output
    with db.session() as session:
        assert session.scalars(select(models.Question)).first() is None  # a dry run records nothing

    asked = cli(
        "ask", "Which should we build next?", "--option", "Dark mode", "--option", "Widgets",
        "--on", "mastodon", "--json",
    )  # fmt: skip
    assert asked.exit_code == 0, asked.output
    out = json.loads(asked.output)
    question_id = out["question_id"]
    (published,) = out["published"]
    assert published["error"] is None
    status_id = published["ids"][0]

    # The post row is in the store and linked to the question (and so is its poll).
    with db.session() as session:
        post = session.scalars(select(models.Post).where(models.Post.platform_id == status_id)).one()
        assert post.question_id == question_id and post.ours and post.account_id == account_id
        assert session.scalars(
            select(models.Poll).where(models.Poll.post_id == post.id)
        ).one().question_id == (question_id)
        question = session.get(models.Question, question_id)
        assert question.options == ["Dark mode", "Widgets"]

    # A native poll on the instance; bob and carol vote in it.
    status = _client(url, "alice").status(status_id)
    assert [o["title"] for o in status["poll"]["options"]] == ["Dark mode", "Widgets"]
    _client(url, "bob").poll_vote(status["poll"]["id"], [0])
    _client(url, "carol").poll_vote(status["poll"]["id"], [1])

    # Replies: by meaning, literally, other, a change of mind, our own reply, a nested remark.
    dan = _client(url, "dan").status_post("@alice I'd love a dark theme", in_reply_to_id=status_id)
    _client(url, "erin").status_post("widgets on the home screen please", in_reply_to_id=status_id)
    _client(url, "frank").status_post("what about offline sync?", in_reply_to_id=status_id)
    _client(url, "gina").status_post("dark mode!", in_reply_to_id=status_id)
    _client(url, "gina").status_post("@alice hmm, option B actually", in_reply_to_id=status_id)
    _client(url, "alice").status_post("@dan noted, thanks!", in_reply_to_id=dan["id"])
    _client(url, "frank").status_post("@dan +1 for the offline part", in_reply_to_id=dan["id"])
    _client(url, "hank").status_post("[bold red]free[/] stuff", in_reply_to_id=status_id)  # not markup

    _sync(db, account_id, url)
    result = cli("ask", "results", str(question_id), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    by_option = {o["option"]: o for o in data["options"]}
    # native: bob -> Dark mode, carol -> Widgets; replies: dan -> Dark mode (meaning),
    # erin -> Widgets, gina -> Widgets (her latest answer); frank -> other; alice is us.
    assert (by_option["Dark mode"]["poll_votes"], by_option["Dark mode"]["reply_votes"]) == (1, 1)
    assert (by_option["Widgets"]["poll_votes"], by_option["Widgets"]["reply_votes"]) == (1, 2)
    assert by_option["Dark mode"]["votes"] == 2 and by_option["Widgets"]["votes"] == 3
    assert data["other"]["people"] == 2
    assert {q["text"] for q in data["other"]["quotes"]} == {
        "what about offline sync?",
        "@dan +1 for the offline part",
        "[bold red]free[/] stuff",
    }
    assert data["replies_read"] == 7  # our own reply is not an answer
    assert data["embedded_now"] >= 2  # nothing analysed yet: embedded on the fly
    assert sum(o["p_most_preferred"] for o in data["options"]) == pytest.approx(1, abs=1e-6)
    assert by_option["Widgets"]["p_most_preferred"] > by_option["Dark mode"]["p_most_preferred"]
    for o in data["options"]:
        assert 0 <= o["share_ci_low"] < o["share"] < o["share_ci_high"] <= 1
    dan_answer = next(a for a in data["answers"] if "dark theme" in a["text"])
    assert dan_answer["method"] == "meaning" and dan_answer["option"] == 0

    # Once analysed, the stored vectors are used for replies without an @mention.
    with db.session() as session, session.begin():
        for comment in session.scalars(select(models.Comment).where(models.Comment.ours.is_(False))):
            session.add(
                models.Enrichment(
                    text_hash=comment.text_hash,
                    model_version="test-v1",
                    embedding=encode_embedding(embed([comment.text])[0]),
                )
            )
    set_current_version(db, "test-v1")
    again = json.loads(cli("ask", "results", str(question_id), "--json").output)
    assert again["embedded_now"] < data["embedded_now"]
    assert [o["votes"] for o in again["options"]] == [o["votes"] for o in data["options"]]

    table = cli("ask", "results", str(question_id))
    assert table.exit_code == 0 and "P(most preferred)" in table.output
    assert "what about offline sync?" in table.output
    assert "[bold red]free[/] stuff" in table.output  # escaped, shown as typed
    listing = json.loads(cli("ask", "list", "--json").output)
    assert listing[0]["id"] == question_id and listing[0]["posts"] == [f"mastodon:{status_id}"]


def test_ask_reports_a_platform_that_fails_and_keeps_the_question(cli, db, mastodon, monkeypatch):
    url = mastodon.base_url
    ref = SecretStore().set("mastodon:alice@bad", "wrong_token")
    db.upsert_account("mastodon", "alice", url, ref)
    failed = cli("ask", "Tea or coffee?", "-o", "tea", "-o", "coffee", "--on", "mastodon", "--json")
    assert failed.exit_code == 1
    out = json.loads(failed.output)
    assert out["published"][0]["ids"] == [] and out["published"][0]["error"]
    assert "wrong_token" not in failed.output  # secrets are redacted from errors
    with db.session() as session:
        assert session.get(models.Question, out["question_id"]) is not None
        assert session.scalars(select(models.Post)).first() is None


def test_ask_needs_accounts_and_options(cli, db):
    no_account = cli("ask", "Q?", "-o", "a", "-o", "b", "--on", "mastodon")
    assert no_account.exit_code == 2 and "no connected mastodon account" in no_account.output
    one_option = cli("ask", "Q?", "-o", "a", "--on", "mastodon")
    assert one_option.exit_code == 2 and "two --option" in one_option.output
    unknown = cli("ask", "Q?", "-o", "a", "-o", "b", "--on", "myspace", "--dry-run")
    assert unknown.exit_code == 2 and "unknown platform" in unknown.output
    missing = cli("ask", "results", "42")
    assert missing.exit_code == 4 and "no question with id 42" in missing.output
    huge = cli("ask", "results", "9" * 25)
    assert huge.exit_code == 4 and "no question with id" in huge.output
