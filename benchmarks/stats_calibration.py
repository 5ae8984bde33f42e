"""Calibration: error rates under daily peeking, and power against the planner (seeded).

* A/A (no true difference), 2 000 experiments x 30 days, checked every day: how often is a
  "significant" difference declared at some look? Sequential mode (always-valid confidence
  sequences, Holm across challengers) must stay <= 5 %; naive peeking at the fixed-horizon t-test,
  or at a 95 % Bayesian chance to win, is shown for contrast. 2-, 3- and 5-arm experiments.
  The full `analyze(sequential=True)` verdict is also run end to end on a subset.
* A/B with a known +10 % lift on one challenger, sized by the planner for 80 % power at day 30:
  the simulated power of the fixed-horizon test (Holm) must be within 5 points of the planner's.

Everything runs through `sounding.experiments` functions, vectorised over experiments with numpy.
Run: PYTHONPATH=src .venv/bin/python benchmarks/stats_calibration.py [--experiments 2000]
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

from sounding.experiments import Proportion, analyze, power, sample_size
from sounding.experiments.bayesian import gaussian_effect
from sounding.experiments.frequentist import adjust_p_values, sequential_test, ttest
from sounding.experiments.statistics import ProportionStatistic

DAYS = 30
BASELINE = 0.10
ALPHA = 0.05
RESULTS = Path(__file__).parent / "results" / "stats_calibration.json"


def simulate(
    experiments: int, arms: int, per_day: int, lifts: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative (successes, units) with shape (experiments, days, arms)."""
    rng = np.random.default_rng(seed)
    rates = BASELINE * (1 + lifts)
    daily = rng.binomial(per_day, rates, size=(experiments, DAYS, arms))
    units = np.broadcast_to(per_day * np.arange(1, DAYS + 1)[None, :, None], daily.shape).astype(float)
    return np.cumsum(daily, axis=1).astype(float), units


def tests_by_day(successes: np.ndarray, units: np.ndarray) -> dict[str, np.ndarray]:
    """p-values of each challenger vs control at every day: shape (experiments, days, arms - 1)."""
    control, challengers = _split(successes, units)
    return {
        "fixed": ttest(control, challengers, relative=True, alpha=ALPHA).p_value,
        "sequential": sequential_test(control, challengers, relative=True, alpha=ALPHA).p_value,
        "chance_to_win": gaussian_effect(control, challengers, relative=True, alpha=ALPHA).chance_to_win,
    }


def _split(successes: np.ndarray, units: np.ndarray) -> tuple[ProportionStatistic, ProportionStatistic]:
    """Control (first arm) and challengers as statistic objects over (experiments, days, arms)."""
    return (
        ProportionStatistic(units[..., :1], successes[..., :1]),
        ProportionStatistic(units[..., 1:], successes[..., 1:]),
    )


def aa_error_rates(experiments: int, arms: int, per_day: int, seed: int) -> dict[str, float]:
    successes, units = simulate(experiments, arms, per_day, np.zeros(arms), seed)
    p = tests_by_day(successes, units)
    seq_holm = adjust_p_values(p["sequential"], "holm")
    fixed_holm = adjust_p_values(p["fixed"], "holm")
    ctw = p["chance_to_win"]
    return {
        "sequential_holm_any_day": float((seq_holm < ALPHA).any(axis=(1, 2)).mean()),
        "naive_fixed_any_day": float((p["fixed"] < ALPHA).any(axis=(1, 2)).mean()),
        "naive_fixed_holm_any_day": float((fixed_holm < ALPHA).any(axis=(1, 2)).mean()),
        "naive_chance_to_win_95_any_day": float(((ctw > 0.95) | (ctw < 0.05)).any(axis=(1, 2)).mean()),
        "fixed_holm_last_day_only": float((fixed_holm[:, -1] < ALPHA).any(axis=1).mean()),
    }


def verdict_error_rate(experiments: int, arms: int, per_day: int, seed: int) -> float:
    """End to end: share of A/A experiments where `analyze(sequential=True)` names a winner on any day."""
    successes, units = simulate(experiments, arms, per_day, np.zeros(arms), seed)
    names = [chr(ord("A") + i) for i in range(arms)]
    wrong = 0
    for e in range(experiments):
        for day in range(DAYS):
            report = analyze(
                [
                    Proportion(n, int(units[e, day, i]), int(successes[e, day, i]))
                    for i, n in enumerate(names)
                ],
                sequential=True,
            )
            if report.verdict.decision == "winner":
                wrong += 1
                break
    return wrong / experiments


def ab_power(experiments: int, arms: int, seed: int, lift: float = 0.10) -> dict[str, float]:
    """One challenger (the last) has the lift; planner sizes the test for 80 % power at day 30."""
    n_total = sample_size(BASELINE, lift, variants=arms, power_target=0.8)
    per_day = int(np.ceil(n_total / DAYS))
    lifts = np.zeros(arms)
    lifts[-1] = lift
    successes, units = simulate(experiments, arms, per_day, lifts, seed)
    p = tests_by_day(successes, units)
    fixed_holm = adjust_p_values(p["fixed"][:, -1, :], "holm")
    detected = (fixed_holm[:, -1] < ALPHA) & (successes[:, -1, -1] > successes[:, -1, 0])
    seq_detected = (adjust_p_values(p["sequential"], "holm")[:, :, -1] < ALPHA).any(axis=1)
    tuned = sequential_test(*_split(successes, units), alpha=ALPHA, tuning=2 * per_day * DAYS).p_value
    tuned_detected = (adjust_p_values(tuned, "holm")[:, :, -1] < ALPHA).any(axis=1)
    predicted = power(per_day * DAYS, BASELINE, lift, variants=arms, alpha=ALPHA)
    return {
        "per_arm": per_day * DAYS,
        "planner_power": predicted,
        "simulated_power": float(detected.mean()),
        "gap_points": abs(float(detected.mean()) - predicted) * 100,
        "sequential_power_any_day": float(seq_detected.mean()),
        "sequential_tuned_power_any_day": float(tuned_detected.mean()),
    }


