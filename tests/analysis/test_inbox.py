"""The questions inbox on labelled threads written for the tests (tests/fixtures/inbox_threads.jsonl).

One test per case of the inbox's definition: answered below / by @mention / not answered by our reply
to someone else or by another customer, rhetorical complaints, praise with "??", questions to another
user or to the community, questions without "?", follow-ups after our answer.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from sounding import Sounding
from sounding.analysis import inbox, threads, views
from sounding.cli import app
from sounding.records import CommentRecord
from sounding.store.models import Comment, Person

_spec = importlib.util.spec_from_file_location(
    "inbox_threads", Path(__file__).parents[1] / "fixtures" / "inbox_threads.py")
fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture)
RECORDS, LABELS = fixture.load()
NOW = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)  # the fixture's threads run 09:00-14:40 that day


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    api = Sounding(str(tmp_path_factory.mktemp("inbox") / "inbox.db"))
    api.store.write_records(RECORDS)
    api.analyze()
    yield api
    api.close()


def _inbox(api, **kw):
    return threads.unanswered_questions(api.store, views.current_version(api.store), now=NOW, **kw)


def test_fixture_has_enough_labelled_comments_with_real_reply_structure():
    assert len(LABELS) >= 40
    posts = {r.id for r in RECORDS if not isinstance(r, CommentRecord)}
    replies_to_comments = [r for r in RECORDS if isinstance(r, CommentRecord) and r.parent_id not in posts]
    assert len(replies_to_comments) >= 10  # replies at depth >= 2, not only top-level comments
    assert {v["platform"] for v in LABELS.values()} == {"bluesky", "twitter", "youtube", "mastodon"}


CASES = sorted({v["case"] for v in LABELS.values()})


@pytest.mark.parametrize("case", CASES)
def test_each_case(analysed, case):
    ids = set(_inbox(analysed)["id"])
    members = {i: v for i, v in LABELS.items() if v["case"] == case}
    wrong = {i: v["text"] for i, v in members.items() if (i in ids) != (v["label"] == "in")}
    assert not wrong, f"{case}: {wrong}"


def test_precision_and_recall_on_the_whole_set(analysed):
    ids = set(_inbox(analysed)["id"])
    gold = {i for i, v in LABELS.items() if v["label"] == "in"}
    assert len(ids & gold) / len(ids) >= 0.9
    assert len(ids & gold) / len(gold) >= 0.9


def test_entries_carry_handle_link_age_and_platform(analysed):
    frame = _inbox(analysed).set_index("id")
    row = frame.loc["b1c3"]  # "Does the Pod Pro 2 work with the old pods?"
    assert row["handle"] == "ben.bsky.social"
    assert row["url"] == "https://bsky.app/profile/ben.bsky.social/post/b1c3"
    assert row["platform"] == "bluesky"
    assert row["age"] == "5h 53m" and row["age_hours"] == pytest.approx(5.9, abs=0.05)
    assert frame.loc["t3", "kind"] == "post" and frame.loc["t3", "handle"] == "sam_k"
    assert frame["author"].str.startswith("u_").all()  # the pseudonym, not the handle
    assert list(frame["created_at"]) == sorted(frame["created_at"])  # oldest first


def test_filters_by_platform_and_age(analysed):
    everything = _inbox(analysed)
    only = _inbox(analysed, platforms=["youtube"])
    assert set(only["platform"]) == {"youtube"} and len(only) == (everything["platform"] == "youtube").sum()
    old = _inbox(analysed, older_than=timedelta(hours=5))
    new = _inbox(analysed, newer_than=timedelta(hours=5))
    assert (old["age_hours"] >= 5).all() and (new["age_hours"] <= 5).all()
    assert len(old) + len(new) == len(everything)


def test_a_reply_of_ours_below_the_question_takes_it_out(tmp_path):
    api = Sounding(str(tmp_path / "s.db"))
    api.store.write_records(RECORDS)
    assert "y1c1" in set(_inbox(api)["id"])  # not analysed yet: the text rules alone
    answer = CommentRecord("youtube", "y1c99", "y1c1", "@BeanBrew", "Grind 8 on the dial", NOW - timedelta(minutes=5),
                           ours=True)
    api.store.write_records([answer])
    assert "y1c1" not in set(_inbox(api)["id"])
    api.close()


def test_people_table_holds_handles_and_erasing_a_person_is_one_delete(analysed, tmp_path):
    with analysed.store.engine.connect() as conn:
        people = dict(conn.execute(select(Person.handle, Person.pseudonym)).all())
        authors = set(conn.execute(select(Comment.author)).scalars())
    assert "hal.bsky.social" in people and people["hal.bsky.social"] in authors
    assert not any("." in a or "@" in a for a in authors)  # comments keep only pseudonyms
    api = Sounding(str(tmp_path / "erase.db"))
    api.store.write_records(RECORDS)
    with api.store.transaction() as conn:
        conn.execute(delete(Person).where(Person.handle == "ben.bsky.social"))
    row = _inbox(api).set_index("id").loc["b1c3"]
    assert pd.isna(row["handle"]) and row["author"].startswith("u_")  # still listed, no longer identifiable
    api.close()


def test_question_kinds():
    assert inbox.question_kind("can you ship to canada yet") == "genuine"
    assert inbox.question_kind("My order never arrived, where is it?") == "genuine"
    assert inbox.question_kind("Why do you always lose my bags??") == "rhetorical"
    assert inbox.question_kind("Is this the best coffee ever??") == "praise"
    assert inbox.question_kind("Has anyone tried the oat pods?") == "community"
    assert inbox.question_kind("What a day.") == "none"
    assert inbox.mentions("hi @ines@mastodon.social and @bob.bsky.social.") == ["ines@mastodon.social", "bob.bsky.social"]


@pytest.mark.parametrize("text", [
    "@brand Why not call it a 'subscription' if I can't pause it?",
    "@brand Why can't you answer a simple question?",
    "@brand How is charging me twice a solution?",
    "@brand Have you also shrunk the bags like you have the pods?",
    "@brand So you admit the new lids leak?",
    "@brand I paid for next-day delivery and got it a week later. Really ?",
    "@brand 14 days.. Don't you think that's enough?",
    "@brand We paid for those pods and never got them. Service? More like theft.",
    "@brand He was rude and aggressive to me. Is that a requirement?",
])
def test_complaints_dressed_as_questions_stay_out(text):
    assert inbox.inbox_kind(text) == "rhetorical"


@pytest.mark.parametrize("text", [
    "@brand Thanks for sorting it. Have a great weekend!",
    "@brand When I got home the box was already open",
    "@brand The barista asked “is this your first time?” and laughed at me",
    "@brand I've been feeling kinda lonely, how are you today?",
])
def test_clauses_that_only_look_like_questions(text):
    assert inbox.inbox_kind(text) == "none"


@pytest.mark.parametrize("text", [
    "@brand Out of curiosity what is the reason for the delay? Still nothing",
    "@brand Just wondering if you got my message?",
    "@brand had an issue with my order, can you help",
    "My order never arrived, where is it?",
])
def test_genuine_questions_stay_in(text):
    assert inbox.inbox_kind(text) == "genuine"


def test_addressing_helpers():
    assert inbox.lead_block("@amy @brand same here?") == "@amy @brand "
    assert inbox.vocatives("did yours arrive yet, @pia_c?") == ["pia_c"]
    assert inbox.vocatives("is it the courier @brand ?") == ["brand"]
    assert inbox.vocatives("email me@example.com?") == []


def test_cli_questions_json_and_filters(analysed):
    runner = CliRunner()
    db = analysed.store.url
    result = runner.invoke(app, ["--db", db, "questions", "--platform", "mastodon", "--json", "--limit", "0"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows and {r["platform"] for r in rows} == {"mastodon"}
    assert {"handle", "url", "age", "age_hours", "text", "id"} <= set(rows[0])
    bad = runner.invoke(app, ["--db", db, "questions", "--older-than", "soon"])
    assert bad.exit_code != 0 and "--older-than takes a duration" in bad.output + str(bad.exception)
    shown = runner.invoke(app, ["--db", db, "questions", "--newer-than", "1000w"])
    assert shown.exit_code == 0 and "@ben.bsky.social" in shown.output


def test_question_ages_take_the_units_the_help_shows_without_pandas_deprecations():
    import warnings

    from sounding.commands.analysis import _duration

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas deprecates "d" and "w"; they must keep working after it drops them
        assert _duration("30m", "--older-than") == timedelta(minutes=30)
        assert _duration("2d", "--older-than") == timedelta(days=2)
        assert _duration(" 1w", "--newer-than") == timedelta(weeks=1)
        assert _duration("1d12h", "--older-than") == timedelta(days=1, hours=12)
        assert _duration("2 days", "--older-than") == timedelta(days=2)


def test_inbox_before_analysis_on_sqlite_and_postgres(store_url):
    """The text rules alone (nothing analysed yet), on both stores: same SQL, same answers."""
    api = Sounding(store_url)
    api.store.write_records(RECORDS)
    ids = set(_inbox(api)["id"])
    api.close()
    gold = {i for i, v in LABELS.items() if v["label"] == "in"}
    assert len(ids & gold) / len(ids) >= 0.9 and len(ids & gold) / len(gold) >= 0.9, (ids - gold, gold - ids)
