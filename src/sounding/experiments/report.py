"""`analyze`: one experiment's sufficient statistics in, one JSON-safe report out.

Control is the first variant. Every number in the report is finite; where a quantity is undefined
(e.g. the lift when control has no successes) it is None, never NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from sounding.experiments import bayesian, exact, explain, frequentist, verdict
from sounding.experiments.data import (
    Mean,
    MetricKind,
    Proportion,
    Rate,
    VariantData,
    statistic_of,
    validate_experiment,
)
from sounding.experiments.errors import OptionError
from sounding.experiments.iteration import recommendation, thompson_allocation
from sounding.experiments.posteriors import beta_posteriors, gamma_posteriors, normal_posteriors
from sounding.experiments.statistics import Statistic

UNIT_WORDS: dict[MetricKind, str] = {
    "proportion": "views",
    "mean": "observations",
    "rate": "units of exposure",
}


@dataclass(frozen=True)
class VariantResult:
    variant: str
    units: float
    estimate: float
    lift: float | None
    lift_ci_low: float | None
    lift_ci_high: float | None
    p_best: float | None
    expected_loss: float | None
    p_value: float | None
    p_value_adjusted: float | None
    difference: float | None = None
    difference_ci_low: float | None = None
    difference_ci_high: float | None = None


@dataclass(frozen=True)
class ExperimentReport:
    metric: str
    kind: MetricKind
    sequential: bool
    alpha: float
    min_effect: float
    srm_p_value: float | None
    variants: tuple[VariantResult, ...]
    verdict: verdict.Verdict
    warnings: tuple[str, ...] = ()
    next_allocation: dict[str, float] = field(default_factory=dict)
    recommendation: str = ""
    test: str = ""
    unit: str = ""
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape documented in docs/experiments.md; raises if anything is not finite."""
        out = {
            "verdict": self.verdict.text,
            "decision": self.verdict.decision,
            "winner": self.verdict.winner,
            "more_per_variant": self.verdict.more_per_variant,
            "metric": self.metric,
            "kind": self.kind,
            "sequential": self.sequential,
            "alpha": self.alpha,
            "min_effect": self.min_effect,
            "srm_p_value": self.srm_p_value,
            "warnings": list(self.warnings),
            "test": self.test,
            "unit": self.unit,
            "notes": list(self.notes),
            "recommendation": self.recommendation,
            "next_allocation": self.next_allocation,
            "variants": [asdict(v) for v in self.variants],
        }
        _assert_finite(out)
        return out


