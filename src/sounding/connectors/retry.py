"""Retrying SDK calls: 429 and 5xx, timeouts and truncated responses, with backoff and a budget.

Every connector wraps each platform call in :meth:`Retrier.call`. The connector tells, for an
exception its SDK raised, whether it is *transient* (:class:`Transient`: worth retrying, maybe with a
server-given delay from ``Retry-After`` or a rate-limit reset header) or not (``None``: raised as is).

Waits are exponential with full jitter, capped, and never shorter than what the server asked for.
When the attempts or the time budget run out, :class:`SyncInterrupted` is raised with a message a
person can act on; whatever was written before it stays written (the cursor travels with the
records), so the next ``sounding sync`` resumes from there.
"""

from __future__ import annotations

import logging
import math
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_any

from sounding.errors import RemoteError

log = logging.getLogger("sounding.connectors")

T = TypeVar("T")


class ConnectorError(RemoteError):
    """A connector failed in a way the user should read (no secrets in the message)."""

    def __init__(self, message: str, *, hint: str | None = None, cause: BaseException | None = None) -> None:
        super().__init__(message, hint=hint)
        #: the SDK exception behind it, kept for diagnosis (``unreachable``) and never printed
        self.cause = cause


class AuthError(ConnectorError):
    """The platform refused the credentials."""


class SyncInterrupted(ConnectorError):
    """Gave up on a call after retries/budget; the sync can be resumed later without loss."""


@dataclass(frozen=True, slots=True)
class Transient(Exception):
    """A failure worth retrying. ``retry_after`` is the server's requested delay in seconds, if any."""

    reason: str
    retry_after: float | None = None
    #: True when the server said "too many requests": the request was not processed, so even a
    #: non-idempotent call (publishing) may be repeated safely.
    rate_limited: bool = False

    def __str__(self) -> str:
        return self.reason


