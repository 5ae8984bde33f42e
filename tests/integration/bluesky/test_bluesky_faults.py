"""Faults injected at the httpx transport between the atproto SDK and the real devnet.

(The SDK follows the PDS endpoint of the account's DID document after login, so a reverse proxy in
front of the PDS would be bypassed; the transport is where every request passes.)
"""

from __future__ import annotations

import time

import httpx
from devnet_helpers import PASSWORD, reply, wait_indexed
from sqlalchemy import func, select

from sounding.connectors import AccountRef, RetryPolicy, open_connector
from sounding.connectors.sync import run_connector
from sounding.store import Store, models
from sounding.store.reactions import observations


class FaultTransport(httpx.BaseTransport):
    def __init__(self, plan: list[tuple[str, str]]):
        self.inner = httpx.HTTPTransport()
        self.plan = list(plan)
        self.fired: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for i, (needle, action) in enumerate(self.plan):
            if needle in request.url.path:
                del self.plan[i]
                if action == "pass":
                    return self.inner.handle_request(request)
                self.fired.append(action)
                return self._fault(action, request)
        return self.inner.handle_request(request)

    def _fault(self, action: str, request: httpx.Request) -> httpx.Response:
        error = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
        if action == "429-retry-after":
            return httpx.Response(429, headers={"Retry-After": "0.2"}, json=error)
        if action == "429-reset":  # atproto's own headers, no Retry-After
            reset = str(int(time.time()) + 1)
            return httpx.Response(
                429,
                headers={
                    "ratelimit-limit": "3000",
                    "ratelimit-remaining": "0",
                    "ratelimit-reset": reset,
                    "ratelimit-policy": "3000;w=300",
                },
                json=error,
            )
        if action in ("500", "502", "503"):
            return httpx.Response(int(action), json={"error": "InternalServerError", "message": "injected"})
        if action == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if action == "truncate":
            real = self.inner.handle_request(request)
            body = real.read()
            headers = [
                (k, v)
                for k, v in real.headers.items()
                if k.lower() not in ("content-length", "content-encoding")
            ]
            return httpx.Response(real.status_code, headers=headers, content=body[: len(body) // 2])
        raise AssertionError(action)


def _connector(net, person, transport=None):
    return open_connector(
        AccountRef("bluesky", person.handle, net.pds, PASSWORD),
        transport=transport,
        policy=RetryPolicy(max_attempts=6, initial=0.05, maximum=0.5, budget=10),
    )


def _count(store, model):
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_sync_through_429_5xx_timeouts_and_truncated_json(bluesky_net, people, tmp_path):
    brand, ann = people("brand"), people("ann")
    for i in range(3):
        q = brand.client.send_post(text=f"Q{i}?")
        reply(ann, reply(ann, q, q, f"a{i}"), q, f"a{i}.1")
    wait_indexed(lambda: len(brand.client.get_author_feed(brand.did).feed) == 3)
    wait_indexed(lambda: all(p.post.reply_count == 1 for p in brand.client.get_author_feed(brand.did).feed))

    reference = Store.open(str(tmp_path / "ref.db"))
    ref_id = reference.upsert_account("bluesky", brand.handle, bluesky_net.pds, "file:x")
    assert run_connector(reference, ref_id, _connector(bluesky_net, brand)).complete

    transport = FaultTransport(
        [
            ("createSession", "503"),
            ("getAuthorFeed", "429-retry-after"),
            ("getAuthorFeed", "truncate"),
            ("getPostThread", "429-reset"),
            ("getPostThread", "500"),
            ("getPostThread", "timeout"),
            ("getPostThread", "502"),
            ("getPostThread", "truncate"),
            ("listRecords", "truncate"),
        ]
    )
    store = Store.open(str(tmp_path / "faults.db"))
    aid = store.upsert_account("bluesky", brand.handle, bluesky_net.pds, "file:x")
    connector = _connector(bluesky_net, brand, transport)
    started = time.monotonic()
    result = run_connector(store, aid, connector)
    assert result.complete, result.error
    assert not transport.plan and len(transport.fired) == 9
    assert result.retries == 9
    assert connector.retrier.waited >= 0.2  # Retry-After honoured
    assert time.monotonic() - started < 20
    for model in (models.Post, models.Comment, observations()):
        assert _count(store, model) == _count(reference, model) > 0


def test_outage_stops_with_a_message_and_the_next_sync_completes(bluesky_net, people, tmp_path):
    brand, ann = people("brand"), people("ann")
    for i in range(3):
        q = brand.client.send_post(text=f"Q{i}?")
        reply(ann, q, q, f"a{i}")
    wait_indexed(
        lambda: (
            all(p.post.reply_count == 1 for p in brand.client.get_author_feed(brand.did).feed)
            and len(brand.client.get_author_feed(brand.did).feed) == 3
        )
    )
    store = Store.open(str(tmp_path / "outage.db"))
    aid = store.upsert_account("bluesky", brand.handle, bluesky_net.pds, "file:x")
    # the second thread read fails for good (more 503s than attempts)
    transport = FaultTransport([("getPostThread", "pass")] + [("getPostThread", "503")] * 20)
    result = run_connector(store, aid, _connector(bluesky_net, brand, transport))
    assert not result.complete
    assert "gave up on read thread after 6 attempt(s): HTTP 503" in result.error
    assert _count(store, models.Post) == 1 and _count(store, models.Comment) == 1

    resumed = run_connector(store, aid, _connector(bluesky_net, brand))
    assert resumed.complete
    assert resumed.new["posts"] == 2 and resumed.new["comments"] == 2
    assert _count(store, models.Comment) == 3
