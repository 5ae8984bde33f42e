"""`sounding test analyze|plan|schedule`: tests run elsewhere (a spreadsheet), planning, rotation.

No store needed; each command is one call into `sounding.experiments`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sounding.commands.experiments_common import console, print_report, split, user_errors
from sounding.experiments.data import MetricKind
from sounding.experiments.errors import OptionError
from sounding.experiments.formatting import signed_percent
from sounding.experiments.service import Experiments
from sounding.terminal import safe


def register(test_app: typer.Typer) -> None:
    test_app.command("analyze")(analyze_command)
    test_app.command("plan")(plan_command)
    test_app.command("schedule")(schedule_command)


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
    unit: Annotated[
        str | None,
        typer.Option(help="What one unit is, for 'how many more' advice (e.g. 'people who replied')."),
    ] = None,
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
    with user_errors():
        planned = _weights(weights)
        options = {
            "sequential": sequential,
            "alpha": alpha,
            "min_effect": min_effect,
            "weights": planned,
            "sequential_tuning": tuning,
        }
        if unit:
            options["unit"] = unit
        reports = Experiments.analyze_file(data, metric, **options)
    if as_json:
        payload = reports[0].to_dict() if len(reports) == 1 else {"metrics": [r.to_dict() for r in reports]}
        typer.echo(json.dumps(payload, indent=2))
        return
    for r in reports:
        print_report(r)


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
        with user_errors():
            raise OptionError("give exactly one of --lift or --per-variant, and --kind proportion|mean|rate")
    metric_kind: MetricKind = kind  # type: ignore[assignment]
    options = {"kind": metric_kind, "sd": sd, "alpha": alpha, "variants": variants}
    from sounding.experiments import planning

    with user_errors():
        if lift is not None:
            n = planning.sample_size(baseline, lift, power_target=target_power, **options)
            console.print(
                f"About {n:,} units per option ({n * variants:,} in all) to detect a "
                f"{signed_percent(lift)} lift with {target_power:.0%} power at alpha {alpha:g}."
            )
        else:
            mde = planning.minimum_detectable_effect(
                per_variant, baseline, power_target=target_power, **options
            )
            console.print(
                f"With {per_variant:,} units per option you can detect a lift of about "
                f"{signed_percent(mde)} ({planning.power(per_variant, baseline, mde, **options):.0%} power)."
            )


def schedule_command(
    variants: Annotated[str, typer.Option(help="Comma-separated option names, e.g. 'A,B,C'.")],
    slots: Annotated[str, typer.Option(help="Comma-separated posting times, e.g. '09:00,13:00,19:00'.")],
    platforms: Annotated[str, typer.Option(help="Comma-separated platforms.")] = "all",
    days: Annotated[int | None, typer.Option(help="Days to schedule (default: one full rotation).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A Latin-square posting rotation so time of day and platform cannot fake a winner."""
    from sounding.experiments.schedule import rotation_schedule

    with user_errors():
        plan = rotation_schedule(split(variants), split(slots), split(platforms), days)
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
        table.add_row(str(p.day + 1), safe(p.slot), safe(p.platform), safe(p.variant))
    console.print(table)


def _weights(text: str | None) -> list[float] | None:
    if not text:
        return None
    try:
        return [float(w) for w in split(text)]
    except ValueError:
        raise OptionError(
            f"--weights takes numbers separated by commas, e.g. '1,1,2' (got {text!r})"
        ) from None
