"""Exact P(best), expected loss and ratio quantiles against seeded Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest

from sounding.experiments import poll_results
from sounding.experiments.posteriors import beta_posteriors, gamma_posteriors, normal_posteriors
from sounding.experiments.quadrature import best_of, ratio_quantiles

CASES = {
    "typical": beta_posteriors(np.array([100, 130, 120]), np.array([1000, 1000, 1000])),
    "tiny": beta_posteriors(np.array([0, 1, 2, 0]), np.array([3, 10, 4, 1])),
    "lopsided": beta_posteriors(np.array([100_000, 30, 2]), np.array([1_000_000, 250, 10])),
    "rates": gamma_posteriors(np.array([0, 5, 50]), np.array([1.0, 3.0, 20.0])),
    "normal": normal_posteriors(np.array([5.0, 5.2, 4.9]), np.array([0.1, 0.15, 0.05])),
}


def _draws(post, size=400_000):
    rng = np.random.default_rng(7)
    if post.family == "beta":
        return rng.beta(post.a, post.b, size=(size, len(post)))
    if post.family == "gamma":
        return rng.gamma(post.a, 1 / post.b, size=(size, len(post)))
    return rng.normal(post.a, post.b, size=(size, len(post)))


@pytest.mark.parametrize("name", CASES)
def test_best_of_matches_monte_carlo(name):
    post = CASES[name]
    p_best, loss = best_of(post)
    draws = _draws(post)
    assert p_best.sum() == pytest.approx(1.0, abs=1e-7)
    mc_best = np.bincount(draws.argmax(axis=1), minlength=len(post)) / len(draws)
    np.testing.assert_allclose(p_best, mc_best, atol=3e-3)
    mc_loss = (draws.max(axis=1)[:, None] - draws).mean(axis=0)
    np.testing.assert_allclose(loss, mc_loss, atol=3e-3 * max(1.0, float(np.abs(mc_loss).max())))


def test_best_of_is_deterministic_and_symmetric():
    post = beta_posteriors(np.array([5, 5, 5]), np.array([50, 50, 50]))
    first, _ = best_of(post)
    second, _ = best_of(post)
    assert np.array_equal(first, second)
    np.testing.assert_allclose(first, 1 / 3, atol=1e-9)


@pytest.mark.parametrize("name", ["typical", "tiny", "lopsided", "rates"])
def test_ratio_quantiles_match_monte_carlo(name):
    post = CASES[name]
    q = ratio_quantiles(post.take(0), post.take(np.arange(1, len(post))), np.array([0.025, 0.5, 0.975]))
    draws = _draws(post)
    ratios = draws[:, 1:] / draws[:, :1]
    expected = np.quantile(ratios, [0.025, 0.5, 0.975], axis=0).T
    np.testing.assert_allclose(q, expected, rtol=0.02)


@pytest.mark.parametrize(
    ("control", "variant"),
    [((3, 1), (1_000_000, 395_584)), ((20_000, 2009), (5, 1)), ((5, 0), (1_000_000, 999_999))],
)
def test_ratio_quantiles_when_one_posterior_is_far_narrower(control, variant):
    # Regression: a flat cdf far in the tail once sent the root-finder the wrong way (lift -100 %).
    post = beta_posteriors(np.array([control[1], variant[1]]), np.array([control[0], variant[0]]))
    q = ratio_quantiles(post.take(0), post.take(1), np.array([0.025, 0.975]))[0]
    draws = _draws(post)
    np.testing.assert_allclose(q, np.quantile(draws[:, 1] / draws[:, 0], [0.025, 0.975]), rtol=0.02)


def test_poll_dirichlet_shares_and_most_preferred():
    options = poll_results({"red": 30, "blue": 20, "green": 10})
    assert [o.option for o in options] == ["red", "blue", "green"]
    assert sum(o.share for o in options) == pytest.approx(1.0)
    assert sum(o.p_most_preferred for o in options) == pytest.approx(1.0, abs=1e-7)
    rng = np.random.default_rng(3)
    shares = rng.dirichlet([31, 21, 11], size=400_000)
    mc = np.bincount(shares.argmax(axis=1), minlength=3) / len(shares)
    np.testing.assert_allclose([o.p_most_preferred for o in options], mc, atol=3e-3)
    red = options[0]
    lo, hi = np.quantile(shares[:, 0], [0.025, 0.975])
    assert red.share_ci_low == pytest.approx(lo, abs=3e-3) and red.share_ci_high == pytest.approx(
        hi, abs=3e-3
    )


def test_poll_with_no_votes_is_a_coin_flip():
    options = poll_results({"yes": 0, "no": 0})
    assert [o.p_most_preferred for o in options] == pytest.approx([0.5, 0.5], abs=1e-8)
