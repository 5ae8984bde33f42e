"""Decisions: linked to lessons and comments, a dated status history, the lessons still waiting."""

from __future__ import annotations

import pytest

from sounding.act import decisions
from sounding.errors import ConflictError, NotFoundError, UsageError


def _lesson(api, theme_name: str) -> int:
    frame = api.lessons(quotes=False)
    return int(frame.loc[frame["theme_name"] == theme_name, "lesson"].iloc[0]) if "theme_name" in frame else \
        int(frame.loc[frame["title"].str.contains(theme_name), "lesson"].iloc[0])


def test_a_decision_links_the_people_of_its_lesson_across_platforms(community):
    api, _ = community
    lesson = _lesson(api, "dark mode")
    made = decisions.decide(api.store, "Add dark mode", lessons=[lesson], author="pm@brand")
    assert made["status"] == "planned"
    assert made["people"] == 4  # ana (twice), ben, cleo, dev
    assert made["evidence"] == 5
    assert made["threads"] == 2
    assert made["platforms"] == ["bluesky", "mastodon"]
    assert [e["status"] for e in made["events"]] == ["planned"]


def test_status_changes_are_dated_with_author_and_note(community):
    api, _ = community
    d = decisions.decide(api.store, "Add dark mode", lessons=[_lesson(api, "dark mode")])
    decisions.set_status(api.store, d["id"], "started", author="dev@brand")
    shipped = decisions.set_status(api.store, d["id"], "shipped", author="pm@brand", note="Settings > Display")
    assert [e["status"] for e in shipped["events"]] == ["planned", "started", "shipped"]
    assert shipped["events"][-1]["author"] == "pm@brand"
    assert shipped["events"][-1]["note"] == "Settings > Display"
    assert shipped["shipped_at"] is not None
    with pytest.raises(ConflictError):
        decisions.set_status(api.store, d["id"], "started")  # shipped -> started is not a move
    reopened = decisions.set_status(api.store, d["id"], "planned", note="rolled back")
    assert reopened["shipped_at"] is None


def test_undecided_lessons_are_the_top_lessons_nobody_answered(community):
    api, _ = community
    before = {row["lesson"] for row in decisions.undecided_lessons(api.store)}
    assert len(before) == 2
    decisions.decide(api.store, "Add dark mode", lessons=[_lesson(api, "dark mode")])
    after = decisions.undecided_lessons(api.store)
    assert [row["lesson"] for row in after] == [_lesson(api, "login")]


def test_a_comment_can_be_linked_by_platform_id(community):
    api, _ = community
    d = decisions.decide(api.store, "Fix login", comments=["bluesky:at://brand/post/1/l0"])
    assert d["people"] == 1 and d["comments"]


def test_bad_references_are_clear_errors(community):
    api, _ = community
    with pytest.raises(NotFoundError):
        decisions.decide(api.store, "X", lessons=[999])
    with pytest.raises(NotFoundError):
        decisions.decide(api.store, "X", comments=["bluesky:nope"])
    with pytest.raises(UsageError):
        decisions.decide(api.store, "   ")
    with pytest.raises(UsageError):
        decisions.decide(api.store, "X", lessons=["dark"])
    with pytest.raises(NotFoundError):
        decisions.set_status(api.store, 12345, "shipped")


def test_lessons_recomputed_keep_the_decision_s_people(community):
    from datetime import UTC, datetime

    from sounding.analysis import lessons

    api, _ = community
    d = decisions.decide(api.store, "Add dark mode", lessons=[_lesson(api, "dark mode")])
    lessons.refresh_lessons(api.store, "test-labels", datetime(2026, 4, 1, tzinfo=UTC))
    assert decisions.get(api.store, d["id"])["people"] == 4
