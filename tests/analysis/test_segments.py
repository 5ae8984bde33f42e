"""Lessons by segment: per platform, first-time vs returning people, per post."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from labelled_store import label
from typer.testing import CliRunner

from sounding import Sounding
from sounding.cli import app
from sounding.errors import UsageError
from sounding.records import CommentRecord, PostRecord

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PROBLEM, QUESTION, SUGGESTION = ("problem", "negative"), ("question", "neutral"), ("suggestion", "neutral")
# (platform, post, comment id, person, text, intent+sentiment, theme)
SAID = [
    ("mastodon", "m1", "c1", "alice", "The 8:05 was late again", PROBLEM, "theme-delay"),
    ("mastodon", "m1", "c2", "bob", "Twenty minutes late, every day", PROBLEM, "theme-delay"),
    ("mastodon", "m1", "c3", "carol", "Is there wifi on the new trains?", QUESTION, "theme-wifi"),
    ("mastodon", "m2", "c4", "alice", "Late once more this morning", PROBLEM, "theme-delay"),
    ("mastodon", "m2", "c5", "dave", "Please add wifi to the regional trains", SUGGESTION, "theme-wifi"),
    ("bluesky", "b1", "c6", "erin", "My train was delayed an hour", PROBLEM, "theme-delay"),
    ("bluesky", "b1", "c7", "frank", "Does the night train have wifi?", QUESTION, "theme-wifi"),
    ("bluesky", "b1", "c8", "gina", "Any wifi plans for the coastal line?", QUESTION, "theme-wifi"),
]


@pytest.fixture
def api(store):
    records = [PostRecord(p, pid, "brand", f"How was your trip? ({pid})", T0, ours=True)
               for p, pid in (("mastodon", "m1"), ("mastodon", "m2"), ("bluesky", "b1"))]
    records += [CommentRecord(p, cid, post, who, text, T0 + timedelta(hours=i))
                for i, (p, post, cid, who, text, _, _) in enumerate(SAID)]
    store.write_records(records)
    label(store, {cid: (*labels, theme) for _, _, cid, _, _, labels, theme in SAID})
    return Sounding(store=store)


def rows(frame, segment):
    return frame[frame["segment"] == segment].set_index("theme")


def test_by_platform_ranks_within_each_platform_and_says_its_share(api):
    frame = api.lessons(by="platform")
    assert frame["segment"].drop_duplicates().tolist() == ["mastodon", "bluesky"]  # 4 people, then 3
    mastodon, bluesky = rows(frame, "mastodon"), rows(frame, "bluesky")
    assert mastodon["segment_people"].iloc[0] == 4 and bluesky["segment_people"].iloc[0] == 3
    assert mastodon.loc["theme-delay", ["people", "comments"]].tolist() == [2, 3]
    assert mastodon.loc["theme-delay", "share"] == pytest.approx(2 / 3, abs=1e-3)  # alice, bob of alice, bob, erin
    assert bluesky.loc["theme-wifi", "share"] == pytest.approx(2 / 4)
    assert mastodon.index[0] == "theme-delay" and bluesky.index[0] == "theme-wifi"  # the top lesson differs
    assert bluesky.loc["theme-wifi", "dominant_intent"] == "question"
    assert bluesky.loc["theme-wifi", "intents"]["question"] == 2
    assert frame.groupby("segment")["rank"].apply(list).to_dict() == {"bluesky": [1, 2], "mastodon": [1, 2]}
    lesson_ids = api.lessons().set_index("theme")["lesson"]
    assert mastodon.loc["theme-delay", "lesson"] == lesson_ids["theme-delay"]


def test_returning_people_are_those_in_two_or_more_threads(api):
    frame = api.lessons(by="returning")
    returning, first = rows(frame, "returning"), rows(frame, "first-time")
    assert returning["segment_people"].iloc[0] == 1  # alice, on m1 and m2
    assert returning.loc["theme-delay", ["people", "comments"]].tolist() == [1, 2]
    assert "theme-wifi" not in returning.index
    assert first["segment_people"].iloc[0] == 6
    assert first.loc["theme-delay", "people"] == 2 and first.loc["theme-wifi", "people"] == 4


def test_by_post_names_each_thread_as_tally_and_comments_take_it(api):
    frame = api.lessons(by="post", per_segment=1)
    assert set(frame["segment"]) == {"mastodon:m1", "mastodon:m2", "bluesky:b1"}
    assert (frame["rank"] == 1).all()
    top = frame.set_index("segment")
    assert top.loc["mastodon:m1", "theme"] == "theme-delay" and top.loc["bluesky:b1", "theme"] == "theme-wifi"
    assert top.loc["bluesky:b1", "post_text"] == "How was your trip? (b1)"
    assert api.find_post("mastodon:m2").platform_id == "m2"


def test_largest_segments_first_and_an_unknown_segment_is_refused(api):
    # m1 and b1 have 3 people each, m2 two
    assert set(api.lessons(by="post", segments=2)["segment"]) == {"mastodon:m1", "bluesky:b1"}
    with pytest.raises(UsageError):
        api.lessons(by="country")


def test_cli_prints_each_segment_and_json_matches(api):
    runner = CliRunner()
    db = ["--db", api.store.url]
    shown = runner.invoke(app, [*db, "lessons", "--by", "platform"], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert "mastodon" in shown.output and "bluesky" in shown.output
    assert "2 people here (67% of this lesson's people)" in shown.output
    data = json.loads(runner.invoke(app, [*db, "lessons", "--by", "returning", "--json"]).output)
    assert {d["segment"] for d in data} == {"returning", "first-time"}
    assert set(data[0]) >= {"segment", "rank", "lesson", "theme", "people", "share", "score"}
