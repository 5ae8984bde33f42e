"""The REST API under ``/api/v1/``: every list filtered, sorted and keyset-paginated, and exported
whole as CSV or JSON with ``format=csv|json`` (streamed page by page, so a million rows fit).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query as Param, Request
from fastapi.responses import StreamingResponse

from sounding.browse import MAX_LIMIT, Page, Query, narrow, ranked
from sounding.web import insights, pages, schemas
from sounding.web.app import list_query

ERRORS = {status: {"model": schemas.Error} for status in (400, 401, 403, 404, 409, 422, 502, 503)}
router = APIRouter(prefix="/api/v1", tags=["sounding"], responses=ERRORS)
Filters = Annotated[Query, Depends(list_query)]
Format = Annotated[Literal["page", "csv", "json"], Param(description="page (default): one page as JSON; "
                                                          "csv or json: every matching row as a download")]
EXPORT = {200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                "description": "a page as JSON; with format=csv every row as CSV, with format=json every row "
                               "in one page"}}
MAX_EXPORT = 2_000_000
ByTime = Annotated[Literal["created_at", "-created_at"], Param(description="- for newest first")]
ByComment = Annotated[Literal["created_at", "-created_at", "sentiment", "-sentiment"],
                      Param(description="time or sentiment score; - for descending")]
ByRank = Annotated[Literal["rank", "-rank"], Param(description="rank order; -rank reverses it")]


def _clean(value: Any) -> Any:
    """NaN (pandas' missing number) as null and times with their zone, so every response is valid JSON and matches its schema."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # stored times are UTC; SQLite hands them back naive
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str, ensure_ascii=False)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return "" if value is None else value


def _rows(fetch: Callable[[Query], Page], q: Query, page: Page) -> Iterator[dict]:
    sent = 0
    while True:
        for row in page.items:
            yield _clean(row)
        sent += len(page.items)
        if not page.next or sent >= MAX_EXPORT:
            return
        q.after = page.next
        page = fetch(q)


