"""The small-count path: Barnard's exact test, Newcombe's interval, the switch rule, issue 11's example."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sounding.experiments import Proportion, analyze, analyze_metrics
from sounding.experiments.exact import EXACT_MAX_UNITS, barnard_p, newcombe, uses_exact
from sounding.experiments.statistics import ProportionStatistic, SampleMeanStatistic, stack


def test_barnard_matches_scipy_on_random_tables_including_the_shared_cache():
    rng = np.random.default_rng(3)
    for _ in range(40):
        n_a, n_b = (int(x) for x in rng.integers(1, 40, size=2))
        s_a, s_b = int(rng.integers(0, n_a + 1)), int(rng.integers(0, n_b + 1))
        expected = stats.barnard_exact([[s_b, s_a], [n_b - s_b, n_a - s_a]]).pvalue
        if s_a + s_b in (0, n_a + n_b):
            expected = 1.0  # scipy gives nan: no information
        assert barnard_p(s_a, n_a, s_b, n_b) == pytest.approx(expected, abs=1e-9), (s_a, n_a, s_b, n_b)
    for s_a, s_b in [(13, 28), (28, 13)]:  # equal sizes share one cached value
        assert barnard_p(s_a, 60, s_b, 60) == pytest.approx(0.004457093, abs=1e-8)


def test_newcombe_matches_statsmodels():
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    for s_a, n_a, s_b, n_b in [(13, 60, 28, 60), (0, 20, 3, 20), (20, 20, 15, 25), (5, 200, 9, 180)]:
        low, high = proportion.confint_proportions_2indep(
            s_b, n_b, s_a, n_a, method="newcomb", compare="diff"
        )
        assert newcombe(s_a, n_a, s_b, n_b) == pytest.approx((low, high), abs=1e-12)


def test_the_switch_rule():
    assert uses_exact(np.array([200, 200]), kind="proportion", sequential=False)
    assert not uses_exact(np.array([200, EXACT_MAX_UNITS + 1]), kind="proportion", sequential=False)
    assert not uses_exact(np.array([60, 60]), kind="proportion", sequential=True)  # always-valid instead
    assert not uses_exact(np.array([60, 60]), kind="mean", sequential=False)
    small = analyze([Proportion("A", 200, 40), Proportion("B", 200, 60)])
    large = analyze([Proportion("A", 201, 40), Proportion("B", 201, 60)])
    assert (small.test, large.test) == ("barnard_exact", "welch_relative")
    assert small.variants[1].p_value == pytest.approx(barnard_p(40, 200, 60, 200))


def test_issue_example_four_measures_holm_says_b_is_ahead():
    """28 of 60 people vs 13 of 60 replied positively; three other measures with no clear difference."""
    metrics = {
        "positive replies": [Proportion("A", 60, 13), Proportion("B", 60, 28)],
        "questions": [Proportion("A", 60, 9), Proportion("B", 60, 6)],
        "suggestions": [Proportion("A", 60, 4), Proportion("B", 60, 7)],
        "problems": [Proportion("A", 60, 5), Proportion("B", 60, 3)],
    }
    reports = {
        r.metric: r
        for r in analyze_metrics(metrics, method="holm", units={m: "people who replied" for m in metrics})
    }
    positive = reports["positive replies"]
    b = positive.variants[1]
    assert 0.004 <= b.p_value <= 0.007  # what the issue measured with Barnard / Boschloo / Fisher
    assert b.p_value_adjusted == pytest.approx(4 * b.p_value)  # smallest of four, Holm
    assert positive.verdict.decision == "winner" and positive.verdict.winner == "B"
    assert positive.verdict.text.startswith(
        "Option B wins on positive replies (P(best) 99.8 %, +25 points [+8.0, +40]"
    )
    assert b.difference_ci_low > 0 and b.lift_ci_low > 0  # interval, p and verdict all agree
    for name in ("questions", "suggestions", "problems"):
        assert reports[name].verdict.decision == "keep_testing"
        assert "more people who replied per option" in reports[name].verdict.text
        assert "views" not in reports[name].verdict.text


def test_statistics_sum_across_rounds():
    one, two = ProportionStatistic(60, 13), ProportionStatistic(40, 7)
    pooled = one + two
    assert (float(pooled.n), float(pooled.sum)) == (100, 20) and float(pooled.mean) == pytest.approx(0.2)
    rounds = Proportion("A", 60, 13) + Proportion("A", 40, 7)
    assert (rounds.exposures, rounds.successes) == (100, 20)
    mean = SampleMeanStatistic([3, 2], [6.0, 5.0], [14.0, 13.0])
    total = mean.take(0) + mean.take(1)
    assert float(total.n[0]) == 5 and float(total.variance[0]) == pytest.approx((27 - 121 / 5) / 4)
    both = stack([one, two])
    assert both.n.tolist() == [60, 40] and both.take(1).sum.tolist() == [7]
