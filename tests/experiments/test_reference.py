"""The brief's reference numbers (computed with gbstats 0.8.0), reproduced by our own code."""

from __future__ import annotations

import pytest

from sounding.experiments import Proportion, analyze
from sounding.experiments.bayesian import gaussian_effect
from sounding.experiments.frequentist import srm_p_value, ttest
from sounding.experiments.statistics import ProportionStatistic

CONTROL = ProportionStatistic(n=1000, sum=100)
VARIANT = ProportionStatistic(n=1000, sum=130)


def test_bayesian_relative_chance_to_win_and_interval():
    effect = gaussian_effect(CONTROL, VARIANT, relative=True)
    assert float(effect.chance_to_win) == pytest.approx(0.96728, abs=1e-5)
    assert float(effect.ci_low) == pytest.approx(-0.01918, abs=1e-5)
    assert float(effect.ci_high) == pytest.approx(0.61918, abs=1e-5)


def test_ttest_absolute_p_value():
    assert float(ttest(CONTROL, VARIANT, relative=False).p_value) == pytest.approx(0.035411, abs=1e-6)


def test_srm_reference():
    assert srm_p_value([1000, 1050], [0.5, 0.5]) == pytest.approx(0.26946, abs=1e-5)


def test_report_uses_relative_ttest_p_value_and_exact_beta():
    report = analyze([Proportion("A", 1000, 100), Proportion("B", 1000, 130)])
    b = report.variants[1]
    assert b.p_value == pytest.approx(0.0655973, abs=1e-6)  # gbstats TwoSidedTTest, relative
    assert b.lift == pytest.approx(0.3)
    # Exact beta posteriors: the ratio's interval is skewed right, unlike the Gaussian [-1.9 %, +61.9 %].
    assert 0 < b.lift_ci_low < 0.05 and 0.62 < b.lift_ci_high < 0.70
    assert report.srm_p_value == pytest.approx(1.0)
