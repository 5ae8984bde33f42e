"""Lessons: a theme seen through intent, sentiment and time, ranked by evidence.

Ranking formula (documented in README, "Lessons"):

    score = people × intent_weight × (1 + 0.5 × negative_share) × sqrt(clip(trend, 0.5, 2))

* ``people``: distinct audience members in the theme — the evidence comes first, a loud single
  person does not outrank ten quiet ones;
* ``intent_weight``: the theme's intent mix weighted problem 1.0, suggestion 1.0, question 0.8,
  praise 0.5, other 0.3 — things we can act on above chit-chat;
* ``negative_share``: share of negative comments — pain is more urgent than delight;
* ``trend``: (comments in the last 30 days + 1) / (comments in the 30 days before + 1), where "now"
  is the newest audience item in the store, so an archive imported today still shows its own trend.

A recurring theme is a lesson only when it is a topic someone can act on
(:mod:`sounding.analysis.lesson_topics`): thanks, venting and catch-alls stay themes. Its headline
names that topic; a second theme under the same topic label, or whose centroid is as close to a
higher-ranked lesson's as stored themes that merge (cosine >= 0.85), adds no second lesson.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, delete, func, insert, select, update

from sounding.store import Store
from sounding.analysis.audience import audience
from sounding.analysis.lesson_topics import Topic, is_topic, theme_topics
from sounding.store.models import Comment, DecisionLink, Lesson, LessonMerge, Post, Theme

INTENT_WEIGHTS = {"problem": 1.0, "suggestion": 1.0, "question": 0.8, "praise": 0.5, "other": 0.3}
VERBS = {
    "problem": "report problems with",
    "suggestion": "ask for",
    "question": "ask about",
    "praise": "praise",
    "other": "talk about",
}
WINDOW = timedelta(days=30)
#: A recurring topic: at least this many comments by at least this many people.
MIN_COMMENTS, MIN_PEOPLE = 3, 2


def is_lesson(comments: int, people: int) -> bool:
    """A theme is a lesson when several people said it (one person's topic is no lesson)."""
    return comments >= MIN_COMMENTS and people >= MIN_PEOPLE


EVIDENCE_COLUMNS = ("author", "created_at")


def newest_audience_time(store: Store) -> datetime | None:
    """Newest audience comment or post: two plain scans, no joins."""
    with store.engine.connect() as conn:
        times = [
            conn.execute(select(func.max(model.created_at)).where(model.ours.is_(False))).scalar()
            for model in (Comment, Post)
        ]
    times = [t for t in times if t is not None]
    return max(times) if times else None


def theme_evidence(store: Store, version: str) -> pd.DataFrame:
    """Per theme: comments, distinct people, intent and sentiment counts, recent vs previous month."""
    a = audience(version, EVIDENCE_COLUMNS, hash_order=store.dialect == "sqlite")
    now = newest_audience_time(store)
    if now is None:
        return pd.DataFrame()
    recent_from, previous_from = now - WINDOW, now - 2 * WINDOW

    def count_if(condition):
        return func.sum(case((condition, 1), else_=0))

    columns = [
        a.c.theme_id,
        func.count().label("comments"),
        func.count(func.distinct(a.c.author)).label("people"),
        *(count_if(a.c.intent == intent).label(intent) for intent in INTENT_WEIGHTS),
        count_if(a.c.sentiment == "negative").label("negative"),
        count_if(a.c.sentiment == "positive").label("positive"),
        count_if(a.c.created_at > recent_from).label("recent"),
        count_if(and_(a.c.created_at > previous_from, a.c.created_at <= recent_from)).label("previous"),
        func.min(a.c.created_at).label("first_seen"),
        func.max(a.c.created_at).label("last_seen"),
    ]
    query = select(*columns).where(a.c.theme_id.is_not(None)).group_by(a.c.theme_id)
    with store.engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
    if frame.empty:
        return frame
    for column in ["comments", "people", *INTENT_WEIGHTS, "negative", "positive", "recent", "previous"]:
        frame[column] = frame[column].astype(int)
    return frame


def score(row) -> float:
    total = max(int(row["comments"]), 1)
    intent_weight = sum(INTENT_WEIGHTS[i] * row[i] for i in INTENT_WEIGHTS) / total
    negative_share = row["negative"] / total
    trend = (row["recent"] + 1) / (row["previous"] + 1)
    return row["people"] * intent_weight * (1 + 0.5 * negative_share) * math.sqrt(min(max(trend, 0.5), 2.0))


SHARE_NAMES = {"problem": "problems", "question": "questions", "suggestion": "suggestions", "praise": "praise",
               "other": "other"}


def plurality(counts: dict[str, int]) -> str:
    """The members' most common intent; a tie goes to the more actionable one."""
    return max(INTENT_WEIGHTS, key=lambda i: (counts.get(i, 0), INTENT_WEIGHTS[i]))


def headline(people: int, name: str, counts: dict[str, int], trend: str = "steady") -> str:
    """What people did, with the shares: "41 people report problems with “seats” (61 % problems, 34 % questions)".

    The verb is the plurality intent's; shares of 10 % or more are listed, largest first.
    """
    total = max(sum(counts.values()), 1)
    shares = sorted(((c / total, i) for i, c in counts.items() if c / total >= 0.1), reverse=True)
    mix = ", ".join(f"{round(100 * share)} % {SHARE_NAMES[i]}" for share, i in shares[:3])
    verb = VERBS[plurality(counts)]
    if people == 1:  # "1 person asks about"
        first, _, rest = verb.partition(" ")
        verb = f"{first}s {rest}".strip()
    who = f"{people} {'person' if people == 1 else 'people'}"
    when = f"; {trend} this month" if trend != "steady" else ""
    return f"{who} {verb} “{name}” ({mix}){when}"


def why_no_lessons(store: Store, version: str | None) -> str:
    """Why the lesson list is empty, in the user's terms (not "run analyze" right after it ran)."""
    from sounding.store.models import Enrichment, ThemeMember

    if version is None:
        return "No lessons yet: run sounding analyze."
    with store.engine.connect() as conn:
        analysed = conn.execute(select(func.count()).where(Enrichment.model_version == version)).scalar_one()
        themed = conn.execute(select(func.count()).where(ThemeMember.theme_id.is_not(None))).scalar_one()
    if not analysed:
        return "No lessons yet: nothing analysed; import comments, then run sounding analyze."
    rule = f"a lesson needs {MIN_COMMENTS}+ comments on one topic by {MIN_PEOPLE}+ people"
    if themed:
        return f"No recurring topic yet: {analysed:,} comments analysed; {themed:,} share a topic, but {rule}."
    return f"No recurring topic yet: {analysed:,} comments analysed, none on a topic that {MIN_PEOPLE}+ people raised ({rule})."


def _kept_by_people(conn) -> set[int]:
    """Themes a person chose as lessons: survivors of an active lesson merge, themes a decision links."""
    merged = select(LessonMerge.into_theme_id).where(LessonMerge.unmerged_at.is_(None))
    decided = select(DecisionLink.theme_id).where(DecisionLink.theme_id.is_not(None))
    return {int(t) for t in conn.execute(merged.union(decided)).scalars()}


def _same_topic(centroid: bytes | None, kept: list[tuple[int, bytes | None]]) -> int | None:
    """The kept lesson whose theme's centroid is at least as close as stored themes that merge
    (``ThemeConfig.dedupe_threshold``), or None. On the demo "delayed" and "hour" sat at 0.93."""
    from sounding.analysis.themes import ThemeConfig

    if centroid is None or not kept:
        return None
    c = np.frombuffer(centroid, dtype=np.float32)
    c = c / max(float(np.linalg.norm(c)), 1e-12)
    for theme_id, other in kept:
        if other is None:
            continue
        o = np.frombuffer(other, dtype=np.float32)
        if float(c @ o) / max(float(np.linalg.norm(o)), 1e-12) >= ThemeConfig().dedupe_threshold:
            return theme_id
    return None


def trend_word(recent: int, previous: int) -> str:
    ratio = (recent + 1) / (previous + 1)
    if ratio >= 1.5 and recent >= 3:
        return "rising"
    if ratio <= 1 / 1.5 and previous >= 3:
        return "falling"
    return "steady"


def refresh_lessons(store: Store, version: str, now: datetime) -> int:
    """Recompute every lesson from the themes (cheap: one aggregate query) and replace the table."""
    evidence = theme_evidence(store, version)
    with store.engine.connect() as conn:
        names = dict(conn.execute(select(Theme.id, Theme.name)).all())
        keys = dict(conn.execute(select(Theme.id, Theme.key)).all())
        centroid_rows = dict(conn.execute(select(Theme.id, Theme.centroid)).all())
        kept_by_people = _kept_by_people(conn)
    rows = []
    candidates = [row for _, row in evidence.iterrows() if is_lesson(int(row["comments"]), int(row["people"]))]
    found = theme_topics(store, version, [int(row["theme_id"]) for row in candidates], names)
    labels_taken: set[str] = set()
    kept: list[tuple[int, bytes | None]] = []
    folded: dict[int, list[str]] = {}
    for row in sorted(candidates, key=lambda r: (-score(r), int(r["theme_id"]))):
        theme_id = int(row["theme_id"])
        people, comments = int(row["people"]), int(row["comments"])
        topic = found.get(theme_id, Topic(names.get(theme_id), 0.0))
        counts = {i: int(row[i]) for i in INTENT_WEIGHTS}
        # chit-chat, venting and catch-alls are themes, not lessons; a second theme on one label adds nothing
        # (a theme someone merged lessons into, or decided on, stays a lesson: their judgement wins)
        chosen = theme_id in kept_by_people
        if not chosen and (not is_topic(topic, counts) or topic.label in labels_taken):
            continue
        near = None if chosen else _same_topic(centroid_rows.get(theme_id), kept)
        if near is not None:  # the next analysis run merges these two themes; one lesson now
            folded.setdefault(near, []).append(keys.get(theme_id))
            continue
        labels_taken.add(topic.label)
        kept.append((theme_id, centroid_rows.get(theme_id)))
        dominant = plurality(counts)
        trend = trend_word(int(row["recent"]), int(row["previous"]))
        title = headline(people, topic.label or names.get(theme_id, "?"), counts, trend)
        facts = {
            "theme_key": keys.get(theme_id),
            "theme_name": names.get(theme_id),
            "topic": topic.label,
            "topic_strength": topic.strength,
            "topic_cohesion": topic.cohesion,
            "people": people,
            "comments": comments,
            "dominant_intent": dominant,
            "intents": counts,
            "negative": int(row["negative"]),
            "positive": int(row["positive"]),
            "recent": int(row["recent"]),
            "previous": int(row["previous"]),
            "trend": trend,
            "first_seen": pd.Timestamp(row["first_seen"]).isoformat(),
            "last_seen": pd.Timestamp(row["last_seen"]).isoformat(),
        }
        rows.append({"theme_id": theme_id, "title": title, "score": round(score(row), 4), "evidence": facts,
                     "computed_at": now})
    for row in rows:
        if folded.get(row["theme_id"]):
            row["evidence"]["folded_themes"] = folded[row["theme_id"]]
    with store.transaction() as conn:  # one lesson per theme, updated in place so its id stays stable
        existing = dict(conn.execute(select(Lesson.theme_id, Lesson.id)).all())
        for row in rows:
            if row["theme_id"] in existing:
                conn.execute(update(Lesson).where(Lesson.id == existing[row["theme_id"]]).values(**row))
            else:
                conn.execute(insert(Lesson).values(**row))
        gone = set(existing) - {row["theme_id"] for row in rows}
        if gone:
            conn.execute(delete(Lesson).where(Lesson.theme_id.in_(gone)))
    return len(rows)
