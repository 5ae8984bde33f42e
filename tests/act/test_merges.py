"""Merging a lesson into another: distinct people, decisions and replies follow, undone exactly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sounding import Sounding
from sounding.act import decisions, merges, tell
from sounding.errors import ConflictError, NotFoundError, UsageError
from sounding.records import CommentRecord, PostRecord
from sounding.store.models import Lesson, LessonMerge, Theme, ThemeMember
from sounding.store.writer import pseudonym
from tests.act.conftest import DARK, LOGIN, T0
from tests.analysis.labelled_store import label


@pytest.fixture
def overlap(store):
    """Dark mode (ana, ben, cleo, dev; 4 comments) and login (eli, fay, gus and ben again; 4 comments).

    Ben is one person on bluesky behind both lessons: a merge counts him once.
    """
    records = [PostRecord("bluesky", "p1", "brand", "What should we build next?", T0, ours=True),
               PostRecord("mastodon", "m1", "brand", "Tell us what to improve!", T0, ours=True)]
    labels = {}
    for i, (who, text) in enumerate(DARK):
        post = "p1" if i < 2 else "m1"
        records.append(CommentRecord("bluesky" if i < 2 else "mastodon", f"d{i}", post, who, text,
                                     T0 + timedelta(hours=i)))
        labels[f"d{i}"] = ("suggestion", "neutral", "theme-dark-mode")
    for i, (who, text) in enumerate(LOGIN):
        records.append(CommentRecord("mastodon", f"l{i}", "m1", who, text, T0 + timedelta(hours=10 + i)))
        labels[f"l{i}"] = ("problem", "negative", "theme-login")
    for i, (who, text) in enumerate([("ben", "And the login page times out for me")], len(LOGIN)):
        records.append(CommentRecord("bluesky", f"l{i}", "p1", who, text, T0 + timedelta(hours=10 + i)))
        labels[f"l{i}"] = ("problem", "negative", "theme-login")
    store.write_records(records)
    themes = label(store, labels)
    api = Sounding(store=store)
    with store.engine.connect() as conn:
        lesson = dict(conn.execute(select(Theme.key, Lesson.id).join(Lesson, Lesson.theme_id == Theme.id)).all())
    return api, lesson["theme-dark-mode"], lesson["theme-login"], themes


def _lessons(store) -> dict[int, tuple]:
    with store.engine.connect() as conn:
        return {r.id: (r.theme_id, r.title, r.score, r.evidence)
                for r in conn.execute(select(Lesson.id, Lesson.theme_id, Lesson.title, Lesson.score, Lesson.evidence))}


def _members(store) -> dict[str, int | None]:
    with store.engine.connect() as conn:
        return dict(conn.execute(select(ThemeMember.text_hash, ThemeMember.theme_id)).all())


def test_the_survivor_counts_distinct_people_and_unmerge_restores_both(overlap):
    api, dark, login, _ = overlap
    before, members = _lessons(api.store), _members(api.store)
    assert before[dark][3]["people"] == 4 and before[login][3]["people"] == 4
    m = api.act.merge_lesson(login, dark, author="pm@brand", note="same complaint, really")
    assert m["active"] and m["survivor"] == dark and m["people"] == 7  # ben once: 4 + 4 - 1, not 8
    after = _lessons(api.store)
    assert set(after) == {dark}
    assert after[dark][3]["people"] == 7 and after[dark][3]["comments"] == 8
    assert "7 people" in after[dark][1]
    assert api.lessons(quotes=False)["people"].tolist() == [7]
    back = api.act.unmerge_lesson(login, author="lead@brand")
    assert not back["active"] and back["lesson_now"] == login
    assert _members(api.store) == members
    restored = _lessons(api.store)
    assert restored == before  # same ids, titles, scores and evidence
    with api.store.engine.connect() as conn:
        assert conn.execute(select(Theme.merged_into).where(Theme.id == before[login][0])).scalar() is None


def test_decisions_and_replies_follow_the_survivor(overlap):
    api, dark, login, _ = overlap
    fix = api.act.decide("Fix login", lessons=[login])
    dark_mode = api.act.decide("Dark mode", lessons=[dark])
    assert fix["people"] == 4 and dark_mode["people"] == 4
    api.act.merge_lesson(login, dark)
    followed = api.act.decision(fix["id"])
    assert [(x["lesson"], x["merged_from"]) for x in followed["lessons"]] == [(dark, [fix["lessons"][0]["theme"]])]
    assert followed["people"] == 7
    api.act.set_status(dark_mode["id"], "shipped")
    drafts = api.act.draft(dark_mode["id"])
    told = {p for d in drafts for p in d["people"]}
    everyone = {pseudonym(api.store.salt, p, who) for p, who in
                [("bluesky", "ana"), ("bluesky", "ben"), ("mastodon", "cleo"), ("mastodon", "dev"),
                 ("mastodon", "eli"), ("mastodon", "fay"), ("mastodon", "gus")]}
    assert told == everyone  # the login people are told about the survivor's decision too
    assert len(tell.threads(api.store, dark_mode["id"])) == 2
    api.act.unmerge_lesson(login)
    assert api.act.decision(fix["id"])["people"] == 4
    assert api.act.decision(dark_mode["id"])["people"] == 4
    assert [x["lesson"] for x in api.act.decision(fix["id"])["lessons"]] == [login]


def test_the_waiting_lessons_respect_merges(overlap):
    api, dark, login, _ = overlap
    api.act.decide("Fix login", lessons=[login])
    assert [u["lesson"] for u in api.act.undecided()] == [dark]
    api.act.merge_lesson(dark, login)  # the lesson with a decision survives
    assert api.act.undecided() == []
    api.act.unmerge_lesson(dark)
    api.act.merge_lesson(login, dark)  # the lesson with a decision is merged: its decision covers the survivor
    assert api.act.undecided() == []
    api.act.unmerge_lesson(login)
    assert [u["lesson"] for u in api.act.undecided()] == [dark]


def test_a_merge_survives_sounding_analyze(overlap):
    from sounding.analysis import themes_step

    import numpy as np
    from sqlalchemy import update

    from sounding.analysis import embed

    api, dark, login, themes = overlap
    texts = {"theme-dark-mode": [t for _, t in DARK], "theme-login": [t for _, t in LOGIN]}
    with api.store.transaction() as conn:  # centroids as analysis leaves them (the labelled themes have none)
        for key, theme in themes.items():
            centroid = np.asarray(embed.embed_fast(texts[key]), dtype=np.float32).mean(axis=0)
            conn.execute(update(Theme).where(Theme.id == theme).values(centroid=centroid.tobytes(), size=4))
    api.act.merge_lesson(login, dark)
    api.store.write_records([CommentRecord("mastodon", "l9", "m1", "hal", "I cannot log in, the login fails",
                                           T0 + timedelta(days=1))])
    report = api.analyze(mode="fast")  # real models: every text again (a new version), themes, lessons
    assert report.enriched == 9
    assert set(_lessons(api.store)) == {dark}
    assert _lessons(api.store)[dark][3]["people"] >= 7
    loaded, ids = themes_step._load_themes(api.store)  # what the next analysis clusters against
    assert themes["theme-login"] not in ids and themes["theme-dark-mode"] in ids
    api.act.unmerge_lesson(login)
    assert set(_lessons(api.store)) == {dark, login}


def test_history_says_who_merged_and_unmerged_when(overlap):
    api, dark, login, _ = overlap
    api.act.merge_lesson(login, dark, author="pm@brand", note="duplicates")
    api.act.unmerge_lesson(login, author="lead@brand", note="not the same")
    api.act.merge_lesson(login, dark, author="pm@brand")
    rows = api.act.lesson_merges()
    assert [(r["active"], r["merged_by"], r["unmerged_by"]) for r in rows] == [
        (True, "pm@brand", None), (False, "pm@brand", "lead@brand")]
    assert rows[1]["note"] == "duplicates" and rows[1]["unmerge_note"] == "not the same"
    assert rows[1]["merged_at"] <= rows[1]["unmerged_at"] <= rows[0]["merged_at"]


def test_chained_merges_undo_in_any_order(overlap):
    api, dark, login, themes = overlap
    api.store.write_records([CommentRecord("bluesky", f"s{i}", "p1", who, f"Seats are too narrow, {who} here", T0)
                             for i, who in enumerate(["ivy", "jon", "kai"])])
    label_ids = label(api.store, {f"s{i}": ("problem", "negative", "theme-seats") for i in range(3)})
    with api.store.engine.connect() as conn:
        seats = conn.execute(select(Lesson.id).where(Lesson.theme_id == label_ids["theme-seats"])).scalar()
    before, members = _lessons(api.store), _members(api.store)
    api.act.merge_lesson(seats, login)
    api.act.merge_lesson(login, dark)
    assert _lessons(api.store)[dark][3]["people"] == 10
    api.act.unmerge_lesson(seats)  # the first merge, while the second still stands
    assert _lessons(api.store)[dark][3]["people"] == 7
    api.act.unmerge_lesson(login)
    assert _members(api.store) == members and _lessons(api.store) == before


def test_forgetting_someone_in_a_merged_lesson_leaves_no_hash_to_give_back(overlap):
    from sounding.store.models import LessonMergeMember

    api, dark, login, _ = overlap
    api.act.merge_lesson(login, dark)
    api.act.forget("mastodon:eli")
    with api.store.engine.connect() as conn:
        kept = set(conn.execute(select(LessonMergeMember.text_hash)).scalars())
    assert len(kept) == 3  # fay, gus, ben's login comment; eli's is gone with her
    api.act.unmerge_lesson(login)
    assert _lessons(api.store)[login][3]["people"] == 3 and _lessons(api.store)[dark][3]["people"] == 4


def test_clear_errors(overlap):
    api, dark, login, _ = overlap
    with pytest.raises(NotFoundError, match="no lesson 999"):
        merges.merge(api.store, 999, dark)
    with pytest.raises(NotFoundError, match="no lesson 999"):
        merges.merge(api.store, dark, 999)
    with pytest.raises(UsageError, match="into itself"):
        merges.merge(api.store, dark, dark)
    with pytest.raises(UsageError, match="by its number"):
        merges.merge(api.store, "dark", login)
    with pytest.raises(ConflictError, match="not merged"):
        merges.unmerge(api.store, dark)
    with pytest.raises(NotFoundError, match="no merged lesson 999"):
        merges.unmerge(api.store, 999)
    merges.merge(api.store, login, dark)
    with pytest.raises(ConflictError, match="cycle"):
        merges.merge(api.store, dark, login)
    with pytest.raises(ConflictError, match="already merged into lesson"):
        merges.merge(api.store, login, dark)
    with api.store.engine.connect() as conn:
        assert len(conn.execute(select(LessonMerge.id)).all()) == 1  # the refused merges left nothing behind


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)  # the CLI is the same on both stores
def test_cli_merge_unmerge_and_one_line_errors(overlap, store_url):
    import json

    from typer.testing import CliRunner

    from sounding.cli import app

    api, dark, login, _ = overlap
    runner = CliRunner()
    ok = runner.invoke(app, ["--db", store_url, "lesson", "merge", str(login), str(dark), "--author", "pm", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["people"] == 7
    listed = runner.invoke(app, ["--db", store_url, "lesson", "merges"])
    assert f"lesson {login} → lesson {dark}" in listed.output and "merged" in listed.output
    for args in (["lesson", "merge", str(dark), str(login)], ["lesson", "merge", str(dark), str(dark)],
                 ["lesson", "merge", "999", str(dark)], ["lesson", "unmerge", str(dark)]):
        bad = runner.invoke(app, ["--db", store_url, *args])
        assert bad.exit_code != 0
        assert len(bad.output.strip().splitlines()) == 1, bad.output
        assert "Traceback" not in bad.output
    back = runner.invoke(app, ["--db", store_url, "lesson", "unmerge", str(login)])
    assert back.exit_code == 0 and "unmerged" in back.output and f"lesson {login} again" in back.output
