"""Merging a lesson into another by hand, reversibly: the people behind both follow the survivor.

A lesson is a theme seen through its members, so a merge works on the themes: the merged lesson's
theme points to the survivor's (``Theme.merged_into``, as automatic near-duplicate merges do) and
hands it its members. Analysis never re-themes a text that has a theme and never loads a merged
theme, so a merge survives ``sounding analyze``; the lessons recomputed from the members then
count the union of people (distinct, not a sum). The texts handed over are kept per merge, so an
unmerge gives back exactly those and the merged lesson returns under its old number. Decisions
link themes and read them through :func:`survivors`, so they follow a merge and its undoing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from sounding.errors import ConflictError, NotFoundError, UsageError
from sounding.store import Store
from sounding.store.models import Lesson, LessonMerge, LessonMergeMember, Theme, ThemeMember

CHUNK = 500


def survivors(conn, theme_ids: Iterable[int]) -> dict[int, int]:
    """Each theme id -> the theme that holds its members now (itself unless merged; chains followed)."""
    out = {int(t): int(t) for t in theme_ids if t is not None}
    pending = set(out.values())
    for _ in range(32):  # a chain longer than this would be a cycle; merges never make one
        if not pending:
            break
        step = dict(conn.execute(select(Theme.id, Theme.merged_into)
                                 .where(Theme.id.in_(pending), Theme.merged_into.is_not(None))).all())
        out = {t: step.get(now, now) for t, now in out.items()}
        pending = set(step.values())
    return out


def _number(lesson: int | str) -> int:
    text = str(lesson).strip().removeprefix("lesson:").lstrip("#")
    if not text.isdigit():
        raise UsageError(f"a lesson is named by its number (see `sounding lessons`), not {lesson!r}")
    return int(text)


def _active_merge(conn, lesson_id: int):
    return conn.execute(select(LessonMerge).where(LessonMerge.source_lesson_id == lesson_id,
                                                  LessonMerge.unmerged_at.is_(None))
                        .order_by(LessonMerge.id.desc()).limit(1)).first()


def _current_lesson(conn, theme_id: int) -> int | None:
    theme = survivors(conn, [theme_id])[theme_id]
    return conn.execute(select(Lesson.id).where(Lesson.theme_id == theme)).scalar()


def _live(conn, lesson_id: int, role: str, source_theme: int | None = None):
    """The lesson row named ``lesson_id``, or a one-line error saying why it cannot take part."""
    row = conn.execute(select(Lesson.id, Lesson.theme_id, Lesson.title).where(Lesson.id == lesson_id)).first()
    if row is not None and row.theme_id is not None:
        return row
    merged = _active_merge(conn, lesson_id)
    if merged is None:
        raise NotFoundError(f"no lesson {lesson_id} (see `sounding lessons`)")
    now = _current_lesson(conn, merged.source_theme_id) or merged.into_lesson_id
    if role == "source":
        raise ConflictError(f"lesson {lesson_id} is already merged into lesson {now} "
                            f"(undo it with `sounding lesson unmerge {lesson_id}`)")
    if source_theme is not None and survivors(conn, [merged.source_theme_id])[merged.source_theme_id] == source_theme:
        raise ConflictError(f"lesson {lesson_id} is merged into lesson {now}: merging {now} into it would make a cycle")
    raise ConflictError(f"lesson {lesson_id} is merged into lesson {now}; merge into lesson {now} instead")


def _refresh(store: Store) -> None:
    from sounding.analysis import views
    from sounding.analysis.lessons import refresh_lessons

    version = views.current_version(store)
    if version is not None:
        refresh_lessons(store, version, datetime.now(UTC))


def _at(at: datetime | None) -> datetime:
    at = at or datetime.now(UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def merge(store: Store, source: int | str, into: int | str, *, author: str | None = None, note: str | None = None,
          at: datetime | None = None) -> dict[str, Any]:
    """Merge lesson ``source`` into lesson ``into``; returns the merge as :func:`history` lists it."""
    source_id, into_id = _number(source), _number(into)
    if source_id == into_id:
        raise UsageError(f"lesson {source_id} cannot be merged into itself")
    with store.transaction() as conn:
        src = _live(conn, source_id, "source")
        dst = _live(conn, into_id, "into", source_theme=src.theme_id)
        if src.theme_id == dst.theme_id:
            raise UsageError(f"lessons {source_id} and {into_id} are the same theme already")
        hashes = list(conn.execute(select(ThemeMember.text_hash).where(ThemeMember.theme_id == src.theme_id)).scalars())
        merge_id = conn.execute(insert(LessonMerge).values(
            source_theme_id=src.theme_id, into_theme_id=dst.theme_id, source_lesson_id=src.id, into_lesson_id=dst.id,
            source_title=src.title, merged_at=_at(at), merged_by=author, note=note,
        )).inserted_primary_key[0]
        for start in range(0, len(hashes), CHUNK):
            conn.execute(insert(LessonMergeMember), [{"merge_id": merge_id, "text_hash": h}
                                                     for h in hashes[start:start + CHUNK]])
        conn.execute(update(ThemeMember).where(ThemeMember.theme_id == src.theme_id).values(theme_id=dst.theme_id))
        conn.execute(update(Theme).where(Theme.id == src.theme_id).values(merged_into=dst.theme_id))
    _refresh(store)
    return _one(store, merge_id)


def unmerge(store: Store, source: int | str, *, author: str | None = None, note: str | None = None,
            at: datetime | None = None) -> dict[str, Any]:
    """Undo the standing merge of lesson ``source``: its texts go back and it returns under its number."""
    source_id = _number(source)
    with store.transaction() as conn:
        merged = _active_merge(conn, source_id)
        if merged is None:
            if conn.execute(select(Lesson.id).where(Lesson.id == source_id)).scalar() is not None:
                raise ConflictError(f"lesson {source_id} is not merged into another lesson")
            raise NotFoundError(f"no merged lesson {source_id} (see `sounding lesson merges`)")
        hashes = list(conn.execute(select(LessonMergeMember.text_hash)
                                   .where(LessonMergeMember.merge_id == merged.id)).scalars())
        for start in range(0, len(hashes), CHUNK):
            chunk = hashes[start:start + CHUNK]
            conn.execute(update(ThemeMember).where(ThemeMember.text_hash.in_(chunk))
                         .values(theme_id=merged.source_theme_id))
            # a later merge of the survivor carried these along: they are no longer its to give back
            conn.execute(delete(LessonMergeMember).where(LessonMergeMember.text_hash.in_(chunk)))
        conn.execute(update(Theme).where(Theme.id == merged.source_theme_id).values(merged_into=None))
        conn.execute(update(LessonMerge).where(LessonMerge.id == merged.id).values(
            unmerged_at=_at(at), unmerged_by=author, unmerge_note=note))
    _refresh(store)
    with store.transaction() as conn:  # the lesson comes back under the number people knew it by
        now = conn.execute(select(Lesson.id).where(Lesson.theme_id == merged.source_theme_id)).scalar()
        taken = conn.execute(select(Lesson.id).where(Lesson.id == source_id)).scalar()
        if now is not None and now != source_id and taken is None:
            conn.execute(update(Lesson).where(Lesson.id == now).values(id=source_id))
    return _one(store, merged.id)


def _row(conn, m) -> dict[str, Any]:
    lesson_now = conn.execute(select(Lesson.id, Lesson.title, Lesson.evidence)
                              .where(Lesson.theme_id == survivors(conn, [m.into_theme_id])[m.into_theme_id])).first()
    source_now = conn.execute(select(Lesson.id).where(Lesson.theme_id == m.source_theme_id)).scalar()
    return {
        "merge": m.id, "lesson": m.source_lesson_id, "title": m.source_title, "into": m.into_lesson_id,
        "active": m.unmerged_at is None,
        "survivor": lesson_now.id if lesson_now else None,
        "survivor_title": lesson_now.title if lesson_now else None,
        "people": (lesson_now.evidence or {}).get("people") if lesson_now else None,
        "lesson_now": None if m.unmerged_at is None else source_now,
        "merged_at": m.merged_at, "merged_by": m.merged_by, "note": m.note,
        "unmerged_at": m.unmerged_at, "unmerged_by": m.unmerged_by, "unmerge_note": m.unmerge_note,
    }


def _one(store: Store, merge_id: int) -> dict[str, Any]:
    with store.engine.connect() as conn:
        return _row(conn, conn.execute(select(LessonMerge).where(LessonMerge.id == merge_id)).first())


def history(store: Store) -> list[dict[str, Any]]:
    """Every merge, newest first, standing or undone, with who did what when."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(LessonMerge).order_by(LessonMerge.merged_at.desc(), LessonMerge.id.desc())).all()
        return [_row(conn, m) for m in rows]
