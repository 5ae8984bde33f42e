"""Lessons by segment and the themes' sizes over time, in a real headless Chromium on the demo data:
the views show what the core computes, the chart is drawn with its table of numbers, each number
opens the comments behind it, no console error, screenshots in tests/web/screenshots/."""

from __future__ import annotations

import re

import httpx
import pytest

from web_helpers import serve


def _texts(locator) -> list[str]:
    """Text of every match, shown or folded in a closed <details>."""
    return locator.evaluate_all("els => els.map(e => e.textContent.trim())")


@pytest.fixture(scope="module")
def site(demo_db):
    with serve(demo_db) as served:
        yield served


def test_lessons_by_segment_views(site, watched):
    page = watched.page
    page.goto(site.url + "/lessons")
    page.click("nav.views >> text=By platform")
    page.wait_for_url(re.compile(r"by=platform"))
    assert page.locator("section.segment h2").first.inner_text().startswith("twitter")

    page.click("nav.views >> text=First-time vs returning")
    page.wait_for_url(re.compile(r"by=returning"))
    heads = [h.split()[0] for h in page.locator("section.segment h2").all_inner_texts()]
    api = httpx.get(site.url + "/api/v1/lessons/segments?by=returning&format=json").json()["items"]
    assert heads == list(dict.fromkeys(r["segment"] for r in api))  # the segments the core ranked, in its order
    first = page.locator("section.segment").first.locator("tbody tr").first
    cells = first.locator("td").all_inner_texts()
    top = api[0]
    assert cells[1] == top["title"] and cells[2] == f"{top['people']:,}" and cells[3] == f"{100 * top['share']:.0f}%"
    watched.shot("lessons-by-returning")

    first.locator("a.to-comments").click()
    page.wait_for_url(re.compile(r"/comments\?theme="))
    assert page.locator("#comment-list tbody tr").count() > 0
    assert watched.problems == []


def test_lessons_by_post_open_their_thread(site, watched):
    page = watched.page
    page.goto(site.url + "/lessons?by=post")
    segment = page.locator("section.segment").first
    said = segment.locator(".post-text blockquote").inner_text().rstrip("…")
    assert segment.locator("h2").inner_text().startswith("twitter:")
    watched.shot("lessons-by-post")
    segment.locator("a.to-thread").click()
    page.wait_for_url(re.compile(r"/thread\?post="))
    assert said.strip()[:60] in page.inner_text("main")
    assert watched.problems == []


def test_theme_chart_table_and_drill_into_comments(site, watched):
    page = watched.page
    page.goto(site.url + "/themes")
    canvas = page.locator("#theme-trend .timeseries canvas")
    canvas.wait_for()
    assert canvas.bounding_box()["width"] > 300
    names = _texts(page.locator("#theme-trend-table thead th"))[1:]
    legend = page.inner_text("#theme-trend .u-legend")
    assert len(names) >= 2 and all(name and name in legend for name in names)
    assert "day starting" in legend or "week starting" in legend  # the x axis' unit
    watched.shot("themes-trend")

    page.click("#theme-trend >> text=Table of these numbers")
    rows = page.locator("#theme-trend-table tbody tr")
    series = httpx.get(site.url + "/api/v1/themes/series?format=json").json()["items"]
    first_theme = series[0]["theme"]
    mine = [r for r in series if r["theme"] == first_theme]
    assert rows.count() == len(mine)
    column = [int(t.replace(",", "")) for t in page.locator("#theme-trend-table tbody tr td:nth-child(2)").all_inner_texts()]
    assert column == [r["comments"] for r in mine]
    watched.shot("themes-trend-table")

    link = page.locator("#theme-trend-table tbody td a").first
    replies = int(link.get_attribute("title").split()[0])
    link.click()
    page.wait_for_url(re.compile(r"/comments\?theme=.*since="))
    assert page.locator("#comment-list tbody tr").count() == min(replies, 50)
    assert watched.problems == []


def test_one_theme_over_time(site, watched):
    page = watched.page
    page.goto(site.url + "/themes")
    name = page.locator("table.themes tbody tr").nth(1).locator("td a").first.inner_text()
    page.locator("table.themes tbody tr").nth(1).locator("a.trend-link").click()
    page.wait_for_url(re.compile(r"/themes\?theme="))
    page.locator("#theme-trend .timeseries canvas").wait_for()
    assert _texts(page.locator("#theme-trend-table thead th"))[1:] == [name]
    assert name in page.inner_text("#theme-trend figcaption")
    watched.shot("theme-over-time")
    assert watched.problems == []


def test_sync_page_shows_the_last_error_of_an_account(demo_copy, watched):
    import httpx as http

    from sounding.api import Sounding
    from sounding.connectors import AccountRef, RetryPolicy, open_connector
    from sounding.connectors.sync import run_connector

    api = Sounding(demo_copy)
    secret = "EAAG-sync-page-secret-value"
    aid = api.store.upsert_account("facebook", "104000000000001", "https://graph.example/v25.0", "file:fb")

    def down(request):
        raise http.ConnectError("connection refused", request=request)

    connector = open_connector(AccountRef("facebook", "104000000000001", "https://graph.example/v25.0", secret),
                               transport=http.MockTransport(down),
                               policy=RetryPolicy(max_attempts=1, initial=0.001, maximum=0.001, budget=1))
    assert not run_connector(api.store, aid, connector).complete
    with serve(api) as served:
        watched.page.goto(served.url + "/sync")
        cell = watched.page.locator("td.sync-error").first
        assert cell.locator(".badge").inner_text() in ("interrupted", "remote")
        assert "network error" in cell.inner_text() and "ago" in cell.inner_text()
        assert secret not in watched.page.content()
        watched.shot("sync-error")
        listed = http.get(served.url + "/api/v1/accounts?format=csv").text
        assert "error_kind" in listed.splitlines()[0] and secret not in listed
    assert watched.problems == []
    api.close()
