"""`sounding ask`: publish a question on several platforms and pool the answers.

Thin calls into `Sounding.experiments` (plan_question, ask, question_results, questions).
"""

from __future__ import annotations

import json
from typing import Annotated

import click
import typer
from rich import box
from rich.table import Table
from typer.core import TyperGroup

from sounding.commands.experiments_common import api, console, errors, split, user_errors
from sounding.experiments.formatting import probability
from sounding.experiments.reply_mapping import DEFAULT_MARGIN, DEFAULT_THRESHOLD
from sounding.terminal import safe as escape


def register(app: typer.Typer) -> None:
    ask_app = typer.Typer(
        cls=_AskGroup,
        help="Ask the community a question with options on several platforms, then pool the answers:\n\n"
        'sounding ask "Which should we build next?" --option "Dark mode" --option "Widgets" '
        "--on bluesky,mastodon\n\nsounding ask results QUESTION_ID",
        no_args_is_help=True,
    )
    ask_app.command("new", help="Publish a question (the default: `sounding ask QUESTION ...`).")(ask_command)
    ask_app.command("results")(ask_results_command)
    ask_app.command("list")(ask_list_command)
    app.add_typer(ask_app, name="ask")


class _AskGroup(TyperGroup):
    """`sounding ask "Question?" --option ...` is `sounding ask new ...`: the first word that is not
    a sub-command (results, list) starts a question."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["new", *args]
        return super().parse_args(ctx, args)


def ask_command(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question, e.g. 'Which should we build next?'.")],
    option: Annotated[
        list[str], typer.Option("--option", "-o", help="An answer option (repeat, 2 or more).")
    ],
    on: Annotated[str, typer.Option("--on", help="Comma-separated platforms, e.g. bluesky,mastodon.")],
    account: Annotated[
        list[str] | None,
        typer.Option(
            "--account", "-a", help="Account (id, handle, platform:handle) where a platform has several."
        ),
    ] = None,
    expires_in: Annotated[int, typer.Option("--expires-in", help="Poll duration in seconds.")] = 86400,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be posted; publish nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Record a question and publish it as a poll on each platform; prints the platform ids."""
    from sounding.commands.connectors import setup_logging
    from sounding.connectors.secrets import REDACTOR
    from sounding.experiments import ask as asking

    setup_logging()
    with user_errors():
        service = api(ctx).experiments
        text, options, targets = service.plan_question(
            question, option, split(on), account or [], dry_run=dry_run
        )
    if dry_run:
        plan = asking.preview(targets, text, options, expires_in)
        if as_json:
            typer.echo(
                json.dumps({"dry_run": True, "question": text, "options": options, "posts": plan}, indent=2)
            )
            return
        for p in plan:
            console.print(
                f"[bold]{escape(p['platform'])}[/bold] ({escape(p['account'] or 'no account connected')}), "
                f"{p['poll']}, {len(p['text'])} characters:"
            )
            console.print(escape(p["text"]), highlight=False)
            if p["poll"] == "native poll":
                console.print("options: " + " | ".join(escape(o) for o in options), highlight=False)
            console.print()
        console.print("Dry run: nothing was recorded or published.")
        return
    with user_errors():
        question_id, published = service.ask(text, options, targets, expires_in=expires_in)
    rows = [
        {
            "platform": p.target.platform,
            "account": p.target.handle,
            "ids": p.ids,
            "post_id": p.post_id,
            "error": None if p.error is None else REDACTOR.redact(p.error),
        }
        for p in published
    ]
    if as_json:
        typer.echo(
            json.dumps(
                {"question_id": question_id, "question": text, "options": options, "published": rows},
                indent=2,
            )
        )
    else:
        console.print(f"Question {question_id}: {escape(text)}", highlight=False)
        for r in rows:
            if r["error"]:
                errors.print(f"[red]{escape(r['platform'])}: not published:[/red] {escape(r['error'])}")
            else:
                console.print(f"{escape(r['platform'])}: {escape(' '.join(r['ids']))}", highlight=False)
        console.print(f"Pool the answers with: sounding ask results {question_id}")
    if any(r["error"] for r in rows):
        raise typer.Exit(code=1)


def ask_results_command(
    ctx: typer.Context,
    question_id: Annotated[
        int, typer.Argument(help="The id printed by `sounding ask` (see `sounding ask list`).")
    ],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    threshold: Annotated[
        float, typer.Option(help="Minimum cosine similarity for a reply to count for an option.")
    ] = DEFAULT_THRESHOLD,
    margin: Annotated[
        float, typer.Option(help="Minimum lead of the best option over the second.")
    ] = DEFAULT_MARGIN,
    quotes: Annotated[int, typer.Option(help="How many 'other' replies to quote (JSON: all).")] = 10,
) -> None:
    """Pool a question's answers: native poll votes plus replies read by meaning, one per person."""
    with user_errors():
        result = api(ctx).experiments.question_results(question_id, threshold=threshold, margin=margin)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    data = result.to_dict(quotes=quotes)
    console.print(f"[bold]Question {question_id}:[/bold] {escape(result.text)}", highlight=False)
    for p in data["posts"]:
        console.print(f"  {escape(p['platform'])}: {escape(p['id'])}", highlight=False)
    table = Table(
        "option", "poll votes", "reply votes", "share [95 %]", "P(most preferred)", box=box.SIMPLE_HEAD
    )
    for o in data["options"]:
        table.add_row(
            escape(o["option"]),
            f"{o['poll_votes']:,}",
            f"{o['reply_votes']:,}",
            f"{o['share']:.0%} [{o['share_ci_low']:.0%}, {o['share_ci_high']:.0%}]",
            probability(o["p_most_preferred"]),
        )
    console.print(table)
    other = data["other"]
    console.print(
        f"Other: {other['people']} {'person' if other['people'] == 1 else 'people'} "
        f"({other['replies']} replies matched no option)"
    )
    for q in other["quotes"]:
        console.print(f'  [dim]{escape(q["platform"])}[/dim] "{escape(q["text"])}"', highlight=False)
    if other["replies"] > len(other["quotes"]):
        console.print(f"  … and {other['replies'] - len(other['quotes'])} more (--quotes N, or --json)")
    note = f"{data['replies_read']} replies read"
    if data["embedded_now"]:
        note += f"; {data['embedded_now']} embedded now (not analysed yet, or with an @mention)"
    console.print(
        f"[dim]{note}; one vote per person (latest answer); threshold {threshold:g}, margin {margin:g}[/dim]"
    )


def ask_list_command(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every question asked, with its id and where it was published."""
    with user_errors():
        items = api(ctx).experiments.questions()
    if as_json:
        typer.echo(json.dumps(items, indent=2))
        return
    if not items:
        console.print('No questions yet: sounding ask "Question?" --option A --option B --on mastodon')
        return
    table = Table("id", "question", "options", "posts", box=box.SIMPLE_HEAD)
    for q in items:
        table.add_row(
            str(q["id"]),
            escape(q["question"]),
            escape(" | ".join(q["options"])),
            escape("\n".join(q["posts"])),
        )
    console.print(table)
