"""The inbox: audience questions still waiting for us, their state, and replying to them.

A question leaves the inbox when a reply of ours follows it in its thread (see
:mod:`sounding.analysis.threads`), or when someone marks it *answered* (e.g. answered by phone) or
*ignored*. It can be assigned to a teammate. Replies go out through the thread's connector and are
written back as our comment, so the store agrees with the platform without waiting for a sync.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String, and_, func, or_, select
from sqlalchemy.orm import Mapped, aliased, mapped_column

from sounding.analysis.audience import audience
from sounding.browse import Page, Query, finish, decode_cursor
from sounding.errors import ConflictError, NotFoundError, NotReadyError, RemoteError, UsageError
from sounding.records import CommentRecord
from sounding.store import Store
from sounding.store.models import Account, Base, Comment, Post

STATES = ("open", "answered", "ignored")
MAX_REPLY = 300  # the shortest limit of the platforms we reply on (Bluesky graphemes)


class InboxState(Base):
    """A person's decision about one audience question (no row = open)."""

    __tablename__ = "inbox_state"
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def candidates(store: Store, version: str | None) -> list[dict]:
    """Every audience question no reply of ours followed, oldest first (the costly part: callers
    that serve many requests cache it; marks are applied on top by :func:`page`)."""
    a = audience(version)
    ours = (
        select(Comment.post_id, func.max(Comment.created_at).label("last"))
        .where(Comment.ours.is_(True)).group_by(Comment.post_id).subquery()
    )
    is_question = or_(a.c.intent == "question", and_(a.c.intent.is_(None), a.c.text.like("%?%")))
    query = (
        select(a.c.kind, a.c.platform, a.c.platform_id.label("id"), Post.platform_id.label("thread"),
               a.c.author, a.c.text, a.c.url, a.c.created_at, a.c.intent, a.c.sentiment)
        .join(Post, Post.id == a.c.thread_id)
        .outerjoin(ours, ours.c.post_id == a.c.thread_id)
        .where(is_question, or_(ours.c.last.is_(None), ours.c.last <= a.c.created_at))
        .order_by(a.c.created_at, a.c.platform_id)
    )
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def states(store: Store) -> dict[tuple[str, str], tuple[str, str | None]]:
    """Every mark: (platform, item id) -> (state, assignee). A small table, read per request."""
    with store.engine.connect() as conn:
        return {(p, i): (st, who) for p, i, st, who in conn.execute(
            select(InboxState.platform, InboxState.item_id, InboxState.state, InboxState.assignee))}


def page(rows: list[dict], marks: dict, q: Query, state: str = "open", assignee: str | None = None) -> Page:
    """One page of ``rows`` (from :func:`candidates`) with the marks, filters and cursor applied."""
    if state not in (*STATES, "all"):
        raise UsageError(f"state must be one of {', '.join(STATES)} or all")
    q.check(("created_at",))
    key = decode_cursor(q.after)
    after = (str(key[0]), str(key[1])) if key else None
    needle = q.search.casefold() if q.search else None
    since, until = (t.replace(tzinfo=None) if t else None for t in (q.since, q.until))
    now, out = datetime.now(UTC), []
    for row in rows:
        mark, who = marks.get((row["platform"], row["id"]), ("open", None))
        created = row["created_at"].replace(tzinfo=None)
        if ((state != "all" and mark != state) or (assignee and who != assignee)
                or (q.platform and row["platform"] != q.platform) or (q.post and row["thread"] != q.post)
                or (since and created < since) or (until and created >= until)
                or (needle and needle not in row["text"].casefold())
                or (after and (created.isoformat(), row["id"]) <= after)):
            continue
        age = (now - created.replace(tzinfo=UTC)).total_seconds() / 3600
        out.append({**row, "state": mark, "assignee": who, "age_hours": round(age, 1)})
        if len(out) > q.limit:
            break
    return finish(out, q, lambda r: [r["created_at"].replace(tzinfo=None).isoformat(), r["id"]])


def questions(store: Store, version: str | None, q: Query, state: str = "open",
              assignee: str | None = None, rows: list[dict] | None = None) -> Page:
    """Audience questions no reply of ours followed, oldest first, with their state and age."""
    return page(candidates(store, version) if rows is None else rows, states(store), q, state, assignee)


