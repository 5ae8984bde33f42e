"""Agreement of sounding.experiments with gbstats 0.8.0 on the same sufficient statistics.

Where the methods coincide (Welch / delta-method t-tests, the sequential test, the Gaussian effect
model, SRM, and P(best) / expected loss for means) the numbers must agree to 1e-6 (relative to the
value's size when it exceeds 1). Where we differ by design - exact beta-binomial P(best) and lift
intervals for proportions vs gbstats' Gaussian approximation, and the exact (Barnard) p-value for
proportions with at most 200 units per option - both are shown with the difference.

Run: PYTHONPATH=src .venv/bin/python benchmarks/stats_agreement.py [--cases 1000]
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig
from gbstats.frequentist.tests import (
    FrequentistConfig,
    SequentialConfig,
    SequentialTwoSidedTTest,
    TwoSidedTTest,
)
from gbstats.models.statistics import ProportionStatistic as GbProportion
from gbstats.models.statistics import SampleMeanStatistic as GbSampleMean
from gbstats.utils import check_srm
from rich.console import Console
from rich.table import Table

from sounding.experiments import Mean, Proportion, analyze
from sounding.experiments.bayesian import gaussian_effect
from sounding.experiments.frequentist import sequential_test, srm_p_value, ttest
from sounding.experiments.statistics import ProportionStatistic

TOLERANCE = 1e-6
RESULTS = Path(__file__).parent / "results" / "stats_agreement.json"
SIZES = [0, 1, 2, 3, 5, 10, 30, 100, 1000, 20000, 1_000_000]


def generate_cases(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """Half proportions, half means; sizes from 0 to 10^6, including zero successes and n = 1."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(count):
        n_a, n_b = (int(rng.choice(SIZES)) for _ in range(2))
        if i % 2 == 0:
            rate = rng.choice([0.0, 0.001, 0.02, 0.1, 0.5, 0.97, 1.0])
            s_a, s_b = (
                int(rng.binomial(n, min(1.0, rate * f)))
                for n, f in ((n_a, 1.0), (n_b, rng.uniform(0.7, 1.4)))
            )
            cases.append({"kind": "proportion", "a": (n_a, s_a), "b": (n_b, s_b)})
        else:

            def draw(n: int, loc: float) -> tuple[int, float, float]:
                values = np.round(rng.gamma(2.0, loc, size=n) if rng.random() < 0.9 else np.full(n, loc), 3)
                return n, float(values.sum()), float((values**2).sum())

            loc = float(rng.choice([0.5, 3.0, 40.0]))
            cases.append({"kind": "mean", "a": draw(n_a, loc), "b": draw(n_b, loc * rng.uniform(0.8, 1.3))})
    return cases


def _gb_stat(kind: str, values: tuple) -> Any:
    if kind == "proportion":
        return GbProportion(n=values[0], sum=values[1])
    return GbSampleMean(n=values[0], sum=values[1], sum_squares=values[2])


def _ours(kind: str, values: tuple):
    """Our statistic object for the same sufficient statistics gbstats gets."""
    return (Proportion("x", *values) if kind == "proportion" else Mean("x", *values)).statistic()


def _gap(ours: float, theirs: float) -> float:
    """Absolute difference, relative once the value exceeds 1."""
    return abs(ours - theirs) / max(1.0, abs(theirs))


