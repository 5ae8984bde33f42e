"""`sounding ask`: record a question with options and publish it as a poll on several platforms.

Why the order matters: the question row is written first, so whatever gets published is always
linked to a question; each published post is then written through the store writer (the same
idempotent path a sync takes, so the next sync finds the row and adds only replies and votes) and
linked with ``posts.question_id`` / ``polls.question_id``. A platform that fails does not stop the
others; its error is reported.

How each platform asks is the connector's business (``PollItem``): Mastodon publishes a native
poll; Bluesky, which has no polls, a post listing numbered options whose replies are counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from sounding.errors import NotFoundError
from sounding.experiments.errors import OptionError
from sounding.records import PollRecord, PostRecord
from sounding.store import Store, models

DEFAULT_EXPIRES_IN = 24 * 3600


@dataclass(frozen=True, slots=True)
class Target:
    """One connected account to ask on."""

    account_id: int
    platform: str
    handle: str


@dataclass(slots=True)
class Published:
    """What asking on one account did: the platform ids (post first) and the store's post id."""

    target: Target
    ids: list[str] = field(default_factory=list)
    post_id: int | None = None
    text: str = ""
    error: str | None = None


def validate_question(text: str, options: Sequence[str]) -> tuple[str, list[str]]:
    """The question and its options, trimmed; at least two distinct non-empty options."""
    text = (text or "").strip()
    cleaned = [o.strip() for o in options if o and o.strip()]
    if not text:
        raise OptionError("the question is empty")
    if len(cleaned) < 2:
        raise OptionError("a question needs at least two --option")
    if len({o.casefold() for o in cleaned}) != len(cleaned):
        raise OptionError("the options must be distinct")
    return text, cleaned


def choose_targets(
    accounts: Sequence[Any],
    platforms: Sequence[str],
    wanted: Sequence[str] = (),
    *,
    allow_missing: bool = False,
) -> list[Target]:
    """One connected account per platform in ``platforms``.

    ``wanted`` (``--account``: id, handle or platform:handle) picks among several accounts of a
    platform; a platform with exactly one account needs none. ``allow_missing`` (dry runs) gives a
    platform without an account a placeholder target (account id -1, empty handle).
    """
    from sounding.connectors.base import available

    platforms = [p.strip() for p in platforms if p.strip()]
    if not platforms:
        raise OptionError("name at least one platform with --on (e.g. --on bluesky,mastodon)")
    unknown = [p for p in platforms if p not in available()]
    if unknown:
        raise OptionError(f"unknown platform {unknown[0]!r}; known: {', '.join(available())}")
    targets = []
    for platform in dict.fromkeys(platforms):
        mine = [a for a in accounts if a.platform == platform]
        if wanted:
            mine = [
                a for a in mine if any(w in (str(a.id), a.handle, f"{a.platform}:{a.handle}") for w in wanted)
            ]
        if not mine and allow_missing:
            targets.append(Target(-1, platform, ""))
            continue
        if not mine:
            raise OptionError(
                f"no connected {platform} account{' matches --account' if wanted else ''} "
                "(see `sounding accounts`, `sounding connect`)"
            )
        if len(mine) > 1:
            names = ", ".join(f"{a.platform}:{a.handle}" for a in mine)
            raise OptionError(f"several {platform} accounts ({names}); pick one with --account")
        targets.append(Target(mine[0].id, platform, mine[0].handle))
    return targets


def poll_item(text: str, options: Sequence[str], expires_in: int = DEFAULT_EXPIRES_IN) -> Any:
    from sounding.connectors.base import PollItem

    return PollItem(text, list(options), expires_in=expires_in)


def post_text(platform: str, item: Any) -> str:
    """What the post will read: the connector's own poll text where it writes one (Bluesky lists
    the numbered options), else the question (a native poll carries the options)."""
    from sounding.connectors.base import get_connector_class

    render = getattr(get_connector_class(platform), "poll_text", None)
    return render(item) if callable(render) else item.question


def preview(targets: Sequence[Target], text: str, options: Sequence[str], expires_in: int) -> list[dict]:
    """What `--dry-run` prints: per account, the post text and how answers will be read."""
    from sounding.connectors.base import get_connector_class

    item = poll_item(text, options, expires_in)
    out = []
    for t in targets:
        native = not callable(getattr(get_connector_class(t.platform), "poll_text", None))
        out.append(
            {
                "platform": t.platform,
                "account": t.handle,
                "text": post_text(t.platform, item),
                "poll": "native poll" if native else "post whose replies are counted",
                "options": list(options),
                "expires_in": expires_in,
            }
        )
    return out


