"""A/B tests of post variants as pure functions over per-variant sufficient statistics.

Start with `analyze` (one metric of one experiment -> report with a plain-words verdict); see
docs/experiments.md for the methods, the decision rule and every JSON field.
"""

from sounding.experiments.data import Mean, Proportion, Rate, VariantData
from sounding.experiments.errors import ExperimentDataError
from sounding.experiments.planning import minimum_detectable_effect, power, sample_size
from sounding.experiments.polls import PollOption, poll_results
from sounding.experiments.report import ExperimentReport, VariantResult, analyze, analyze_metrics
from sounding.experiments.schedule import ScheduledPost, is_balanced, rotation_schedule

__all__ = [
    "ExperimentDataError",
    "ExperimentReport",
    "Mean",
    "PollOption",
    "Proportion",
    "Rate",
    "ScheduledPost",
    "VariantData",
    "VariantResult",
    "analyze",
    "analyze_metrics",
    "is_balanced",
    "minimum_detectable_effect",
    "poll_results",
    "power",
    "rotation_schedule",
    "sample_size",
]
