"""The core lists behind the API and pages: keyset pages cover every row exactly once in order,
filters filter, the inbox applies marks at once, and a thread tree holds every comment once under
its parent."""

from __future__ import annotations

import pytest

from sounding.analysis.thread_tree import flatten
from sounding.api import Sounding
from sounding.browse import Query
from sounding.errors import NotFoundError, UsageError


@pytest.fixture(scope="module")
def api(demo_db):
    api = Sounding(demo_db)
    yield api
    api.close()


def _all(fetch, **kwargs) -> list[dict]:
    rows, after = [], None
    while True:
        page = fetch(Query(limit=37, after=after, **kwargs))
        rows += page.items
        if not page.next:
            return rows
        after = page.next


@pytest.mark.parametrize("sort", ["created_at", "-created_at", "sentiment", "-sentiment"])
def test_comment_pages_cover_every_comment_once_in_order(api, sort):
    rows = _all(api.comment_page, sort=sort)
    assert len(rows) == api.status()["comments"]
    assert len({(r["platform"], r["id"]) for r in rows}) == len(rows)
    key = (lambda r: r["created_at"]) if "created_at" in sort else (lambda r: r["sentiment_score"] or 0.0)
    values = [key(r) for r in rows]
    assert values == sorted(values, reverse=sort.startswith("-"))


def test_comment_filters(api):
    questions = _all(api.comment_page, sort="created_at", intent="question")
    assert questions and all(r["intent"] == "question" for r in questions)
    negative = _all(api.comment_page, sort="created_at", sentiment="negative", search="bag")
    assert negative and all(r["sentiment"] == "negative" and "bag" in r["text"].lower() for r in negative)
    theme = questions[0]["theme"]
    in_theme = _all(api.comment_page, sort="created_at", theme=theme)
    assert in_theme and all(r["theme"] == theme for r in in_theme)
    thread = questions[0]["thread"]
    assert {r["thread"] for r in _all(api.comment_page, sort="created_at", post=thread)} == {thread}
    assert _all(api.comment_page, sort="created_at", platform="mastodon") == []
    with pytest.raises(UsageError):
        api.comment_page(Query(after="not-a-cursor", sort="created_at"))
    with pytest.raises(UsageError):
        api.comment_page(Query(sort="likes"))


def test_post_pages_cover_every_post_once(api):
    rows = _all(api.post_page, sort="created_at")
    assert len(rows) == api.status()["posts"] and len({r["id"] for r in rows}) == len(rows)
    assert sum(r["comments"] for r in rows) == api.status()["comments"]


def test_inbox_pages_and_marks(demo_copy):
    api = Sounding(demo_copy)
    everything = api.inbox(Query(limit=500)).items
    paged = _all(lambda q: api.inbox(q), sort="created_at")
    assert [r["id"] for r in paged] == [r["id"] for r in everything] and len(everything) >= 5
    assert all(r["state"] == "open" and r["age_hours"] > 0 for r in everything)
    first, second = everything[0], everything[1]
    api.set_inbox_state(first["platform"], first["id"], "ignored")
    api.set_inbox_state(second["platform"], second["id"], "open", assignee="sam")
    open_now = api.inbox(Query(limit=500)).items  # marks apply on the very next page
    assert first["id"] not in [r["id"] for r in open_now] and len(open_now) == len(everything) - 1
    assert [r["id"] for r in api.inbox(Query(), state="ignored").items] == [first["id"]]
    assert [r["id"] for r in api.inbox(Query(), assignee="sam").items] == [second["id"]]
    with pytest.raises(NotFoundError):
        api.set_inbox_state("twitter", "no-such-comment", "answered")
    with pytest.raises(UsageError):
        api.set_inbox_state(first["platform"], first["id"], "done")
    api.close()


def test_thread_tree_holds_every_comment_once_under_its_parent(api):
    top = max(api.post_page(Query(limit=500, sort="created_at")).items, key=lambda r: r["comments"])
    tree = api.thread(top["id"], top["platform"])
    nodes = flatten(tree)
    assert len(nodes) == top["comments"] + 1 == tree["comments"] + 1
    for depth, node in nodes:
        for child in node["replies"]:
            assert child["parent"] == node["id"] or (depth == 0 and child["parent"] == tree["id"])
    with pytest.raises(NotFoundError):
        api.thread("no-such-post")
