"""Decisions linked to the lessons and comments behind them, with a dated status history.

The model follows what feedback tools share (an item, status changes, linked requests): a decision
is ``planned`` → ``started`` → ``shipped``, or ``declined``; every change is an event with a date,
an author and an optional public note. Links point at themes (a lesson's theme id is stable across
analysis runs) or single comments, so a decision keeps its people when lessons are recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update

from sounding.act.merges import survivors
from sounding.errors import ConflictError, NotFoundError, UsageError
from sounding.store import Store
from sounding.store.models import Comment, Decision, DecisionEvent, DecisionLink, Lesson, Post, Theme, ThemeMember

STATUSES = ("planned", "started", "shipped", "declined")
#: the moves a decision may make; a closed one can be reopened (``planned``) with a note saying why
NEXT = {
    "planned": {"started", "shipped", "declined"},
    "started": {"shipped", "declined", "planned"},
    "shipped": {"planned"},
    "declined": {"planned"},
}


def _now(at: datetime | None) -> datetime:
    at = at or datetime.now(UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _lesson_theme(conn, lesson: int | str) -> tuple[int, str]:
    try:
        lesson_id = int(str(lesson).removeprefix("lesson:"))
    except ValueError:
        raise UsageError(f"a lesson is named by its number (see `sounding lessons`), not {lesson!r}") from None
    row = conn.execute(select(Lesson.theme_id, Lesson.title).where(Lesson.id == lesson_id)).first()
    if row is None or row.theme_id is None:
        raise NotFoundError(f"no lesson {lesson_id} (see `sounding lessons`)")
    return int(row.theme_id), row.title


def comment_id(conn, ref: int | str) -> int:
    """A comment's store id from its store id or ``platform:platform_id``."""
    text = str(ref).strip()
    if text.isdigit() and len(text) < 19:
        found = conn.execute(select(Comment.id).where(Comment.id == int(text))).scalar()
    else:
        platform, _, platform_id = text.partition(":")
        found = conn.execute(
            select(Comment.id).where(Comment.platform == platform, Comment.platform_id == platform_id)
        ).scalar()
    if found is None:
        raise NotFoundError(f"no comment {text!r} (see `sounding comments`)")
    return int(found)


def decide(
    store: Store,
    title: str,
    *,
    lessons: Sequence[int | str] = (),
    comments: Sequence[int | str] = (),
    description: str | None = None,
    author: str | None = None,
    note: str | None = None,
    status: str = "planned",
    at: datetime | None = None,
) -> dict[str, Any]:
    """Record a decision linked to lessons and/or comments; returns it as :func:`get` does."""
    title = " ".join((title or "").split())
    if not title:
        raise UsageError("a decision needs a title, e.g. sounding decide \"Add dark mode\" --lesson 3")
    if status not in STATUSES:
        raise UsageError(f"unknown status {status!r}; one of: {', '.join(STATUSES)}")
    at = _now(at)
    with store.transaction() as conn:
        themes = [_lesson_theme(conn, lesson) for lesson in lessons]
        comment_ids = [comment_id(conn, ref) for ref in comments]
        decision_id = conn.execute(
            insert(Decision).values(
                title=title, description=description, decided_at=at, status=status, author=author,
                quote_comment_ids=comment_ids or None, shipped_at=at if status == "shipped" else None,
            )
        ).inserted_primary_key[0]
        conn.execute(insert(DecisionEvent).values(decision_id=decision_id, status=status, at=at, author=author,
                                                  note=note))
        links = {(theme, None): title_ for theme, title_ in themes} | {(None, c): None for c in comment_ids}
        for (theme, comment), lesson_title in links.items():
            conn.execute(insert(DecisionLink).values(decision_id=decision_id, theme_id=theme, comment_id=comment,
                                                     lesson_title=lesson_title))
    return get(store, decision_id)


