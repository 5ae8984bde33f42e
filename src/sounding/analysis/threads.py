"""Thread-level views the data alone supports: most-discussed threads and the questions inbox.

The inbox holds genuine questions addressed to us (text rules in :mod:`sounding.analysis.inbox`,
plus the intent label once ``sounding analyze`` has run) that no reply of ours answers. A reply of
ours answers a question when it is below it in the reply tree, or when it @mentions the asker,
and it came after the question. A reply of ours to someone else in the same post does not
answer it, nor does another customer's advice. Who a question is addressed to comes from the
thread: a top-level comment on a post (ours, or the asker's own) or a reply to us is addressed to
us; a reply to another person, or one that opens by @mentioning someone else first (a reply on X or
Mastodon lists the person replied to first) or asks someone by name ("did it come, @sam?"), is not,
unless it @mentions us in its own words. All of this works on pseudonyms (mentions are pseudonymised with the
store's key); handles are read from ``people`` only to show who to answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import and_, func, literal, null, or_, select, union_all

from sounding.analysis import inbox
from sounding.store import Store
from sounding.store.models import Account, Comment, Enrichment, Person, Post
from sounding.store.writer import pseudonym

INBOX_COLUMNS = ["kind", "platform", "id", "thread_id", "author", "handle", "display_name", "url", "text",
                 "created_at", "age", "age_hours", "intent"]
THREAD_CHUNK = 500


def most_discussed(store: Store, limit: int = 10) -> pd.DataFrame:
    """Threads ranked by distinct people in the audience, then audience comments."""
    audience = (
        select(
            Comment.post_id,
            func.count(func.distinct(Comment.author)).label("people"),
            func.count().label("comments"),
            func.max(Comment.created_at).label("last_activity"),
        )
        .where(Comment.ours.is_(False))
        .group_by(Comment.post_id)
        .subquery()
    )
    ours = (
        select(Comment.post_id, func.count().label("our_replies"))
        .where(Comment.ours.is_(True))
        .group_by(Comment.post_id)
        .subquery()
    )
    query = (
        select(
            Post.platform,
            Post.platform_id.label("post_id"),
            Post.text,
            Post.created_at,
            audience.c.people,
            audience.c.comments,
            func.coalesce(ours.c.our_replies, 0).label("our_replies"),
            audience.c.last_activity,
        )
        .join(audience, audience.c.post_id == Post.id)
        .outerjoin(ours, ours.c.post_id == Post.id)
        .order_by(audience.c.people.desc(), audience.c.comments.desc(), Post.id)
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys()))


def _candidates(store: Store, version: str | None, platforms: list[str] | None, since: datetime | None,
                until: datetime | None) -> pd.DataFrame:
    """Audience comments and posts that may be questions (not praise or "other" without a '?')."""
    parts = []
    for model, kind, thread, parent in ((Comment, "comment", Comment.post_id, Comment.parent_comment_id),
                                        (Post, "post", Post.id, null())):
        query = select(
            literal(kind).label("kind"), model.id.label("item_id"), model.platform, model.platform_id.label("id"),
            thread.label("thread"), parent.label("parent"), model.author, model.text, model.url, model.created_at,
            Enrichment.intent, Enrichment.sentiment,
        ).outerjoin(Enrichment, and_(Enrichment.text_hash == model.text_hash, Enrichment.model_version == version))
        # the text rules decide; only praise and "other" without a '?' cannot be questions to us
        query = query.where(model.ours.is_(False), or_(Enrichment.intent.in_(("question", "problem", "suggestion")),
                                                       Enrichment.intent.is_(None), model.text.like("%?%")))
        if platforms:
            query = query.where(model.platform.in_(platforms))
        if since is not None:
            query = query.where(model.created_at >= since)
        if until is not None:
            query = query.where(model.created_at <= until)
        parts.append(query)
    with store.engine.connect() as conn:
        result = conn.execute(union_all(*parts))
        return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


def _ours(store: Store) -> set[str]:
    """Our pseudonyms: authors of anything marked ours, and our connected accounts."""
    with store.engine.connect() as conn:
        names = set(conn.execute(select(Comment.author).where(Comment.ours.is_(True)).distinct()).scalars())
        names |= set(conn.execute(select(Post.author).where(Post.ours.is_(True)).distinct()).scalars())
        accounts = conn.execute(select(Account.platform, Account.handle)).all()
    return names | {pseudonym(store.salt, p, h) for p, h in accounts}


def _thread_rows(store: Store, threads: Iterable[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    threads = list(threads)
    with store.engine.connect() as conn:
        comments = conn.execute(
            select(Comment.id, Comment.post_id, Comment.parent_comment_id, Comment.author, Comment.ours,
                   Comment.created_at, Comment.platform, Comment.text)
            .where(Comment.post_id.in_(threads))
        ).all()
        posts = conn.execute(select(Post.id, Post.author, Post.ours).where(Post.id.in_(threads))).all()
    return comments, posts


class _Thread:
    """One thread's reply tree, reduced to what answering and addressing need."""

    def __init__(self, salt: bytes, ours: set[str], post, comments) -> None:
        self.salt, self.ours = salt, ours
        self.post_author, self.post_ours = post.author, bool(post.ours)
        self.rows = {c.id: c for c in comments}
        self.people = {c.author for c in comments} | {post.author}
        self.replies = []  # our replies: (created_at, ancestor comment ids, mentioned pseudonyms)
        for c in comments:
            if c.ours:
                self.replies.append((_aware(c.created_at), self._ancestors(c.id), self.named(c.platform, c.text)))

    def _ancestors(self, comment_id: int) -> set[int]:
        seen: set[int] = set()
        parent = self.rows[comment_id].parent_comment_id
        while parent is not None and parent not in seen and parent in self.rows:
            seen.add(parent)
            parent = self.rows[parent].parent_comment_id
        return seen

    def named(self, platform: str, text: str, lead_only: bool = False) -> set[str]:
        handles = inbox.leading_mentions(text) if lead_only else inbox.mentions(text)
        return {pseudonym(self.salt, platform, v) for h in handles for v in inbox.handle_variants(h)}

    def to_us(self, item) -> bool:
        """Whether a question is addressed to us (see the module docstring)."""
        text = item.text or ""
        body = text[len(inbox.lead_block(text)):]
        if self.named(item.platform, body) & self.ours:
            return True  # names us in its own words ("... lavatory issues @brand ?")
        first = inbox.leading_mentions(text)[:1]
        if first and not (self.named(item.platform, "@" + first[0]) & (self.ours | {item.author})):
            return False  # opens by addressing someone else (replies on X and Mastodon list that person first)
        if any(not (self.named(item.platform, "@" + h) & self.ours) for h in inbox.vocatives(body)):
            return False  # "Did they deliver, @sam?"
        lead = self.named(item.platform, text, lead_only=True)
        if lead & self.ours:
            return True
        if lead & (self.people - self.ours - {item.author}):
            return False  # opens by naming another participant
        if item.kind == "post":
            return True
        parent = item.parent
        while parent is not None and not pd.isna(parent):
            row = self.rows.get(int(parent))
            if row is None or row.ours:
                return True
            if row.author != item.author:
                return False  # a reply to another person
            parent = row.parent_comment_id  # a follow-up to one's own comment: addressed as that one was
        return self.post_ours or self.post_author == item.author

    def answered(self, item) -> bool:
        asked = _aware(item.created_at)
        for when, ancestors, named in self.replies:
            if when > asked and (item.kind == "post" or int(item.item_id) in ancestors or item.author in named):
                return True
        return False


