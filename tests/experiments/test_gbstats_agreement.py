"""Fast version of benchmarks/stats_agreement.py: 200 generated cases against gbstats 0.8.0."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("gbstats")

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "stats_agreement.py"


def _load():
    spec = importlib.util.spec_from_file_location("stats_agreement", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")  # inside gbstats
def test_agrees_with_gbstats_on_200_cases():
    result = _load().run(200)
    disagreeing = {k: v["max_gap"] for k, v in result["comparisons"].items() if not v["agrees"]}
    assert not disagreeing
    covered = {k for k, v in result["comparisons"].items() if v["cases"]}
    assert {
        "ttest_relative",
        "ttest_absolute",
        "sequential_relative",
        "bayes_relative",
        "report_p_value",
        "report_p_best_mean",
        "report_loss_mean",
        "srm",
    } <= covered
    ref = result["reference"]
    assert ref["bayes_relative_p_win"] == pytest.approx(0.96728, abs=1e-5)
    assert ref["ttest_absolute_p"] == pytest.approx(0.035411, abs=1e-6)
    assert ref["srm_1000_1050"] == pytest.approx(0.26946, abs=1e-5)
