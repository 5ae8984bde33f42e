"""What the `test`, `poll` and `ask` commands share: the error line, the report table, the API.

Every name, metric and verdict printed here may come from a stranger (a variant named `[/]`), so
it goes through `sounding.terminal.safe()` before rich sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from sounding.errors import SoundingError, UsageError
from sounding.experiments.formatting import compact_lift, points, points_interval, probability
from sounding.terminal import safe

console = Console()
errors = Console(stderr=True)


def api(ctx: typer.Context):
    """The `Sounding` object over the store chosen with --db / SOUNDING_DATABASE_URL."""
    from sounding.commands import open_api

    return open_api(ctx)


def split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@contextmanager
def user_errors() -> Iterator[None]:
    """A `SoundingError` (or a missing file) is one red line and the kind's exit code, no traceback."""
    try:
        yield
    except SoundingError as error:
        errors.print(f"[red]Error:[/red] {safe(str(error), newlines=False)}")
        raise typer.Exit(code=error.exit_code) from None
    except OSError as error:
        errors.print(f"[red]Error:[/red] {safe(str(error), newlines=False)}")
        raise typer.Exit(code=UsageError.exit_code) from None


def print_report(report, *, recommendation: bool = True) -> None:
    """Rich table of one report, then the SRM p-value, verdict and (optionally) recommendation."""
    exact = report.test == "barnard_exact"
    mode = "exact test" if exact else ("sequential, always-valid" if report.sequential else "fixed horizon")
    unit = (report.unit or "units").split()[0]
    if exact:
        headers = (
            "option",
            unit,
            "share",
            "difference [95 %]",
            "lift [95 %]",
            "P(best)",
            "p exact",
            "p adj.",
        )
    else:
        headers = ("option", unit, "mean", "lift [95 %]", "P(best)", "loss", "p", "p adj.")
    rows = []
    for i, v in enumerate(report.variants):
        name = safe(f"{v.variant} (ctrl)" if i == 0 else v.variant, newlines=False)
        lift = "" if i == 0 or v.lift is None else compact_lift(v.lift, v.lift_ci_low, v.lift_ci_high)
        p_best = "" if v.p_best is None else probability(v.p_best)
        p = "" if v.p_value is None else f"{v.p_value:.2g}"
        p_adj = "" if v.p_value_adjusted is None else f"{v.p_value_adjusted:.2g}"
        if exact:
            diff = ""
            if i and v.difference is not None and v.difference_ci_low is not None:
                diff = f"{points(v.difference)[:-7]} {points_interval(v.difference_ci_low, v.difference_ci_high)}"
            share = f"{round(v.estimate * v.units):,} ({v.estimate * 100:.0f} %)"
            rows.append((name, f"{v.units:,.0f}", share, diff, lift, p_best, p, p_adj))
        else:
            loss = "" if v.expected_loss is None else f"{v.expected_loss:.2g}"
            rows.append((name, f"{v.units:,.6g}", f"{v.estimate:.4g}", lift, p_best, loss, p, p_adj))
    table = Table(
        title=f"{safe(report.metric, newlines=False)} ({report.kind}, {mode})",
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
    if report.srm_p_value is not None and not exact:
        console.print(f"Sample-ratio check p = {report.srm_p_value:.3g}")
    console.print(f"[bold]{safe(report.verdict.text)}[/bold]")
    if recommendation and report.recommendation:
        console.print(safe(report.recommendation))
