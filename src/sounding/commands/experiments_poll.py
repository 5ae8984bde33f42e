"""`sounding poll results`: each stored poll's shares, one call into `Sounding.experiments`."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from sounding.commands.experiments_common import api, console, user_errors
from sounding.experiments.formatting import probability
from sounding.terminal import safe


def register(app: typer.Typer) -> None:
    poll_app = typer.Typer(help='Results of polls ("option 1, 2 or 3?") in the store.', no_args_is_help=True)
    poll_app.command("results")(poll_results_command)
    app.add_typer(poll_app, name="poll")


def poll_results_command(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Each poll's option shares with 95 % credible intervals and P(most preferred)."""
    with user_errors():
        polls = api(ctx).experiments.polls()
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "post_id": post.id,
                        "platform": post.platform,
                        "text": post.text,
                        "options": [option.__dict__ for option in options],
                    }
                    for post, options in polls
                ],
                indent=2,
            )
        )
        return
    if not polls:
        console.print("No polls in the store yet.")
    for post, options in polls:
        table = Table(
            "option",
            "votes",
            "share [95 %]",
            "P(most preferred)",
            box=box.SIMPLE_HEAD,
            title=f"{safe(post.platform)} poll {post.id}: {safe(post.text[:60], newlines=False)}",
        )
        for o in options:
            table.add_row(
                safe(o.option),
                f"{o.votes:,}",
                f"{o.share:.0%} [{o.share_ci_low:.0%}, {o.share_ci_high:.0%}]",
                probability(o.p_most_preferred),
            )
        console.print(table)
