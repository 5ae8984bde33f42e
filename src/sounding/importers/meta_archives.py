"""Meta's "Download your information" JSON: Instagram, Threads and Facebook, our own activity only.

These archives hold what the account itself wrote, never the audience's comments (those come in
through ``sounding connect instagram|facebook``). They carry no Graph API ids, so their rows get
ids of their own (:func:`sounding.platforms.archive_id`) and do not meet the rows a sync
stores for the same post. Text is Meta's latin-1-escaped UTF-8 and is repaired; times are seconds.

* **Instagram** ``your_instagram_activity/content/posts_1.json`` (older: ``media/posts_1.json``):
  ``[{"media": [{"uri", "creation_timestamp", "title"}], "title", "creation_timestamp"}]`` (the
  caption is the item's ``title``, or its one medium's); ``reels.json``: ``{"ig_reels_media": […]}``.
  ``comments/post_comments_1.json``: ``[{"string_map_data": {"Comment": {"value"}, "Media Owner":
  {"value"}, "Time": {"timestamp"}}}]``; ``reels_comments.json``: ``{"comments_reels_comments": […]}``.
  A comment names the owner of the post it answers, not the post: our comments hang from one
  stand-in post per owner (``archive-posts-of:<owner>``; ours when the owner is us). The username
  is read from ``personal_information/personal_information/personal_information.json``.
* **Threads** ``your_instagram_activity/threads/threads_and_replies.json``:
  ``{"text_post_app_text_posts": [{"media": [{"creation_timestamp", "title", "text_app_post":
  {"is_reply"}}]}]}``: threads become posts, replies comments under one stand-in post (the
  archive does not say what a reply answers).
* **Facebook** ``your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json``
  (older: ``posts/your_posts_1.json``): ``[{"timestamp", "data": [{"post"}], "attachments", "title"}]``;
  ``comments_and_reactions/comments.json``: ``{"comments_v2": [{"timestamp", "data": [{"comment":
  {"timestamp", "comment", "author"}}], "title"}]}``. Items without words of ours (a shared link
  alone, a sticker) are skipped; comments hang from one stand-in post.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import ijson

from sounding.importers.base import MAX_ID, MAX_TEXT, Row, RowError, json_error
from sounding.importers.generic import open_binary
from sounding.platforms import archive_id
from sounding.platforms.meta import ARCHIVE_OWNER, repair, seconds
from sounding.records import CommentRecord, PostRecord, Record

UNKNOWN = "[unknown]"
IG_POSTS = re.compile(r"^posts_\d+\.json$")
IG_COMMENTS = re.compile(r"^(post_comments(_\d+)?|reels_comments)\.json$")
FB_POSTS = re.compile(r"^your_posts(__check_ins__photos_and_videos)?_\d+\.json$")
Build = Callable[[Any], "list[Record] | None"]


def _head(path: Path, size: int = 4096) -> str:
    with open_binary(path) as handle:
        return handle.read(size).decode("utf-8", "replace")


def _items(path: Path, prefix: str, build: Build) -> Iterator[Row]:
    """Stream the items under ``prefix``: each good one as its records, a bad one as a located reject."""
    number = 0
    with open_binary(path) as handle:
        try:
            for number, item in enumerate(ijson.items(handle, prefix, use_float=True), start=1):
                try:
                    records = build(item)
                except RowError as exc:
                    yield Row(number, json.dumps(item, default=str, ensure_ascii=False)[:10_000],
                              error=f"item {number}: {exc}")
                    continue
                for record in records or ():
                    yield Row(number, "", record=record)
        except ijson.JSONError as exc:
            yield Row(number + 1, "", error=f"{path.name} is not valid JSON after item {number} ({json_error(exc)}); "
                                            "the rest of the file is not read")
            return
    if number == 0 and not _empty(path):
        yield Row(1, "", error=f"{path.name} holds no items under {prefix.removesuffix('.item') or 'its top list'!r}: "
                              "not this archive's layout (see docs/sources.md), or --format names another file")


def _empty(path: Path) -> bool:
    """An archive file whose one list is empty (``[]`` or ``{"key": []}``): nothing to read, no error."""
    head = "".join(_head(path, 65_536).split())
    return head in ("", "[]") or (head.startswith("{") and head.endswith(":[]}") and head.count(":") == 1)


def _text(value: Any) -> str:
    text = repair(value)
    if len(text) > MAX_TEXT:
        raise RowError(f"the text is {len(text):,} characters long (limit {MAX_TEXT:,})")
    return text


def _time(value: Any, name: str) -> datetime:
    when = seconds(value)
    if value is None:
        raise RowError(f"no {name}")
    if when is None:
        raise RowError(f"{name} is not a Unix time: {str(value)[:30]!r}")
    return when


class _StandIns:
    """Posts standing for what an archive does not name, each written once before its first comment."""

    def __init__(self, platform: str) -> None:
        self.platform, self.seen = platform, set()

    def parent(self, key: str, author: str, when: datetime, ours: bool) -> tuple[str, list[Record]]:
        post_id = key[:MAX_ID]
        if post_id in self.seen:
            return post_id, []
        self.seen.add(post_id)
        return post_id, [PostRecord(platform=self.platform, id=post_id, author=author[:MAX_ID] or UNKNOWN,
                                    text="", created_at=when, ours=ours)]


def instagram_username(path: Path) -> str:
    """The archive's username from ``personal_information.json`` above the file, if it is there."""
    for folder in list(path.resolve().parents)[:5]:
        info = folder / "personal_information" / "personal_information" / "personal_information.json"
        if info.is_file():
            try:
                data = json.loads(info.read_bytes())
                return repair(data["profile_user"][0]["string_map_data"]["Username"]["value"])[:MAX_ID]
            except (OSError, ValueError, KeyError, IndexError, TypeError):
                break
    return ARCHIVE_OWNER


