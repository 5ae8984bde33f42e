"""The Meta Graph API client shared by the Instagram and Facebook Page connectors (httpx).

Why not the ``facebook-business`` SDK: it is built for the Marketing API, pulls in a large object
model and does its own paging; these connectors need six edges, cursor paging and precise control
of retries, which a thin httpx client gives with the same :class:`Retrier` as every connector.

* **Token** in the ``Authorization: Bearer`` header, never in a URL we build. ``paging.next`` links
  carry the token in their query, so a page is fetched by taking that link's query (``after``,
  ``until``, ``offset``…) minus ``access_token`` and asking *our* base URL (which also keeps a
  ``--graph-url`` proxy in the path). No ``next`` means the last page (Graph API paging docs).
* **Errors** come as ``{"error": {"message", "type", "code", "error_subcode", "is_transient",
  "fbtrace_id"}}``. Codes 4 (app), 17 (user), 32 (page), 613 and 80001–80014 (business use case)
  are rate limits: retried after ``estimated_time_to_regain_access`` (minutes) from the
  ``X-Business-Use-Case-Usage`` header when given, else with backoff. Code 190 (token expired,
  revoked, or the password changed) is an :class:`AuthError` at once, as are 10 and 200–299
  (permission missing). Codes 1, 2 and ``is_transient`` are retried, like 5xx, timeouts and cut-off
  JSON.
* **Usage headers** ``X-App-Usage`` / ``X-Page-Usage`` (``{"call_count": %, "total_time": %,
  "total_cputime": %}``) and ``X-Business-Use-Case-Usage`` (``{id: [{"type", "call_count", …,
  "estimated_time_to_regain_access"}]}``) are read after every response: above 80 % of any limit
  the client slows down (up to the policy's longest wait at 100 %) before the next call, so a long
  sync does not run into the wall.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from sounding.connectors.base import AccountRef, ConnectSpec, Field, ThreadedConnector
from sounding.connectors.retry import AuthError, ConnectorError, RetryPolicy, Transient, delay_from_headers

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v25.0"
RATE_LIMIT_CODES = {4, 17, 32, 613} | set(range(80001, 80015))
AUTH_CODES = {102, 190}
PERMISSION_CODES = {10} | set(range(200, 300))
USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-ad-account-usage")
BUC_HEADERS = ("x-business-use-case-usage", "x-business-use-case")
SLOW_FROM = 80.0  # percent of a limit at which calls start to be spaced out


class GraphError(Exception):
    """An error object from the Graph API (or an HTTP error without one)."""

    def __init__(self, status: int, error: Mapping[str, Any], headers: Mapping[str, str]) -> None:
        self.status = status
        self.code = _int(error.get("code"))
        self.subcode = _int(error.get("error_subcode"))
        self.type = str(error.get("type") or "")
        self.transient = bool(error.get("is_transient"))
        self.headers = dict(headers)
        # Meta's messages do not echo tokens, but they can be long: keep the first line, bounded
        self.text = str(error.get("message") or f"HTTP {status}").splitlines()[0][:300]
        super().__init__(self.describe())

    def describe(self) -> str:
        sub = f", subcode {self.subcode}" if self.subcode else ""
        return f"HTTP {self.status}, code {self.code}{sub}: {self.text}"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def usage(headers: Mapping[str, str]) -> tuple[float, float]:
    """(highest percent used of any limit, seconds until access returns) from the usage headers."""
    lower = {k.lower(): v for k, v in headers.items()}
    percent, regain = 0.0, 0.0
    for name in USAGE_HEADERS:
        if (data := _json(lower.get(name))) and isinstance(data, dict):
            percent = max([percent, *(_pct(v) for k, v in data.items() if k != "acc_id_util_pct")])
    for name in BUC_HEADERS:
        data = _json(lower.get(name))
        if not isinstance(data, dict):
            continue
        for entries in data.values():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    percent = max(
                        [percent, *(_pct(entry.get(k)) for k in ("call_count", "total_time", "total_cputime"))]
                    )
                    regain = max(regain, 60.0 * _pct(entry.get("estimated_time_to_regain_access")))
    return percent, regain


def _json(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _pct(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


class GraphClient:
    """GET/POST against one Graph API base URL with a token; pages through edges."""

    def __init__(
        self,
        platform: str,
        base_url: str,
        token: str,
        *,
        policy: RetryPolicy,
        on_wait: Callable[[str], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.platform = platform
        self.policy = policy
        self.on_wait = on_wait
        self.http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            transport=transport,
            timeout=timeout,
        )
        self._pause = 0.0  # seconds to wait before the next call (usage near a limit)
        self.requests = 0

    def request(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> dict:
        """One call; raises :class:`GraphError`, httpx errors, or ``ValueError`` for broken JSON."""
        if self._pause:
            pause, self._pause = self._pause, 0.0
            msg = f"{self.platform}: the Graph API reports usage near its limit; waiting {pause:.1f}s"
            (self.on_wait or (lambda m: None))(msg)
            self.policy.sleep(pause)
        self.requests += 1
        response = self.http.request(method, path.lstrip("/"), params=dict(params or {}))
        if response.status_code < 400:  # after an error the Retrier does the waiting
            percent, regain = usage(response.headers)
            if regain:
                self._pause = min(regain, self.policy.budget)
            elif percent >= SLOW_FROM:
                self._pause = self.policy.maximum * min(1.0, (percent - SLOW_FROM) / (100.0 - SLOW_FROM))
        try:
            body = response.json()
        except ValueError:
            if response.status_code >= 400:
                raise GraphError(response.status_code, {}, response.headers) from None
            raise
        if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            error = body.get("error") if isinstance(body, dict) else None
            raise GraphError(response.status_code, error if isinstance(error, dict) else {}, response.headers)
        if not isinstance(body, dict):
            raise ValueError("response is not a JSON object")
        return body

    def pages(self, path: str, params: Mapping[str, Any], call: Callable[..., dict]) -> Iterator[dict]:
        """Every page of an edge, through ``call(what, fn, *args)`` (the connector's retrying call)."""
        query = dict(params)
        while True:
            page = call(f"read {path.rsplit('/', 1)[-1]}", self.request, "GET", path, query)
            yield page
            nxt = next_query(page.get("paging"))
            if nxt is None:
                return
            query = {**dict(params), **nxt}

    def close(self) -> None:
        self.http.close()


def next_query(paging: Any) -> dict[str, str] | None:
    """The query of the next page from a ``paging`` object, without the token; ``None`` at the end."""
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    query = {k: v for k, v in parse_qsl(urlsplit(str(paging["next"])).query) if k != "access_token"}
    after = (paging.get("cursors") or {}).get("after")
    if after and "after" not in query:
        query["after"] = after
    return query


def classify(exc: BaseException) -> Transient | None:
    """Which Graph API failures are worth retrying (and after how long)."""
    if isinstance(exc, GraphError):
        if exc.code in RATE_LIMIT_CODES or exc.status == 429:
            _, regain = usage(exc.headers)
            wait = regain or delay_from_headers(exc.headers)
            return Transient(f"rate limited ({exc.describe()})", wait, rate_limited=True)
        if exc.code in AUTH_CODES or exc.code in PERMISSION_CODES:
            return None
        if exc.status >= 500 or exc.code in (1, 2) or exc.transient:
            return Transient(f"server error ({exc.describe()})", delay_from_headers(exc.headers))
        return None
    if isinstance(exc, httpx.TimeoutException):
        return Transient("timeout")
    if isinstance(exc, httpx.TransportError):
        return Transient(f"network error ({type(exc).__name__})")
    if isinstance(exc, ValueError):  # json.JSONDecodeError from a cut-off body
        return Transient("truncated or invalid JSON response")
    return None


def user_error(platform: str, what: str, exc: GraphError, reconnect: str) -> ConnectorError:
    """The one-line error for a Graph API failure that retrying cannot fix."""
    if exc.code in AUTH_CODES:
        return AuthError(
            f"{platform}: the access token is expired or was revoked ({exc.describe()}). "
            f"Get a new token and run `{reconnect}` again."
        )
    if exc.code in PERMISSION_CODES:
        return AuthError(f"{platform}: the token lacks a permission for {what} ({exc.describe()})")
    return ConnectorError(f"{platform}: {what} failed ({exc.describe()})")


def graph_spec(what: str, option: str) -> ConnectSpec:
    """``connect``: the account's id (``--account-id`` / ``--page-id``), ``--graph-url``, a token."""
    return ConnectSpec(
        handle=Field("handle", what, options=(option, "handle")),
        service=Field("service", "Graph API URL", options=("graph_url", "service"), default=DEFAULT_GRAPH_URL),
        credentials=(Field("token", "Access token", stdin=("token_stdin",), secret=True),),
    )


class GraphConnector(ThreadedConnector):
    """What the Instagram and Facebook connectors share: the client, errors, retries, verify."""

    #: how the user connects this platform again when the token is refused (shown in errors)
    reconnect: str = ""
    #: fields read by :meth:`verify` on the account's own node
    verify_fields: str = "id"

    def __init__(self, account: AccountRef, *, transport: httpx.BaseTransport | None = None, **kwargs: Any) -> None:
        super().__init__(account, **kwargs)
        if not account.secret:
            raise ConnectorError(f"{self.platform}: no access token stored for this account")
        if not account.handle:
            raise ConnectorError(f"{self.platform}: the account id is missing")
        self.graph = GraphClient(
            self.platform,
            account.service_url or DEFAULT_GRAPH_URL,
            account.secret,
            policy=self.retrier.policy,
            on_wait=self.retrier.on_wait,
            transport=transport,
        )
        self.me: dict[str, Any] | None = None

    def classify(self, exc: BaseException) -> Transient | None:
        return classify(exc)

    def call(self, what: str, fn: Any, *args: Any, safe: bool = True, **kwargs: Any) -> Any:
        try:
            return super().call(what, fn, *args, safe=safe, **kwargs)
        except GraphError as exc:
            raise user_error(self.platform, what, exc, self.reconnect) from None

    def get(self, path: str, **params: Any) -> dict:
        return self.call(f"read {path.rsplit('/', 1)[-1]}", self.graph.request, "GET", path, params)

    def edge(self, path: str, **params: Any) -> Iterator[dict]:
        """Every item of an edge, page after page."""
        for page in self.graph.pages(path, params, self.call):
            yield from page.get("data") or []

    def account_node(self) -> dict[str, Any]:
        if self.me is None:
            self.me = self.get(self.account.handle, fields=self.verify_fields)
        return self.me

    def verify(self) -> str:
        return str(self.account_node().get("id") or self.account.handle)

    def close(self) -> None:
        self.graph.close()