def _csv(rows: Iterator[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(buffer, fieldnames=list(row), extrasaction="ignore")
            writer.writeheader()
        writer.writerow({k: _cell(v) for k, v in row.items()})
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0), buffer.truncate()
    yield buffer.getvalue()


def _json(rows: Iterator[dict]) -> Iterator[str]:
    """The page shape with every row in it (``next`` null), so one schema describes both."""
    yield '{"items":['
    for i, row in enumerate(rows):
        yield ("," if i else "") + json.dumps(row, default=_cell, ensure_ascii=False)
    yield '],"next":null}\n'


def respond(name: str, fetch: Callable[[Query], Page], q: Query, fmt: str) -> Any:
    if fmt == "page":
        page = fetch(q)
        return {"items": [_clean(r) for r in page.items], "next": page.next}
    q.limit = MAX_LIMIT
    first = fetch(q)  # before the response starts: a bad filter or cursor is still a clean 4xx
    media = "text/csv" if fmt == "csv" else "application/json"
    rows = _rows(fetch, q, first)
    body = _csv(rows) if fmt == "csv" else _json(rows)
    return StreamingResponse(body, media_type=f"{media}; charset=utf-8",
                             headers={"content-disposition": f'attachment; filename="{name}.{fmt}"'})


def _small(rows_of: Callable[[], list[dict]], text_fields: tuple[str, ...] = ("text",)) -> Callable[[Query], Page]:
    def fetch(q: Query) -> Page:
        return ranked([dict(r) for r in narrow(rows_of(), q, text_fields)], q)

    return fetch


def _ctx(request: Request):
    return request.app.state.api, request.app.state.cache


@router.get("/comments", response_model=schemas.Page[schemas.Comment], responses=EXPORT)
def comments(request: Request, q: Filters, format: Format = "page", sort: ByComment = "created_at",
             ours: Annotated[bool | None, Param(description="true: only ours; false: only the audience's")] = None):
    """Comments at any depth with sentiment, intent and theme."""
    api, _ = _ctx(request)
    q.sort = sort
    if ours is not None:
        q.extra["ours"] = ours
    return respond("comments", api.comment_page, q, format)


@router.get("/posts", response_model=schemas.Page[schemas.Post], responses=EXPORT)
def posts(request: Request, q: Filters, format: Format = "page", sort: ByTime = "created_at"):
    """Top-level posts (ours and the audience's) with their comment counts."""
    api, _ = _ctx(request)
    q.sort = sort
    return respond("posts", api.post_page, q, format)


@router.get("/threads/tree", response_model=schemas.Thread)
def thread(request: Request, post: Annotated[str, Param(max_length=1000)],
           platform: Annotated[str | None, Param(max_length=32)] = None):
    """One thread (by its post's platform id) as a tree, each comment with intent and sentiment."""
    api, _ = _ctx(request)
    return _clean(api.thread(post, platform))


@router.get("/lessons", response_model=schemas.Page[schemas.Lesson], responses=EXPORT)
def lessons(request: Request, q: Filters, format: Format = "page", sort: ByRank = "rank"):
    """Lessons ranked by evidence, with intent shares and quotes. Filters: intent, theme, search."""
    api, cache = _ctx(request)
    q.sort = sort
    return respond("lessons", _small(lambda: pages.lessons(api, cache), ("title", "name")), q, format)


@router.get("/lessons/segments", response_model=schemas.Page[schemas.LessonSegment], responses=EXPORT)
def lesson_segments(
    request: Request, q: Filters, by: Annotated[Literal["platform", "returning", "post"], Param()],
    format: Format = "page", sort: ByRank = "rank",
    segments: Annotated[int, Param(ge=1, le=100_000, description="the largest segments to rank in")] = insights.API_SEGMENTS,
    per_segment: Annotated[int, Param(ge=1, le=1000, description="top lessons kept per segment")] = insights.API_PER_SEGMENT,
):
    """Lessons ranked within each segment: platform, returning vs first-time people, or post (thread).
    Filters: platform, intent (the dominant one), theme, search (title, name, segment)."""
    api, cache = _ctx(request)
    q.sort = sort
    rows = lambda: insights.lesson_segments(api, cache, by, segments, per_segment)  # noqa: E731
    return respond(f"lessons-by-{by}", _small(rows, ("title", "name", "segment")), q, format)


@router.get("/themes/series", response_model=schemas.Page[schemas.ThemePeriod], responses=EXPORT)
def theme_series(request: Request, q: Filters, format: Format = "page", sort: ByRank = "rank"):
    """Each theme's size over time: audience comments per day (or week, over long spans), zeros included.
    Filters: theme, search (in the name), since/until/period (on the period's start)."""
    api, cache = _ctx(request)
    q.sort = sort

    def rows() -> list[dict]:
        return [{"rank": i, **r, "created_at": datetime.fromisoformat(r["period"])}
                for i, r in enumerate(cache("theme_series", api.theme_series, follows_analysis=True), 1)]

    fetch = _small(rows, ("name",))
    return respond("theme-series", lambda query: _without(fetch(query), "created_at"), q, format)


def _without(page: Page, key: str) -> Page:
    return Page([{k: v for k, v in r.items() if k != key} for r in page.items], page.next)


@router.get("/themes", response_model=schemas.Page[schemas.Theme], responses=EXPORT)
def themes(request: Request, q: Filters, format: Format = "page", sort: ByRank = "rank"):
    """Themes by people, with words, quotes and trend. Filters: theme, search (in the name)."""
    api, cache = _ctx(request)
    q.sort = sort
    return respond("themes", _small(lambda: pages.themes(api, cache), ("name",)), q, format)


@router.get("/questions", response_model=schemas.Page[schemas.Question], responses=EXPORT)
def questions(request: Request, q: Filters, format: Format = "page",
              state: Annotated[Literal["open", "answered", "ignored", "all"], Param()] = "open",
              assignee: Annotated[str | None, Param(max_length=255)] = None):
    """Audience questions no reply of ours followed (the inbox), oldest first, with state and age."""
    api, cache = _ctx(request)
    q.sort = "created_at"
    return respond("questions", lambda query: pages.inbox_rows(api, cache, query, state, assignee), q, format)


@router.post("/questions/state", response_model=schemas.StateResult)
def set_state(request: Request, change: schemas.StateChange):
    """Mark a question open, answered or ignored, and/or assign it."""
    api, _ = _ctx(request)
    return api.set_inbox_state(change.platform, change.item_id, change.state, change.assignee)


@router.post("/questions/reply", response_model=schemas.ReplyResult)
def reply(request: Request, body: schemas.ReplyRequest):
    """Reply through the thread's account. Without ``confirm: true`` a dry run: the preview only."""
    api, _ = _ctx(request)
    return api.reply(body.platform, body.item_id, body.text, confirm=body.confirm,
                     open_connector=request.app.state.open_connector)


@router.get("/polls", response_model=schemas.Page[schemas.Poll], responses=EXPORT)
def polls(request: Request, q: Filters, format: Format = "page", sort: ByRank = "rank"):
    """Polls with their latest tally: share with interval and P(most preferred) per option."""
    api, cache = _ctx(request)
    q.sort = sort
    return respond("polls", _small(lambda: cache("polls", api.polls)), q, format)


@router.get("/experiments", response_model=schemas.Page[schemas.Experiment], responses=EXPORT)
def experiments(request: Request, q: Filters, format: Format = "page", sort: ByRank = "rank"):
    """Tests with their statistics: estimate, interval and P(best) per variant, and the verdict."""
    api, cache = _ctx(request)
    q.sort = sort
    return respond("experiments", _small(lambda: cache("experiments", api.experiment_reports), ("name",)), q, format)


@router.get("/decisions", response_model=schemas.Page[schemas.Decision], responses=EXPORT)
def decisions(request: Request, q: Filters, format: Format = "page", sort: ByRank = "rank"):
    """What we decided to do about what we heard, newest first, with the status history and linked lessons."""
    api, _ = _ctx(request)
    q.sort = sort
    return respond("decisions", _small(api.act.decisions, ("title", "description")), q, format)


@router.get("/timeline", response_model=schemas.Page[schemas.Period], responses=EXPORT)
def timeline(request: Request, q: Filters, format: Format = "page", sort: ByRank = "rank"):
    """Learning value per day (or week) beside likes and reposts."""
    api, cache = _ctx(request)
    q.sort = sort
    return respond("timeline", _small(lambda: cache("timeline", api.timeline, follows_analysis=True)), q, format)


@router.get("/accounts", response_model=schemas.Page[schemas.Account], responses=EXPORT)
def accounts(request: Request, q: Filters, format: Format = "page", sort: ByRank = "rank"):
    """Connected accounts, when each last synced, and the last error kept."""
    api, _ = _ctx(request)
    q.sort = sort
    return respond("accounts", _small(api.sync_status, ("handle",)), q, format)
