"""Meta's "Download your information" JSON: Instagram, Threads and Facebook (our own activity only).

Fixtures in ``tests/fixtures/archives/{instagram,facebook}`` follow the layouts documented in
docs/sources.md, written the way Meta writes them: every non-ASCII character as latin-1-escaped
UTF-8 bytes (``Caf\\u00c3\\u00a9``), times in Unix seconds.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from sounding.cli import app
from sounding.importers import detect
from sounding.platforms.meta import repair

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "archives"
IG = "your_instagram_activity"
runner = CliRunner()


def run(db: Path, *args: str):
    return runner.invoke(app, ["--db", str(db), *args])


def imported(db: Path, path: Path) -> dict:
    result = run(db, "import", str(path), "--json")
    assert "Traceback" not in result.output
    return json.loads(result.stdout)[0]


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_repair_turns_meta_mojibake_back_and_leaves_real_text_alone():
    assert repair("Caf\u00c3\u00a9 \u00f0\u009f\u0091\u008d") == "Café 👍"
    assert repair("Café ☕") == "Café ☕"  # not mojibake (a character above U+00FF): unchanged
    assert repair(None) == ""


def test_instagram_posts_and_our_comments(tmp_path):
    root = tmp_path / "instagram-brand.studio-2026-11-01"
    shutil.copytree(FIXTURES / "instagram", root)
    posts, comments = root / IG / "content" / "posts_1.json", root / IG / "comments" / "post_comments_1.json"
    assert detect(posts).name == detect(comments).name == "instagram-archive"
    db = tmp_path / "s.db"
    report = imported(db, posts)
    assert (report["new"]["posts"], report["rejected"]) == (2, 1)
    assert report["first_rejects"] == [{"line": 3, "error": "item 3: no creation_timestamp"}]
    assert report["note"].startswith("Instagram archive: our posts and our own comments only")
    got = rows(db, "select text, ours, created_at from posts order by created_at")
    assert got == [
        ("Which colour next? Café crème or noir ☕", 1, "2026-10-14 17:46:40.000000"),  # the item's title
        ("XL is back 👍 thanks for asking", 1, "2026-10-15 21:33:20.000000"),  # the one medium's title
    ]

    report = imported(db, comments)
    # two comments; each hangs from a stand-in for the owner's posts (the archive names no post)
    assert (report["new"]["posts"], report["new"]["comments"], report["rejected"]) == (2, 2, 2)
    assert {r["line"]: r["error"] for r in report["first_rejects"]} == {
        3: "item 3: no Time", 4: "item 4: no string_map_data"}
    got = rows(db, "select c.text, c.ours, p.platform_id, p.ours from comments c join posts p on p.id = c.post_id "
                   "order by c.created_at")
    assert got == [("@anna.b Yes, noir is coming in November!", 1, "archive-posts-of:brand.studio", 1),
                   ("Love this collab 😍", 1, "archive-posts-of:partner.shop", 0)]
    # the author is the username from personal_information.json (stored only as a pseudonym)
    authors = {(type(r.record).__name__, r.record.author) for r in detect(comments).rows(comments) if r.record}
    assert authors == {("CommentRecord", "brand.studio"), ("PostRecord", "brand.studio"),
                       ("PostRecord", "partner.shop")}
    again = imported(db, comments)  # stable ids: nothing new the second time
    assert again["new"]["comments"] == again["new"]["posts"] == 0


def test_threads_threads_and_replies(tmp_path):
    path = tmp_path / IG / "threads" / "threads_and_replies.json"
    path.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "instagram" / IG / "threads" / "threads_and_replies.json", path)
    assert detect(path).name == "threads-archive"
    db = tmp_path / "s.db"
    report = imported(db, path)
    assert (report["new"]["posts"], report["new"]["comments"], report["rejected"]) == (2, 1, 1)
    assert report["first_rejects"][0] == {"line": 3, "error": "item 3: creation_timestamp is not a Unix time: 'soon'"}
    assert rows(db, "select platform, text, ours from posts where platform_id like 'archive-post-%'") == [
        ("threads", "What should we fix first in the app? Reply here 🧵", 1)]
    assert rows(db, "select c.text, c.ours, p.platform_id from comments c join posts p on p.id = c.post_id") == [
        ("@ann_fan fixed in today's update, thank you!", 1, "archive-replies-of:[archive owner]")]


def test_facebook_posts_and_comments(tmp_path):
    root = tmp_path / "facebook-brandstudio"
    shutil.copytree(FIXTURES / "facebook", root)
    activity = root / "your_facebook_activity"
    posts = activity / "posts" / "your_posts__check_ins__photos_and_videos_1.json"
    comments = activity / "comments_and_reactions" / "comments.json"
    assert detect(posts).name == detect(comments).name == "facebook-archive"
    db = tmp_path / "s.db"
    report = imported(db, posts)
    # the shared link without words of ours is skipped, not rejected; one item has no time
    assert (report["read"], report["new"]["posts"], report["rejected"]) == (3, 2, 1)
    assert report["first_rejects"] == [{"line": 4, "error": "item 4: no timestamp"}]
    assert [r[0] for r in rows(db, "select text from posts order by created_at")] == [
        "Our new shop opens Saturday – what should we stock first?", "Smørrebrød Friday 🥪 at the shop"]
    report = imported(db, comments)
    assert (report["new"]["posts"], report["new"]["comments"], report["rejected"]) == (1, 1, 1)
    got = rows(db, "select c.text, c.ours, p.platform_id, p.ours from comments c join posts p on p.id = c.post_id")
    assert got == [
        ("Thanks Jörg, we'll have oat milk too!", 1, "archive-commented-posts", 0)]


def test_a_damaged_archive_file_keeps_what_came_before(tmp_path):
    path = tmp_path / "posts_1.json"
    good = json.loads((FIXTURES / "instagram" / IG / "content" / "posts_1.json").read_text())[:1]
    path.write_text(json.dumps(good)[:-1] + ', {"media": [')  # cut off inside the second item
    report = imported(tmp_path / "s.db", path)
    assert report["new"]["posts"] == 1 and report["rejected"] == 1
    assert report["first_rejects"][0]["error"].startswith("posts_1.json is not valid JSON after item 1 (")
    assert report["first_rejects"][0]["error"].endswith("); the rest of the file is not read")
    assert "\n" not in report["first_rejects"][0]["error"]


def test_cli_prints_the_note_once(tmp_path):
    root = tmp_path / "ig"
    shutil.copytree(FIXTURES / "instagram", root)
    files = [str(root / IG / "content" / "posts_1.json"), str(root / IG / "comments" / "post_comments_1.json")]
    result = run(tmp_path / "s.db", "import", *files)
    assert result.output.count("note: Instagram archive") == 1 and "Traceback" not in result.output


def test_detection_needs_the_name_and_the_shape(tmp_path):
    other = tmp_path / "comments.json"  # a name Facebook uses, holding something else
    other.write_text('{"comments": [{"body": "hi"}]}')
    posts = tmp_path / "posts_1.json"
    posts.write_text('[{"id": 1, "body": "not an Instagram post"}]')
    for path in (other, posts):
        result = run(tmp_path / "s.db", "import", str(path))
        assert result.exit_code == 2 and "cannot tell the format" in result.output
    # named by --format, a file of another layout is one located reject, never a silent nothing
    report = json.loads(run(tmp_path / "s.db", "import", str(other), "--format", "facebook-archive",
                            "--json").stdout)[0]
    assert report["read"] == 1 and report["rejected"] == 1
    assert report["first_rejects"][0]["error"].startswith("comments.json holds no items under 'comments_v2'")
    empty = tmp_path / "threads_and_replies.json"
    empty.write_text('{"text_post_app_text_posts": []}')
    report = json.loads(run(tmp_path / "s.db", "import", str(empty), "--json").stdout)[0]
    assert (report["format"], report["read"], report["rejected"]) == ("threads-archive", 0, 0)


def test_instagram_reels_and_reel_comments(tmp_path):
    reels, comments = tmp_path / "reels.json", tmp_path / "reels_comments.json"
    reels.write_text(json.dumps({"ig_reels_media": [{"media": [
        {"uri": "media/reels/202610/1.mp4", "creation_timestamp": 1792400000, "title": "Behind the scenes \u00e2\u009c\u0082"}]}]}))
    comments.write_text(json.dumps({"comments_reels_comments": [{"string_map_data": {
        "Comment": {"value": "Thank you \u00f0\u009f\u0099\u008f"}, "Media Owner": {"value": "fan.page"},
        "Time": {"timestamp": 1792500000}}}]}))
    assert detect(reels).name == detect(comments).name == "instagram-archive"
    db = tmp_path / "s.db"
    assert imported(db, reels)["new"]["posts"] == 1
    assert imported(db, comments)["new"] == {"posts": 1, "comments": 1, "reactions": 0, "polls": 0}
    assert rows(db, "select text from posts where text != ''") == [("Behind the scenes ✂",)]
    assert rows(db, "select text, ours from comments") == [("Thank you 🙏", 1)]
