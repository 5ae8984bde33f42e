"""Close the loop: tell the people behind a shipped (or declined) decision, once per thread.

Drafts come first (one reply per thread, to the earliest comment of someone who asked), editable;
nothing is posted without ``confirm=True``; a thread gets at most one reply per decision, ever;
people who opted out are left out, and a thread where only they spoke gets nothing. A reply is
marked ``publishing`` before it is sent and ``published`` after: a kill in between leaves it
``unknown`` for a person to check instead of posting it twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from sounding.act import decisions
from sounding.act.people import resolve
from sounding.errors import ConflictError, NotFoundError, UsageError
from sounding.store import Store
from sounding.store.models import Account, Comment, ContactOptOut, LoopReply, Post

TEMPLATES = {
    "shipped": "You asked for this and it's here: {title}. {note}Thank you for telling us!",
    "declined": "You asked for {title}. We looked at it closely and decided not to do it for now. {note}"
                "Thank you for telling us.",
}
#: (account id, text, platform id replied to) -> platform ids of what was posted
Publisher = Callable[[int, str, str], list[str]]


def opt_out(store: Store, who: str) -> str:
    """Record that a person asked not to be contacted; it sticks across syncs and re-analysis."""
    author = resolve(store, who)
    with store.transaction() as conn:
        conn.execute(store.insert(ContactOptOut.__table__).values(author=author, at=datetime.now(UTC))
                     .on_conflict_do_nothing())
    return author


def opt_in(store: Store, who: str) -> str:
    author = resolve(store, who)
    with store.transaction() as conn:
        conn.execute(delete(ContactOptOut).where(ContactOptOut.author == author))
    return author


def opted_out(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.execute(select(ContactOptOut.author)).scalars())


def threads(store: Store, decision_id: int) -> list[dict[str, Any]]:
    """The threads behind a decision, each with its people and the comment a reply would answer."""
    items = decisions.evidence_items(store, decision_id)
    skip = opted_out(store)
    by_thread: dict[int, dict[str, Any]] = {}
    for item in items:
        entry = by_thread.setdefault(item["post_id"], {
            "post_id": item["post_id"], "platform": item["platform"], "people": [], "opted_out": [],
            "reply_to_comment_id": None, "reply_to": None, "quote": None, "url": None,
        })
        bucket = "opted_out" if item["author"] in skip else "people"
        if item["author"] not in entry[bucket]:
            entry[bucket].append(item["author"])
        if bucket == "people" and entry["reply_to"] is None:  # the earliest comment of someone who asked
            entry["reply_to"] = item["platform_id"]
            entry["reply_to_comment_id"] = item["id"] if item["kind"] == "comment" else None
            entry["quote"], entry["url"] = item["text"], item["url"]
    return sorted(by_thread.values(), key=lambda t: (t["platform"], t["post_id"]))


def _text(store: Store, decision: dict[str, Any], template: str | None) -> str:
    notes = [e["note"] for e in decision["events"] if e["status"] == decision["status"] and e["note"]]
    note = notes[-1].strip() if notes else ""
    if note:  # the note is a sentence of the reply: end it like one
        note = f"{note} " if note[-1] in ".!?…)\"'”" else f"{note}. "
    return (template or TEMPLATES[decision["status"]]).format(title=decision["title"], note=note).strip()


def draft(store: Store, decision_id: int, template: str | None = None) -> list[dict[str, Any]]:
    """Draft one reply per thread not told yet; existing drafts are refreshed, sent ones never touched."""
    decision = decisions.get(store, decision_id)
    if decision["status"] not in TEMPLATES:
        raise ConflictError(f"decision {decision_id} is {decision['status']}: tell people once it is shipped or declined")
    if template is not None and not template.strip():
        raise UsageError("the reply text is empty")
    text = _text(store, decision, template)
    now = datetime.now(UTC)
    with store.transaction() as conn:
        existing = {r.post_id: r for r in conn.execute(select(LoopReply).where(LoopReply.decision_id == decision_id))}
        for thread in threads(store, decision_id):
            row = existing.get(thread["post_id"])
            if not thread["people"]:
                if row is not None and row.status == "draft":
                    conn.execute(delete(LoopReply).where(LoopReply.id == row.id))
                continue
            values = {"reply_to_comment_id": thread["reply_to_comment_id"], "people": thread["people"], "text": text}
            if row is None:
                conn.execute(insert(LoopReply).values(decision_id=decision_id, post_id=thread["post_id"], status="draft",
                                                      drafted_at=now, **values))
            elif row.status == "draft":
                conn.execute(update(LoopReply).where(LoopReply.id == row.id).values(drafted_at=now, **values))
    return replies(store, decision_id)


def edit(store: Store, reply_id: int, text: str) -> dict[str, Any]:
    """Change one draft's words (a sent reply cannot be edited here)."""
    text = (text or "").strip()
    if not text:
        raise UsageError("the reply text is empty")
    with store.transaction() as conn:
        row = conn.execute(select(LoopReply).where(LoopReply.id == reply_id)).first()
        if row is None:
            raise NotFoundError(f"no draft reply {reply_id}")
        if row.status != "draft":
            raise ConflictError(f"reply {reply_id} is {row.status}; only drafts can be edited")
        conn.execute(update(LoopReply).where(LoopReply.id == reply_id).values(text=text))
        decision_id = row.decision_id
    return next(r for r in replies(store, decision_id) if r["id"] == reply_id)