def _item(store: Store, platform: str, item_id: str) -> dict:
    """The audience comment or post ``item_id`` with its thread root."""
    with store.engine.connect() as conn:
        row = conn.execute(
            select(Comment.platform_id.label("id"), Comment.text, Post.platform_id.label("thread"),
                   Post.account_id, Post.id.label("post_row"))
            .join(Post, Post.id == Comment.post_id)
            .where(Comment.platform == platform, Comment.platform_id == item_id)
        ).mappings().first()
        if row is None:
            row = conn.execute(
                select(Post.platform_id.label("id"), Post.text, Post.platform_id.label("thread"),
                       Post.account_id, Post.id.label("post_row"))
                .where(Post.platform == platform, Post.platform_id == item_id)
            ).mappings().first()
    if row is None:
        raise NotFoundError(f"no comment or post {item_id!r} on {platform!r}")
    return dict(row)


def set_state(store: Store, platform: str, item_id: str, state: str, assignee: str | None = None) -> dict:
    """Mark a question open, answered or ignored, and/or assign it; returns the new state."""
    if state not in STATES:
        raise UsageError(f"state must be one of {', '.join(STATES)}")
    _item(store, platform, item_id)
    values = {"platform": platform, "item_id": item_id, "state": state,
              "assignee": (assignee or "").strip()[:255] or None, "updated_at": datetime.now(UTC)}
    with store.transaction() as conn:
        statement = store.insert(InboxState.__table__).values(**values)
        conn.execute(statement.on_conflict_do_update(
            index_elements=["platform", "item_id"],
            set_={k: values[k] for k in ("state", "assignee", "updated_at")},
        ))
    return {k: values[k] for k in ("platform", "item_id", "state", "assignee")}


def _replied(store: Store, platform: str, item_id: str) -> bool:
    parent = aliased(Comment)
    with store.engine.connect() as conn:
        return conn.execute(
            select(Comment.id).join(parent, parent.id == Comment.parent_comment_id)
            .where(parent.platform == platform, parent.platform_id == item_id, Comment.ours.is_(True)).limit(1)
        ).first() is not None


def _account(store: Store, platform: str, account_id: int | None) -> Account:
    accounts = [a for a in store.list_accounts() if a.platform == platform]
    chosen = [a for a in accounts if a.id == account_id] or accounts
    if not chosen:
        raise NotReadyError(f"no connected {platform} account to reply from",
                            hint=f"sounding connect {platform}")
    return chosen[0]


def preview_reply(store: Store, platform: str, item_id: str, text: str) -> dict:
    """What :func:`send_reply` would publish, without publishing anything."""
    text = text.strip()
    if not text:
        raise UsageError("the reply is empty")
    if len(text) > MAX_REPLY:
        raise UsageError(f"a reply is at most {MAX_REPLY} characters ({len(text)} given)")
    item = _item(store, platform, item_id)
    account = _account(store, platform, item["account_id"])
    return {"platform": platform, "in_reply_to": item_id, "thread": item["thread"], "question": item["text"],
            "account": account.handle, "text": text, "dry_run": True}


def send_reply(store: Store, platform: str, item_id: str, text: str, *,
               open_connector: Callable[[Any], Any] | None = None) -> dict:
    """Publish the reply through the account's connector, store it as ours, mark the question answered."""
    from sounding.connectors.base import ReplyItem
    from sounding.connectors.retry import ConnectorError
    from sounding.connectors.secrets import REDACTOR

    plan = preview_reply(store, platform, item_id, text)
    account = _account(store, platform, _item(store, platform, item_id)["account_id"])
    if _replied(store, platform, item_id):  # a resubmitted form must not post twice
        raise ConflictError("we already replied to this question", hint="open the thread to see the reply")
    if open_connector is None:
        from sounding.connectors.base import open_connector as open_
        from sounding.connectors.sync import account_ref

        def open_connector(acct):
            return open_(account_ref(acct))
    connector = None
    try:
        connector = open_connector(account)
        ids = list(connector.publish(ReplyItem(parent_id=item_id, text=plan["text"])))
    except ConnectorError as exc:
        raise RemoteError(f"{platform}: the reply was not sent: {REDACTOR.redact(str(exc))}") from exc
    finally:
        if connector is not None:
            connector.close()
    reply_id = ids[0]
    author = reply_id.split("/")[2] if reply_id.startswith("at://") else account.handle
    store.write_records([CommentRecord(platform=platform, id=reply_id, parent_id=item_id, author=author,
                                       text=plan["text"], created_at=datetime.now(UTC), ours=True)],
                        account_id=account.id)
    set_state(store, platform, item_id, "answered")
    return {**plan, "dry_run": False, "id": reply_id}
