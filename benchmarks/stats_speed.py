"""Speed: the full `analyze` call on a 10-variant experiment with 10,000,000 exposures.

Budget: median <= 50 ms. gbstats 0.8.0 on the same input (9 pairwise Bayesian + frequentist tests
and check_srm, its Gaussian model) is timed as the anchor. Timings are medians of repeats; on a
shared machine they move with other people's load.

Run: PYTHONPATH=src .venv/bin/python benchmarks/stats_speed.py
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from sounding.experiments import Proportion, analyze

BUDGET_MS = 50.0
RESULTS = Path(__file__).parent / "results" / "stats_speed.json"


def experiment(variants: int = 10, exposures: int = 10_000_000, seed: int = 0) -> list[Proportion]:
    rng = np.random.default_rng(seed)
    per = exposures // variants
    rates = 0.05 * (1 + rng.uniform(-0.03, 0.03, size=variants))
    return [Proportion(f"V{i}", per, int(rng.binomial(per, r))) for i, r in enumerate(rates)]


def median_ms(fn: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    fn()  # warm up imports and caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), times


def gbstats_call(variants: list[Proportion]) -> Callable[[], object]:
    from gbstats.bayesian.tests import EffectBayesianABTest
    from gbstats.frequentist.tests import TwoSidedTTest
    from gbstats.models.statistics import ProportionStatistic
    from gbstats.utils import check_srm

    def run() -> object:
        stats = [ProportionStatistic(n=v.exposures, sum=v.successes) for v in variants]
        out = [
            (EffectBayesianABTest(stats[0], s).compute_result(), TwoSidedTTest(stats[0], s).compute_result())
            for s in stats[1:]
        ]
        return out, check_srm([v.exposures for v in variants], [1.0] * len(variants))

    return run


def main() -> None:
    variants = experiment()
    ours, our_times = median_ms(lambda: analyze(variants), 30)
    sequential, _ = median_ms(lambda: analyze(variants, sequential=True), 30)
    try:
        theirs, _ = median_ms(gbstats_call(variants), 30)
    except ImportError:
        theirs = None
    result = {
        "variants": len(variants),
        "exposures": sum(v.exposures for v in variants),
        "sounding_median_ms": ours,
        "sounding_sequential_median_ms": sequential,
        "sounding_min_ms": min(our_times),
        "gbstats_median_ms": theirs,
        "budget_ms": BUDGET_MS,
        "within_budget": ours <= BUDGET_MS,
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
        "verdict": analyze(variants).verdict.text,
    }
    table = Table(title="analyze(): 10 variants, 10,000,000 exposures (median of 30)")
    table.add_column("implementation")
    table.add_column("median ms", justify="right")
    table.add_row("sounding analyze (exact beta, fixed)", f"{ours:.1f}")
    table.add_row("sounding analyze (exact beta, sequential)", f"{sequential:.1f}")
    table.add_row("gbstats 0.8.0 (Gaussian, 9 pairs + SRM)", "n/a" if theirs is None else f"{theirs:.1f}")
    console = Console(width=120)
    console.print(table)
    console.print(
        f"budget {BUDGET_MS:.0f} ms: {'OK' if result['within_budget'] else 'OVER'}; load average "
        f"{result['load_average'][0]:.1f} on {result['cpus']} CPUs (shared machine)"
    )
    console.print(result["verdict"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    if not result["within_budget"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
