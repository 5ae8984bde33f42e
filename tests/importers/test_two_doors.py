"""Issue 10 item 9: an export imported and the same account synced give the same rows, in both orders.

The connectors run against transport-level fakes (``responses``) with bodies in the documented
shapes (Mastodon Status/Context entities; Reddit Listings of ``t3``/``t1`` things), as in
tests/connectors; the exports follow the documented archive files (Mastodon ``outbox.json``,
Reddit ``posts.csv``/``comments.csv``/``statistics.csv``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses

from sounding.connectors import AccountRef, RetryPolicy, open_connector
from sounding.connectors.sync import run_connector
from sounding.importers import import_files
from sounding.store import Store

from importer_helpers import stored_rows

# -- Mastodon ------------------------------------------------------------------------------------
BASE = "https://social.example"
ME = {"id": "109", "username": "brand", "acct": "brand", "display_name": "Brand", "url": f"{BASE}/@brand"}
ANN = {"id": "5", "username": "ann", "acct": "ann@elsewhere.example", "url": "https://elsewhere.example/@ann"}
HTML_7 = ('<p>Which one: <a href="https://brand.example/a" rel="nofollow">brand.example/a</a> &amp; B?</p>'
          '<p>Tell us<br>below &lt;3</p>')
HTML_12 = ('<p><span class="h-card"><a href="https://elsewhere.example/@ann" class="u-url mention">'
           '@<span>ann</span></a></span> thanks, noted!</p>')


def _status(sid, content, *, reply_to=None, account=ME, when="2026-11-20T10:00:00.123Z"):
    return {"id": str(sid), "created_at": when, "in_reply_to_id": str(reply_to) if reply_to else None,
            "in_reply_to_account_id": None, "sensitive": False, "spoiler_text": "", "visibility": "public",
            "language": "en", "uri": f"{BASE}/users/{account['username']}/statuses/{sid}",
            "url": f"{BASE}/@{account['username']}/{sid}", "replies_count": 1, "reblogs_count": 1,
            "favourites_count": 2, "content": content, "reblog": None, "account": account,
            "media_attachments": [], "mentions": [], "tags": [], "emojis": [], "poll": None}


def _mastodon_archive(folder: Path) -> list[Path]:
    actor = f"{BASE}/users/brand"

    def create(sid, content, reply_to=None, published="2026-11-20T10:00:00Z"):
        return {"type": "Create", "actor": actor, "object": {
            "type": "Note", "id": f"{actor}/statuses/{sid}", "url": f"{BASE}/@brand/{sid}", "published": published,
            "attributedTo": actor, "content": content, "contentMap": {"en": content},
            "inReplyTo": f"{actor}/statuses/{reply_to}" if reply_to else None, "to": [], "cc": []}}

    outbox = {"@context": "https://www.w3.org/ns/activitystreams", "id": "outbox.json", "type": "OrderedCollection",
              "orderedItems": [create(7, HTML_7), create(12, HTML_12, reply_to=7)]}
    path = folder / "outbox.json"
    path.write_text(json.dumps(outbox))
    return [path]


def _mastodon_sync(store: Store) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{BASE}/api/v1/accounts/verify_credentials", json=ME)
        rsps.get(f"{BASE}/api/v1/accounts/109/statuses", json=[_status(7, HTML_7)])
        rsps.get(f"{BASE}/api/v1/statuses/7/context", json={"ancestors": [], "descendants": [
            _status(10, "<p>the second</p>", reply_to=7, account=ANN, when="2026-11-20T10:01:00.456Z"),
            _status(12, HTML_12, reply_to=7, when="2026-11-20T10:00:00.789Z"),
        ]})
        account = store.upsert_account("mastodon", "brand", BASE, "file:mastodon:brand")
        connector = open_connector(AccountRef("mastodon", "brand", BASE, "tok-123456"), policy=RetryPolicy.fast())
        result = run_connector(store, account, connector)
    assert result.complete, result.error


# -- Reddit --------------------------------------------------------------------------------------
OAUTH = "https://oauth.reddit.com"
SECRET = json.dumps({"client_id": "cid-abcdef", "client_secret": "csecret-xyz987", "password": "hunter2-reddit"})
T0 = 1_747_542_932.0  # 2025-05-18 04:35:32 UTC


def _listing(children, after=None):
    return {"kind": "Listing", "data": {"after": after, "before": None, "dist": len(children),
                                        "children": children, "modhash": None}}


def _thing_post():
    return {"kind": "t3", "data": {
        "id": "abc", "name": "t3_abc", "title": "Which colour next?", "selftext": "Red or blue &amp; why?",
        "author": "brand", "created_utc": T0, "permalink": "/r/brand/comments/abc/which_colour/", "score": 12,
        "num_comments": 3, "subreddit": "brand", "url": "https://www.reddit.com/r/brand/comments/abc/which_colour/",
        "is_self": True, "over_18": False}}


def _thing_comment(cid, parent, body, author, created, replies=None):
    return {"kind": "t1", "data": {
        "id": cid, "name": f"t1_{cid}", "parent_id": parent, "link_id": "t3_abc", "author": author, "body": body,
        "created_utc": created, "score": 3, "depth": 0, "permalink": f"/r/brand/comments/abc/which_colour/{cid}/",
        "subreddit": "brand", "replies": _listing(replies) if replies else ""}}


def _reddit_sync(store: Store) -> None:
    thread = [_listing([_thing_post()]), _listing([
        _thing_comment("k1", "t3_abc", "Blue, because it is calm", "ann", T0 + 60, replies=[
            _thing_comment("k2", "t1_k1", "Thanks! Blue it is.", "brand", T0 + 120)]),
        _thing_comment("k3", "t3_abc", "We will decide Friday.", "brand", T0 + 180),
    ])]

    def reply(body):
        return lambda request: (200, {"x-ratelimit-remaining": "99", "x-ratelimit-used": "1",
                                      "x-ratelimit-reset": "300"}, json.dumps(body))

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, "https://www.reddit.com/api/v1/access_token",
                 json={"access_token": "at-123", "token_type": "bearer", "expires_in": 86400, "scope": "*"})
        rsps.add_callback(responses.GET, f"{OAUTH}/user/brand/submitted", callback=reply(_listing([_thing_post()])))
        rsps.add_callback(responses.GET, f"{OAUTH}/comments/abc/", callback=reply(thread))
        account = store.upsert_account("reddit", "brand", None, "file:reddit:brand")
        connector = open_connector(AccountRef("reddit", "brand", None, SECRET), policy=RetryPolicy.fast())
        result = run_connector(store, account, connector)
    assert result.complete, result.error


def _reddit_export(folder: Path) -> list[Path]:
    link = "https://www.reddit.com/r/brand/comments/abc/which_colour/"
    (folder / "statistics.csv").write_text("statistic,value\naccount name,brand\nexport time,2025-06-01\n")
    (folder / "posts.csv").write_text(
        "id,permalink,date,ip,subreddit,gildings,title,url,body\n"
        f"abc,{link},2025-05-18 04:35:32 UTC,10.0.0.1,brand,0,Which colour next?,,Red or blue &amp; why?\n")
    (folder / "comments.csv").write_text(
        "id,permalink,date,ip,subreddit,gildings,link,parent,body,media\n"
        f"k2,{link}k2/,2025-05-18 04:37:32 UTC,,brand,0,{link},t1_k1,Thanks! Blue it is.,\n"
        f"k3,{link}k3/,2025-05-18 04:38:32 UTC,,brand,0,{link},,We will decide Friday.,\n")
    return [folder / "posts.csv", folder / "comments.csv"]


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDING_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SOUNDING_SECRETS_BACKEND", "file")


@pytest.mark.parametrize("platform", ["mastodon", "reddit"])
def test_export_then_sync_and_sync_then_export_give_the_same_rows(tmp_path, platform):
    export, sync = {"mastodon": (_mastodon_archive, _mastodon_sync), "reddit": (_reddit_export, _reddit_sync)}[platform]
    files = export(tmp_path)
    first = Store.open(str(tmp_path / "export-first.db"))
    import_files(first, files)
    sync(first)
    second = Store.open(str(tmp_path / "sync-first.db"))
    second.salt  # noqa: B018 - created now, then made equal so pseudonyms can be compared
    with second.engine.begin() as conn:
        conn.exec_driver_sql("update meta set value = ? where key = 'pseudonym_salt'", (first.salt.hex(),))
    second._writer = None
    sync(second)
    reports = import_files(second, files)
    assert sum(r.new["posts"] + r.new["comments"] for r in reports) == 0  # all already there
    a, b = stored_rows(first, platform), stored_rows(second, platform)
    assert a == b
    ours = {pid for pid, r in a.items() if r[2 if r[0] == "post" else 3]}
    texts = {r[4] if r[0] == "post" else r[5] for r in a.values()}
    if platform == "mastodon":  # our post and reply from both doors; ann's reply from the sync
        assert set(a) == {"7", "10", "12"} and ours == {"7", "12"}
        assert "Which one: brand.example/a & B?\n\nTell us\nbelow <3" in texts and "@ann thanks, noted!" in texts
        assert a["7"][1] is not None  # the synced account owns the imported post too
    else:
        assert set(a) == {"t3_abc", "t1_k1", "t1_k2", "t1_k3"} and ours == {"t3_abc", "t1_k2", "t1_k3"}
        assert a["t1_k2"][2] == "t1_k1"  # our reply hangs under ann's comment in both orders
