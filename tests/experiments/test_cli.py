"""`sounding test analyze|plan|schedule` through typer's CliRunner."""

from __future__ import annotations

import json

import pytest

VARIANT_FIELDS = {
    "variant",
    "estimate",
    "lift",
    "lift_ci_low",
    "lift_ci_high",
    "p_best",
    "expected_loss",
    "p_value",
    "p_value_adjusted",
}


def test_analyze_json_fields(cli, fixtures, roundtrip):
    result = cli("test", "analyze", "--data", str(fixtures / "proportions.csv"), "--json")
    assert result.exit_code == 0, result.output
    data = roundtrip(json.loads(result.output))
    assert isinstance(data["verdict"], str) and data["verdict"]
    assert 0 <= data["srm_p_value"] <= 1
    assert [v["variant"] for v in data["variants"]] == ["A", "B", "C"]
    for v in data["variants"]:
        assert VARIANT_FIELDS <= set(v)
    control, b, c = data["variants"]
    assert control["lift"] == 0 and control["p_value"] is None
    assert b["lift"] == pytest.approx(0.3) and c["lift"] == pytest.approx(0.05)
    assert b["lift_ci_low"] < b["lift"] < b["lift_ci_high"]
    assert sum(v["p_best"] for v in data["variants"]) == pytest.approx(1, abs=1e-7)
    assert b["p_value_adjusted"] == pytest.approx(min(1, 2 * b["p_value"]))  # Holm, smallest of two


def test_analyze_sequential_flag(cli, fixtures):
    fixed = json.loads(cli("test", "analyze", "--data", str(fixtures / "winner.csv"), "--json").output)
    sequential = json.loads(
        cli("test", "analyze", "--data", str(fixtures / "winner.csv"), "--json", "--sequential").output
    )
    assert sequential["sequential"] is True and fixed["sequential"] is False
    assert sequential["variants"][1]["p_value"] > fixed["variants"][1]["p_value"]
    assert fixed["winner"] == sequential["winner"] == "question"


def test_analyze_table_output(cli, fixtures):
    result = cli("test", "analyze", "--data", str(fixtures / "winner.csv"), "--metric", "positive replies")
    assert result.exit_code == 0, result.output
    assert "Option question wins on positive replies (P(best) >99.9 %, lift +30 %" in result.output
    assert "control (ctrl)" in result.output


@pytest.mark.parametrize("name", ["means.csv", "rates.csv"])
def test_analyze_other_metric_kinds(cli, fixtures, name, roundtrip):
    result = cli("test", "analyze", "--data", str(fixtures / name), "--json")
    assert result.exit_code == 0, result.output
    data = roundtrip(json.loads(result.output))
    assert data["kind"] == {"means.csv": "mean", "rates.csv": "rate"}[name]
    assert data["variants"][1]["p_value"] is not None


def test_analyze_bad_data_exits_with_clear_message(cli, fixtures, tmp_path):
    result = cli("test", "analyze", "--data", str(fixtures / "bad_successes.csv"))
    assert result.exit_code == 3  # InputError: the file's content cannot be analysed
    assert "variant 'B'" in result.output and "successes" in result.output
    missing = cli("test", "analyze", "--data", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2


def test_plan_and_schedule(cli):
    plan = cli("test", "plan", "--baseline", "0.1", "--lift", "0.1")
    assert plan.exit_code == 0 and "16,232 units per option" in plan.output
    mde = cli("test", "plan", "--baseline", "0.1", "--per-variant", "16232")
    assert mde.exit_code == 0 and "lift of about +10" in mde.output
    schedule = cli(
        "test", "schedule", "--variants", "A,B,C", "--slots", "09:00,18:00", "--platforms", "x,li", "--json"
    )
    assert schedule.exit_code == 0
    posts = json.loads(schedule.output)
    assert len(posts) == 3 * 2 * 2 and {p["variant"] for p in posts} == {"A", "B", "C"}


def test_analyze_several_metrics_in_one_csv(cli, fixtures, roundtrip):
    result = cli("test", "analyze", "--data", str(fixtures / "metrics.csv"), "--json")
    assert result.exit_code == 0, result.output
    reports = roundtrip(json.loads(result.output))["metrics"]
    assert [r["metric"] for r in reports] == ["replies", "likes"]
    raw = [r["variants"][1]["p_value"] for r in reports]
    adjusted = [r["variants"][1]["p_value_adjusted"] for r in reports]
    assert adjusted[0] == pytest.approx(min(1, 2 * min(raw)))  # Holm over both metrics
    assert reports[0]["winner"] == "B"
    table = cli("test", "analyze", "--data", str(fixtures / "metrics.csv"))
    assert "replies (proportion" in table.output and "likes (proportion" in table.output


def test_analyze_issue_example_with_unit_across_metrics(cli, tmp_path):
    """Issue 11's numbers in a CSV: B ahead on positive replies, advice in people, not views."""
    data = tmp_path / "replies.csv"
    rows = [("positive replies", 13, 28), ("questions", 9, 6), ("suggestions", 4, 7), ("problems", 5, 3)]
    data.write_text(
        "metric,variant,exposures,successes\n" + "".join(f"{m},A,60,{a}\n{m},B,60,{b}\n" for m, a, b in rows)
    )
    out = cli("test", "analyze", "--data", str(data), "--unit", "people who replied", "--json")
    assert out.exit_code == 0, out.output
    reports = {r["metric"]: r for r in json.loads(out.output)["metrics"]}
    assert (
        reports["positive replies"]["winner"] == "B"
        and reports["positive replies"]["test"] == "barnard_exact"
    )
    assert "more people who replied per option" in reports["questions"]["verdict"]
    table = cli("test", "analyze", "--data", str(data), "--unit", "people who replied")
    assert "Option B wins on positive replies (P(best) 99.8 %, +25 points [+8.0, +40]" in table.output
