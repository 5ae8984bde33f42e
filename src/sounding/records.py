"""Platform-neutral records: the one shape every importer and connector produces.

Connectors and importers only *produce* these; the store is the only module that writes them.
Keeping one shape means a new platform is one new module and the store never learns its quirks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class PostRecord:
    """A top-level post (ours or someone else's, e.g. a customer's mention of the brand)."""

    platform: str
    id: str
    author: str
    text: str
    created_at: datetime
    url: str | None = None
    ours: bool = False
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    views: int | None = None
    observed_at: datetime | None = None  # when the counts above were read (default: created_at)
    account: str | None = None  # handle of our connected account that synced it, if any


@dataclass(slots=True)
class CommentRecord:
    """A reply at any depth; ``parent_id`` is the post or comment replied to, same platform."""

    platform: str
    id: str
    parent_id: str
    author: str
    text: str
    created_at: datetime
    url: str | None = None
    ours: bool = False
    lang: str | None = None
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    views: int | None = None
    observed_at: datetime | None = None


@dataclass(slots=True)
class ReactionSnapshot:
    """Counts of one post or comment at one moment, so growth curves can be drawn."""

    platform: str
    target_id: str
    taken_at: datetime
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    views: int | None = None


@dataclass(slots=True)
class PollRecord:
    """A native poll attached to a post, with the vote count per option at ``taken_at``."""

    platform: str
    post_id: str
    options: list[str]
    votes: list[int]
    taken_at: datetime
    closes_at: datetime | None = None
    voters: int | None = None


Record = PostRecord | CommentRecord | ReactionSnapshot | PollRecord


@dataclass(slots=True)
class SyncBatch:
    """What a connector yields: records plus the cursor to store once they are durably written."""

    records: list[Record] = field(default_factory=list)
    stream: str = "posts"
    cursor: str | None = None
