"""Experiment and variant names come from people: `[/]` or an escape sequence must not break `test …`."""

from __future__ import annotations

import json

import pytest

from sounding.store import models

MARKUP = "[/]"
LINK = "[link=file:///etc/passwd]x[/]"
ESCAPE = "evil\x1b]0;owned\x07\x1b[2J"


@pytest.fixture
def db(store, store_url, monkeypatch):
    monkeypatch.setenv("SOUNDING_DATABASE_URL", store_url)
    return store


def test_markup_and_control_characters_in_names_are_printed_inert(cli, db, tmp_path):
    variants = f"{MARKUP},{LINK},{ESCAPE}"
    created = cli("test", "create", MARKUP, "--variants", variants)
    assert created.exit_code == 0, created.output
    assert MARKUP in created.output and "\x1b" not in created.output and "\\x1b" in created.output
    data = tmp_path / "round.csv"
    data.write_text(f'variant,exposures,successes\n"{MARKUP}",60,13\n"{LINK}",60,28\n"{ESCAPE}",60,20\n')
    recorded = cli("test", "record", MARKUP, "--data", str(data), "--metric", "[bold]x")
    assert recorded.exit_code == 0, recorded.output
    for args in (("test", "status"), ("test", "report", MARKUP), ("test", "analyze", "--data", str(data))):
        out = cli(*args)
        assert out.exit_code == 0, (args, out.output)
        assert "\x1b" not in out.output and "\x07" not in out.output, args
        assert LINK in out.output or "link=file" in out.output, args  # shown as text, not made a link
    report = cli("test", "report", MARKUP)
    flat = report.output.replace("\n", "")
    assert f"Note: {LINK} beats {MARKUP} on [bold]x, but which option is best is not clear yet" in flat
    missing = cli("test", "report", "[red]nope")
    assert missing.exit_code == 4 and "[red]nope" in missing.output
    as_json = json.loads(cli("test", "status", "--json").output)
    assert as_json[0]["name"] == MARKUP and as_json[0]["variants"][2] == ESCAPE  # JSON keeps the real text


def test_poll_options_with_markup_are_printed_inert(cli, db):
    from datetime import UTC, datetime

    when = datetime(2026, 2, 1, tzinfo=UTC)
    with db.session() as session, session.begin():
        post = models.Post(
            platform="mastodon", platform_id="p1", ours=True, author="brand", text="Pick [/] one\x1b[2J",
            text_hash="p1", created_at=when,
        )  # fmt: skip
        session.add(post)
        session.flush()
        poll = models.Poll(post_id=post.id)
        session.add(poll)
        session.flush()
        session.add(models.PollSnapshot(poll_id=poll.id, taken_at=when, options=[MARKUP, "b"], votes=[3, 1]))
    out = cli("poll", "results")
    assert out.exit_code == 0, out.output
    assert MARKUP in out.output and "\x1b" not in out.output
