"""The data model of the whole learning loop, as SQLAlchemy 2 tables.

Designed up front so later work only fills tables in. Natural keys (platform, platform_id) are
unique everywhere something comes from a platform: importing or syncing twice changes nothing.
Authors are stored as stable pseudonyms, secrets only as a reference to where they are kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Key/value settings of one store (e.g. the pseudonym salt)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Account(Base):
    """A connected account of ours. ``credential_ref`` says where the secret lives, never the secret."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("platform", "handle"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    handle: Mapped[str] = mapped_column(String(255))
    service_url: Mapped[str | None] = mapped_column(String(500))
    credential_ref: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: why the last sync stopped (kind: auth, interrupted, remote, unexpected; message: one redacted
    #: line); cleared by the next complete sync
    last_error_kind: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A bearer token of the REST API: only its SHA-256 is kept, so the database never holds the token."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SyncCursor(Base):
    """Where the last durable sync of one stream of one account stopped."""

    __tablename__ = "sync_cursors"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Question(Base):
    """Something we asked the community (free text or with options, i.e. a poll)."""

    __tablename__ = "questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Experiment(Base):
    """A variant test: 2+ variants, each published as one or more posts."""

    __tablename__ = "experiments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    hypothesis: Mapped[str | None] = mapped_column(Text)
    metric: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default="draft")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Variant(Base):
    """One arm of an experiment; position 0 is the control."""

    __tablename__ = "variants"
    __table_args__ = (UniqueConstraint("experiment_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"))
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)


