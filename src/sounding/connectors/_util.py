"""Small helpers shared by the platform modules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dateutil.parser import isoparse


def as_datetime(value: Any) -> datetime:
    """A timezone-aware datetime from a datetime, ISO string or epoch number."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    dt = isoparse(str(value))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def as_int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
