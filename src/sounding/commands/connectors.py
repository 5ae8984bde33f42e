"""Connector commands: ``connect``, ``accounts``, ``sync`` and ``publish``.

Secrets are read from a hidden prompt or standard input (``--password-stdin``, ``--token-stdin``,
``--secret-stdin``), kept in the system keyring or a 0600 file (never the database), and masked in
every listing; see :mod:`sounding.connectors.secrets`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sounding.connectors.base import AccountRef, PollItem, PostItem, ReplyItem, available, open_connector
from sounding.connectors.retry import ConnectorError
from sounding.connectors.secrets import REDACTOR, SecretStore, install_redaction
from sounding.connectors.sync import KINDS, sync_all

console = Console()
err = Console(stderr=True)
log = logging.getLogger("sounding.connectors")


def _store(ctx: typer.Context) -> Any:
    from sounding.commands import open_api

    return open_api(ctx).store


def setup_logging(verbose: bool = False) -> None:
    """Warnings to stderr, and everything to ``$SOUNDING_LOG_FILE`` if set; secrets redacted in both."""
    root = logging.getLogger()
    if not any(getattr(h, "_sounding", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler._sounding = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        if path := os.environ.get("SOUNDING_LOG_FILE"):
            fh = logging.FileHandler(path)
            fh.setLevel(logging.DEBUG)
            fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            fh._sounding = True  # type: ignore[attr-defined]
            root.addHandler(fh)
            root.setLevel(logging.DEBUG)
        else:
            root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    install_redaction(root)


def _read_secret(from_stdin: bool, prompt: str) -> str:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        value = typer.prompt(prompt, hide_input=True)
    else:
        raise typer.BadParameter(
            f"{prompt}: no terminal to prompt on; pass it on standard input with the *-stdin option"
        )
    if not value:
        raise typer.BadParameter(f"{prompt}: empty")
    REDACTOR.add(value)
    return value


def _fail(message: str) -> None:
    err.print(f"[red]error:[/] {escape(REDACTOR.redact(message))}")
    raise typer.Exit(1)


def connect(
    ctx: typer.Context,
    platform: Annotated[
        str, typer.Argument(help="bluesky, mastodon, reddit, youtube, instagram, facebook or x.")
    ],
    handle: Annotated[
        str | None, typer.Option("--handle", help="Account handle (Bluesky, Reddit username).")
    ] = None,
    service: Annotated[
        str | None, typer.Option("--service", help="Bluesky PDS URL. Default: https://bsky.social.")
    ] = None,
    instance: Annotated[str | None, typer.Option("--instance", help="Mastodon instance URL.")] = None,
    channel_id: Annotated[str | None, typer.Option("--channel-id", help="YouTube channel id (UC…).")] = None,
    client_id: Annotated[str | None, typer.Option("--client-id", help="Reddit script-app client id.")] = None,
    account_id: Annotated[
        str | None, typer.Option("--account-id", help="Instagram professional account id (IG user id).")
    ] = None,
    page_id: Annotated[str | None, typer.Option("--page-id", help="Facebook Page id.")] = None,
    graph_url: Annotated[
        str | None, typer.Option("--graph-url", help="Graph API base URL (proxies, tests). Default: Meta's.")
    ] = None,
    api_url: Annotated[
        str | None, typer.Option("--api-url", help="X API base URL (proxies, tests). Default: X's.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the (app) password from stdin.")
    ] = False,
    token_stdin: Annotated[
        bool, typer.Option("--token-stdin", help="Read the access token from stdin.")
    ] = False,
    api_key_stdin: Annotated[
        bool, typer.Option("--api-key-stdin", help="Read the YouTube API key from stdin.")
    ] = False,
    secret_stdin: Annotated[
        bool, typer.Option("--secret-stdin", help="Reddit: read the JSON credentials from stdin.")
    ] = False,
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Log in once to check the credentials.")
    ] = True,
) -> None:
    """Connect an account: the secret goes to the system keyring (or a 0600 file), never the database."""
    setup_logging()
    if platform not in available():
        _fail(f"unknown platform {platform!r}; known: {', '.join(available())}")
    service_url: str | None = None
    if platform == "bluesky":
        handle = handle or typer.prompt("Bluesky handle (e.g. brand.bsky.social)")
        service_url = (service or "https://bsky.social").rstrip("/")
        secret = _read_secret(password_stdin, "App password")
    elif platform == "mastodon":
        service_url = (
            instance or service or typer.prompt("Instance URL (e.g. https://mastodon.social)")
        ).rstrip("/")
        secret = _read_secret(token_stdin, "Access token")
        handle = handle or ""
    elif platform == "reddit":
        handle = handle or typer.prompt("Reddit username")
        if secret_stdin:
            secret = _read_secret(True, "Reddit credentials JSON")
        else:
            cid = client_id or typer.prompt("Client id")
            csecret = _read_secret(False, "Client secret")
            password = _read_secret(password_stdin, "Reddit password")
            secret = json.dumps({"client_id": cid, "client_secret": csecret, "password": password})
    elif platform == "youtube":
        handle = channel_id or handle or typer.prompt("Channel id (UC…)")
        secret = _read_secret(api_key_stdin or token_stdin, "API key")
    elif platform in ("instagram", "facebook"):
        from sounding.connectors.meta import DEFAULT_GRAPH_URL

        kind = "Instagram account id" if platform == "instagram" else "Page id"
        handle = (account_id if platform == "instagram" else page_id) or handle or typer.prompt(kind)
        service_url = (graph_url or service or DEFAULT_GRAPH_URL).rstrip("/")
        secret = _read_secret(token_stdin, "Access token")
    elif platform == "x":
        from sounding.connectors.x import DEFAULT_API_URL

        handle = handle or typer.prompt("X username (without @)")
        service_url = (api_url or service or DEFAULT_API_URL).rstrip("/")
        secret = _read_secret(token_stdin, "Bearer token")
    else:  # a plugin platform: handle + one secret
        handle = handle or typer.prompt("Handle")
        service_url = service or instance
        secret = _read_secret(token_stdin or password_stdin, "Secret")

    if verify:
        connector = open_connector(AccountRef(platform, handle or "", service_url, secret))
        try:
            handle = connector.verify() or handle
        except ConnectorError as exc:
            _fail(str(exc))
        except Exception as exc:  # noqa: BLE001
            _fail(f"{platform}: could not verify the account: {type(exc).__name__}: {exc}")
        finally:
            connector.close()
    if not handle:
        _fail("a handle is needed (pass --handle, or let --verify find it)")
    secrets = SecretStore()
    host = (service_url or "").split("://")[-1]
    ref = secrets.set(f"{platform}:{handle}@{host}" if host else f"{platform}:{handle}", secret)
    store = _store(ctx)
    account_id = store.upsert_account(platform, handle, service_url=service_url, credential_ref=ref)
    console.print(
        f"Connected [bold]{escape(platform)}[/] account [bold]{escape(handle)}[/] (id {account_id}); "
        f"secret kept in {'the system keyring' if ref.startswith('keyring:') else escape(str(secrets.path))}."
    )


def accounts(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the connected accounts (secrets masked)."""
    rows = [
        {
            "id": a.id,
            "platform": a.platform,
            "handle": a.handle,
            "service_url": a.service_url,
            "secret": SecretStore.describe(a.credential_ref),
        }
        for a in _store(ctx).list_accounts()
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        console.print("No accounts yet: [bold]sounding connect bluesky --handle …[/]")
        return
    table = Table("id", "platform", "handle", "service", "secret")
    for r in rows:
        table.add_row(
            str(r["id"]), r["platform"], escape(r["handle"]), escape(r["service_url"] or ""), r["secret"]
        )
    console.print(table)


def _select(all_accounts: list[Any], wanted: list[str]) -> list[Any]:
    if not wanted:
        return all_accounts
    chosen = []
    for w in wanted:
        hits = [a for a in all_accounts if w in (str(a.id), a.handle, f"{a.platform}:{a.handle}", a.platform)]
        if not hits:
            _fail(f"no connected account matches {w!r} (see `sounding accounts`)")
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def sync(
    ctx: typer.Context,
    account: Annotated[
        list[str] | None,
        typer.Option(
            "--account",
            "-a",
            help="Account to sync: id, handle, platform:handle or platform (repeatable). Default: all.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was added per kind as JSON.")] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Walk every post again, not only the recent ones.")
    ] = False,
    refresh_days: Annotated[
        float | None,
        typer.Option("--refresh-days", help="Re-read threads of posts this recent (default 14)."),
    ] = None,
    max_posts: Annotated[
        int | None, typer.Option("--max-posts", help="Stop after this many posts per account.")
    ] = None,
    pace: Annotated[
        float | None,
        typer.Option("--pace", help="Seconds to wait between two posts' threads (gentler on servers)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Fetch new posts, replies (all depths), reactions and poll votes; resumable and idempotent."""
    setup_logging(verbose)
    store = _store(ctx)
    chosen = _select(store.list_accounts(), account or [])
    if not chosen:
        _fail("no accounts connected yet: `sounding connect …` first")
    results = sync_all(
        store,
        chosen,
        show_progress=not as_json and err.is_terminal,
        console=err,
        full=full,
        refresh_days=refresh_days,
        max_posts=max_posts,
        pace=pace,
    )
    totals = dict.fromkeys(KINDS, 0)
    for r in results:
        for k in KINDS:
            totals[k] += r.new[k]
    if as_json:
        typer.echo(json.dumps({"new": totals, "accounts": [r.as_dict() for r in results]}, indent=2))
    else:
        for r in results:
            new = ", ".join(f"{r.new[k]:,} {k}" for k in KINDS)
            state = "[green]complete[/]" if r.complete else "[red]stopped[/]"
            console.print(
                f"{escape(r.platform)} [bold]{escape(r.handle)}[/]: {state}; new: {new}"
                + (f"; {r.retries} retries" if r.retries else "")
            )
    failed = [r for r in results if not r.complete]
    for r in failed:
        err.print(f"[red]{escape(r.platform)} {escape(r.handle)}:[/] {escape(r.error or 'failed')}")
    if failed:
        raise typer.Exit(1)


def publish(
    ctx: typer.Context,
    account: Annotated[str, typer.Option("--account", "-a", help="Account: id, handle or platform:handle.")],
    text: Annotated[str, typer.Option("--text", help="The post, question, poll question or reply.")],
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="Poll option (repeat: makes a poll).")
    ] = None,
    reply_to: Annotated[
        str | None, typer.Option("--reply-to", help="Platform id of the post/comment to answer.")
    ] = None,
    expires_in: Annotated[int, typer.Option("--expires-in", help="Poll duration in seconds.")] = 86400,
    variant: Annotated[
        str | None, typer.Option("--variant", help="Label of this wording, for A/B questions.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Publish a question (or one variant of it), a poll, or a reply; prints the platform ids."""
    setup_logging()
    from sounding.connectors.sync import account_ref

    store = _store(ctx)
    chosen = _select(store.list_accounts(), [account])
    if len(chosen) != 1:
        _fail(f"{account!r} matches {len(chosen)} accounts; name one (see `sounding accounts`)")
    item: Any
    if reply_to:
        item = ReplyItem(reply_to, text)
    elif option:
        item = PollItem(text, list(option), expires_in=expires_in)
    else:
        item = PostItem(text, variant=variant)
    connector = open_connector(account_ref(chosen[0]))
    try:
        ids = connector.publish(item)
    except ConnectorError as exc:
        _fail(str(exc))
    finally:
        connector.close()
    if as_json:
        typer.echo(json.dumps({"ids": ids, "variant": variant}))
    else:
        for i in ids:
            console.print(i)


def register(app: typer.Typer) -> None:
    app.command("connect")(connect)
    app.command("accounts")(accounts)
    app.command("sync")(sync)
    app.command("publish")(publish)
