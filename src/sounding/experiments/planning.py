"""Power analysis for the relative-lift test the report runs (delta method, two-sided).

With k options, each challenger is tested against control at alpha / (k - 1) (Bonferroni, which is
what Holm's first step uses), so the plan stays honest for multi-option posts. Normal
approximation throughout, as in standard sample-size formulas (e.g. Chow, Shao & Wang,
"Sample Size Calculations in Clinical Research", ch. 4).
"""

from __future__ import annotations

import math

from scipy import optimize, special

from sounding.experiments.data import MetricKind
from sounding.experiments.errors import OptionError


def _check(baseline: float, kind: MetricKind, sd: float | None, alpha: float, variants: int) -> None:
    if kind == "proportion" and not 0 < baseline < 1:
        raise OptionError(f"baseline rate must be between 0 and 1, got {baseline}")
    if kind == "rate" and not baseline > 0:
        raise OptionError(f"baseline rate must be positive, got {baseline}")
    if kind == "mean" and (baseline == 0 or sd is None or not sd > 0):
        raise OptionError("means need a non-zero baseline and a positive sd")
    if not 0 < alpha < 1:
        raise OptionError(f"alpha must be in (0, 1), got {alpha}")
    if variants < 2:
        raise OptionError(f"need at least two variants, got {variants}")


def unit_variance(
    baseline: float, lift: float, kind: MetricKind = "proportion", sd: float | None = None
) -> float:
    """n x Var(relative lift estimate) with n units per option (the delta-method variance)."""
    treated = baseline * (1 + lift)
    if kind == "proportion":
        if not 0 <= treated <= 1:
            raise OptionError(f"a lift of {lift:+.0%} takes the rate {baseline} outside [0, 1]")
        var_a, var_b = baseline * (1 - baseline), treated * (1 - treated)
    elif kind == "rate":
        var_a, var_b = baseline, max(treated, 0.0)
    else:
        var_a = var_b = float(sd) ** 2
    return var_b / baseline**2 + var_a * treated**2 / baseline**4


def power(
    n_per_variant: float,
    baseline: float,
    lift: float,
    *,
    kind: MetricKind = "proportion",
    sd: float | None = None,
    alpha: float = 0.05,
    variants: int = 2,
) -> float:
    """Chance that a challenger with this true relative lift comes out significant."""
    _check(baseline, kind, sd, alpha, variants)
    if n_per_variant <= 0 or lift == 0:
        return alpha / (variants - 1) if lift == 0 else 0.0
    z = special.ndtri(1 - alpha / (variants - 1) / 2)
    signal = abs(lift) / math.sqrt(unit_variance(baseline, lift, kind, sd) / n_per_variant)
    return float(special.ndtr(signal - z) + special.ndtr(-signal - z))


def sample_size(
    baseline: float,
    lift: float,
    *,
    kind: MetricKind = "proportion",
    sd: float | None = None,
    alpha: float = 0.05,
    power_target: float = 0.8,
    variants: int = 2,
) -> int:
    """Units per option to detect `lift` (relative, e.g. 0.1 for +10 %) with `power_target`."""
    _check(baseline, kind, sd, alpha, variants)
    if lift == 0 or not 0 < power_target < 1:
        raise OptionError("lift must be non-zero and power_target in (0, 1)")
    z = special.ndtri(1 - alpha / (variants - 1) / 2) + special.ndtri(power_target)
    return math.ceil(z**2 * unit_variance(baseline, lift, kind, sd) / lift**2)


def minimum_detectable_effect(
    n_per_variant: float,
    baseline: float,
    *,
    kind: MetricKind = "proportion",
    sd: float | None = None,
    alpha: float = 0.05,
    power_target: float = 0.8,
    variants: int = 2,
) -> float:
    """Smallest positive relative lift detected with `power_target` at this many units per option."""
    _check(baseline, kind, sd, alpha, variants)
    if n_per_variant <= 0:
        raise OptionError(f"n_per_variant must be positive, got {n_per_variant}")
    upper = (1 / baseline - 1) if kind == "proportion" else 1e6

    def gap(lift: float) -> float:
        return (
            power(n_per_variant, baseline, lift, kind=kind, sd=sd, alpha=alpha, variants=variants)
            - power_target
        )

    if gap(upper) < 0:
        raise OptionError("no lift is detectable with that few units")
    return float(optimize.brentq(gap, 1e-9, upper, xtol=1e-10))