def analyze(
    variants: Sequence[VariantData],
    *,
    metric: str | None = None,
    sequential: bool = False,
    alpha: float = 0.05,
    min_effect: float = 0.05,
    weights: Sequence[float] | None = None,
    sequential_tuning: float = frequentist.SEQUENTIAL_TUNING,
    adjusted_p: Sequence[float] | None = None,
    unit: str | None = None,
    comparisons: int | None = None,
    correction: str = "holm",
    neutral: bool = False,
) -> ExperimentReport:
    """Analyse one metric of one experiment (control first) and decide; see `verdict` for the rule.

    `sequential_tuning`: total units (all options) where the confidence sequence is tightest; set
    it to the planned sample size (gbstats' default is 5000). `adjusted_p`: the challengers'
    p-values already corrected across several metrics (see `analyze_metrics`, which also passes
    `comparisons`, the size of that family, and `correction`); default Holm here. `unit`: what one
    unit is, for "how many more" advice ("people who replied", "posts"; default from the kind).
    `neutral`: more is not simply better (questions, problems): "has the most", no winner advice.
    Proportions with at most 200 units per option are tested exactly (`sounding.experiments.exact`).
    """
    kind = validate_experiment(variants)
    if not 0 < alpha < 1:
        raise OptionError(f"alpha must be in (0, 1), got {alpha}")
    if not 0 < min_effect:
        raise OptionError(f"min_effect must be positive, got {min_effect}")
    if not sequential_tuning > 0:
        raise OptionError(f"sequential_tuning must be positive, got {sequential_tuning}")
    if weights is not None and (
        len(weights) != len(variants) or any(not w >= 0 for w in weights) or sum(weights) <= 0
    ):
        raise OptionError("weights must be one non-negative number per variant, not all zero")
    metric = metric or {"proportion": "successes", "mean": "the mean", "rate": "the rate"}[kind]
    unit = unit or UNIT_WORDS[kind]
    names = [v.variant for v in variants]
    stat = statistic_of(variants)
    units, means = stat.n, stat.mean
    exact_mode = exact.uses_exact(units, kind=kind, sequential=sequential)
    srm = (
        None
        if kind == "rate"
        else frequentist.srm_p_value(units, None if weights is None else np.asarray(weights))
    )
    warning = verdict.srm_warning(srm)
    common = {
        "metric": metric,
        "kind": kind,
        "sequential": sequential,
        "alpha": alpha,
        "min_effect": min_effect,
        "srm_p_value": srm,
        "warnings": (warning,) if warning else (),
        "unit": unit,
    }

    reason = _not_enough_data(variants, kind, metric, unit)
    if reason:
        rows = tuple(
            VariantResult(n, float(u), float(m), None, None, None, None, None, None, None)
            for n, u, m in zip(names, units, means)
        )
        v = verdict.not_enough_data(reason)
        return ExperimentReport(
            variants=rows,
            verdict=_with_warning(v, warning),
            recommendation=recommendation(v.decision, names[0], names[0], unit, None),
            test="none",
            **common,
        )

    control, challengers = stat.take(0), stat.take(slice(1, None))
    if exact_mode:
        test = exact.exact_test(control, challengers, alpha=alpha)
        absolute = test
        test_name = "barnard_exact"
    else:
        test = _frequentist(kind, control, challengers, sequential, alpha, sequential_tuning, True)
        absolute = _frequentist(kind, control, challengers, sequential, alpha, sequential_tuning, False)
        test_name = "sequential" if sequential else ("z_relative" if kind == "rate" else "welch_relative")
    p_adj = (
        frequentist.adjust_p_values(test.p_value, "holm")
        if adjusted_p is None
        else np.asarray(adjusted_p, float)
    )
    family = comparisons or len(names) - 1
    summary = _bayesian(kind, variants, stat, alpha)

    with np.errstate(divide="ignore", invalid="ignore"):
        relative = (means[1:] - means[0]) / means[0]
    lift: list[float | None] = [0.0] + [float(e) if means[0] != 0 else None for e in relative]
    low, high = summary.lift_ci_low.copy(), summary.lift_ci_high.copy()
    if sequential:  # report the always-valid confidence sequence, not the fixed-horizon interval
        low[1:] = np.where(test.valid, test.ci_low, -np.inf)
        high[1:] = np.where(test.valid, test.ci_high, np.inf)
    d_est, d_low, d_high = (np.r_[0.0, x] for x in (absolute.estimate, absolute.ci_low, absolute.ci_high))
    d_defined = np.r_[False, absolute.valid]

    more = verdict.more_per_option(
        summary.p_best, stat, alpha, min_effect, sequential_tuning if sequential else None,
        relative=not exact_mode, comparisons=family,
    )  # fmt: skip
    v = verdict.decide(
        names,
        metric,
        summary.p_best,
        lift,
        low,
        high,
        np.r_[0.0, p_adj],
        alpha=alpha,
        min_effect=min_effect,
        more=more,
        unit=unit,
        difference=(d_est, d_low, d_high) if exact_mode else None,
        verb="has the most" if neutral else "wins on",
    )
    evidence = explain.Evidence(
        names, metric, summary.p_best,
        d_est if exact_mode else np.r_[0.0, relative],
        np.r_[1.0, test.p_value], np.r_[1.0, p_adj],
        d_low if exact_mode else low, d_high if exact_mode else high,
        family, "BH" if correction == "bh" else "Holm", "difference" if exact_mode else "lift", neutral,
    )  # fmt: skip
    notes = tuple(explain.notes(evidence, v.decision, v.winner, alpha))
    if means[0] == 0 and not exact_mode:
        notes = (f"{names[0]} had no {metric}, so the relative lift and its test are undefined", *notes)
    if notes:
        v = verdict.Verdict(v.decision, f"{v.text}. Note: {'; '.join(notes)}.", v.winner, v.more_per_variant)
    rows = tuple(
        VariantResult(
            variant=names[i],
            units=float(units[i]),
            estimate=float(means[i]),
            lift=lift[i],
            lift_ci_low=_finite(low[i]) if i else None,
            lift_ci_high=_finite(high[i]) if i else None,
            p_best=float(summary.p_best[i]),
            expected_loss=float(summary.expected_loss[i]),
            p_value=float(test.p_value[i - 1]) if i else None,
            p_value_adjusted=float(p_adj[i - 1]) if i else None,
            difference=float(d_est[i]) if d_defined[i] else None,
            difference_ci_low=_finite(d_low[i]) if d_defined[i] else None,
            difference_ci_high=_finite(d_high[i]) if d_defined[i] else None,
        )
        for i in range(len(names))
    )
    leader = names[int(np.argmax(summary.p_best))]
    return ExperimentReport(
        variants=rows,
        verdict=_with_warning(v, warning),
        next_allocation=thompson_allocation(names, summary.p_best),
        recommendation=""
        if neutral and v.decision == "winner"
        else recommendation(v.decision, names[0], leader, unit, v.more_per_variant),
        test=test_name,
        notes=notes,
        **common,
    )


