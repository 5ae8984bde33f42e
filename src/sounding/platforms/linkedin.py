"""LinkedIn: post URNs from the links of the member data export.

``Shares.csv`` names our posts by a ``ShareLink`` (``https://www.linkedin.com/feed/update/urn:li:share:…``,
sometimes percent-encoded, sometimes ``urn:li:ugcPost:…``); ``Comments.csv`` names the post a
comment answers by its ``Link`` (usually ``urn:li:activity:…``). The URN is the id both store.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

_URN = re.compile(r"urn:li:(share|ugcPost|activity):(\d+)")


def urn(link: str) -> str | None:
    """``urn:li:share:123`` from a feed link or a bare URN; ``None`` when it holds none."""
    match = _URN.search(unquote(link or ""))
    return f"urn:li:{match.group(1)}:{match.group(2)}" if match else None
