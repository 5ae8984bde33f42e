"""`sounding test ...`: analyse, plan and schedule A/B tests of post variants.

Thin typer wrappers over the pure functions in `sounding.experiments`; the main CLI calls
`register(app)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import click
import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from sounding import experiments
from sounding.experiments.csv_input import read_metrics, read_variants
from sounding.experiments.data import MetricKind
from sounding.experiments.formatting import compact_lift, probability, signed_percent
from sounding.experiments.reply_mapping import DEFAULT_MARGIN, DEFAULT_THRESHOLD

console = Console()
errors = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add the `test` command group to the main app."""
    test_app = typer.Typer(
        help="A/B tests of post variants: analyse results, plan sample sizes, schedule posts.",
        no_args_is_help=True,
    )
    test_app.command("analyze")(analyze_command)
    test_app.command("plan")(plan_command)
    test_app.command("schedule")(schedule_command)
    test_app.command("create")(create_command)
    test_app.command("add-post")(add_post_command)
    test_app.command("record")(record_command)
    test_app.command("status")(status_command)
    test_app.command("report")(report_command)
    app.add_typer(test_app, name="test")
    poll_app = typer.Typer(help='Results of polls ("option 1, 2 or 3?") in the store.', no_args_is_help=True)
    poll_app.command("results")(poll_results_command)
    app.add_typer(poll_app, name="poll")
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


def analyze_command(
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="CSV, one row per variant, control first: variant plus "
            "exposures,successes | n,sum,sum_squares | exposure_time,count; an optional "
            "metric column holds several metrics (Holm across all of them).",
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    sequential: Annotated[
        bool,
        typer.Option(
            "--sequential", help="Always-valid p-values and intervals: safe to check after every post."
        ),
    ] = False,
    metric: Annotated[
        str | None, typer.Option(help="What a success is, for the verdict (e.g. 'positive replies').")
    ] = None,
    alpha: Annotated[float, typer.Option(help="Significance level (family-wise, Holm).")] = 0.05,
    min_effect: Annotated[
        float, typer.Option(help="Smallest relative lift that matters (0.05 = 5 %).")
    ] = 0.05,
    weights: Annotated[
        str | None, typer.Option(help="Planned traffic split for the sample-ratio check, e.g. '1,1,2'.")
    ] = None,
    tuning: Annotated[
        float,
        typer.Option(
            help="--sequential only: total planned units (all options); the intervals are tightest there."
        ),
    ] = 5000.0,
) -> None:
    """Analyse a test run elsewhere (e.g. in a spreadsheet) and say which option won."""
    with _clear_errors():
        planned = [float(w) for w in weights.split(",")] if weights else None
        options = {
            "sequential": sequential,
            "alpha": alpha,
            "min_effect": min_effect,
            "weights": planned,
            "sequential_tuning": tuning,
        }
        metrics = read_metrics(data)
        if len(metrics) == 1:
            report = experiments.analyze(
                next(iter(metrics.values())), metric=metric or next(iter(metrics)) or None, **options
            )
        else:
            reports = experiments.analyze_metrics(metrics, **options)
    if len(metrics) == 1:
        _show(report, as_json)
    elif as_json:
        typer.echo(json.dumps({"metrics": [r.to_dict() for r in reports]}, indent=2))
    else:
        for r in reports:
            _print_report(r)


def _show(report: experiments.ExperimentReport, as_json: bool, **extra: object) -> None:
    if as_json:
        typer.echo(json.dumps({**extra, **report.to_dict()}, indent=2))
    else:
        _print_report(report)


@contextmanager
def _clear_errors() -> Iterator[None]:
    """Bad input (ExperimentDataError is a ValueError) or a missing file: one red line, exit code 2."""
    try:
        yield
    except (OSError, ValueError) as error:
        errors.print(f"[red]Error:[/red] {error}")
        raise typer.Exit(code=2) from None


