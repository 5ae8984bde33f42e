"""Frequentist tests on sufficient statistics, vectorised with numpy and matching gbstats 0.8.0.

* `ttest`: gbstats' `TwoSidedTTest` - Welch t-test of the absolute difference or, with
  `relative=True`, of the relative lift (mean_b - mean_a) / mean_a with its delta-method variance.
* `sequential_test`: gbstats' `SequentialTwoSidedTTest` - the asymptotic confidence sequence of
  Waudby-Smith, Arnold, Wu, Howard, Ramdas et al., "Time-uniform central limit theory and
  asymptotic confidence sequences" (arXiv:2103.06476, eq. 9 / 155 / 161). Its intervals and p-values
  are valid at every look, so peeking daily does not inflate the error rate.
* `srm_p_value`: gbstats' `check_srm` chi-square test of the traffic split.
* `adjust_p_values`: Holm or Benjamini-Hochberg (Holm 1979; Benjamini & Hochberg 1995).

Every test takes two statistic objects (`sounding.experiments.statistics`: control, treatment)
whose arrays hold one entry per comparison, so the calibration benchmark runs thousands of
simulated experiments at once through the very code the CLI uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from sounding.experiments.statistics import Statistic

# gbstats' default tuning parameter: the total sample size at which the sequence is tightest.
SEQUENTIAL_TUNING = 5000.0


@dataclass(frozen=True)
class TestResult:
    """Arrays of estimate, CI and p-value; `valid` is False where gbstats returns its uninformative
    default (control mean 0 for relative tests, or zero variance) - then p = 1 and the CI is [0, 0]."""

    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    valid: np.ndarray


def difference_and_variance(
    a: Statistic, b: Statistic, relative: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point estimate of b vs a, its variance (delta method when relative) and where it is defined."""
    mean_a, var_a, n_a, mean_b, var_b, n_b = np.broadcast_arrays(
        a.mean, a.variance, a.n, b.mean, b.variance, b.n
    )
    valid = (var_a > 0) & (var_b > 0) & (n_a > 0) & (n_b > 0)
    if relative:
        valid &= mean_a != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        if relative:
            est = (mean_b - mean_a) / mean_a
            var = var_b / (mean_a**2 * n_b) + var_a * mean_b**2 / (mean_a**4 * n_a)
        else:
            est = mean_b - mean_a
            var = var_b / n_b + var_a / n_a
    return np.where(valid, est, 0.0), np.where(valid, var, 1.0), valid


def welch_dof(a: Statistic, b: Statistic) -> np.ndarray:
    """Welch-Satterthwaite degrees of freedom (gbstats' `TTest.dof`)."""
    var_a, n_a, var_b, n_b = a.variance, a.n, b.variance, b.n
    with np.errstate(divide="ignore", invalid="ignore"):
        dof = (var_b / n_b + var_a / n_a) ** 2 / (
            var_b**2 / (n_b**2 * (n_b - 1)) + var_a**2 / (n_a**2 * (n_a - 1))
        )
    return np.where(np.isfinite(dof) & (dof > 0), dof, 1.0)


def ttest(
    a: Statistic,
    b: Statistic,
    *,
    relative: bool = True,
    alpha: float = 0.05,
    dof: np.ndarray | float | None = None,
) -> TestResult:
    """Two-sided test of b (treatment) vs a (control); `dof=np.inf` gives a z-test (Poisson rates).

    Like gbstats, the test is skipped (p = 1) when control's mean is 0, even for absolute differences.
    """
    est, var, valid = difference_and_variance(a, b, relative)
    valid = valid & (a.mean != 0)
    if dof is None:
        dof = welch_dof(a, b)
    se = np.sqrt(var)
    p = 2 * stats.t.sf(np.abs(est) / se, dof)
    width = stats.t.ppf(1 - alpha / 2, dof) * se
    return _result(est, se, est - width, est + width, p, valid)


