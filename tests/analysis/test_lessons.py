"""Lessons say what people did: the verb is the members' plurality intent, with the shares; one lesson per topic.

Fixture: the first 420 records of the bundled demo sample (TwACS airline threads, in the repo),
imported and analysed with the real models.
"""

from __future__ import annotations

import gzip
import itertools
import json
from collections import Counter
from importlib.resources import files

import numpy as np
import pytest
from sqlalchemy import select

from sounding import Sounding
from sounding.analysis.lessons import VERBS, headline, plurality
from sounding.analysis.themes import INTENT_PRIORITY, ThemeConfig
from sounding.store.models import Theme


def test_headline_reads_as_the_issue_asks():
    counts = {"problem": 25, "question": 14, "suggestion": 1, "praise": 1, "other": 0}
    assert headline(41, "seats", counts) == "41 people report problems with “seats” (61 % problems, 34 % questions)"
    assert headline(1, "wifi", {"question": 3}, "rising") == "1 person asks about “wifi” (100 % questions); rising this month"


def test_a_tie_goes_to_the_more_actionable_intent():
    assert plurality({"problem": 2, "other": 2, "question": 1}) == "problem"
    assert list(VERBS)[: len(INTENT_PRIORITY)] == list(INTENT_PRIORITY)  # same order as the quote picker


@pytest.fixture(scope="module")
def airline(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("airline")
    sample = files("sounding") / "data/sample/twacs_airlines.jsonl.gz"
    with gzip.open(sample.open("rb"), "rt", encoding="utf-8") as f:
        lines = list(itertools.islice(f, 420))
    path = tmp / "sample.jsonl"
    path.write_text("".join(lines))
    api = Sounding(str(tmp / "airline.db"))
    api.import_file(path)
    api.analyze()
    yield api
    api.close()


def test_each_headline_verb_is_the_plurality_intent_of_its_members(airline):
    lessons = airline.lessons()
    comments = airline.comments()
    assert len(lessons) >= 5
    for row in lessons.itertuples():
        members = comments[comments["theme"] == row.theme]
        counts = Counter(members["intent"])
        top = plurality(counts)
        assert row.dominant_intent == top
        assert f" {VERBS[top]} “" in row.title, (row.title, dict(counts))
        share = round(100 * counts[top] / len(members))
        assert f"({share} % " in row.title
        by_text = dict(zip(members["text"], members["intent"], strict=False))
        plural = members.loc[members["intent"] == top, "text"].str.lower().str.split().str.join(" ").nunique()
        # quotes come from members who did what the headline says (others only to fill up to three)
        agree = sum(by_text.get(quote["text"], top) == top for quote in row.quotes)
        assert agree >= min(plural, 3), (row.title, [q["text"] for q in row.quotes])


def test_no_two_top_lessons_are_the_same_topic(airline):
    top = airline.lessons().head(10)
    assert top["name"].is_unique
    with airline.store.engine.connect() as conn:
        rows = dict(conn.execute(select(Theme.key, Theme.centroid)).all())
    C = np.vstack([np.frombuffer(rows[key], dtype=np.float32) for key in top["theme"]])
    C = C / np.linalg.norm(C, axis=1, keepdims=True)
    S = C @ C.T
    np.fill_diagonal(S, 0)
    assert S.max() < ThemeConfig().dedupe_threshold


def test_names_are_one_topic_phrase(airline):
    for name in airline.lessons()["name"]:
        assert "/" not in name and 1 <= len(name.split()) <= 3
