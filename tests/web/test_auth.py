"""Off loopback every page and API route needs a token (the routes enumerated from the app, so a
new one cannot slip through); cross-site writes are refused; tokens are scoped, expire, and never
reach the access log; every response carries the security headers."""

from __future__ import annotations

import logging

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from sounding.web import security
from sounding.web.app import create_app

# one valid request per route: (method, path with query, JSON or form body)
SAMPLES = {
    ("GET", "/"): ("/", None),
    ("GET", "/lessons"): ("/lessons?by=returning", None),
    ("GET", "/themes"): ("/themes", None),
    ("GET", "/comments"): ("/comments?intent=question", None),
    ("GET", "/inbox"): ("/inbox", None),
    ("POST", "/inbox/state"): ("/inbox/state", {"data": {"platform": "twitter", "item": "{question}", "state": "ignored"}}),
    ("POST", "/inbox/reply"): ("/inbox/reply", {"data": {"platform": "twitter", "item": "{question}", "text": "Thanks!"}}),
    ("GET", "/thread"): ("/thread?post=2084", None),
    ("GET", "/tests"): ("/tests", None),
    ("GET", "/tests/report"): ("/tests/report?name=question-wording", None),
    ("GET", "/polls"): ("/polls", None),
    ("GET", "/sync"): ("/sync", None),
    ("GET", "/decisions"): ("/decisions", None),
    ("GET", "/api/v1/comments"): ("/api/v1/comments?limit=5", None),
    ("GET", "/api/v1/posts"): ("/api/v1/posts?format=csv", None),
    ("GET", "/api/v1/threads/tree"): ("/api/v1/threads/tree?post=2084", None),
    ("GET", "/api/v1/lessons"): ("/api/v1/lessons", None),
    ("GET", "/api/v1/themes"): ("/api/v1/themes?format=json", None),
    ("GET", "/api/v1/lessons/segments"): ("/api/v1/lessons/segments?by=platform&format=csv", None),
    ("GET", "/api/v1/themes/series"): ("/api/v1/themes/series?theme=x", None),
    ("GET", "/api/v1/questions"): ("/api/v1/questions", None),
    ("POST", "/api/v1/questions/state"): ("/api/v1/questions/state",
                                          {"json": {"platform": "twitter", "item_id": "{question}", "state": "open"}}),
    ("POST", "/api/v1/questions/reply"): ("/api/v1/questions/reply",
                                          {"json": {"platform": "twitter", "item_id": "{question}", "text": "hi"}}),
    ("GET", "/api/v1/polls"): ("/api/v1/polls", None),
    ("GET", "/api/v1/experiments"): ("/api/v1/experiments", None),
    ("GET", "/api/v1/decisions"): ("/api/v1/decisions", None),
    ("GET", "/api/v1/timeline"): ("/api/v1/timeline", None),
    ("GET", "/api/v1/accounts"): ("/api/v1/accounts", None),
    ("GET", "/api/v1/openapi.json"): ("/api/v1/openapi.json", None),
    ("GET", "/api/docs"): ("/api/docs", None),
    ("GET", "/favicon.ico"): ("/favicon.ico", None),
    ("GET", "/docs/oauth2-redirect"): ("/docs/oauth2-redirect", None),
}


@pytest.fixture
def app(demo_copy):
    from sounding.api import Sounding

    api = Sounding(demo_copy)
    # a reply preview needs an account to reply from
    api.store.upsert_account("twitter", "airline")
    app = create_app(api, auth=security.Auth(key=b"k" * 32, required=True))
    app.state.question = api.inbox().items[0]["id"]
    yield app
    api.close()


def _token(app, scope: str = "write", expires_in: int = 3600) -> str:
    return app.state.auth.tokens.create(scope, expires_in)["token"]


