"""Bayesian summaries: P(best), expected loss, lift credible intervals, gbstats' Gaussian model.

* Proportions: beta-binomial, exact posteriors (Beta(1, 1) prior).
* Rates: gamma-Poisson, exact posteriors (flat Gamma(1, 0) prior).
* Means: flat-prior normal posteriors, the large-sample model gbstats uses.
P(best) and expected loss come from deterministic quadrature (`quadrature.best_of`); the lift
interval for proportions and rates is the exact posterior of theta_b / theta_a - 1, and for means
the delta-method normal of gbstats' `EffectBayesianABTest` (flat prior, relative difference).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from sounding.experiments.frequentist import difference_and_variance
from sounding.experiments.posteriors import Posteriors
from sounding.experiments.quadrature import best_of, ratio_quantiles
from sounding.experiments.statistics import Statistic


@dataclass(frozen=True)
class GaussianEffect:
    """gbstats `EffectBayesianABTest` with its default flat prior, vectorised.

    `risk_control` / `risk_variant`: expected loss of shipping control / the variant, in the units
    of the difference. `valid` False mirrors gbstats' uninformative default (chance 0.5, CI [0, 0]).
    """

    expected: np.ndarray
    sd: np.ndarray
    chance_to_win: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    risk_control: np.ndarray
    risk_variant: np.ndarray
    valid: np.ndarray


def gaussian_effect(
    a: Statistic, b: Statistic, *, relative: bool = True, alpha: float = 0.05
) -> GaussianEffect:
    """Control `a`, treatment `b` (statistic objects): gbstats' effect model with its flat prior."""
    est, var, valid = difference_and_variance(a, b, relative)
    sd = np.sqrt(var)
    z = est / sd
    chance = special.ndtr(z)
    half = special.ndtri(1 - alpha / 2) * sd
    # E[max(d, 0)] and E[max(-d, 0)] for d ~ N(est, sd^2): the normal partial expectations.
    density = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
    risk_control = est * chance + sd * density
    risk_variant = risk_control - est
    return GaussianEffect(
        expected=est,
        sd=np.where(valid, sd, 0.0),
        chance_to_win=np.where(valid, chance, 0.5),
        ci_low=np.where(valid, est - half, 0.0),
        ci_high=np.where(valid, est + half, 0.0),
        risk_control=np.where(valid, risk_control, 0.0),
        risk_variant=np.where(valid, risk_variant, 0.0),
        valid=valid,
    )


@dataclass(frozen=True)
class BayesianSummary:
    """Per variant (control first): P(best), expected loss, and the lift interval vs control."""

    p_best: np.ndarray
    expected_loss: np.ndarray
    lift_ci_low: np.ndarray  # index 0 (control) is 0
    lift_ci_high: np.ndarray


def summarise_exact(post: Posteriors, alpha: float = 0.05) -> BayesianSummary:
    """Beta or gamma posteriors: exact P(best), expected loss, and ratio-based lift intervals."""
    p_best, loss = best_of(post)
    q = ratio_quantiles(
        post.take(0), post.take(np.arange(1, len(post))), np.array([alpha / 2, 1 - alpha / 2])
    )
    return BayesianSummary(p_best, loss, np.r_[0.0, q[:, 0] - 1], np.r_[0.0, q[:, 1] - 1])


def summarise_normal(post: Posteriors, effect: GaussianEffect) -> BayesianSummary:
    """Normal posteriors of the means, with gbstats' relative-effect interval for the lift."""
    p_best, loss = best_of(post)
    return BayesianSummary(p_best, loss, np.r_[0.0, effect.ci_low], np.r_[0.0, effect.ci_high])
