"""The page cache never shows data older than its bound: another process's import and analysis show
within ``max_stale`` seconds, this app's own writes on the very next page; kept values are
served while the store is unchanged."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from sounding.api import Sounding
from sounding.records import CommentRecord, PostRecord
from sounding.web.app import create_app
from sounding.web.cache import Cache

WORD = "zeppelinwifi"  # in no sample text
QUESTION = f"How do I connect to the {WORD} on my flight?"  # a genuine question ("why does it never ..." reads as venting)


def _comments_count(html: str) -> int:
    return int(re.search(r"<b>([\d,]+)</b> comments", html).group(1).replace(",", ""))


def _timeline_posts(client: TestClient) -> int:
    return sum(row["posts"] for row in client.get("/api/v1/timeline?limit=500").json()["items"])


def test_another_process_import_and_analysis_show_within_the_bound(demo_copy):
    bound = 1.5
    api = Sounding(demo_copy)
    cache = Cache(api, refresh_after=1000.0, max_stale=bound)  # no background refresh: only the bound
    with TestClient(create_app(api, cache=cache)) as client:
        before = client.get("/").text
        assert QUESTION not in client.get(f"/inbox?search={WORD}").text
        posts_before = _timeline_posts(client)
        assert "Data as of" in before

        other = Sounding(demo_copy)  # its own engine: a sync or import in another process
        now = datetime(2017, 11, 2, 9, 0, tzinfo=UTC)
        other.store.write_records([
            PostRecord(platform="twitter", id="cache-post", author="brand", text="We changed our Wi-Fi.",
                       created_at=now, ours=True),
            CommentRecord(platform="twitter", id="cache-q", parent_id="cache-post", author="ann",
                          text=QUESTION,
                          created_at=now + timedelta(minutes=5)),
        ])
        other.analyze(mode="fast")
        other.close()

        served_stale = client.get("/")  # within the bound the kept page may still be served
        assert _comments_count(served_stale.text) in (_comments_count(before), _comments_count(before) + 1)
        time.sleep(bound + 0.3)
        after = client.get("/").text
        assert _comments_count(after) == _comments_count(before) + 1
        assert QUESTION in client.get(f"/inbox?search={WORD}").text
        assert _timeline_posts(client) == posts_before + 1  # the learning value analyze stored


def test_background_refresh_while_writes_go_on(demo_copy):
    api = Sounding(demo_copy)
    cache = Cache(api, refresh_after=0.2, max_stale=60.0)
    with TestClient(create_app(api, cache=cache)) as client:
        before = _comments_count(client.get("/").text)
        other = Sounding(demo_copy)
        post = other.post_page().items[0]
        other.store.write_records([CommentRecord(platform=post["platform"], id="bg-1", parent_id=post["id"],
                                                 author="bo", text="first!",
                                                 created_at=datetime(2017, 11, 3, tzinfo=UTC))])
        other.close()
        deadline = time.monotonic() + 20
        seen = before
        while seen == before and time.monotonic() < deadline:
            time.sleep(0.3)  # the first request after the change starts the refresh; later ones get it
            seen = _comments_count(client.get("/").text)
        assert seen == before + 1


def test_own_marks_show_on_the_next_page_and_unchanged_data_is_kept(demo_copy):
    api = Sounding(demo_copy)
    cache = Cache(api, refresh_after=1000.0, max_stale=1000.0)  # only version changes refresh anything
    with TestClient(create_app(api, cache=cache)) as client:
        first = api.inbox().items[0]
        page = client.get("/inbox").text
        assert first["text"][:30] in page.replace("&#39;", "'") or first["id"] in page
        assert client.get("/inbox").text == page  # unchanged store: the kept page, byte for byte
        response = client.post("/inbox/state", data={"platform": first["platform"], "item": first["id"],
                                                     "state": "answered"}, follow_redirects=False)
        assert response.status_code == 303
        assert [r["id"] for r in api.inbox(state="answered").items] == [first["id"]]
        assert client.get("/inbox?state=answered").text.count("answered") >= 1
        marked = client.get("/inbox").text
        assert marked != page


def test_a_page_is_no_fresher_than_the_values_it_used():
    class FakeStore:
        engine = None

    class Version:
        local, value = 0, 1

        def __call__(self):
            return self.local, self.value

        def bump(self):
            self.local += 1

    version = Version()
    cache = Cache(type("Api", (), {"store": FakeStore()})(), refresh_after=1000.0, max_stale=1000.0,
                  version=version)
    part = cache.entry("part", lambda: "p")
    time.sleep(0.05)
    page = cache.entry("page", lambda: cache("part", lambda: "never") + "!")
    assert page.value == "p!" and page.started == part.started and page.as_of == part.as_of
    version.value = 2  # another process wrote: kept values are served within the bound
    assert cache("page", lambda: "new") == "p!"
    version.bump()  # this app wrote: computed again at once
    assert cache("page", lambda: "new") == "new"


def test_an_import_elsewhere_leaves_analysis_values_kept_and_an_analysis_replaces_them(demo_copy):
    """Lessons, themes and the timeline follow the last analysis run: a sync writing all day does not
    make the server recompute them (on a million comments themes take seconds); an analyze does."""
    api = Sounding(demo_copy)
    cache = Cache(api, refresh_after=1000.0, max_stale=0.5)  # past 0.5 s a changed stamp is recomputed
    calls = {"analysis": 0, "data": 0}

    def count(kind: str):
        def compute() -> int:
            calls[kind] += 1
            return calls[kind]
        return compute

    assert cache("lessons-like", count("analysis"), follows_analysis=True) == 1
    assert cache("counts-like", count("data")) == 1
    other = Sounding(demo_copy)
    post = other.post_page().items[0]
    other.store.write_records([CommentRecord(platform=post["platform"], id="kept-1", parent_id=post["id"],
                                             author="cy", text="Is the lounge open on Sundays?",
                                             created_at=datetime(2017, 11, 4, tzinfo=UTC))])
    time.sleep(1.2)  # past the bound and both polls
    assert cache("counts-like", count("data")) == 2  # the store changed: recomputed
    assert cache("lessons-like", count("analysis"), follows_analysis=True) == 1  # no analysis ran: kept
    other.analyze(mode="fast")
    other.close()
    time.sleep(1.2)
    assert cache("lessons-like", count("analysis"), follows_analysis=True) == 2


def test_pages_on_a_postgresql_store(new_pg_database):
    """The cache's stamp on PostgreSQL (indexed maxima instead of SQLite's data_version)."""
    url = new_pg_database()
    api = Sounding(url)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    records = [PostRecord(platform="bluesky", id="pg-post", author="brand", text="What should we fix first?",
                          created_at=start, ours=True)]
    records += [CommentRecord(platform="bluesky", id=f"pg-{i}", parent_id="pg-post", author=f"p{i}",
                              text=text, created_at=start + timedelta(minutes=i))
                for i, text in enumerate(["The app crashes when I upload a photo", "Uploads crash every time",
                                          "Photo upload keeps crashing on Android", "Can you add dark mode?"])]
    api.store.write_records(records)
    api.analyze(mode="fast")
    cache = Cache(api, refresh_after=1000.0, max_stale=0.3)
    with TestClient(create_app(api, cache=cache)) as client:
        for path in ("/", "/lessons", "/themes", "/inbox", "/comments", "/api/v1/timeline"):
            assert client.get(path).status_code == 200, path
        before = _comments_count(client.get("/").text)
        other = Sounding(url)
        other.store.write_records([CommentRecord(platform="bluesky", id="pg-late", parent_id="pg-post",
                                                 author="p9", text="Any update on uploads?",
                                                 created_at=start + timedelta(hours=1))])
        other.close()
        time.sleep(0.5)
        assert _comments_count(client.get("/").text) == before + 1
    api.close()