@dataclass(slots=True)
class RetryPolicy:
    """How hard to try. The defaults suit a person running ``sounding sync``."""

    max_attempts: int = 6
    initial: float = 1.0
    maximum: float = 60.0
    multiplier: float = 2.0
    budget: float = 300.0  # total seconds of waiting allowed for one call before giving up
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """Defaults, overridden by ``SOUNDING_RETRY_MAX_ATTEMPTS`` / ``_INITIAL`` / ``_MAX`` / ``_BUDGET``."""
        p = cls()
        for attr, name, kind in (
            ("max_attempts", "MAX_ATTEMPTS", int),
            ("initial", "INITIAL", float),
            ("maximum", "MAX", float),
            ("budget", "BUDGET", float),
        ):
            if (value := os.environ.get(f"SOUNDING_RETRY_{name}")) is not None:
                setattr(p, attr, kind(value))
        return p

    @classmethod
    def fast(cls) -> RetryPolicy:
        """For tests: same logic, milliseconds instead of seconds."""
        return cls(max_attempts=6, initial=0.01, maximum=0.2, budget=5.0)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` value (delta-seconds or HTTP-date); ``None`` if unusable."""
    if value is None:
        return None
    value = str(value).strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        now_dt = datetime.fromtimestamp(now, UTC) if now is not None else datetime.now(UTC)
        return max((when - now_dt).total_seconds(), 0.0)
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def delay_from_headers(headers: Mapping[str, Any] | None, now: float | None = None) -> float | None:
    """The delay a response asks for: ``Retry-After`` first, else a rate-limit reset header.

    Understands ``Retry-After``; ``RateLimit-Reset`` / ``X-RateLimit-Reset`` as an epoch timestamp,
    as seconds-from-now (small numbers, per the IETF draft) or as an ISO date (Mastodon); Reddit's
    ``X-Ratelimit-Reset`` (seconds until reset) when ``X-Ratelimit-Remaining`` is 0.
    """
    if not headers:
        return None
    lower = {str(k).lower(): v for k, v in headers.items()}
    if (d := parse_retry_after(lower.get("retry-after"), now)) is not None:
        return d
    now = time.time() if now is None else now
    for name in ("ratelimit-reset", "x-ratelimit-reset"):
        raw = lower.get(name)
        if raw is None:
            continue
        raw = str(raw).strip()
        try:
            number = float(raw)
        except ValueError:
            try:
                from dateutil.parser import isoparse

                when = isoparse(raw)
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                return max(when.timestamp() - now, 0.0)
            except (ValueError, OverflowError):
                continue
        if number > 1_000_000_000:  # an epoch timestamp
            return max(number - now, 0.0)
        return max(number, 0.0)
    return None


class Retrier:
    """Runs calls under a :class:`RetryPolicy` with a connector's classifier."""

    def __init__(
        self,
        platform: str,
        classify: Callable[[BaseException], Transient | None],
        policy: RetryPolicy | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.platform = platform
        self.classify = classify
        self.policy = policy or RetryPolicy()
        self.on_wait = on_wait
        self.retries = 0  # how many waits happened, for summaries and tests
        self.waited = 0.0

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        p = self.policy
        backoff = min(p.maximum, p.initial * (p.multiplier ** (state.attempt_number - 1)))
        delay = random.uniform(0, backoff)  # full jitter
        if isinstance(exc, Transient) and exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        return delay

    def call(self, what: str, fn: Callable[..., T], *args: Any, safe: bool = True, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)``, retried while it fails transiently, within the policy.

        ``safe=False`` marks a call that must not run twice (a post without an idempotency key):
        it is retried only after a rate-limit refusal, never after a 5xx or a timeout.
        """
        p = self.policy
        spent = 0.0

        def attempt() -> T:
            try:
                return fn(*args, **kwargs)
            except Transient:
                raise
            except Exception as exc:
                transient = self.classify(exc)
                if transient is None or (not safe and not transient.rate_limited):
                    raise
                raise transient from exc

        def before_sleep(state: RetryCallState) -> None:
            nonlocal spent
            exc = state.outcome.exception() if state.outcome else None
            delay = state.next_action.sleep if state.next_action else 0.0
            spent += delay
            self.retries += 1
            self.waited += delay
            msg = (
                f"{self.platform}: {what} failed ({exc}); waiting {delay:.1f}s before retry "
                f"{state.attempt_number + 1}/{p.max_attempts}"
            )
            if self.on_wait:
                self.on_wait(msg)
            else:
                log.warning(msg)

        def over_budget(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            need = exc.retry_after if isinstance(exc, Transient) and exc.retry_after else 0.0
            return spent + need > p.budget

        retrying = Retrying(
            retry=retry_if_exception_type(Transient),
            wait=self._wait,
            stop=stop_any(stop_after_attempt(p.max_attempts), over_budget),
            before_sleep=before_sleep,
            sleep=p.sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except Transient as exc:
            hint = f" (the server asked to wait {exc.retry_after:.0f}s)" if exc.retry_after else ""
            raise SyncInterrupted(
                f"{self.platform}: gave up on {what} after {retrying.statistics.get('attempt_number', 1)} "
                f"attempt(s): {exc}{hint}. What was synced so far is saved; run `sounding sync` again later "
                "to resume.",
                cause=exc.__cause__ or exc,
            ) from None


def unreachable(exc: BaseException | None) -> str | None:
    """Why a host could not be reached ("connection refused", "name not resolved", "timed out"), if so.

    Walks the chain of causes (SDKs wrap the socket error in two or three layers: requests'
    ``ConnectionError`` around urllib3's ``MaxRetryError`` around ``NewConnectionError``).
    """
    import socket

    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, socket.gaierror):
            return "host name not resolved"
        if isinstance(current, (TimeoutError, socket.timeout)):
            return "connection timed out"
        if type(current).__name__ in ("ConnectError", "NewConnectionError", "NameResolutionError"):
            text = str(current).lower()
            if "refused" in text:
                return "connection refused"
            if "resolve" in text or "name or service" in text:
                return "host name not resolved"
        todo.extend(
            [getattr(current, "cause", None), current.__cause__, current.__context__, getattr(current, "reason", None)]
        )
        todo.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
    return None
