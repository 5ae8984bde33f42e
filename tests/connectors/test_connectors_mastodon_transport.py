"""Mastodon pagination edge cases the mock does not produce, at the HTTP transport (``responses``).

Bodies follow the documented Mastodon entities (Status, Account, Context); pagination follows
the documented ``Link`` header (``rel="next"`` carries ``max_id``, ``rel="prev"`` ``min_id``).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import responses

from sounding.connectors import AccountRef, RetryPolicy, open_connector

BASE = "https://social.example"
ME = {"id": "109", "username": "brand", "acct": "brand", "display_name": "Brand", "url": f"{BASE}/@brand"}


def _status(sid: int, *, reply_to: int | None = None, account=ME, when="2026-11-20T10:00:00.000Z") -> dict:
    return {
        "id": str(sid),
        "created_at": when,
        "in_reply_to_id": str(reply_to) if reply_to else None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": f"{BASE}/users/{account['username']}/statuses/{sid}",
        "url": f"{BASE}/@{account['username']}/{sid}",
        "replies_count": 0,
        "reblogs_count": 1,
        "favourites_count": 2,
        "content": f"<p>status {sid}</p>",
        "reblog": None,
        "account": account,
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "poll": None,
    }


def _link(next_max: str | None = None, prev_min: str | None = None) -> dict:
    parts = []
    if next_max:
        parts.append(
            f'<{BASE}/api/v1/accounts/109/statuses?limit=40&max_id={next_max}&exclude_reblogs=true>; rel="next"'
        )
    if prev_min:
        parts.append(
            f'<{BASE}/api/v1/accounts/109/statuses?limit=40&min_id={prev_min}&exclude_reblogs=true>; rel="prev"'
        )
    return {"Link": ", ".join(parts)} if parts else {}


def _connector():
    return open_connector(AccountRef("mastodon", "brand", BASE, "tok-123456"), policy=RetryPolicy.fast())


def _collect(connector) -> list[str]:
    return [p.record.id for p in connector.iter_posts(None)]


def test_link_pagination_with_an_empty_last_page():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.get(f"{BASE}/api/v1/accounts/verify_credentials", json=ME)
        page1 = [_status(i) for i in (30, 29, 28)]
        page2 = [_status(i) for i in (27, 26)] + [_status(25, reply_to=99)]  # our reply elsewhere: not a post
        pages = {
            None: (page1, _link(next_max="28", prev_min="30")),
            "28": (page2, _link("25", "27")),
            # the last page is empty but still carries a Link header (Mastodon does this)
            "25": ([], _link(None, "25")),
        }
        seen = []

        def statuses(request):
            query = parse_qs(urlsplit(request.url).query)
            max_id = query.get("max_id", [None])[0]
            seen.append(max_id)
            body, headers = pages[max_id]
            return 200, {"Content-Type": "application/json", **headers}, json.dumps(body)

        rsps.add_callback(responses.GET, f"{BASE}/api/v1/accounts/109/statuses", callback=statuses)
        ids = _collect(_connector())
    assert ids == ["30", "29", "28", "27", "26"]
    assert seen == [None, "28", "25"]


def test_no_link_header_means_one_page():
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/api/v1/accounts/verify_credentials", json=ME)
        rsps.get(f"{BASE}/api/v1/accounts/109/statuses", json=[_status(3), _status(2)])
        ids = _collect(_connector())
        assert len([c for c in rsps.calls if "/statuses" in c.request.url]) == 1
    assert ids == ["3", "2"]


def test_only_prev_link_stops_and_a_thread_with_missing_parent_is_kept_last():
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/api/v1/accounts/verify_credentials", json=ME)
        rsps.get(f"{BASE}/api/v1/accounts/109/statuses", json=[_status(7)], headers=_link(None, "7"))
        other = {
            "id": "5",
            "username": "ann",
            "acct": "ann@elsewhere.example",
            "url": "https://elsewhere.example/@ann",
        }
        rsps.get(
            f"{BASE}/api/v1/statuses/7/context",
            json={
                "ancestors": [],
                "descendants": [
                    _status(9, reply_to=8, account=other),  # its parent (8) was deleted: not in the context
                    _status(10, reply_to=7, account=other),
                    _status(11, reply_to=10, account=ME),
                ],
            },
        )
        connector = _connector()
        posts = list(connector.iter_posts(None))
        records = connector.fetch_thread(posts[0])
    assert [p.record.id for p in posts] == ["7"]
    assert [(r.id, r.parent_id, r.ours) for r in records] == [
        ("10", "7", False),
        ("11", "10", True),
        ("9", "8", False),
    ]
    assert records[0].author == "ann@elsewhere.example"
