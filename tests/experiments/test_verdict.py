"""The decision rule and its plain-words texts."""

from __future__ import annotations

import re

import pytest

from sounding.experiments import Mean, Proportion, Rate, analyze


def test_challenger_wins_with_p_best_and_lift_interval():
    report = analyze([Proportion("A", 20000, 2000), Proportion("B", 20000, 2360)], metric="positive replies")
    assert report.verdict.decision == "winner" and report.verdict.winner == "B"
    assert re.fullmatch(
        r"Option B wins on positive replies \(P\(best\) >99\.9 %, lift \+18 % \[\+\d+ %, \+\d+ %\]\)",
        report.verdict.text,
    ), report.verdict.text
    assert "Make B the new control" in report.recommendation


def test_control_wins_when_every_challenger_is_worse():
    report = analyze(
        [Proportion("A", 20000, 2400), Proportion("B", 20000, 2000), Proportion("C", 20000, 2050)],
        metric="replies",
    )
    assert report.verdict.winner == "A"
    assert report.verdict.text.startswith(
        "Option A (control) wins on replies (P(best) >99.9 %; best challenger C: lift -15 %"
    )


def test_no_meaningful_difference_when_all_intervals_within_min_effect():
    report = analyze([Proportion("A", 300_000, 30_000), Proportion("B", 300_000, 30_150)], metric="clicks")
    assert report.verdict.decision == "no_difference"
    assert report.verdict.text.startswith(
        "No meaningful difference on clicks: every option is within +-5 % of control"
    )
    wider = analyze([Proportion("A", 300_000, 30_000), Proportion("B", 300_000, 30_150)], min_effect=0.01)
    assert wider.verdict.decision == "keep_testing"


def test_keep_testing_estimate_is_about_right():
    small = analyze([Proportion("A", 1000, 100), Proportion("B", 1000, 125)])
    assert small.verdict.decision == "keep_testing"
    more = small.verdict.more_per_variant
    assert re.fullmatch(
        rf"Keep testing: about {more:,} more views per option to decide \(leader B, P\(best\) \d+ %\)"
        r"\. Note: P\(best\) 96 % says B is probably ahead on successes, but a difference this size could "
        r"still be chance\.",
        small.verdict.text,
    ), small.verdict.text
    n = 1000 + int(more * 1.2)  # the same rates with a bit more than the suggested data settle it
    bigger = analyze([Proportion("A", n, round(0.100 * n)), Proportion("B", n, round(0.125 * n))])
    assert bigger.verdict.decision == "winner"
    n = 1000 + int(more * 0.5)
    assert (
        analyze([Proportion("A", n, round(0.100 * n)), Proportion("B", n, round(0.125 * n))]).verdict.decision
        == "keep_testing"
    )


def test_winner_needs_holm_significance_not_just_p_best():
    # P(best) clears 95 % but the relative t-test is not significant: keep testing.
    report = analyze([Proportion("A", 1000, 100), Proportion("B", 1000, 130)])
    assert report.variants[1].p_best > 0.95 and report.variants[1].p_value > 0.05
    assert report.verdict.decision == "keep_testing"


def test_sequential_mode_is_more_conservative():
    variants = [Proportion("A", 5000, 500), Proportion("B", 5000, 575)]
    fixed, sequential = analyze(variants), analyze(variants, sequential=True)
    assert fixed.verdict.decision == "winner"
    assert sequential.verdict.decision == "keep_testing"
    f, s = fixed.variants[1], sequential.variants[1]
    assert s.p_value > f.p_value
    assert s.lift_ci_high - s.lift_ci_low > f.lift_ci_high - f.lift_ci_low
    assert sequential.verdict.more_per_variant > 0


def test_srm_warning_is_added():
    report = analyze([Proportion("A", 10000, 1000), Proportion("B", 11000, 1300)])
    assert report.srm_p_value < 0.001
    assert "Warning: Sample ratio mismatch" in report.verdict.text and report.warnings
    planned = analyze([Proportion("A", 10000, 1000), Proportion("B", 11000, 1300)], weights=[10, 11])
    assert planned.srm_p_value == pytest.approx(1.0) and not planned.warnings


def test_means_and_rates_reach_verdicts():
    means = analyze(
        [Mean("A", 400, 2000.0, 14000.0), Mean("B", 400, 2400.0, 19000.0)], metric="seconds watched"
    )
    assert means.verdict.winner == "B" and "seconds watched" in means.verdict.text
    rates = analyze([Rate("A", 100.0, 50), Rate("B", 100.0, 95)], metric="replies per hour")
    assert rates.verdict.winner == "B" and rates.srm_p_value is None


def test_multi_variant_p_values_are_holm_adjusted():
    report = analyze([Proportion(n, 5000, s) for n, s in (("A", 500), ("B", 560), ("C", 540), ("D", 505))])
    raw = [v.p_value for v in report.variants[1:]]
    adjusted = [v.p_value_adjusted for v in report.variants[1:]]
    order = sorted(range(3), key=lambda i: raw[i])
    assert adjusted[order[0]] == pytest.approx(min(1.0, 3 * raw[order[0]]))
    assert all(a >= r for a, r in zip(adjusted, raw))
    assert sum(v.p_best for v in report.variants) == pytest.approx(1.0, abs=1e-7)
    assert sum(report.next_allocation.values()) == pytest.approx(1.0, abs=1e-3)
    assert min(report.next_allocation.values()) >= 0.1 - 1e-9


def test_corrections_across_metrics():
    from sounding.experiments import analyze_metrics

    metrics = {
        "replies": [Proportion("A", 4000, 400), Proportion("B", 4000, 490)],
        "likes": [Proportion("A", 4000, 800), Proportion("B", 4000, 830)],
        "shares": [Proportion("A", 4000, 100), Proportion("B", 4000, 104)],
    }
    single = {name: analyze(v, metric=name).variants[1].p_value for name, v in metrics.items()}
    joint = {r.metric: r for r in analyze_metrics(metrics)}
    ordered = sorted(single, key=single.get)
    assert joint[ordered[0]].variants[1].p_value_adjusted == pytest.approx(
        3 * single[ordered[0]]
    )  # Holm step 1
    assert all(joint[m].variants[1].p_value == pytest.approx(single[m]) for m in metrics)
    # replies is clearly significant and stays so after correcting over 3 metrics
    assert joint["replies"].verdict.winner == "B"
    bh = {r.metric: r for r in analyze_metrics(metrics, method="bh")}
    assert bh["replies"].variants[1].p_value_adjusted <= joint["replies"].variants[1].p_value_adjusted
