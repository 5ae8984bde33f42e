"""Who may use the dashboard, and what a page may do in the browser (datasette's conventions).

* On a loopback address nobody else can connect, so no token is asked. Off loopback (``--host``)
  every page and API route needs one: a one-time login URL printed at start sets a signed cookie
  (signed with a key kept in the config directory, never the store); API clients send
  ``Authorization: Bearer`` tokens (``sounding token create``), scoped (read or write), expiring and
  revocable, kept in the store only as their SHA-256 (:mod:`sounding.core.tokens`).
* State-changing requests from another site are refused by ``Sec-Fetch-Site`` / ``Origin``.
* Every response carries a CSP without inline scripts, ``nosniff`` and ``frame-ancestors 'none'``.
* Tokens never reach a log: the access log drops the query string's token.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from sounding.errors import UsageError

COOKIE = "sounding_session"
SCOPES = ("read", "write")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LOGIN_PATH = "/-/login"
SESSION_SECONDS = 7 * 24 * 3600
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_duration(text: str) -> int:
    """``30m``, ``12h``, ``7d``, ``2w`` -> seconds."""
    match = _DURATION.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise UsageError(f"expiry must look like 30m, 12h, 7d or 2w (got {text!r})")
    return int(match.group(1)) * _UNITS[match.group(2)]


def signing_key(directory: Path | None = None) -> bytes:
    """The key tokens and cookies are signed with; created once, readable by the owner only."""
    from sounding.connectors.secrets import config_dir

    path = (directory or config_dir()) / "web-signing-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


@dataclass
class Auth:
    """Token checks of one server. ``required`` is False on loopback."""

    key: bytes
    required: bool
    login_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    login_used: bool = False
    #: the store's API tokens (a :class:`sounding.core.tokens.Tokens`); ``create_app`` sets it
    tokens: Any = None

    def _serializer(self, purpose: str) -> URLSafeSerializer:
        return URLSafeSerializer(self.key, salt=f"sounding-{purpose}")

    def _verify(self, purpose: str, value: str) -> str | None:
        """The scope of a valid, unexpired signed value, else None."""
        try:
            body = self._serializer(purpose).loads(value)
        except BadSignature:
            return None
        if not isinstance(body, dict) or body.get("s") not in SCOPES or not isinstance(body.get("e"), int):
            return None
        return body["s"] if body["e"] > time.time() else None

    def bearer_scope(self, header: str | None) -> str | None:
        """The scope of an active (known, unexpired, unrevoked) bearer token; reads the store."""
        if not header or not header.lower().startswith("bearer ") or self.tokens is None:
            return None
        return self.tokens.scope(header[7:].strip())

    def cookie_scope(self, value: str | None) -> str | None:
        return self._verify("cookie", value) if value else None

    def session_cookie(self) -> str:
        return self._serializer("cookie").dumps(
            {"s": "write", "e": int(time.time()) + SESSION_SECONDS, "n": secrets.token_hex(4)}
        )

    def use_login(self, token: str | None) -> bool:
        """The printed login URL works once; a second use (or a wrong token) is refused."""
        if self.login_used or not token or not secrets.compare_digest(token, self.login_token):
            return False
        self.login_used = True
        return True


def cross_site(method: str, headers) -> bool:
    """A state-changing request another site made the browser send (CSRF)."""
    if method in SAFE_METHODS:
        return False
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None:
        return False  # not a browser (browsers send Origin on every POST): curl, scripts
    host = headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") != host


_TOKEN_IN_QUERY = re.compile(r"((?:^|[?&])(?:token|access_token)=)[^&\s\"]*", re.IGNORECASE)


def redact_query(text: str) -> str:
    return _TOKEN_IN_QUERY.sub(r"\1[redacted]", text)


class AccessLogFilter(logging.Filter):
    """Drops the value of ``token=`` from uvicorn's access log lines (the login URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_query(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        return True


def install_log_filter() -> None:
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, AccessLogFilter) for f in logger.filters):
            logger.addFilter(AccessLogFilter())