def _media_post(item: Any, platform: str, author: str) -> tuple[PostRecord, bool]:
    """An Instagram or Threads post item as a post record, and whether Threads marks it a reply."""
    if not isinstance(item, dict):
        raise RowError("not an object")
    media = [m for m in item.get("media") or [] if isinstance(m, dict)]
    first = media[0] if media else {}
    when = _time(item.get("creation_timestamp") or first.get("creation_timestamp"), "creation_timestamp")
    text = _text(item.get("title") or first.get("title") or "")
    uri = str(first.get("uri") or "")
    if not media and not text:
        raise RowError("neither media nor a caption")
    reply = any(bool((m.get("text_app_post") or {}).get("is_reply")) for m in media)
    post = PostRecord(platform=platform, id=archive_id("post", int(when.timestamp()), uri or text), author=author,
                      text=text, created_at=when, ours=True)
    return post, reply


class InstagramArchive:
    name = "instagram-archive"
    description = "Instagram archive JSON: posts_1.json, reels.json, post_comments_1.json, reels_comments.json"
    note = ("Instagram archive: our posts and our own comments only, with ids of its own (not the Graph API's); "
            "the audience's comments come through `sounding connect instagram`")

    def matches(self, path: Path) -> bool:
        head = _head(path) if path.name.endswith(".json") else ""
        if IG_POSTS.match(path.name):
            return '"creation_timestamp"' in head and '"media"' in head
        if path.name == "reels.json":
            return '"ig_reels_media"' in head
        return bool(IG_COMMENTS.match(path.name)) and '"string_map_data"' in head

    def rows(self, path: Path) -> Iterator[Row]:
        username = instagram_username(path)
        if IG_COMMENTS.match(path.name):
            head = _head(path)
            prefix = "item"
            for key in ("comments_reels_comments", "comments_media_comments"):
                if f'"{key}"' in head:
                    prefix = f"{key}.item"
            stand_ins = _StandIns("instagram")
            return _items(path, prefix, lambda item: self._comment(item, username, stand_ins))
        prefix = "ig_reels_media.item" if path.name == "reels.json" else "item"
        return _items(path, prefix, lambda item: [_media_post(item, "instagram", username)[0]])

    @staticmethod
    def _comment(item: Any, username: str, stand_ins: _StandIns) -> list[Record]:
        fields = item.get("string_map_data") if isinstance(item, dict) else None
        if not isinstance(fields, dict):
            raise RowError("no string_map_data")
        comment = fields.get("Comment") or {}
        when = _time((fields.get("Time") or {}).get("timestamp") or comment.get("timestamp"), "Time")
        text = _text(comment.get("value"))
        owner = repair((fields.get("Media Owner") or {}).get("value")).lstrip("@")
        parent, records = stand_ins.parent(f"archive-posts-of:{owner or UNKNOWN}", owner or UNKNOWN, when,
                                           bool(owner) and owner.casefold() == username.casefold())
        records.append(CommentRecord(
            platform="instagram", id=archive_id("comment", int(when.timestamp()), owner, text), parent_id=parent,
            author=username, text=text, created_at=when, ours=True,
        ))
        return records