def sequential_power_at(
    experiments: int, factor: float, seed: int = 7, lift: float = 0.10
) -> dict[str, float]:
    """Two arms, `factor` x the planner's fixed-horizon sample: power of the sequential test (any day)."""
    per_day = int(np.ceil(sample_size(BASELINE, lift) * factor / DAYS))
    successes, units = simulate(experiments, 2, per_day, np.array([0.0, lift]), seed)
    out = {"per_arm": per_day * DAYS}
    for name, tuning in (("default_tuning", 5000.0), ("tuned", 2.0 * per_day * DAYS)):
        p = sequential_test(*_split(successes, units), alpha=ALPHA, tuning=tuning).p_value
        out[name] = float((p[:, :, 0] < ALPHA).any(axis=1).mean())
    return out


def run(experiments: int, verdict_experiments: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "experiments": experiments,
        "days": DAYS,
        "baseline": BASELINE,
        "alpha": ALPHA,
        "aa": {},
        "ab": {},
    }
    for arms in (2, 3, 5):
        out["aa"][str(arms)] = aa_error_rates(experiments, arms, per_day=200, seed=arms)
        out["aa"][str(arms)]["analyze_sequential_verdict_any_day"] = verdict_error_rate(
            verdict_experiments, arms, 200, 100 + arms
        )
        out["ab"][str(arms)] = ab_power(experiments, arms, seed=10 + arms)
    out["sequential_sample_factor"] = {str(f): sequential_power_at(experiments, f) for f in (1.5, 2.0)}
    out["sequential_ok"] = all(
        v["sequential_holm_any_day"] <= ALPHA and v["analyze_sequential_verdict_any_day"] <= ALPHA
        for v in out["aa"].values()
    )
    out["power_ok"] = all(v["gap_points"] <= 5 for v in out["ab"].values())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=2000)
    parser.add_argument("--verdict-experiments", type=int, default=200)
    args = parser.parse_args()
    start = time.perf_counter()
    result = run(args.experiments, args.verdict_experiments)
    result["seconds"] = time.perf_counter() - start
    result["load_average"] = os.getloadavg()
    console = Console(width=120)
    aa = Table(
        title=f"A/A: false-positive rate with daily peeking ({args.experiments} experiments x {DAYS} days)"
    )
    for column in (
        "arms",
        "seq+Holm",
        f"verdict ({args.verdict_experiments})",
        "naive t",
        "naive t+Holm",
        "naive P(win)",
        "t+Holm day 30",
    ):
        aa.add_column(column, justify="right")
    for arms, v in result["aa"].items():
        aa.add_row(
            arms,
            *(
                f"{v[k] * 100:.1f} %"
                for k in (
                    "sequential_holm_any_day",
                    "analyze_sequential_verdict_any_day",
                    "naive_fixed_any_day",
                    "naive_fixed_holm_any_day",
                    "naive_chance_to_win_95_any_day",
                    "fixed_holm_last_day_only",
                )
            ),
        )
    console.print(aa)
    console.print(
        "seq+Holm: always-valid p < 5 % on any day; verdict: `analyze(sequential=True)` names a winner on "
        "any day; naive: fixed-horizon p < 5 % (or P(win) > 95 % / < 5 %) on any day; "
        "day 30: one look at the end."
    )
    ab = Table(title="A/B: +10 % lift on one challenger, planner-sized for 80 % power at day 30")
    for column in (
        "arms",
        "units/arm",
        "planner",
        "simulated",
        "gap",
        "sequential, any day",
        "seq. tuned, any day",
    ):
        ab.add_column(column, justify="right")
    for arms, v in result["ab"].items():
        ab.add_row(
            arms,
            f"{v['per_arm']:,}",
            f"{v['planner_power'] * 100:.1f} %",
            f"{v['simulated_power'] * 100:.1f} %",
            f"{v['gap_points']:.1f} pt",
            f"{v['sequential_power_any_day'] * 100:.1f} %",
            f"{v['sequential_tuned_power_any_day'] * 100:.1f} %",
        )
    console.print(ab)
    console.print(
        "sequential: gbstats' default tuning (5,000 units); tuned: --tuning set to the planned total "
        "(2 arms x units/arm), which the docs recommend."
    )
    for factor, v in result["sequential_sample_factor"].items():
        console.print(
            f"sequential mode, 2 arms at {factor} x the planned sample ({v['per_arm']:,} per arm): power "
            f"{v['default_tuning'] * 100:.1f} % (default tuning), {v['tuned'] * 100:.1f} % (tuned)"
        )
    console.print(
        f"sequential FPR <= 5 %: {result['sequential_ok']}; power within 5 points: {result['power_ok']}; "
        f"{result['seconds']:.0f} s (load average {result['load_average'][0]:.1f}, shared machine)"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    if not (result["sequential_ok"] and result["power_ok"]):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
