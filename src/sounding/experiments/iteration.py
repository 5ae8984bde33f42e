"""What to post next: Thompson-sampling shares and a next-round recommendation.

Thompson sampling posts each option with the probability that it is the best (Thompson 1933;
Russo et al., "A Tutorial on Thompson Sampling", 2018). We have P(best) exactly from quadrature, so
the allocation needs no sampling; a floor keeps every option alive so the estimates stay honest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def thompson_allocation(names: Sequence[str], p_best: np.ndarray, floor: float = 0.1) -> dict[str, float]:
    """Share of the next posts per option: P(best), each raised to at least `floor`, summing to 1."""
    k = len(names)
    floor = min(floor, 1.0 / k)
    p = np.asarray(p_best, dtype=float)
    p = p / p.sum() if p.sum() > 0 else np.full(k, 1.0 / k)
    share = floor + (1 - k * floor) * p
    return {name: round(float(s), 4) for name, s in zip(names, share)}


def recommendation(decision: str, control: str, leader: str, unit: str, more: int | None) -> str:
    """One sentence on what to post next, following the verdict."""
    if decision == "winner":
        return f"Make {leader} the new control and test it against a fresh challenger."
    if decision == "no_difference":
        return f"Keep whichever option is easiest to post; next round, try a bolder change against {control}."
    if decision == "keep_testing" and more is not None:
        return (
            f"Keep rotating all options evenly until each has about {more:,} more {unit}; to favour "
            "the leader meanwhile, post by the Thompson shares in next_allocation and pass them as --weights."
        )
    return "Keep rotating all options evenly and analyse again once each has data."