class ThreadsArchive:
    name = "threads-archive"
    description = "Threads archive JSON: threads_and_replies.json (text_post_app_text_posts)"
    note = ("Threads archive: our threads and replies only, with ids of its own; it does not say what a reply "
            "answers, so replies hang from one stand-in post; no one else's replies")

    def matches(self, path: Path) -> bool:
        return path.name == "threads_and_replies.json" and '"text_post_app_text_posts"' in _head(path)

    def rows(self, path: Path) -> Iterator[Row]:
        username = instagram_username(path)
        stand_ins = _StandIns("threads")

        def build(item: Any) -> list[Record]:
            post, reply = _media_post(item, "threads", username)
            if not reply:
                return [post]
            parent, records = stand_ins.parent(f"archive-replies-of:{username}", UNKNOWN, post.created_at, False)
            records.append(CommentRecord(platform="threads", id=post.id.replace("-post-", "-reply-"), parent_id=parent,
                                         author=username, text=post.text, created_at=post.created_at, ours=True))
            return records

        return _items(path, "text_post_app_text_posts.item", build)


class FacebookArchive:
    name = "facebook-archive"
    description = "Facebook archive JSON: your_posts__check_ins__photos_and_videos_1.json, comments.json"
    note = ("Facebook archive: our own posts and comments only, with ids of its own (not the Graph API's); "
            "it does not say which post a comment answers; visitors' comments come through `sounding connect facebook`")

    def matches(self, path: Path) -> bool:
        if FB_POSTS.match(path.name):
            head = _head(path)
            return '"timestamp"' in head and head.lstrip().startswith("[")
        return path.name == "comments.json" and '"comments_v2"' in _head(path)

    def rows(self, path: Path) -> Iterator[Row]:
        if FB_POSTS.match(path.name):
            return _items(path, "item", self._post)
        stand_ins = _StandIns("facebook")
        return _items(path, "comments_v2.item", lambda item: self._comment(item, stand_ins))

    @staticmethod
    def _post(item: Any) -> list[Record] | None:
        if not isinstance(item, dict):
            raise RowError("not an object")
        when = _time(item.get("timestamp"), "timestamp")
        parts = [d.get("post") for d in item.get("data") or [] if isinstance(d, dict) and d.get("post")]
        text = _text("\n\n".join(str(p) for p in parts)).strip()
        if not text:
            return None  # a shared link, a check-in or a photo without words of ours
        post_id = archive_id("post", int(when.timestamp()), text)
        return [PostRecord(platform="facebook", id=post_id, author=ARCHIVE_OWNER, text=text, created_at=when, ours=True)]

    @staticmethod
    def _comment(item: Any, stand_ins: _StandIns) -> list[Record] | None:
        if not isinstance(item, dict):
            raise RowError("not an object")
        data = [d.get("comment") for d in item.get("data") or [] if isinstance(d, dict)]
        comment = data[0] if data and isinstance(data[0], dict) else {}
        when = _time(comment.get("timestamp") or item.get("timestamp"), "timestamp")
        text = _text(comment.get("comment")).strip()
        if not text:
            return None  # a sticker or GIF alone
        parent, records = stand_ins.parent("archive-commented-posts", UNKNOWN, when, False)
        records.append(CommentRecord(platform="facebook", id=archive_id("comment", int(when.timestamp()), text),
                                     parent_id=parent, author=ARCHIVE_OWNER, text=text, created_at=when, ours=True))
        return records
