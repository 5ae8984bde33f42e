"""Running a connector into the store: incremental, idempotent, resumable, with progress.

:func:`sync_account` reads the account's cursors, opens its connector, and writes every batch the
connector yields with :meth:`Store.write_batch`, which stores the records *and* the batch's cursor in
one transaction. So:

* a second sync adds nothing (natural keys; the store keeps a reaction snapshot only when counts
  changed);
* a sync killed at any instant resumes from the last committed batch: the records before it are in,
  the records after it are fetched again;
* a sync that gives up (rate limit longer than the budget, server down) stops with a clear message
  and the same guarantee.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sounding.connectors.base import AccountRef, Connector, open_connector
from sounding.connectors.retry import AuthError, ConnectorError, RetryPolicy, SyncInterrupted
from sounding.connectors.secrets import REDACTOR, SecretStore

log = logging.getLogger("sounding.connectors")

KINDS = ("posts", "comments", "reactions", "polls")


@dataclass(slots=True)
class SyncResult:
    """What one account's sync did."""

    platform: str
    handle: str
    account_id: int
    new: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    batches: int = 0
    posts_seen: int = 0
    retries: int = 0
    complete: bool = False
    error: str | None = None
    #: auth (credentials refused), interrupted (gave up after retries), remote, unexpected
    error_kind: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "handle": self.handle,
            "account_id": self.account_id,
            "new": dict(self.new),
            "batches": self.batches,
            "posts_seen": self.posts_seen,
            "retries": self.retries,
            "complete": self.complete,
            "error": self.error,
            "error_kind": self.error_kind,
        }


MAX_ERROR = 500  # characters of a kept sync error


def error_kind(exc: BaseException) -> str:
    """What kind of failure stopped a sync, in words a person can act on."""
    if isinstance(exc, AuthError):
        return "auth"
    if isinstance(exc, SyncInterrupted):
        return "interrupted"
    return "remote" if isinstance(exc, ConnectorError) else "unexpected"


def _one_line(text: str) -> str:
    line = " ".join(REDACTOR.redact(text).split())
    return line if len(line) <= MAX_ERROR else line[: MAX_ERROR - 1] + "…"


def remember(store: Any, result: SyncResult) -> SyncResult:
    """Keep the last error on the account (a complete sync clears it), so the Sync page can show it."""
    if result.complete:
        store.set_sync_error(result.account_id, None)
    elif result.error:
        store.set_sync_error(result.account_id, result.error_kind or "unexpected", result.error)
    return result


def account_ref(account: Any, secrets: SecretStore | None = None) -> AccountRef:
    """An :class:`AccountRef` (with its secret) from a store ``Account`` row."""
    secrets = secrets or SecretStore()
    ref = getattr(account, "credential_ref", None)
    return AccountRef(
        platform=account.platform,
        handle=account.handle,
        service_url=getattr(account, "service_url", None),
        secret=secrets.get(ref) if ref else None,
        id=account.id,
    )


def run_connector(
    store: Any,
    account_id: int,
    connector: Connector,
    *,
    on_batch: Callable[[SyncResult, dict[str, int]], None] | None = None,
) -> SyncResult:
    """Drive ``connector.sync`` into ``store`` for one account; never raises a ConnectorError."""
    acct = connector.account
    result = SyncResult(acct.platform, acct.handle, account_id)
    cursors = {stream: store.get_cursor(account_id, stream) for stream in connector.streams}
    try:
        for batch in connector.sync(acct, cursors):
            counts = store.write_batch(account_id, batch)
            result.batches += 1
            if batch.records:
                result.posts_seen += 1
            for kind in KINDS:
                result.new[kind] += int(counts.get(kind, 0))
            if counts.get("unresolved"):
                log.warning(
                    "%s: %d record(s) of a batch had no parent in the store",
                    acct.platform,
                    counts["unresolved"],
                )
            if on_batch:
                on_batch(result, counts)
        result.complete = True
    except ConnectorError as exc:
        result.error, result.error_kind = _one_line(str(exc)), error_kind(exc)
    except Exception as exc:
        result.error = _one_line(f"{acct.platform}: unexpected {type(exc).__name__}: {exc}")
        result.error_kind = "unexpected"
        log.debug("sync of %s %s failed", acct.platform, acct.handle, exc_info=True)
    finally:
        result.retries = connector.retrier.retries
        connector.close()
    return remember(store, result)


def sync_account(
    store: Any,
    account: Any,
    *,
    secrets: SecretStore | None = None,
    policy: RetryPolicy | None = None,
    on_wait: Callable[[str], None] | None = None,
    on_batch: Callable[[SyncResult, dict[str, int]], None] | None = None,
    full: bool = False,
    refresh_days: float | None = None,
    max_posts: int | None = None,
    pace: float | None = None,
) -> SyncResult:
    """Sync one store account row (``store.list_accounts()`` item)."""
    ref = account_ref(account, secrets)
    try:
        connector = open_connector(ref, policy=policy or RetryPolicy.from_env(), on_wait=on_wait)
    except ConnectorError as exc:
        return remember(store, SyncResult(ref.platform, ref.handle, account.id, error=_one_line(str(exc)),
                                          error_kind=error_kind(exc)))
    connector.full = full  # type: ignore[attr-defined]
    if refresh_days is not None:
        connector.refresh_days = refresh_days  # type: ignore[attr-defined]
    if max_posts is not None:
        connector.max_posts = max_posts  # type: ignore[attr-defined]
    if pace is not None:
        connector.pace = pace  # type: ignore[attr-defined]
    return run_connector(store, account.id, connector, on_batch=on_batch)


def sync_all(
    store: Any,
    accounts: Iterable[Any],
    *,
    show_progress: bool = True,
    console: Any = None,
    **kwargs: Any,
) -> list[SyncResult]:
    """Sync several accounts one after another, with a rich progress display."""
    results = []
    if not show_progress:
        for account in accounts:
            results.append(sync_account(store, account, **kwargs))
        return results

    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from sounding.terminal import safe

    console = console or Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=None),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        for account in accounts:
            name = f"{safe(account.platform)} {safe(account.handle)}"
            task = progress.add_task(name, total=None, status="starting")

            def on_wait(msg: str, _task: Any = task) -> None:
                progress.update(_task, status="[yellow]waiting (rate limit / retry)")
                progress.console.print(f"[yellow]{safe(REDACTOR.redact(msg))}")

            def on_batch(res: SyncResult, counts: dict[str, int], _task: Any = task) -> None:
                progress.update(
                    _task,
                    advance=1,
                    status=f"{res.posts_seen} posts · new: " + ", ".join(f"{res.new[k]} {k}" for k in KINDS),
                )

            res = sync_account(store, account, on_wait=on_wait, on_batch=on_batch, **kwargs)
            state = "[green]done" if res.complete else f"[red]stopped: {safe(res.error)}"
            progress.update(task, total=max(res.batches, 1), completed=max(res.batches, 1), status=state)
            results.append(res)
    return results
