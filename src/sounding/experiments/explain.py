"""Plain-words explanations wherever the numbers of one report seem to point different ways.

A verdict rests on two things at once (P(best) >= 95 % and the corrected p-value below alpha), and
the report also shows an interval. These can disagree without anything being wrong - several
measures checked at once, two methods disagreeing at the edge, two options both beating control.
A reader who sees "interval +8 to +40 points" beside "keep testing" deserves the reason, so each
such case gets one sentence. The checks are pure; `analyze` appends them to the verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sounding.experiments.formatting import probability

P_BEST = 0.95


@dataclass(frozen=True)
class Evidence:
    """What one metric's report says, control first (index 0 of every array is control)."""

    names: Sequence[str]
    metric: str
    p_best: np.ndarray
    estimate: np.ndarray  # difference (or lift) vs control; index 0 unused
    p_raw: np.ndarray  # index 0 unused
    p_adjusted: np.ndarray  # index 0 unused
    low: np.ndarray  # interval of the difference (or lift) vs control; index 0 unused
    high: np.ndarray
    comparisons: int  # p-values corrected together (challengers x metrics)
    correction: str  # "Holm" or "BH"
    interval_words: str  # "difference" or "lift"
    neutral: bool = False  # more is not simply better (questions, problems): "higher", not "better"


def p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


def notes(e: Evidence, decision: str, winner: str | None, alpha: float) -> list[str]:
    """One sentence per apparent contradiction among verdict, P(best), interval and adjusted p."""
    out: list[str] = []
    if decision == "no_difference":  # significant-but-small is what that verdict already says
        return out
    leader = int(np.argmax(e.p_best))
    for i in range(1, len(e.names)):
        name, control = e.names[i], e.names[0]
        excludes = e.low[i] > 0 or e.high[i] < 0
        up = e.estimate[i] > 0
        direction = (
            ("is higher" if up else "is lower") if e.neutral else ("looks better" if up else "looks worse")
        )
        if e.p_raw[i] < alpha <= e.p_adjusted[i]:
            out.append(
                f"{name} {direction} than {control} on {e.metric} on its own ({p_text(e.p_raw[i])}), "
                f"but with {e.comparisons} comparisons checked at once ({e.correction}) the evidence is not "
                f"yet enough (adjusted {p_text(e.p_adjusted[i])})"
            )
        elif excludes and e.p_raw[i] >= alpha:
            out.append(
                f"the {e.interval_words} interval of {name} just excludes zero but the test does not "
                f"({p_text(e.p_raw[i])}): the two methods disagree at the edge, so read it as borderline"
            )
        elif not excludes and e.p_adjusted[i] < alpha and name == winner:
            out.append(
                f"{name}'s {e.interval_words} interval still touches zero although the test is "
                f"significant (adjusted {p_text(e.p_adjusted[i])}): a narrow result"
            )
    if (
        decision != "winner"
        and e.p_best[leader] >= P_BEST
        and not any(e.p_raw[i] < alpha for i in range(1, len(e.names)))
    ):
        out.append(
            f"P(best) {probability(e.p_best[leader])} says {e.names[leader]} is probably ahead on "
            f"{e.metric}, but a difference this size could still be chance"
        )
    significant = [i for i in range(1, len(e.names)) if e.p_adjusted[i] < alpha and e.low[i] > 0]
    if decision != "winner" and significant and e.p_best[leader] < P_BEST:
        names = " and ".join(e.names[i] for i in significant)
        verb = "beats" if len(significant) == 1 else "both beat" if len(significant) == 2 else "all beat"
        out.append(
            f"{names} {verb} {e.names[0]} on {e.metric}, but which option is best is not clear yet "
            f"(P(best) of {e.names[leader]} {probability(e.p_best[leader])}, below 95 %)"
        )
    return out
