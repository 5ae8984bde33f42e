"""Connected accounts: connect (verify, keep the secret out of the store), list, pick, sync, publish.

The CLI's ``connect``, ``accounts``, ``sync`` and ``publish`` are thin layers over these functions
(through :class:`sounding.api.Sounding`), so a script can do all of it. What a platform asks for
on ``connect`` is the connector's :class:`~sounding.connectors.base.ConnectSpec`, not code here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from sounding.connectors.base import ConnectSpec, Field, PollItem, PostItem, ReplyItem, get_connector_class
from sounding.connectors.retry import ConnectorError, RetryPolicy, unreachable
from sounding.connectors.secrets import REDACTOR, SecretStore, strip_userinfo
from sounding.errors import InputError, NotFoundError, NotReadyError, RemoteError, UsageError

log = logging.getLogger("sounding.connectors")

#: asks a person for a field (hidden when secret); raises UsageError where nobody can answer
Ask = Callable[[Field], str]


def gather(
    spec: ConnectSpec, given: Mapping[str, Any], ask: Ask, read_stdin: Callable[[], str]
) -> tuple[str | None, str | None, dict[str, str]]:
    """Handle, service URL and credential values from ``connect``'s options, stdin and prompts."""

    def value(field: Field) -> str | None:
        for option in field.options:
            if given.get(option):
                return str(given[option])
        if any(given.get(flag) for flag in field.stdin):
            got = read_stdin()
        elif field.default is not None or not field.required:
            return field.default
        else:
            got = ask(field)
        if not got:
            raise UsageError(f"{field.prompt}: empty")
        return got

    handle = value(spec.handle)
    service = value(spec.service) if spec.service else None
    if spec.bundle_stdin and given.get(spec.bundle_stdin):
        try:
            bundle = json.loads(read_stdin())
        except ValueError:
            raise InputError("the credentials on standard input are not a JSON object") from None
        if not isinstance(bundle, dict):
            raise InputError("the credentials on standard input are not a JSON object")
        credentials = {str(k): str(v) for k, v in bundle.items()}
    else:
        credentials = {f.name: value(f) or "" for f in spec.credentials}
    for secret in credentials.values():
        REDACTOR.add(secret)
    return handle, service, credentials


def clean_service(url: str | None) -> str | None:
    """A server URL without credentials in it (they are dropped, with a warning) or a trailing slash."""
    if not url:
        return None
    clean, userinfo = strip_userinfo(url.strip())
    if userinfo:
        REDACTOR.add(userinfo)
        REDACTOR.add(userinfo.partition(":")[2])
        log.warning("the server URL held credentials; they were dropped, not stored")
    return clean.rstrip("/")


def connect(
    store: Any,
    platform: str,
    *,
    handle: str | None = None,
    service: str | None = None,
    credentials: Mapping[str, str] | str | None = None,
    verify: bool = True,
    secrets: SecretStore | None = None,
) -> dict[str, Any]:
    """Verify an account (unless ``verify=False``), keep its secret in the secret store, record it."""
    cls = get_connector_class(platform)
    spec = cls.connect_spec
    service_url = clean_service(service or (spec.service.default if spec.service else None))
    if spec.service and spec.service.required and not service_url:
        raise UsageError(f"{platform}: {spec.service.prompt} is needed")
    if isinstance(credentials, str) or credentials is None:
        secret = credentials or ""
    else:
        secret = spec.pack(credentials)
    if not secret:
        raise UsageError(f"{platform}: no credentials given")
    REDACTOR.add(secret)
    if verify:
        handle = _verify(cls, platform, handle or "", service_url, secret) or handle
    if not handle:
        raise UsageError("a handle is needed (pass --handle, or let --verify find it)")
    secrets = secrets or SecretStore()
    host = (service_url or "").split("://")[-1]
    ref = secrets.set(f"{platform}:{handle}@{host}" if host else f"{platform}:{handle}", secret)
    account_id = store.upsert_account(platform, handle, service_url=service_url, credential_ref=ref)
    return {
        "id": account_id,
        "platform": platform,
        "handle": handle,
        "service_url": service_url,
        "secret": "the system keyring" if ref.startswith("keyring:") else str(secrets.path),
    }


def _verify(cls: type, platform: str, handle: str, service_url: str | None, secret: str) -> str | None:
    from sounding.connectors.base import AccountRef

    connector = cls(AccountRef(platform, handle, service_url, secret), policy=RetryPolicy.from_env())
    try:
        return connector.verify()
    except Exception as exc:  # noqa: BLE001 - every SDK failure becomes one RemoteError
        if reason := unreachable(exc):
            raise RemoteError(f"cannot reach {service_url or platform}: {reason}") from None
        if isinstance(exc, ConnectorError):
            raise
        raise RemoteError(f"{platform}: could not verify the account ({type(exc).__name__}: {exc})") from None
    finally:
        connector.close()


def describe(accounts: list[Any]) -> list[dict[str, Any]]:
    """Accounts as rows for listings, secrets masked."""
    return [
        {
            "id": a.id,
            "platform": a.platform,
            "handle": a.handle,
            "service_url": a.service_url,
            "secret": SecretStore.describe(a.credential_ref),
            "last_error": f"{a.last_error_kind}: {a.last_error}" if a.last_error_kind else None,
            "last_error_at": a.last_error_at.isoformat() if a.last_error_at else None,
        }
        for a in accounts
    ]


def select(accounts: list[Any], wanted: list[str]) -> list[Any]:
    """The accounts named by id, handle, ``platform:handle`` or platform (all when none is named)."""
    if not wanted:
        return accounts
    chosen: list[Any] = []
    for w in wanted:
        hits = [a for a in accounts if w in (str(a.id), a.handle, f"{a.platform}:{a.handle}", a.platform)]
        if not hits:
            raise NotFoundError(f"no connected account matches {w!r} (see `sounding accounts`)")
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def sync(store: Any, wanted: list[str] | None = None, **kwargs: Any) -> list[Any]:
    """Sync the chosen accounts (all by default); see :func:`sounding.connectors.sync.sync_all`."""
    from sounding.connectors.sync import sync_all

    chosen = select(store.list_accounts(), wanted or [])
    if not chosen:
        raise NotReadyError("no accounts connected yet: `sounding connect …` first")
    return sync_all(store, chosen, **kwargs)


def publish(
    store: Any,
    account: str,
    text: str,
    *,
    options: list[str] | None = None,
    reply_to: str | None = None,
    expires_in: int = 86400,
    variant: str | None = None,
) -> list[str]:
    """Publish a post, a poll (with ``options``) or a reply (``reply_to``); returns the platform ids."""
    from sounding.connectors.base import open_connector
    from sounding.connectors.sync import account_ref

    chosen = select(store.list_accounts(), [account])
    if len(chosen) != 1:
        raise UsageError(f"{account!r} matches {len(chosen)} accounts; name one (see `sounding accounts`)")
    if reply_to:
        item: Any = ReplyItem(reply_to, text)
    elif options:
        item = PollItem(text, list(options), expires_in=expires_in)
    else:
        item = PostItem(text, variant=variant)
    connector = open_connector(account_ref(chosen[0]), policy=RetryPolicy.from_env())
    try:
        return connector.publish(item)
    finally:
        connector.close()
