"""Issue 11 end to end: three variants of one announcement, one post each, 60 people replying to each,
through the store and `sounding test report --comments`.

B drew positive replies from 28 of 60 people against 13 of 60 for A (and 15 of 60 for C). The exact
test gives p = 0.0045; with 2 challengers x 4 measures corrected together (Holm) that is 0.036, so the
report must say B is ahead - and say plainly that replies per post cannot be compared with one post.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sounding.analysis.views import set_current_version
from sounding.store import models

T0 = datetime(2026, 4, 1, 9, tzinfo=UTC)
PEOPLE = 60
# variant -> (positive, questions, suggestions, problems) people; the rest replied neutrally.
COUNTS = {"A": (13, 9, 4, 5), "B": (28, 6, 7, 3), "C": (15, 11, 5, 6)}
EXTRA_REPLIES = 4  # four people under each post reply a second time (same label): 64 replies, 60 people


@pytest.fixture
def db(store, store_url, monkeypatch):
    monkeypatch.setenv("SOUNDING_DATABASE_URL", store_url)
    return store


def _labels(variant: str) -> list[tuple[str, str]]:
    positive, questions, suggestions, problems = COUNTS[variant]
    labels = [("positive", "praise")] * positive
    labels += [("neutral", "question")] * questions + [("neutral", "suggestion")] * suggestions
    labels += [("negative", "problem")] * problems
    return labels + [("neutral", "other")] * (PEOPLE - len(labels))


def _seed(db) -> None:
    with db.session() as session, session.begin():
        n = 0
        for k, variant in enumerate(COUNTS):
            post = models.Post(
                platform="mastodon", platform_id=f"launch-{variant}", ours=True, author="brand",
                text=f"Launch announcement, version {variant}", text_hash=f"post-{variant}",
                created_at=T0 + timedelta(hours=k),
            )  # fmt: skip
            session.add(post)
            session.flush()
            labels = _labels(variant)
            replies = [(f"{variant}-person{j}", label) for j, label in enumerate(labels)]
            replies += replies[:EXTRA_REPLIES]  # a second reply from four of them
            for author, (sentiment, intent) in replies:
                n += 1
                session.add(
                    models.Comment(
                        platform="mastodon", platform_id=f"r{n}", post_id=post.id, author=author,
                        text=f"reply {n}", text_hash=f"h{n}", created_at=T0 + timedelta(minutes=n),
                    )
                )  # fmt: skip
                session.add(
                    models.Enrichment(
                        text_hash=f"h{n}", model_version="v1", sentiment=sentiment, intent=intent
                    )
                )
            session.add(
                models.ReactionSnapshot(
                    platform="mastodon", target_id=post.platform_id, post_id=post.id,
                    taken_at=T0 + timedelta(days=1), likes=40, reposts=5, replies=len(replies),
                )
            )  # fmt: skip
    set_current_version(db, "v1")


def _setup(cli, db) -> None:
    _seed(db)
    assert cli("test", "create", "launch", "--variants", "A,B,C", "--metric", "replies").exit_code == 0
    for variant in COUNTS:
        out = cli("test", "add-post", "launch", "--variant", variant, "--post", f"mastodon:launch-{variant}")
        assert out.exit_code == 0, out.output


def test_json_says_b_is_ahead_on_positive_replies(cli, db):
    _setup(cli, db)
    out = cli("test", "report", "launch", "--comments", "--json")
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["main_comparable"] is False and report["decision"] == "not_enough_data"
    assert "no observations" not in report["verdict"]
    assert "per post cannot be compared" in report["verdict"] and "A 64, B 64, C 64" in report["verdict"]
    assert report["people"] == {"A": 60, "B": 60, "C": 60}
    assert report["replies"] == {"A": 64, "B": 64, "C": 64}
    comments = {r["metric"]: r for r in report["comment_metrics"]}
    positive = comments["positive replies"]
    assert positive["test"] == "barnard_exact" and positive["winner"] == "B"
    a, b, _c = positive["variants"]
    assert (a["units"], b["units"]) == (60, 60)
    assert b["p_value"] == pytest.approx(0.004457, abs=1e-5)  # scipy barnard_exact
    assert b["p_value_adjusted"] == pytest.approx(8 * b["p_value"], rel=1e-6)  # Holm's first of 8
    assert b["difference"] == pytest.approx(0.25) and b["difference_ci_low"] > 0
    assert all(r["unit"] == "people who replied" for r in report["comment_metrics"])
    assert report["answer"].startswith("People liked B better. B drew positive replies from 28 of 60 people")
    assert "views" not in report["answer"]


def test_printed_report_leads_with_the_answer(cli, db):
    _setup(cli, db)
    out = cli("test", "report", "launch", "--comments")
    assert out.exit_code == 0, out.output
    text = out.output
    first = text.splitlines()[1]
    assert first.startswith("People liked B better. B drew positive replies from 28 of 60 people who replied")
    assert "13 of 60 for A" in text and "+25 points" in text
    assert "Replies per post cannot be compared with one post per option" in text
    assert "Post next: use B as the new default" in text
    assert text.index("People liked B better") < text.index("What the replies said")
    assert "Option B wins on positive replies" in text
    assert "no observations" not in text and "more views" not in text
