"""The API's lessons by segment and themes over time are the core's numbers (not recomputed), page
with ``next``, and export whole as CSV and JSON."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from sounding.api import Sounding
from sounding.web.app import create_app


@pytest.fixture(scope="module")
def client(demo_db):
    api = Sounding(demo_db)
    yield api, TestClient(create_app(api))
    api.close()


def _all(client, path):
    rows, after = [], None
    while True:
        page = client.get(path + (f"&after={after}" if after else "")).json()
        rows += page["items"]
        if not (after := page["next"]):
            return rows


@pytest.mark.parametrize("by", ["platform", "returning", "post"])
def test_segments_are_the_cores_and_page_like_their_export(client, by):
    api, http = client
    core = api.lessons(by=by, per_segment=10, segments=50)
    paged = _all(http, f"/api/v1/lessons/segments?by={by}&limit=3")
    assert len(paged) == len(core) > 0
    assert [(r["segment"], r["segment_rank"], r["lesson"]) for r in paged] == \
        list(zip(core["segment"].astype(str), core["rank"], core["lesson"]))
    assert [r["rank"] for r in paged] == list(range(1, len(paged) + 1))
    exported = list(csv.DictReader(io.StringIO(http.get(f"/api/v1/lessons/segments?by={by}&format=csv").text)))
    assert [r["title"] for r in exported] == [r["title"] for r in paged]
    assert http.get(f"/api/v1/lessons/segments?by={by}&format=json").json()["items"] == paged
    if by == "post":
        assert all(r["segment"] == f"{r['platform']}:{r['thread']}" and r["post_text"] for r in paged)


def test_segments_filters_and_bad_values(client):
    _, http = client
    one = http.get("/api/v1/lessons/segments?by=platform&per_segment=1&segments=1").json()["items"]
    assert len(one) == 1 and one[0]["segment_rank"] == 1
    problems = http.get("/api/v1/lessons/segments?by=post&intent=problem&format=json").json()["items"]
    assert problems and {r["dominant_intent"] for r in problems} == {"problem"}
    assert http.get("/api/v1/lessons/segments?by=age").status_code == 422
    assert http.get("/api/v1/lessons/segments").status_code == 422


def test_theme_series_adds_up_to_each_themes_size(client):
    api, http = client
    series = _all(http, "/api/v1/themes/series?limit=7")
    themes = http.get("/api/v1/themes?format=json").json()["items"]
    for theme in themes:
        mine = [r for r in series if r["theme"] == theme["theme"]]
        assert sum(r["comments"] for r in mine) == theme["comments"], theme["name"]
        assert all(r["replies"] <= r["comments"] for r in mine)
    periods = sorted({r["period"] for r in series})
    assert all(len([r for r in series if r["theme"] == t["theme"]]) == len(periods) for t in themes)  # zeros kept
    one = http.get(f"/api/v1/themes/series?theme={themes[0]['theme']}&format=csv").text
    rows = list(csv.DictReader(io.StringIO(one)))
    assert len(rows) == len(periods) and rows[0].keys() >= {"period", "bucket", "comments", "replies"}
    later = http.get(f"/api/v1/themes/series?since={periods[-1]}&format=json").json()["items"]
    assert {r["period"] for r in later} == {periods[-1]}
