"""Response shapes of the REST API (they are its OpenAPI schema; schemathesis checks them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(None, description="pass as `after` for the next page; null on the last")


class Error(BaseModel):
    error: str
    hint: str | None = None
    status: int
    detail: Any = None


class Comment(BaseModel):
    platform: str
    id: str
    thread: str = Field(description="platform id of the post that starts the thread")
    parent: str | None = Field(None, description="comment replied to; null when replying to the post")
    ours: bool
    author: str = Field(description="stable pseudonym")
    text: str
    url: str | None = None
    created_at: datetime
    sentiment: str | None = None
    sentiment_score: float | None = None
    intent: str | None = None
    intent_score: float | None = None
    theme: str | None = None
    theme_name: str | None = None


class Post(BaseModel):
    platform: str
    id: str
    ours: bool
    author: str
    text: str
    url: str | None = None
    created_at: datetime
    comments: int


class Quote(BaseModel):
    text: str
    id: str
    thread: str
    url: str | None = None


class Theme(BaseModel):
    rank: int
    theme: str
    name: str
    top_words: list[str]
    comments: int
    people: int
    quotes: list[Quote]
    trend: str | None = None
    recent: int | None = None
    previous: int | None = None
    first_seen: str | None = None
    last_seen: str | None = None


class ThemePeriod(BaseModel):
    rank: int
    theme: str
    name: str
    period: str = Field(description="ISO date the day or week (Monday) starts, UTC")
    bucket: str = Field(description="day or week")
    comments: int = Field(description="what the audience wrote on the theme in that period (posts and replies)")
    replies: int = Field(description="the replies among them (what /api/v1/comments lists)")


class LessonSegment(BaseModel):
    rank: int = Field(description="position in this list (segments largest first, lessons by score within each)")
    segment: str = Field(description="a platform; returning or first-time; or a thread as platform:post_id")
    segment_people: int = Field(description="audience people in the segment")
    segment_rank: int = Field(description="the lesson's rank within its segment")
    lesson: int
    theme: str
    name: str
    title: str
    people: int = Field(description="the segment's people who said it")
    comments: int
    share: float = Field(description="the segment's part of the lesson's people, 0 to 1")
    dominant_intent: str | None = None
    intents: dict[str, int] = {}
    score: float = Field(description="the lesson score over the segment's members only")
    platform: str | None = None
    thread: str | None = Field(None, description="with by=post: the post's platform id")
    post_text: str | None = None


class Share(BaseModel):
    intent: str
    count: int
    share: float


class Lesson(BaseModel):
    rank: int
    title: str
    score: float
    theme: str
    name: str
    people: int | None = None
    comments: int | None = None
    dominant_intent: str | None = None
    trend: str | None = None
    intents: dict[str, int] | None = None
    shares: list[Share] = []
    quotes: list[Quote] = []


class Question(BaseModel):
    kind: str
    platform: str
    id: str
    thread: str
    author: str
    text: str
    url: str | None = None
    created_at: datetime
    intent: str | None = None
    sentiment: str | None = None
    state: str = Field(description="open, answered or ignored")
    assignee: str | None = None
    age_hours: float


class StateChange(BaseModel):
    platform: str = Field(min_length=1, max_length=32)
    item_id: str = Field(min_length=1, max_length=1000)
    state: str = Field(pattern="^(open|answered|ignored)$")
    assignee: str | None = Field(None, max_length=255)


class StateResult(BaseModel):
    platform: str
    item_id: str
    state: str
    assignee: str | None = None


class ReplyRequest(BaseModel):
    platform: str = Field(min_length=1, max_length=32)
    item_id: str = Field(min_length=1, max_length=1000)
    text: str = Field(min_length=1, max_length=300, pattern=r"\S", description="at most 300 characters")
    confirm: bool = Field(False, description="false (default): a dry run that only previews")


class ReplyResult(BaseModel):
    platform: str
    in_reply_to: str
    thread: str
    question: str
    account: str
    text: str
    dry_run: bool
    id: str | None = None


class PollOption(BaseModel):
    option: str
    votes: int
    share: float
    share_ci_low: float
    share_ci_high: float
    p_most_preferred: float


class Poll(BaseModel):
    rank: int
    platform: str
    post: str
    text: str
    created_at: datetime
    url: str | None = None
    total: int
    options: list[PollOption]


class Experiment(BaseModel):
    rank: int
    name: str
    status: str
    metric: str | None = None
    variants: list[str]
    posts: dict[str, int]
    report: dict[str, Any] | None = Field(None, description="see docs/experiments.md for every field")
    problem: str | None = None


class DecisionEvent(BaseModel):
    status: str = Field(description="planned, started, shipped or declined")
    at: datetime
    author: str | None = None
    note: str | None = Field(None, description="the public note (used in the replies that tell people)")


class DecisionLesson(BaseModel):
    lesson: int | None = Field(None, description="the lesson's number now; null when it is no lesson any more")
    theme: int
    theme_key: str | None = None
    theme_name: str | None = None
    title: str | None = None
    merged_from: list[int] = Field([], description="themes linked to the decision that were merged into this one")


class Decision(BaseModel):
    rank: int
    id: int
    title: str
    description: str | None = None
    status: str = Field(description="planned, started, shipped or declined")
    author: str | None = None
    decided_at: datetime
    shipped_at: datetime | None = None
    events: list[DecisionEvent] = Field(description="the status history, oldest first")
    lessons: list[DecisionLesson]
    comments: list[int] = Field(description="store ids of the comments linked one by one")
    people: int = Field(description="distinct people behind the decision")
    evidence: int
    threads: int
    platforms: list[str]


class Period(BaseModel):
    rank: int
    period: str
    bucket: str
    learning_value: float
    likes: int
    reposts: int
    posts: int


class Stream(BaseModel):
    stream: str
    updated_at: datetime


class Account(BaseModel):
    rank: int
    platform: str
    handle: str
    service_url: str | None = None
    connected_at: datetime
    last_sync: datetime | None = None
    streams: list[Stream]
    error: str | None = Field(None, description="why the last sync stopped (one redacted line); null after a complete sync")
    error_kind: str | None = Field(None, description="auth, interrupted, remote or unexpected")
    error_at: datetime | None = None


class ThreadNode(BaseModel):
    platform: str
    id: str
    parent: str | None = None
    ours: bool
    author: str
    text: str
    url: str | None = None
    created_at: datetime
    sentiment: str | None = None
    sentiment_score: float | None = None
    intent: str | None = None
    intent_score: float | None = None
    theme: str | None = None
    theme_name: str | None = None
    replies: list[ThreadNode] = []


class Thread(ThreadNode):
    likes: int | None = None
    reposts: int | None = None
    comments: int
    people: int
    truncated: bool
