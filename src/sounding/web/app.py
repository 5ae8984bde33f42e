"""The ASGI application of ``sounding serve``: pages, the REST API, static files, and the guards.

One :class:`~sounding.api.Sounding` serves every request (its engine pools connections; FastAPI
runs the plain ``def`` routes in a thread pool). Pages and summaries come from one
:class:`~sounding.web.cache.Cache` keyed by the store's data version; a page already computed is
answered from the event loop without a thread. Errors are :class:`SoundingError` kinds mapped to
their HTTP status in one handler: JSON under ``/api/``, a page elsewhere.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import anyio.to_thread
from fastapi import FastAPI, Query as Param, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BeforeValidator
from starlette.exceptions import HTTPException as StarletteHTTPException

from sounding.api import Sounding
from sounding.browse import MAX_LIMIT, Query
from sounding.errors import SoundingError
from sounding.web import security
from sounding.web.cache import Cache
from sounding.web.render import STATIC, Links, render

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_only(value):
    """Dates as ISO text only (pydantic alone would also read ``0.5`` as a Unix time)."""
    if isinstance(value, str) and not _ISO.match(value):
        raise ValueError("an ISO date (2024-05-01) or time (2024-05-01T12:00:00Z)")
    return value


def _moment(value: datetime | date | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day)


async def list_query(
    platform: Annotated[str | None, Param(max_length=32, description="e.g. bluesky, mastodon")] = None,
    since: Annotated[datetime | date | None, BeforeValidator(_iso_only),
                     Param(description="ISO date or time, inclusive")] = None,
    until: Annotated[datetime | date | None, BeforeValidator(_iso_only),
                     Param(description="ISO date or time, exclusive")] = None,
    period: Annotated[str | None, Param(pattern=r"^(\d{1,4}[dw])?$", description="last N days/weeks, e.g. 30d")] = None,
    intent: Annotated[str | None, Param(pattern="^(question|suggestion|problem|praise|other)?$")] = None,
    sentiment: Annotated[str | None, Param(pattern="^(negative|neutral|positive)?$")] = None,
    theme: Annotated[str | None, Param(max_length=64, description="theme key")] = None,
    post: Annotated[str | None, Param(max_length=1000, description="thread: the post's platform id")] = None,
    search: Annotated[str | None, Param(max_length=200, description="text contains (case-insensitive)")] = None,
    limit: Annotated[int, Param(ge=1, le=MAX_LIMIT)] = 50,
    after: Annotated[str | None, Param(max_length=500, description="`next` of the previous page")] = None,
) -> Query:
    """The filters every list takes (the API's and the pages' alike)."""
    since, until = _moment(since), _moment(until)
    if period:
        days = int(period[:-1]) * (7 if period.endswith("w") else 1)
        since = datetime.now(UTC) - timedelta(days=days)
    return Query(platform=platform or None, since=_naive(since), until=_naive(until), intent=intent or None,
                 sentiment=sentiment or None, theme=theme or None, post=post or None, search=search or None,
                 sort="", limit=limit, after=after or None, period=period or None)


def _naive(value: datetime | None) -> datetime | None:
    """Stored times are UTC (naive on SQLite): compare like with like."""
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # 0001-01-01T00:00+00:01 is before the first UTC moment a datetime holds
        from sounding.errors import UsageError

        raise UsageError(f"{value.isoformat()} is out of range", hint="a date between years 1 and 9999") from None


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, message: str, hint: str | None = None) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message, "hint": hint, "status": status}, status_code=status)
    html = render("error.html", Links(), title="Error", status=status, message=message, hint=hint)
    return HTMLResponse(html, status_code=status)


def create_app(api: Sounding | str | None = None, *, auth: security.Auth | None = None,
               open_connector: Callable | None = None, threads: int | None = None,
               warm: bool = False, cache: Cache | None = None) -> FastAPI:
    """The app over ``api`` (a Sounding, or a database URL/path). ``auth=None``: loopback, no tokens.
    ``threads``: how many requests may read the database at once (anyio's pool; default 40).
    ``warm``: compute the cached summaries in the background at start, before the first visitor.
    ``cache``: how long pages may lag behind other processes' writes (default: see web.cache)."""
    from sounding.web import pages, routes_api, routes_pages

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if threads:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        if warm:
            threading.Thread(target=pages.overview, args=(app.state.api, app.state.cache), daemon=True,
                             name="warm-caches").start()
        yield

    api = api if isinstance(api, Sounding) else Sounding(api)
    app = FastAPI(
        lifespan=lifespan,
        title="Sounding", version="1", docs_url="/api/docs", redoc_url=None, openapi_url="/api/v1/openapi.json",
        description="What your audience told you: comments with their analysis, lessons, themes, questions "
        "waiting for an answer, polls and tests. Every list is keyset-paginated (`next`) and exports as CSV or "
        "JSON with `format=`.",
    )
    app.state.api = api
    app.state.cache = cache or Cache(api)
    app.state.auth = auth or security.Auth(key=security.signing_key(), required=False)
    if app.state.auth.tokens is None:
        from sounding.core.tokens import Tokens

        app.state.auth.tokens = Tokens(api.store)
    app.state.open_connector = open_connector

    @app.exception_handler(SoundingError)
    def sounding_error(request: Request, exc: SoundingError) -> Response:
        return _error_page(request, exc.http_status, exc.message, exc.hint)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = _error_page(request, exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
            return JSONResponse({"error": "invalid request", "detail": detail, "status": 422},
                                status_code=422)
        fields = ", ".join(str(e["loc"][-1]) for e in exc.errors())
        return _error_page(request, 422, f"invalid value for: {fields}")

    app.add_middleware(Guard)

    @app.get(security.LOGIN_PATH, include_in_schema=False)
    def login(token: str | None = None) -> Response:
        auth: security.Auth = app.state.auth
        if not auth.use_login(token):
            return HTMLResponse("This login link is not valid (each one works once).", status_code=401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(security.COOKIE, auth.session_cookie(), max_age=security.SESSION_SECONDS,
                            httponly=True, samesite="strict")
        return response

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:  # browsers ask for it on pages without a <link rel=icon> (JSON, CSV)
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    app.include_router(routes_api.router)
    app.include_router(routes_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


class Guard:
    """Pure ASGI middleware (no extra task per request): the token and CSRF checks of :func:`_check`,
    then the security headers on every response, the refusals included."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = [(k.encode(), v.encode()) for k, v in security.HEADERS.items()]

        unsafe = scope["method"] not in security.SAFE_METHODS

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                if unsafe:  # this app wrote (or tried to): its next page is computed afresh
                    scope["app"].state.cache.version.bump()
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in present)]
            await send(message)

        refusal = await _check(Request(scope), scope["app"].state.auth)
        if refusal is not None:
            return await refusal(scope, receive, send_with_headers)
        await self.app(scope, receive, send_with_headers)


async def _check(request: Request, auth: security.Auth) -> Response | None:
    """401 without a valid token (off loopback; unknown, expired and revoked alike), 403 for a read
    token writing or a cross-site write."""
    if security.cross_site(request.method, request.headers):
        return _error_page(request, 403, "cross-site request refused")
    path = request.url.path
    if not auth.required or path == security.LOGIN_PATH or path.startswith("/static/"):
        return None
    scope = auth.cookie_scope(request.cookies.get(security.COOKIE))
    header = request.headers.get("authorization")
    if scope is None and header:  # a store lookup: off the event loop
        scope = await anyio.to_thread.run_sync(auth.bearer_scope, header)
    if scope is None:
        response = _error_page(request, 401, "a token is needed",
                               "open the login URL printed by `sounding serve`, or send a bearer token")
        response.headers["www-authenticate"] = "Bearer"
        return response
    if scope == "read" and request.method not in security.SAFE_METHODS:
        return _error_page(request, 403, "this token may only read")
    return None
