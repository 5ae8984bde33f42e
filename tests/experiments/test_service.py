"""`Sounding.experiments`: what the `test` commands print is one call a script can make too."""

from __future__ import annotations

import json

import pytest
from test_issue_scenario import _seed  # same directory (pytest puts it on sys.path)

from sounding.api import Sounding
from sounding.errors import ConflictError, NotFoundError, UsageError


@pytest.fixture
def db(store, store_url, monkeypatch):
    monkeypatch.setenv("SOUNDING_DATABASE_URL", store_url)
    return store


def test_report_through_the_api_is_what_the_cli_prints(cli, db):
    _seed(db)
    experiments = Sounding(store=db).experiments
    experiments.create("launch", ["A", "B", "C"], metric="replies")
    for variant in "ABC":
        experiments.add_post("launch", variant, f"mastodon:launch-{variant}")
    result = experiments.report("launch")
    assert result.main_comparable is False and result.people == {"A": 60, "B": 60, "C": 60}
    positive = next(r for r in result.comments if r.metric == "positive replies")
    assert positive.verdict.winner == "B"
    assert json.loads(cli("test", "report", "launch", "--json").output) == json.loads(
        json.dumps(result.to_dict())
    )
    assert [s.name for s in experiments.status()] == ["launch"]


def test_user_errors_are_sounding_error_kinds(db, fixtures):
    experiments = Sounding(store=db).experiments
    experiments.create("x", ["A", "B"])
    with pytest.raises(ConflictError):
        experiments.create("x", ["A", "B"])
    with pytest.raises(NotFoundError):
        experiments.report("nope")
    with pytest.raises(NotFoundError):
        experiments.add_post("x", "Z", "1")
    with pytest.raises(UsageError):
        experiments.report("x", correction="bonferroni")  # type: ignore[arg-type]
    reports = experiments.analyze_file(fixtures / "metrics.csv")
    assert [r.metric for r in reports] == ["replies", "likes"]
