"""A/B tests of post variants as pure functions over per-variant sufficient statistics.

Start with `analyze` (one metric of one experiment -> report with a plain-words verdict); see
docs/experiments.md for the methods, the decision rule and every JSON field.
"""

from importlib import import_module
from typing import TYPE_CHECKING

# Names are loaded on first use: the statistics pull in scipy, which every CLI start-up would
# otherwise pay for (about half a second) even for commands that never test anything.
_HOME = {
    "Mean": "data", "Proportion": "data", "Rate": "data", "VariantData": "data",
    "ExperimentDataError": "errors",
    "minimum_detectable_effect": "planning", "power": "planning", "sample_size": "planning",
    "PollOption": "polls", "poll_results": "polls",
    "ExperimentReport": "report", "VariantResult": "report", "analyze": "report", "analyze_metrics": "report",
    "ScheduledPost": "schedule", "is_balanced": "schedule", "rotation_schedule": "schedule",
}


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)


if TYPE_CHECKING:
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
