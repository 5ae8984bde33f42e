"""Real A/B tests analysed end to end through `sounding test analyze`.

* Cookie Cats (mobile game, gate at level 30 vs 40; ../shared/data/cookie-cats-ab): 1- and 7-day
  retention (proportions) and game rounds (mean). Expected: the 7-day retention drop
  (0.1902 -> 0.1820) is detected, with gate_30 (control) the winner.
* Udacity landing page (../shared/data/udacity-ab-data): conversion, after the README's cleaning
  (drop group/page mismatches, keep each user's first row). Expected: no meaningful difference.
  Also replayed day by day to show what a daily peeker would have seen with and without --sequential.

Each dataset is aggregated to the CSV sufficient-statistics format and run through the real CLI
command (typer's CliRunner on `register(app)`), exactly as a user would run it on a spreadsheet.
Run: PYTHONPATH=src .venv/bin/python benchmarks/stats_real_ab.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from sounding.commands.experiments import register
from sounding.experiments import Proportion, analyze

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OUT = Path(__file__).parent / "results"
RESULTS = OUT / "stats_real_ab.json"


def cli_analyze(csv: Path, metric: str, *extra: str) -> dict[str, Any]:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Local root so `test` stays a sub-command."""

    result = CliRunner().invoke(
        app, ["test", "analyze", "--data", str(csv), "--json", "--metric", metric, *extra]
    )
    if result.exit_code != 0:
        raise RuntimeError(result.output)
    return json.loads(result.output)


def cookie_cats() -> dict[str, pd.DataFrame]:
    df = pd.read_csv(DATA / "cookie-cats-ab" / "cookie_cats.csv")
    groups = df.groupby("version", sort=False)
    order = ["gate_30", "gate_40"]  # control first
    out = {}
    for metric in ("retention_1", "retention_7"):
        agg = groups[metric].agg(exposures="size", successes="sum").loc[order]
        out[f"cookie_cats_{metric}"] = agg.reset_index(names="variant")
    rounds = groups["sum_gamerounds"]
    agg = pd.DataFrame(
        {
            "n": rounds.size(),
            "sum": rounds.sum(),
            "sum_squares": groups["sum_gamerounds"].apply(lambda s: float((s.astype(float) ** 2).sum())),
        }
    ).loc[order]
    out["cookie_cats_gamerounds"] = agg.reset_index(names="variant")
    return out


def udacity_users() -> pd.DataFrame:
    df = pd.read_csv(DATA / "udacity-ab-data" / "ab_data.csv.gz")
    aligned = df[(df["group"] == "treatment") == (df["landing_page"] == "new_page")]
    return aligned.drop_duplicates("user_id", keep="first")


def udacity(users: pd.DataFrame) -> pd.DataFrame:
    agg = (
        users.groupby("group")["converted"]
        .agg(exposures="size", successes="sum")
        .loc[["control", "treatment"]]
    )
    return agg.reset_index(names="variant")


def udacity_daily(users: pd.DataFrame) -> list[dict[str, Any]]:
    """Cumulative data at the end of each day, analysed fixed-horizon and sequentially."""
    users = users.assign(day=pd.to_datetime(users["timestamp"]).dt.date)
    daily = (
        users.groupby(["day", "group"])["converted"].agg(["size", "sum"]).unstack("group").fillna(0).cumsum()
    )
    rows = []
    for day, r in daily.iterrows():
        variants = [Proportion(g, int(r[("size", g)]), int(r[("sum", g)])) for g in ("control", "treatment")]
        fixed, seq = (
            analyze(variants, metric="conversions"),
            analyze(variants, metric="conversions", sequential=True),
        )
        rows.append(
            {
                "day": str(day),
                "users": int(r["size"].sum()),
                "fixed_p": fixed.variants[1].p_value,
                "fixed_decision": fixed.verdict.decision,
                "sequential_p": seq.variants[1].p_value,
                "sequential_decision": seq.verdict.decision,
            }
        )
    return rows


def main() -> None:
    console = Console(width=120)
    csv_dir = OUT / "real_ab"
    csv_dir.mkdir(parents=True, exist_ok=True)
    tables = cookie_cats()
    users = udacity_users()
    tables["udacity_conversion"] = udacity(users)
    metrics = {
        "cookie_cats_retention_1": "1-day retention",
        "cookie_cats_retention_7": "7-day retention",
        "cookie_cats_gamerounds": "game rounds",
        "udacity_conversion": "conversions",
    }
    reports: dict[str, Any] = {}
    for name, frame in tables.items():
        path = csv_dir / f"{name}.csv"
        frame.to_csv(path, index=False)
        reports[name] = cli_analyze(path, metrics[name])
        reports[name + "_sequential"] = cli_analyze(path, metrics[name], "--sequential")

    table = Table(
        title="Real A/B tests through `sounding test analyze` (control first)",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    for column in ("test", "control", "challenger", "lift % [95 %]", "P(best) B", "p", "SRM p"):
        table.add_column(column, justify="left" if column == "test" else "right", no_wrap=True)
    for name, report in reports.items():
        a, b = report["variants"]
        label = (
            name.replace("cookie_cats_", "cookie ")
            .replace("udacity_", "udacity ")
            .replace("_sequential", " seq")
        )
        table.add_row(
            label,
            f"{a['estimate']:.4f}",
            f"{b['estimate']:.4f}",
            f"{b['lift'] * 100:+.2f} [{b['lift_ci_low'] * 100:+.2f}, {b['lift_ci_high'] * 100:+.2f}]",
            f"{b['p_best']:.4f}",
            f"{b['p_value']:.2g}",
            f"{report['srm_p_value']:.2g}",
        )
    console.print(table)
    for name, report in reports.items():
        console.print(f"[bold]{name}[/bold]: {report['verdict']}")

    days = udacity_daily(users)
    replay = Table(
        title="Udacity replayed day by day (cumulative): what a daily peeker sees",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    for column in ("day", "users", "fixed p", "fixed verdict", "sequential p", "sequential verdict"):
        replay.add_column(column, justify="right", no_wrap=True)
    for d in days:
        replay.add_row(
            d["day"],
            f"{d['users']:,}",
            f"{d['fixed_p']:.3f}",
            d["fixed_decision"],
            f"{d['sequential_p']:.3f}",
            d["sequential_decision"],
        )
    console.print(replay)

    checks = {
        "cookie_cats_7day_detected": reports["cookie_cats_retention_7"]["winner"] == "gate_30",
        "cookie_cats_7day_rates": [
            round(v["estimate"], 4) for v in reports["cookie_cats_retention_7"]["variants"]
        ],
        "udacity_no_meaningful_difference": reports["udacity_conversion"]["decision"] == "no_difference",
    }
    console.print(f"checks: {checks}")
    RESULTS.write_text(json.dumps({"reports": reports, "udacity_daily": days, "checks": checks}, indent=2))
    if not (checks["cookie_cats_7day_detected"] and checks["udacity_no_meaningful_difference"]):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