def compare_case(case: dict[str, Any]) -> dict[str, float]:
    """Largest gap per comparison for one case (only comparisons where the methods coincide)."""
    kind = case["kind"]
    ga, gb = _gb_stat(kind, case["a"]), _gb_stat(kind, case["b"])
    args = (_ours(kind, case["a"]), _ours(kind, case["b"]))
    gaps: dict[str, float] = {}
    for difference in ("relative", "absolute"):
        relative = difference == "relative"
        theirs = TwoSidedTTest(ga, gb, FrequentistConfig(difference_type=difference)).compute_result()
        ours = ttest(*args, relative=relative)
        gaps[f"ttest_{difference}"] = max(
            _gap(float(ours.p_value), theirs.p_value),
            _gap(float(ours.estimate), theirs.expected),
            _gap(float(ours.ci_low), theirs.ci[0]),
            _gap(float(ours.ci_high), theirs.ci[1]),
        )
        theirs = SequentialTwoSidedTTest(
            ga, gb, SequentialConfig(difference_type=difference)
        ).compute_result()
        ours = sequential_test(*args, relative=relative)
        gaps[f"sequential_{difference}"] = max(
            _gap(float(ours.p_value), theirs.p_value),
            _gap(float(ours.ci_low), theirs.ci[0]),
            _gap(float(ours.ci_high), theirs.ci[1]),
        )
        theirs = EffectBayesianABTest(
            ga, gb, EffectBayesianConfig(difference_type=difference)
        ).compute_result()
        eff = gaussian_effect(*args, relative=relative)
        gaps[f"bayes_{difference}"] = max(
            _gap(float(eff.chance_to_win), theirs.chance_to_win),
            _gap(float(eff.expected), theirs.expected),
            _gap(float(eff.ci_low), theirs.ci[0]),
            _gap(float(eff.ci_high), theirs.ci[1]),
            _gap(float(eff.risk_control), theirs.risk[0]),
            _gap(float(eff.risk_variant), theirs.risk[1]),
        )
    return gaps


def compare_report(case: dict[str, Any], examples: list[dict[str, Any]]) -> dict[str, float] | None:
    """Our full `analyze` report vs gbstats, for cases where both give a real result.

    Proportion cases (which differ by design) are also appended to `examples` with both answers.
    """
    kind = case["kind"]
    make = Proportion if kind == "proportion" else Mean
    try:
        report = analyze([make("A", *case["a"]), make("B", *case["b"])])
    except ValueError:
        return None
    b = report.variants[1]
    if b.p_best is None:
        return None
    ga, gb = _gb_stat(kind, case["a"]), _gb_stat(kind, case["b"])
    freq = TwoSidedTTest(ga, gb, FrequentistConfig(difference_type="relative")).compute_result()
    if report.test == "barnard_exact":  # <= 200 units per option: exact test by design
        out = {"design_p_value_small_counts": abs(b.p_value - freq.p_value)}
    else:
        out = {"report_p_value": _gap(b.p_value, freq.p_value)}
    bayes_rel = EffectBayesianABTest(
        ga, gb, EffectBayesianConfig(difference_type="relative")
    ).compute_result()
    bayes_abs = EffectBayesianABTest(
        ga, gb, EffectBayesianConfig(difference_type="absolute")
    ).compute_result()
    if bayes_abs.error_message is not None:
        return out
    if kind == "mean":
        out["report_p_best_mean"] = _gap(b.p_best, bayes_abs.chance_to_win)
        out["report_loss_mean"] = max(
            _gap(report.variants[0].expected_loss, bayes_abs.risk[0]),
            _gap(b.expected_loss, bayes_abs.risk[1]),
        )
        if bayes_rel.error_message is None:
            out["report_lift_ci_mean"] = max(
                _gap(b.lift_ci_low, bayes_rel.ci[0]), _gap(b.lift_ci_high, bayes_rel.ci[1])
            )
    else:  # differs by design: exact beta posteriors vs gbstats' Gaussian approximation
        out["design_p_best_proportion"] = abs(b.p_best - bayes_abs.chance_to_win)
        example = {
            "control": case["a"],
            "variant": case["b"],
            "ours_p_best": b.p_best,
            "gbstats_chance_to_win": bayes_abs.chance_to_win,
        }
        if bayes_rel.error_message is None and b.lift_ci_low is not None:
            out["design_lift_ci_proportion"] = max(
                abs(b.lift_ci_low - bayes_rel.ci[0]), abs(b.lift_ci_high - bayes_rel.ci[1])
            )
            example.update(ours_lift_ci=[b.lift_ci_low, b.lift_ci_high], gbstats_lift_ci=list(bayes_rel.ci))
        examples.append(example)
    return out


def compare_srm(count: int, seed: int = 1) -> list[float]:
    rng = np.random.default_rng(seed)
    gaps = []
    for _ in range(count):
        k = int(rng.integers(2, 6))
        users = [int(x) for x in rng.integers(0, 5000, size=k)]
        weights = [float(w) for w in rng.choice([0.0, 0.5, 1.0, 2.0], size=k)]
        if sum(weights) == 0:
            weights[0] = 1.0
        gaps.append(_gap(srm_p_value(users, weights), check_srm(users, weights)))
    return gaps


