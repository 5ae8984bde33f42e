"""Every page in a real headless Chromium on the demo data: it loads, shows what it should, logs
no console error, and leaves a screenshot in tests/web/screenshots/."""

from __future__ import annotations

import re

import pytest

from web_helpers import serve

PAGES = {
    "overview": ("/", "Learning value over time"),
    "lessons": ("/lessons", "open the thread"),
    "themes": ("/themes", "People per theme"),
    "comments": ("/comments", "Next page"),
    "inbox": ("/inbox", "Mark answered"),
    "tests": ("/tests", "question-wording"),
    "polls": ("/polls", "Wi-Fi on board"),
    "decisions": ("/decisions", "Top lessons with no decision yet"),
    "sync": ("/sync", "No account connected"),
    "thread": ("/thread?post=2084", "Maybe next year?"),
}


@pytest.fixture(scope="module")
def site(demo_db):
    with serve(demo_db) as served:
        yield served


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_without_console_errors(site, watched, name):
    path, expected = PAGES[name]
    response = watched.page.goto(site.url + path)
    assert response.status == 200
    watched.page.wait_for_load_state("networkidle")
    assert expected in watched.page.inner_text("body")
    watched.shot(name)
    assert watched.problems == []


def test_overview_draws_the_time_series_with_axes(site, watched):
    watched.page.goto(site.url + "/")
    canvas = watched.page.locator(".timeseries canvas")
    canvas.wait_for()
    assert canvas.bounding_box()["width"] > 300
    legend = watched.page.inner_text(".timeseries .u-legend")  # the axes are drawn on the canvas
    assert all(name in legend for name in ("learning value (points)", "likes", "reposts"))
    # the table view holds the same numbers
    watched.page.click("text=Table of these numbers")
    assert watched.page.locator("#timeline-table tbody tr").count() >= 3
    assert watched.problems == []


def test_click_from_a_lesson_to_its_thread(site, watched):
    page = watched.page
    page.goto(site.url + "/lessons")
    quote = page.locator("article.lesson").first.locator("ul.quotes li").first
    said = quote.locator("blockquote").inner_text()
    quote.locator("a.to-thread").click()
    page.wait_for_url(re.compile(r"/thread\?post="))
    assert said.strip() in page.inner_text("main")
    assert page.locator(":target").count() == 1  # the quoted comment is the highlighted one
    watched.shot("lesson-to-thread")
    assert watched.problems == []


def test_filter_comments(site, watched):
    page = watched.page
    page.goto(site.url + "/comments")
    everything = page.locator("#comment-list tbody tr").count()
    page.select_option("select[name=intent]", "question")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"intent=question"))
    rows = page.locator("#comment-list tbody tr")
    assert 0 < rows.count() < everything
    intents = rows.locator(".badge[class*=intent-]").all_inner_texts()
    assert intents and set(intents) == {"question"}
    page.fill("input[name=search]", "bag")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"search=bag"))
    texts = page.locator("#comment-list td.text").all_inner_texts()
    assert texts and all("bag" in t.lower() for t in texts)
    watched.shot("comments-filtered")
    assert watched.problems == []


def test_open_a_tests_report(site, watched):
    page = watched.page
    page.goto(site.url + "/tests")
    page.click("a.test-link")
    page.wait_for_url(re.compile(r"/tests/report\?name=question-wording"))
    verdict = page.inner_text("#verdict")
    assert "friendly" in verdict.lower()
    body = page.inner_text("main")
    assert "P(best)" in body and "control" in body
    watched.shot("test-report")
    assert watched.problems == []
