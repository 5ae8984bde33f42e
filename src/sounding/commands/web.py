"""``sounding serve`` (the dashboard and REST API), ``sounding report --html`` and ``sounding token``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sounding.commands import open_api
from sounding.errors import SoundingError

console = Console()
err = Console(stderr=True)
token_app = typer.Typer(help="Bearer tokens for the REST API when `sounding serve` runs off loopback.")


def _fail(exc: SoundingError) -> None:
    from sounding.terminal import safe

    err.print(f"[red]error:[/] {safe(str(exc))}")
    raise typer.Exit(exc.exit_code)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on. Off loopback, every request needs a token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8765,
    workers: Annotated[int, typer.Option(help="Worker threads for database reads.", min=1, max=256)] = 40,
) -> None:
    """Serve the dashboard and the REST API (http://127.0.0.1:8765/ by default)."""
    import uvicorn

    from sounding.web import security
    from sounding.web.app import create_app

    required = not security.is_loopback(host)
    auth = security.Auth(key=security.signing_key(), required=required)
    app = create_app(open_api(ctx), auth=auth, threads=workers, warm=True)

    shown = f"[{host}]" if ":" in host else host
    console.print(f"Sounding dashboard: http://{shown}:{port}/   REST API: http://{shown}:{port}/api/docs")
    if required:
        console.print(f"Off loopback: sign in once with http://{shown}:{port}{security.LOGIN_PATH}?token={auth.login_token}")
        console.print("API clients: `sounding token create --scope read --expires 7d`, sent as `Authorization: Bearer …`.")
    security.install_log_filter()
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False, server_header=False)


def report(
    ctx: typer.Context,
    html: Annotated[Path, typer.Option("--html", help="Folder to write the static report into.", file_okay=False)],
) -> None:
    """Write the dashboard as a static, self-contained HTML report (charts included) to share."""
    from sounding.web.report import write_report

    try:
        files = write_report(open_api(ctx), html)
    except SoundingError as exc:
        _fail(exc)
    console.print(f"Wrote {len(files)} pages to {html}/ (open {html / 'index.html'})")


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    scope: Annotated[str, typer.Option(help="read (GET only) or write (also marks and replies).")] = "read",
    expires: Annotated[str, typer.Option(help="Lifetime: 30m, 12h, 7d, 2w.")] = "7d",
    name: Annotated[str | None, typer.Option(help="What the token is for (shown by `token list`).")] = None,
) -> None:
    """Print a new API token (shown once; the database keeps only its hash)."""
    from sounding.web import security

    try:
        made = open_api(ctx).tokens.create(scope, security.parse_duration(expires), name)
    except SoundingError as exc:
        _fail(exc)
    err.print(f"token {made['id']} ({made['scope']}), expires {made['expires_at']:%Y-%m-%d %H:%M} UTC; "
              "it is shown only now:")
    typer.echo(made["token"])


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the API tokens: id, scope, state (active, expired, revoked), expiry. Never the tokens."""
    import json

    from rich.table import Table

    from sounding.terminal import cell

    rows = open_api(ctx).tokens.list()
    if as_json:
        typer.echo(json.dumps(rows, default=str, indent=2))
        return
    if not rows:
        console.print("No API tokens: [bold]sounding token create --scope read --expires 7d[/]")
        return
    table = Table("id", "scope", "state", "name", "created", "expires", "revoked")
    for r in rows:
        when = [f"{r[k]:%Y-%m-%d %H:%M}" if r[k] else "" for k in ("created_at", "expires_at", "revoked_at")]
        table.add_row(str(r["id"]), r["scope"], r["state"], cell(r["name"] or ""), *when)
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's id (see `sounding token list`).")],
) -> None:
    """Revoke an API token: a running server refuses it (401) from its next request."""
    try:
        row = open_api(ctx).tokens.revoke(token_id)
    except SoundingError as exc:
        _fail(exc)
    console.print(f"Revoked token {row['id']} ({row['scope']}).")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)  # `report --html DIR` is one mode of `sounding report` (commands/act.py)
    app.add_typer(token_app, name="token")



