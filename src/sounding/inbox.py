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

from sqlalchemy import DateTime, String, and_, literal, or_, select
from sqlalchemy.orm import Mapped, aliased, mapped_column

from sounding.browse import Page, Query, finish, decode_cursor
from sounding.errors import ConflictError, NotFoundError, NotReadyError, RemoteError, UsageError
from sounding.records import CommentRecord
from sounding.store import Store
from sounding.store.models import Account, Base, Comment, Enrichment, Post

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


def _arm(model, version: str | None, q: Query, state: str, assignee: str | None, threads: list[int] | None):
    """Audience items of one table (comments or posts) waiting for us, in time order from the
    cursor on: walks the time index and stops after one page (no scan of every comment)."""
    thread_of = model.post_id if model is Comment else model.id
    thread = aliased(Post)
    ours = aliased(Comment)
    replied_after = (
        select(ours.id)
        .where(ours.ours == True, ours.post_id == thread_of, ours.created_at > model.created_at)  # noqa: E712
        .exists()
    )
    query = (
        select(literal("comment" if model is Comment else "post").label("kind"), model.platform,
               model.platform_id.label("id"), thread.platform_id.label("thread"), model.author, model.text,
               model.url, model.created_at, Enrichment.intent, Enrichment.sentiment,
               InboxState.state.label("mark"), InboxState.assignee)
        .join(thread, thread.id == thread_of)
        .outerjoin(Enrichment, and_(Enrichment.text_hash == model.text_hash, Enrichment.model_version == version))
        .outerjoin(InboxState, and_(InboxState.platform == model.platform, InboxState.item_id == model.platform_id))
        .where(model.ours.is_(False),
               or_(Enrichment.intent == "question", and_(Enrichment.intent.is_(None), model.text.like("%?%"))),
               ~replied_after)
    )
    if state == "open":
        query = query.where(or_(InboxState.state.is_(None), InboxState.state == "open"))
    elif state != "all":
        query = query.where(InboxState.state == state)
    if assignee:
        query = query.where(InboxState.assignee == assignee)
    if q.platform:
        query = query.where(model.platform == q.platform)
    if threads is not None:
        query = query.where(thread_of.in_(threads))
    if q.since:
        query = query.where(model.created_at >= q.since.replace(tzinfo=None))
    if q.until:
        query = query.where(model.created_at < q.until.replace(tzinfo=None))
    if q.search:
        escaped = q.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(model.text.like(f"%{escaped}%", escape="\\"))
    key = decode_cursor(q.after)
    if key is not None:
        try:
            moment = datetime.fromisoformat(str(key[0])).replace(tzinfo=None)
        except ValueError as exc:
            raise UsageError("invalid cursor: pass the `next` value of the previous page unchanged") from exc
        query = query.where(or_(model.created_at > moment,
                                and_(model.created_at == moment, model.platform_id > str(key[1]))))
    return query.order_by(model.created_at, model.platform_id).limit(q.limit + 1)


def questions(store: Store, version: str | None, q: Query, state: str = "open",
              assignee: str | None = None) -> Page:
    """Audience questions no reply of ours followed, oldest first, with their state and age.

    Each page is one keyset query per table (comments, posts) merged by time, so page 1 and page
    1,000 cost the same at a million comments, and a mark shows on the very next request."""
    if state not in (*STATES, "all"):
        raise UsageError(f"state must be one of {', '.join(STATES)} or all")
    q.check(("created_at",))
    with store.engine.connect() as conn:
        threads = None
        if q.post:  # one thread: start from its rows (platform ids are indexed with their platform)
            threads = list(conn.execute(select(Post.id).where(Post.platform_id == q.post)).scalars())
        rows = [dict(r) for model in (Comment, Post)
                for r in conn.execute(_arm(model, version, q, state, assignee, threads)).mappings()]
    rows.sort(key=lambda r: (r["created_at"].replace(tzinfo=None), r["id"]))
    now, out = datetime.now(UTC), []
    for row in rows[: q.limit + 1]:
        created = row["created_at"].replace(tzinfo=None)
        row["state"], row["assignee"] = row.pop("mark") or "open", row["assignee"]
        out.append({**row, "age_hours": round((now - created.replace(tzinfo=UTC)).total_seconds() / 3600, 1)})
    return finish(out, q, lambda r: [r["created_at"].replace(tzinfo=None).isoformat(), r["id"]])


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
