"""`sounding analyze` end to end on small data with the real offline models."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from sounding import Sounding
from sounding.cli import app
from sounding.records import CommentRecord, PostRecord

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DARK_MODE = [
    "Please add a dark mode, my eyes hurt at night",
    "A dark mode would be amazing",
    "dark theme please!! the white screen is blinding",
    "When is dark mode coming?",
    "Any plans for a dark mode option?",
    "I would love a night mode / dark theme",
    "Dark mode pls, reading in bed is painful",
    "+1 for dark mode",
]
OTHERS = [
    "The app crashes every time I open the settings page",
    "Shipping took three weeks, that is way too slow",
    "Love the new logo, great work team",
    "How do I export my data to a spreadsheet?",
    "My order arrived broken, the box was crushed",
    "Can you add support for Apple Watch?",
    "The price went up again, not happy about it",
    "Thanks for the quick answer yesterday!",
    "Login with Google does not work on Android",
    "Is there a student discount?",
    "The new update made everything slower",
    "Customer support was really kind to me",
]


def thread_records(texts: list[str], start: int = 0, post_id: str = "p1") -> list:
    records = [PostRecord("mastodon", post_id, "brand", "What should we improve next?", T0, ours=True, likes=12)]
    for i, text in enumerate(texts, start=start):
        records.append(CommentRecord("mastodon", f"c{i}", post_id, f"person{i}", text, T0 + timedelta(hours=i)))
    return records


@pytest.fixture
def api(tmp_path):
    api = Sounding(str(tmp_path / "s.db"))
    api.store.write_records(thread_records(DARK_MODE + OTHERS))
    yield api
    api.close()


def test_a_planted_theme_is_found_and_becomes_the_top_lesson(api):
    report = api.analyze()
    assert report.enriched == len(DARK_MODE + OTHERS) + 0  # our own post is not analysed
    themes = api.themes()
    dark = [row for row in themes.itertuples() if "dark" in " ".join(row.top_words[:5]) + row.name]
    assert dark, themes[["theme", "name", "top_words"]]
    assert dark[0].people >= 6
    assert all(any(w in q["text"].lower() for w in ("dark", "night")) for q in dark[0].quotes)
    assert len(dark[0].quotes) == 3
    lessons = api.lessons()
    assert lessons.iloc[0]["theme"] == dark[0].theme
    assert lessons.iloc[0]["title"].startswith(f"{dark[0].people} people")
    comments = api.comments()
    # every comment is in exactly one theme or counted as unclustered (comments() is an outer join,
    # so its length alone proves nothing: compare the themed ones with the themes' own counts)
    themed = comments["theme"].notna()
    assert themed.sum() == themes["comments"].sum() > 0
    assert themed.sum() + themes.attrs["unclustered"] == len(DARK_MODE + OTHERS)
    assert comments.loc[themed, "theme"].value_counts().to_dict() == themes.set_index("theme")["comments"].to_dict()
    assert set(comments["intent"]) <= {"question", "suggestion", "problem", "praise", "other"}
    assert set(comments["sentiment"]) <= {"negative", "neutral", "positive"}


def test_rerun_is_a_no_op_and_theme_ids_are_stable(api, tmp_path):
    api.analyze()
    keys = set(api.themes()["theme"])
    again = api.analyze()
    assert (again.enriched, again.themed, again.new_themes, again.unclustered) == (0, 0, 0, 0)
    assert set(api.themes()["theme"]) == keys
    # a fresh store with the same data gets the same theme ids
    other = Sounding(str(tmp_path / "other.db"))
    other.store.write_records(thread_records(DARK_MODE + OTHERS))
    other.analyze()
    assert set(other.themes()["theme"]) == keys
    other.close()


def test_new_comments_join_existing_themes(api):
    api.analyze()
    before = api.themes()
    dark_key = next(row.theme for row in before.itertuples() if "dark" in " ".join(row.top_words[:5]) + row.name)
    more = ["Dark mode when?? please", "still waiting for the dark theme"]
    api.store.write_records(thread_records(more, start=100, post_id="p2"))
    report = api.analyze()
    assert report.enriched == len(more)
    after = api.themes().set_index("theme")
    assert set(before["theme"]) <= set(after.index)  # old ids kept
    joined = api.comments().set_index("id").loc[["c100", "c101"], "theme"]
    assert (joined == dark_key).all()


def test_unanswered_question_disappears_once_we_reply(api):
    api.analyze()
    open_questions = api.unanswered_questions()
    assert "c11" in set(open_questions["id"])  # "How do I export my data to a spreadsheet?"
    reply = CommentRecord("mastodon", "r1", "c11", "brand", "Settings → Export → CSV", T0 + timedelta(days=2), ours=True)
    api.store.write_records([reply])
    assert "c11" not in set(api.unanswered_questions()["id"])


def test_learning_value_counts_people_questions_and_new_themes(api):
    api.analyze()
    by_post = api.learning_value()
    row = by_post.set_index("post_id").loc["p1"]
    assert row["learning_value"] == row["substantive_people"] + row["questions"] + 2 * row["new_themes"]
    assert row["new_themes"] >= 1 and row["questions"] >= 3 and row["likes"] == 12
    weeks = api.learning_value(by="week")
    assert weeks["learning_value"].sum() >= row["learning_value"]


def test_cli_json_fields(tmp_path, api):
    db = str(tmp_path / "s.db")
    runner = CliRunner()
    assert runner.invoke(app, ["--db", db, "analyze", "--json"]).exit_code == 0
    comments = json.loads(runner.invoke(app, ["--db", db, "comments", "--json", "-n", "0"]).stdout)
    assert set(comments[0]) >= {"id", "text", "sentiment", "intent", "language", "theme"}
    lessons = json.loads(runner.invoke(app, ["--db", db, "lessons", "--json"]).stdout)
    assert set(lessons[0]) >= {"rank", "title", "score", "theme", "people", "comments", "quotes"}
    themes = json.loads(runner.invoke(app, ["--db", db, "themes", "--json"]).stdout)
    assert set(themes[0]) >= {"theme", "name", "top_words", "people", "comments", "quotes"}
    questions = json.loads(runner.invoke(app, ["--db", db, "questions", "--json"]).stdout)
    assert questions and set(questions[0]) >= {"id", "text", "created_at", "thread_id"}