def _print_report(report: experiments.ExperimentReport) -> None:
    """Rich table of the report, then the SRM p-value, verdict and recommendation."""
    mode = "sequential, always-valid" if report.sequential else "fixed horizon"
    headers = ("option", "units", "mean", "lift [95 %]", "P(best)", "loss", "p", "p Holm")
    rows = [
        (
            f"{v.variant} (ctrl)" if i == 0 else v.variant,
            f"{v.units:,.6g}",
            f"{v.estimate:.4g}",
            "" if i == 0 or v.lift is None else compact_lift(v.lift, v.lift_ci_low, v.lift_ci_high),
            "" if v.p_best is None else probability(v.p_best),
            "" if v.expected_loss is None else f"{v.expected_loss:.2g}",
            "" if v.p_value is None else f"{v.p_value:.2g}",
            "" if v.p_value_adjusted is None else f"{v.p_value_adjusted:.2g}",
        )
        for i, v in enumerate(report.variants)
    ]
    table = Table(
        title=f"{report.metric} ({report.kind}, {mode})",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for j, header in enumerate(headers):
        width = max(len(header), *(len(row[j]) for row in rows))
        table.add_column(header, justify="left" if j == 0 else "right", no_wrap=True, min_width=width)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if report.srm_p_value is not None:
        console.print(f"Sample-ratio check p = {report.srm_p_value:.3g}")
    console.print(f"[bold]{report.verdict.text}[/bold]")
    console.print(report.recommendation)


def plan_command(
    baseline: Annotated[
        float, typer.Option(help="Control's expected value: a rate (0.04 = 4 % reply) or a mean.")
    ],
    lift: Annotated[
        float | None, typer.Option(help="Relative lift to detect (0.1 = +10 %): prints units needed.")
    ] = None,
    per_variant: Annotated[
        int | None, typer.Option(help="Units per option you can get: prints the minimum detectable lift.")
    ] = None,
    variants: Annotated[int, typer.Option(help="Number of options, control included.")] = 2,
    kind: Annotated[str, typer.Option(help="proportion | mean | rate")] = "proportion",
    sd: Annotated[float | None, typer.Option(help="Standard deviation per unit (means only).")] = None,
    alpha: Annotated[float, typer.Option()] = 0.05,
    target_power: Annotated[
        float, typer.Option("--power", help="Chance of detecting the lift if it is real.")
    ] = 0.8,
) -> None:
    """Sample size or minimum detectable effect for a planned test."""
    if kind not in ("proportion", "mean", "rate") or (lift is None) == (per_variant is None):
        errors.print(
            "[red]Error:[/red] give exactly one of --lift or --per-variant, and --kind proportion|mean|rate"
        )
        raise typer.Exit(code=2)
    metric_kind: MetricKind = kind  # type: ignore[assignment]
    options = {"kind": metric_kind, "sd": sd, "alpha": alpha, "variants": variants}
    with _clear_errors():
        if lift is not None:
            n = experiments.sample_size(baseline, lift, power_target=target_power, **options)
            console.print(
                f"About {n:,} units per option ({n * variants:,} in all) to detect a "
                f"{signed_percent(lift)} lift with {target_power:.0%} power at alpha {alpha:g}."
            )
        else:
            mde = experiments.minimum_detectable_effect(per_variant, baseline, power_target=target_power, **options)
            console.print(
                f"With {per_variant:,} units per option you can detect a lift of about "
                f"{signed_percent(mde)} ({experiments.power(per_variant, baseline, mde, **options):.0%} power)."
            )


def schedule_command(
    variants: Annotated[str, typer.Option(help="Comma-separated option names, e.g. 'A,B,C'.")],
    slots: Annotated[str, typer.Option(help="Comma-separated posting times, e.g. '09:00,13:00,19:00'.")],
    platforms: Annotated[str, typer.Option(help="Comma-separated platforms.")] = "all",
    days: Annotated[int | None, typer.Option(help="Days to schedule (default: one full rotation).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A Latin-square posting rotation so time of day and platform cannot fake a winner."""
    with _clear_errors():
        plan = experiments.rotation_schedule(_split(variants), _split(slots), _split(platforms), days)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {"day": p.day + 1, "slot": p.slot, "platform": p.platform, "variant": p.variant}
                    for p in plan
                ],
                indent=2,
            )
        )
        return
    table = Table(title="Posting rotation")
    for column in ("day", "slot", "platform", "option"):
        table.add_column(column)
    for p in plan:
        table.add_row(str(p.day + 1), p.slot, p.platform, p.variant)
    console.print(table)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


# -- experiments kept in the store ---------------------------------------------------------------
def _store(ctx: typer.Context):
    from sounding.commands import open_api  # the store chosen with --db / SOUNDING_DATABASE_URL

    return open_api(ctx).store


def create_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A short unique name, e.g. 'cta-question'.")],
    variants: Annotated[str, typer.Option(help="Comma-separated variant names; the first is the control.")],
    metric: Annotated[str | None, typer.Option(help="Default metric to report (e.g. 'replies').")] = None,
    hypothesis: Annotated[str | None, typer.Option(help="What you expect and why.")] = None,
) -> None:
    """Create an experiment in the store."""
    from sounding.experiments.stored import create_experiment

    with _clear_errors():
        create_experiment(_store(ctx), name, _split(variants), metric=metric, hypothesis=hypothesis)
    console.print(f"Created experiment {name} with variants {variants} (control: {_split(variants)[0]}).")