def replies(store: Store, decision_id: int | None = None) -> list[dict[str, Any]]:
    """Drafted and sent replies with their thread, target and people."""
    query = (
        select(LoopReply.__table__, Post.platform, Post.platform_id.label("post_platform_id"), Post.url.label("post_url"),
               Comment.platform_id.label("reply_to"))
        .join(Post, Post.id == LoopReply.post_id)
        .outerjoin(Comment, Comment.id == LoopReply.reply_to_comment_id)
        .order_by(LoopReply.id)
    )
    if decision_id is not None:
        query = query.where(LoopReply.decision_id == decision_id)
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [{
        "id": r.id, "decision": r.decision_id, "post_id": r.post_id,
        "platform": r.platform, "reply_to": r.reply_to or r.post_platform_id, "thread_url": r.post_url,
        "people": list(r.people), "text": r.text, "status": r.status,
        "platform_reply_id": r.platform_reply_id, "error": r.error, "published_at": r.published_at,
    } for r in rows]


def _account_for(conn, post_id: int, platform: str) -> int:
    own = conn.execute(select(Post.account_id).where(Post.id == post_id)).scalar()
    if own is not None:
        return int(own)
    accounts = conn.execute(select(Account.id).where(Account.platform == platform)).scalars().all()
    if len(accounts) != 1:
        raise NotFoundError(f"no single {platform} account to reply from ({len(accounts)} connected)")
    return int(accounts[0])


def _default_publisher(store: Store) -> Publisher:
    from sounding.core.accounts import publish

    def send(account_id: int, text: str, reply_to: str) -> list[str]:
        return publish(store, str(account_id), text, reply_to=reply_to)

    return send


def publish(
    store: Store, decision_id: int, *, confirm: bool = False, pace: float = 1.0, publisher: Publisher | None = None,
) -> list[dict[str, Any]]:
    """Send the drafts of a decision. Without ``confirm`` it only says what would be sent (dry run).

    Each draft is re-checked against the opt-outs just before it goes; replies in ``publishing``
    (a run killed mid-send) become ``unknown`` and are never re-sent automatically.
    """
    skip = opted_out(store)
    planned = [r for r in replies(store, decision_id) if r["status"] in ("draft", "failed")]
    with store.transaction() as conn:
        conn.execute(update(LoopReply).where(LoopReply.decision_id == decision_id, LoopReply.status == "publishing")
                     .values(status="unknown", error="a run stopped while sending: check the thread, then mark it"))
    results = []
    for reply in planned:
        people = [p for p in reply["people"] if p not in skip]
        if not people:
            results.append({**reply, "status": "skipped", "error": "everyone in this thread opted out"})
            continue
        if not confirm:
            results.append({**reply, "status": "would send"})
            continue
        send = publisher or _default_publisher(store)
        with store.transaction() as conn:
            account = _account_for(conn, reply["post_id"], reply["platform"])
            claimed = conn.execute(update(LoopReply).where(LoopReply.id == reply["id"],
                                                           LoopReply.status.in_(("draft", "failed")))
                                   .values(status="publishing")).rowcount
        if not claimed:  # another run took it
            continue
        try:
            ids = send(account, reply["text"], reply["reply_to"])
        except Exception as exc:  # noqa: BLE001 - recorded on the reply; the next run may try again
            with store.transaction() as conn:
                conn.execute(update(LoopReply).where(LoopReply.id == reply["id"])
                             .values(status="failed", error=f"{type(exc).__name__}: {exc}"[:500]))
            results.append({**reply, "status": "failed", "error": str(exc)[:500]})
            continue
        with store.transaction() as conn:
            conn.execute(update(LoopReply).where(LoopReply.id == reply["id"]).values(
                status="published", platform_reply_id=(ids or [None])[0], published_at=datetime.now(UTC), error=None))
        results.append({**reply, "status": "published", "platform_reply_id": (ids or [None])[0]})
        if pace:
            time.sleep(pace)
    return results


def mark(store: Store, reply_id: int, status: str) -> None:
    """Settle an ``unknown`` reply after looking at the thread: ``published`` or back to ``draft``."""
    if status not in ("published", "draft"):
        raise UsageError("mark a reply published or draft")
    with store.transaction() as conn:
        done = conn.execute(update(LoopReply).where(LoopReply.id == reply_id, LoopReply.status.in_(("unknown", "failed")))
                            .values(status=status, error=None)).rowcount
    if not done:
        raise ConflictError(f"reply {reply_id} is not unknown or failed")
