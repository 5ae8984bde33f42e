"""Connector commands: ``connect``, ``accounts``, ``sync`` and ``publish``: thin layers over the core.

Secrets are read from a hidden prompt or standard input (``--password-stdin``, ``--token-stdin``,
``--secret-stdin``), kept in the system keyring or a 0600 file (never the database), and masked in
every listing; see :mod:`sounding.connectors.secrets`. What each platform asks for is its
connector's ``connect_spec``; adding a platform here means at most adding its options to ``connect``.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sounding.commands import open_api
from sounding.connectors.base import Field, get_connector_class
from sounding.connectors.secrets import setup_logging
from sounding.connectors.sync import KINDS
from sounding.core.accounts import gather
from sounding.errors import UsageError
from sounding.terminal import cell, safe

console = Console()
err = Console(stderr=True)
log = logging.getLogger("sounding.connectors")


def _ask(field: Field) -> str:
    """Prompt on the terminal (hidden for secrets); with no terminal, say which option to use."""
    if not sys.stdin.isatty():
        hint = f"--{field.stdin[0].replace('_', '-')}" if field.stdin else (
            f"--{field.options[0].replace('_', '-')}" if field.options else "a terminal"
        )
        raise UsageError(f"{field.prompt}: no terminal to prompt on; pass it with {hint}")
    return typer.prompt(field.prompt, hide_input=field.secret)


def _read_stdin() -> str:
    return sys.stdin.readline().rstrip("\r\n")


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
    given = {name: value for name, value in locals().items() if name not in ("ctx", "platform", "verify")}
    setup_logging()
    spec = get_connector_class(platform).connect_spec
    handle, service_url, credentials = gather(spec, given, _ask, _read_stdin)
    done = open_api(ctx).connect(
        platform, handle=handle, service=service_url, credentials=credentials, verify=verify
    )
    console.print(
        f"Connected [bold]{safe(platform)}[/] account [bold]{safe(done['handle'])}[/] (id {done['id']}); "
        f"secret kept in {safe(done['secret'])}."
    )


def accounts(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the connected accounts (secrets masked) and why the last sync of each stopped, if it did."""
    rows = open_api(ctx).accounts()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        console.print("No accounts yet: [bold]sounding connect bluesky --handle …[/]")
        return
    table = Table("id", "platform", "handle", "service", "secret", "last sync error")
    for r in rows:
        table.add_row(*(cell("" if r[k] is None else r[k])
                        for k in ("id", "platform", "handle", "service_url", "secret", "last_error")))
    console.print(table)


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
    results = open_api(ctx).sync(
        account or [],
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
                f"{safe(r.platform)} [bold]{safe(r.handle)}[/]: {state}; new: {new}"
                + (f"; {r.retries} retries" if r.retries else "")
            )
    failed = [r for r in results if not r.complete]
    for r in failed:
        err.print(f"[red]{safe(r.platform)} {safe(r.handle)}:[/] {safe(r.error or 'failed')}")
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
    ids = open_api(ctx).publish(
        account, text, options=option, reply_to=reply_to, expires_in=expires_in, variant=variant
    )
    if as_json:
        typer.echo(json.dumps({"ids": ids, "variant": variant}))
    else:
        for i in ids:
            console.print(cell(i))


def register(app: typer.Typer) -> None:
    app.command("connect")(connect)
    app.command("accounts")(accounts)
    app.command("sync")(sync)
    app.command("publish")(publish)
