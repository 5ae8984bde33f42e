"""``sounding tally``: count the votes in the replies to any imported post (see analysis.tally)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from sounding.commands import open_api
from sounding.commands.analysis import short
from sounding.experiments.reply_mapping import DEFAULT_MARGIN, DEFAULT_THRESHOLD
from sounding.terminal import safe

console = Console()


def tally(
    ctx: typer.Context,
    posts: Annotated[list[str], typer.Argument(
        help="The post(s) asking: store id, platform:platform_id or URL; the same question cross-posted "
             "to several platforms is counted over all of them.")],
    option: Annotated[list[str] | None, typer.Option(
        "--option", "-o", help="An option (repeat); default: the options found in the post's text.")] = None,
    threshold: Annotated[float, typer.Option(
        help="Minimum cosine similarity for a reply to count for an option.")] = DEFAULT_THRESHOLD,
    margin: Annotated[float, typer.Option(help="Minimum lead of the best option over the second.")] = DEFAULT_MARGIN,
    quotes: Annotated[int, typer.Option(help="How many replies that named no option to quote (JSON: all).")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help=(
        "Print one JSON object: posts, options (option, votes, share, share_ci_low, share_ci_high, "
        "p_most_preferred, poll_votes, reply_votes), by_platform, other, answers, replies_read."))] = False,
) -> None:
    """Count the votes in a post's replies: options from its text, replies read by meaning, one per person."""
    result = open_api(ctx).tally(posts, option, threshold=threshold, margin=margin)
    data = result.to_dict(quotes=None if as_json else quotes)
    data.pop("question_id", None)
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    console.print(f"[bold]{short(result.text, 160)}[/]", highlight=False)
    for post in data["posts"]:
        console.print(f"  [dim]{safe(post['platform'])}:{safe(post['id'])}[/]", highlight=False)
    native = any(o["poll_votes"] for o in data["options"])
    table = Table("option", *(["poll votes", "reply votes"] if native else ["votes"]), "share [95 % interval]",
                  "P(best)", box=box.SIMPLE_HEAD)
    for o in data["options"]:
        counts = [f"{o['poll_votes']:,}", f"{o['reply_votes']:,}"] if native else [f"{o['votes']:,}"]
        table.add_row(safe(o["option"]), *counts,
                      f"{o['share']:.0%} [{o['share_ci_low']:.0%}, {o['share_ci_high']:.0%}]",
                      f"{o['p_most_preferred']:.0%}")
    console.print(table)
    platforms = data["by_platform"]
    if len(platforms) > 1:
        for platform, parts in platforms.items():
            votes = [a + b for a, b in zip(parts["poll_votes"] or [0] * len(result.options),
                                           parts["reply_votes"] or [0] * len(result.options))]
            console.print(f"  [dim]{safe(platform)}: " + ", ".join(
                f"{safe(o)} {v}" for o, v in zip(result.options, votes)) + "[/]", highlight=False)
    other = data["other"]
    console.print(f"No option: {other['people']} {'person' if other['people'] == 1 else 'people'} "
                  f"({other['replies']} replies named none)")
    for q in other["quotes"]:
        console.print(f"  [dim]{safe(q['platform'])}[/] “{short(q['text'], 120)}”", highlight=False)
    console.print(f"[dim]{data['replies_read']} replies read; one vote per person (a person's latest reply that names "
                  f"an option); threshold {threshold:g}, margin {margin:g}[/]", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(tally)
