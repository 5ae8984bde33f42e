"""`Sounding.comments` / `sounding comments`: every filter, combined, and keyset pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from labelled_store import label
from typer.testing import CliRunner

from sounding import Sounding
from sounding.cli import app
from sounding.errors import NotFoundError, UsageError
from sounding.records import CommentRecord, PostRecord

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
# comment id: (post, platform, day, text, intent, sentiment, theme)
ITEMS = {
    "m-1": ("m1", "mastodon", 0, "My parcel arrived two weeks late", "problem", "negative", "theme-late-parcels"),
    "m-2": ("m1", "mastodon", 0, "Where is my parcel? 100% lost?", "question", "negative", "theme-late-parcels"),
    "m-3": ("m1", "mastodon", 1, "Love the new packaging!", "praise", "positive", None),
    "m-4": ("m2", "mastodon", 3, "Please ship to Canada", "suggestion", "neutral", "theme-shipping-abroad"),
    "b-1": ("b1", "bluesky", 3, "Can you ship to Canada yet?", "question", "neutral", "theme-shipping-abroad"),
    "b-2": ("b1", "bluesky", 5, "PARCEL late again, third time", "problem", "negative", "theme-late-parcels"),
    "b-3": ("b1", "bluesky", 6, "thanks for the quick refund", "praise", "positive", None),
}


@pytest.fixture
def api(store):
    posts = [PostRecord(p, pid, "brand", f"Post {pid}", T0 - DAY, ours=True, url=f"https://{p}.example/{pid}")
             for pid, p in (("m1", "mastodon"), ("m2", "mastodon"), ("b1", "bluesky"))]
    comments = [CommentRecord(platform, cid, post, f"person-{cid}", text, T0 + day * DAY + timedelta(minutes=i))
                for i, (cid, (post, platform, day, text, *_)) in enumerate(ITEMS.items())]
    store.write_records([*posts, *comments])
    label(store, {cid: (intent, sentiment, theme) for cid, (*_, intent, sentiment, theme) in ITEMS.items()})
    return Sounding(store=store)


def ids(frame) -> list[str]:
    return frame["id"].tolist()


def test_no_filter_lists_everything_oldest_first_with_its_thread(api):
    frame = api.comments()
    assert ids(frame) == list(ITEMS)
    assert frame.set_index("id").loc["b-2", "post"] == "b1"
    assert frame.attrs["next"] is None


def test_each_filter_alone(api):
    assert ids(api.comments(theme="theme-late-parcels")) == ["m-1", "m-2", "b-2"]
    assert ids(api.comments(theme="unclustered")) == ["m-3", "b-3"]
    assert ids(api.comments(intent="question")) == ["m-2", "b-1"]
    assert ids(api.comments(intent=["problem", "praise"])) == ["m-1", "m-3", "b-2", "b-3"]
    assert ids(api.comments(intent="problem,question")) == ["m-1", "m-2", "b-1", "b-2"]
    assert ids(api.comments(sentiment="positive")) == ["m-3", "b-3"]
    assert ids(api.comments(platform="bluesky")) == ["b-1", "b-2", "b-3"]
    assert ids(api.comments(search="parcel")) == ["m-1", "m-2", "b-2"]  # case-insensitive
    assert ids(api.comments(search="100%")) == ["m-2"]  # % and _ are literal, not wildcards
    assert ids(api.comments(search="0_")) == []


def test_a_lesson_is_its_themes_comments(api):
    lessons = api.lessons().set_index("theme")
    assert "theme-shipping-abroad" not in lessons.index  # two comments: a theme, not yet a lesson
    lesson = int(lessons.loc["theme-late-parcels", "lesson"])
    assert ids(api.comments(lesson=lesson)) == ["m-1", "m-2", "b-2"]
    assert ids(api.comments(lesson=f"#{lesson}")) == ["m-1", "m-2", "b-2"]


def test_a_post_by_store_id_platform_id_or_url(api):
    m1 = api.find_post("mastodon:m1")
    assert ids(api.comments(post="mastodon:m1")) == ["m-1", "m-2", "m-3"]
    assert ids(api.comments(post=m1.id)) == ["m-1", "m-2", "m-3"]
    assert ids(api.comments(post=f"#{m1.id}")) == ["m-1", "m-2", "m-3"]
    assert ids(api.comments(post="https://bluesky.example/b1")) == ["b-1", "b-2", "b-3"]
    assert ids(api.comments(post="b1")) == ["b-1", "b-2", "b-3"]  # a platform id only one post has


def test_time_bounds_dates_include_the_whole_day(api):
    assert ids(api.comments(since="2026-03-04")) == ["m-4", "b-1", "b-2", "b-3"]
    assert ids(api.comments(until="2026-03-02")) == ["m-1", "m-2", "m-3"]  # all of 2 March
    assert ids(api.comments(since="2026-03-02", until="2026-03-04")) == ["m-3", "m-4", "b-1"]
    assert ids(api.comments(until=T0 + timedelta(minutes=1))) == ["m-1", "m-2"]  # a time is inclusive
    assert ids(api.comments(since="2026-03-06T00:00:00Z")) == ["b-2", "b-3"]
    assert ids(api.comments(since="10000d")) == list(ITEMS)  # an age


def test_filters_combine(api):
    frame = api.comments(theme="theme-late-parcels", platform="mastodon", intent="question", since="2026-03-01")
    assert ids(frame) == ["m-2"]
    assert ids(api.comments(intent="praise", search="refund", post="bluesky:b1")) == ["b-3"]


def test_keyset_pages_cover_everything_once_in_order(api):
    seen, after, pages = [], None, 0
    while True:
        page = api.comments(limit=3, after=after)
        seen += ids(page)
        pages += 1
        after = page.attrs["next"]
        if after is None:
            break
    assert seen == list(ITEMS) and pages == 3
    filtered = api.comments(platform="mastodon", limit=2)
    assert ids(api.comments(platform="mastodon", limit=2, after=filtered.attrs["next"])) == ["m-3", "m-4"]


def test_newest_first_pages_backwards_in_time(api):
    first = api.comments(newest=True, limit=4)
    assert ids(first) == list(reversed(ITEMS))[:4]
    assert ids(api.comments(newest=True, limit=4, after=first.attrs["next"])) == ["m-3", "m-2", "m-1"]
    assert ids(api.comments(newest=True, theme="theme-late-parcels")) == ["b-2", "m-2", "m-1"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"theme": "theme-nope"}, NotFoundError),
        ({"lesson": 999}, NotFoundError),
        ({"lesson": "seats"}, UsageError),
        ({"intent": "complaint"}, UsageError),
        ({"sentiment": "angry"}, UsageError),
        ({"post": "mastodon:nope"}, NotFoundError),
        ({"post": "https://mastodon.example/none"}, NotFoundError),
        ({"platform": "myspace"}, NotFoundError),
        ({"since": "last tuesday"}, UsageError),
        ({"since": "2026-03-05", "until": "2026-03-01"}, UsageError),
        ({"after": "not-a-cursor"}, UsageError),
        ({"theme": "theme-late-parcels", "lesson": 1}, UsageError),
        ({"limit": -1}, UsageError),
    ],
)
def test_bad_filters_are_user_errors(api, kwargs, error):
    with pytest.raises(error):
        api.comments(**kwargs)


def test_uri_platform_ids_are_ids_not_platforms(store):
    uri = "at://did:plc:abc/app.bsky.feed.post/3k2"
    store.write_records([PostRecord("bluesky", uri, "brand", "hello", T0, ours=True,
                                    url="https://bsky.app/profile/brand/post/3k2")])
    api = Sounding(store=store)
    assert api.find_post(uri).platform_id == uri
    assert api.find_post(f"bluesky:{uri}").platform_id == uri
    assert api.find_post("https://bsky.app/profile/brand/post/3k2/").platform_id == uri


def test_a_bare_number_that_names_two_posts_is_refused(store):
    store.write_records([PostRecord("mastodon", "2", "brand", "two", T0, ours=True),
                         PostRecord("bluesky", "1", "brand", "one", T0, ours=True)])
    api = Sounding(store=store)
    assert api.find_post("#1").platform_id == "2"  # store id 1 is the first post written
    with pytest.raises(UsageError, match="ambiguous"):
        api.find_post("1")  # store id 1 (mastodon:2) or bluesky:1


def test_cli_prints_ids_in_full_and_pages(api):
    runner = CliRunner()
    db = ["--db", api.store.url]
    shown = runner.invoke(app, [*db, "comments", "--theme", "theme-shipping-abroad"], catch_exceptions=False)
    assert shown.exit_code == 0
    assert shown.output.count("theme-shipping-abroad") == 2 and "b-1" in shown.output
    first = runner.invoke(app, [*db, "comments", "--limit", "4"], catch_exceptions=False)
    cursor = first.output.split("--after ")[1].split()[0]
    rest = runner.invoke(app, [*db, "comments", "--after", cursor, "--json"], catch_exceptions=False)
    assert [d["id"] for d in json.loads(rest.stdout)] == ["b-1", "b-2", "b-3"]
    data = json.loads(runner.invoke(app, [*db, "comments", "--intent", "question", "--platform", "bluesky",
                                          "--json"]).stdout)
    assert [(d["id"], d["theme"], d["post"]) for d in data] == [("b-1", "theme-shipping-abroad", "b1")]


def test_pages_interleave_audience_posts_and_comments_at_the_same_time(store):
    """Comments and audience posts are read by one ordered query each and merged: every item once, in
    (time, kind, id) order both ways, across page breaks that fall between items of the same second."""
    same = T0 + DAY
    records = [PostRecord("x", "ours", "brand", "Our post", T0, ours=True)]
    records += [PostRecord("x", f"p{i}", f"fan{i}", f"Customer post {i}", same) for i in range(3)]
    records += [CommentRecord("x", f"c{i}", "ours", f"reply{i}", f"Reply {i}", same) for i in range(3)]
    records += [CommentRecord("x", "c-late", "ours", "late", "Later reply", same + DAY)]
    store.write_records(records)
    label(store, {r.id: ("other", "neutral", None) for r in records if not r.ours})
    api = Sounding(store=store)
    expected = api.comments()["id"].tolist()
    assert sorted(expected) == sorted(["p0", "p1", "p2", "c0", "c1", "c2", "c-late"])
    assert expected[:3] == ["c0", "c1", "c2"] and expected[-1] == "c-late"  # "comment" sorts before "post"
    for newest in (False, True):
        seen, after = [], None
        while True:
            page = api.comments(limit=2, after=after, newest=newest)
            seen += ids(page)
            after = page.attrs["next"]
            if after is None:
                break
        assert seen == (list(reversed(expected)) if newest else expected), newest
