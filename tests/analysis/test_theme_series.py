"""Themes over time: per day over short spans, per week (Mondays) over long ones, zeros included."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sounding.analysis.theme_series import _monday, theme_series


def test_days_become_weeks_over_long_spans(monkeypatch):
    import pandas as pd

    class Conn:
        def __init__(self):
            self.calls = 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, _query):
            self.calls += 1
            start = date(2024, 1, 3)  # a Wednesday
            rows = {1: [(7, start, 2, 1), (7, start + timedelta(days=1), 3, 3), (7, start + timedelta(days=200), 1, 0)],
                    2: [(7, 4)], 3: [type("R", (), {"id": 7, "key": "t7", "name": "refunds"})()]}[self.calls]
            return type("Result", (), {"all": lambda _self: rows, "__iter__": lambda _self: iter(rows)})()

    conn = Conn()
    store = type("Store", (), {"engine": type("E", (), {"connect": lambda _self: conn})()})()
    rows = theme_series(store, "v1")
    assert {r["bucket"] for r in rows} == {"week"}
    assert rows[0]["period"] == _monday(date(2024, 1, 3)).isoformat() == "2024-01-01"
    assert (rows[0]["comments"], rows[0]["replies"]) == (5, 4)  # Wednesday and Thursday, one week
    assert len(rows) == (_monday(date(2024, 1, 3) + timedelta(days=200)) - date(2024, 1, 1)).days // 7 + 1
    assert sum(r["comments"] for r in rows) == 6 and sum(r["comments"] == 0 for r in rows) == len(rows) - 2
    assert pd.Series([r["period"] for r in rows]).is_monotonic_increasing