def run(count: int) -> dict[str, Any]:
    cases = generate_cases(count)
    gaps: dict[str, list[float]] = {}
    examples: list[dict[str, Any]] = []
    with warnings.catch_warnings():  # gbstats' own overflow warnings on extreme cases
        warnings.simplefilter("ignore", RuntimeWarning)
        for case in cases:
            for key, value in compare_case(case).items():
                gaps.setdefault(key, []).append(value)
            for key, value in (compare_report(case, examples) or {}).items():
                gaps.setdefault(key, []).append(value)
        gaps["srm"] = compare_srm(count)
    summary = {
        key: {
            "cases": len(values),
            "max_gap": float(np.max(values)),
            "median_gap": float(np.median(values)),
            "by_design": key.startswith("design_"),
            "agrees": key.startswith("design_") or float(np.max(values)) <= TOLERANCE,
        }
        for key, values in gaps.items()
    }
    reference = reference_numbers()
    examples.sort(key=lambda e: -abs(e["ours_p_best"] - e["gbstats_chance_to_win"]))
    return {
        "cases": count,
        "tolerance": TOLERANCE,
        "comparisons": summary,
        "reference": reference,
        "by_design_examples": examples,
        "all_agree": all(v["agrees"] for v in summary.values()),
    }


def reference_numbers() -> dict[str, float]:
    """The brief's anchor: control 100/1000 vs variant 130/1000, and check_srm([1000, 1050])."""
    a, b = ProportionStatistic(1000, 100), ProportionStatistic(1000, 130)
    eff = gaussian_effect(a, b)
    report = analyze([Proportion("A", 1000, 100), Proportion("B", 1000, 130)]).variants[1]
    return {
        "bayes_relative_p_win": float(eff.chance_to_win),
        "bayes_ci_low": float(eff.ci_low),
        "bayes_ci_high": float(eff.ci_high),
        "ttest_absolute_p": float(ttest(a, b, relative=False).p_value),
        "ttest_relative_p": float(ttest(a, b).p_value),
        "srm_1000_1050": srm_p_value([1000, 1050]),
        "exact_beta_p_best": report.p_best,
        "exact_beta_lift_ci_low": report.lift_ci_low,
        "exact_beta_lift_ci_high": report.lift_ci_high,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    result = run(parser.parse_args().cases)
    table = Table(
        title=f"sounding vs gbstats 0.8.0 ({result['cases']} generated cases, tolerance {TOLERANCE:g})"
    )
    for column in ("comparison", "n", "max gap", "median gap", "status"):
        table.add_column(column)
    for key, v in result["comparisons"].items():
        status = "differs by design" if v["by_design"] else ("agrees" if v["agrees"] else "DISAGREES")
        table.add_row(key, str(v["cases"]), f"{v['max_gap']:.2e}", f"{v['median_gap']:.2e}", status)
    console = Console(width=120)
    console.print(table)
    design = Table(
        title="Differs by design (proportions): exact beta-binomial vs gbstats' Gaussian, largest gaps"
    )
    for column in (
        "control n/succ",
        "variant n/succ",
        "P(best) exact",
        "gbstats P(win)",
        "lift CI exact",
        "gbstats CI",
    ):
        design.add_column(column, justify="right")
    for e in result["by_design_examples"][:8]:
        ci = lambda pair: "" if pair is None else f"[{pair[0]:+.3f}, {pair[1]:+.3f}]"
        design.add_row(
            f"{e['control'][0]}/{e['control'][1]}",
            f"{e['variant'][0]}/{e['variant'][1]}",
            f"{e['ours_p_best']:.4f}",
            f"{e['gbstats_chance_to_win']:.4f}",
            ci(e.get("ours_lift_ci")),
            ci(e.get("gbstats_lift_ci")),
        )
    console.print(design)
    console.print(
        "Reference (100/1000 vs 130/1000): "
        + ", ".join(f"{k} {v:.6g}" for k, v in result["reference"].items())
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    console.print(
        f"{'All coinciding methods agree' if result['all_agree'] else 'DISAGREEMENT'}; wrote {RESULTS}"
    )
    if not result["all_agree"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