def set_status(
    store: Store, decision_id: int, status: str, *, author: str | None = None, note: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Move a decision to ``status`` (see :data:`NEXT`), recording who, when and the public note."""
    if status not in STATUSES:
        raise UsageError(f"unknown status {status!r}; one of: {', '.join(STATUSES)}")
    at = _now(at)
    with store.transaction() as conn:
        current = conn.execute(select(Decision.status).where(Decision.id == decision_id)).scalar()
        if current is None:
            raise NotFoundError(f"no decision {decision_id} (see `sounding decisions`)")
        if status not in NEXT[current]:
            raise ConflictError(f"decision {decision_id} is {current}; it can move to: {', '.join(sorted(NEXT[current]))}")
        values: dict[str, Any] = {"status": status}
        if status == "shipped":
            values["shipped_at"] = at
        elif status == "planned":
            values["shipped_at"] = None
        conn.execute(update(Decision).where(Decision.id == decision_id).values(**values))
        conn.execute(insert(DecisionEvent).values(decision_id=decision_id, status=status, at=at, author=author,
                                                  note=note))
    return get(store, decision_id)


def link(store: Store, decision_id: int, *, lessons: Iterable[int | str] = (), comments: Iterable[int | str] = ()) -> dict:
    """Link more lessons or comments to a decision (already linked ones are kept once)."""
    with store.transaction() as conn:
        if conn.execute(select(Decision.id).where(Decision.id == decision_id)).scalar() is None:
            raise NotFoundError(f"no decision {decision_id} (see `sounding decisions`)")
        have = {(r.theme_id, r.comment_id) for r in conn.execute(
            select(DecisionLink.theme_id, DecisionLink.comment_id).where(DecisionLink.decision_id == decision_id))}
        for theme, title in (_lesson_theme(conn, lesson) for lesson in lessons):
            if (theme, None) not in have:
                conn.execute(insert(DecisionLink).values(decision_id=decision_id, theme_id=theme, lesson_title=title))
                have.add((theme, None))
        for c in (comment_id(conn, ref) for ref in comments):
            if (None, c) not in have:
                conn.execute(insert(DecisionLink).values(decision_id=decision_id, comment_id=c))
                have.add((None, c))
    return get(store, decision_id)


def evidence_items(store: Store, decision_id: int) -> list[dict[str, Any]]:
    """The audience comments behind a decision: members of its themes plus the comments linked to it.

    One row per comment (not ours), with its thread (root post) and author pseudonym; audience posts
    that are theme members come as their own thread with no parent comment.
    """
    with store.engine.connect() as conn:
        links = conn.execute(
            select(DecisionLink.theme_id, DecisionLink.comment_id).where(DecisionLink.decision_id == decision_id)
        ).all()
        themes = sorted(set(survivors(conn, (r.theme_id for r in links if r.theme_id is not None)).values()))
        comment_ids = [r.comment_id for r in links if r.comment_id is not None]
        conditions = []
        if themes:
            hashes = select(ThemeMember.text_hash).where(ThemeMember.theme_id.in_(themes))
            conditions.append(Comment.text_hash.in_(hashes))
        if comment_ids:
            conditions.append(Comment.id.in_(comment_ids))
        rows: list[dict[str, Any]] = []
        if conditions:
            from sqlalchemy import or_

            query = (
                select(Comment.id, Comment.platform, Comment.platform_id, Comment.post_id, Comment.author,
                       Comment.text, Comment.created_at, Comment.url)
                .where(Comment.ours.is_(False), or_(*conditions))
                .order_by(Comment.created_at, Comment.id)
            )
            rows = [{"kind": "comment", **r._asdict()} for r in conn.execute(query)]
        if themes:
            hashes = select(ThemeMember.text_hash).where(ThemeMember.theme_id.in_(themes))
            posts = conn.execute(
                select(Post.id, Post.platform, Post.platform_id, Post.author, Post.text, Post.created_at, Post.url)
                .where(Post.ours.is_(False), Post.text_hash.in_(hashes)).order_by(Post.created_at, Post.id)
            ).all()
            rows += [{"kind": "post", "post_id": p.id, **p._asdict()} for p in posts]
    return rows


def get(store: Store, decision_id: int) -> dict[str, Any]:
    """One decision with its history, links and the people behind it."""
    with store.engine.connect() as conn:
        d = conn.execute(select(Decision).where(Decision.id == decision_id)).first()
        if d is None:
            raise NotFoundError(f"no decision {decision_id} (see `sounding decisions`)")
        events = [dict(r._mapping) for r in conn.execute(
            select(DecisionEvent.status, DecisionEvent.at, DecisionEvent.author, DecisionEvent.note)
            .where(DecisionEvent.decision_id == decision_id).order_by(DecisionEvent.at, DecisionEvent.id))]
        links = conn.execute(
            select(DecisionLink.theme_id, DecisionLink.comment_id, DecisionLink.lesson_title)
            .where(DecisionLink.decision_id == decision_id).order_by(DecisionLink.id)
        ).all()
        lessons = _linked_lessons(conn, links)
    items = evidence_items(store, decision_id)
    return {
        "id": d.id,
        "title": d.title,
        "description": d.description,
        "status": d.status,
        "author": d.author,
        "decided_at": d.decided_at,
        "shipped_at": d.shipped_at,
        "events": events,
        "lessons": lessons,
        "comments": [r.comment_id for r in links if r.comment_id is not None],
        "people": len({(i["platform"], i["author"]) for i in items}),
        "evidence": len(items),
        "threads": len({i["post_id"] for i in items}),
        "platforms": sorted({i["platform"] for i in items}),
    }


def _linked_lessons(conn, links) -> list[dict[str, Any]]:
    """The lessons a decision answers, each once, read through merges: a link to a merged lesson
    shows its survivor (``merged_from`` names the theme it was linked to)."""
    live = survivors(conn, (r.theme_id for r in links if r.theme_id is not None))
    found = {r.theme_id: r for r in conn.execute(
        select(Theme.id.label("theme_id"), Theme.key, Theme.name, Lesson.id.label("lesson"), Lesson.title)
        .outerjoin(Lesson, Lesson.theme_id == Theme.id).where(Theme.id.in_(set(live.values()))))}
    out: dict[int, dict[str, Any]] = {}
    for r in links:
        if r.theme_id is None:
            continue
        theme = live[r.theme_id]
        now = found.get(theme)
        merged = theme != r.theme_id
        entry = out.setdefault(theme, {
            "lesson": now.lesson if now else None, "theme": theme, "theme_key": now.key if now else None,
            "theme_name": now.name if now else None,
            "title": (now.title if merged and now and now.lesson else r.lesson_title), "merged_from": [],
        })
        if merged:
            entry["merged_from"].append(r.theme_id)
        elif entry["merged_from"]:
            entry["title"] = r.lesson_title  # linked to the survivor itself too
    return list(out.values())


def decided_themes(conn) -> set[int]:
    """The themes some decision answers, read through merges (a merged lesson's decision covers its survivor)."""
    linked = conn.execute(select(DecisionLink.theme_id).where(DecisionLink.theme_id.is_not(None))).scalars()
    return set(survivors(conn, linked).values())


def log(store: Store, status: str | None = None) -> list[dict[str, Any]]:
    """Every decision, newest first, with what changed and how many people were behind it."""
    with store.engine.connect() as conn:
        query = select(Decision.id).order_by(Decision.decided_at.desc(), Decision.id.desc())
        if status:
            if status not in STATUSES:
                raise UsageError(f"unknown status {status!r}; one of: {', '.join(STATUSES)}")
            query = query.where(Decision.status == status)
        ids = list(conn.execute(query).scalars())
    return [get(store, i) for i in ids]


def undecided_lessons(store: Store, top: int = 10) -> list[dict[str, Any]]:
    """Of the ``top`` ranked lessons, those no decision links to (what still waits for an answer)."""
    with store.engine.connect() as conn:
        ranked = conn.execute(
            select(Lesson.id, Lesson.theme_id, Lesson.title, Lesson.score).order_by(Lesson.score.desc(), Lesson.id)
            .limit(top)
        ).all()
        taken = decided_themes(conn)
    return [{"lesson": r.id, "theme": r.theme_id, "title": r.title, "score": r.score, "rank": rank}
            for rank, r in enumerate(ranked, 1) if r.theme_id not in taken]


def delete_decision(store: Store, decision_id: int) -> None:
    """Remove a decision recorded by mistake (and its history and links; replies already sent stay)."""
    from sounding.store.models import LoopReply

    with store.transaction() as conn:
        if conn.execute(select(func.count()).select_from(LoopReply).where(
                and_(LoopReply.decision_id == decision_id, LoopReply.status == "published"))).scalar():
            raise ConflictError(f"decision {decision_id} has replies published; decline it instead")
        conn.execute(delete(LoopReply).where(LoopReply.decision_id == decision_id))
        conn.execute(delete(DecisionLink).where(DecisionLink.decision_id == decision_id))
        conn.execute(delete(DecisionEvent).where(DecisionEvent.decision_id == decision_id))
        if not conn.execute(delete(Decision).where(Decision.id == decision_id)).rowcount:
            raise NotFoundError(f"no decision {decision_id}")
