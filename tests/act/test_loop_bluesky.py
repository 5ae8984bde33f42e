"""The whole loop on the local Bluesky network: people ask, analysis learns it, we decide and ship,
we tell exactly those threads once (not the person who opted out), sync sees our replies, and the
report shows the chain with the right counts.

Uses the session's devnet fixture (tests/integration/bluesky/devnet_helpers.py, registered in
tests/conftest.py). Skipped when no network can be had, unless SOUNDING_REQUIRE_DEVNET=1.
"""

from __future__ import annotations

import json

import devnet_helpers as devnet  # loaded by tests/conftest.py, which also provides bluesky_net and people
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from sounding import Sounding
from sounding.cli import app
from sounding.connectors import AccountRef, RetryPolicy, open_connector
from sounding.connectors.secrets import SecretStore
from sounding.connectors.sync import run_connector
from sounding.store import models

ASKS = {
    "ann": "Please add a dark mode, the white screen hurts my eyes at night",
    "ben": "A dark theme would be amazing, I read in bed a lot",
    "cat": "Any chance of a dark mode? Night reading is painful",
    "dan": "Dark mode please! My eyes can't take the bright background",
    "eve": "I'd love a dark theme option for the evenings",
}
OTHER = {
    "fox": "The new logo looks great, well done",
    "gil": "Shipping to Canada took three weeks, is that normal?",
}


@pytest.fixture
def db(tmp_path, monkeypatch, store_url):
    monkeypatch.setenv("SOUNDING_DATABASE_URL", store_url)
    monkeypatch.setenv("SOUNDING_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SOUNDING_SECRETS_BACKEND", "file")
    api = Sounding(store_url)
    yield api
    api.close()


def _replies_under(person, uri: str) -> list:
    thread = person.client.get_post_thread(uri, depth=1000).thread
    out, stack = [], [thread]
    while stack:
        node = stack.pop()
        for child in node.replies or []:
            out.append(child.post)
            stack.append(child)
    return out


def test_ask_learn_decide_tell_once_and_report(db, bluesky_net, people):
    who = {name: people(name) for name in ("brand", *ASKS, *OTHER)}
    brand = who["brand"]
    secrets = SecretStore()
    account = db.store.upsert_account("bluesky", brand.handle, bluesky_net.pds,
                                      secrets.set(f"bluesky:{brand.handle}", devnet.PASSWORD))
    p1 = brand.client.send_post(text="What should we build next?")
    p2 = brand.client.send_post(text="Tell us one thing to improve!")
    p3 = brand.client.send_post(text="Weekend plans?")
    asked = {}
    for name, post in (("ann", p1), ("ben", p1), ("fox", p1), ("dan", p2), ("cat", p2), ("gil", p2), ("eve", p1)):
        asked[name] = devnet.reply(who[name], post, post, (ASKS | OTHER)[name])
    only_dan = devnet.reply(who["dan"], p3, p3, "Honestly just a dark mode, nothing else")
    devnet.wait_indexed(devnet.thread_has(brand, p1.uri, 4))
    devnet.wait_indexed(devnet.thread_has(brand, p2.uri, 3))
    devnet.wait_indexed(devnet.thread_has(brand, p3.uri, 1))

    def sync():
        connector = open_connector(AccountRef("bluesky", brand.handle, bluesky_net.pds, devnet.PASSWORD),
                                   policy=RetryPolicy.fast())
        assert run_connector(db.store, account, connector).complete

    sync()
    db.analyze()
    with db.store.engine.connect() as conn:
        theme_of = dict(conn.execute(
            select(models.Comment.platform_id, models.ThemeMember.theme_id)
            .join(models.ThemeMember, models.ThemeMember.text_hash == models.Comment.text_hash)).all())
    themes = {theme_of.get(asked[name].uri) for name in ASKS}
    assert len(themes) == 1 and None not in themes, f"the dark-mode requests are not one theme: {themes}"
    with db.store.engine.connect() as conn:
        lesson = conn.execute(select(models.Lesson.id).where(models.Lesson.theme_id == themes.pop())).scalar()
    assert lesson is not None, "no lesson for the dark-mode theme"

    runner = CliRunner()

    def cli(*args):
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    cli("optout", f"bluesky:{who['dan'].did}")
    decision = json.loads(cli("decide", "Dark mode", "--lesson", str(lesson), "--json"))
    assert decision["people"] == 5 and decision["threads"] == 3
    cli("decision", "status", str(decision["id"]), "shipped", "--note", "Settings > Display > Dark.")
    drafts = json.loads(cli("tell", "draft", str(decision["id"]), "--json"))
    assert sorted(d["reply_to"] for d in drafts) == sorted([asked["ann"].uri, asked["cat"].uri])

    before = {p.uri: len(_replies_under(brand, p.uri)) for p in (p1, p2, p3)}
    dry = cli("tell", "send", str(decision["id"]))
    assert "Dry run" in dry
    assert {p.uri: len(_replies_under(brand, p.uri)) for p in (p1, p2, p3)} == before  # nothing reached the server

    sent = json.loads(cli("tell", "send", str(decision["id"]), "--confirm", "--pace", "0", "--json"))
    assert sorted(r["status"] for r in sent) == ["published", "published"]
    for post, target in ((p1, asked["ann"]), (p2, asked["cat"])):
        seen: list = []

        def ours_indexed(uri=post.uri) -> bool:  # the AppView shows our reply a moment after it is written
            seen[:] = _replies_under(brand, uri)  # judged on the view that showed it (a later read can lag)
            return any(r.author.did == brand.did for r in seen)

        devnet.wait_indexed(ours_indexed)
        ours = [r for r in seen if r.author.did == brand.did]
        assert len(ours) == 1, ([(r.author.handle, r.record.text) for r in seen], sent)
        assert "Settings > Display > Dark." in ours[0].record.text
        assert ours[0].record.reply.parent.uri == target.uri
    assert not [r for r in _replies_under(brand, p3.uri) if r.author.did == brand.did]  # dan opted out
    assert json.loads(cli("tell", "send", str(decision["id"]), "--confirm", "--json")) == []  # never twice

    sync()
    with db.store.engine.connect() as conn:
        ours = conn.execute(select(func.count()).select_from(models.Comment).where(models.Comment.ours.is_(True))).scalar()
    assert ours == 2

    report = cli("report", "--format", "markdown")
    assert "Dark mode" in report and "shipped" in report
    assert "4 people in 2 threads (bluesky)" in report  # ann, ben, eve in p1 + cat in p2; dan skipped
    assert only_dan.uri not in report
