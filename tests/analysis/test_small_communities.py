"""A small brand: 3 posts, 60 replies from 41 people. Recurring topics must become themes and lessons.

The fixture (``data/coffee_brand.jsonl``, written for this test) has a ``topic`` field per reply
that the importer ignores: 4 "pods jammed" reports, 3 late deliveries, 3 questions each about decaf,
compostable pods and the subscription, 4 praises of the taste, one person's password trouble said
three times, and 37 one-off comments. The whole pipeline runs (import, real models, themes, lessons).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sounding import Sounding
from sounding.errors import NotReadyError
from sounding.analysis.themes import fit_themes

FIXTURE = Path(__file__).parent / "data" / "coffee_brand.jsonl"


@pytest.fixture(scope="module")
def coffee(tmp_path_factory):
    api = Sounding(str(tmp_path_factory.mktemp("coffee") / "coffee.db"))
    report = api.import_file(FIXTURE)
    assert report.rejected == 0 and report.new["comments"] == 60
    api.analyze()
    topics = {}
    for line in FIXTURE.read_text().splitlines():
        row = json.loads(line)
        if row["kind"] == "comment":
            topics[row["id"]] = row["topic"]
    comments = api.comments().set_index("id")
    comments["topic"] = [topics[i] for i in comments.index]
    yield api, comments
    api.close()


def theme_of(comments, topic: str, purity: float):
    """The theme holding >= 3 of the topic's comments where they are >= ``purity`` of its members."""
    for theme, members in comments.dropna(subset=["theme"]).groupby("theme"):
        hits = int((members["topic"] == topic).sum())
        if hits >= 3 and hits >= purity * len(members):
            return theme
    return None


def test_issue_scenario_has_41_people():
    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    replies = [r for r in rows if r["kind"] == "comment"]
    assert len([r for r in rows if r["kind"] == "post"]) == 3
    assert len(replies) == 60 and len({r["author"] for r in replies}) == 41


@pytest.mark.parametrize("topic", ["jam", "decaf", "compost", "sub"])
def test_recurring_topics_become_themes(coffee, topic):
    _, comments = coffee
    assert theme_of(comments, topic, purity=2 / 3) is not None, topic


def test_late_deliveries_are_one_theme(coffee):
    """All three late deliveries share a theme, and they are most of it (delivery chit-chat may join)."""
    _, comments = coffee
    assert theme_of(comments, "late", purity=0.5) is not None


def test_one_persons_topic_stays_unclustered(coffee):
    _, comments = coffee
    solo = comments[comments["topic"] == "solo"]
    assert solo["theme"].isna().all()


def test_lessons_name_the_recurring_topics(coffee):
    api, comments = coffee
    lessons = api.lessons()
    assert len(lessons) >= 5
    for topic in ("jam", "late", "decaf", "compost", "sub"):
        theme = theme_of(comments, topic, purity=0.5)
        assert theme in set(lessons["theme"]), topic
    assert (lessons["people"] >= 2).all() and (lessons["comments"] >= 3).all()


def test_no_lessons_says_why(tmp_path):
    api = Sounding(str(tmp_path / "few.db"))
    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    few = [r for r in rows if r["kind"] == "post" or r.get("topic") == "single"][:15]
    path = tmp_path / "few.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in few))
    with pytest.raises(NotReadyError):  # before any analysis: "run sounding analyze" (exit 5 on the CLI)
        api.lessons()
    api.import_file(path)
    api.analyze()
    lessons = api.lessons()
    if lessons.empty:  # twelve unrelated one-off comments: no recurring topic
        why = lessons.attrs["why_empty"]
        assert why.startswith("No recurring topic yet: 12 comments analysed") and "analyze" not in why
    api.close()


def test_a_topic_said_by_one_person_is_no_theme():
    """Three texts on one topic: a theme when three people say it, unclustered when one person does."""
    from sounding.analysis.embed import embed

    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    background = [r["text"] for r in rows if r.get("topic") == "single"]
    password = [r["text"] for r in rows if r.get("topic") == "solo"]
    texts = password + background
    E = embed(texts)
    others = [f"fan-{i}" for i in range(len(background))]
    alone = fit_themes(E, texts, authors=["solo"] * 3 + others).labels
    assert (alone[:3] == -1).all()
    shared = fit_themes(E, texts, authors=["a", "b", "c"] + others).labels
    assert shared[0] >= 0 and len(set(shared[:3].tolist())) == 1
