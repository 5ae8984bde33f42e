"""The platforms' own archives: X ``tweets.js`` and TikTok ``user_data.json``.

Fixtures in ``tests/fixtures/archives`` follow the documented layouts: X's archive
(``data/tweets.js``: ``window.YTD.tweets.part0 = [{"tweet": {...}}]``, strings for counts,
``created_at`` like ``Mon Nov 02 10:00:00 +0000 2026``, ``data/account.js`` for the handle) and
TikTok's JSON export (``Video.Videos.VideoList`` with ``Date``, ``Link``, ``Likes``).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from sounding.cli import app
from sounding.importers import detect

from importer_helpers import latest_counts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "archives"
runner = CliRunner()


def run(db: Path, *args: str):
    return runner.invoke(app, ["--db", str(db), *args])


def test_x_tweets_js_posts_replies_and_what_it_cannot_hold(tmp_path):
    archive = tmp_path / "data"
    shutil.copytree(FIXTURES / "x" / "data", archive)
    path = archive / "tweets.js"
    assert detect(path).name == "x-archive"
    db = tmp_path / "s.db"
    report = json.loads(run(db, "import", str(path), "--json").stdout)[0]
    # our question and our thread reply are in; the retweet is skipped (not our words); the reply to
    # a fan's tweet has no parent in the store (archives hold no audience posts); one broken date
    assert (report["new"]["posts"], report["new"]["comments"], report["rejected"]) == (1, 1, 2)
    errors = {r["line"]: r["error"] for r in report["first_rejects"]}
    assert errors[5] == "item 5: created_at is not a tweet date: 'yesterday'"
    assert errors[1] == "unknown parent '1850000000000000003'"
    with sqlite3.connect(db) as conn:
        post = conn.execute("select platform, platform_id, text, ours, url from posts").fetchone()
        reply = conn.execute("select platform_id, text, ours from comments").fetchone()
    assert post == ("x", "1850000000000000001", "What should we fix first in the app? #feedback", 1,
                    "https://x.com/brandstudio/status/1850000000000000001")
    assert reply == ("1850000000000000002", "2/ Reply here or vote below <3", 1)
    assert latest_counts(db, "1850000000000000001")[:2] == (14, 3)

    # once the fan's tweet is in the store (e.g. from `sounding sync` of the X account), our reply fits
    fan = tmp_path / "fan.jsonl"
    fan.write_text(json.dumps({"kind": "post", "platform": "x", "id": "1850000000000000003", "author": "ann_fan",
                               "text": "The app crashes on login", "created_at": "2026-11-03T09:00:00Z"}) + "\n")
    run(db, "import", str(fan))
    again = json.loads(run(db, "import", str(path), "--json").stdout)[0]
    assert again["new"]["comments"] == 1 and again["rejected"] == 1
    with sqlite3.connect(db) as conn:
        text = conn.execute("select text from comments where platform_id = '1850000000000000004'").fetchone()[0]
    assert text == "@ann_fan Fixed in today's update & thanks for telling us!"


def test_x_archive_without_account_js_and_a_file_that_is_not_one(tmp_path):
    path = tmp_path / "tweets.js"
    shutil.copy(FIXTURES / "x" / "data" / "tweets.js", path)
    db = tmp_path / "s.db"
    run(db, "import", str(path))
    with sqlite3.connect(db) as conn:
        assert conn.execute("select url from posts").fetchone() == (None,)  # handle unknown: no URL
    bad = tmp_path / "tweet.js"
    bad.write_text('[{"tweet": {}}]')
    report = json.loads(run(db, "import", str(bad), "--json").stdout)[0]
    assert report["rejected"] == 1 and "not an X archive file" in report["first_rejects"][0]["error"]


def test_tiktok_user_data_videos_with_likes(tmp_path):
    path = tmp_path / "user_data_tiktok.json"
    shutil.copy(FIXTURES / "tiktok" / "user_data_tiktok.json", path)
    db = tmp_path / "s.db"
    report = json.loads(run(db, "import", str(path), "--json").stdout)[0]
    assert report["format"] == "tiktok-archive"
    assert (report["new"]["posts"], report["new"]["comments"], report["rejected"]) == (2, 0, 1)
    assert report["first_rejects"][0] == {"line": 3, "error": "video 3: Date is not YYYY-MM-DD HH:MM:SS: 'not a date'"}
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select platform, platform_id, created_at, ours from posts order by created_at").fetchall()
    assert rows == [("tiktok", "7410000000000000002", "2026-09-20 09:00:00.000000", 1),
                    ("tiktok", "7420000000000000001", "2026-10-02 18:30:00.000000", 1)]
    assert latest_counts(db, "7420000000000000001")[:1] == (57,)