def _aware(value) -> datetime:
    value = pd.Timestamp(value).to_pydatetime()
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _age(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, hours = divmod(minutes // 60, 24)
    if days:
        return f"{days}d {hours}h" if days < 7 else f"{days}d"
    return f"{hours}h {minutes % 60}m" if hours else f"{minutes}m"


def unanswered_questions(
    store: Store,
    model_version: str | None = None,
    limit: int | None = None,
    *,
    platforms: list[str] | None = None,
    older_than: timedelta | None = None,
    newer_than: timedelta | None = None,
    now: datetime | None = None,
) -> pd.DataFrame:
    """The questions inbox, oldest first: genuine questions to us that no reply of ours answers.

    ``older_than`` / ``newer_than`` bound the age at ``now`` (default: the current time).
    """
    now = _aware(now or datetime.now(UTC))
    until = now - older_than if older_than is not None else None
    since = now - newer_than if newer_than is not None else None
    if store.dialect == "sqlite":  # stored as naive UTC text there
        since, until = (None if t is None else t.replace(tzinfo=None) for t in (since, until))
    frame = _candidates(store, model_version, platforms, since, until)
    if frame.empty:
        return pd.DataFrame(columns=INBOX_COLUMNS)
    kinds = pd.Series([inbox.inbox_kind(text, sentiment) for text, sentiment
                       in zip(frame["text"], frame["sentiment"], strict=True)], index=frame.index)
    frame = frame[kinds == "genuine"]  # the text must ask; an intent label alone is not enough
    ours, salt = _ours(store), store.salt
    keep = []
    thread_ids = sorted(set(frame["thread"]))
    for start in range(0, len(thread_ids), THREAD_CHUNK):
        chunk = thread_ids[start : start + THREAD_CHUNK]
        comments, posts = _thread_rows(store, chunk)
        by_thread: dict[int, list] = {}
        for c in comments:
            by_thread.setdefault(c.post_id, []).append(c)
        trees = {p.id: _Thread(salt, ours, p, by_thread.get(p.id, [])) for p in posts}
        for item in frame[frame["thread"].isin(chunk)].itertuples():
            tree = trees[item.thread]
            if tree.to_us(item) and not tree.answered(item):
                keep.append(item.Index)
    frame = frame.loc[keep].copy()
    frame["created_at"] = frame["created_at"].map(_aware)
    frame = frame.sort_values(["created_at", "id"])
    if limit:
        frame = frame.head(limit)
    frame["age_hours"] = [round((now - t).total_seconds() / 3600, 1) for t in frame["created_at"]]
    frame["age"] = [_age(now - t) for t in frame["created_at"]]
    return _with_people(store, frame)


def _with_people(store: Store, frame: pd.DataFrame) -> pd.DataFrame:
    """Who to answer: handle and display name from the one ``people`` table (for display only)."""
    names = sorted(set(frame["author"]))
    found: dict[str, tuple] = {}
    with store.engine.connect() as conn:
        for start in range(0, len(names), THREAD_CHUNK):
            rows = conn.execute(select(Person.pseudonym, Person.handle, Person.display_name)
                                .where(Person.pseudonym.in_(names[start : start + THREAD_CHUNK])))
            found.update({p: (h, d) for p, h, d in rows})
    frame["handle"] = [found.get(a, (None, None))[0] for a in frame["author"]]
    frame["display_name"] = [found.get(a, (None, None))[1] for a in frame["author"]]
    posts = _post_ids(store, set(frame["thread"]))
    frame["thread_id"] = [posts.get(t) for t in frame["thread"]]
    return frame[INBOX_COLUMNS].reset_index(drop=True)


def _post_ids(store: Store, threads: set[int]) -> dict[int, str]:
    ids = sorted(threads)
    out: dict[int, str] = {}
    with store.engine.connect() as conn:
        for start in range(0, len(ids), THREAD_CHUNK):
            out.update(conn.execute(select(Post.id, Post.platform_id).where(Post.id.in_(ids[start : start + THREAD_CHUNK]))).all())
    return out
