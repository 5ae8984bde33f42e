"""`sounding test create|add-post|record|status|report`: experiments kept in the store.

Each command is one call into `Sounding.experiments`; `report` leads with the one-paragraph answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from sounding.commands.experiments_common import api, console, print_report, split, user_errors
from sounding.terminal import safe


def register(test_app: typer.Typer) -> None:
    test_app.command("create")(create_command)
    test_app.command("add-post")(add_post_command)
    test_app.command("record")(record_command)
    test_app.command("status")(status_command)
    test_app.command("report")(report_command)


def create_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A short unique name, e.g. 'cta-question'.")],
    variants: Annotated[str, typer.Option(help="Comma-separated variant names; the first is the control.")],
    metric: Annotated[str | None, typer.Option(help="Default metric to report (e.g. 'replies').")] = None,
    hypothesis: Annotated[str | None, typer.Option(help="What you expect and why.")] = None,
) -> None:
    """Create an experiment in the store."""
    names = split(variants)
    with user_errors():
        api(ctx).experiments.create(name, names, metric=metric, hypothesis=hypothesis)
    console.print(
        f"Created experiment {safe(name)} with variants {safe(', '.join(names))} "
        f"(control: {safe(names[0])}).",
        highlight=False,
    )


def add_post_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Experiment name.")],
    variant: Annotated[str, typer.Option(help="Variant this post shows.")],
    post: Annotated[str, typer.Option(help="Stored post: its id or platform:platform_id.")],
) -> None:
    """Link a published (and synced) post to one variant of an experiment."""
    with user_errors():
        post_id = api(ctx).experiments.add_post(name, variant, post)
    console.print(f"Post {post_id} now counts for {safe(variant)} in {safe(name)}.", highlight=False)


def record_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Experiment name.")],
    data: Annotated[
        Path, typer.Option("--data", help="CSV in the `test analyze` format, one row per variant.")
    ],
    metric: Annotated[str, typer.Option(help="Metric these numbers measure.")],
    round_: Annotated[int, typer.Option("--round", help="Round number; rounds are summed in reports.")] = 1,
) -> None:
    """Record sufficient statistics for one round (e.g. from a platform's analytics export)."""
    with user_errors():
        api(ctx).experiments.record(name, data, metric=metric, round=round_)
    console.print(f"Recorded round {round_} of {safe(metric)} for {safe(name)}.", highlight=False)


def status_command(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List experiments with their variants, linked posts and recorded metrics."""
    with user_errors():
        items = api(ctx).experiments.status()
    if as_json:
        typer.echo(json.dumps([item.__dict__ for item in items], indent=2))
        return
    table = Table(
        "experiment", "status", "metric", "variants (posts)", "recorded metrics", box=box.SIMPLE_HEAD
    )
    for item in items:
        table.add_row(
            safe(item.name),
            safe(item.status),
            safe(item.metric or ""),
            safe(", ".join(f"{v} ({item.posts[v]})" for v in item.variants)),
            safe(", ".join(item.outcome_metrics)),
        )
    console.print(table if items else "No experiments yet: `sounding test create NAME --variants A,B`.")


def report_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Experiment name.")],
    metric: Annotated[
        str | None, typer.Option(help="Recorded metric, or replies|likes|reposts from linked posts.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    sequential: Annotated[bool, typer.Option("--sequential")] = False,
    alpha: Annotated[float, typer.Option()] = 0.05,
    min_effect: Annotated[float, typer.Option()] = 0.05,
    comments: Annotated[
        bool,
        typer.Option(
            "--comments/--no-comments",
            help="Also report, per person, the share of positive replies, questions, suggestions and "
            "problems per variant (needs `sounding analyze`); corrected together with the main metric.",
        ),
    ] = True,
    correction: Annotated[
        str, typer.Option(help="Correction across the metrics: holm (family-wise) or bh (FDR).")
    ] = "holm",
) -> None:
    """Which option people liked better: a one-paragraph answer, then the numbers behind it."""
    with user_errors():
        result = api(ctx).experiments.report(
            name, metric, comments=comments, correction=correction,  # type: ignore[arg-type]
            sequential=sequential, alpha=alpha, min_effect=min_effect,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(result.to_dict(comments=comments), indent=2))
        return
    console.print(f"[bold]{safe(name)}: the answer[/bold]", highlight=False)
    console.print(safe(result.answer), highlight=False)
    console.print()
    if result.main_comparable:
        print_report(result.main)
    else:
        console.print(f"[bold]{safe(result.main.verdict.text)}.[/bold]", highlight=False)
    if result.comments:
        _print_replies(result)
    elif comments:
        console.print("(What the replies said appears once they are analysed: `sounding analyze`.)")


def _print_replies(result) -> None:
    names = [v.variant for v in result.main.variants]
    family = sum(1 for r in [result.main, *result.comments] for v in r.variants[1:] if v.p_value is not None)
    correction = "Holm" if result.correction == "holm" else "Benjamini-Hochberg"
    console.print(
        f"\n[bold]What the replies said[/bold] (one count per person; {correction} across "
        f"all {family} comparisons)",
        highlight=False,
    )
    table = Table(
        "option", "posts", "people", "replies", *(r.metric for r in result.comments), box=box.SIMPLE_HEAD
    )
    for name in names:
        table.add_row(
            safe(name, newlines=False),
            f"{result.posts.get(name, 0):,}",
            f"{result.people.get(name, 0):,}",
            f"{result.replies.get(name, 0):,}",
            *(_people_and_replies(result, r, name) for r in result.comments),
        )
    console.print(table)
    console.print("[dim]each cell: people (replies) with that label[/dim]")
    for r in result.comments:
        console.print()
        print_report(r, recommendation=False)


def _people_and_replies(result, report, name: str) -> str:
    v = next(v for v in report.variants if v.variant == name)
    return f"{round(v.estimate * v.units):,} ({result.label_replies.get(report.metric, {}).get(name, 0):,})"
