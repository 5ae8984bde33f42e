"""Column layouts of comment exports whose fields are documented, for ``--preset`` and detection.

Each preset names the export's own column headers (as its documentation lists them; matching is
case- and space-insensitive) and the platform. A CSV or XLSX whose header holds every column of
exactly one preset is read with it without ``--preset``. Other layouts: ``--map``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sounding.importers.spreadsheet import Mapping


@dataclass(frozen=True)
class Preset:
    name: str
    platform: str
    columns: dict[str, str]
    source: str  # where the layout is documented
    options: dict[str, str] = field(default_factory=dict)

    def fits(self, header: set[str]) -> bool:
        return all(" ".join(c.split()).casefold() in header for c in self.columns.values())

    def mapping(self) -> Mapping:
        from sounding.importers.spreadsheet import Mapping

        return Mapping(columns=dict(self.columns), options=dict(self.options), platform=self.platform)


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        # Apify "Instagram Comments Scraper" dataset (CSV/XLSX export keeps the JSON field names):
        # id, postUrl, text, ownerUsername, timestamp, likesCount, repliesCount, replies, owner…
        Preset(
            "apify-instagram-comments",
            "instagram",
            {"id": "id", "post": "postUrl", "text": "text", "author": "ownerUsername",
             "created_at": "timestamp", "likes": "likesCount", "replies": "repliesCount"},
            "https://university.mindstudio.ai/docs/building-ai-agents/blocks-reference/scrape-instagram-comments",
        ),
        # Apify "Instagram Comments & Replies" (publicsignallabs): one row per comment or reply,
        # replies carry parent_comment_id
        Preset(
            "instagram-comments-replies",
            "instagram",
            {"id": "id", "post": "source_url", "text": "text", "author": "author_username",
             "created_at": "created_at", "likes": "like_count", "replies": "child_comment_count",
             "reply_to": "parent_comment_id"},
            "https://apify.com/publicsignallabs/instagram-comments-replies",
        ),
        # Apify "TikTok Comments Scraper" (happy_b): commentId, content, publishedAt, likeCount,
        # replyCount, replyLevel, parentCommentId, commentLanguage, authorUniqueId…
        Preset(
            "tiktok-comments",
            "tiktok",
            {"id": "commentId", "text": "content", "author": "authorUniqueId", "created_at": "publishedAt",
             "likes": "likeCount", "replies": "replyCount", "reply_to": "parentCommentId",
             "lang": "commentLanguage"},
            "https://apify.com/happy_b/tiktok-comments-scraper",
        ),
    )
}


# words that name a column's field in the exports seen (English, German, French, Spanish headers)
_GUESSES = {
    "text": ("comment", "text", "message", "content", "body", "kommentar", "commentaire", "comentario"),
    "author": ("author", "username", "user", "name", "owner", "commenter", "verfasser", "auteur", "autor"),
    "created_at": ("date", "time", "timestamp", "created", "published", "posted", "datum", "fecha"),
}


def map_hint(columns: list[str]) -> str:
    """How to read a comment sheet with these columns: a ``--map`` guessed from the header names
    (``COLUMN`` where no name fits) and the presets; for the one-line error of an unmapped sheet."""
    parts, used = [], set()
    for name, words in _GUESSES.items():
        free = [c for c in columns if c not in used]
        found = next((c for w in words for c in free if c.casefold() == w), None) or next(
            (c for w in words for c in free if w in c.casefold()), None)  # "Comment" before "Comment ID"
        if found is not None:
            used.add(found)
        parts.append(f"{name}={found if found is not None and ',' not in found else 'COLUMN'}")
    shown = ", ".join(repr(c) for c in columns[:12]) + (", …" if len(columns) > 12 else "")
    return (f"its columns are {shown or 'none'}; map them with --map {','.join(parts)} "
            f"(more fields in docs/sources.md) or use --preset {'|'.join(sorted(PRESETS))}")