def add_post_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Experiment name.")],
    variant: Annotated[str, typer.Option(help="Variant this post shows.")],
    post: Annotated[str, typer.Option(help="Stored post: its id or platform:platform_id.")],
) -> None:
    """Link a published (and synced) post to one variant of an experiment."""
    from sounding.experiments.stored import add_post

    with _clear_errors():
        post_id = add_post(_store(ctx), name, variant, post)
    console.print(f"Post {post_id} now counts for {variant} in {name}.")


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
    from sounding.experiments.stored import record_outcomes

    with _clear_errors():
        record_outcomes(_store(ctx), name, read_variants(data), metric=metric, round=round_)
    console.print(f"Recorded round {round_} of {metric} for {name}.")


def status_command(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List experiments with their variants, linked posts and recorded metrics."""
    from sounding.experiments.stored import summaries

    items = summaries(_store(ctx))
    if as_json:
        typer.echo(json.dumps([item.__dict__ for item in items], indent=2))
        return
    table = Table(
        "experiment", "status", "metric", "variants (posts)", "recorded metrics", box=box.SIMPLE_HEAD
    )
    for item in items:
        table.add_row(
            item.name,
            item.status,
            item.metric or "",
            ", ".join(f"{v} ({item.posts[v]})" for v in item.variants),
            ", ".join(item.outcome_metrics),
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
            help="Also report the share of positive replies, suggestions and questions per variant "
            "(needs `sounding analyze`); corrected together with the main metric.",
        ),
    ] = True,
    correction: Annotated[
        str, typer.Option(help="Correction across the metrics: holm (family-wise) or bh (FDR).")
    ] = "holm",
) -> None:
    """Analyse a stored experiment (same report and JSON as `test analyze`, plus comment metrics)."""
    from sounding.experiments.comment_outcomes import comment_outcomes
    from sounding.experiments.stored import load_variants

    if correction not in ("holm", "bh"):
        errors.print("[red]Error:[/red] --correction is holm or bh")
        raise typer.Exit(code=2)
    options = {"sequential": sequential, "alpha": alpha, "min_effect": min_effect}
    with _clear_errors():
        store = _store(ctx)
        variants, label = load_variants(store, name, metric)
        extra = comment_outcomes(store, name) if comments else {}
        extra = {k: v for k, v in extra.items() if k != label}
        if extra:
            report, *others = experiments.analyze_metrics({label: variants, **extra}, method=correction, **options)
        else:
            report, others = experiments.analyze(variants, metric=label, **options), []
    if as_json:
        payload = {"experiment": name, **report.to_dict()}
        if comments:
            payload["comment_metrics"] = [r.to_dict() for r in others]
            payload["correction"] = correction if others else None
        typer.echo(json.dumps(payload, indent=2))
        return
    _print_report(report)
    if others:
        console.print(
            f"\n[bold]What the replies said[/bold] (share of analysed replies; {correction.upper()} across "
            f"all {1 + len(others)} metrics)"
        )
        for r in others:
            _print_report(r)
    elif comments:
        console.print("(Comment metrics appear once the replies are analysed: `sounding analyze`.)")


def poll_results_command(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Each poll's option shares with 95 % credible intervals and P(most preferred)."""
    from sounding.experiments.stored import stored_polls

    polls = stored_polls(_store(ctx))
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
            title=f"{post.platform} poll {post.id}: {post.text[:60]}",
        )
        for o in options:
            table.add_row(
                o.option,
                f"{o.votes:,}",
                f"{o.share:.0%} [{o.share_ci_low:.0%}, {o.share_ci_high:.0%}]",
                probability(o.p_most_preferred),
            )
        console.print(table)


# -- asking the community ------------------------------------------------------------------------
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
    with _clear_errors():
        text, options = asking.validate_question(question, option)
        store = _store(ctx)
        targets = asking.choose_targets(
            store.list_accounts(), _split(on), account or [], allow_missing=dry_run
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
    question_id = asking.create_question(store, text, options)
    published = asking.publish_question(store, question_id, targets, expires_in=expires_in)
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
    from sounding.experiments.answers import question_results

    with _clear_errors():
        result = question_results(_store(ctx), question_id, threshold=threshold, margin=margin)
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
    from sounding.experiments.ask import list_questions

    items = list_questions(_store(ctx))
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