def _flat(routes):
    """The app's routes, with included routers opened (FastAPI keeps them nested)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from (_flat(inner.routes) if inner is not None else [route])


def routes(app) -> list[tuple[str, str]]:
    out = []
    for route in _flat(app.routes):
        if isinstance(route, Mount):
            assert route.path == "/static", "only the static files are served without a token"
            continue
        methods = route.methods if isinstance(route, (APIRoute, Route)) else set()
        out.extend((m, route.path) for m in sorted(methods - {"HEAD"}))
    return out


def _send(client, app, method, key, headers=None):
    path, body = SAMPLES[key]
    kwargs = {}
    if body:
        kind, values = next(iter(body.items()))
        kwargs[kind] = {k: v.replace("{question}", app.state.question) if isinstance(v, str) else v
                        for k, v in values.items()}
    return client.request(method, path, headers=headers or {}, follow_redirects=False, **kwargs)


def test_every_route_is_enumerated_and_needs_a_token(app):
    listed = [r for r in routes(app) if r[1] != security.LOGIN_PATH]
    assert len(listed) >= 25
    missing = set(listed) - set(SAMPLES)
    assert not missing, f"routes without a sample request in this test: {missing}"
    client = TestClient(app)
    for method, path in listed:
        response = _send(client, app, method, (method, path))
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.headers["www-authenticate"] == "Bearer"
    token = _token(app)
    for method, path in listed:
        response = _send(client, app, method, (method, path), {"authorization": f"Bearer {token}"})
        assert response.status_code in (200, 303), (method, path, response.status_code, response.text[:200])


def test_login_url_works_once_and_sets_a_signed_cookie(app):
    client = TestClient(app)
    assert client.get("/", follow_redirects=False).status_code == 401
    assert client.get(f"{security.LOGIN_PATH}?token=wrong", follow_redirects=False).status_code == 401
    response = client.get(f"{security.LOGIN_PATH}?token={app.state.auth.login_token}", follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert security.COOKIE in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/lessons").status_code == 200
    other = TestClient(app)  # the link is spent: a second browser gets nothing from it
    assert other.get(f"{security.LOGIN_PATH}?token={app.state.auth.login_token}", follow_redirects=False).status_code == 401
    value = cookie.split(";")[0].split("=", 1)[1]
    flipped = value[:-10] + ("A" if value[-10] != "A" else "B") + value[-9:]  # a full 6-bit digit of the signature
    forged = TestClient(app, cookies={security.COOKIE: flipped})
    assert forged.get("/").status_code == 401


def test_read_tokens_cannot_write(app):
    client = TestClient(app)
    read = _token(app, "read")
    assert client.get("/api/v1/questions", headers={"authorization": f"Bearer {read}"}).status_code == 200
    body = {"platform": "twitter", "item_id": app.state.question, "state": "ignored"}
    assert client.post("/api/v1/questions/state", json=body, headers={"authorization": f"Bearer {read}"}).status_code == 403
    write = _token(app, "write")
    assert client.post("/api/v1/questions/state", json=body, headers={"authorization": f"Bearer {write}"}).status_code == 200


def test_cross_site_posts_are_refused(demo_copy):
    from sounding.api import Sounding

    api = Sounding(demo_copy)
    client = TestClient(create_app(api))  # loopback: no token, but still no CSRF
    item = api.inbox().items[0]["id"]
    form = {"platform": "twitter", "item": item, "state": "answered"}
    for headers in ({"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"},
                    {"origin": "https://evil.example"}):
        response = client.post("/inbox/state", data=form, headers=headers, follow_redirects=False)
        assert response.status_code == 403, headers
    assert api.inbox().items[0]["id"] == item  # nothing was marked
    same = client.post("/inbox/state", data=form, headers={"sec-fetch-site": "same-origin", "origin": "http://testserver"},
                       follow_redirects=False)
    assert same.status_code == 303
    assert item not in [q["id"] for q in api.inbox().items]
    api.close()


def test_security_headers_on_every_response(app):
    client = TestClient(app)
    for path in ("/", "/static/app.js", "/api/v1/lessons", "/nope"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"


def test_tokens_never_reach_the_access_log(caplog):
    security.install_log_filter()
    logger = logging.getLogger("uvicorn.access")
    logger.addHandler(caplog.handler)  # uvicorn's own config (a served app in this worker) stops propagation
    try:
        with caplog.at_level(logging.INFO, logger="uvicorn.access"):
            logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/-/login?token=s3cr3t-value&x=1", "1.1",
                        303)
    finally:
        logger.removeHandler(caplog.handler)
    assert "s3cr3t-value" not in caplog.text and "token=[redacted]" in caplog.text


def test_pages_escape_and_use_no_inline_script(app):
    client = TestClient(app)
    token = _token(app, "read", 60)
    for path in ("/", "/lessons", "/lessons?by=post", "/themes", "/comments", "/inbox", "/tests", "/polls", "/decisions", "/sync", "/thread?post=2084"):
        html = client.get(path, headers={"authorization": f"Bearer {token}"}).text
        assert "<script>" not in html and " onclick=" not in html and " onload=" not in html
        assert html.count("<script src=") == 3
