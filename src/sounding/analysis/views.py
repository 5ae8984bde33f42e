"""Read-side views of the analysis as pandas DataFrames (the API and CLI show these).

Learning value (README, "Learning value"): for a post, or a week,

    learning_value = people who said something substantive + questions asked + 2 × new themes surfaced

where *substantive* means a question, a suggestion or a problem, or any comment of 60+ characters,
and a theme is *surfaced* by the thread (or week) holding its earliest comment. Likes, reposts and
replies are shown beside it, not hidden.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, func, or_, over, select

from sounding.analysis.audience import audience
from sounding.store import Store
from sounding.store.models import Lesson, Meta, Post, ReactionSnapshot, Theme, ThemeMember

VERSION_KEY = "analysis_version"
SUBSTANTIVE_CHARS = 60


def current_version(store: Store) -> str | None:
    """The model version of the last ``sounding analyze`` (views read its results)."""
    with store.engine.connect() as conn:
        return conn.execute(select(Meta.value).where(Meta.key == VERSION_KEY)).scalar()


def set_current_version(store: Store, version: str) -> None:
    table = Meta.__table__
    with store.transaction() as conn:
        statement = store.insert(table).values(key=VERSION_KEY, value=version)
        conn.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": version}))


def _frame(store: Store, query) -> pd.DataFrame:
    with store.engine.connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


def comments(store: Store, version: str, limit: int | None = None) -> pd.DataFrame:
    """Every audience comment/post with its import id, text, sentiment, intent, language and theme key."""
    a = audience(version)
    query = (
        select(
            a.c.kind,
            a.c.platform,
            a.c.platform_id.label("id"),
            a.c.text,
            a.c.created_at,
            a.c.sentiment,
            a.c.sentiment_score,
            a.c.intent,
            a.c.intent_score,
            a.c.lang.label("language"),
            Theme.key.label("theme"),
        )
        .outerjoin(Theme, Theme.id == a.c.theme_id)
        .order_by(a.c.created_at, a.c.platform_id)
    )
    return _frame(store, query.limit(limit) if limit else query)


def themes(store: Store, version: str, quotes: int = 3) -> pd.DataFrame:
    """Themes by size, with their distinctive words and representative quotes linked to their thread."""
    a = audience(version)
    counted = audience(version, ("author",), hash_order=store.dialect == "sqlite")
    sizes = (
        select(
            counted.c.theme_id,
            func.count().label("comments"),
            func.count(func.distinct(counted.c.author)).label("people"),
        )
        .where(counted.c.theme_id.is_not(None))
        .group_by(counted.c.theme_id)
        .subquery()
    )
    frame = _frame(
        store,
        select(Theme.id, Theme.key, Theme.name, Theme.top_words, sizes.c.comments, sizes.c.people)
        .join(sizes, sizes.c.theme_id == Theme.id)
        .order_by(sizes.c.people.desc(), sizes.c.comments.desc(), Theme.key),
    )
    reps = _frame(
        store,
        select(a.c.theme_id, a.c.text, a.c.platform, a.c.platform_id, a.c.url, Post.platform_id.label("thread"))
        .join(ThemeMember, and_(ThemeMember.text_hash == a.c.text_hash, ThemeMember.representative.is_(True)))
        .join(Post, Post.id == a.c.thread_id)
        .order_by(a.c.theme_id, a.c.created_at),
    )
    by_theme: dict[int, list[dict]] = {}
    for row in reps.itertuples():
        group = by_theme.setdefault(row.theme_id, [])
        if len(group) < quotes and all(q["text"] != row.text for q in group):
            group.append({"text": row.text, "id": row.platform_id, "thread": row.thread, "url": row.url})
    frame["quotes"] = [by_theme.get(theme_id, []) for theme_id in frame["id"]]
    unclustered = _frame(store, select(func.count()).select_from(a).where(a.c.theme_id.is_(None)))
    frame.attrs["unclustered"] = int(unclustered.iloc[0, 0])
    return frame.drop(columns=["id"]).rename(columns={"key": "theme"})


def lessons(store: Store) -> pd.DataFrame:
    """Lessons ranked by score (see :mod:`sounding.analysis.lessons` for the formula)."""
    frame = _frame(
        store,
        select(Lesson.id, Lesson.title, Lesson.score, Lesson.evidence, Theme.key.label("theme"), Theme.name)
        .join(Theme, Theme.id == Lesson.theme_id)
        .order_by(Lesson.score.desc(), Lesson.id),
    )
    return frame


def _substantive(a):
    return or_(a.c.intent.in_(("question", "suggestion", "problem")), func.length(a.c.text) >= SUBSTANTIVE_CHARS)


def _first_items(a):
    """The earliest item of every theme: where the theme was surfaced."""
    ranked = select(
        a.c.theme_id,
        a.c.thread_id,
        a.c.created_at,
        over(func.row_number(), partition_by=a.c.theme_id, order_by=(a.c.created_at, a.c.item_id)).label("rank"),
    ).where(a.c.theme_id.is_not(None)).subquery()
    return select(ranked.c.theme_id, ranked.c.thread_id, ranked.c.created_at).where(ranked.c.rank == 1).subquery()


def learning_value_by_post(store: Store, version: str, limit: int | None = None) -> pd.DataFrame:
    """Per thread: learning value and its parts, next to likes, reposts and replies."""
    a = audience(version)
    substantive_people = func.count(func.distinct(case((_substantive(a), a.c.author))))
    per_thread = (
        select(
            a.c.thread_id,
            func.count().label("audience_items"),
            substantive_people.label("substantive_people"),
            func.sum(case((a.c.intent == "question", 1), else_=0)).label("questions"),
        )
        .group_by(a.c.thread_id)
        .subquery()
    )
    first = _first_items(a)
    surfaced = select(first.c.thread_id, func.count().label("new_themes")).group_by(first.c.thread_id).subquery()
    latest = (
        select(
            ReactionSnapshot.post_id,
            ReactionSnapshot.likes,
            ReactionSnapshot.reposts,
            ReactionSnapshot.replies,
            over(func.row_number(), partition_by=ReactionSnapshot.post_id, order_by=ReactionSnapshot.taken_at.desc())
            .label("rank"),
        )
        .where(ReactionSnapshot.post_id.is_not(None))
        .subquery()
    )
    new_themes = func.coalesce(surfaced.c.new_themes, 0)
    value = per_thread.c.substantive_people + per_thread.c.questions + 2 * new_themes
    query = (
        select(
            Post.platform,
            Post.platform_id.label("post_id"),
            Post.ours,
            Post.text,
            Post.created_at,
            value.label("learning_value"),
            per_thread.c.substantive_people,
            per_thread.c.questions,
            new_themes.label("new_themes"),
            per_thread.c.audience_items,
            latest.c.likes,
            latest.c.reposts,
            latest.c.replies,
        )
        .join(per_thread, per_thread.c.thread_id == Post.id)
        .outerjoin(surfaced, surfaced.c.thread_id == Post.id)
        .outerjoin(latest, and_(latest.c.post_id == Post.id, latest.c.rank == 1))
        .order_by(value.desc(), Post.created_at)
    )
    return _frame(store, query.limit(limit) if limit else query)


def learning_value_by_week(store: Store, version: str) -> pd.DataFrame:
    """Per week (Monday start): the same measure over everything the audience said that week."""
    a = audience(version)
    frame = _frame(
        store,
        select(
            a.c.created_at.label("day"),
            a.c.author,
            _substantive(a).label("substantive"),
            (a.c.intent == "question").label("question"),
        ),
    )
    if frame.empty:
        return pd.DataFrame(columns=["week", "learning_value", "substantive_people", "questions", "new_themes", "items"])
    frame["week"] = pd.to_datetime(frame["day"]).dt.to_period("W-SUN").dt.start_time.dt.date
    first = _first_items(a)
    surfaced = _frame(store, select(first.c.created_at.label("day")))
    surfaced["week"] = pd.to_datetime(surfaced["day"]).dt.to_period("W-SUN").dt.start_time.dt.date
    weeks = frame.groupby("week").agg(
        items=("author", "size"),
        questions=("question", lambda s: int(s.fillna(False).astype(bool).sum())),
    )
    weeks["substantive_people"] = frame[frame["substantive"].fillna(False).astype(bool)].groupby("week")["author"].nunique()
    weeks["new_themes"] = surfaced.groupby("week").size()
    weeks = weeks.fillna(0).astype(int)
    weeks["learning_value"] = weeks["substantive_people"] + weeks["questions"] + 2 * weeks["new_themes"]
    return weeks.reset_index()[["week", "learning_value", "substantive_people", "questions", "new_themes", "items"]]
