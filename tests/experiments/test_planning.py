"""Power analysis and the posting rotation."""

from __future__ import annotations

import numpy as np
import pytest

from sounding.experiments import (
    Proportion,
    analyze,
    is_balanced,
    minimum_detectable_effect,
    power,
    rotation_schedule,
    sample_size,
)
from sounding.experiments.schedule import balance


def test_sample_size_matches_textbook_formula():
    # Two-sided 5 %, 80 % power, 10 % -> 11 %: the delta-method relative test needs ~16k per arm.
    n = sample_size(0.10, 0.10)
    assert 15_000 < n < 17_000
    assert power(n, 0.10, 0.10) == pytest.approx(0.80, abs=0.005)
    assert minimum_detectable_effect(n, 0.10) == pytest.approx(0.10, rel=0.01)
    assert sample_size(0.10, 0.10, variants=3) > n  # Bonferroni for two challengers
    assert sample_size(5.0, 0.05, kind="mean", sd=10.0) > 0
    assert sample_size(2.0, 0.1, kind="rate") > 0


def test_power_matches_simulation_of_the_real_test():
    n, base, lift = 4000, 0.10, 0.15
    rng = np.random.default_rng(11)
    wins = 0
    trials = 300
    for _ in range(trials):
        a, b = rng.binomial(n, base), rng.binomial(n, base * (1 + lift))
        report = analyze([Proportion("A", n, int(a)), Proportion("B", n, int(b))])
        wins += report.variants[1].p_value < 0.05
    assert wins / trials == pytest.approx(power(n, base, lift), abs=0.08)


def test_planner_rejects_impossible_inputs():
    with pytest.raises(ValueError):
        sample_size(1.5, 0.1)
    with pytest.raises(ValueError):
        sample_size(0.6, 1.0)  # 120 % is not a rate
    with pytest.raises(ValueError):
        sample_size(5.0, 0.1, kind="mean")  # needs sd
    with pytest.raises(ValueError):
        power(100, 0.1, 0.1, variants=1)


def test_rotation_is_balanced_over_full_cycles():
    variants, slots, platforms = ["A", "B", "C"], ["09:00", "13:00", "19:00"], ["x", "linkedin"]
    schedule = rotation_schedule(variants, slots, platforms, days=6)
    assert len(schedule) == 6 * 3 * 2
    assert is_balanced(schedule)
    counts = balance(schedule)
    assert set(counts["slot"].values()) == {4} and set(counts["platform"].values()) == {6}
    # Within a day no slot repeats a variant on one platform, and platforms differ within a slot.
    day0 = [p for p in schedule if p.day == 0]
    assert len({p.variant for p in day0 if p.platform == "x"}) == 3
    assert len({p.variant for p in day0 if p.slot == "09:00"}) == 2
    assert not is_balanced(rotation_schedule(variants, slots, platforms, days=4))


def test_rotation_rejects_bad_input():
    with pytest.raises(ValueError):
        rotation_schedule(["A"], ["09:00"])
    with pytest.raises(ValueError):
        rotation_schedule(["A", "A"], ["09:00"])
    with pytest.raises(ValueError):
        rotation_schedule(["A", "B"], [])
