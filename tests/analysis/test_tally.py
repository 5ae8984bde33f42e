"""`sounding tally`: options found in a post's text, replies read by meaning, one vote per person."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from sounding import Sounding
from sounding.analysis.tally import find_options, literal_vote
from sounding.cli import app
from sounding.errors import NotFoundError, UsageError
from sounding.records import CommentRecord, PollRecord, PostRecord

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
QUESTION = "We're planning the next release. Which should we build next: dark mode, widgets or offline sync?"
OPTIONS = ["dark mode", "widgets", "offline sync"]


@pytest.mark.parametrize(
    ("text", "options"),
    [
        (QUESTION, OPTIONS),
        ("Do you prefer tea or coffee?", ["tea", "coffee"]),
        ("Landing at 7:40, which is better — the bus or a taxi?", ["the bus", "a taxi"]),
        ("A, B or C?", ["A", "B", "C"]),
        ("Which logo do you like best: 1, 2 or 3?", ["1", "2", "3"]),
        ("Trial length: 3, 7 or 14 days? Tell us", ["3", "7", "14 days"]),
        ("Vote! Option 1 or option 2?", ["Option 1", "Option 2"]),
        ("option a: pizza, option b: tacos, option c: sushi. Go!", ["pizza", "tacos", "sushi"]),
        ("New logo! Which one?\n1. Blue wave\n2. Red circle\n3. Green leaf", ["Blue wave", "Red circle", "Green leaf"]),
        ("Next flavour?\nA) Hazelnut\nB) Vanilla\nC) Caramel", ["Hazelnut", "Vanilla", "Caramel"]),
        ("(A) blue logo or (B) red logo?", ["blue logo", "red logo"]),
        ("Reply 🔥 for dark mode or 💧 for light mode!", ["dark mode", "light mode"]),
        ("@brand which colour? ❤️ = red, 💙 = blue, 💚 = green", ["red", "blue", "green"]),
        ("Pick one:\n🅰️ Morning delivery\n🅱️ Evening delivery", ["Morning delivery", "Evening delivery"]),
        ("What do you think of our new app?", []),
        ("Plan A was great. Thanks all!", []),
        ("Love it 😍 so happy 🎉 thanks", []),
        ("Tea or coffee or tea?", []),  # the same option twice is no list
    ],
)
def test_options_are_found_in_the_post_text(text, options):
    assert find_options(text)[0] == options


def test_literal_votes_the_shared_mapping_cannot_read():
    texts, markers = find_options("Reply 🔥 for dark mode or 💧 for light mode!")
    assert literal_vote("🔥🔥🔥", texts, markers) == 0
    assert literal_vote("💧 obviously", texts, markers) == 1
    assert literal_vote("🔥 or 💧, can't decide", texts, markers) is None
    days = ["3", "7", "14"]
    assert literal_vote("7", days, [None] * 3) == 1  # not "option 7", which does not exist
    assert literal_vote("I'd say 14, a week is short", days, [None] * 3) == 2
    assert literal_vote("2", ["1", "2", "3"], [None] * 3) is None  # 1..n: left to the shared mapping


def cross_posted() -> list:
    """The same question on three platforms; the expected count is in each reply's comment."""
    hour = timedelta(hours=1)
    r = []
    for platform, pid in (("mastodon", "m1"), ("bluesky", "b1"), ("youtube", "y1")):
        r.append(PostRecord(platform, pid, "brand", QUESTION, T0, ours=True, url=f"https://{platform}.example/{pid}"))
    r += [
        CommentRecord("mastodon", "m-a1", "m1", "alice", "dark mode please!", T0 + hour),  # replaced below
        CommentRecord("mastodon", "m-b", "m1", "bob", "2", T0 + 2 * hour),  # widgets
        CommentRecord("mastodon", "m-c", "m1", "carol", "I'd love a dark theme", T0 + 3 * hour),  # dark (meaning)
        CommentRecord("mastodon", "m-a2", "m1", "alice", "actually widgets, changed my mind", T0 + 4 * hour),
        CommentRecord("mastodon", "m-a3", "m-a2", "alice", "no idea when I'd use it though", T0 + 5 * hour),
        CommentRecord("mastodon", "m-d", "m1", "dave", "either is fine", T0 + 5 * hour),  # no option
        CommentRecord("mastodon", "m-e", "m-b", "erin", "offline sync for me", T0 + 6 * hour),  # nested: offline
        CommentRecord("mastodon", "m-us", "m1", "brand", "Thanks all, dark mode it is?", T0 + 7 * hour, ours=True),
        CommentRecord("bluesky", "b-f", "b1", "frank", "@brand option 3", T0 + hour),  # offline
        CommentRecord("bluesky", "b-g", "b1", "gina", "sync my notes offline please", T0 + 2 * hour),  # offline
        CommentRecord("bluesky", "b-a", "b1", "alice", "Dark mode", T0 + 3 * hour),  # another person: dark
        CommentRecord("youtube", "y-h", "y1", "henry", "Widgets!!", T0 + hour),  # widgets
        CommentRecord("youtube", "y-i1", "y1", "ivan", "B", T0 + 2 * hour),  # widgets, once
        CommentRecord("youtube", "y-i2", "y1", "ivan", "B", T0 + 3 * hour),
        CommentRecord("youtube", "y-j", "y1", "jack", "make it black at night pls", T0 + 4 * hour),  # dark
    ]
    return r


