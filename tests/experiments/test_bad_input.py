"""Bad input gives a clear ExperimentDataError (an InputError and a ValueError) naming the variant and
field, or a 'not enough data' verdict."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sounding.errors import InputError
from sounding.experiments import ExperimentDataError, Mean, Proportion, Rate, analyze
from sounding.experiments.csv_input import read_variants


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Proportion("B", -5, 0), "exposures"),
        (lambda: Proportion("B", 100, -1), "successes"),
        (lambda: Proportion("B", 100, 120), "successes"),
        (lambda: Proportion("B", 100.5, 10), "exposures"),
        (lambda: Proportion("B", float("nan"), 10), "exposures"),
        (lambda: Mean("B", 10, 50.0, 100.0), "sum_squares"),
        (lambda: Mean("B", -1, 0.0, 0.0), "n"),
        (lambda: Mean("B", 0, 3.0, 9.0), "sum"),
        (lambda: Rate("B", -2.0, 3), "exposure_time"),
        (lambda: Rate("B", 0.0, 3), "exposure_time"),
        (lambda: Rate("B", 10.0, float("inf")), "count"),
    ],
)
def test_invalid_values_name_variant_and_field(make, field):
    with pytest.raises(ExperimentDataError) as caught:
        make()
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, InputError) and error.exit_code == 3
    assert error.variant == "B" and error.field == field
    assert "'B'" in str(error) and field in str(error)


def test_numpy_scalars_are_accepted_and_strings_are_not():
    report = analyze(
        [Proportion("A", np.int64(1000), np.int64(100)), Proportion("B", np.int64(1000), np.int32(130))]
    )
    assert report.variants[1].lift == pytest.approx(0.3)
    with pytest.raises(ExperimentDataError, match="must be a number"):
        Proportion("A", "1000", 100)
    with pytest.raises(ExperimentDataError, match="must be a number"):
        Proportion("A", True, 1)


def test_single_variant_is_an_error():
    with pytest.raises(ExperimentDataError, match="at least two variants"):
        analyze([Proportion("A", 100, 10)])


def test_duplicate_names_and_mixed_kinds_are_errors():
    with pytest.raises(ExperimentDataError, match="appears twice"):
        analyze([Proportion("A", 100, 10), Proportion("A", 100, 12)])
    with pytest.raises(ExperimentDataError, match="same metric kind"):
        analyze([Proportion("A", 100, 10), Mean("B", 10, 5.0, 5.0)])


@pytest.mark.parametrize(
    ("variants", "reason"),
    [
        ([Proportion("A", 1000, 100), Proportion("B", 0, 0)], "option B has no views"),
        ([Proportion("A", 1000, 0), Proportion("B", 1000, 0)], "no option has any"),
        ([Proportion("A", 0, 0), Proportion("B", 0, 0)], "option A has no views"),
        ([Mean("A", 1, 3.0, 9.0), Mean("B", 50, 100.0, 300.0)], "option A needs at least 2"),
        ([Mean("A", 5, 10.0, 20.0), Mean("B", 50, 100.0, 300.0)], "option A needs at least 2"),
        ([Rate("A", 10.0, 0), Rate("B", 10.0, 0)], "no option has any events"),
        ([Rate("A", 0.0, 0), Rate("B", 10.0, 4)], "option A has no units"),
    ],
)
def test_not_enough_data_verdicts(variants, reason, roundtrip):
    report = analyze(variants)
    assert report.verdict.decision == "not_enough_data"
    assert reason in report.verdict.text
    data = roundtrip(report.to_dict())
    assert all(v["p_best"] is None for v in data["variants"])


def test_identical_values_with_rounding_noise_are_no_variation():
    values = np.full(1000, 44.791)  # sum of squares minus sum^2/n leaves only rounding noise
    noisy = Mean("B", 1000, float(values.sum()), float((values**2).sum()))
    report = analyze([Mean("A", 50, 100.0, 300.0), noisy])
    assert report.verdict.decision == "not_enough_data" and "option B" in report.verdict.text


def test_no_nan_anywhere_over_edge_cases(roundtrip):
    sizes = [0, 1, 2, 10, 1000]
    for n_a, n_b, n_c in itertools.product(sizes, repeat=3):
        for frac in (0.0, 0.5, 1.0):
            variants = [
                Proportion(name, n, int(n * f))
                for name, n, f in (("A", n_a, frac), ("B", n_b, 1 - frac), ("C", n_c, frac))
            ]
            for sequential in (False, True):
                roundtrip(analyze(variants, sequential=sequential).to_dict())
    rng = np.random.default_rng(0)
    for _ in range(40):
        means = []
        for name in "AB":
            n = int(rng.choice([2, 3, 50]))
            values = rng.choice([0.0, 1.0, 7.5], size=n)
            means.append(Mean(name, n, float(values.sum()), float((values**2).sum())))
        roundtrip(analyze(means).to_dict())
    roundtrip(analyze([Rate("A", 5.0, 0), Rate("B", 5.0, 9)]).to_dict())


def test_control_without_successes_has_no_relative_lift(roundtrip):
    report = analyze([Proportion("A", 500, 0), Proportion("B", 500, 25)])
    b = roundtrip(report.to_dict())["variants"][1]
    assert b["lift"] is None
    assert b["p_value"] == 1.0  # gbstats: relative test undefined when control's mean is 0
    assert b["p_best"] > 0.999
    assert report.verdict.decision == "keep_testing"
    assert "A had no successes, so the relative lift and its test are undefined" in report.verdict.text
    # With few units the exact test needs no relative lift: the same shares at 50 views each decide.
    small = analyze([Proportion("A", 50, 0), Proportion("B", 50, 10)])
    assert small.test == "barnard_exact" and small.verdict.winner == "B"
    assert small.variants[1].lift is None and small.variants[1].difference == pytest.approx(0.2)


def test_csv_errors_name_the_cell(tmp_path, fixtures):
    with pytest.raises(ExperimentDataError, match=r"variant 'B', field 'successes'.*exceed"):
        read_variants(fixtures / "bad_successes.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("variant,exposures,successes\nA,100,10\nB,,5\n")
    with pytest.raises(ExperimentDataError, match=r"variant 'B', field 'exposures': is empty"):
        read_variants(bad)
    bad.write_text("variant,exposures,successes\nA,1e3,10\nB,1000,ten\n")
    with pytest.raises(ExperimentDataError, match=r"field 'successes': is not a number"):
        read_variants(bad)
    bad.write_text("variant,views,clicks\nA,100,10\n")
    with pytest.raises(ExperimentDataError, match="no metric format"):
        read_variants(bad)
    bad.write_text("name,exposures,successes\nA,100,10\n")
    with pytest.raises(ExperimentDataError, match="missing column 'variant'"):
        read_variants(bad)
