"""Mastodon: HTML to text, status ids and handles from ActivityPub URIs, time precision.

The REST API (connector) and the account archive (``outbox.json``) describe a status differently;
these functions give both the same id, author, text and time, so they store the same row.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from sounding.platforms import whole_seconds

__all__ = ["acct_from_actor", "host", "html_to_text", "status_id", "whole_seconds"]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(value: str | None) -> str:
    """Plain text of a status's HTML: paragraphs become blank lines, ``<br>`` a line break."""
    if not value:
        return ""
    parser = _Text()
    parser.feed(value)
    parser.close()
    return html.unescape("".join(parser.parts)).strip()


def status_id(uri: str) -> str:
    """The API id of one of the instance's own statuses: the last path segment of its URI."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


def host(uri: str) -> str:
    return (urlsplit(uri).hostname or "").lower()


def acct_from_actor(uri: str) -> str:
    """The acct the home instance's API shows for a local actor: ``…/users/brand`` → ``brand``."""
    path = urlsplit(uri).path.rstrip("/")
    name = path.rsplit("/", 1)[-1]
    return name[1:] if name.startswith("@") else name