class VariantOutcome(Base):
    """Sufficient statistics of one metric for one variant and round (e.g. imported from a sheet)."""

    __tablename__ = "variant_outcomes"
    __table_args__ = (UniqueConstraint("variant_id", "metric", "round"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    metric: Mapped[str] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(Integer, default=1)
    exposures: Mapped[int | None] = mapped_column(BigInteger)
    successes: Mapped[int | None] = mapped_column(BigInteger)
    n: Mapped[int | None] = mapped_column(BigInteger)
    sum: Mapped[float | None] = mapped_column(Float)
    sum_squares: Mapped[float | None] = mapped_column(Float)
    exposure_time: Mapped[float | None] = mapped_column(Float)
    count: Mapped[int | None] = mapped_column(BigInteger)


class FirstCounts:
    """The first observation of an item's counts, kept on the item's own row.

    It is the first point of the item's growth curve; later points are ``reaction_snapshots`` rows,
    written only when a count changes (:mod:`sounding.store.reactions` reads both as one series).
    One row per imported comment instead of two is what makes a large import fast.
    ``first_seen_at`` null means "at ``created_at``" (an export's counts carry no time of their own).
    """

    first_likes: Mapped[int | None] = mapped_column(BigInteger)
    first_reposts: Mapped[int | None] = mapped_column(BigInteger)
    first_replies: Mapped[int | None] = mapped_column(BigInteger)
    first_views: Mapped[int | None] = mapped_column(BigInteger)
    first_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Post(FirstCounts, Base):
    """A top-level post: ours, or an audience member's (e.g. a customer mentioning the brand)."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform", "platform_id"),
        Index("ix_posts_created", "created_at", "id"),
        Index("ix_posts_platform_id", "platform_id"),  # a thread named by its platform id alone
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    platform_id: Mapped[str] = mapped_column(String(255))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    ours: Mapped[bool] = mapped_column(Boolean, default=False)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(32), index=True)
    url: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"))


class Comment(FirstCounts, Base):
    """A reply at any depth. ``post_id`` is the thread root, ``parent_comment_id`` null for top-level."""

    __tablename__ = "comments"
    __table_args__ = (
        UniqueConstraint("platform", "platform_id"),
        Index("ix_comments_post", "post_id"),
        Index("ix_comments_parent", "parent_comment_id"),
        Index("ix_comments_created", "created_at", "id"),  # pages in time order (keyset on created_at, id)
        # our replies only (a few per thread): "did we reply after this question?" is one probe
        Index("ix_comments_ours", "post_id", "created_at", sqlite_where=sql_text("ours = 1"),
              postgresql_where=sql_text("ours")),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    platform_id: Mapped[str] = mapped_column(String(255))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    parent_comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    ours: Mapped[bool] = mapped_column(Boolean, default=False)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(32), index=True)
    lang: Mapped[str | None] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReactionSnapshot(Base):
    """Counts of a post (or comment) at a later moment, when they changed (the first are on the item row)."""

    __tablename__ = "reaction_snapshots"
    __table_args__ = (
        UniqueConstraint("platform", "target_id", "taken_at"),
        Index("ix_reaction_snapshots_post", "post_id", "taken_at"),  # a thread's latest counts
        Index("ix_reaction_snapshots_comment", "comment_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(255))  # platform id of the post or comment
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    likes: Mapped[int | None] = mapped_column(BigInteger)
    reposts: Mapped[int | None] = mapped_column(BigInteger)
    replies: Mapped[int | None] = mapped_column(BigInteger)
    views: Mapped[int | None] = mapped_column(BigInteger)


class Poll(Base):
    """A native poll attached to one post."""

    __tablename__ = "polls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), unique=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PollSnapshot(Base):
    """Vote counts of every option of a poll at one moment (JSON list aligned with options)."""

    __tablename__ = "poll_snapshots"
    __table_args__ = (UniqueConstraint("poll_id", "taken_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"))
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    options: Mapped[list] = mapped_column(JSON)
    votes: Mapped[list] = mapped_column(JSON)
    voters: Mapped[int | None] = mapped_column(BigInteger)


class Enrichment(Base):
    """What the models said about one text; keyed by text hash so re-analysis is a cache hit."""

    __tablename__ = "enrichments"
    text_hash: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(64), primary_key=True)
    sentiment: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    intent: Mapped[str | None] = mapped_column(String(16))
    intent_score: Mapped[float | None] = mapped_column(Float)
    lang: Mapped[str | None] = mapped_column(String(16))
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)


class Theme(Base):
    """A recurring theme; ``key`` is stable across runs and new data."""

    __tablename__ = "themes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    top_words: Mapped[list] = mapped_column(JSON)
    centroid: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer, default=0)
    model_version: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Set when this theme was merged into another (a near-duplicate): its key resolves to that one.
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("themes.id", name="fk_themes_merged_into"))


class ThemeMember(Base):
    """Which theme each distinct audience text is in (theme_id null = explicitly unclustered).

    Keyed by text hash like enrichments: identical texts always share a theme.
    """

    __tablename__ = "theme_members"
    text_hash: Mapped[str] = mapped_column(String(32), primary_key=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"), index=True)
    representative: Mapped[bool] = mapped_column(Boolean, default=False)


class Lesson(Base):
    """A theme seen through intent and time, ranked by evidence (see analysis.lessons)."""

    __tablename__ = "lessons"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"))
    title: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PostLearning(Base):
    """Learning value of each thread as the last analysis computed it (see analysis.learning), so
    the dashboard's timeline reads one row per post instead of aggregating every comment."""

    __tablename__ = "post_learning"
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    learning_value: Mapped[float] = mapped_column(Float)
    audience_items: Mapped[int] = mapped_column(Integer)
    substantive_people: Mapped[int] = mapped_column(Integer)
    questions: Mapped[int] = mapped_column(Integer)
    themes: Mapped[int] = mapped_column(Integer)
    theme_share: Mapped[float] = mapped_column(Float)


class Decision(Base):
    """What we decided to do, linked to the lesson and the quotes behind it."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"))
    quote_comment_ids: Mapped[list | None] = mapped_column(JSON)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="planned", server_default="planned")
    author: Mapped[str | None] = mapped_column(String(255))


class DecisionEvent(Base):
    """One status change of a decision: when, by whom, with an optional public note."""

    __tablename__ = "decision_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    author: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)


class DecisionLink(Base):
    """What a decision answers: a theme (the lesson's, stable across runs) or one comment."""

    __tablename__ = "decision_links"
    __table_args__ = (UniqueConstraint("decision_id", "theme_id", "comment_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    lesson_title: Mapped[str | None] = mapped_column(Text)


class LessonMerge(Base):
    """A lesson merged into another by hand: who, when, and (once undone) who undid it when.

    The merged lesson's theme points to the survivor (``Theme.merged_into``) and its members moved
    there; :class:`LessonMergeMember` keeps which ones, so an unmerge hands back exactly those.
    """

    __tablename__ = "lesson_merges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"))
    into_theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"))
    source_lesson_id: Mapped[int] = mapped_column(Integer, index=True)
    into_lesson_id: Mapped[int] = mapped_column(Integer)
    source_title: Mapped[str | None] = mapped_column(Text)
    merged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    merged_by: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    unmerged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unmerged_by: Mapped[str | None] = mapped_column(String(255))
    unmerge_note: Mapped[str | None] = mapped_column(Text)


class LessonMergeMember(Base):
    """One text a merged lesson handed to its survivor (kept while the merge stands)."""

    __tablename__ = "lesson_merge_members"
    merge_id: Mapped[int] = mapped_column(ForeignKey("lesson_merges.id"), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class ContactOptOut(Base):
    """A person (by pseudonym) who asked not to be contacted; "you asked, we did" skips them."""

    __tablename__ = "contact_optouts"
    author: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoopReply(Base):
    """One "you asked, we did" reply per thread and decision: drafted, then published (or failed)."""

    __tablename__ = "loop_replies"
    __table_args__ = (UniqueConstraint("decision_id", "post_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    reply_to_comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    people: Mapped[list] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    platform_reply_id: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    drafted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Person(Base):
    """Who a pseudonym is: the only place a handle is stored (analysis never reads it; erasure is one row)."""

    __tablename__ = "people"
    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    handle: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
