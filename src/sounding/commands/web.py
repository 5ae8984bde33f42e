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
    scope: Annotated[str, typer.Option(help="read (GET only) or write (also marks and replies).")] = "read",
    expires: Annotated[str, typer.Option(help="Lifetime: 30m, 12h, 7d, 2w.")] = "7d",
) -> None:
    """Print a new signed API token (shown once; it expires by itself)."""
    from sounding.web import security

    try:
        seconds = security.parse_duration(expires)
        token = security.Auth(key=security.signing_key(), required=True).create_token(scope, seconds)
    except SoundingError as exc:
        _fail(exc)
    typer.echo(token)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)  # `report --html DIR` is one mode of `sounding report` (commands/act.py)
    app.add_typer(token_app, name="token")



