"""Per-variant sufficient statistics: the only input the statistics need.

Three metric kinds, as in gbstats: proportions (views, positive replies), means (n, sum, sum of
squares) and rates (count over exposure time, e.g. replies per hour). Each record validates
itself so a bad spreadsheet cell fails loudly, naming the variant and the field.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sounding.experiments.errors import ExperimentDataError
from sounding.experiments.statistics import (
    ProportionStatistic,
    RateStatistic,
    SampleMeanStatistic,
    Statistic,
    stack,
)

MetricKind = Literal["proportion", "mean", "rate"]


def _check_number(variant: str, field: str, value: float, *, integer: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):  # numpy and pandas scalars too
        raise ExperimentDataError(f"must be a number, got {value!r}", variant=variant, field=field)
    if not math.isfinite(value):
        raise ExperimentDataError(f"must be finite, got {value!r}", variant=variant, field=field)
    if integer and value != int(value):
        raise ExperimentDataError(f"must be a whole number, got {value!r}", variant=variant, field=field)


def _check_count(variant: str, field: str, value: float, *, integer: bool = True) -> None:
    _check_number(variant, field, value, integer=integer)
    if value < 0:
        raise ExperimentDataError(f"must not be negative, got {value!r}", variant=variant, field=field)


@dataclass(frozen=True, slots=True)
class Proportion:
    """`successes` of `exposures` units converted (e.g. 130 positive replies out of 1,000 views)."""

    variant: str
    exposures: int
    successes: int

    def __post_init__(self) -> None:
        _check_count(self.variant, "exposures", self.exposures)
        _check_count(self.variant, "successes", self.successes)
        if self.successes > self.exposures:
            raise ExperimentDataError(
                f"successes ({self.successes}) exceed exposures ({self.exposures})",
                variant=self.variant,
                field="successes",
            )

    @property
    def units(self) -> float:
        return float(self.exposures)

    @property
    def mean(self) -> float:
        return self.successes / self.exposures if self.exposures else 0.0

    @property
    def variance(self) -> float:
        """Per-unit variance p(1-p), the same (population) form gbstats uses."""
        return self.mean * (1.0 - self.mean)

    def statistic(self) -> ProportionStatistic:
        return ProportionStatistic(self.exposures, self.successes)

    def __add__(self, other: Proportion) -> Proportion:
        """Two rounds of the same variant pooled."""
        return Proportion(self.variant, self.exposures + other.exposures, self.successes + other.successes)


@dataclass(frozen=True, slots=True)
class Mean:
    """A continuous metric given as n, sum and sum of squares (e.g. seconds watched per view)."""

    variant: str
    n: int
    sum: float
    sum_squares: float

    def __post_init__(self) -> None:
        _check_count(self.variant, "n", self.n)
        _check_number(self.variant, "sum", self.sum)
        _check_count(self.variant, "sum_squares", self.sum_squares, integer=False)
        if self.n == 0 and (self.sum != 0 or self.sum_squares != 0):
            raise ExperimentDataError("is non-zero while n is 0", variant=self.variant, field="sum")
        # Cauchy-Schwarz: sum^2 <= n * sum_squares, up to rounding in the spreadsheet.
        if self.n and self.sum**2 > self.n * self.sum_squares * (1 + 1e-9) + 1e-12:
            raise ExperimentDataError(
                "is too small for the given sum and n (negative variance)",
                variant=self.variant,
                field="sum_squares",
            )

    @property
    def units(self) -> float:
        return float(self.n)

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n else 0.0

    @property
    def variance(self) -> float:
        """Sample variance (n-1 denominator), as gbstats' SampleMeanStatistic; 0 below 2 units."""
        if self.n <= 1:
            return 0.0
        return max((self.sum_squares - self.sum**2 / self.n) / (self.n - 1), 0.0)

    def statistic(self) -> SampleMeanStatistic:
        return SampleMeanStatistic(self.n, self.sum, self.sum_squares)

    def __add__(self, other: Mean) -> Mean:
        return Mean(
            self.variant, self.n + other.n, self.sum + other.sum, self.sum_squares + other.sum_squares
        )


@dataclass(frozen=True, slots=True)
class Rate:
    """`count` events over `exposure_time` (hours, days, thousands of views...): a Poisson rate."""

    variant: str
    exposure_time: float
    count: int

    def __post_init__(self) -> None:
        _check_count(self.variant, "exposure_time", self.exposure_time, integer=False)
        _check_count(self.variant, "count", self.count)
        if self.exposure_time == 0 and self.count > 0:
            raise ExperimentDataError(
                "is 0 but count is positive", variant=self.variant, field="exposure_time"
            )

    @property
    def units(self) -> float:
        return float(self.exposure_time)

    @property
    def mean(self) -> float:
        return self.count / self.exposure_time if self.exposure_time else 0.0

    @property
    def variance(self) -> float:
        """Poisson: the variance of the count per unit of exposure equals the rate."""
        return self.mean

    def statistic(self) -> RateStatistic:
        return RateStatistic(self.exposure_time, self.count)

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.variant, self.exposure_time + other.exposure_time, self.count + other.count)


VariantData = Proportion | Mean | Rate
KIND_OF: dict[type, MetricKind] = {Proportion: "proportion", Mean: "mean", Rate: "rate"}


def statistic_of(variants: Sequence[VariantData]) -> Statistic:
    """The variants (control first) as one statistic whose arrays run over the variants."""
    return stack([v.statistic() for v in variants])


def validate_experiment(variants: Sequence[VariantData]) -> MetricKind:
    """Check the variants form one experiment (>= 2 options, one metric kind, unique names)."""
    if len(variants) < 2:
        raise ExperimentDataError(
            f"need at least two variants (a control and a challenger), got {len(variants)}"
        )
    kinds = {KIND_OF[type(v)] for v in variants}
    if len(kinds) != 1:
        raise ExperimentDataError(f"all variants must use the same metric kind, got {sorted(kinds)}")
    seen: set[str] = set()
    for v in variants:
        if not v.variant:
            raise ExperimentDataError("variant name is empty", field="variant")
        if v.variant in seen:
            raise ExperimentDataError("appears twice", variant=v.variant, field="variant")
        seen.add(v.variant)
    return kinds.pop()
