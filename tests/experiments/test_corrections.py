"""Holm and Benjamini-Hochberg corrections, and the sample-ratio-mismatch check."""

from __future__ import annotations

import numpy as np
import pytest

from sounding.experiments.frequentist import adjust_p_values, srm_p_value


def test_holm_and_bh_worked_example():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjust_p_values(p, "holm"), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(adjust_p_values(p, "bh"), [0.02, 0.04, 0.04, 0.02])


def test_corrections_match_statsmodels():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    rng = np.random.default_rng(5)
    for size in (1, 2, 5, 11):  # few calls: statsmodels' Holm runs gc.collect() each time
        p = rng.uniform(0, 1, size=size) ** 3
        for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh")):
            np.testing.assert_allclose(
                adjust_p_values(p, ours), multitest.multipletests(p, method=theirs)[1], atol=1e-12
            )


def test_corrections_keep_order_and_bounds():
    p = np.array([0.2, 0.001, 0.9, 0.04])
    for method in ("holm", "bh"):
        adjusted = adjust_p_values(p, method)
        assert np.all(adjusted >= p) and np.all(adjusted <= 1)
    assert adjust_p_values(np.array([]), "holm").size == 0


def test_srm_detects_mismatch_and_respects_weights():
    assert srm_p_value([1000, 1050]) == pytest.approx(0.26946, abs=1e-5)
    assert srm_p_value([1000, 1200]) < 0.001
    assert srm_p_value([1000, 2000], [1, 2]) == pytest.approx(1.0)
    assert srm_p_value([0, 0, 0]) == 1.0
    # A variant planned at weight 0 is left out of the statistic but counted in the degrees of freedom.
    assert 0 < srm_p_value([500, 500, 10], [1, 1, 0]) <= 1


def test_corrections_work_along_the_last_axis():
    rows = np.array([[0.01, 0.04, 0.03, 0.005], [0.5, 0.01, 0.2, 0.9]])
    for method in ("holm", "bh"):
        stacked = adjust_p_values(rows, method)
        for row, adjusted in zip(rows, stacked):
            np.testing.assert_allclose(adjusted, adjust_p_values(row, method))