def analyze_metrics(
    metrics: Mapping[str, Sequence[VariantData]],
    *,
    method: Literal["holm", "bh"] = "holm",
    **options: Any,
) -> list[ExperimentReport]:
    """Several metrics of one experiment, with p-values corrected across all variants AND metrics.

    Each metric is analysed, the challengers' raw p-values of every metric are adjusted together
    (Holm: family-wise error over the whole table; "bh": false discovery rate), and each verdict is
    re-derived with those adjusted p-values. `units` (optional, metric -> unit words) as `unit`;
    `neutral` (optional, metric names) as `neutral`.
    """
    units = options.pop("units", {})
    neutral = set(options.pop("neutral", ()))
    first = {
        name: analyze(variants, metric=name, unit=units.get(name), neutral=name in neutral, **options)
        for name, variants in metrics.items()
    }
    raw = [
        (name, i, v.p_value)
        for name, report in first.items()
        for i, v in enumerate(report.variants)
        if v.p_value is not None
    ]
    if not raw:
        return list(first.values())
    adjusted = frequentist.adjust_p_values(np.array([p for _, _, p in raw]), method)
    per_metric: dict[str, list[float]] = {}
    for (name, _, _), p in zip(raw, adjusted):
        per_metric.setdefault(name, []).append(float(p))
    options = {**options, "comparisons": len(raw), "correction": method}
    return [
        analyze(
            variants,
            metric=name,
            adjusted_p=per_metric[name],
            unit=units.get(name),
            neutral=name in neutral,
            **options,
        )
        if name in per_metric
        else first[name]
        for name, variants in metrics.items()
    ]


def _frequentist(
    kind: MetricKind,
    a: Statistic,
    b: Statistic,
    sequential: bool,
    alpha: float,
    tuning: float,
    relative: bool,
) -> frequentist.TestResult:
    """Each challenger vs control: Welch t (z for Poisson rates) or the sequence, as in gbstats."""
    if sequential:
        return frequentist.sequential_test(a, b, relative=relative, alpha=alpha, tuning=tuning)
    return frequentist.ttest(a, b, relative=relative, alpha=alpha, dof=np.inf if kind == "rate" else None)


def _bayesian(
    kind: MetricKind, variants: Sequence[VariantData], stat: Statistic, alpha: float
) -> bayesian.BayesianSummary:
    """Exact beta / gamma posteriors for counts, gbstats' normal model for means."""
    if kind == "mean":
        post = normal_posteriors(stat.mean, np.sqrt(stat.variance / stat.n))
        effect = bayesian.gaussian_effect(stat.take(0), stat.take(slice(1, None)), relative=True, alpha=alpha)
        return bayesian.summarise_normal(post, effect)
    if kind == "proportion":
        post = beta_posteriors(stat.sum, stat.n)
    else:
        post = gamma_posteriors(stat.sum, stat.n)
    return bayesian.summarise_exact(post, alpha)


def _not_enough_data(variants: Sequence[VariantData], kind: MetricKind, metric: str, unit: str) -> str | None:
    for v in variants:
        if v.units == 0:
            return f"option {v.variant} has no {unit} yet"
    if kind == "proportion" and all(v.successes == 0 for v in variants if isinstance(v, Proportion)):
        return f"no option has any {metric} yet"
    if kind == "rate" and all(v.count == 0 for v in variants if isinstance(v, Rate)):
        return "no option has any events yet"
    for v in variants:
        # Below ~1e-12 of the raw second moment, sum_squares - sum^2/n is floating-point noise.
        if isinstance(v, Mean) and (v.n < 2 or v.variance <= 1e-12 * v.sum_squares / (v.n - 1)):
            return f"option {v.variant} needs at least 2 different {unit} to compare (it has {v.n})"
    return None


def _with_warning(v: verdict.Verdict, warning: str | None) -> verdict.Verdict:
    if not warning:
        return v
    return verdict.Verdict(v.decision, f"{v.text}. Warning: {warning}", v.winner, v.more_per_variant)


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _assert_finite(obj: Any) -> None:
    if isinstance(obj, float) and not math.isfinite(obj):
        raise ValueError("report contains a non-finite number")
    if isinstance(obj, dict):
        for value in obj.values():
            _assert_finite(value)
    elif isinstance(obj, list):
        for value in obj:
            _assert_finite(value)
