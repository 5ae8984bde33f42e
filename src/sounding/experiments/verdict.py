"""The decision rule that turns the numbers into one sentence.

In order (first match wins):
1. Not enough data - an option has no units, no option has any success/event, or (means) an
   option has fewer than 2 observations or no variation.
2. Winner - the leader (highest P(best)) has P(best) >= 95 % AND the difference is significant
   after Holm's correction: a leading challenger beats control (adjusted p < alpha, lift > 0), or a
   leading control beats every challenger (all adjusted p < alpha, all lifts < 0). In sequential
   mode the p-values are the always-valid ones, so the rule may be checked after every post.
3. No meaningful difference - every challenger's lift interval lies within +-min_effect (5 %).
4. Keep testing - with an estimate of how many more units per option would make the interval
   either exclude 0 or fit within +-min_effect, whichever comes first (see `more_needed`).
A sample-ratio-mismatch p-value below 0.001 adds a warning to any verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize, special

from sounding.experiments.formatting import (
    interval,
    points,
    points_interval,
    probability,
    round_up,
    signed_percent,
)
from sounding.experiments.frequentist import difference_and_variance, sequence_half_width
from sounding.experiments.statistics import Statistic

Decision = Literal["winner", "keep_testing", "no_difference", "not_enough_data"]
P_BEST_THRESHOLD = 0.95
SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    text: str
    winner: str | None = None
    more_per_variant: int | None = None


def not_enough_data(reason: str) -> Verdict:
    return Verdict("not_enough_data", f"Not enough data: {reason}")


def decide(
    names: Sequence[str],
    metric: str,
    p_best: np.ndarray,
    lift: Sequence[float | None],
    lift_low: np.ndarray,
    lift_high: np.ndarray,
    p_adjusted: np.ndarray,
    *,
    alpha: float,
    min_effect: float,
    more: int,
    unit: str,
    difference: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    verb: str = "wins on",
) -> Verdict:
    """Apply rules 2-4; index 0 is control, `more` is the keep-testing estimate per option.

    `difference` (estimate, low, high of p_b - p_a, exact mode) is worded beside the lift; `verb`
    is "has the most" for measures where more is not simply better (questions, problems)."""
    leader = int(np.argmax(p_best))
    challengers = range(1, len(names))
    best_challenger = max(challengers, key=lambda i: p_best[i])
    signed = np.array([0.0 if v is None else v for v in lift]) if difference is None else difference[0]
    if p_best[leader] >= P_BEST_THRESHOLD:
        if leader > 0 and p_adjusted[leader] < alpha and signed[leader] > 0:
            return Verdict(
                "winner",
                f"Option {names[leader]} {verb} {metric} (P(best) {probability(p_best[leader])}, "
                f"{_difference_words(leader, difference)}{_lift_words(leader, lift, lift_low, lift_high, metric)})",
                winner=names[leader],
            )
        if leader == 0 and all(p_adjusted[i] < alpha and signed[i] < 0 for i in challengers):
            return Verdict(
                "winner",
                f"Option {names[0]} (control) {verb} {metric} "
                f"(P(best) {probability(p_best[0])}; best challenger {names[best_challenger]}: "
                f"{_difference_words(best_challenger, difference)}"
                f"{_lift_words(best_challenger, lift, lift_low, lift_high, metric)})",
                winner=names[0],
            )
    if all(-min_effect <= lift_low[i] and lift_high[i] <= min_effect for i in challengers):
        details = "; ".join(
            f"{names[i]}: {_lift_words(i, lift, lift_low, lift_high, metric)}" for i in challengers
        )
        return Verdict(
            "no_difference",
            f"No meaningful difference on {metric}: every option is within "
            f"+-{min_effect * 100:g} % of control ({details})",
        )
    lead_word = "leader" if verb == "wins on" else "highest"
    return Verdict(
        "keep_testing",
        f"Keep testing: about {more:,} more {unit} per option to decide "
        f"({lead_word} {names[leader]}, P(best) {probability(p_best[leader])})",
        more_per_variant=more,
    )


def _difference_words(i: int, difference: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> str:
    if difference is None:
        return ""
    est, low, high = difference
    return f"{points(est[i])} {points_interval(low[i], high[i])}, "


def _lift_words(i: int, lift: Sequence[float | None], low: np.ndarray, high: np.ndarray, metric: str) -> str:
    if lift[i] is None:
        return f"control had no {metric}, so no relative lift"
    return f"lift {signed_percent(lift[i])} {interval(low[i], high[i])}"


def more_needed(
    estimate: float,
    variance: float,
    units: float,
    total: float,
    *,
    alpha: float,
    min_effect: float,
    tuning: float | None,
    comparisons: int = 1,
) -> int:
    """More units per option until the interval excludes 0 or fits within +-min_effect.

    `estimate`/`variance`/`min_effect` are in one scale (relative lift, or absolute difference in
    exact mode); with `comparisons` p-values corrected together the z is Bonferroni's (Holm's first
    step), so the advice matches the corrected verdict.

    The interval's half-width shrinks as 1/sqrt(n) (fixed horizon) or as the confidence sequence's
    width (sequential, when `tuning` is given). We scale the current sample by the factor that brings
    the half-width down to max(|lift|, min_effect - |lift|), assuming the current estimate holds.
    At least 10 % more.
    """
    target = max(abs(estimate), min_effect - abs(estimate))
    if tuning is not None:

        def gap(log_c: float) -> float:
            c = np.exp(log_c)
            return float(sequence_half_width(variance / c, total * c, alpha, tuning)) - target

        factor = np.exp(optimize.brentq(gap, -20.0, 40.0)) if gap(40.0) < 0 < gap(-20.0) else 1.0
    else:
        half = special.ndtri(1 - alpha / (2 * max(comparisons, 1))) * np.sqrt(variance)
        factor = (half / target) ** 2
    return round_up(units * (max(factor, 1.1) - 1))


def more_per_option(
    p_best: np.ndarray,
    stat: Statistic,
    alpha: float,
    min_effect: float,
    tuning: float | None,
    *,
    relative: bool,
    comparisons: int,
) -> int:
    """Keep-testing estimate: the larger need of (leader vs control) and (leader vs runner-up).

    In exact mode (`relative` False) the absolute difference is projected, with min_effect taken
    relative to the pair's baseline, so the advice follows the interval the report shows."""
    order = np.argsort(-p_best, kind="stable")
    leader, runner_up = int(order[0]), int(order[1])
    pairs = {(leader, runner_up)} | ({(leader, 0)} if leader != 0 else set())
    need = 0
    for b, a in pairs:
        base = float(stat.mean[a])
        if base == 0:
            continue
        est, variance, valid = difference_and_variance(stat.take(a), stat.take(b), relative)
        if valid:
            need = max(
                need,
                more_needed(
                    float(est[0]),
                    float(variance[0]),
                    float((stat.n[a] + stat.n[b]) / 2),
                    float(stat.n[a] + stat.n[b]),
                    alpha=alpha,
                    min_effect=min_effect if relative else min_effect * base,
                    tuning=tuning,
                    comparisons=comparisons,
                ),
            )
    return need or int(np.ceil(max(stat.n.mean(), 1.0) * 0.1))  # no valid pair (zero variance): 10 % more


def srm_warning(p_value: float | None) -> str | None:
    if p_value is None or p_value >= SRM_THRESHOLD:
        return None
    shown = "< 0.0001" if p_value < 1e-4 else f"= {p_value:.2g}"
    return (
        f"Sample ratio mismatch (p {shown}): the options got a different share of units than "
        "planned; check how they were posted before trusting this result."
    )
