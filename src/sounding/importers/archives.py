"""The platforms' own "download your data" archives, where they hold our posts and our replies.

These archives hold the account's *own* activity, not the audience's comments on its posts (get
those through the platform's API connector, or a comment export with ``--map``/``--preset``).

* **X** ``data/tweets.js`` (older archives: ``tweet.js``; large ones: ``tweets-part1.js``…): a
  JavaScript assignment ``window.YTD.tweets.part0 = [{"tweet": {…}}, …]``. Each tweet has
  ``id_str``, ``full_text`` (HTML entities escaped), ``created_at`` (``Wed Oct 10 20:19:24 +0000
  2018``), ``favorite_count``/``retweet_count`` (strings), ``in_reply_to_status_id_str``. Our
  posts become posts, our replies comments (their parent is the tweet replied to: when that is
  someone else's, it is in the store only after ``sounding sync`` of the X account, otherwise
  the reply is set aside as an unknown parent). Retweets (``RT @…``) are skipped: not our words.
  The handle comes from ``account.js`` beside the file when it is there. Ids are X's, so an
  archive and the API connector store the same rows once.
* **TikTok** ``user_data.json`` / ``user_data_tiktok.json`` (JSON format of "Download your
  data"): our videos (``Video.Videos.VideoList`` or ``Post.Posts.VideoList``; older:
  ``Activity.Video.Videos.VideoList``) with ``Date``, ``Link`` and ``Likes``. Its comment list is
  the comments *we* wrote, without the video they answer, so it is not imported.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from sounding.importers.base import MAX_TEXT, Row, RowError, json_error
from sounding.importers.generic import open_binary
from sounding.records import CommentRecord, PostRecord

X_FILE = re.compile(r"^tweets?(-part\d+)?\.js$")
TIKTOK_FILES = {"user_data.json", "user_data_tiktok.json"}
TIKTOK_VIDEOS = ("Post.Posts.VideoList", "Video.Videos.VideoList", "Activity.Video.Videos.VideoList")
VIDEO_ID = re.compile(r"/video/(\d+)")


def _skip_assignment(handle: BinaryIO) -> None:
    """Move past ``window.YTD.<name>.partN =`` so the rest is plain JSON."""
    head = handle.read(200)
    at = head.find(b"=")
    if not head.lstrip().startswith(b"window.YTD.") or at < 0:
        raise RowError("not an X archive file (no 'window.YTD.… =' at its start)")
    handle.seek(at + 1)


def _x_handle(path: Path) -> str:
    account = path.with_name("account.js")
    if not account.exists():
        return "[archive owner]"
    try:
        with open(account, "rb") as handle:
            _skip_assignment(handle)
            items = json.loads(handle.read())
        return str(items[0]["account"]["username"])
    except (RowError, ValueError, KeyError, IndexError, TypeError):
        return "[archive owner]"


def tweet_record(tweet: Any, handle: str) -> PostRecord | CommentRecord | None:
    if not isinstance(tweet, dict):
        raise RowError("item has no 'tweet' object")
    tid, created, text = tweet.get("id_str") or tweet.get("id"), tweet.get("created_at"), tweet.get("full_text")
    if not tid or not created or text is None:
        raise RowError("tweet lacks id_str, created_at or full_text")
    if str(text).startswith("RT @"):
        return None
    text = html.unescape(str(text))
    if len(text) > MAX_TEXT:
        raise RowError(f"full_text is {len(text):,} characters long (limit {MAX_TEXT:,})")
    try:
        when = datetime.strptime(str(created), "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        raise RowError(f"created_at is not a tweet date: {str(created)[:40]!r}") from None
    common = dict(
        platform="x", id=str(tid), author=handle, text=text, created_at=when.astimezone(UTC),
        url=f"https://x.com/{handle}/status/{tid}" if not handle.startswith("[") else None, ours=True,
        likes=_int(tweet.get("favorite_count")), reposts=_int(tweet.get("retweet_count")),
    )
    parent = tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id")
    if parent:
        return CommentRecord(parent_id=str(parent), **common)
    return PostRecord(**common)


def _int(value: Any) -> int | None:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return None


class XTweetsJs:
    name = "x-archive"
    description = "X archive data/tweets.js (window.YTD.tweets.part0 = [...]): our posts and replies"
    note = ("X archive: our posts and replies only; a reply to someone else's post is set aside unless that post "
            "is stored; the audience's replies come through `sounding connect x`")

    def matches(self, path: Path) -> bool:
        return bool(X_FILE.match(path.name))

    def rows(self, path: Path) -> Iterator[Row]:
        handle_name = _x_handle(path)
        with open_binary(path) as handle:
            try:
                _skip_assignment(handle)
            except RowError as exc:
                yield Row(1, "", error=str(exc))
                return
            number = 0
            try:
                for number, item in enumerate(ijson.items(handle, "item", use_float=True), start=1):
                    try:
                        record = tweet_record((item or {}).get("tweet") if isinstance(item, dict) else None, handle_name)
                    except RowError as exc:
                        yield Row(number, json.dumps(item, default=str)[:10_000], error=f"item {number}: {exc}")
                        continue
                    if record is not None:
                        yield Row(number, "", record=record)
            except ijson.JSONError as exc:
                yield Row(number + 1, "", error=f"tweets.js is not valid JSON after item {number}: {json_error(exc)}")


class TikTokUserData:
    name = "tiktok-archive"
    description = "TikTok user_data.json (Download your data, JSON): our videos with likes"
    note = "TikTok archive: our videos with likes only, no comments; comments come from a comment export (--preset)"

    def matches(self, path: Path) -> bool:
        return path.name in TIKTOK_FILES

    def rows(self, path: Path) -> Iterator[Row]:
        author = self._username(path)
        for prefix in TIKTOK_VIDEOS:
            found = False
            with open_binary(path) as handle:
                try:
                    for number, video in enumerate(ijson.items(handle, f"{prefix}.item"), start=1):
                        found = True
                        try:
                            yield Row(number, "", record=self._video(video, author))
                        except RowError as exc:
                            yield Row(number, json.dumps(video, default=str)[:10_000], error=f"video {number}: {exc}")
                except ijson.JSONError as exc:
                    yield Row(0, "", error=f"user_data.json is not valid JSON: {json_error(exc)}")
                    return
            if found:
                return

    @staticmethod
    def _username(path: Path) -> str:
        with open_binary(path) as handle:
            try:
                for value in ijson.items(handle, "Profile.Profile Information.ProfileMap.userName"):
                    return str(value)
            except ijson.JSONError:
                pass
        return "[archive owner]"

    @staticmethod
    def _video(video: Any, author: str) -> PostRecord:
        if not isinstance(video, dict):
            raise RowError("not an object")
        link, date = str(video.get("Link") or ""), video.get("Date")
        match = VIDEO_ID.search(link)
        if not match or not date:
            raise RowError("no Link with a video id, or no Date")
        try:
            when = datetime.strptime(str(date), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            raise RowError(f"Date is not YYYY-MM-DD HH:MM:SS: {str(date)[:30]!r}") from None
        text = str(video.get("Title") or video.get("Description") or video.get("Desc") or "")
        return PostRecord(
            platform="tiktok", id=match.group(1), author=author, text=text[:MAX_TEXT], created_at=when,
            url=link, ours=True, likes=_int(video.get("Likes")),
        )
