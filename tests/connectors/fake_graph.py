"""A small fake of the Meta Graph API edges Sounding reads and writes, as Meta documents them.

Shapes (developers.facebook.com/docs): ``/{ig-user-id}/media`` and ``/{ig-media-id}/comments``
(IG Media / IG Comment reference: ``id, text, timestamp "2017-08-31T18:10:30+0000", username,
like_count, from{id,username}, parent_id``, nested ``replies{…}``), ``/{ig-comment-id}/replies``,
``/{page-id}/posts`` (``message, created_time, permalink_url, from, shares{count},
reactions/comments{data, summary{total_count}}``), ``/{post-id}/comments`` (``filter=stream`` gives
replies too, each with ``parent{id}``; ``order=chronological``). Every list is
``{"data": [...], "paging": {"cursors": {"before", "after"}, "next"?}}``; ``next`` is absent on
the last page and carries ``access_token`` in its query, like Meta's. Errors are
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``. Only the requested
``fields`` (top-level names) are returned.

The same :class:`FakeGraph` answers httpx's ``MockTransport`` (transport tests) and, through
:class:`FakeGraphServer`, a real HTTP server on 127.0.0.1 run by uvicorn in a thread (CLI tests).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from typing import Any, Self
from urllib.parse import urlencode

import httpx

IG_ID = "17841400000000001"
IG_USERNAME = "brand.studio"
PAGE_ID = "104000000000001"
PAGE_NAME = "Brand Studio"
TOKEN = "EAAG-test-token-very-secret"
VERSION = "v25.0"


def _ts(day: int, hour: int = 10) -> str:
    return f"2026-11-{day:02d}T{hour:02d}:00:00+0000"


def _cursor(index: int) -> str:
    return base64.b64encode(f"idx:{index}".encode()).decode()


def _uncursor(value: str) -> int:
    return int(base64.b64decode(value).decode().split(":")[1])


def top_fields(spec: str | None) -> set[str] | None:
    """Top-level names of a ``fields`` list: ``from{id,username}`` → ``from``, ``a.limit(0)`` → ``a``."""
    if not spec:
        return None
    depth, name, names = 0, "", set()
    for ch in spec + ",":
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        elif ch == "," and depth == 0:
            names.add(re.split(r"[.{(]", name, maxsplit=1)[0].strip())
            name = ""
            continue
        name += ch
    return names


def error(code: int, message: str, *, subcode: int | None = None, kind: str = "OAuthException") -> dict:
    err: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123"}
    if subcode:
        err["error_subcode"] = subcode
    return {"error": err}


class FakeGraph:
    """In-memory Instagram account and Facebook Page with comments and replies; logs every call."""

    def __init__(self, page_size: int = 2, base_url: str = f"https://graph.example/{VERSION}") -> None:
        self.page_size = page_size
        self.base_url = base_url
        self.log: list[tuple[str, str, dict]] = []
        self.faults: list[tuple[str, int, dict, dict | str]] = []  # (path needle, status, headers, body)
        self.delay = 0.0  # seconds per request (slows a sync down to kill it mid-way)
        self.valid_tokens = {TOKEN}
        self.lock = threading.Lock()
        self.next_id = 900
        self.seed()

    # -- data ------------------------------------------------------------------------------------
    def seed(self) -> None:
        ig_from = {"id": IG_ID, "username": IG_USERNAME}
        self.media: list[dict] = []
        self.ig_comments: dict[str, list[dict]] = {}
        for n in range(5):  # newest first
            mid = f"1789000000000{n}"
            self.media.append(
                {
                    "id": mid,
                    "caption": f"Post {n}: what should we make next?",
                    "media_type": "IMAGE",
                    "media_product_type": "FEED",
                    "permalink": f"https://www.instagram.com/p/ABC{n}/",
                    "timestamp": _ts(20 - n),
                    "username": IG_USERNAME,
                    "like_count": 10 + n,
                    "comments_count": 0,
                }
            )
            comments = []
            for k in range(3):
                cid = f"1790{n}{k}000000"
                user = f"fan_{n}_{k}"
                c = {
                    "id": cid,
                    "text": f"Comment {k} on post {n}: more colours please",
                    "timestamp": _ts(20 - n, 11 + k),
                    "username": user,
                    "like_count": k,
                    "from": {"id": f"9{n}{k}", "username": user},
                    "_replies": [],
                }
                reply_count = 5 if (n, k) == (0, 0) else (1 if k == 1 else 0)
                for r in range(reply_count):
                    ours = r == 0
                    who = ig_from if ours else {"id": f"8{n}{k}{r}", "username": f"friend_{r}"}
                    c["_replies"].append(
                        {
                            "id": f"1791{n}{k}{r}00000",
                            "text": "Thanks, noted!" if ours else f"+1 from friend {r}",
                            "timestamp": _ts(20 - n, 15 + r),
                            "username": who["username"],
                            "like_count": 0,
                            "from": who,
                            "parent_id": cid,
                        }
                    )
                comments.append(c)
            self.ig_comments[mid] = comments
            self.media[-1]["comments_count"] = sum(1 + len(c["_replies"]) for c in comments)

        page_from = {"name": PAGE_NAME, "id": PAGE_ID}
        self.fb_posts: list[dict] = []
        self.fb_comments: dict[str, list[dict]] = {}
        for n in range(4):
            pid = f"{PAGE_ID}_20000{n}"
            flat: list[dict] = []
            for k in range(3):
                cid = f"20000{n}_3000{k}"
                flat.append(self._fb_comment(cid, f"Question {k} on post {n}?", {"name": f"Ann {n}{k}", "id": f"7{n}{k}"}, _ts(20 - n, 11 + k)))
                if k == 0:  # a reply by the Page, then a reply to that reply (depth 2)
                    rid = f"20000{n}_3100{k}"
                    flat.append(self._fb_comment(rid, "We hear you!", page_from, _ts(20 - n, 16), parent=cid))
                    flat.append(self._fb_comment(f"20000{n}_3200{k}", "Great, thanks", {"name": f"Ann {n}{k}", "id": f"7{n}{k}"}, _ts(20 - n, 17), parent=rid))
            flat.sort(key=lambda c: c["created_time"])
            for c in flat:
                c["comment_count"] = sum(1 for d in flat if (d.get("parent") or {}).get("id") == c["id"])
            self.fb_comments[pid] = flat
            self.fb_posts.append(
                {
                    "id": pid,
                    "message": f"Page post {n}: tell us what to fix",
                    "created_time": _ts(20 - n),
                    "permalink_url": f"https://www.facebook.com/{PAGE_ID}/posts/20000{n}",
                    "from": page_from,
                    "shares": {"count": n},
                    "reactions": {"data": [], "summary": {"total_count": 20 + n, "viewer_reaction": "NONE"}},
                    "comments": {"data": [], "summary": {"order": "ranked", "total_count": len(flat), "can_comment": True}},
                }
            )

        # a customer's post on the Page (only in /feed), answered by the Page
        vid, who = f"{PAGE_ID}_299999", {"name": "Zoe Customer", "id": "6001"}
        self.fb_comments[vid] = [self._fb_comment("299999_39999", "Sorry Zoe! Please DM us your order number.",
                                                  page_from, _ts(19, 14))]
        self.fb_comments[vid][0]["comment_count"] = 0
        self.fb_posts.insert(1, {
            "id": vid, "message": "My order arrived broken, who do I contact?", "created_time": _ts(19, 12),
            "permalink_url": f"https://www.facebook.com/{PAGE_ID}/posts/299999", "from": who,
            "reactions": {"data": [], "summary": {"total_count": 0, "viewer_reaction": "NONE"}},
            "comments": {"data": [], "summary": {"order": "ranked", "total_count": 1, "can_comment": True}},
        })

    @staticmethod
    def _fb_comment(cid: str, text: str, who: dict, when: str, parent: str | None = None) -> dict:
        c = {"id": cid, "message": text, "created_time": when, "from": who, "like_count": 1,
             "permalink_url": f"https://www.facebook.com/{PAGE_ID}/posts/x?comment_id={cid}"}
        if parent:
            c["parent"] = {"id": parent}
        return c

    # -- HTTP ------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, params: dict, headers: dict) -> tuple[int, dict, Any]:
        with self.lock:
            self.log.append((method, path, dict(params)))
            for i, (needle, status, hdrs, body) in enumerate(self.faults):
                if needle in path:
                    del self.faults[i]
                    return status, hdrs, body
        if self.delay:
            time.sleep(self.delay)
        auth = headers.get("authorization", "")
        token = auth.split(" ", 1)[1] if " " in auth else params.get("access_token")
        if token not in self.valid_tokens:
            return 400, {}, error(190, "Error validating access token: Session has expired on Tuesday, "
                                  "01-Dec-26 10:00:00 PST.", subcode=463)
        parts = [p for p in path.split("/") if p]
        if parts and re.fullmatch(r"v\d+\.\d+", parts[0]):
            parts = parts[1:]
        with self.lock:
            return self.route(method, parts, params)

    def route(self, method: str, parts: list[str], q: dict) -> tuple[int, dict, Any]:
        fields = top_fields(q.get("fields"))
        if method == "POST":
            return self._create(parts, q)
        if len(parts) == 1:
            node = parts[0]
            if node == IG_ID:
                return 200, {}, self._only({"id": IG_ID, "username": IG_USERNAME, "media_count": 5}, fields)
            if node == PAGE_ID:
                if fields and "media_count" in fields:
                    return 400, {}, error(100, "(#100) Tried accessing nonexisting field (media_count) on node "
                                          "type (Page)", kind="OAuthException")
                return 200, {}, self._only({"id": PAGE_ID, "name": PAGE_NAME, "username": "brandstudio"}, fields)
            if m := next((m for m in self.media if m["id"] == node), None):
                return 200, {}, self._only(m, fields)
            if fields and "media_type" in fields:
                return 400, {}, error(100, "Tried accessing nonexisting field (media_type) on node type (IGComment)",
                                      kind="GraphMethodException")
            return 404, {}, error(100, "Unsupported get request.", subcode=33, kind="GraphMethodException")
        node, edge = parts[0], parts[1]
        if node == IG_ID and edge == "media":
            return 200, {}, self._list(parts, q, self.media, fields)
        if edge == "comments" and node in self.ig_comments:
            items = [self._ig_comment(c, q, fields) for c in self.ig_comments[node]]
            return 200, {}, self._list(parts, q, items, None)
        if edge == "replies":
            for comments in self.ig_comments.values():
                for c in comments:
                    if c["id"] == node:
                        return 200, {}, self._list(parts, q, c["_replies"], fields)
        if node == PAGE_ID and edge in ("posts", "feed"):  # /posts: the Page's own; /feed: visitors' too
            posts = self.fb_posts if edge == "feed" else [p for p in self.fb_posts if p["from"]["id"] == PAGE_ID]
            return 200, {}, self._list(parts, q, posts, fields)
        if edge == "comments" and node in self.fb_comments:
            flat = self.fb_comments[node]
            items = flat if q.get("filter") == "stream" else [c for c in flat if "parent" not in c]
            return 200, {}, self._list(parts, q, items, fields)
        return 400, {}, error(100, f"Unknown path components: /{edge}", kind="OAuthException")

    def _ig_comment(self, c: dict, q: dict, fields: set[str] | None) -> dict:
        out = self._only({k: v for k, v in c.items() if not k.startswith("_")}, fields)
        if fields is None or "replies" in fields:
            replies = c["_replies"]
            out["replies"] = self._list([c["id"], "replies"], {"limit": self.page_size}, replies, None)
            if not replies:
                del out["replies"]  # Meta leaves out an empty nested edge
        return out

    def _only(self, obj: dict, fields: set[str] | None) -> dict:
        if fields is None:
            return dict(obj)
        return {k: v for k, v in obj.items() if k in fields or k == "id"}

    def _list(self, parts: list[str], q: dict, items: list[dict], fields: set[str] | None) -> dict:
        limit = min(int(q.get("limit") or 25), self.page_size)
        start = _uncursor(q["after"]) + 1 if q.get("after") else 0
        chunk = items[start : start + limit]
        body: dict[str, Any] = {"data": [self._only(i, fields) for i in chunk]}
        if chunk:
            body["paging"] = {"cursors": {"before": _cursor(start), "after": _cursor(start + len(chunk) - 1)}}
            if start + len(chunk) < len(items):
                nq = {k: v for k, v in q.items() if k != "after"}
                nq.update(access_token=TOKEN, after=_cursor(start + len(chunk) - 1))
                body["paging"]["next"] = f"{self.base_url}/{'/'.join(parts)}?{urlencode(nq)}"
        return body

    def _create(self, parts: list[str], q: dict) -> tuple[int, dict, Any]:
        self.next_id += 1
        node, edge = parts[0], parts[1] if len(parts) > 1 else ""
        text = q.get("message", "")
        if edge == "replies":
            for comments in self.ig_comments.values():
                for c in comments:
                    if c["id"] == node:
                        new = {"id": f"1799{self.next_id}", "text": text, "timestamp": _ts(21),
                               "username": IG_USERNAME, "like_count": 0,
                               "from": {"id": IG_ID, "username": IG_USERNAME}, "parent_id": node}
                        c["_replies"].append(new)
                        return 200, {}, {"id": new["id"]}
        if edge == "comments" and node in self.ig_comments:
            new = {"id": f"1798{self.next_id}", "text": text, "timestamp": _ts(21), "username": IG_USERNAME,
                   "like_count": 0, "from": {"id": IG_ID, "username": IG_USERNAME}, "_replies": []}
            self.ig_comments[node].append(new)
            return 200, {}, {"id": new["id"]}
        if edge == "comments":
            for post_id, flat in self.fb_comments.items():
                if node == post_id or any(c["id"] == node for c in flat):
                    new = self._fb_comment(f"{post_id.split('_')[1]}_{self.next_id}", text,
                                           {"name": PAGE_NAME, "id": PAGE_ID}, _ts(21),
                                           parent=None if node == post_id else node)
                    flat.append(new)
                    return 200, {}, {"id": new["id"]}
        if node == PAGE_ID and edge == "feed":
            return 200, {}, {"id": f"{PAGE_ID}_{self.next_id}"}
        return 400, {}, error(100, "Invalid parameter", kind="OAuthException")

    # -- transports ------------------------------------------------------------------------------
    def handler(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        status, headers, body = self.handle(request.method, request.url.path, params, dict(request.headers))
        content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        return httpx.Response(status, headers={"content-type": "application/json", **headers}, content=content)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


class LocalServer:
    """Any ``httpx.Request -> httpx.Response`` handler behind a real HTTP server on 127.0.0.1
    (a Starlette app run by uvicorn in a thread), so the real CLI can talk to it."""

    def __init__(self, handler: Any, prefix: str = "") -> None:
        self.handler, self.prefix = handler, prefix
        self.server: Any = None
        self.thread: threading.Thread | None = None

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        def call(request: Request, body: bytes) -> Response:
            out = self.handler(httpx.Request(request.method, str(request.url), headers=request.headers.raw, content=body))
            headers = {k: v for k, v in out.headers.items() if k.lower() not in ("content-length", "content-encoding")}
            return Response(out.content, status_code=out.status_code, headers=headers)

        async def endpoint(request: Request) -> Response:
            from starlette.concurrency import run_in_threadpool

            return await run_in_threadpool(call, request, await request.body())  # handlers may sleep

        return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])

    def __enter__(self) -> Self:
        import socket

        import uvicorn

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(self.app(), log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port}{self.prefix}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        if self.thread:
            self.thread.join(timeout=10)


class FakeGraphServer(LocalServer):
    """:class:`FakeGraph` served on 127.0.0.1; ``url`` is its versioned Graph API base URL."""

    def __init__(self, graph: FakeGraph | None = None) -> None:
        self.graph = graph or FakeGraph()
        super().__init__(self.graph.handler, f"/{VERSION}")

    def __enter__(self) -> Self:
        super().__enter__()
        self.graph.base_url = self.url
        return self


def comment_count(db: Any) -> int:
    """Comments in a SQLite file another process is writing (0 while it has no table yet)."""
    import sqlite3

    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("select count(*) from comments").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
