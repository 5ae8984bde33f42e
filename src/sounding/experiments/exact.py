"""Exact tests for the small counts organic posts produce (a few dozen people per option).

The delta-method test of the relative lift (gbstats' `TwoSidedTTest`) is built for large web
experiments. With 60 people per option and a base rate near 20 % its variance is dominated by the
control's noise divided by its squared mean, so a +115 % lift with an exact p of 0.004 reads p = 0.06.
For proportions with few units we therefore test the *absolute* difference exactly:

* p-value: Barnard's unconditional exact test (scipy's `barnard_exact`, pooled Wald statistic,
  two-sided). It never exceeds its level, unlike the normal approximation, and is more powerful
  than Fisher's conditional test (Barnard 1945; Mehrotra, Chan & Berger 2003).
* interval: Newcombe's hybrid score interval for p_b - p_a from the two Wilson intervals
  (Newcombe 1998, method 10), which keeps its coverage at small n where the Wald interval does not.

**The rule** (`uses_exact`): proportions in fixed-horizon mode where every option has at most
`EXACT_MAX_UNITS` units use these; larger ones use the gbstats-compatible test, whose p-values match
gbstats 0.8.0 (benchmarks/stats_agreement.py). 200 is where the calibration benchmark shows the two
agree on the error rate and Barnard still runs in a few milliseconds per comparison.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import stats

from sounding.experiments.frequentist import TestResult
from sounding.experiments.statistics import ProportionStatistic

EXACT_MAX_UNITS = 200


def uses_exact(units: np.ndarray, *, kind: str, sequential: bool) -> bool:
    """True where the exact small-count test applies: proportions, fixed horizon, <= 200 units each."""
    return kind == "proportion" and not sequential and bool(np.all(np.asarray(units) <= EXACT_MAX_UNITS))


def barnard_p(s_a: int, n_a: int, s_b: int, n_b: int) -> float:
    """Two-sided Barnard exact p-value of s_b/n_b vs s_a/n_a (1 where nothing can differ yet).

    With equal sizes the two-sided p-value is the same with the options swapped (scipy gives the
    identical number), so both tables share one cached computation (the simulations lean on it)."""
    if n_a == n_b and s_a > s_b:
        s_a, s_b = s_b, s_a
    return _barnard(s_a, n_a, s_b, n_b)


@lru_cache(maxsize=1 << 16)
def _barnard(s_a: int, n_a: int, s_b: int, n_b: int) -> float:
    if n_a == 0 or n_b == 0 or s_a + s_b in (0, n_a + n_b):
        return 1.0
    p = stats.barnard_exact([[s_b, s_a], [n_b - s_b, n_a - s_a]], alternative="two-sided").pvalue
    return float(min(max(p, 0.0), 1.0)) if math.isfinite(p) else 1.0


@lru_cache(maxsize=1 << 16)
def wilson(s: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of one proportion (scipy's `binomtest(...).proportion_ci`)."""
    ci = stats.binomtest(s, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def newcombe(s_a: int, n_a: int, s_b: int, n_b: int, alpha: float = 0.05) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p_b - p_a (method 10 of Newcombe 1998)."""
    p_a, p_b = s_a / n_a, s_b / n_b
    (l_a, u_a), (l_b, u_b) = wilson(s_a, n_a, 1 - alpha), wilson(s_b, n_b, 1 - alpha)
    d = p_b - p_a
    return d - math.hypot(p_b - l_b, u_a - p_a), d + math.hypot(u_b - p_b, p_a - l_a)


def exact_test(a: ProportionStatistic, b: ProportionStatistic, *, alpha: float = 0.05) -> TestResult:
    """Each b vs a (arrays broadcast): difference, Newcombe interval, Barnard p-value.

    `valid` is False where an option has no units; there p = 1 and the interval is [0, 0].
    """
    arrays = np.broadcast_arrays(a.sum, a.n, b.sum, b.n)
    shape = arrays[0].shape
    est, low, high, p = (np.zeros(shape) for _ in range(4))
    p += 1.0
    valid = np.zeros(shape, dtype=bool)
    for index in np.ndindex(shape):
        s_a, n_a, s_b, n_b = (round(float(x[index])) for x in arrays)
        if n_a == 0 or n_b == 0:
            continue
        valid[index] = True
        est[index] = s_b / n_b - s_a / n_a
        low[index], high[index] = newcombe(s_a, n_a, s_b, n_b, alpha)
        p[index] = barnard_p(s_a, n_a, s_b, n_b)
    se = np.where(valid, (high - low) / (2 * stats.norm.ppf(1 - alpha / 2)), 0.0)
    return TestResult(estimate=est, se=se, ci_low=low, ci_high=high, p_value=p, valid=valid)
