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

from sounding.experiments import bayesian, frequentist, verdict
from sounding.experiments.data import Mean, MetricKind, Proportion, Rate, VariantData, validate_experiment
from sounding.experiments.iteration import recommendation, thompson_allocation
from sounding.experiments.posteriors import beta_posteriors, gamma_posteriors, normal_posteriors

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
) -> ExperimentReport:
    """Analyse one metric of one experiment (control first) and decide; see `verdict` for the rule.

    `sequential_tuning`: total units (all options) where the confidence sequence is tightest; set
    it to the planned sample size (gbstats' default is 5000). `adjusted_p`: the challengers'
    p-values already corrected across several metrics (see `analyze_metrics`); default Holm here.
    """
    kind = validate_experiment(variants)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not 0 < min_effect:
        raise ValueError(f"min_effect must be positive, got {min_effect}")
    if not sequential_tuning > 0:
        raise ValueError(f"sequential_tuning must be positive, got {sequential_tuning}")
    if weights is not None and (
        len(weights) != len(variants) or any(not w >= 0 for w in weights) or sum(weights) <= 0
    ):
        raise ValueError("weights must be one non-negative number per variant, not all zero")
    metric = metric or {"proportion": "successes", "mean": "the mean", "rate": "the rate"}[kind]
    names = [v.variant for v in variants]
    units = np.array([v.units for v in variants])
    means = np.array([v.mean for v in variants])
    var = np.array([v.variance for v in variants])
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
    }

    reason = _not_enough_data(variants, kind, metric)
    if reason:
        rows = tuple(
            VariantResult(n, float(u), float(m), None, None, None, None, None, None, None)
            for n, u, m in zip(names, units, means)
        )
        v = verdict.not_enough_data(reason)
        return ExperimentReport(
            variants=rows,
            verdict=_with_warning(v, warning),
            recommendation=recommendation(v.decision, names[0], names[0], UNIT_WORDS[kind], None),
            **common,
        )

    args = (means[0], var[0], units[0], means[1:], var[1:], units[1:])
    test = _frequentist(kind, args, sequential, alpha, sequential_tuning)
    p_adj = (
        frequentist.adjust_p_values(test.p_value, "holm")
        if adjusted_p is None
        else np.asarray(adjusted_p, float)
    )
    summary = _bayesian(kind, variants, args, alpha)

    lift: list[float | None] = [0.0] + [float(e) if means[0] != 0 else None for e in test.estimate]
    low, high = summary.lift_ci_low.copy(), summary.lift_ci_high.copy()
    if sequential:  # report the always-valid confidence sequence, not the fixed-horizon interval
        low[1:] = np.where(test.valid, test.ci_low, -np.inf)
        high[1:] = np.where(test.valid, test.ci_high, np.inf)

    more = _more_needed(
        summary.p_best, means, var, units, alpha, min_effect, sequential_tuning if sequential else None
    )
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
        unit=UNIT_WORDS[kind],
    )
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
        )
        for i in range(len(names))
    )
    leader = names[int(np.argmax(summary.p_best))]
    return ExperimentReport(
        variants=rows,
        verdict=_with_warning(v, warning),
        next_allocation=thompson_allocation(names, summary.p_best),
        recommendation=recommendation(v.decision, names[0], leader, UNIT_WORDS[kind], v.more_per_variant),
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
    re-derived with those adjusted p-values.
    """
    first = {name: analyze(variants, metric=name, **options) for name, variants in metrics.items()}
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
    return [
        analyze(variants, metric=name, adjusted_p=per_metric[name], **options)
        if name in per_metric
        else first[name]
        for name, variants in metrics.items()
    ]


def _frequentist(
    kind: MetricKind, args: tuple, sequential: bool, alpha: float, tuning: float
) -> frequentist.TestResult:
    """Each challenger vs control: relative lift, Welch t (z for Poisson rates) or the sequence."""
    if sequential:
        return frequentist.sequential_test(*args, relative=True, alpha=alpha, tuning=tuning)
    return frequentist.ttest(*args, relative=True, alpha=alpha, dof=np.inf if kind == "rate" else None)


def _bayesian(
    kind: MetricKind, variants: Sequence[VariantData], args: tuple, alpha: float
) -> bayesian.BayesianSummary:
    """Exact beta / gamma posteriors for counts, gbstats' normal model for means."""
    means, units = np.r_[args[0], args[3]], np.r_[args[2], args[5]]
    if kind == "mean":
        var = np.r_[args[1], args[4]]
        post = normal_posteriors(means, np.sqrt(var / units))
        return bayesian.summarise_normal(post, bayesian.gaussian_effect(*args, relative=True, alpha=alpha))
    if kind == "proportion":
        post = beta_posteriors([v.successes for v in variants if isinstance(v, Proportion)], units)
    else:
        post = gamma_posteriors([v.count for v in variants if isinstance(v, Rate)], units)
    return bayesian.summarise_exact(post, alpha)


def _not_enough_data(variants: Sequence[VariantData], kind: MetricKind, metric: str) -> str | None:
    for v in variants:
        if v.units == 0:
            return f"option {v.variant} has no {UNIT_WORDS[kind]} yet"
    if kind == "proportion" and all(v.successes == 0 for v in variants if isinstance(v, Proportion)):
        return f"no option has any {metric} yet"
    if kind == "rate" and all(v.count == 0 for v in variants if isinstance(v, Rate)):
        return "no option has any events yet"
    for v in variants:
        # Below ~1e-12 of the raw second moment, sum_squares - sum^2/n is floating-point noise.
        if isinstance(v, Mean) and (v.n < 2 or v.variance <= 1e-12 * v.sum_squares / (v.n - 1)):
            return f"option {v.variant} needs at least 2 different observations"
    return None


def _more_needed(
    p_best: np.ndarray,
    means: np.ndarray,
    var: np.ndarray,
    units: np.ndarray,
    alpha: float,
    min_effect: float,
    tuning: float | None,
) -> int:
    """Keep-testing estimate: the larger need of (leader vs control) and (leader vs runner-up)."""
    order = np.argsort(-p_best, kind="stable")
    leader, runner_up = int(order[0]), int(order[1])
    pairs = {(leader, runner_up)} | ({(leader, 0)} if leader != 0 else set())
    need = 0
    for b, a in pairs:
        if means[a] == 0:
            continue
        est, variance, valid = frequentist.difference_and_variance(
            means[a], var[a], units[a], means[b], var[b], units[b], True
        )
        if valid:
            need = max(
                need,
                verdict.more_needed(
                    float(est),
                    float(variance),
                    float((units[a] + units[b]) / 2),
                    float(units[a] + units[b]),
                    alpha=alpha,
                    min_effect=min_effect,
                    tuning=tuning,
                ),
            )
    return need or int(np.ceil(max(units.mean(), 1.0) * 0.1))  # no valid pair (zero variance): 10 % more


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
