"""Summable statistic objects, the input of every test (the shape of gbstats' `ProportionStatistic`
and `SampleMeanStatistic`).

Each holds sufficient statistics as numpy arrays, so one object can stand for one variant, for the
challengers of one experiment, or for 10,000 simulated experiments at once; `a + b` pools two rounds.
The tests only read `n`, `mean` and `variance`, which is why one function serves all three kinds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np


def _array(value: object) -> np.ndarray:
    return np.asarray(value, dtype=float)


class _Summable:
    """Arrays in, arrays kept; `+` adds field by field (rounds of one experiment pool exactly)."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            object.__setattr__(self, f.name, _array(getattr(self, f.name)))

    def __add__(self, other: _Summable):
        if type(other) is not type(self):
            return NotImplemented
        return type(self)(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))  # type: ignore[arg-type]

    def take(self, index: int | slice | np.ndarray):
        """The statistic of some variants (last axis), e.g. `stat.take(0)` is control."""
        return type(self)(*(np.atleast_1d(getattr(self, f.name)[..., index]) for f in fields(self)))  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class ProportionStatistic(_Summable):
    """`sum` successes out of `n` units; per-unit variance p(1 - p), the population form gbstats uses."""

    n: np.ndarray
    sum: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.n > 0, self.sum / np.where(self.n > 0, self.n, 1), 0.0)

    @property
    def variance(self) -> np.ndarray:
        return self.mean * (1.0 - self.mean)


@dataclass(frozen=True, eq=False)
class SampleMeanStatistic(_Summable):
    """n, sum and sum of squares; sample variance (n - 1 denominator), 0 below two units."""

    n: np.ndarray
    sum: np.ndarray
    sum_squares: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return np.where(self.n > 0, self.sum / np.where(self.n > 0, self.n, 1), 0.0)

    @property
    def variance(self) -> np.ndarray:
        n = np.where(self.n > 1, self.n, 2)
        var = (self.sum_squares - self.sum**2 / n) / (n - 1)
        return np.where(self.n > 1, np.maximum(var, 0.0), 0.0)


@dataclass(frozen=True, eq=False)
class RateStatistic(_Summable):
    """`sum` events over `n` units of exposure (hours, thousands of views): Poisson, variance = rate."""

    n: np.ndarray
    sum: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return np.where(self.n > 0, self.sum / np.where(self.n > 0, self.n, 1), 0.0)

    @property
    def variance(self) -> np.ndarray:
        return self.mean


Statistic = ProportionStatistic | SampleMeanStatistic | RateStatistic


def stack(items: Sequence[Statistic]) -> Statistic:
    """One statistic whose last axis runs over `items` (all of one kind): variants of an experiment."""
    kind = type(items[0])
    if any(type(item) is not kind for item in items):
        raise TypeError("cannot stack statistics of different kinds")
    return kind(*(np.stack([getattr(item, f.name) for item in items], axis=-1) for f in fields(kind)))
