"""Every way the numbers of one report can seem to point different ways gets a plain-words note."""

from __future__ import annotations

from sounding.experiments import Proportion, analyze, analyze_metrics


def test_interval_excludes_zero_but_adjusted_p_is_not_significant():
    """B alone is clearly ahead (exact p 0.013, interval above zero), but eight comparisons are checked."""
    metrics = {
        "positive replies": [Proportion("A", 40, 6), Proportion("B", 40, 16)],
        **{f"measure {k}": [Proportion("A", 40, 8), Proportion("B", 40, 9)] for k in range(7)},
    }
    report = analyze_metrics(metrics)[0]
    b = report.variants[1]
    assert b.difference_ci_low > 0 and b.p_value < 0.05 <= b.p_value_adjusted
    assert report.verdict.decision == "keep_testing"
    assert (
        "B looks better than A on positive replies on its own (p = 0.013), but with 8 comparisons checked "
        "at once (Holm) the evidence is not yet enough (adjusted p = 0.1)"
    ) in report.verdict.text
    assert report.notes and report.notes[0] in report.verdict.text


def test_interval_excludes_zero_but_the_exact_test_does_not():
    report = analyze([Proportion("A", 20, 4), Proportion("B", 20, 10)], metric="positive replies")
    b = report.variants[1]
    assert b.difference_ci_low > 0 and b.p_value >= 0.05
    assert (
        "the difference interval of B just excludes zero but the test does not (p = 0.053)"
        in report.verdict.text
    )
    assert "read it as borderline" in report.verdict.text


def test_winner_whose_interval_still_touches_zero():
    report = analyze([Proportion("A", 20, 0), Proportion("B", 20, 4)], metric="positive replies")
    b = report.variants[1]
    assert report.verdict.winner == "B" and b.difference_ci_low <= 0 and b.p_value_adjusted < 0.05
    assert (
        "B's difference interval still touches zero although the test is significant" in report.verdict.text
    )
    assert "a narrow result" in report.verdict.text


def test_high_p_best_without_significance():
    report = analyze([Proportion("A", 1000, 100), Proportion("B", 1000, 125)], metric="replies")
    assert report.variants[1].p_best >= 0.95 and report.variants[1].p_value >= 0.05
    assert (
        "P(best) 96 % says B is probably ahead on replies, but a difference this size could still be chance"
        in (report.verdict.text)
    )


def test_two_challengers_both_beat_control_but_neither_is_best_yet():
    report = analyze(
        [Proportion("A", 60, 8), Proportion("B", 60, 25), Proportion("C", 60, 24)], metric="positive replies"
    )
    assert all(v.p_value_adjusted < 0.05 for v in report.variants[1:])
    assert max(v.p_best for v in report.variants) < 0.95 and report.verdict.decision == "keep_testing"
    assert (
        "B and C both beat A on positive replies, but which option is best is not clear yet"
        in report.verdict.text
    )


def test_consistent_numbers_get_no_note():
    report = analyze([Proportion("A", 60, 13), Proportion("B", 60, 28)], metric="positive replies")
    assert report.verdict.winner == "B" and report.notes == () and "Note:" not in report.verdict.text


def test_measures_where_more_is_not_better_say_higher_not_better():
    metrics = {
        "questions": [Proportion("A", 40, 6), Proportion("B", 40, 16)],
        **{f"measure {k}": [Proportion("A", 40, 8), Proportion("B", 40, 9)] for k in range(7)},
    }
    report = analyze_metrics(metrics, neutral=["questions"])[0]
    assert "B is higher than A on questions on its own (p = 0.013)" in report.verdict.text
    assert "better" not in report.verdict.text
