"""Calibration of the small-count tests (issue 11): organic posts with 20-200 people replying per option.

* A/A: two options with the same true shares for four measures (positive replies 25 %, questions
  15 %, suggestions 8 %, problems 5 %), 20-200 people per option, 10,000 simulated posts each:
  false-positive rate of the exact test (Barnard) per measure and family-wise after Holm across the
  four; the relative-lift delta-method test gbstats uses (and the old report used) beside it.
  Targets: <= 5 % both.
* Power: 60 people per option, control 20 % positive, challenger +50 % (30 %) and +100 % (40 %):
  how often each test finds the difference, alone and after Holm across 4 measures (the other
  three with no true difference). The exact test should be at least as powerful.
* End to end: `analyze_metrics` (what `sounding test report` runs) on A/A data at 60 per option -
  how often does any measure get a "winner" verdict?

Everything goes through `sounding.experiments` (exact_test, ttest, adjust_p_values, analyze_metrics).
Run: PYTHONPATH=src .venv/bin/python benchmarks/small_count_calibration.py [--runs 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from sounding.experiments import Proportion, analyze_metrics
from sounding.experiments.exact import exact_test
from sounding.experiments.frequentist import adjust_p_values, ttest
from sounding.experiments.statistics import ProportionStatistic

ALPHA = 0.05
SIZES = (20, 30, 60, 100, 200)
RATES = {"positive": 0.25, "questions": 0.15, "suggestions": 0.08, "problems": 0.05}
POWER_N, POWER_BASE, LIFTS = 60, 0.20, (0.5, 1.0)
RESULTS = Path(__file__).parent / "results" / "small_count_calibration.json"


def p_values(successes: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """successes: (runs, 2 options, metrics) -> p-values (runs, metrics) of the exact and relative tests."""
    a = ProportionStatistic(np.full(successes[:, 0].shape, n), successes[:, 0])
    b = ProportionStatistic(np.full(successes[:, 1].shape, n), successes[:, 1])
    return {"exact": exact_test(a, b, alpha=ALPHA).p_value, "relative": ttest(a, b, relative=True).p_value}


def rejection(p: np.ndarray) -> dict[str, Any]:
    """Per-metric rejection rates and the family-wise rate after Holm across the metrics."""
    per_metric = (p < ALPHA).mean(axis=0)
    return {
        "per_metric": {m: float(r) for m, r in zip(RATES, per_metric)},
        "max_single": float(per_metric.max()),
        "holm_any": float((adjust_p_values(p, "holm") < ALPHA).any(axis=1).mean()),
    }


def aa(runs: int, n: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    successes = rng.binomial(n, np.array(list(RATES.values())), size=(runs, 2, len(RATES)))
    return {name: rejection(p) for name, p in p_values(successes, n).items()}


def power(runs: int, lift: float, seed: int) -> dict[str, Any]:
    """Challenger's first measure has the lift over POWER_BASE; the other three have none."""
    rng = np.random.default_rng(seed)
    control = np.array([POWER_BASE, *list(RATES.values())[1:]])
    treated = control.copy()
    treated[0] *= 1 + lift
    successes = np.stack(
        [rng.binomial(POWER_N, control, size=(runs, 4)), rng.binomial(POWER_N, treated, size=(runs, 4))],
        axis=1,
    )
    right = successes[:, 1, 0] > successes[:, 0, 0]
    out = {}
    for name, p in p_values(successes, POWER_N).items():
        holm = adjust_p_values(p, "holm")
        out[name] = {
            "alone": float(((p[:, 0] < ALPHA) & right).mean()),
            "holm_4": float(((holm[:, 0] < ALPHA) & right).mean()),
        }
    return out


def verdicts(runs: int, n: int, seed: int) -> float:
    """A/A through analyze_metrics: share of runs where any of the four measures names a winner."""
    rng = np.random.default_rng(seed)
    successes = rng.binomial(n, np.array(list(RATES.values())), size=(runs, 2, len(RATES)))
    wrong = 0
    for run in successes:
        metrics = {
            m: [Proportion("A", n, int(run[0, j])), Proportion("B", n, int(run[1, j]))]
            for j, m in enumerate(RATES)
        }
        wrong += any(r.verdict.decision == "winner" for r in analyze_metrics(metrics))
    return wrong / runs


def run(runs: int, verdict_runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": runs, "alpha": ALPHA, "rates": RATES, "aa": {}, "power": {}}
    for n in SIZES:
        out["aa"][str(n)] = aa(runs, n, seed=n)
    for lift in LIFTS:
        out["power"][f"{lift:+.0%}"] = power(runs, lift, seed=int(100 * lift))
    out["verdict_runs"] = verdict_runs
    out["aa_verdict_winner_rate_60"] = verdicts(verdict_runs, 60, seed=7)
    out["fpr_ok"] = (
        all(v["exact"]["max_single"] <= ALPHA and v["exact"]["holm_any"] <= ALPHA for v in out["aa"].values())
        and out["aa_verdict_winner_rate_60"] <= ALPHA
    )
    out["power_ok"] = all(v["exact"]["alone"] >= v["relative"]["alone"] for v in out["power"].values())
    return out


def show(result: dict[str, Any]) -> None:
    console = Console(width=120)
    aa_table = Table(
        title=f"A/A: false-positive rate, {result['runs']:,} simulated posts per size (target <= 5 %)"
    )
    for column in (
        "people per option",
        "exact, worst measure",
        "exact, Holm x4",
        "relative-lift, worst",
        "relative-lift, Holm x4",
    ):
        aa_table.add_column(column, justify="right")
    for n, v in result["aa"].items():
        aa_table.add_row(
            n,
            *(f"{v[t][k] * 100:.2f} %" for t in ("exact", "relative") for k in ("max_single", "holm_any")),
        )
    console.print(aa_table)
    console.print(
        "measures: "
        + ", ".join(f"{m} {r:.0%}" for m, r in RATES.items())
        + "; worst = the highest single-measure "
        "rate of the four; Holm x4 = any of the four significant after Holm (family-wise)."
    )
    power_table = Table(
        title=f"Power at {POWER_N} people per option, control {POWER_BASE:.0%} positive ({result['runs']:,} runs)"
    )
    for column in (
        "true lift",
        "exact alone",
        "relative-lift alone",
        "exact, Holm x4",
        "relative-lift, Holm x4",
    ):
        power_table.add_column(column, justify="right")
    for lift, v in result["power"].items():
        power_table.add_row(
            lift,
            *(f"{v[t][k] * 100:.1f} %" for k in ("alone", "holm_4") for t in ("exact", "relative")),
        )
    console.print(power_table)
    console.print(
        f"End to end, A/A at 60 per option through analyze_metrics (4 measures, {result['verdict_runs']:,} runs): "
        f"a winner named in {result['aa_verdict_winner_rate_60'] * 100:.2f} % of runs."
    )
    console.print(
        f"FPR <= 5 %: {result['fpr_ok']}; exact at least as powerful: {result['power_ok']}; "
        f"{result['seconds']:.0f} s (load average {result['load_average'][0]:.1f}, shared machine)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--verdict-runs", type=int, default=1_000)
    args = parser.parse_args()
    start = time.perf_counter()
    result = run(args.runs, args.verdict_runs)
    result["seconds"] = time.perf_counter() - start
    result["load_average"] = os.getloadavg()
    show(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    if not (result["fpr_ok"] and result["power_ok"]):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
