"""Server-rendered pages (Jinja2, autoescaped) and the inbox's form actions.

Every page works without JavaScript; htmx (vendored) only swaps the inbox list in place after a
"mark answered". Replies are a preview first (dry run) and go out only from its confirm button.
Pages that read the analysis are rendered once per change of the store (:func:`_page`) and
answered from the event loop while still current.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sounding.browse import Query
from sounding.web import insights, pages
from sounding.web.app import list_query
from sounding.web.cache import as_of
from sounding.web.render import Links, render

router = APIRouter(include_in_schema=False)
Filters = Annotated[Query, Depends(list_query)]


def _html(template: str, context: dict) -> HTMLResponse:
    return HTMLResponse(_render(template, context))


def _render(template: str, context: dict) -> bytes:
    return render(template, Links(), as_of=as_of(), **context).encode()


async def _page(request: Request, template: str, build) -> HTMLResponse:
    """The page for this URL from the cache (computed in a worker thread when it must be)."""
    cache = _cache(request)
    key = f"page:{request.url.path}?{request.url.query}"

    def compute() -> bytes:
        return _render(template, build())

    entry = cache.peek(key, compute)
    if entry is None:
        entry = await run_in_threadpool(cache.entry, key, compute)
    return HTMLResponse(entry.value)


def _api(request: Request):
    return request.app.state.api


def _cache(request: Request):
    return request.app.state.cache


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request) -> HTMLResponse:
    return await _page(request, "overview.html", lambda: pages.overview(_api(request), _cache(request)))


@router.get("/lessons", response_class=HTMLResponse)
async def lessons(request: Request, q: Filters,
                  by: Literal["platform", "returning", "post"] | None = None) -> HTMLResponse:
    if by:
        return await _page(request, "lessons_segments.html",
                           lambda: insights.segments_page(_api(request), _cache(request), by, q))
    q.limit = min(q.limit, 20) if "limit" not in request.query_params else q.limit
    return await _page(request, "lessons.html", lambda: {
        **pages.lessons_page(_api(request), _cache(request), q), "views": insights.SEGMENTS, "by": None})


@router.get("/themes", response_class=HTMLResponse)
async def themes(request: Request, q: Filters) -> HTMLResponse:
    def build() -> dict:
        api, cache = _api(request), _cache(request)
        context = pages.themes_page(api, cache, q)
        chart = insights.theme_chart(api, cache, context["themes"], q.theme) if api.analysed else None
        return {**context, "chart": chart}

    return await _page(request, "themes.html", build)


@router.get("/comments", response_class=HTMLResponse)
def comments(request: Request, q: Filters,
             sort: Literal["created_at", "-created_at", "sentiment", "-sentiment"] = "-created_at",
             who: Literal["audience", "ours", "everyone"] = "audience") -> HTMLResponse:
    q.sort = sort
    if who != "everyone":
        q.extra["ours"] = who == "ours"
    return _html("comments.html", pages.comments_page(_api(request), q, who))


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(request: Request, q: Filters, state: str = "open", assignee: str | None = None) -> HTMLResponse:
    q.sort = "created_at"
    q.limit = q.limit if "limit" in request.query_params else 25
    return await _page(request, "inbox.html",
                       lambda: pages.inbox_page(_api(request), _cache(request), q, state, assignee))


@router.post("/inbox/state")
def mark(
    request: Request,
    platform: Annotated[str, Form(max_length=32)],
    item: Annotated[str, Form(max_length=1000)],
    state: Annotated[str, Form(max_length=16)],
    assignee: Annotated[str | None, Form(max_length=255)] = None,
    view: Annotated[str, Form(max_length=16)] = "open",
) -> Response:
    api = _api(request)
    api.set_inbox_state(platform, item, state, assignee)
    if request.headers.get("hx-request"):  # htmx swaps #inbox from the refreshed page
        return _html("inbox.html", pages.inbox_page(api, _cache(request), Query(sort="created_at"), view, None))
    return RedirectResponse(f"/inbox?{urlencode({'state': view})}", status_code=303)


@router.post("/inbox/reply", response_class=HTMLResponse)
def reply(
    request: Request,
    platform: Annotated[str, Form(max_length=32)],
    item: Annotated[str, Form(max_length=1000)],
    text: Annotated[str, Form(max_length=2000)],
    confirm: Annotated[str | None, Form(max_length=8)] = None,
) -> HTMLResponse:
    """Without ``confirm=yes``: the preview (nothing is sent). With it: publish, then show the result."""
    api = _api(request)
    if confirm != "yes":
        return _html("reply.html", {"title": "Reply preview", "plan": api.reply(platform, item, text), "sent": None})
    sent = api.reply(platform, item, text, confirm=True, open_connector=request.app.state.open_connector)
    return _html("reply.html", {"title": "Reply sent", "plan": sent, "sent": sent})


@router.get("/thread", response_class=HTMLResponse)
async def thread(request: Request, post: str, platform: str | None = None) -> HTMLResponse:
    return await _page(request, "thread.html", lambda: pages.thread_page(_api(request), post, platform))


@router.get("/tests", response_class=HTMLResponse)
async def tests(request: Request) -> HTMLResponse:
    return await _page(request, "tests.html", lambda: pages.tests_page(_api(request), _cache(request)))


@router.get("/tests/report", response_class=HTMLResponse)
def test_report(request: Request, name: str) -> HTMLResponse:
    return _html("test_report.html", pages.test_report_page(_api(request), _cache(request), name))


@router.get("/polls", response_class=HTMLResponse)
async def polls(request: Request) -> HTMLResponse:
    return await _page(request, "polls.html", lambda: pages.polls_page(_api(request), _cache(request)))


@router.get("/decisions", response_class=HTMLResponse)
def decisions(request: Request) -> HTMLResponse:
    return _html("decisions.html", pages.decisions_page(_api(request)))


@router.get("/sync", response_class=HTMLResponse)
def sync(request: Request) -> HTMLResponse:
    return _html("sync.html", pages.sync_page(_api(request)))
