"""CSV archives of our own activity: LinkedIn's member data export and YouTube's Google Takeout.

* **LinkedIn** ``Shares.csv`` (``Date, ShareLink, ShareCommentary, SharedUrl, MediaUrl, Visibility``)
  holds our posts; ``Comments.csv`` (``Date, Link, Message``; quotes escaped with a backslash)
  the comments we wrote, each with the link of the post it answers. Ids are LinkedIn's URNs
  (:mod:`sounding.platforms.linkedin`). A post we commented on that is not in ``Shares.csv``
  beside the file is stored as a stand-in (its URN and link, no text, not ours) so the comment
  has its parent. Dates are UTC.
* **YouTube** Takeout ``comments/comments.csv`` (``Comment ID, Channel ID, Comment Create Timestamp,
  Price, Parent Comment ID, [Post ID,] Video ID, Comment Text[, Top-Level Comment ID]``, header
  case varies) holds the comments we wrote; ``video metadata/videos.csv`` (``Video ID, …, Channel
  ID, Video Title (Original), Video Description (Original), …, Video Publish Timestamp``) our
  videos. Ids are the Data API's (:mod:`sounding.platforms.youtube`), so Takeout and
  ``sounding sync`` store the same rows; a comment on someone else's video is set aside as an
  unknown parent unless that video is in the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from sounding.importers.base import MAX_ID, MAX_TEXT, Row, RowError, parse_time
from sounding.importers.generic import csv_rows, header_names
from sounding.platforms import archive_id, linkedin, youtube
from sounding.platforms.meta import ARCHIVE_OWNER
from sounding.records import CommentRecord, PostRecord, Record

UNKNOWN = "[unknown]"
SHARES = ("date", "sharelink", "sharecommentary")
COMMENTS = ("date", "link", "message")
YT_COMMENTS = ("comment id", "channel id", "comment create timestamp", "video id", "comment text")
YT_VIDEOS = ("video id", "channel id", "video title (original)")


def _has(names: list[str], wanted: tuple[str, ...]) -> bool:
    return all(w in names for w in wanted)


def _field(fields: dict[str, str], name: str, limit: int = MAX_ID) -> str:
    value = (fields.get(name) or "").strip()
    if len(value) > limit:
        raise RowError(f"{name!r} is {len(value):,} characters long (limit {limit:,})")
    return value


def _body(value: str | None) -> str:
    if value is not None and len(value) > MAX_TEXT:
        raise RowError(f"the text is {len(value):,} characters long (limit {MAX_TEXT:,})")
    return value or ""


class LinkedInExport:
    name = "linkedin-archive"
    description = "LinkedIn data export Shares.csv (our posts) and Comments.csv (our comments)"
    note = ("LinkedIn export: our posts and our own comments only; the comments others wrote on our posts "
            "are not in it (LinkedIn has no connector here; use a comment export with --map)")

    def matches(self, path: Path) -> bool:
        if path.name.lower() == "shares.csv":
            return _has(header_names(path), SHARES)
        return path.name.lower() == "comments.csv" and _has(header_names(path), COMMENTS)

    def rows(self, path: Path) -> Iterator[Row]:
        if path.name.lower() == "shares.csv" or _has(header_names(path), SHARES):
            yield from csv_rows(path, self._share)
            return
        ours, seen = self._our_posts(path.parent), set[str]()
        yield from csv_rows(path, lambda fields: self._comment(fields, ours, seen), escapechar="\\")

    @staticmethod
    def _share(fields: dict[str, str]) -> PostRecord:
        link = _field(fields, "sharelink", 1000)
        urn = linkedin.urn(link)
        if urn is None:
            raise RowError(f"ShareLink holds no post URN: {link[:60]!r}")
        return PostRecord(platform="linkedin", id=urn, author=ARCHIVE_OWNER, text=_body(fields.get("sharecommentary")),
                          created_at=parse_time(_field(fields, "date"), "Date"), url=link or None, ours=True)

    @staticmethod
    def _our_posts(folder: Path) -> set[str]:
        shares = next((p for p in (folder / "Shares.csv", folder / "shares.csv") if p.is_file()), None)
        if shares is None:
            return set()
        return {row.record.id for row in csv_rows(shares, LinkedInExport._share) if row.record is not None}

    @staticmethod
    def _comment(fields: dict[str, str], ours: set[str], seen: set[str]) -> list[Record]:
        link = _field(fields, "link", 1000)
        parent = linkedin.urn(link)
        if parent is None:
            raise RowError(f"Link holds no post URN: {link[:60]!r}")
        when = parse_time(_field(fields, "date"), "Date")
        text = _body(fields.get("message"))
        comment = CommentRecord(platform="linkedin", id=archive_id("comment", parent, when.isoformat(), text),
                                parent_id=parent, author=ARCHIVE_OWNER, text=text, created_at=when, ours=True)
        if parent in ours or parent in seen:
            return [comment]
        seen.add(parent)
        stand_in = PostRecord(platform="linkedin", id=parent, author=UNKNOWN, text="", created_at=when, url=link,
                              ours=False)
        return [stand_in, comment]


class YouTubeTakeout:
    name = "youtube-takeout"
    description = "YouTube Google Takeout comments.csv (our comments) and video metadata videos.csv (our videos)"
    note = ("YouTube Takeout: our own comments and videos only, with the Data API's ids; a comment on someone "
            "else's video is set aside unless that video is stored; the audience's comments come through "
            "`sounding connect youtube`")

    def matches(self, path: Path) -> bool:
        if path.suffix.lower() != ".csv":
            return False
        names = header_names(path)
        return _has(names, YT_COMMENTS) or _has(names, YT_VIDEOS)

    def rows(self, path: Path) -> Iterator[Row]:
        comments = _has(header_names(path), YT_COMMENTS)
        build: Callable[[dict[str, str]], Record] = self._comment if comments else self._video
        yield from csv_rows(path, build)

    @staticmethod
    def _comment(fields: dict[str, str]) -> CommentRecord:
        comment_id, channel = _field(fields, "comment id"), _field(fields, "channel id")
        video, post = _field(fields, "video id"), _field(fields, "post id")
        if not comment_id or not channel:
            raise RowError("no Comment ID or Channel ID")
        parent = _field(fields, "parent comment id") or video or post
        if not parent:
            raise RowError("neither a Parent Comment ID nor a Video ID or Post ID")
        return CommentRecord(
            platform="youtube", id=comment_id, parent_id=parent, author=channel,
            text=_body(youtube.takeout_text(fields.get("comment text") or "")),
            created_at=youtube.whole_seconds(
                parse_time(_field(fields, "comment create timestamp"), "Comment Create Timestamp")),
            url=youtube.comment_url(video or None, comment_id), ours=True,
        )

    @staticmethod
    def _video(fields: dict[str, str]) -> PostRecord:
        video, channel = _field(fields, "video id"), _field(fields, "channel id")
        if not video or not channel:
            raise RowError("no Video ID or Channel ID")
        when = _field(fields, "video publish timestamp") or _field(fields, "video create timestamp")
        text = youtube.post_text(fields.get("video title (original)") or "", fields.get("video description (original)"))
        return PostRecord(platform="youtube", id=video, author=channel, text=_body(text), url=youtube.video_url(video),
                          created_at=youtube.whole_seconds(parse_time(when, "Video Publish Timestamp")), ours=True)
