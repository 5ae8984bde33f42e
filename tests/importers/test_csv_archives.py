"""LinkedIn's data export (``Shares.csv``, ``Comments.csv``) and YouTube's Takeout (``comments.csv``,
``videos.csv``): our own posts and comments, with the platforms' own ids.

Fixtures in ``tests/fixtures/archives/{linkedin,youtube}`` follow the documented headers (see
docs/sources.md), including LinkedIn's backslash-escaped quotes in ``Comments.csv`` and both of
Takeout's ``Comment Text`` forms (``takeoutSegments`` and bare segments with a mention).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from sounding.cli import app
from sounding.importers import detect
from sounding.platforms.youtube import takeout_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "archives"
YT = Path("Takeout") / "YouTube and YouTube Music"
runner = CliRunner()


def imported(db: Path, path: Path) -> dict:
    result = runner.invoke(app, ["--db", str(db), "import", str(path), "--json"])
    assert "Traceback" not in result.output
    return json.loads(result.stdout)[0]


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_linkedin_shares_and_comments(tmp_path):
    shutil.copytree(FIXTURES / "linkedin", tmp_path / "Basic_LinkedInDataExport")
    shares, comments = (tmp_path / "Basic_LinkedInDataExport" / n for n in ("Shares.csv", "Comments.csv"))
    assert detect(shares).name == detect(comments).name == "linkedin-archive"
    db = tmp_path / "s.db"
    report = imported(db, shares)
    assert (report["new"]["posts"], report["rejected"]) == (2, 1)
    assert report["first_rejects"] == [
        {"line": 5, "error": "ShareLink holds no post URN: 'https://www.linkedin.com/in/brand-studio/'"}]
    assert rows(db, "select platform_id, text, ours, created_at from posts order by created_at") == [
        ("urn:li:share:7380000000000000001", 'We are hiring! Tell us what you\'d want from a "good" first week.', 1,
         "2026-10-01 09:00:00.000000"),  # the percent-encoded URN is read
        ("urn:li:ugcPost:7380000000000000002", "Our Q4 roadmap,\nin three lines.", 1, "2026-10-05 12:30:00.000000"),
    ]
    report = imported(db, comments)
    # our reply under our own share; two comments on someone's post, which comes in once as a stand-in
    assert (report["new"]["posts"], report["new"]["comments"], report["rejected"]) == (1, 3, 1)
    assert report["first_rejects"] == [{"line": 5, "error": "Date is not ISO 8601: 'not a date'"}]
    got = rows(db, "select c.text, c.ours, p.platform_id, p.ours from comments c join posts p on p.id = c.post_id "
                   "order by c.created_at")
    assert got == [
        ("Thanks everyone, we read every answer.", 1, "urn:li:share:7380000000000000001", 1),
        ('Great point about "remote first" onboarding.', 1, "urn:li:activity:7390000000000000009", 0),
        ("Following up: we tried it.", 1, "urn:li:activity:7390000000000000009", 0),
    ]
    assert imported(db, comments)["new"] == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}


def test_youtube_takeout_videos_then_comments_with_the_apis_ids(tmp_path):
    shutil.copytree(FIXTURES / "youtube", tmp_path / "takeout")
    videos = tmp_path / "takeout" / YT / "video metadata" / "videos.csv"
    comments = tmp_path / "takeout" / YT / "comments" / "comments.csv"
    assert detect(videos).name == detect(comments).name == "youtube-takeout"
    db = tmp_path / "s.db"
    report = imported(db, videos)
    assert (report["new"]["posts"], report["rejected"]) == (2, 1)
    assert report["first_rejects"] == [{"line": 4, "error": "no Video ID or Channel ID"}]
    assert rows(db, "select platform_id, text, url, created_at from posts order by created_at") == [
        ("vidAAAAAAA1", "Strap poll #1\n\nWhich strap should we make next? Tell us below.",
         "https://www.youtube.com/watch?v=vidAAAAAAA1", "2026-10-01 09:00:00.000000"),
        ("vidAAAAAAA2", "Unboxing", "https://www.youtube.com/watch?v=vidAAAAAAA2", "2026-10-08 08:00:00.000000"),
    ]
    report = imported(db, comments)
    # our top-level comment fits our video; the reply's parent (a fan's comment) and the other
    # channel's video are not in the store until `sounding sync` brings them; one broken time
    assert (report["new"]["comments"], report["rejected"]) == (1, 3)
    assert {r["line"]: r["error"] for r in report["first_rejects"]} == {
        2: "unknown parent 'UgxFanQuestion0000000001'", 4: "unknown parent 'vidSomeoneElse'",
        5: "Comment Create Timestamp is not ISO 8601: 'last week'"}
    assert rows(db, "select platform_id, text, ours, url from comments") == [
        ("UgxOurTopLevel0000000002", "Pinned: vote in the poll above", 1,
         "https://www.youtube.com/watch?v=vidAAAAAAA1&lc=UgxOurTopLevel0000000002")]
    # once the fan's comment is stored (as `sounding sync` stores it, same ids), our reply fits
    fan = tmp_path / "fan.jsonl"
    fan.write_text(json.dumps({"kind": "comment", "platform": "youtube", "id": "UgxFanQuestion0000000001",
                               "parent_id": "vidAAAAAAA1", "author": "UCanna", "text": "Leather straps?",
                               "created_at": "2026-10-02T09:00:00Z"}) + "\n")
    imported(db, fan)
    again = imported(db, comments)
    assert again["new"]["comments"] == 1
    assert rows(db, "select text from comments where platform_id like '%.AbReply0000001'") == [
        ("Leather is coming, @anna thanks!",)]


def test_takeout_comment_text_forms():
    assert takeout_text('{"takeoutSegments":[{"text":"a "},{"text":"b"}]}') == "a b"
    assert takeout_text('{"text":"Hi "},{"text":"@x","mention":{"externalChannelId":"UCx"}}') == "Hi @x"
    assert takeout_text("plain, with a comma") == "plain, with a comma"
    assert takeout_text('{"broken": ') == '{"broken": '
