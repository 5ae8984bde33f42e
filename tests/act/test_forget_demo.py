"""`sounding forget` on the demo store: the person's words and handle are nowhere in the database
file (after VACUUM) or the caches, and the lessons still add up."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import func, select, union_all

from sounding.api import Sounding
from sounding.store.models import Comment, Lesson, Person, Post, ThemeMember
from sounding.web import pages
from sounding.web.app import Cache


def _audience(conn):
    """Every audience item (comment or post) with its theme: the rows lessons are counted from."""
    items = union_all(*(select(m.author, m.text_hash).where(m.ours.is_(False)) for m in (Comment, Post))).subquery()
    return (select(items.c.author, items.c.text_hash, ThemeMember.theme_id)
            .join(ThemeMember, ThemeMember.text_hash == items.c.text_hash).subquery())


def _pick(conn, warm: str) -> tuple[str, str, str, list[str], list[str]]:
    """The person with the most audience comments in a lesson's themes whose words are theirs alone,
    preferring one the warmed caches quote (so the cache check has something to miss)."""
    a = _audience(conn)
    ranked = conn.execute(select(a.c.author, func.count()).where(a.c.theme_id.in_(select(Lesson.theme_id)))
                          .group_by(a.c.author).order_by(func.count().desc(), a.c.author)).all()
    found = []
    for author, _ in ranked:
        texts = [t for m in (Comment, Post) for t in conn.execute(
            select(m.text).where(m.author == author, m.ours.is_(False))).scalars()]
        hashes = [h for m in (Comment, Post) for h in conn.execute(
            select(m.text_hash).where(m.author == author, m.ours.is_(False))).scalars()]
        others = conn.execute(select(func.count()).select_from(Comment).where(
            Comment.text_hash.in_(hashes), Comment.author != author)).scalar()
        comments = conn.execute(select(func.count()).select_from(Comment).where(
            Comment.author == author, Comment.ours.is_(False))).scalar()
        if comments >= 3 and not others and all(len(t) >= 25 for t in texts):
            person = conn.execute(select(Person.platform, Person.handle).where(Person.pseudonym == author)).one()
            found.append((author, person.platform, person.handle, texts, hashes))
    assert found, "no one in the demo store writes several comments in a lesson"
    return next((f for f in found if any(t in warm for t in f[3])), found[0])


def _lessons_add_up(conn) -> dict[int, tuple[int, int]]:
    """Each lesson's people and comments equal a fresh count of its theme's members; returns them."""
    a = _audience(conn)
    fresh = {t: (p, c) for t, p, c in conn.execute(
        select(a.c.theme_id, func.count(func.distinct(a.c.author)), func.count()).group_by(a.c.theme_id))}
    stored = {t: (e["people"], e["comments"]) for t, e in conn.execute(select(Lesson.theme_id, Lesson.evidence))}
    assert stored, "the demo store has lessons"
    for theme, counts in stored.items():
        assert counts == fresh[theme], (theme, counts, fresh[theme])
    return stored


def test_forget_on_the_demo_store_leaves_no_trace(demo_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDING_HOME", str(tmp_path / "home"))  # error logs and other files go here
    api = Sounding(demo_copy)
    cache = Cache(api)
    warm = repr([pages.lessons(api, cache), pages.themes(api, cache), pages.overview(api, cache)])
    with api.store.engine.connect() as conn:
        author, platform, handle, texts, hashes = _pick(conn, warm)
        lessons_before = _lessons_add_up(conn)
        a = _audience(conn)
        theirs = dict(conn.execute(select(a.c.theme_id, func.count()).where(a.c.author == author)
                                   .group_by(a.c.theme_id)).all())
        totals = [conn.execute(select(func.count()).select_from(m)).scalar() for m in (Comment, Post)]
    assert any(t in warm for t in texts), "the caches quote the person before they are forgotten"

    receipt = api.act.forget(f"{platform}:{handle}")
    assert receipt["person"] == author and receipt["comments"] >= 3

    with api.store.engine.connect() as conn:
        lessons_after = _lessons_add_up(conn)
        assert not conn.execute(select(ThemeMember.text_hash).where(ThemeMember.text_hash.in_(hashes))).all()
        after = [conn.execute(select(func.count()).select_from(m)).scalar() for m in (Comment, Post)]
    assert after[0] == totals[0] - receipt["comments"] and after[1] == totals[1] - receipt["posts"]
    for theme, (people, comments) in lessons_before.items():  # each lesson lost exactly them, and nothing else
        if theme in lessons_after:
            gone = theirs.get(theme, 0)
            assert lessons_after[theme] == (people - (1 if gone else 0), comments - gone)
    assert set(lessons_after) <= set(lessons_before)

    time.sleep(1.1)  # the web cache looks at the analysis stamp at most once a second
    served = repr([pages.lessons(api, cache), pages.themes(api, cache), pages.overview(api, cache)])
    for needle in (*texts, handle, author):
        assert needle not in served, needle
    api.close()

    folder = Path(demo_copy.removeprefix("sqlite:///")).parent
    files = [p for p in [*folder.rglob("*"), *(tmp_path / "home").rglob("*")] if p.is_file()]
    assert any(p.name == "copy.db" for p in files)
    for path in files:
        data = path.read_bytes()
        for needle in (*texts, handle, author):
            assert needle.encode() not in data, (needle, path)
