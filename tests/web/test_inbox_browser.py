"""The inbox in Chromium: marking a question answered removes it in place (htmx) and for good."""

from __future__ import annotations

from playwright.sync_api import expect

from web_helpers import serve


def test_mark_a_question_answered_and_see_the_inbox_shrink(demo_copy, watched):
    with serve(demo_copy) as site:
        page = watched.page
        page.goto(site.url + "/inbox")
        questions = page.locator("li.question")
        before = questions.count()
        assert before >= 3
        first = questions.first
        item = first.get_attribute("data-item")
        first.locator("button.mark-answered").click()
        expect(page.locator("li.question")).to_have_count(before - 1)  # no eval: the CSP forbids it
        assert page.locator(f"li.question[data-item='{item}']").count() == 0
        assert page.inner_text("#inbox-count") == str(before - 1)
        assert page.url.endswith("/inbox")  # swapped in place, no navigation
        watched.shot("inbox-after-mark")
        # assign another one: it stays, with its assignee shown
        second = page.locator("li.question").first
        second.locator("input[name=assignee]").fill("sam")
        second.locator("form.assign button").click()
        page.wait_for_selector("text=assigned: sam")
        # the mark is stored: a fresh load and the answered view agree
        page.goto(site.url + "/inbox")
        assert page.locator("li.question").count() == before - 1
        page.goto(site.url + "/inbox?state=answered")
        assert page.locator(f"li.question[data-item='{item}']").count() == 1
        assert watched.problems == []