def create_question(store: Store, text: str, options: Sequence[str]) -> int:
    """Record the question (and its options) before anything is published."""
    text, cleaned = validate_question(text, options)
    with store.session() as session, session.begin():
        row = models.Question(text=text, options=cleaned, created_at=datetime.now(UTC))
        session.add(row)
        session.flush()
        return row.id


def publish_question(
    store: Store,
    question_id: int,
    targets: Sequence[Target],
    *,
    expires_in: int = DEFAULT_EXPIRES_IN,
    open_connector: Callable[[Any], Any] | None = None,
) -> list[Published]:
    """Publish the stored question on every target, write and link the posts; never raises for one
    platform's failure (see ``Published.error``)."""
    from sounding.connectors.retry import ConnectorError

    if open_connector is None:
        open_connector = _open_for_account(store)
    with store.session() as session:
        question = session.get(models.Question, question_id)
        if question is None:
            raise NotFoundError(f"no question with id {question_id}")
        text, options = question.text, list(question.options or [])
    item = poll_item(text, options, expires_in)
    out = []
    for target in targets:
        result = Published(target, text=post_text(target.platform, item))
        connector = None
        try:
            connector = open_connector(target)
            result.ids = list(connector.publish(item))
        except ConnectorError as exc:
            result.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - one platform's failure must not stop the others
            result.error = f"{target.platform}: {type(exc).__name__}: {exc}"
        finally:
            if connector is not None:
                connector.close()
        if result.ids:
            result.post_id = _store_post(
                store, question_id, target, result.ids[0], result.text, options, expires_in
            )
        out.append(result)
    return out


def _open_for_account(store: Store) -> Callable[[Target], Any]:
    from sounding.connectors.base import open_connector
    from sounding.connectors.sync import account_ref

    accounts = {a.id: a for a in store.list_accounts()}

    def open_(target: Target) -> Any:
        return open_connector(account_ref(accounts[target.account_id]))

    return open_


def _store_post(
    store: Store,
    question_id: int,
    target: Target,
    platform_id: str,
    text: str,
    options: list[str],
    expires_in: int,
) -> int:
    """Write the published post (and its empty poll) like a sync would, then link it to the question."""
    now = datetime.now(UTC)
    # Authors as the sync stores them: Bluesky uses the DID (in the at:// URI), Mastodon the acct.
    author = platform_id.split("/")[2] if platform_id.startswith("at://") else target.handle
    records = [
        PostRecord(
            platform=target.platform,
            id=platform_id,
            author=author,
            text=text,
            created_at=now,
            ours=True,
            account=target.handle,
        ),
        PollRecord(
            platform=target.platform,
            post_id=platform_id,
            options=list(options),
            votes=[0] * len(options),
            taken_at=now,
            closes_at=now + timedelta(seconds=expires_in),
            voters=0,
        ),
    ]
    store.write_records(records, account_id=target.account_id)
    with store.session() as session, session.begin():
        post_id = session.scalars(
            select(models.Post.id).where(
                models.Post.platform == target.platform, models.Post.platform_id == platform_id
            )
        ).one()
        session.execute(update(models.Post).where(models.Post.id == post_id).values(question_id=question_id))
        session.execute(
            update(models.Poll).where(models.Poll.post_id == post_id).values(question_id=question_id)
        )
    return post_id


def list_questions(store: Store) -> list[dict]:
    """Every recorded question with the platforms it was published on."""
    with store.session() as session:
        posts: dict[int, list[str]] = {}
        for qid, platform, pid in session.execute(
            select(models.Post.question_id, models.Post.platform, models.Post.platform_id).where(
                models.Post.question_id.is_not(None)
            )
        ):
            posts.setdefault(qid, []).append(f"{platform}:{pid}")
        return [
            {
                "id": q.id,
                "question": q.text,
                "options": list(q.options or []),
                "created_at": q.created_at.isoformat(),
                "posts": sorted(posts.get(q.id, [])),
            }
            for q in session.scalars(select(models.Question).order_by(models.Question.id))
        ]
