"""Poll results ("option 1, 2 or 3?"): Dirichlet-multinomial shares.

With a symmetric Dirichlet(prior) prior the posterior of the shares is Dirichlet(prior + votes).
Each share's marginal is Beta(a_i, sum(a) - a_i), giving exact credible intervals. The shares are
G_i / sum(G) for independent G_i ~ Gamma(a_i, 1), so "option i is most preferred" is exactly
"G_i is the largest" - computed by the same quadrature as P(best), no sampling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sounding.experiments.errors import ExperimentDataError, OptionError
from sounding.experiments.posteriors import Posteriors
from sounding.experiments.quadrature import best_of


@dataclass(frozen=True)
class PollOption:
    option: str
    votes: int
    share: float  # posterior mean share
    share_ci_low: float
    share_ci_high: float
    p_most_preferred: float


def poll_results(votes: Mapping[str, int], *, prior: float = 1.0, alpha: float = 0.05) -> list[PollOption]:
    """Shares with credible intervals and P(most preferred), in the order given."""
    if len(votes) < 2:
        raise ExperimentDataError(f"a poll needs at least two options, got {len(votes)}")
    for option, count in votes.items():
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
            raise ExperimentDataError(
                f"must be a non-negative whole number, got {count!r}", variant=option, field="votes"
            )
    if not prior > 0:
        raise OptionError(f"prior must be positive, got {prior}")
    a = np.array(list(votes.values()), dtype=float) + prior
    marginals = Posteriors("beta", a, a.sum() - a)
    low, high = marginals.ppf(alpha / 2), marginals.ppf(1 - alpha / 2)
    p_most, _ = best_of(Posteriors("gamma", a, np.ones_like(a)))
    return [
        PollOption(option, int(count), float(m), float(lo), float(hi), float(p))
        for option, count, m, lo, hi, p in zip(votes, votes.values(), marginals.mean, low, high, p_most)
    ]
