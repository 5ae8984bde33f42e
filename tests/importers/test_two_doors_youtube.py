"""YouTube from two doors: a Takeout (``videos.csv``, ``comments.csv``) and ``sounding sync`` give
the same rows, in both orders (the ids, authors, texts, URLs and times of :mod:`sounding.platforms.youtube`).

The sync runs against an httplib2 look-alike answering with Data API v3 bodies (``channels``,
``playlistItems``, ``videos``, ``commentThreads`` with embedded replies), as in tests/connectors;
the Takeout files follow the headers in docs/sources.md (microsecond times, ``takeoutSegments`` text).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httplib2
import pytest

from sounding.connectors import AccountRef, RetryPolicy, open_connector
from sounding.connectors.sync import run_connector
from sounding.importers import import_files
from sounding.store import Store

from importer_helpers import stored_rows

CHANNEL = "UCbrandstudio0000000000a"
KEY = "AIzaTESTKEY-two-doors"


def _comment(cid: str, text: str, author: str, when: str, parent: str | None = None) -> dict:
    sn = {"authorDisplayName": f"@{author}", "authorChannelId": {"value": author}, "channelId": CHANNEL,
          "videoId": "vidAAAAAAA1", "textDisplay": text, "textOriginal": text, "likeCount": 1,
          "publishedAt": when, "updatedAt": when}
    if parent:
        sn["parentId"] = parent
    return {"kind": "youtube#comment", "id": cid, "snippet": sn}


class FakeYouTube:
    """Answers googleapiclient's requests by resource name."""

    def request(self, uri, method="GET", body=None, headers=None, redirections=5, connection_type=None):
        parts = urlsplit(uri)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        return httplib2.Response({"status": "200", "content-type": "application/json"}), json.dumps(
            self.route(parts.path.rsplit("/", 1)[-1], q)).encode()

    def close(self):
        pass

    @staticmethod
    def route(name: str, q: dict) -> dict:
        if name == "channels":
            return {"items": [{"id": CHANNEL, "contentDetails": {"relatedPlaylists": {"uploads": "UUbrand"}}}]}
        if name == "playlistItems":
            return {"items": [{"contentDetails": {"videoId": "vidAAAAAAA1"}}]}
        if name == "videos":
            return {"items": [{"id": "vidAAAAAAA1", "snippet": {
                "publishedAt": "2026-10-01T09:00:00Z", "channelId": CHANNEL, "title": "Strap poll #1",
                "description": "Which strap should we make next?"},
                "statistics": {"viewCount": "100", "likeCount": "5", "commentCount": "2"}}]}
        if name == "commentThreads":
            return {"items": [{"id": "UgxFan01", "snippet": {
                "videoId": "vidAAAAAAA1", "totalReplyCount": 1,
                "topLevelComment": _comment("UgxFan01", "Leather please!", "UCanna", "2026-10-02T09:00:00Z")},
                "replies": {"comments": [_comment("UgxFan01.AbReply01", "Leather is coming, thanks!", CHANNEL,
                                                  "2026-10-02T10:00:00Z", parent="UgxFan01")]}},
                {"id": "UgxOurTop02", "snippet": {"videoId": "vidAAAAAAA1", "totalReplyCount": 0, "topLevelComment":
                 _comment("UgxOurTop02", "Pinned: vote in the poll", CHANNEL, "2026-10-03T11:00:00Z")}}]}
        raise AssertionError(f"unexpected request {name} {q}")


def _takeout(folder: Path) -> list[Path]:
    videos, comments = folder / "videos.csv", folder / "comments.csv"
    videos.write_text(
        "Video ID,Approx Duration (ms),Video Audio Language,Video Category,Video Description (Original),"
        "Channel ID,Video Title (Original),Privacy,Video State,Video Create Timestamp,Video Publish Timestamp\n"
        f"vidAAAAAAA1,65000,en,Howto & Style,Which strap should we make next?,{CHANNEL},Strap poll #1,Public,"
        "Processed,2026-10-01T08:00:00+00:00,2026-10-01T09:00:00+00:00\n")
    comments.write_text(
        "Comment ID,Channel ID,Comment Create Timestamp,Price,Parent Comment ID,Video ID,Comment Text\n"
        f'UgxFan01.AbReply01,{CHANNEL},2026-10-02T10:00:00.481516+00:00,0,UgxFan01,vidAAAAAAA1,'
        '"{""takeoutSegments"":[{""text"":""Leather is coming, thanks!""}]}"\n'
        f'UgxOurTop02,{CHANNEL},2026-10-03T11:00:00.271828+00:00,0,,vidAAAAAAA1,'
        '"{""text"":""Pinned: vote in the poll""}"\n')
    return [videos, comments]


def _sync(store: Store) -> None:
    account = store.upsert_account("youtube", CHANNEL, None, "file:youtube")
    connector = open_connector(AccountRef("youtube", CHANNEL, None, KEY), http=FakeYouTube(),
                               policy=RetryPolicy.fast())
    result = run_connector(store, account, connector)
    assert result.complete, result.error


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDING_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SOUNDING_SECRETS_BACKEND", "file")


def test_takeout_then_sync_and_sync_then_takeout_give_the_same_rows(tmp_path):
    files = _takeout(tmp_path)
    first = Store.open(str(tmp_path / "takeout-first.db"))
    reports = import_files(first, files)
    assert reports[1].rejected == 1  # our reply waits for the fan's comment, which only the sync brings
    _sync(first)
    again = import_files(first, files)  # the sync stored our reply under the same id: nothing new, nothing set aside
    assert (again[1].new["comments"], again[1].rejected) == (0, 0)
    second = Store.open(str(tmp_path / "sync-first.db"))
    second.salt  # noqa: B018 - created now, then made equal so pseudonyms can be compared
    with second.engine.begin() as conn:
        conn.exec_driver_sql("update meta set value = ? where key = 'pseudonym_salt'", (first.salt.hex(),))
    second._writer = None
    _sync(second)
    assert sum(r.new["posts"] + r.new["comments"] for r in import_files(second, files)) == 0  # all there
    a, b = stored_rows(first, "youtube"), stored_rows(second, "youtube")
    assert a == b
    assert set(a) == {"vidAAAAAAA1", "UgxFan01", "UgxFan01.AbReply01", "UgxOurTop02"}
    reply = a["UgxFan01.AbReply01"]
    assert reply[2] == "UgxFan01" and reply[3] and reply[5] == "Leather is coming, thanks!"
