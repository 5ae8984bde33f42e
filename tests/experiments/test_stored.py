"""Experiments and polls kept in the store, through `sounding test create|add-post|record|status|report`
and `sounding poll results`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sounding.store import models


@pytest.fixture
def db(store, store_url, monkeypatch):
    """The project's store fixture (SQLite, and PostgreSQL when a server is given), also for the CLI."""
    monkeypatch.setenv("SOUNDING_DATABASE_URL", store_url)
    return store


def _post(session, platform_id: str, replies: list[int], when: datetime) -> models.Post:
    post = models.Post(
        platform="mastodon",
        platform_id=platform_id,
        ours=True,
        author="brand",
        text=f"post {platform_id}",
        text_hash=platform_id,
        created_at=when,
    )
    session.add(post)
    session.flush()
    for i, count in enumerate(replies):  # growth curve; only the latest snapshot counts
        session.add(
            models.ReactionSnapshot(
                platform="mastodon",
                target_id=platform_id,
                post_id=post.id,
                taken_at=when + timedelta(hours=i),
                likes=count * 2,
                reposts=0,
                replies=count,
            )
        )
    return post


def test_create_record_and_report(cli, db, fixtures):
    assert cli("test", "create", "cta", "--variants", "A,B,C", "--metric", "positive replies").exit_code == 0
    assert cli("test", "create", "cta", "--variants", "A,B").exit_code == 7  # duplicate name: ConflictError
    result = cli(
        "test", "record", "cta", "--data", str(fixtures / "proportions.csv"), "--metric", "positive replies"
    )
    assert result.exit_code == 0, result.output
    cli(
        "test",
        "record",
        "cta",
        "--data",
        str(fixtures / "proportions.csv"),
        "--metric",
        "positive replies",
        "--round",
        "2",
    )
    report = json.loads(cli("test", "report", "cta", "--json").output)
    assert report["experiment"] == "cta" and report["metric"] == "positive replies"
    assert [v["units"] for v in report["variants"]] == [2000, 2000, 2000]  # rounds are summed
    assert report["variants"][1]["lift"] == pytest.approx(0.3)
    status = json.loads(cli("test", "status", "--json").output)
    assert status[0]["variants"] == ["A", "B", "C"] and status[0]["outcome_metrics"] == ["positive replies"]
    bad = cli("test", "record", "cta", "--data", str(fixtures / "winner.csv"), "--metric", "x")
    assert bad.exit_code == 4 and "not a variant" in bad.output  # NotFoundError


def test_report_from_linked_posts_uses_posts_as_units(cli, db):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as session, session.begin():
        for i, replies in enumerate([3, 5, 4, 6]):
            _post(session, f"a{i}", [1, replies], start + timedelta(days=i))
        for i, replies in enumerate([9, 12, 10, 11]):
            _post(session, f"b{i}", [2, replies], start + timedelta(days=i, hours=12))
    assert cli("test", "create", "hook", "--variants", "plain,question").exit_code == 0
    for i in range(4):
        assert (
            cli("test", "add-post", "hook", "--variant", "plain", "--post", f"mastodon:a{i}").exit_code == 0
        )
        assert (
            cli("test", "add-post", "hook", "--variant", "question", "--post", f"mastodon:b{i}").exit_code
            == 0
        )
    assert cli("test", "add-post", "hook", "--variant", "plain", "--post", "mastodon:nope").exit_code == 4
    huge = cli("test", "add-post", "hook", "--variant", "plain", "--post", "9" * 25)
    assert huge.exit_code == 4 and "no stored post" in huge.output  # not an overflow traceback
    report = json.loads(cli("test", "report", "hook", "--metric", "replies", "--json").output)
    plain, question = report["variants"]
    assert plain["units"] == 4 and plain["estimate"] == pytest.approx(4.5)  # latest snapshot per post
    assert question["estimate"] == pytest.approx(10.5)
    assert report["kind"] == "mean" and report["winner"] == "question"
    assert "hook" in cli("test", "status").output


def test_poll_results_from_latest_snapshot(cli, db):
    when = datetime(2026, 2, 1, tzinfo=UTC)
    with db.session() as session, session.begin():
        post = _post(session, "poll1", [0], when)
        poll = models.Poll(post_id=post.id)
        session.add(poll)
        session.flush()
        session.add(
            models.PollSnapshot(poll_id=poll.id, taken_at=when, options=["red", "blue"], votes=[1, 1])
        )
        session.add(
            models.PollSnapshot(
                poll_id=poll.id, taken_at=when + timedelta(hours=3), options=["red", "blue"], votes=[60, 30]
            )
        )
    data = json.loads(cli("poll", "results", "--json").output)
    options = data[0]["options"]
    assert [o["votes"] for o in options] == [60, 30]
    assert (
        options[0]["p_most_preferred"] > 0.99
        and options[0]["share_ci_low"] < 0.66 < options[0]["share_ci_high"]
    )
    assert "P(most preferred)" in cli("poll", "results").output