@pytest.fixture
def api(store):
    store.write_records(cross_posted())
    return Sounding(store=store)


def test_a_cross_posted_question_counts_one_vote_per_person(api):
    result = api.tally(["mastodon:m1", "bluesky:b1", "https://youtube.example/y1"])
    data = result.to_dict()
    assert result.options == OPTIONS
    votes = {o["option"]: o["votes"] for o in data["options"]}
    assert votes == {"dark mode": 3, "widgets": 4, "offline sync": 3}  # carol, alice@bluesky, jack | ...
    assert data["by_platform"]["mastodon"]["reply_votes"] == [1, 2, 1]  # alice's latest vote is widgets
    assert data["by_platform"]["bluesky"]["reply_votes"] == [1, 0, 2]
    assert data["by_platform"]["youtube"]["reply_votes"] == [1, 2, 0]  # ivan twice = once
    assert data["other"]["people"] == 1  # dave
    assert data["replies_read"] == 14  # every audience reply at any depth, never ours
    counted = {a["id"] for a in data["answers"]}
    assert "m-a2" in counted and "m-a1" not in counted and "m-a3" not in counted
    best = max(data["options"], key=lambda o: o["p_most_preferred"])
    assert best["option"] == "widgets" and 0 < best["share_ci_low"] < best["share"] < best["share_ci_high"] < 1
    assert sum(o["p_most_preferred"] for o in data["options"]) == pytest.approx(1, abs=1e-6)


def test_one_post_alone_and_options_given_by_hand(api):
    alone = api.tally("bluesky:b1").to_dict()
    assert [o["votes"] for o in alone["options"]] == [1, 0, 2]
    given = api.tally("youtube:y1", options=["widgets", "dark mode"]).to_dict()
    # letters follow the options as given: "B" is now dark mode
    assert {o["option"]: o["votes"] for o in given["options"]} == {"widgets": 1, "dark mode": 2}


def test_a_post_without_options_or_a_missing_post_is_a_clear_error(store):
    store.write_records([PostRecord("mastodon", "q", "brand", "How was your weekend?", T0, ours=True)])
    api = Sounding(store=store)
    with pytest.raises(UsageError, match="no options"):
        api.tally("mastodon:q")
    with pytest.raises(UsageError, match="repeat"):
        api.tally("mastodon:q", options=["Tea", "tea"])
    with pytest.raises(NotFoundError):
        api.tally("mastodon:nope")


def test_the_audience_authors_own_replies_are_not_votes(store):
    store.write_records([
        PostRecord("bluesky", "p", "zoe", "Help me choose: the red bike or the blue bike?", T0),
        CommentRecord("bluesky", "z1", "p", "zoe", "I lean red bike myself", T0 + timedelta(hours=1)),
        CommentRecord("bluesky", "k1", "p", "kim", "blue bike, no contest", T0 + timedelta(hours=2)),
    ])
    data = Sounding(store=store).tally("bluesky:p").to_dict()
    assert {o["option"]: o["votes"] for o in data["options"]} == {"the red bike": 0, "the blue bike": 1}


def test_a_native_poll_gives_the_options_and_adds_its_votes(store):
    store.write_records([
        PostRecord("mastodon", "poll", "brand", "Your morning drink?", T0, ours=True),
        PollRecord("mastodon", "poll", ["Tea", "Coffee"], [5, 3], T0 + timedelta(hours=1)),
        PollRecord("mastodon", "poll", ["Tea", "Coffee"], [6, 3], T0 + timedelta(hours=2)),  # the latest counts
        CommentRecord("mastodon", "r1", "poll", "ann", "coffee, always", T0 + timedelta(minutes=5)),
        CommentRecord("mastodon", "r2", "poll", "ben", "Coffee!", T0 + timedelta(minutes=6)),
    ])
    data = Sounding(store=store).tally("mastodon:poll").to_dict()
    assert [(o["option"], o["poll_votes"], o["reply_votes"]) for o in data["options"]] == [
        ("Tea", 6, 0), ("Coffee", 3, 2)]


def test_cli_tally_prints_counts_and_json(api):
    runner = CliRunner()
    db = ["--db", api.store.url]
    shown = runner.invoke(app, [*db, "tally", "mastodon:m1", "bluesky:b1", "youtube:y1"], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert "one vote per person" in shown.output and "widgets" in shown.output
    table = {line.split()[0]: line.split() for line in shown.output.splitlines() if line.strip().startswith("widgets")}
    assert table["widgets"][1] == "4"
    data = json.loads(runner.invoke(app, [*db, "tally", "mastodon:m1", "--json"]).stdout)
    assert [o["votes"] for o in data["options"]] == [1, 2, 1] and "question_id" not in data
