"""Who says it: every lesson seen within one segment of the audience.

Segments (``by``):

* ``platform`` - where it was said;
* ``returning`` - *returning* people took part in two or more threads, *first-time* people in one
  (a person is a pseudonym on one platform: the same human on two platforms is two people);
* ``post`` - the thread it was said in (the post and every reply under it).

Within a segment a lesson is ranked by the lessons' own score (:func:`sounding.analysis.lessons.score`)
computed over the segment's members only, so "the top lesson on Bluesky" means what "the top
lesson" means, restricted to Bluesky. ``share`` is the segment's part of the lesson's people: 0.8 on
``returning`` says the lesson comes mostly from regulars.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, func, literal, select

from sounding.analysis import lessons as lesson_rules
from sounding.analysis.audience import audience
from sounding.errors import UsageError
from sounding.store import Store
from sounding.store.models import Lesson, Post, Theme

SEGMENTS = ("platform", "returning", "post")
COLUMNS = ["segment", "segment_people", "rank", "lesson", "theme", "name", "title", "people", "comments", "share",
           "dominant_intent", "intents", "score"]


def _frame(store: Store, query) -> pd.DataFrame:
    with store.engine.connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


def _segment_column(store: Store, version: str, by: str):
    """The audience relation and the SQL expression naming each item's segment."""
    a = audience(version, ("platform", "thread_id", "author", "created_at"))
    if by == "platform":
        return a, a.c.platform, None
    if by == "post":
        return a, a.c.thread_id, None
    person = audience(version, ("platform", "thread_id", "author"))
    threads = (
        select(person.c.platform, person.c.author, func.count(func.distinct(person.c.thread_id)).label("threads"))
        .group_by(person.c.platform, person.c.author)
        .subquery()
    )
    label = case((threads.c.threads > 1, literal("returning")), else_=literal("first-time"))
    return a, label, threads


def lessons_by(store: Store, version: str, by: str, per_segment: int | None = None,
               segments: int | None = None) -> pd.DataFrame:
    """Lessons ranked within each segment; segments by their audience people (then items), largest first.

    ``per_segment`` keeps each segment's top lessons, ``segments`` the largest segments.
    """
    if by not in SEGMENTS:
        raise UsageError(f"cannot segment lessons by {by!r}", hint=f"one of {', '.join(SEGMENTS)}")
    now = lesson_rules.newest_audience_time(store)
    if now is None:
        return pd.DataFrame(columns=COLUMNS)
    recent_from, previous_from = now - lesson_rules.WINDOW, now - 2 * lesson_rules.WINDOW
    a, segment, threads = _segment_column(store, version, by)

    def count_if(condition):
        return func.sum(case((condition, 1), else_=0))

    def joined(query):
        if threads is None:
            return query
        return query.join(threads, and_(threads.c.platform == a.c.platform, threads.c.author == a.c.author))

    evidence = _frame(store, joined(
        select(
            segment.label("segment"),
            a.c.theme_id,
            func.count().label("comments"),
            func.count(func.distinct(a.c.author)).label("people"),
            *(count_if(a.c.intent == intent).label(intent) for intent in lesson_rules.INTENT_WEIGHTS),
            count_if(a.c.sentiment == "negative").label("negative"),
            count_if(a.c.sentiment == "positive").label("positive"),
            count_if(a.c.created_at > recent_from).label("recent"),
            count_if(and_(a.c.created_at > previous_from, a.c.created_at <= recent_from)).label("previous"),
        ).select_from(a).where(a.c.theme_id.is_not(None)).group_by(segment, a.c.theme_id)
    ))
    sizes = _frame(store, joined(
        select(segment.label("segment"), func.count(func.distinct(a.c.author)).label("segment_people"),
               func.count().label("segment_items"))
        .select_from(a).group_by(segment)
    ))
    known = _frame(store, select(Lesson.id.label("lesson"), Lesson.theme_id, Lesson.title, Theme.key.label("theme"),
                                 Theme.name).join(Theme, Theme.id == Lesson.theme_id))
    overall = _frame(store, select(a.c.theme_id, func.count(func.distinct(a.c.author)).label("lesson_people"))
                     .where(a.c.theme_id.is_not(None)).group_by(a.c.theme_id))
    if evidence.empty or known.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame = evidence.merge(known, on="theme_id").merge(overall, on="theme_id").merge(sizes, on="segment")
    intents = list(lesson_rules.INTENT_WEIGHTS)
    counts = ["comments", "people", *intents, "negative", "positive", "recent", "previous"]
    frame[counts] = frame[counts].fillna(0).astype(int)
    frame["score"] = [round(lesson_rules.score(row), 4) for row in frame.to_dict("records")]
    frame["share"] = (frame["people"] / frame["lesson_people"]).round(4)
    frame["dominant_intent"] = [
        max(intents, key=lambda i, row=row: (row[i], lesson_rules.INTENT_WEIGHTS[i])) for row in frame.to_dict("records")
    ]
    frame["intents"] = [{i: int(row[i]) for i in intents} for row in frame.to_dict("records")]
    order = sizes.sort_values(["segment_people", "segment_items", "segment"], ascending=[False, False, True],
                              kind="mergesort")["segment"]
    if segments:
        order = order.head(segments)
    position = {value: i for i, value in enumerate(order)}
    frame = frame[frame["segment"].isin(position)].copy()
    frame["_order"] = frame["segment"].map(position)
    frame = frame.sort_values(["_order", "score", "people", "lesson"], ascending=[True, False, False, True],
                              kind="mergesort")
    frame["rank"] = frame.groupby("segment").cumcount() + 1
    if per_segment:
        frame = frame[frame["rank"] <= per_segment]
    frame = frame.reset_index(drop=True)
    if by == "post":
        frame = _name_posts(store, frame)
    return frame[COLUMNS + (["post_text"] if by == "post" else [])]


def _name_posts(store: Store, frame: pd.DataFrame) -> pd.DataFrame:
    """A thread segment named as ``platform:platform_id`` (what `sounding tally`/`comments --post` take)."""
    ids = sorted({int(i) for i in frame["segment"]})
    names: dict[int, tuple[str, str]] = {}
    with store.engine.connect() as conn:
        for start in range(0, len(ids), 500):
            rows = conn.execute(select(Post.id, Post.platform, Post.platform_id, Post.text)
                                .where(Post.id.in_(ids[start:start + 500])))
            names.update({row.id: (f"{row.platform}:{row.platform_id}", row.text) for row in rows})
    frame["post_text"] = [names[int(i)][1] for i in frame["segment"]]
    frame["segment"] = [names[int(i)][0] for i in frame["segment"]]
    return frame