def sequential_test(
    a: Statistic,
    b: Statistic,
    *,
    relative: bool = True,
    alpha: float = 0.05,
    tuning: float = SEQUENTIAL_TUNING,
) -> TestResult:
    """Always-valid two-sided test: asymptotic confidence sequence (Waudby-Smith et al. 2023)."""
    est, var, valid = difference_and_variance(a, b, relative)
    valid = valid & (a.mean != 0)
    total = a.n + b.n
    width = sequence_half_width(var, total, alpha, tuning)
    rho2 = _rho_squared(alpha, tuning)
    tr2p1 = total * rho2 + 1
    log_e = rho2 * (est**2 * total / var) / (2 * tr2p1) - 0.5 * np.log(tr2p1)
    p = np.exp(-np.maximum(log_e, 0.0))  # min(1 / e-value, 1), computed in logs to avoid overflow
    return _result(est, np.sqrt(var), est - width, est + width, p, valid)


def sequence_half_width(
    var: np.ndarray, total: np.ndarray, alpha: float, tuning: float = SEQUENTIAL_TUNING
) -> np.ndarray:
    """Half-width of the confidence sequence (eq. 9) given the estimate's variance at `total` units."""
    rho2 = _rho_squared(alpha, tuning)
    s2 = var * total
    with np.errstate(divide="ignore", invalid="ignore"):  # total 0 only occurs where the test is invalid
        return np.sqrt(s2) * np.sqrt(
            2 * (total * rho2 + 1) * np.log(np.sqrt(total * rho2 + 1) / alpha) / (total**2 * rho2)
        )


def _rho_squared(alpha: float, tuning: float) -> float:
    """eq. 161: the mixture variance that makes the sequence tightest at `tuning` units."""
    return (-2 * np.log(alpha) + np.log(-2 * np.log(alpha) + 1)) / tuning


def _result(est, se, low, high, p, valid) -> TestResult:
    return TestResult(
        estimate=est,
        se=np.where(valid, se, 0.0),
        ci_low=np.where(valid, low, 0.0),
        ci_high=np.where(valid, high, 0.0),
        p_value=np.where(valid, np.clip(p, 0.0, 1.0), 1.0),
        valid=valid,
    )


def srm_p_value(units: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Chi-square goodness-of-fit of the observed units per variant to the planned split.

    Same statistic and degrees of freedom as gbstats' `check_srm`: variants with weight 0 are left
    out of the sum but still counted in the degrees of freedom; no units at all gives 1.
    """
    observed = np.asarray(units, dtype=float)
    w = np.ones_like(observed) if weights is None else np.asarray(weights, dtype=float)
    total = observed.sum()
    if total == 0:
        return 1.0
    keep = w > 0
    expected = w[keep] / w.sum() * total
    statistic = float(((observed[keep] - expected) ** 2 / expected).sum())
    return float(stats.chi2.sf(statistic, len(observed) - 1))


def adjust_p_values(p_values: np.ndarray, method: Literal["holm", "bh"] = "holm") -> np.ndarray:
    """Holm (family-wise error) or Benjamini-Hochberg (false discovery rate) adjusted p-values.

    Adjusts along the last axis, so a stack of simulated experiments is corrected in one call.

    BH is scipy's `false_discovery_control`. Holm's step-down is written out because the library
    version (statsmodels `multipletests`) forces a full `gc.collect()` on every call, which alone
    costs 0.1-0.3 s in a large process - more than our whole 50 ms budget; the tests check that both
    give identical numbers.
    """
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    if method == "bh":
        return stats.false_discovery_control(p, axis=-1, method="bh")
    m = p.shape[-1]
    order = np.argsort(p, axis=-1, kind="stable")
    steps = np.take_along_axis(p, order, axis=-1) * (m - np.arange(m))
    adjusted = np.empty_like(p)
    np.put_along_axis(adjusted, order, np.minimum(np.maximum.accumulate(steps, axis=-1), 1.0), axis=-1)
    return adjusted
