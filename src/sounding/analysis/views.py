"""Read-side views of the analysis as pandas DataFrames (the API, CLI and pages show these).

Learning value lives in :mod:`sounding.analysis.learning`, lessons by segment in
:mod:`sounding.analysis.segments`, vote tallies in :mod:`sounding.analysis.tally`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from sounding.analysis.audience import audience
from sounding.analysis.version import current_version, set_current_version  # noqa: F401 (callers use views.*)
from sounding.errors import NotFoundError, UsageError
from sounding.store import Store
from sounding.store.models import Comment, Lesson, Post, Theme, ThemeMember


def _frame(store: Store, query) -> pd.DataFrame:
    with store.engine.connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


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
    by_theme = theme_quotes(store, quotes)
    frame["quotes"] = [by_theme.get(theme_id, []) for theme_id in frame["id"]]
    unclustered = _frame(store, select(func.count()).select_from(a).where(a.c.theme_id.is_(None)))
    frame.attrs["unclustered"] = int(unclustered.iloc[0, 0])
    return frame.drop(columns=["id"]).rename(columns={"key": "theme"})


def theme_quotes(store: Store, quotes: int = 3) -> dict[int, list[dict]]:
    """Per theme id: the earliest audience items saying each representative text (distinct texts).

    Starts from the few representative members and reaches their items by the text-hash indexes,
    so it costs the same at a thousand comments as at a million."""
    with store.engine.connect() as conn:  # the few hashes first: the planner then starts from them
        theme_of = dict(conn.execute(select(ThemeMember.text_hash, ThemeMember.theme_id)
                                     .where(ThemeMember.representative.is_(True))).all())
        thread = aliased(Post)
        rows = [
            row for model in (Comment, Post) for row in conn.execute(
                select(model.text_hash, model.text, model.platform, model.platform_id, model.url, model.created_at,
                       thread.platform_id.label("thread"))
                .join(thread, thread.id == (model.post_id if model is Comment else model.id))
                .where(model.ours.is_(False), model.text_hash.in_(list(theme_of)))
            )
        ] if theme_of else []
    rows = [(theme_of[r.text_hash], r) for r in rows]
    rows.sort(key=lambda pair: (pair[0], pair[1].created_at))
    by_theme: dict[int, list[dict]] = {}
    for theme_id, row in rows:
        group = by_theme.setdefault(theme_id, [])
        if len(group) < quotes and all(q["text"] != row.text for q in group):
            group.append({"text": row.text, "id": row.platform_id, "thread": row.thread, "url": row.url})
    return by_theme


def lessons(store: Store) -> pd.DataFrame:
    """Lessons ranked by score (see :mod:`sounding.analysis.lessons` for the formula)."""
    frame = _frame(
        store,
        select(Lesson.id, Lesson.title, Lesson.score, Lesson.evidence, Lesson.theme_id, Theme.key.label("theme"),
               Theme.name)
        .join(Theme, Theme.id == Lesson.theme_id)
        .order_by(Lesson.score.desc(), Lesson.id),
    )
    return frame


# -- comments, filtered and keyset-paginated -------------------------------------------------------
INTENTS = ("question", "suggestion", "problem", "praise", "other")
SENTIMENTS = ("negative", "neutral", "positive")
UNCLUSTERED = "unclustered"
COMMENT_COLUMNS = ["kind", "platform", "id", "post", "text", "created_at", "sentiment", "sentiment_score", "intent",
                   "intent_score", "language", "theme", "url"]
_AGO = re.compile(r"^(\d+)\s*([hdw])$")


def find_post(store: Store, ref: str | int) -> Post:
    """A post named by its store id (``17`` or ``#17``), ``platform:platform_id``, its URL, or a platform
    id that only one post has (``at://…`` URIs included). A bare number that is one post's store id and
    another's platform id is ambiguous and refused rather than guessed."""
    text = str(ref).strip()
    if not text:
        raise UsageError("empty post reference", hint="give a store id, platform:platform_id or a URL")
    with store.session() as session:
        if text.startswith(("http://", "https://")):
            urls = {text, text.rstrip("/"), text.rstrip("/") + "/"}
            found = session.scalars(select(Post).where(or_(Post.url.in_(urls), Post.platform_id == text)))
            return _one(list(found), text)
        platform, sep, platform_id = text.partition(":")
        if sep and platform_id and not platform_id.startswith("//"):
            found = list(session.scalars(
                select(Post).where(Post.platform == platform.strip().lower(), Post.platform_id == platform_id.strip())
            ))
            if found:
                return _one(found, text)
        by_id = session.get(Post, int(text.lstrip("#"))) if text.lstrip("#").isdigit() else None
        if text.startswith("#"):
            return _one([by_id] if by_id else [], text)
        by_platform_id = [p for p in session.scalars(select(Post).where(Post.platform_id == text)) if p is not by_id]
        if by_id is not None and by_platform_id:
            raise UsageError(
                f"post {text!r} is ambiguous: store id #{by_id.id} or "
                + ", ".join(f"{p.platform}:{p.platform_id}" for p in by_platform_id[:3]),
                hint="write #ID for a store id or platform:ID for a platform id",
            )
        return _one([by_id] if by_id else by_platform_id, text)


def _one(found: list[Post], ref: str) -> Post:
    if not found:
        raise NotFoundError(f"no post {ref!r} in the store", hint="a store id, platform:platform_id or the post's URL")
    if len(found) > 1:
        names = ", ".join(f"{p.platform}:{p.platform_id}" for p in found[:5])
        raise UsageError(f"post {ref!r} is ambiguous: {names}", hint="write platform:platform_id")
    return found[0]


def parse_time(value: str | date | datetime | None, *, end: bool = False, now: datetime | None = None) -> datetime | None:
    """A filter bound in UTC: a datetime, an ISO date/time, or an age ("12h", "7d", "2w" ago).

    A bare date as the upper bound means the end of that day, so ``--until 2026-03-01`` includes it."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC) + (timedelta(days=1) if end else timedelta())
    text = str(value).strip()
    if m := _AGO.match(text.lower()):
        unit = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}[m.group(2)]
        return (now or datetime.now(UTC)) - int(m.group(1)) * unit
    try:
        if len(text) == 10:
            return parse_time(date.fromisoformat(text), end=end)
        return parse_time(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise UsageError(f"not a time: {text!r}", hint="use 2026-03-01, 2026-03-01T09:30 or an age like 7d") from None


def _choices(value: str | Sequence[str] | None, allowed: tuple[str, ...], name: str) -> list[str]:
    if value is None:
        return []
    values = [value] if isinstance(value, str) else list(value)
    values = [v.strip().lower() for item in values for v in str(item).split(",") if v.strip()]
    bad = [v for v in values if v not in allowed]
    if bad:
        raise UsageError(f"unknown {name} {bad[0]!r}", hint=f"one of {', '.join(allowed)}")
    return values


def encode_cursor(created_at: datetime, kind: str, item_id: int) -> str:
    """An opaque position after which the next page starts (stable while rows are added)."""
    stamp = pd.Timestamp(created_at)
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    raw = f"{stamp.isoformat()}|{kind}|{int(item_id)}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, kind, item_id = raw.split("|")
        if kind not in ("comment", "post"):
            raise ValueError(kind)
        return parse_time(datetime.fromisoformat(stamp)), kind, int(item_id)  # type: ignore[return-value]
    except (ValueError, UnicodeDecodeError):
        raise UsageError("not a page cursor from this store", hint="use the cursor printed after a page") from None


def _theme_id(store: Store, key: str) -> int:
    """The theme a key names; a theme merged into another (``Theme.merged_into``, where the store has
    it) leads to its survivor, so an id copied before a merge still finds its comments."""
    merged = getattr(Theme, "merged_into", None)
    with store.engine.connect() as conn:
        found = conn.execute(select(Theme.id).where(Theme.key == key.strip())).scalar()
        for _ in range(16 if merged is not None and found is not None else 0):
            survivor = conn.execute(select(merged).where(Theme.id == found)).scalar()
            if survivor is None:
                break
            found = survivor
    if found is None:
        raise NotFoundError(f"no theme {key!r}", hint="see `sounding themes` for theme ids")
    return int(found)


def _lesson_theme(store: Store, lesson: int | str) -> int:
    text = str(lesson).strip().lstrip("#")
    if not text.isdigit():
        raise UsageError(f"not a lesson id: {lesson!r}", hint="see `sounding lessons` for lesson ids")
    with store.engine.connect() as conn:
        found = conn.execute(select(Lesson.theme_id).where(Lesson.id == int(text))).first()
    if found is None:
        raise NotFoundError(f"no lesson {text}", hint="see `sounding lessons` for lesson ids")
    return int(found[0])


def comments(
    store: Store,
    version: str,
    *,
    theme: str | None = None,
    lesson: int | str | None = None,
    intent: str | Sequence[str] | None = None,
    sentiment: str | Sequence[str] | None = None,
    post: str | int | None = None,
    platform: str | Sequence[str] | None = None,
    since: str | date | datetime | None = None,
    until: str | date | datetime | None = None,
    search: str | None = None,
    limit: int | None = None,
    after: str | None = None,
    newest: bool = False,
) -> pd.DataFrame:
    """Audience comments and posts, oldest (or ``newest``) first, narrowed by every filter given.

    ``theme`` is a theme id (or ``"unclustered"``), ``lesson`` a lesson id (its theme's members),
    ``post`` any reference :func:`find_post` understands (the whole thread), ``since``/``until`` a
    time, date or age (:func:`parse_time`), ``search`` a case-insensitive substring. Pages are
    keyset-paginated on (created_at, kind, item id): pass ``frame.attrs["next"]`` as ``after`` for
    the next page (None on the last page). No OFFSET: a page never re-reads the rows before it, and
    comments arriving meanwhile neither shift nor repeat rows already shown.
    """
    if theme is not None and lesson is not None:
        raise UsageError("give either a theme or a lesson, not both")
    theme_id = None
    if theme is not None:
        theme_id = UNCLUSTERED if theme.strip().lower() == UNCLUSTERED else _theme_id(store, theme)
    if lesson is not None:
        theme_id = _lesson_theme(store, lesson)
    intents = _choices(intent, INTENTS, "intent")
    sentiments = _choices(sentiment, SENTIMENTS, "sentiment")
    thread = find_post(store, post).id if post is not None else None
    platforms: list[str] = []
    if platform:
        platforms = [platform] if isinstance(platform, str) else list(platform)
        platforms = [p.strip().lower() for item in platforms for p in item.split(",") if p.strip()]
        with store.engine.connect() as conn:
            known = {p for model in (Post, Comment) for p in conn.execute(select(model.platform).distinct()).scalars()}
        if unknown := [p for p in platforms if p not in known]:
            raise NotFoundError(f"no platform {unknown[0]!r} in the store",
                                hint=f"platforms here: {', '.join(sorted(known)) or 'none'}")
    start, end = parse_time(since), parse_time(until, end=True)
    if start and end and start >= end:
        raise UsageError("--since is not before --until")
    if limit is not None and limit < 0:
        raise UsageError("limit must be 0 (all) or more")
    cursor = decode_cursor(after) if after else None

    def page(kind: str):
        """One kind's rows in page order: one table, so the database can walk its time index."""
        a = audience(version, kinds=(kind,))
        conditions = []
        if theme_id is not None:
            conditions.append(a.c.theme_id.is_(None) if theme_id == UNCLUSTERED else a.c.theme_id == theme_id)
        if intents:
            conditions.append(a.c.intent.in_(intents))
        if sentiments:
            conditions.append(a.c.sentiment.in_(sentiments))
        if thread is not None:
            conditions.append(a.c.thread_id == thread)
        if platforms:
            conditions.append(a.c.platform.in_(platforms))
        if start:
            conditions.append(a.c.created_at >= start)
        if end:  # a bare date's bound is the next midnight, exclusive; a time is inclusive
            conditions.append(a.c.created_at < end if _is_day(until) else a.c.created_at <= end)
        if search and search.strip():
            conditions.append(func.lower(a.c.text).contains(search.strip().lower(), autoescape=True))
        if cursor:  # "after" in the order shown, on (created_at, kind, item id); this query's kind is fixed
            at, after_kind, item_id = cursor

            def beyond(column, value):
                return column < value if newest else column > value

            if kind == after_kind:
                conditions.append(or_(beyond(a.c.created_at, at),
                                      and_(a.c.created_at == at, beyond(a.c.item_id, item_id))))
            elif (kind > after_kind) != newest:  # this kind sorts after the cursor's at the same time
                conditions.append(or_(beyond(a.c.created_at, at), a.c.created_at == at))
            else:
                conditions.append(beyond(a.c.created_at, at))
        key = (a.c.created_at, a.c.item_id)
        query = (
            select(
                a.c.kind,
                a.c.platform,
                a.c.platform_id.label("id"),
                Post.platform_id.label("post"),
                a.c.text,
                a.c.created_at,
                a.c.sentiment,
                a.c.sentiment_score,
                a.c.intent,
                a.c.intent_score,
                a.c.lang.label("language"),
                Theme.key.label("theme"),
                a.c.url,
                a.c.item_id,
            )
            .join(Post, Post.id == a.c.thread_id)
            .outerjoin(Theme, Theme.id == a.c.theme_id)
            .where(*conditions)
            .order_by(*((column.desc() for column in key) if newest else key))
        )
        return _frame(store, query.limit(limit + 1) if limit else query)

    both = [page("comment"), page("post")]
    parts = [f for f in both if len(f)]
    frame = pd.concat(parts, ignore_index=True) if parts else both[0]
    frame = frame.sort_values(["created_at", "kind", "item_id"], ascending=not newest, kind="mergesort",
                              ignore_index=True)
    more = bool(limit) and len(frame) > limit
    frame = frame.head(limit) if limit else frame
    last = frame.iloc[-1] if more else None
    frame.attrs["next"] = encode_cursor(last["created_at"], last["kind"], last["item_id"]) if last is not None else None
    return frame.drop(columns=["item_id"])[COMMENT_COLUMNS]


def _is_day(value: object) -> bool:
    if isinstance(value, datetime):
        return False
    return isinstance(value, date) or (isinstance(value, str) and len(value.strip()) == 10)
