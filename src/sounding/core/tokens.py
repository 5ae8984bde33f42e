"""Bearer tokens of the REST API: scoped (read or write), expiring, revocable, stored hashed.

The token is 32 random bytes shown once at creation; the store keeps only its SHA-256 (a random
256-bit secret needs no slow hash: nothing can be guessed from the digest), so neither the database,
a backup nor a log line can be replayed. A check is one indexed lookup, so a revocation applies
to the running server at its next request.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from sounding.errors import NotFoundError, UsageError
from sounding.store.models import ApiToken

PREFIX = "sdg_"
SCOPES = ("read", "write")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands times back naive; they were written in UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _state(row: ApiToken, now: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if _aware(row.expires_at) <= now else "active"


class Tokens:
    """The API tokens of one store."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def create(self, scope: str = "read", expires_in: int = 7 * 86400, name: str | None = None) -> dict:
        """A new token; ``token`` in the result is the only time it is ever shown."""
        if scope not in SCOPES:
            raise UsageError(f"scope must be one of {', '.join(SCOPES)} (got {scope!r})")
        if expires_in <= 0:
            raise UsageError("a token must expire in the future")
        token = PREFIX + secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        row = ApiToken(token_hash=digest(token), scope=scope, name=name, created_at=now,
                       expires_at=now + timedelta(seconds=expires_in))
        with self.store.session() as session, session.begin():
            session.add(row)
            session.flush()
            return {"id": row.id, "token": token, "scope": scope, "name": name, "expires_at": row.expires_at}

    def list(self) -> list[dict]:
        """Every token with its state (active, expired, revoked); never the token itself."""
        now = datetime.now(UTC)
        with self.store.session() as session:
            rows = list(session.scalars(select(ApiToken).order_by(ApiToken.id)))
        return [{"id": r.id, "scope": r.scope, "name": r.name, "state": _state(r, now),
                 "created_at": _aware(r.created_at), "expires_at": _aware(r.expires_at),
                 "revoked_at": _aware(r.revoked_at)} for r in rows]

    def revoke(self, token_id: int) -> dict:
        """Revoke a token by its id (``token list``); revoking twice keeps the first time."""
        with self.store.session() as session, session.begin():
            row = session.get(ApiToken, token_id)
            if row is None:
                raise NotFoundError(f"no API token {token_id}", hint="see `sounding token list`")
            if row.revoked_at is None:
                session.execute(update(ApiToken).where(ApiToken.id == token_id)
                                .values(revoked_at=datetime.now(UTC)))
        return next(t for t in self.list() if t["id"] == token_id)

    def scope(self, token: str | None) -> str | None:
        """The scope of an active token, else None (unknown, expired or revoked alike)."""
        if not token or not token.startswith(PREFIX) or len(token) > 200:
            return None
        with self.store.engine.connect() as conn:
            row = conn.execute(select(ApiToken.scope, ApiToken.expires_at, ApiToken.revoked_at)
                               .where(ApiToken.token_hash == digest(token))).first()
        if row is None or row.revoked_at is not None or _aware(row.expires_at) <= datetime.now(UTC):
            return None
        return row.scope if row.scope in SCOPES else None
